"""`kiosk run` as systemd runs it: a stop signal at any moment ends it cleanly; one per database."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import pytest

from kiosk.camera.scenes import Pose, frame, qr_image
from kiosk.runtime.signals import IGNORED_SIGNALS, LEFT_ALONE, STOP_SIGNALS
from kiosk.store.lock import InstanceLock
from support.timing import wait_for

ENV = {**os.environ, "SDL_VIDEODRIVER": "dummy", "SDL_AUDIODRIVER": "dummy"}


def spawn(config: Path, events: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "kiosk", "run", "--config", str(config), "--events", str(events)],
        stderr=subprocess.PIPE,
        text=True,
        env=ENV,
    )


def catches(pid: int, signum: int = signal.SIGHUP) -> bool:
    """The process has a handler for `signum` (its SigCgt mask, as the kernel reports it).

    SIGHUP by default: the kiosk installs its handlers together, and Python catches none
    of them but SIGINT itself, from its own start, before any of the kiosk's code runs."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    caught = int(
        next(line for line in status.splitlines() if line.startswith("SigCgt:")).split()[1], 16
    )
    return bool(caught >> (signum - 1) & 1)


@pytest.fixture
def looping(
    write_config: Callable[..., Path], venue_dir: Path, make_pass: Callable[..., str]
) -> Path:
    for i, payload in enumerate([make_pass(), None, None, make_pass("Lê Văn Bình"), None]):
        code = qr_image(payload) if payload else None
        cv2.imwrite(str(venue_dir / "frames" / f"{i:04d}.png"), frame(code, Pose(), seed=i))
    return write_config(camera="{type: replay, path: frames, fps: 20, loop: true}")


SIGNALS = [signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGQUIT]
# The warnings that the end is near: tested while deciding only (the start-up moments are
# the same code path as SIGTERM's).
WARNINGS = [signal.SIGXCPU, signal.SIGPWR]


def test_every_signal_is_a_stop_ignored_or_left_alone_for_a_reason() -> None:
    # A signal the platform has that none of the lists names would take its default, which
    # for most is death without clean-up (SIGALRM: exit 142, the relay not released).
    lists = [set(STOP_SIGNALS), set(IGNORED_SIGNALS), set(LEFT_ALONE)]
    assert sum(len(s) for s in lists) == len(set().union(*lists))  # each in one list only
    assert set().union(*lists) == set(signal.valid_signals())


@pytest.mark.slow
@pytest.mark.parametrize("signum", SIGNALS, ids=lambda s: signal.Signals(s).name)
def test_a_stop_signal_at_any_moment_ends_the_kiosk_cleanly(
    looping: Path, venue_dir: Path, signum: int
) -> None:
    # One test per signal (they balance across the suite's workers), each sent at three
    # moments: from the instant the kiosk can catch it (its first line; before that the
    # interpreter itself is starting), early (configuration, imports, the screen and camera
    # starting), and at a random later moment while it opens the camera and the screen (a
    # kiosk that is deciding is signalled by the test below); always on one database.
    rng = random.Random(20261123 + signum)
    moments = [0.0, rng.uniform(0, 0.5), rng.uniform(0.5, 2.0)]
    db = venue_dir / "kiosk.db"
    events = venue_dir / "events.jsonl"
    name = signal.Signals(signum).name
    for moment in moments:
        proc = spawn(looping, events)
        pid = proc.pid
        try:
            assert wait_for(lambda p=pid: catches(p), 60)  # type: ignore[misc]
            time.sleep(moment)
            proc.send_signal(signum)
            status = proc.wait(60)
        finally:
            if proc.poll() is None:
                proc.kill()
        assert proc.stderr is not None
        log = proc.stderr.read()
        assert status == 0, f"{name} after {moment:.2f} s: exit {status}\n{log}"
        assert "Traceback" not in log and "Fatal Python error" not in log, log
        with sqlite3.connect(db) as con:
            assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    # Every decision reported in the events was committed (none lost to a signal). Whether
    # any was reported depends on how far the kiosk got, i.e. on the machine's speed; the
    # test below signals only after a decision.
    reported = events.read_text().count('"record_id": "') if events.exists() else 0
    if reported:
        with sqlite3.connect(db) as con:
            assert con.execute("SELECT COUNT(*) FROM records").fetchone()[0] >= reported


@pytest.mark.slow
def test_a_second_kiosk_on_the_same_database_exits_3_and_the_first_runs_on(
    looping: Path, venue_dir: Path
) -> None:
    events = venue_dir / "events.jsonl"
    first = spawn(looping, events)
    try:
        assert wait_for(lambda: events.exists() and events.read_text().count("\n") >= 1, 60)
        second = subprocess.run(
            [sys.executable, "-m", "kiosk", "run", "--config", str(looping)],
            capture_output=True,
            text=True,
            env=ENV,
            timeout=120,
        )
        assert second.returncode == 3, second.stderr
        assert f"another kiosk (pid {first.pid}) is running" in second.stderr
        assert first.poll() is None  # the first one is not disturbed
        first.send_signal(signal.SIGTERM)
        assert first.wait(60) == 0
    finally:
        if first.poll() is None:
            first.kill()
    # One kiosk, one record per decision; and the lock went with the process.
    with sqlite3.connect(venue_dir / "kiosk.db") as con:
        assert con.execute("SELECT COUNT(*) FROM records").fetchone()[0] == len(
            events.read_text().splitlines()
        )
    with InstanceLock(venue_dir / "kiosk.db"):
        pass


@pytest.mark.slow
@pytest.mark.parametrize("signum", SIGNALS + WARNINGS, ids=lambda s: signal.Signals(s).name)
def test_a_stop_signal_while_deciding_ends_cleanly_with_every_decision_kept(
    looping: Path, venue_dir: Path, signum: int
) -> None:
    # Mid-run: the screen is up, so pygame-ce and SDL have started and had their chance
    # to put their own handlers (pygame's SIGQUIT "parachute" aborts the process) in place.
    events = venue_dir / "events.jsonl"
    proc = spawn(looping, events)
    try:
        assert wait_for(lambda: events.exists() and events.read_text().count("\n") >= 1, 60)
        proc.send_signal(signum)
        status = proc.wait(60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.stderr is not None
    log = proc.stderr.read()
    assert status == 0, log
    assert f"signal {signum}: stopping" in log and "Traceback" not in log
    with sqlite3.connect(venue_dir / "kiosk.db") as con:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        stored = con.execute("SELECT COUNT(*) FROM records").fetchone()[0]
    assert stored == len(events.read_text().splitlines())


def lines(path: Path) -> int:
    return path.read_text().count("\n") if path.exists() else 0


@pytest.mark.slow
def test_every_ignored_signal_leaves_the_kiosk_deciding_and_a_stop_then_ends_it_cleanly(
    looping: Path, venue_dir: Path
) -> None:
    events = venue_dir / "events.jsonl"
    proc = spawn(looping, events)
    pid = proc.pid
    try:
        assert wait_for(lambda: lines(events) >= 1, 60)
        # Handlers for all of them, put back after pygame and SDL started (a handler that a
        # library replaced would show as not caught).
        missing = [s for s in (*STOP_SIGNALS, *IGNORED_SIGNALS) if not catches(pid, s)]
        assert not missing, [signal.strsignal(s) for s in missing]
        for signum in IGNORED_SIGNALS:
            proc.send_signal(signum)
        # A fatal signal kills the process as it is sent; a decision recorded after the last
        # one was sent shows the kiosk lived through every one and still decides.
        seen = lines(events)
        assert wait_for(lambda: lines(events) > seen or proc.poll() is not None, 60)
        assert proc.poll() is None, f"died with {proc.returncode}"
        proc.send_signal(signal.SIGTERM)
        status = proc.wait(60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.stderr is not None
    log = proc.stderr.read()
    assert status == 0, log
    assert "Traceback" not in log
    for signum in IGNORED_SIGNALS:
        assert f"signal {signum}: ignored" in log
    with sqlite3.connect(venue_dir / "kiosk.db") as con:
        stored = con.execute("SELECT COUNT(*) FROM records").fetchone()[0]
    assert stored == lines(events)
