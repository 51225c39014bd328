"""Decoder speed on 640×480 frames and read rate on real QR photographs (../shared/data/qr-photos).

.venv/bin/python bench/decoders.py [--photos ../shared/data/qr-photos] [--frames 300]
"""

from __future__ import annotations

import argparse
import csv
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

from kiosk.camera.scenes import Pose, frame, qr_image
from kiosk.config import PyzbarDecoderConfig, ZxingDecoderConfig
from kiosk.decode import Decoder, DecoderUnavailable, build_decoder
from kiosk.decode.dedupe import RepeatSuppressor

DEFAULT_PHOTOS = Path(__file__).resolve().parents[2] / "shared" / "data" / "qr-photos"


class OpenCVDecoder:
    """OpenCV's QRCodeDetector, measured for comparison only (not offered in the config)."""

    name = "opencv"

    def __init__(self) -> None:
        self._det = cv2.QRCodeDetector()

    def decode(self, luma: npt.NDArray[np.uint8]) -> list[bytes]:
        try:
            ok, texts, _, _ = self._det.detectAndDecodeMulti(luma)
        except (UnicodeDecodeError, cv2.error):  # non-UTF-8 payloads, Kanji mode: not handled
            return []
        return [t.encode("utf-8") for t in texts if t] if ok else []


def _payloads(d: Decoder) -> Callable[[npt.NDArray[np.uint8]], list[bytes]]:
    return lambda img: [s.payload for s in d.decode(img)]


def _gray(path: Path) -> npt.NDArray[np.uint8]:
    img = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
    if img is None:
        raise SystemExit(f"cannot read {path}")
    return np.asarray(img, dtype=np.uint8)


def decoders() -> dict[str, Callable[[npt.NDArray[np.uint8]], list[bytes]]]:
    out: dict[str, Callable[[npt.NDArray[np.uint8]], list[bytes]]] = {}
    for cfg in (ZxingDecoderConfig(type="zxing-cpp"), PyzbarDecoderConfig(type="pyzbar")):
        try:
            d: Decoder = build_decoder(cfg)
        except DecoderUnavailable as exc:
            print(f"skipping {cfg.type}: {exc}")
            continue
        out[cfg.type] = _payloads(d)
    out["opencv"] = OpenCVDecoder().decode
    return out


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q))


def timing(frames: int) -> None:
    rng = np.random.default_rng(1)
    code = qr_image("KP1:" + "X" * 240)
    with_code = [
        frame(
            code, Pose(angle=float(rng.uniform(-30, 30)), tilt=float(rng.uniform(0, 0.1))), seed=i
        )
        for i in range(frames)
    ]
    without = [frame(None, seed=1000 + i) for i in range(frames)]
    print(f"\n## Per-frame decode time, 640×480 greyscale, {frames} frames each, one thread")
    print("| decoder | with a code: median | p95 | read | no code: median | p95 |")
    print("|---|---|---|---|---|---|")
    for name, decode in decoders().items():
        for img in with_code[:5]:
            decode(img)  # warm-up
        t_code, read = [], 0
        for img in with_code:
            t0 = time.perf_counter()
            got = decode(img)
            t_code.append((time.perf_counter() - t0) * 1000)
            read += bool(got)
        t_none = []
        for img in without:
            t0 = time.perf_counter()
            decode(img)
            t_none.append((time.perf_counter() - t0) * 1000)
        print(
            f"| {name} | {statistics.median(t_code):.2f} ms | {pct(t_code, 95):.2f} ms | "
            f"{read}/{frames} | {statistics.median(t_none):.2f} ms | {pct(t_none, 95):.2f} ms |"
        )
    zx = build_decoder(ZxingDecoderConfig(type="zxing-cpp"))
    sup = RepeatSuppressor(5.0)
    t = []
    for i, img in enumerate(with_code + without):
        t0 = time.perf_counter()
        for s in zx.decode(img):
            sup.accept(s.payload, i / 30)
        t.append((time.perf_counter() - t0) * 1000)
    print(
        f"\nzxing-cpp decode + dedupe over both sets: median {statistics.median(t):.2f} ms, "
        f"p95 {pct(t, 95):.2f} ms"
    )


def normalise(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n").rstrip("\n")


def photos(root: Path) -> None:
    manifest = root / "manifest.csv"
    if not manifest.exists():
        print(f"\n(no photo set at {root}; read rate skipped)")
        return
    rows = list(csv.DictReader(manifest.open(encoding="utf-8")))
    coded = [r for r in rows if r["expected_text_file"]]
    empty = [r for r in rows if not r["expected_text_file"]]
    print(
        f"\n## Read rate on {len(coded)} real photographs; "
        f"false results on {len(empty)} without a code"
    )
    print("| decoder | native size | at 640×480 (as the kiosk sees) | false results |")
    print("|---|---|---|---|")
    for name, decode in decoders().items():
        native = small = 0
        for r in coded:
            img = _gray(root / r["image"])
            want = normalise((root / r["expected_text_file"]).read_text(encoding="utf-8"))
            for target, scaled in ((0, img), (1, _fit(img, 640, 480))):
                got = [normalise(p.decode("utf-8", "replace")) for p in decode(scaled)]
                if want in got or _sjis(want, decode(scaled)):
                    if target == 0:
                        native += 1
                    else:
                        small += 1
        false = sum(bool(decode(_gray(root / r["image"]))) for r in empty)
        print(f"| {name} | {native}/{len(coded)} | {small}/{len(coded)} | {false}/{len(empty)} |")


def _sjis(want: str, payloads: list[bytes]) -> bool:
    # qrcode-2 has Shift_JIS payloads without an ECI marker; compare them as Shift_JIS too.
    for p in payloads:
        try:
            if normalise(p.decode("shift_jis")) == want:
                return True
        except UnicodeDecodeError:
            continue
    return False


def _fit(img: npt.NDArray[np.uint8], w: int, h: int) -> npt.NDArray[np.uint8]:
    scale = min(w / img.shape[1], h / img.shape[0], 1.0)
    if scale >= 1.0:
        return img
    small = cv2.resize(img, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    return np.asarray(small, dtype=np.uint8)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--photos", type=Path, default=DEFAULT_PHOTOS)
    ap.add_argument("--frames", type=int, default=300)
    args = ap.parse_args()
    cv2.setNumThreads(1)
    timing(args.frames)
    photos(args.photos)


if __name__ == "__main__":
    main()
