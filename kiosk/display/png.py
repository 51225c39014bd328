"""PNG files written for speed: the demo's screenshots and gallery (about 250 screens a run)."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np

SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def encode_rgb(rgb: bytes, width: int, height: int) -> bytes:
    """8-bit RGB rows (top first, no padding) as a PNG.

    Rows unfiltered, deflated at level 1: about a third of the time of pygame's writer
    (adaptive filters, default level) for a file about as large, so a 1080p screen takes
    tens of milliseconds, not a tenth of a second."""
    if width <= 0 or height <= 0 or len(rgb) != 3 * width * height:
        raise ValueError(f"{len(rgb)} bytes are not {width}×{height} RGB pixels")
    rows = np.frombuffer(rgb, np.uint8).reshape(height, 3 * width)
    # Each row starts with its filter type: 0, none.
    raw = np.hstack([np.zeros((height, 1), np.uint8), rows]).tobytes()
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB, no interlace
    return (
        SIGNATURE
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(raw, 1))
        + _chunk(b"IEND", b"")
    )


def write_rgb(path: Path, rgb: bytes, width: int, height: int) -> None:
    path.write_bytes(encode_rgb(rgb, width, height))
