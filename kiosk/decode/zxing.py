"""zxing-cpp, the default decoder (best read rate on real photos, fastest); full-size re-reads."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import zxingcpp

from kiosk.decode import Decoder, Symbol


def _corners(position: object) -> tuple[tuple[int, int], ...]:
    pts = (
        getattr(position, "top_left", None),
        getattr(position, "top_right", None),
        getattr(position, "bottom_right", None),
        getattr(position, "bottom_left", None),
    )
    return tuple((p.x, p.y) for p in pts if p is not None)


def _standard_qr() -> tuple[zxingcpp.BarcodeFormats, frozenset[int]]:
    """The formats to ask for, and the result formats to drop anyway.

    In zxing-cpp 3.x `QRCode` is the whole QR family: Micro QR and rMQR too. A tiny Micro QR
    symbol is easily "found" in a corner of a real pass (measured: once in ~9,850 frames,
    "510384"), and nobody issues personal codes as Micro QR, so only Model 2 (every QR code
    printed or shown on a phone today) is requested. In 2.x `QRCode` meant Model 2 alone and
    `QRCodeModel2` does not exist. Result formats are checked too, so a library that widens
    a format again still cannot hand us a Micro QR or rMQR symbol.
    """
    fmt = zxingcpp.BarcodeFormat
    wanted = getattr(fmt, "QRCodeModel2", fmt.QRCode)
    others = (getattr(fmt, name, None) for name in ("MicroQRCode", "RMQRCode", "QRCodeModel1"))
    return zxingcpp.BarcodeFormats(wanted), frozenset(int(f) for f in others if f is not None)


_QR, _NOT_QR = _standard_qr()


class ZxingDecoder:
    name = "zxing-cpp"

    def __init__(self, *, try_invert: bool = True, try_downscale: bool = True) -> None:
        self._try_invert = try_invert
        self._try_downscale = try_downscale

    def decode(self, luma: npt.NDArray[np.uint8]) -> list[Symbol]:
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
            if int(r.format) not in _NOT_QR
        ]


# A code located but unread in the low-resolution frame is re-read from the full one: at most
# this many per frame, so a frame full of unreadable codes cannot stall the decision loop.
MAX_REREADS = 2
QUIET = 0.3  # margin round the located code, as a share of its size: the quiet zone and slack


def _region(
    corners: tuple[tuple[int, int], ...], scale: tuple[float, float], full: tuple[int, int]
) -> tuple[int, int, int, int]:
    """The located code's box in full-resolution pixels, with margin: x0, y0, x1, y1."""
    xs, ys = [x for x, _ in corners], [y for _, y in corners]
    margin = QUIET * max(max(xs) - min(xs), max(ys) - min(ys)) + 2
    sx, sy = scale
    return (
        max(0, int((min(xs) - margin) * sx)),
        max(0, int((min(ys) - margin) * sy)),
        min(full[1], int((max(xs) + margin) * sx) + 1),
        min(full[0], int((max(ys) + margin) * sy) + 1),
    )


def reread(
    decoder: Decoder,
    luma: npt.NDArray[np.uint8],
    full: npt.NDArray[np.uint8] | None,
    symbols: list[Symbol],
) -> list[Symbol]:
    """`symbols` with each code located but not readable in `luma` replaced by what `full`
    (the same instant at a higher resolution) reads in its region, corners in `luma`'s pixels.
    A region that does not read either keeps the unreadable symbol (scan help uses it)."""
    if full is None or full.shape == luma.shape:
        return symbols
    scale = (full.shape[1] / luma.shape[1], full.shape[0] / luma.shape[0])
    out: list[Symbol] = []
    tried: set[tuple[tuple[int, int], ...]] = set()
    for symbol in symbols:
        # zxing-cpp may report one unreadable code twice (plain and inverted): tried once.
        if symbol.corners in tried:
            continue
        if symbol.error is None or len(symbol.corners) < 3 or len(tried) >= MAX_REREADS:
            out.append(symbol)
            continue
        tried.add(symbol.corners)
        x0, y0, x1, y1 = _region(symbol.corners, scale, (full.shape[0], full.shape[1]))
        region = np.ascontiguousarray(full[y0:y1, x0:x1])
        found = [s for s in decoder.decode(region) if s.error is None]
        if not found:
            out.append(symbol)
        for s in found:
            corners = tuple(
                (int((x + x0) / scale[0]), int((y + y0) / scale[1])) for x, y in s.corners
            )
            if all(o.payload != s.payload for o in out):
                out.append(Symbol(s.payload, s.text, corners))
    return out
