"""`kiosk run` end to end: replay camera → loop → SQLite → headless screen, and its failures."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

from kiosk.app.kiosk import Kiosk, RunOptions
from kiosk.config import load_config
from kiosk.decision.outcome import Outcome
from kiosk.decode import Decoder, Symbol, build_decoder
from kiosk.display.screen import Screen
from kiosk.display.views import ErrorView, View
from kiosk.store import RecordStore
from support.kiosk_run import fill_frames, run_in_thread
from support.timing import wait_for

LOCKSTEP = "{type: replay, path: frames, fps: 25, loop: false, pace: lockstep}"


def test_run_decides_records_and_exits_after_a_non_looping_replay(
    write_config: Callable[..., Path], venue_dir: Path, make_pass: Callable[..., str]
) -> None:
    fill_frames(
        venue_dir / "frames", [make_pass("Lê Văn Bình"), None, "not a pass", None, make_pass()]
    )
    # Lockstep: every frame is decided however busy the machine is, so the five frames of
    # each code are all seen (and four of each suppressed as repeats).
    cfg = load_config(write_config(camera=LOCKSTEP))
    db_path = cfg.storage.path
    committed_when_shown: list[bool] = []

    def on_show(o: Outcome) -> None:
        # The verdict is about to appear: its record must already be in the database,
        # visible to another connection (committed, not just written).
        assert o.record is not None
        con = sqlite3.connect(db_path)
        committed_when_shown.append(
            con.execute("SELECT 1 FROM records WHERE id=?", (o.record.id,)).fetchone() is not None
        )
        con.close()

    events = venue_dir / "events.jsonl"
    kiosk = Kiosk(cfg, RunOptions(events=events, observers=[on_show]))
    assert kiosk.run() == 0
    lines = [json.loads(line) for line in events.read_text(encoding="utf-8").splitlines()]
    assert [(e["verdict"], e["reason"]) for e in lines] == [
        ("PASS", None),
        ("FAIL", "not_personal_code"),
        ("PASS", None),
    ]
    assert committed_when_shown == [True, True, True]
    first = lines[0]
    assert set(first) == {
        "time",
        "verdict",
        "reason",
        "code_kind",
        "verified",
        "subject",
        "record_id",
        "source",
        "latency_ms",
    }
    assert first["code_kind"] == "signed_pass" and first["verified"] is True
    assert first["source"] == "camera"
    assert first["subject"].startswith("pass:") and first["subject"].endswith("…")
    assert 0 < first["latency_ms"] < 5000
    con = sqlite3.connect(db_path)
    assert {r[0] for r in con.execute("SELECT id FROM records")} == {e["record_id"] for e in lines}
    assert kiosk.stats == {"frames": 25, "dropped": 0, "suppressed": 12}
    assert [o.record.id for o in kiosk.outcomes if o.record] == [e["record_id"] for e in lines]


def test_missing_camera_shows_out_of_order(write_config: Callable[..., Path]) -> None:
    cfg = load_config(
        write_config(
            camera="{type: opencv, device: /dev/video99, frame_timeout: 500ms, "
            "reopen_interval: 100ms}"
        )
    )
    kiosk = Kiosk(cfg)
    t = run_in_thread(kiosk)
    try:
        assert wait_for(lambda: isinstance(kiosk.view, ErrorView))
        assert isinstance(kiosk.view, ErrorView) and kiosk.view.key == "error.camera"
        assert "no camera" in kiosk.view.detail
    finally:
        kiosk.stop.set()
        t.join(5)
    assert not t.is_alive()


def test_unwritable_storage_shows_an_error_and_does_not_crash(
    write_config: Callable[..., Path], venue_dir: Path, make_pass: Callable[..., str]
) -> None:
    fill_frames(venue_dir / "frames", [make_pass()])
    (venue_dir / "blocked").write_text("")
    path = write_config()
    path.write_text(
        path.read_text().replace("storage: {path: kiosk.db}", "storage: {path: blocked/kiosk.db}")
    )
    path.write_text(path.read_text().replace("loop: false}", "loop: false, pace: lockstep}"))
    events = venue_dir / "events.jsonl"
    kiosk = Kiosk(load_config(path), RunOptions(screenshot_dir=venue_dir / "shots", events=events))
    assert kiosk.run() == 0
    assert sorted(p.name for p in (venue_dir / "shots").iterdir())[0] == "001-ERROR-signed_pass.png"
    # Each frame of the code was tried (so a recovered disk is used at once), none recorded.
    assert len(kiosk.outcomes) == 5
    assert all(o.error and "cannot open" in o.error and o.record is None for o in kiosk.outcomes)
    # The event log gives no verdict for a decision that was not given: it says why not,
    # and what the policy decided.
    lines = [json.loads(line) for line in events.read_text(encoding="utf-8").splitlines()]
    assert len(lines) == 5
    for line in lines:
        assert line["verdict"] is None and line["record_id"] is None
        assert "cannot open" in line["not_recorded"] and line["decided"] == "PASS"


def test_sigterm_stops_cleanly_and_keeps_records(
    write_config: Callable[..., Path], venue_dir: Path, make_pass: Callable[..., str]
) -> None:
    fill_frames(venue_dir / "frames", [make_pass(), None, None])
    path = write_config(camera="{type: replay, path: frames, fps: 20, loop: true}")
    events = venue_dir / "events.jsonl"
    env = {**os.environ, "SDL_VIDEODRIVER": "dummy"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "kiosk", "run", "--config", str(path), "--events", str(events)],
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert wait_for(lambda: events.exists() and events.read_text().count("\n") >= 1, 60)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.stderr is not None
    log = proc.stderr.read()
    assert "signal 15: stopping" in log and "Traceback" not in log
    con = sqlite3.connect(venue_dir / "kiosk.db")
    assert con.execute("SELECT COUNT(*) FROM records").fetchone()[0] >= 1


def test_run_with_a_bad_config_exits_2(write_config: Callable[..., Path]) -> None:
    path = write_config("policy: {max_occupancy: many}\n")
    proc = subprocess.run(
        [sys.executable, "-m", "kiosk", "run", "--config", str(path)],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip().startswith(f"{path}:7: policy.max_occupancy:")


def test_only_the_last_outcomes_are_kept_in_memory(
    write_config: Callable[..., Path], venue_dir: Path, make_pass: Callable[..., str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    fill_frames(venue_dir / "frames", [make_pass("An"), "not a pass", make_pass("Binh")], 1)
    seen: list[Outcome] = []
    options = RunOptions(observers=[seen.append], recent=2)
    kiosk = Kiosk(load_config(write_config(camera=LOCKSTEP)), options)
    assert kiosk.run() == 0
    assert len(seen) == 3  # observers see every outcome...
    assert kiosk.outcomes == seen[1:]  # ...the kiosk keeps only the last RECENT


class CrashingDecoder:
    """A decoder with a bug that shows on its third frame."""

    def __init__(self, inner: Decoder) -> None:
        self.inner = inner
        self.name = inner.name
        self.frames = 0

    def decode(self, luma: npt.NDArray[np.uint8]) -> list[Symbol]:
        self.frames += 1
        if self.frames == 3:
            raise IndexError("decoder bug")
        return self.inner.decode(luma)


def run_and_watch(kiosk: Kiosk) -> tuple[int, list[View | None]]:
    """Run to the end in a thread; returns the exit status and every view the screen showed."""
    views: list[View | None] = []
    status: list[int] = []
    t = threading.Thread(target=lambda: status.append(kiosk.run()), daemon=True)
    t.start()
    while t.is_alive():
        if not views or views[-1] != kiosk.view:
            views.append(kiosk.view)
        t.join(0.01)
    views.append(kiosk.view)
    return status[0], views


def crashed_screen(views: list[View | None], worker: str) -> ErrorView:
    errors = [v for v in views if isinstance(v, ErrorView)]
    assert errors, views
    assert errors[-1].key == "error.camera" and errors[-1].detail.startswith(f"{worker} crashed")
    return errors[-1]


def test_a_decision_loop_crash_shows_out_of_order_and_exits_1(
    write_config: Callable[..., Path], venue_dir: Path, make_pass: Callable[..., str],
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    fill_frames(venue_dir / "frames", [make_pass(), None, make_pass("Lê Văn Bình")])
    crashing = RunOptions(decoder=lambda cfg: CrashingDecoder(build_decoder(cfg)))
    kiosk = Kiosk(load_config(write_config(camera=LOCKSTEP)), crashing)
    status, views = run_and_watch(kiosk)
    assert status == 1  # not 0: systemd restarts a kiosk that failed
    error = crashed_screen(views, "decide")
    assert "IndexError: decoder bug" in error.detail
    assert isinstance(kiosk.view, ErrorView)  # what the screen showed when it stopped
    assert kiosk.crashed == ["decide"]
    assert "decide crashed" in caplog.text and "Traceback" in caplog.text
    assert len(kiosk.outcomes) == 1  # the first pass was decided before the bug struck


class ExplodingCamera:
    name = "exploding"

    def __init__(self) -> None:
        self.reads = 0

    def open(self) -> None:
        pass

    def read(self, timeout: float) -> npt.NDArray[np.uint8] | None:
        self.reads += 1
        if self.reads == 3:
            raise ZeroDivisionError("adapter bug")
        return np.zeros((48, 64), np.uint8)

    def close(self) -> None:
        pass


def test_a_capture_crash_shows_out_of_order_and_exits_1(
    write_config: Callable[..., Path], venue_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fill_frames(venue_dir / "frames", [None], 1)
    exploding = RunOptions(source=lambda cfg: ExplodingCamera())
    kiosk = Kiosk(load_config(write_config(camera=LOCKSTEP)), exploding)
    status, views = run_and_watch(kiosk)
    assert status == 1
    assert "ZeroDivisionError" in crashed_screen(views, "capture").detail
    assert kiosk.crashed == ["capture"]


def test_a_crashing_sink_shows_out_of_order_and_exits_1(
    write_config: Callable[..., Path], venue_dir: Path, make_pass: Callable[..., str]
) -> None:
    def broken(o: Outcome) -> None:
        raise RuntimeError("observer bug")

    fill_frames(venue_dir / "frames", [make_pass()])
    kiosk = Kiosk(load_config(write_config(camera=LOCKSTEP)), RunOptions(observers=[broken]))
    status, views = run_and_watch(kiosk)
    assert status == 1
    assert "RuntimeError: observer bug" in crashed_screen(views, "outcomes").detail


def test_a_database_locked_by_another_process_never_holds_up_the_screen(
    write_config: Callable[..., Path], venue_dir: Path, make_pass: Callable[..., str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    fill_frames(venue_dir / "frames", [make_pass()], repeat=3)
    path = write_config(camera="{type: replay, path: frames, fps: 10, loop: true}")
    path.write_text(
        path.read_text().replace("{path: kiosk.db}", "{path: kiosk.db, busy_timeout: 1s}")
    )
    cfg = load_config(path)
    with RecordStore(cfg.storage.path):
        pass  # the database exists, as on any day but the first
    # The render loop's frames, and whether the decision thread was inside a write then.
    writing = threading.Event()
    rendered_while_writing = [0]
    shown: list[View] = []
    render, add = Screen.render, RecordStore.add

    def counting_render(self: Screen, view: View, *args: Any, **kw: Any) -> None:
        if writing.is_set():
            rendered_while_writing[0] += 1
        shown.append(view)
        render(self, view, *args, **kw)

    def watched_add(self: RecordStore, *args: Any, **kw: Any) -> Any:
        writing.set()
        try:
            return add(self, *args, **kw)
        finally:
            writing.clear()

    monkeypatch.setattr(Screen, "render", counting_render)
    monkeypatch.setattr(RecordStore, "add", watched_add)
    other = sqlite3.connect(cfg.storage.path, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")  # another process holds the write lock
    kiosk = Kiosk(cfg)
    t = run_in_thread(kiosk)
    try:
        # The pass is not recorded while the lock is held, and the screen says so.
        assert wait_for(lambda: any(o.error for o in kiosk.outcomes), 30)
        assert wait_for(lambda: rendered_while_writing[0] >= 5, 30)
        assert all(o.record is None for o in kiosk.outcomes)
        assert "locked" in (kiosk.outcomes[0].error or "")
        assert wait_for(
            lambda: any(isinstance(v, ErrorView) and v.key == "error.storage" for v in shown[:])
        )
        other.execute("ROLLBACK")
        # Released: the next frame of the same pass is recorded, without a restart.
        assert wait_for(lambda: any(o.record is not None for o in kiosk.outcomes), 30)
    finally:
        kiosk.stop.set()
        t.join(10)
        other.close()
    assert not t.is_alive()
    recorded = [o for o in kiosk.outcomes if o.record is not None]
    assert recorded[0].decision.verdict.value == "PASS"
    con = sqlite3.connect(cfg.storage.path)
    assert con.execute("SELECT COUNT(*) FROM records").fetchone()[0] == len(recorded)


NO_CAMERA = "{type: opencv, device: /dev/video99, frame_timeout: 500ms, reopen_interval: 200ms}"


def readers_config(
    write_config: Callable[..., Path], venue_dir: Path, make_pass: Callable[..., str]
) -> Path:
    """A door whose camera is not there, with a dedicated reader that scans two passes."""
    codes = [make_pass(), make_pass("Lê Văn Bình")]
    (venue_dir / "codes.txt").write_text("\n".join(codes) + "\n", encoding="utf-8")
    return write_config(
        "readers: [{type: replay, path: codes.txt, interval: 300ms, loop: true}]\n",
        camera=NO_CAMERA,
    )


def test_a_door_without_its_camera_decides_on_its_reader_and_tells_staff(
    write_config: Callable[..., Path], venue_dir: Path, make_pass: Callable[..., str]
) -> None:
    kiosk = Kiosk(load_config(readers_config(write_config, venue_dir, make_pass)))
    t = run_in_thread(kiosk)
    try:
        assert wait_for(lambda: kiosk.strip is not None and kiosk.strip.camera_missing)
        assert wait_for(lambda: len([o for o in kiosk.outcomes if o.record]) >= 2)
        assert not isinstance(kiosk.view, ErrorView)  # not out of order: the reader works
        assert {o.record.source.value for o in kiosk.outcomes if o.record} == {"serial"}
    finally:
        kiosk.stop.set()
        t.join(10)
    assert not t.is_alive()


@pytest.mark.slow
def test_a_door_without_its_camera_tells_systemd_it_is_ready_but_degraded(
    write_config: Callable[..., Path], venue_dir: Path, make_pass: Callable[..., str]
) -> None:
    from support.notify import Listener

    config = readers_config(write_config, venue_dir, make_pass)
    events = venue_dir / "events.jsonl"
    listener = Listener()
    env = {**os.environ, "SDL_VIDEODRIVER": "dummy", "NOTIFY_SOCKET": listener.path}
    proc = subprocess.Popen(
        [sys.executable, "-m", "kiosk", "run", "--config", str(config), "--events", str(events)],
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        # Ready, not killed by TimeoutStartSec and restarted for ever: the camera comes back
        # by being reopened, and the reader admits people meanwhile.
        assert wait_for(lambda: bool(listener.seen("READY=1")), 60)
        assert wait_for(
            lambda: any(
                s.startswith("STATUS=degraded: camera missing") and "readers" in s
                for s in listener.seen("STATUS=")
            ),
            30,
        ), listener.seen("STATUS=")
        assert wait_for(lambda: events.exists() and events.read_text().count("\n") >= 2, 60)
        assert proc.poll() is None
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        listener.close()
    assert proc.stderr is not None and "Traceback" not in proc.stderr.read()
