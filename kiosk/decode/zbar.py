"""pyzbar (libzbar), an alternative decoder; needs `apt-get install libzbar0`."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from kiosk.decode import DecoderUnavailable, Symbol

try:
    from pyzbar import pyzbar
except (ImportError, OSError) as exc:  # pyzbar raises ImportError when libzbar is missing
    _IMPORT_ERROR: Exception | None = exc
else:
    _IMPORT_ERROR = None


class ZbarDecoder:
    name = "pyzbar"

    def __init__(self) -> None:
        if _IMPORT_ERROR is not None:
            raise DecoderUnavailable(
                f"pyzbar cannot load libzbar ({_IMPORT_ERROR}); install it with "
                "'apt-get install libzbar0' and 'pip install .[pyzbar]'"
            )

    def _scan(self, luma: npt.NDArray[np.uint8]) -> list[Symbol]:
        out = []
        for r in pyzbar.decode(luma, symbols=[pyzbar.ZBarSymbol.QRCODE]):
            text = r.data.decode("utf-8", errors="replace")
            corners = tuple((int(p.x), int(p.y)) for p in r.polygon)
            out.append(Symbol(payload=bytes(r.data), text=text, corners=corners))
        return out

    def decode(self, luma: npt.NDArray[np.uint8]) -> list[Symbol]:
        found = self._scan(luma)
        if not found:
            # zbar has no inverted mode: a dark-mode (light on dark) code needs a second pass.
            found = self._scan(np.ascontiguousarray(255 - luma))
        return found
