"""SIGKILL `kiosk run` at random moments and check that nothing it reported was lost."""

from __future__ import annotations

import json
import random
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from dataclasses import dataclass, field
from pathlib import Path

import cv2

from checkin_protocol.keys import generate_key, write_public_key
from checkin_protocol.kp1 import issue_pass
from checkin_protocol.privacy import mask_name
from kiosk.camera.scenes import Pose, frame, qr_image
from support.processes import killed_child_env


@dataclass
class KillReport:
    kills: int = 0
    reported: set[str] = field(default_factory=set)  # record ids the kiosk said it committed
    stored: int = 0
    problems: list[str] = field(default_factory=list)


def prepare(folder: Path, codes: int = 12) -> Path:
    """A venue whose looping replay shows `codes` different valid passes, each for 2 frames."""
    key = generate_key()
    write_public_key(folder / "issuer.pub", key.public_key())
    frames = folder / "frames"
    frames.mkdir()
    now = int(time.time())
    n = 0
    for i in range(codes):
        text = issue_pass(
            key, issuer="t", masked_name=mask_name(f"Nguyễn Văn {i}"), valid_until=now + 86400
        )
        code = qr_image(text)
        for j in range(2):
            cv2.imwrite(str(frames / f"{n:04d}.png"), frame(code, Pose(angle=4 * j), seed=n))
            n += 1
        cv2.imwrite(str(frames / f"{n:04d}.png"), frame(None, seed=n))
        n += 1
    config = folder / "venue.yaml"
    config.write_text(
        textwrap.dedent(
            """\
            venue: {id: v, name: V}
            kiosk: {id: k, direction: entry}
            camera: {type: replay, path: frames, fps: 60, loop: true}
            decoder: {type: zxing-cpp, repeat_window: 100ms}
            display: {mode: headless, width: 320, height: 240, sound: {enabled: false}}
            trust: {issuer_keys: [issuer.pub], subject_key: subject.key}
            storage: {path: kiosk.db}
            """
        ),
        encoding="utf-8",
    )
    return config


def _lines(path: Path) -> list[str]:
    try:
        return path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return []


def kill_repeatedly(folder: Path, config: Path, kills: int, rng: random.Random) -> KillReport:
    """Start, wait for a new decision, wait a random moment more, SIGKILL; `kills` times."""
    report = KillReport()
    events = folder / "events.jsonl"
    env = killed_child_env()  # every start here ends in a SIGKILL
    for _ in range(kills):
        before = len(_lines(events))
        proc = subprocess.Popen(
            [sys.executable, "-m", "kiosk", "run", "--config", str(config),
             "--events", str(events)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
        )  # fmt: skip
        try:
            deadline = time.monotonic() + 60
            while len(_lines(events)) <= before and time.monotonic() < deadline:
                if proc.poll() is not None:
                    report.problems.append(f"kiosk exited by itself with {proc.returncode}")
                    break
                time.sleep(0.01)
            time.sleep(rng.uniform(0, 0.3))  # somewhere in the middle of the next decisions
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait(30)
        report.kills += 1
    # A line cut by the kill is not a report of a commit; every whole line is.
    for line in _lines(events):
        try:
            record_id = json.loads(line)["record_id"]
        except (ValueError, KeyError):
            continue
        if record_id:
            report.reported.add(record_id)
    con = sqlite3.connect(folder / "kiosk.db")
    try:
        if con.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            report.problems.append("integrity_check failed")
        ids = {r[0] for r in con.execute("SELECT id FROM records")}
        seqs = [r[0] for r in con.execute("SELECT seq FROM records")]
    finally:
        con.close()
    report.stored = len(ids)
    missing = report.reported - ids
    if missing:
        report.problems.append(f"{len(missing)} reported records missing, e.g. {min(missing)}")
    if len(seqs) != len(set(seqs)):
        report.problems.append("sequence numbers repeat")
    return report
