"""Instructions per decode step (callgrind), and what they come to on a Raspberry Pi 4.

.venv/bin/python bench/decode_instructions.py [--jobs empty,coded,unsharp,...] [--n 20]

Each job runs in its own `valgrind --tool=callgrind --instr-atstart=no`; the count starts after
imports and one warm-up call (callgrind_control -i on) and stops after `n` calls, so it is
the steps' own instructions, the Python around them included. Takes about a minute a job.

The Pi 4 estimate (Cortex-A72, 1.5 GHz) assumes AArch64 needs 1.0 to 1.5 times the x86-64
count (NEON is 128 bits wide where this machine's AVX2 is 256: vectorised loops take up to
twice the instructions, scalar code about the same) at about one instruction a cycle.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.doorframes import conditions, frames
from kiosk.decode.cascade import Retry, region_box
from kiosk.decode.finder import CnnFinder, OpenCVFinder
from kiosk.decode.retries import measured
from kiosk.decode.zxing import ZxingDecoder

Image = npt.NDArray[np.uint8]
JOBS = "empty,coded,unsharp,equalise,equalise+unsharp,enlarge,deconvolve,wechat,cnn,opencv"
PI_HZ = 1.5e9


def _jobs() -> dict[str, Callable[[int], object]]:
    z = ZxingDecoder()
    by_name = {c.name + c.severity: c for c in conditions()}
    empty = [img for _, img in frames(by_name["no code: doorway-"], 8, 3)]
    coded = [img for _, img in frames(by_name["paper-"], 8, 3)]
    regions: list[Image] = []
    for _, img in frames(by_name["focus blur (disc radius px)r=2.5"], 24, 3):
        unread = [s for s in z.decode(img) if s.error is not None and len(s.corners) >= 3]
        if unread:
            x0, y0, x1, y1 = region_box(unread[0].corners, (img.shape[0], img.shape[1]))
            regions.append(np.ascontiguousarray(img[y0:y1, x0:x1]))
    regions = regions[:4]  # ~300×300 px: a code of a third of the frame's height, with margin
    cnn, opencv = CnnFinder(), OpenCVFinder()
    jobs: dict[str, Callable[[int], object]] = {
        "empty": lambda i: z.decode(empty[i % 8]),
        "coded": lambda i: z.decode(coded[i % 8]),
        "cnn": lambda i: cnn(empty[i % 8]),
        "opencv": lambda i: opencv(empty[i % 8]),
    }
    for retry in measured(z):
        jobs[retry.name] = _on_regions(retry, regions)
    return jobs


def _on_regions(retry: Retry, regions: list[Image]) -> Callable[[int], object]:
    return lambda i: retry.read(regions[i % len(regions)])


def _count(job: str, n: int) -> int:
    out = subprocess.run(
        ["valgrind", "--tool=callgrind", "--instr-atstart=no", "--callgrind-out-file=/dev/null",
         sys.executable, __file__, "--inside", job, "--n", str(n)],
        capture_output=True, text=True, timeout=1800, check=False,
    )  # fmt: skip
    m = re.search(r"Collected : (\d+)", out.stderr)
    if m is None:
        raise SystemExit(f"{job}: no count from callgrind:\n{out.stderr[-2000:]}")
    return int(m.group(1))


def _inside(job: str, n: int) -> None:
    cv2.setNumThreads(1)
    run = _jobs()[job]
    run(0)  # first-call set-up (allocations, model layers) out of the count
    pid = str(os.getpid())
    subprocess.run(["callgrind_control", "-i", "on", pid], capture_output=True, timeout=60)
    for i in range(n):
        run(i)
    subprocess.run(["callgrind_control", "-i", "off", pid], capture_output=True, timeout=60)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--jobs", default=JOBS)
    ap.add_argument("--n", type=int, default=20, help="calls counted per job (wechat: n/5)")
    ap.add_argument("--inside", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.inside:
        _inside(args.inside, args.n)
        return
    print("| step | x86-64 instructions a call | Pi 4 estimate |")
    print("|---|---|---|")
    for job in args.jobs.split(","):
        n = max(1, args.n // 5) if job == "wechat" else args.n
        per = _count(job, n) / n
        lo, hi = per / PI_HZ * 1000, 1.5 * per / PI_HZ * 1000
        print(f"| {job} | {per / 1e6:.1f} M | {lo:.1f}–{hi:.1f} ms |", flush=True)


if __name__ == "__main__":
    main()
