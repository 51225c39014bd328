"""Soak: does a door's memory level off? Two real doors with LAN peers and a real registry.

Runs the real registry (`python -m registry serve`, SQLite) and two real `kiosk run`s (doors
`a`, entry, and `b`, exit; replay camera in lockstep, so each decides as fast as it can;
headless screen; peers on loopback; sync to the registry) for `--minutes`, and samples each
door's RSS, Python heap (tracemalloc, started by this script's own wrapper around `kiosk run`,
see `--heap`), open file descriptors and threads every `--every` seconds. After `--warmup` (a
fraction of the run), a least-squares line through the samples gives the growth per decision
and per hour, and the year at 2,000 decisions a day it projects.

    .venv/bin/python bench/soak.py [--minutes 12] [--every 10] [--warmup 0.3] [--codes 80]
                                   [--heap a] [--top 0] [--source DIR] [--json FILE]
                                   [--env NAME=VALUE]... [--no-peers]

`--source DIR` runs the doors from another checkout (PYTHONPATH=DIR), e.g. a `git archive` of
an older commit, to compare before and after with the same bench. tracemalloc slows a door
and adds its own memory (reported, and left out of the heap figure): by default only door a
runs with it, so that door b's RSS is what a door in service has. `--top S` also writes the
allocation sites that grew most (tracemalloc snapshots diffed) every S seconds, at the cost
of RSS steps at each snapshot.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import tracemalloc
from dataclasses import dataclass, field
from pathlib import Path

DOORS = {"a": "entry", "b": "exit"}
YEAR = 2000 * 365  # decisions in a year at 2,000 a day

CONFIG = """\
venue: {{id: soak, name: Soak}}
kiosk: {{id: {door}, direction: {direction}}}
camera: {{type: replay, path: ../frames, fps: 240, loop: true, pace: lockstep}}
decoder: {{type: zxing-cpp, repeat_window: 0.2s}}
display: {{mode: headless, width: 800, height: 480}}
trust: {{issuer_keys: [../issuer.pub]}}
storage: {{path: kiosk.db}}
registry: {{url: "{url}", token_file: kiosk.token, list_key: ../lists.pub, sync_interval: 1s,
  heartbeat_interval: 30s, list_refresh: 60s}}
log_level: warning
"""
PEERS = """\
peers: {{listen: "127.0.0.1:{port}", addresses: ["127.0.0.1:{other}"],
  secret_file: ../venue.secret}}
"""


# ------------------------------------------------------------------ inside a door (--child)


def child(heap_file: str, every: float, top: float, argv: list[str]) -> int:
    """`kiosk ARGV` with tracemalloc on, its traced size written to `heap_file` periodically.

    A wrapper rather than anything in the kiosk: its classes carry no measuring hooks."""
    tracemalloc.start(1)

    def sample() -> None:
        # With `top`: what grew, the allocation sites with the most growth since a snapshot
        # taken once the door is warm, rewritten every `top` seconds (heap-top.txt beside
        # heap_file). A snapshot copies every trace into Python objects, tens of MB that the
        # allocator keeps: each one raises the RSS in a step, so RSS figures of such a run
        # are not the door's.
        first = None
        top_file = Path(heap_file).with_name("heap-top.txt")
        next_top = time.monotonic() + 60.0 if top > 0 else float("inf")
        with open(heap_file, "a", encoding="utf-8") as fh:
            while True:
                current, _ = tracemalloc.get_traced_memory()
                own = tracemalloc.get_tracemalloc_memory()
                fh.write(json.dumps({"t": time.time(), "heap": current, "own": own}) + "\n")
                fh.flush()
                if time.monotonic() >= next_top:
                    snap = tracemalloc.take_snapshot()
                    if first is None:
                        first = snap
                    else:
                        stats = snap.compare_to(first, "lineno")[:25]
                        top_file.write_text("\n".join(str(s) for s in stats) + "\n")
                    next_top = time.monotonic() + top
                time.sleep(every)

    threading.Thread(target=sample, name="soak-heap", daemon=True).start()
    from kiosk.cli import main as kiosk_main

    return kiosk_main(argv)


# ------------------------------------------------------------------ the venue


def write_private(path: Path, text: str) -> None:
    path.write_text(text)
    path.chmod(0o600)


def make_frames(root: Path, codes: int) -> None:
    import cv2
    import numpy as np

    from checkin_protocol.keys import generate_key, write_public_key
    from checkin_protocol.kp1 import issue_pass
    from kiosk.camera.scenes import Pose, frame, qr_image

    key = generate_key()
    write_public_key(root / "issuer.pub", key.public_key())
    (root / "frames").mkdir()
    rng = np.random.default_rng(0)
    until = int(time.time()) + 30 * 86400
    for i in range(codes):
        text = issue_pass(key, issuer="soak", masked_name=f"Khách {i}", valid_until=until)
        pose = Pose(angle=float(rng.uniform(-15, 15)))
        cv2.imwrite(str(root / "frames" / f"{2 * i:05d}.png"), frame(qr_image(text), pose, seed=i))
        # An empty frame between codes: the code left the view, as at a real door.
        cv2.imwrite(str(root / "frames" / f"{2 * i + 1:05d}.png"), frame(None, seed=10_000 + i))


def free_port(kind: int = 1) -> int:
    import socket

    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_registry(root: Path) -> tuple[subprocess.Popen[bytes], str, dict[str, str]]:
    import requests

    from registry.service import Registry
    from registry.settings import Settings

    data, url = root / "registry", f"sqlite:///{root / 'registry.db'}"
    reg = Registry(Settings(data_dir=data, database_url=url))
    reg.init()
    reg.add_venue("soak", "Soak")
    tokens = {door: reg.add_kiosk("soak", door) for door in DOORS}
    reg.engine.dispose()
    (root / "lists.pub").write_bytes((data / "keys" / "lists.pub").read_bytes())
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "registry", "--data", str(data), "--db", url, "serve",
         "--port", str(port)],
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            requests.get(base + "/", timeout=1)
            return proc, base, tokens
        except requests.ConnectionError:
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError("the registry did not start")


# ------------------------------------------------------------------ sampling


@dataclass
class Door:
    name: str
    folder: Path
    proc: subprocess.Popen[bytes]
    heap_file: Path | None
    samples: list[dict[str, float]] = field(default_factory=list)
    _events_at: int = 0
    _decisions: int = 0

    def decisions(self) -> int:
        events = self.folder / "events.jsonl"
        try:
            with events.open("rb") as fh:
                fh.seek(self._events_at)
                chunk = fh.read()
        except OSError:
            return self._decisions
        end = chunk.rfind(b"\n") + 1
        self._decisions += chunk[:end].count(b"\n")
        self._events_at += end
        return self._decisions

    def heap(self) -> tuple[float, float] | None:
        if self.heap_file is None or not self.heap_file.exists():
            return None
        lines = self.heap_file.read_text().splitlines()
        if not lines:
            return None
        last = json.loads(lines[-1])
        return float(last["heap"]), float(last["own"])

    def sample(self, t: float) -> None:
        pid = self.proc.pid
        status = Path(f"/proc/{pid}/status").read_text()
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        row = {
            "t": t,
            "decisions": float(self.decisions()),
            "rss": int(fields["VmRSS"].split()[0]) * 1024.0,
            "threads": float(fields["Threads"]),
            "fds": float(len(os.listdir(f"/proc/{pid}/fd"))),
        }
        heap = self.heap()
        if heap is not None:
            row["heap"], row["tracemalloc_own"] = heap
        self.samples.append(row)


def slope(xs: list[float], ys: list[float]) -> float:
    """Least-squares slope of ys over xs (0 with fewer than 3 points or no spread)."""
    if len(xs) < 3 or max(xs) == min(xs):
        return 0.0
    return statistics.linear_regression(xs, ys).slope


def summarise(door: Door, warmup: float) -> dict[str, float]:
    rows = door.samples
    start = rows[0]["t"] + warmup * (rows[-1]["t"] - rows[0]["t"])
    after = [r for r in rows if r["t"] >= start]
    t = [r["t"] for r in after]
    d = [r["decisions"] for r in after]
    out = {
        "decisions": rows[-1]["decisions"],
        "per_second": rows[-1]["decisions"] / max(1e-9, rows[-1]["t"] - rows[0]["t"]),
        "rss_start_mb": rows[0]["rss"] / 2**20,
        "rss_warm_mb": after[0]["rss"] / 2**20,
        "rss_end_mb": rows[-1]["rss"] / 2**20,
        "rss_per_decision": slope(d, [r["rss"] for r in after]),
        "rss_mb_per_hour": slope(t, [r["rss"] for r in after]) * 3600 / 2**20,
        "fds_warm": after[0]["fds"],
        "fds_end": rows[-1]["fds"],
        "threads_warm": after[0]["threads"],
        "threads_end": rows[-1]["threads"],
    }
    # The second half of the warm part against the first: a plateau has a smaller slope late.
    half = len(after) // 2
    out["rss_per_decision_late"] = slope(d[half:], [r["rss"] for r in after[half:]])
    if all("heap" in r for r in after):
        heap = [r["heap"] for r in after]
        out["heap_per_decision"] = slope(d, heap)
        out["heap_end_mb"] = heap[-1] / 2**20
        out["tracemalloc_own_mb"] = after[-1]["tracemalloc_own"] / 2**20
    out["year_mb"] = max(0.0, out["rss_per_decision"]) * YEAR / 2**20
    return out


def table(
    results: dict[str, dict[str, float]], minutes: float, heap: list[str], peers: bool
) -> str:
    lines = [
        f"soak: {minutes:g} min, doors a (entry) and b (exit) "
        f"{'with LAN peers' if peers else 'without peers'}, headless, sync to "
        f"a real registry (SQLite); tracemalloc in: {', '.join(heap) or 'none'}",
        "",
        "| door | decisions | per s | RSS start → warm → end (MB) | RSS B/decision (late half) "
        "| RSS MB/h | heap B/decision | fds | threads | year at 2,000/day |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, r in results.items():
        heap_b = f"{r['heap_per_decision']:.0f}" if "heap_per_decision" in r else "—"
        lines.append(
            f"| {name} | {r['decisions']:.0f} | {r['per_second']:.2f} "
            f"| {r['rss_start_mb']:.1f} → {r['rss_warm_mb']:.1f} → {r['rss_end_mb']:.1f} "
            f"| {r['rss_per_decision']:.0f} ({r['rss_per_decision_late']:.0f}) "
            f"| {r['rss_mb_per_hour']:+.2f} | {heap_b} | {r['fds_warm']:.0f} → {r['fds_end']:.0f} "
            f"| {r['threads_warm']:.0f} → {r['threads_end']:.0f} "
            f"| {r['year_mb']:.0f} MB |"
        )
    return "\n".join(lines)


# ------------------------------------------------------------------ the run


def start_door(
    root: Path, name: str, url: str, token: str, ports: dict[str, int], env: dict[str, str],
    heap: list[str], every: float, top: float, peers: bool,
) -> Door:  # fmt: skip
    folder = root / name
    folder.mkdir()
    write_private(folder / "kiosk.token", token)
    other = next(d for d in DOORS if d != name)
    text = CONFIG + (PEERS if peers else "")
    (folder / "venue.yaml").write_text(
        text.format(door=name, direction=DOORS[name], url=url, port=ports[name],
                    other=ports[other]), encoding="utf-8",
    )  # fmt: skip
    kiosk = ["run", "--config", str(folder / "venue.yaml"), "--events",
             str(folder / "events.jsonl")]  # fmt: skip
    heap_file = folder / "heap.jsonl" if name in heap else None
    if heap_file is not None:
        command = [sys.executable, __file__, "--child", str(heap_file), "--every", str(every),
                   "--top", str(top), "--", *kiosk]  # fmt: skip
    else:
        command = [sys.executable, "-m", "kiosk", *kiosk]
    with (folder / "log").open("wb") as log:  # the child has its own copy of the descriptor
        proc = subprocess.Popen(command, cwd=folder, env=env, stderr=log)
    return Door(name, folder, proc, heap_file)


def watch(doors: dict[str, Door], minutes: float, every: float, verbose: bool) -> None:
    t0 = time.monotonic()
    end = t0 + minutes * 60
    while time.monotonic() < end:
        time.sleep(every)
        for door in doors.values():
            if door.proc.poll() is not None:
                raise RuntimeError(f"door {door.name} ended: {door.proc.returncode}")
            door.sample(time.monotonic() - t0)
        if verbose:
            print(" ".join(f"{d.name}: {d.samples[-1]['decisions']:.0f} decisions, "
                           f"{d.samples[-1]['rss'] / 2**20:.1f} MB" for d in doors.values()),
                  flush=True)  # fmt: skip


def stop(doors: dict[str, Door], registry: subprocess.Popen[bytes]) -> None:
    for door in doors.values():
        if door.proc.poll() is None:
            door.proc.send_signal(signal.SIGTERM)
    for door in doors.values():
        try:
            door.proc.wait(60)
        except subprocess.TimeoutExpired:
            door.proc.kill()
    registry.terminate()
    registry.wait(30)


def run(args: argparse.Namespace) -> dict[str, dict[str, float]]:
    heap = [d for d in args.heap.split(",") if d]
    root = Path(tempfile.mkdtemp(prefix="soak-"))
    make_frames(root, args.codes)
    write_private(root / "venue.secret", os.urandom(24).hex())
    registry, url, tokens = start_registry(root)
    ports = {door: free_port(2) for door in DOORS}
    env = {**os.environ, "SDL_VIDEODRIVER": "dummy", "SDL_AUDIODRIVER": "dummy"}
    if args.source:
        env["PYTHONPATH"] = str(Path(args.source).resolve())
    env.update(dict(item.split("=", 1) for item in args.env))
    doors: dict[str, Door] = {}
    try:
        for name in DOORS:
            doors[name] = start_door(
                root, name, url, tokens[name], ports, env, heap, args.every, args.top,
                not args.no_peers,
            )  # fmt: skip
        watch(doors, args.minutes, args.every, args.verbose)
    finally:
        stop(doors, registry)
    results = {name: summarise(door, args.warmup) for name, door in doors.items()}
    print(table(results, args.minutes, heap, not args.no_peers))
    if args.json:
        samples = {name: door.samples for name, door in doors.items()}
        Path(args.json).write_text(json.dumps({"results": results, "samples": samples}, indent=1))
    print(f"(files in {root})")
    return results


def main() -> None:
    if "--child" in sys.argv:
        at = sys.argv.index("--child")
        heap_file, every = sys.argv[at + 1], float(sys.argv[sys.argv.index("--every") + 1])
        top = float(sys.argv[sys.argv.index("--top") + 1])
        raise SystemExit(child(heap_file, every, top, sys.argv[sys.argv.index("--") + 1 :]))
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--minutes", type=float, default=12.0, help="how long the doors run")
    ap.add_argument("--every", type=float, default=10.0, help="seconds between samples")
    ap.add_argument("--warmup", type=float, default=0.3, help="fraction of the run left out")
    ap.add_argument("--codes", type=int, default=80, help="distinct passes in the replay")
    ap.add_argument("--heap", default="a", help="doors run with tracemalloc (a,b / a / '')")
    ap.add_argument(
        "--top",
        type=float,
        default=0.0,
        help="seconds between heap-top.txt snapshots (0: none; they raise RSS)",
    )
    ap.add_argument("--source", help="run the doors from this checkout (PYTHONPATH)")
    ap.add_argument("--json", help="write the results and every sample here")
    ap.add_argument("--no-peers", action="store_true", help="two doors that do not talk")
    ap.add_argument(
        "--env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="set in both doors' environment (e.g. MALLOC_ARENA_MAX=2)",
    )
    ap.add_argument("--verbose", action="store_true", help="print each sample")
    run(ap.parse_args())


if __name__ == "__main__":
    main()
