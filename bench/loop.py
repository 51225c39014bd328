"""Frame-to-committed-record latency through the whole `kiosk run` loop, and its peak memory.

Runs the real `kiosk run` (replay camera, zxing-cpp, signature check, policy, SQLite with
synchronous=FULL, headless screen) as a child process on generated camera frames, then reads
the latency of each decision from its --events file and the child's peak RSS from wait4().

    .venv/bin/python bench/loop.py [--codes 150] [--fps 30]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

from checkin_protocol.keys import generate_key, write_public_key
from checkin_protocol.kp1 import issue_pass
from kiosk.camera.scenes import Pose, frame, qr_image

CONFIG = """\
venue: {{id: bench, name: Bench}}
kiosk: {{id: k1}}
camera: {{type: replay, path: frames, fps: {fps}, loop: false}}
display: {{mode: headless, width: 800, height: 480}}
trust: {{issuer_keys: [issuer.pub], subject_key: subject.key}}
storage: {{path: kiosk.db}}
log_level: warning
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--codes", type=int, default=150)
    ap.add_argument("--fps", type=float, default=30)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        key = generate_key()
        write_public_key(root / "issuer.pub", key.public_key())
        (root / "frames").mkdir()
        rng = np.random.default_rng(0)
        n = 0
        for i in range(args.codes):
            text = issue_pass(
                key, issuer="bench", masked_name=f"Khách {i}", valid_until=int(time.time()) + 86400
            )
            pose = Pose(angle=float(rng.uniform(-20, 20)), tilt=float(rng.uniform(0, 0.08)))
            cv2.imwrite(str(root / "frames" / f"{n:05d}.png"), frame(qr_image(text), pose, seed=i))
            cv2.imwrite(str(root / "frames" / f"{n + 1:05d}.png"), frame(None, seed=10_000 + i))
            n += 2
        (root / "venue.yaml").write_text(CONFIG.format(fps=args.fps), encoding="utf-8")
        events = root / "events.jsonl"
        env = {**os.environ, "SDL_VIDEODRIVER": "dummy"}
        t0 = time.monotonic()
        proc = subprocess.Popen(
            [sys.executable, "-m", "kiosk", "run", "--config", str(root / "venue.yaml"),
             "--events", str(events)],
            env=env,
        )  # fmt: skip
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.monotonic() - t0
        lines = [json.loads(x) for x in events.read_text(encoding="utf-8").splitlines()]
        lat = [e["latency_ms"] for e in lines]
        print(
            f"kiosk run: exit {os.waitstatus_to_exitcode(status)}, {n} frames at {args.fps:g} fps"
        )
        passed = sum(e["verdict"] == "PASS" for e in lines)
        print(f"decisions {len(lines)} of {args.codes} codes ({passed} PASS)")
        print(
            f"frame-to-committed-record latency: median {statistics.median(lat):.2f} ms, "
            f"p95 {np.percentile(lat, 95):.2f} ms, max {max(lat):.2f} ms"
        )
        # ru_maxrss is in kilobytes on Linux.
        print(f"peak RSS of kiosk run: {usage.ru_maxrss / 1024:.1f} MB; wall {wall:.1f} s")


if __name__ == "__main__":
    main()
