"""On the Raspberry Pi itself: decode time, frame-to-record latency, CPU and temperature.

For the day someone has a Pi at hand (it cannot run anywhere else: the figures are the Pi's).
With the venue's config (its decoder and its camera's frame size), on generated door-camera
frames at that size, half of them with a pass in view:

1. decode time per frame through the kiosk's own cascade (first pass, full-resolution re-read,
   retries within `decoder.retry_budget`), with and without a code (median, p95);
2. frame → committed record latency through the real `kiosk run` (replay camera in lockstep,
   zxing-cpp, signature check, policy, SQLite synchronous=FULL on this SD card, headless screen),
   from its --events (median, p95, max);
3. for `--minutes`, the same `kiosk run` paced as a camera delivers (realtime at the camera's
   fps): the kiosk's CPU (one core = 100 %), the whole machine's, the SoC temperature and
   whether the firmware throttled (vcgencmd get_throttled), sampled every 5 s.

Prints one table to paste into the README.

    .venv/bin/python bench/pi.py [--config /etc/qr-kiosk/venue.yaml] [--minutes 10]
                                 [--frames 200] [--work /var/tmp]

`--work` is where the kiosk's database goes for the run: on the SD card (as the door's), not
a tmpfs, so that the fsync of each commit is counted. Nothing of the venue's state is touched.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import signal
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
from kiosk.config import Config, Picamera2CameraConfig, ReplayCameraConfig, load_config
from kiosk.decode import build_decoder
from kiosk.decode.cascade import decode_frame

CONFIG = """\
venue: {{id: pi-bench, name: Pi bench}}
kiosk: {{id: k1}}
camera: {{type: replay, path: frames, fps: {fps}, loop: {loop}, pace: {pace}}}
decoder: {decoder}
display: {{mode: headless, width: 800, height: 480}}
trust: {{issuer_keys: [issuer.pub]}}
storage: {{path: kiosk.db}}
log_level: warning
"""


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


def frame_size(cfg: Config) -> tuple[int, int]:
    """The size of the frames the venue's camera hands the decoder."""
    cam = cfg.camera
    if isinstance(cam, Picamera2CameraConfig):
        return cam.lores_size
    if isinstance(cam, ReplayCameraConfig):
        return 640, 480
    width, height = getattr(cam, "width", 640), getattr(cam, "height", 480)
    return int(width), int(height)


def camera_fps(cfg: Config) -> float:
    return float(getattr(cfg.camera, "fps", 30.0))


def make_frames(folder: Path, key_folder: Path, size: tuple[int, int], count: int) -> None:
    key = generate_key()
    write_public_key(key_folder / "issuer.pub", key.public_key())
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    until = int(time.time()) + 30 * 86400
    for i in range(count // 2):
        text = issue_pass(key, issuer="pi-bench", masked_name=f"Khách {i}", valid_until=until)
        pose = Pose(angle=float(rng.uniform(-20, 20)), tilt=float(rng.uniform(0, 0.08)))
        cv2.imwrite(
            str(folder / f"{2 * i:05d}.png"), frame(qr_image(text), pose, size=size, seed=i)
        )
        cv2.imwrite(str(folder / f"{2 * i + 1:05d}.png"), frame(None, size=size, seed=10_000 + i))


def decode_times(cfg: Config, frames: Path) -> tuple[list[float], list[float], int]:
    """Milliseconds per frame with a code and without; codes read."""
    decoder = build_decoder(cfg.decoder)
    with_code: list[float] = []
    without: list[float] = []
    read = 0
    for path in sorted(frames.iterdir()):
        luma = np.asarray(cv2.imread(str(path), cv2.IMREAD_GRAYSCALE), dtype=np.uint8)
        has_code = int(path.stem) % 2 == 0
        decode_frame(decoder, luma, luma)  # warm: caches, the retries' learnt costs
        t0 = time.perf_counter()
        symbols = decode_frame(decoder, luma, luma)
        ms = (time.perf_counter() - t0) * 1000
        (with_code if has_code else without).append(ms)
        read += has_code and any(s.error is None for s in symbols)
    return with_code, without, read


def kiosk(work: Path, cfg: Config, *, pace: str, loop: bool) -> subprocess.Popen[bytes]:
    # The venue's decoder as it loaded; its durations (seconds) written back with their unit.
    settings = {
        k: f"{v}s" if k in ("repeat_window", "retry_budget") else v
        for k, v in cfg.decoder.model_dump(mode="json").items()
    }
    decoder = json.dumps(settings)
    (work / "venue.yaml").write_text(
        CONFIG.format(fps=camera_fps(cfg), loop=str(loop).lower(), pace=pace, decoder=decoder),
        encoding="utf-8",
    )
    env = {**os.environ, "SDL_VIDEODRIVER": "dummy", "SDL_AUDIODRIVER": "dummy"}
    events = work / "events.jsonl"
    events.unlink(missing_ok=True)
    with (work / "kiosk.log").open("ab") as log:  # the child keeps its own descriptor
        return subprocess.Popen(
            [sys.executable, "-m", "kiosk", "run", "--config", str(work / "venue.yaml"),
             "--events", str(events)],
            cwd=work, env=env, stderr=log,
        )  # fmt: skip


def latencies(work: Path) -> list[float]:
    events = work / "events.jsonl"
    if not events.exists():
        log = (work / "kiosk.log").read_text(encoding="utf-8", errors="replace")
        raise SystemExit(f"kiosk run decided nothing; its log:\n{log[-3000:]}")
    lines = events.read_text(encoding="utf-8").splitlines()
    return [float(json.loads(line)["latency_ms"]) for line in lines]


def cpu_ticks(pid: int | None = None) -> float:
    """Seconds of CPU: the process's (utime + stime) or, without a pid, the machine's busy."""
    hz = os.sysconf("SC_CLK_TCK")
    if pid is not None:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / hz
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return (sum(values) - idle) / hz


def temperature() -> float | None:
    try:
        return int(Path("/sys/class/thermal/thermal_zone0/temp").read_text()) / 1000
    except (OSError, ValueError):
        return None


def throttled() -> str:
    """The firmware's throttling flags since boot (0x0: never), or why they are unknown."""
    if shutil.which("vcgencmd") is None:
        return "n/a (no vcgencmd)"
    out = subprocess.run(["vcgencmd", "get_throttled"], capture_output=True, text=True, timeout=5)
    return out.stdout.strip().removeprefix("throttled=") or out.stderr.strip()


def soak(work: Path, cfg: Config, minutes: float) -> dict[str, list[float]]:
    proc = kiosk(work, cfg, pace="realtime", loop=True)
    samples: dict[str, list[float]] = {"kiosk_cpu": [], "machine_cpu": [], "temp": []}
    try:
        time.sleep(10)  # started, the camera delivering
        last = (time.monotonic(), cpu_ticks(proc.pid), cpu_ticks())
        end = time.monotonic() + minutes * 60
        while time.monotonic() < end and proc.poll() is None:
            time.sleep(5)
            now = (time.monotonic(), cpu_ticks(proc.pid), cpu_ticks())
            wall = now[0] - last[0]
            samples["kiosk_cpu"].append(100 * (now[1] - last[1]) / wall)
            samples["machine_cpu"].append(100 * (now[2] - last[2]) / wall / (os.cpu_count() or 1))
            t = temperature()
            if t is not None:
                samples["temp"].append(t)
            last = now
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(60)
    samples["decisions"] = [float(len(latencies(work)))]
    return samples


def spread(values: list[float], unit: str) -> str:
    if not values:
        return "n/a"
    return f"{min(values):.1f} / {statistics.mean(values):.1f} / {max(values):.1f} {unit}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--config", type=Path, default=Path("/etc/qr-kiosk/venue.yaml"))
    ap.add_argument("--minutes", type=float, default=10.0, help="the CPU and temperature run")
    ap.add_argument("--frames", type=int, default=200, help="frames generated, half with a code")
    # /var/tmp: on the SD card on Pi OS (/tmp may be a tmpfs); mkdtemp makes a private folder.
    ap.add_argument("--work", type=Path, default=Path("/var/tmp"), help="on the SD card")  # noqa: S108
    args = ap.parse_args()
    cfg = load_config(args.config)
    size = frame_size(cfg)
    model = Path("/proc/device-tree/model")
    board = model.read_text().strip("\0\n") if model.exists() else platform.machine()
    work = Path(tempfile.mkdtemp(prefix="pi-bench-", dir=args.work))
    try:
        make_frames(work / "frames", work, size, args.frames)
        with_code, without, read = decode_times(cfg, work / "frames")
        proc = kiosk(work, cfg, pace="lockstep", loop=False)
        proc.wait(600)
        lat = latencies(work)
        (work / "kiosk.db").unlink(missing_ok=True)
        run = soak(work, cfg, args.minutes)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    rows = [
        ("board", board),
        ("Python, machine", f"{platform.python_version()}, {platform.machine()}"),
        ("decoder", f"{cfg.decoder.type} (retries {getattr(cfg.decoder, 'retries', '-')})"),
        ("frame size", f"{size[0]}×{size[1]}"),
        ("decode, frame with a code (median / p95)",
         f"{statistics.median(with_code):.1f} / {pct(with_code, 95):.1f} ms"),
        ("decode, frame without (median / p95)",
         f"{statistics.median(without):.1f} / {pct(without, 95):.1f} ms"),
        ("codes read", f"{read} of {len(with_code)}"),
        ("frame → committed record (median / p95 / max)",
         f"{statistics.median(lat):.1f} / {pct(lat, 95):.1f} / {max(lat):.1f} ms"
         if lat else "no decision"),
        (f"kiosk CPU at {camera_fps(cfg):g} fps, {args.minutes:g} min (min / mean / max)",
         spread(run["kiosk_cpu"], "% of a core")),
        ("machine CPU (min / mean / max)", spread(run["machine_cpu"], "%")),
        ("SoC temperature (min / mean / max)", spread(run["temp"], "°C")),
        ("decisions in the run", f"{run['decisions'][0]:.0f}"),
        ("throttled since boot (vcgencmd)", throttled()),
    ]  # fmt: skip
    print("| on the Pi | figure |\n|---|---|")
    for name, value in rows:
        print(f"| {name} | {value} |")


if __name__ == "__main__":
    main()
