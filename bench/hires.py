"""Reading from farther away: real QR photos scaled to 640×480 as the decoder's low-resolution
frame, the originals as the camera's full-resolution stream; reads without and with the
full-resolution re-read of codes located but not readable, and the cost per frame.

.venv/bin/python bench/hires.py [--photos ../shared/data/qr-photos] [--repeat 5]
"""

from __future__ import annotations

import argparse
import csv
import statistics
import time
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

from kiosk.decode.zxing import ZxingDecoder, reread

DEFAULT_PHOTOS = Path(__file__).resolve().parents[2] / "shared" / "data" / "qr-photos"
LORES = (640, 480)


def _norm(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n").rstrip("\n")


def _text(path: Path) -> str:
    return _norm(path.read_bytes().decode("utf-8", errors="replace"))


def photos(folder: Path) -> list[tuple[npt.NDArray[np.uint8], str]]:
    """(full-resolution grey image, expected text) for every photo holding a code."""
    out = []
    with (folder / "manifest.csv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if not row["expected_text_file"]:
                continue
            img = cv2.imread(str(folder / row["image"]), cv2.IMREAD_GRAYSCALE)
            if img is not None:
                out.append(
                    (np.asarray(img, dtype=np.uint8), _text(folder / row["expected_text_file"]))
                )
    return out


def lores_of(full: npt.NDArray[np.uint8], scale: float | None) -> npt.NDArray[np.uint8]:
    """640×480 (scale None), or the photo shrunk by `scale`: the code as seen from farther
    away by the low-resolution stream, while the main stream still has the original."""
    if scale is None:
        size = LORES
    else:
        size = (max(16, round(full.shape[1] * scale)), max(16, round(full.shape[0] * scale)))
    return np.ascontiguousarray(cv2.resize(full, size, interpolation=cv2.INTER_AREA))


def run(shots: list[tuple[npt.NDArray[np.uint8], str]], scale: float | None, repeat: int) -> None:
    decoder = ZxingDecoder()
    before = after = located = 0
    t_before: list[float] = []
    t_after: list[float] = []
    for full, expected in shots:
        lores = lores_of(full, scale)
        for _ in range(repeat):
            t0 = time.perf_counter()
            symbols = decoder.decode(lores)
            t1 = time.perf_counter()
            again = reread(decoder, lores, full, symbols)
            t2 = time.perf_counter()
            t_before.append(t1 - t0)
            t_after.append(t2 - t0)
        located += any(s.error for s in symbols)
        before += any(s.error is None and _norm(s.text) == expected for s in symbols)
        after += any(s.error is None and _norm(s.text) == expected for s in again)
    what = "640×480" if scale is None else f"×{scale:g} (main stream {1 / scale:g}× lores)"
    print(
        f"lores {what}: read {before} → {after} of {len(shots)} "
        f"({located} with a code located but unread); ms per frame "
        f"{statistics.mean(t_before) * 1e3:.2f} → {statistics.mean(t_after) * 1e3:.2f} mean, "
        f"{max(t_before) * 1e3:.1f} → {max(t_after) * 1e3:.1f} max"
    )


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--photos", type=Path, default=DEFAULT_PHOTOS)
    p.add_argument("--repeat", type=int, default=5, help="timing runs per photo")
    args = p.parse_args()
    if not (args.photos / "manifest.csv").exists():
        print(f"skipped: no photos at {args.photos}")
        return
    shots = photos(args.photos)
    print(f"{len(shots)} photos with a code; the originals are the main stream")
    for scale in (None, 0.5, 1 / 3):
        run(shots, scale, args.repeat)


if __name__ == "__main__":
    main()
