"""Read rate and time per frame on door frames and real photos: the kiosk, zxing-cpp, WeChat.

.venv/bin/python bench/read_rate.py [--frames 24] [--seed 1] [--photos ../shared/data/qr-photos]
    [--only "focus blur"] [--out table.md]

Frames are rendered from seeds (bench/doorframes.py): the same command gives the same frames.
A read is the payload that was shown; a wrong read is any other payload (must stay 0).
Times are for one thread (cv2.setNumThreads(1)), 640×480 greyscale, as the kiosk's decision
thread sees its low-resolution frame.
"""

from __future__ import annotations

import argparse
import csv
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt
import zxingcpp

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.doorframes import conditions, frames, held_stream
from kiosk.config import ZxingDecoderConfig
from kiosk.decode import WECHAT_BUDGET, Decoder, build_decoder
from kiosk.decode.cascade import Cascade, Corners, decode_frame
from kiosk.decode.diagnose import Locator
from kiosk.decode.finder import CnnFinder, OpenCVFinder
from kiosk.decode.retries import measured

DEFAULT_PHOTOS = Path(__file__).resolve().parents[2] / "shared" / "data" / "qr-photos"
MODELS = Path(__file__).resolve().parents[1] / "kiosk" / "decode" / "wechat"
Image = npt.NDArray[np.uint8]
Reader = Callable[[Image], list[bytes]]


def _zxing_alone() -> Reader:
    """zxing-cpp with its defaults, QR codes only: what the library reads by itself."""
    fmt = zxingcpp.BarcodeFormat

    def read(img: Image) -> list[bytes]:
        return [
            bytes(r.bytes)
            for r in zxingcpp.read_barcodes(img, formats=zxingcpp.BarcodeFormats(fmt.QRCode))
            if r.valid
        ]

    return read


def _wechat() -> Reader:
    """OpenCV's WeChat detector (CNN) and super-resolution, with the models the kiosk ships."""
    m = [
        str(MODELS / f)
        for f in ("detect.prototxt", "detect.caffemodel", "sr.prototxt", "sr.caffemodel")
    ]
    det = cv2.wechat_qrcode.WeChatQRCode(*m)

    def read(img: Image) -> list[bytes]:
        try:
            texts, _ = det.detectAndDecode(img)
        except UnicodeDecodeError:  # a payload that is not UTF-8 (Shift_JIS): not read
            return []
        # The module hands back text as UTF-8 str; binary payloads are not round-tripped.
        return [t.encode("utf-8", "surrogateescape") for t in texts if t]

    return read


class AtThirtyFps:
    """The kiosk's decision thread on one frame after another, 30 a second: the decoder, the
    full-resolution re-read (no full frame here) and the Locator at its own pace."""

    def __init__(self, decoder: Decoder, find: Callable[[Image], Corners | None]) -> None:
        self._decoder = decoder
        self._locator = Locator(find=find)
        self._frames = 0

    def __call__(self, img: Image) -> list[bytes]:
        at = self._frames / 30
        self._frames += 1

        def locate(luma: Image) -> Corners | None:
            return self._locator.locate(luma, at)

        symbols = decode_frame(self._decoder, img, None, locate)
        return [s.payload for s in symbols if s.error is None]


def readers(budget: float) -> dict[str, Reader]:
    """The columns: the kiosk before (zxing-cpp as configured by default, OpenCV's Locator), the
    kiosk now (with the retries and the CNN Locator), and each open decoder alone."""
    first = build_decoder(ZxingDecoderConfig(type="zxing-cpp", retries=False))
    return {
        "kiosk before": AtThirtyFps(first, OpenCVFinder()),
        # Each frame here is another code: no memory of earlier frames (window 0).
        "kiosk": AtThirtyFps(
            Cascade(
                first, measured(first, wechat=budget >= WECHAT_BUDGET), budget=budget, window=0.0
            ),
            CnnFinder(),
        ),
        "zxing-cpp": _zxing_alone(),
        "WeChat": _wechat(),
    }


@dataclass
class Cell:
    read: int = 0
    wrong: int = 0
    ms: list[float] = field(default_factory=list)


def normalise(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n").rstrip("\n")


def _matches(want: bytes, got: bytes) -> bool:
    if got == want:
        return True
    # Photos: the expected text file against the decoded text, Shift_JIS without ECI included.
    w = normalise(want.decode("utf-8", "replace"))
    for enc in ("utf-8", "shift_jis", "latin-1"):
        try:
            if normalise(got.decode(enc)) == w:
                return True
        except UnicodeDecodeError:
            continue
    return False


def run(
    samples: list[tuple[bytes | None, Image]], rs: dict[str, Reader]
) -> tuple[dict[str, Cell], set[int]]:
    """Each reader over `samples`; and which samples the union of the open decoders read."""
    cells = {name: Cell() for name in rs}
    union: set[int] = set()
    # One reader over all samples at a time: each runs with its own code and data in the caches
    # (WeChat's CNN, run in between, made the next reader look 20 % slower).
    for name, read in rs.items():
        for _, img in samples[:2]:
            read(img)  # warm-up, not counted
        for i, (want, img) in enumerate(samples):
            t0 = time.perf_counter()
            got = read(img)
            cells[name].ms.append((time.perf_counter() - t0) * 1000)
            ok = want is not None and any(_matches(want, g) for g in got)
            cells[name].read += ok
            cells[name].wrong += any(want is None or not _matches(want, g) for g in got)
            if ok and not name.startswith("kiosk"):
                union.add(i)
    return cells, union


def photo_samples(root: Path, fit: bool) -> tuple[list[tuple[bytes | None, Image]], int]:
    manifest = root / "manifest.csv"
    rows = list(csv.DictReader(manifest.open(encoding="utf-8")))
    out: list[tuple[bytes | None, Image]] = []
    for r in rows:
        img = cv2.imread(str(root / r["image"]), cv2.IMREAD_GRAYSCALE)
        if img is None:
            continue
        if fit:
            scale = min(640 / img.shape[1], 480 / img.shape[0], 1.0)
            if scale < 1.0:
                img = cv2.resize(img, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        want = (root / r["expected_text_file"]).read_bytes() if r["expected_text_file"] else None
        out.append((want, np.ascontiguousarray(img, dtype=np.uint8)))
    return out, sum(1 for w, _ in out if w is not None)


def streams(n: int, length: int, seed: int, budget: float) -> list[str]:
    """Codes held up for `length` frames (soft focus, each frame its own shake): how many are
    read at all, and after how many frames, frame by frame and with the kiosk's memory of the
    sharpest recent looks (the retries go on, frame after frame, on the best one)."""
    first = build_decoder(ZxingDecoderConfig(type="zxing-cpp", retries=False))
    finder = CnnFinder()
    kinds: dict[str, Callable[[], Reader]] = {
        "kiosk before": lambda: AtThirtyFps(first, OpenCVFinder()),
        "kiosk, frame by frame": lambda: AtThirtyFps(
            Cascade(
                first, measured(first, wechat=budget >= WECHAT_BUDGET), budget=budget, window=0
            ),
            finder,
        ),
        "kiosk, with memory": lambda: AtThirtyFps(
            Cascade(first, measured(first, wechat=budget >= WECHAT_BUDGET), budget=budget), finder
        ),
    }
    lines = [
        "",
        f"Codes held up: {n} of {length} frames each (soft focus, shake from none to 12 px), "
        f"retry budget {budget * 1000:g} ms a frame",
        "",
        "| reader | codes read | frames to the read: median | most | ms a frame: median/p95 |",
        "|---|---|---|---|---|",
    ]
    held = [held_stream(length, seed * 1000 + j) for j in range(n)]
    for name, make in kinds.items():
        read, after, ms = 0, [], []
        for want, stream in held:
            reader = make()  # a new visitor: nothing remembered from the one before
            for k, img in enumerate(stream):
                t0 = time.perf_counter()
                got = reader(img)
                ms.append((time.perf_counter() - t0) * 1000)
                if want in got:
                    read += 1
                    after.append(k + 1)
                    break
        lines.append(
            f"| {name} | {read}/{n} | {statistics.median(after) if after else '–'} | "
            f"{max(after) if after else '–'} | {statistics.median(ms):.2f}/{pct(ms, 95):.2f} |"
        )
    return lines


def _false(samples: list[tuple[bytes | None, Image]], read: Reader) -> int:
    """How many of the samples without a code gave any payload."""
    return sum(bool(read(img)) for want, img in samples if want is None)


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--frames", type=int, default=24, help="frames per condition")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--photos", type=Path, default=DEFAULT_PHOTOS)
    ap.add_argument("--only", default="", help="only conditions whose name contains this")
    ap.add_argument("--out", type=Path, help="also write the tables here")
    ap.add_argument(
        "--budget",
        type=float,
        default=ZxingDecoderConfig(type="zxing-cpp").retry_budget * 1000,
        help="the retries' ms per frame",
    )
    ap.add_argument("--streams", type=int, default=40, help="codes held up, for the memory")
    ap.add_argument("--stream-frames", type=int, default=12, help="frames each code is held")
    args = ap.parse_args()
    cv2.setNumThreads(1)
    names = list(readers(args.budget / 1000))
    lines = [
        f"Door frames: {args.frames} per condition, seed {args.seed}; retry budget "
        f"{args.budget:g} ms; "
        "times in ms per frame, one thread.",
        "",
        "| condition | severity | n | "
        + " | ".join(names)
        + " | zxing∪WeChat | "
        + " | ".join(f"{n} ms median/p95" for n in names)
        + " |",
        "|---|---|---|" + "---|" * (2 * len(names) + 1),
    ]
    totals = {n: Cell() for n in names}
    coded_ms: dict[str, list[float]] = {n: [] for n in names}
    empty_ms: dict[str, list[float]] = {n: [] for n in names}
    union_total = coded_total = 0
    wrong_total = {n: 0 for n in names}
    for k, cond in enumerate(conditions()):
        if args.only not in cond.name:
            continue  # the seed stays the condition's own, so a subset shows the same frames
        samples = frames(cond, args.frames, args.seed * 100 + k)
        rs = readers(args.budget / 1000)  # a kiosk just started: its Locator at rest
        cells, union = run(samples, rs)
        n = len(samples)
        for name, c in cells.items():
            (coded_ms if cond.code else empty_ms)[name].extend(c.ms)
            wrong_total[name] += c.wrong
            if cond.code:
                totals[name].read += c.read
        if cond.code:
            union_total += len(union)
            coded_total += n

        def rate(c: Cell, code: bool = cond.code, n: int = n) -> str:
            wrong = f" ({c.wrong} wrong)" if c.wrong else ""
            return (f"{c.read}/{n}" if code else "–") + wrong

        lines.append(
            f"| {cond.name} | {cond.severity} | {n} | "
            + " | ".join(rate(cells[m]) for m in names)
            + f" | {(str(len(union)) + '/' + str(n)) if cond.code else '–'} | "
            + " | ".join(
                f"{statistics.median(cells[m].ms):.2f}/{pct(cells[m].ms, 95):.2f}" for m in names
            )
            + " |"
        )
        print(lines[-1], flush=True)
    lines.append(
        f"| **all door frames with a code** | | {coded_total} | "
        + " | ".join(f"**{totals[m].read}**" for m in names)
        + f" | **{union_total}** | "
        + " | ".join(
            f"{statistics.median(coded_ms[m]):.2f}/{pct(coded_ms[m], 95):.2f}"
            for m in names
            if coded_ms[m]
        )
        + " |"
    )
    lines += [
        "",
        "| time per frame (ms) | " + " | ".join(names) + " |",
        "|---|" + "---|" * len(names),
        "| with a code: median / p95 | "
        + " | ".join(
            f"{statistics.median(coded_ms[m]):.2f} / {pct(coded_ms[m], 95):.2f}"
            for m in names
            if coded_ms[m]
        )
        + " |",
        "| no code: median / p95 | "
        + " | ".join(
            f"{statistics.median(empty_ms[m]):.2f} / {pct(empty_ms[m], 95):.2f}"
            for m in names
            if empty_ms[m]
        )
        + " |",
        "| wrong reads (any frame) | " + " | ".join(str(wrong_total[m]) for m in names) + " |",
    ]
    if (args.photos / "manifest.csv").exists() and not args.only:
        lines += ["", "| real photographs | n | " + " | ".join(names) + " | zxing∪WeChat | "
                  + " | ".join(f"{n} ms median/p95" for n in names) + " |",
                  "|---|---|" + "---|" * (2 * len(names) + 1)]  # fmt: skip
        for fit in (False, True):
            samples, coded = photo_samples(args.photos, fit)
            rs = readers(args.budget / 1000)
            cells, union = run(samples, rs)
            empty = len(samples) - coded
            label = "at 640×480 (as the kiosk sees)" if fit else "native size"
            lines.append(
                f"| with a code, {label} | {coded} | "
                + " | ".join(f"{cells[m].read}/{coded}" for m in names)
                + f" | {len(union)}/{coded} | "
                + " | ".join(
                    f"{statistics.median(cells[m].ms):.2f}/{pct(cells[m].ms, 95):.2f}"
                    for m in names
                )
                + " |"
            )
            # Only the photographs without a code count: some with a code hold a second real
            # code (qrcode-2/16) or a GBK text (qrcode-2/33), read as other bytes, not made up.
            lines.append(
                f"| false reads on the {empty} without a code, {label} | {empty} | "
                + " | ".join(str(_false(samples, rs[m])) for m in names)
                + " | | "
                + " | ".join("" for _ in names)
                + " |"
            )
    else:
        lines.append(f"\n(no photo set at {args.photos}, or --only given: photographs skipped)")
    if args.streams and not args.only:
        lines += streams(args.streams, args.stream_frames, args.seed, args.budget / 1000)
    text = "\n".join(lines)
    print("\n" + text)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
