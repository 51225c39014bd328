"""Idle CPU of a headless `kiosk run` on a looping replay of empty 640×480 frames at 30 fps.

.venv/bin/python bench/idle.py [--seconds 20] [--warmup 5]

CPU is the process's utime+stime from /proc/PID/stat over the measured window, as a share of
one core (100 % = one core busy), after a warm-up that leaves out start-up.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2

from checkin_protocol.keys import generate_key, write_public_key
from kiosk.camera.scenes import frame

CONFIG = """\
venue: {{id: bench, name: Bench}}
kiosk: {{id: k1, direction: entry}}
camera: {{type: replay, path: frames, fps: {fps}, loop: true}}
display: {{mode: headless, width: 1024, height: 600}}
trust: {{issuer_keys: [issuer.pub], subject_key: subject.key}}
storage: {{path: kiosk.db}}
log_level: warning
"""


def venue(folder: Path, fps: int, frames: int = 30) -> Path:
    """A venue folder with `frames` empty frames (no code) replayed in a loop."""
    write_public_key(folder / "issuer.pub", generate_key("ES256").public_key())
    (folder / "frames").mkdir()
    for i in range(frames):
        cv2.imwrite(str(folder / "frames" / f"{i:03d}.png"), frame(None, seed=i))
    path = folder / "venue.yaml"
    path.write_text(CONFIG.format(fps=fps), encoding="utf-8")
    return path


def cpu_seconds(pid: int) -> float:
    # Fields 14 and 15 (utime, stime) in clock ticks; the command name may hold spaces.
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(seconds: float, warmup: float, fps: int) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        config = venue(Path(tmp), fps)
        env = {**os.environ, "SDL_VIDEODRIVER": "dummy", "SDL_AUDIODRIVER": "dummy"}
        proc = subprocess.Popen(
            [sys.executable, "-m", "kiosk", "run", "--config", str(config)], cwd=tmp, env=env
        )
        try:
            time.sleep(warmup)
            c0, t0 = cpu_seconds(proc.pid), time.monotonic()
            time.sleep(seconds)
            c1, t1 = cpu_seconds(proc.pid), time.monotonic()
        finally:
            proc.terminate()
            proc.wait(15)
    return 100 * (c1 - c0) / (t1 - t0)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--seconds", type=float, default=20.0)
    p.add_argument("--warmup", type=float, default=5.0)
    p.add_argument("--fps", type=int, default=30)
    args = p.parse_args()
    cpu = measure(args.seconds, args.warmup, args.fps)
    print(f"idle CPU over {args.seconds:g} s at {args.fps} fps: {cpu:.1f} % of one core")


if __name__ == "__main__":
    main()
