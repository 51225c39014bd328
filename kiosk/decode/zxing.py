"""zxing-cpp, the default decoder: the best read rate on real photos and the fastest."""

from __future__ import annotations

import numpy as np
import zxingcpp

from kiosk.decode import Symbol


def _corners(position: object) -> tuple[tuple[int, int], ...]:
    pts = (
        getattr(position, "top_left", None),
        getattr(position, "top_right", None),
        getattr(position, "bottom_right", None),
        getattr(position, "bottom_left", None),
    )
    return tuple((p.x, p.y) for p in pts if p is not None)


_QR = zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)


class ZxingDecoder:
    name = "zxing-cpp"

    def __init__(self, *, try_invert: bool = True, try_downscale: bool = True) -> None:
        self._try_invert = try_invert
        self._try_downscale = try_downscale

    def decode(self, luma: np.ndarray) -> list[Symbol]:
        results = zxingcpp.read_barcodes(
            luma,
            formats=_QR,
            try_rotate=True,
            try_downscale=self._try_downscale,
            try_invert=self._try_invert,
            # Plain: the content as encoded, not the "human readable" rendering (HRI),
            # which for binary or ECI content differs from what was put in the code.
            text_mode=zxingcpp.TextMode.Plain,
            # Also the codes it located but could not read (glare, damage): scan help uses them.
            return_errors=True,
        )
        return [
            Symbol(
                payload=bytes(r.bytes) if r.valid else b"",
                text=r.text if r.valid else "",
                corners=_corners(r.position),
                error=None if r.valid else str(r.error),
            )
            for r in results
        ]
