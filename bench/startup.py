"""Process start → first decision of `kiosk run` (a replay holding one pass, headless), and what
a separate `kiosk check-config` before it (the unit's former ExecStartPre) added.

.venv/bin/python bench/startup.py [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2

from checkin_protocol.keys import generate_key, write_public_key
from checkin_protocol.kp1 import issue_pass
from kiosk.camera.scenes import Pose, frame, qr_image

CONFIG = """\
venue: {id: bench, name: Bench}
kiosk: {id: k1, direction: entry}
camera: {type: replay, path: frames, fps: 30, loop: true}
display: {mode: headless, width: 1024, height: 600}
trust: {issuer_keys: [issuer.pub], subject_key: subject.key}
storage: {path: kiosk.db}
log_level: warning
"""
ENV = {**os.environ, "SDL_VIDEODRIVER": "dummy", "SDL_AUDIODRIVER": "dummy"}


def venue(folder: Path) -> Path:
    key = generate_key("ES256")
    write_public_key(folder / "issuer.pub", key.public_key())
    now = int(time.time())
    text = issue_pass(key, issuer="bench", masked_name="N*** V** A", valid_until=now + 86400)
    (folder / "frames").mkdir()
    cv2.imwrite(str(folder / "frames" / "0.png"), frame(qr_image(text), Pose(), seed=1))
    path = folder / "venue.yaml"
    path.write_text(CONFIG, encoding="utf-8")
    return path


def first_decision(config: Path, events: Path) -> float:
    """Seconds from starting `kiosk run` to its first decision's line in the event log."""
    events.unlink(missing_ok=True)
    (config.parent / "kiosk.db").unlink(missing_ok=True)
    t0 = time.monotonic()
    cmd = [sys.executable, "-m", "kiosk", "run", "--config", str(config), "--events", str(events)]
    proc = subprocess.Popen(cmd, cwd=config.parent, env=ENV)
    try:
        while not (events.exists() and events.read_text(encoding="utf-8").strip()):
            if proc.poll() is not None or time.monotonic() - t0 > 60:
                raise SystemExit(f"kiosk run ended or hung before deciding (status {proc.poll()})")
            time.sleep(0.005)
        return time.monotonic() - t0
    finally:
        proc.terminate()
        proc.wait(15)


def check_config(config: Path) -> float:
    t0 = time.monotonic()
    subprocess.run(
        [sys.executable, "-m", "kiosk", "check-config", str(config)],
        check=True, capture_output=True, env=ENV,
    )  # fmt: skip
    return time.monotonic() - t0


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--runs", type=int, default=5)
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        config = venue(Path(tmp))
        events = Path(tmp) / "events.jsonl"
        runs = [first_decision(config, events) for _ in range(args.runs)]
        checks = [check_config(config) for _ in range(args.runs)]
    run, check = statistics.median(runs), statistics.median(checks)
    print(f"kiosk run, start → first decision (preflight inside): {run:.2f} s median")
    print(f"a separate check-config process before it added:     {check:.2f} s median")
    print(f"so the unit's start → first decision: {run + check:.2f} s before, {run:.2f} s now")


if __name__ == "__main__":
    main()
