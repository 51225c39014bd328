"""A clock that is not set (no RTC, no NTP yet): nothing decided, out of order, and recovery."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

from checkin_protocol.records import CodeKind, Direction
from kiosk.app.kiosk import Kiosk, RunOptions
from kiosk.config import load_config
from kiosk.decision.clock import SLACK, ClockWatch, build_floor
from kiosk.display.views import ErrorView
from kiosk.policy.engine import Verdict
from kiosk.store import NewRecord, RecordStore
from support.kiosk_run import fill_frames, run_in_thread
from support.timing import wait_for

DAY = 86400.0
LOOPING = "{type: replay, path: frames, fps: 25, loop: true, pace: lockstep}"


class ShiftedClock:
    """The wall clock moved by `shift` seconds; NTP is `shift = 0`."""

    def __init__(self, shift: float) -> None:
        self.shift = shift

    def __call__(self) -> float:
        return time.time() + self.shift


def record_at(store: RecordStore, when: float) -> None:
    new = NewRecord(
        venue_id="test-venue", kiosk_id="k1", direction=Direction.ENTRY,
        code_kind=CodeKind.MANUAL, subject=None, masked_name=None, verified=False,
        verdict=Verdict.PASS, reason="setup", manual=True,
    )  # fmt: skip
    store.add(new, now=when, mono_ns=time.monotonic_ns())


def test_an_unset_clock_decides_nothing_and_recovers_when_set(
    write_config: Callable[..., Path], venue_dir: Path, make_pass: Callable[..., str]
) -> None:
    cfg = load_config(write_config(camera=LOOPING))
    with RecordStore(cfg.storage.path) as store:
        record_at(store, time.time())  # the last decision before the power cut
    fill_frames(venue_dir / "frames", [make_pass(), None])
    clock = ShiftedClock(-3 * DAY)  # booted without a battery clock: days behind
    kiosk = Kiosk(cfg, RunOptions(clock=clock))
    thread = run_in_thread(kiosk)
    try:
        assert wait_for(lambda: isinstance(kiosk.view, ErrorView), 60)
        assert isinstance(kiosk.view, ErrorView) and kiosk.view.key == "error.clock"
        time.sleep(1.0)  # the pass is held up to the camera all along
        assert kiosk.outcomes == []
        clock.shift = 0.0  # NTP answers
        assert wait_for(lambda: bool(kiosk.outcomes), 60)  # the next check, a few s later
        # The screen follows at its next frame (the render thread reads the same check).
        assert wait_for(
            lambda: not isinstance(kiosk.view, ErrorView) or kiosk.view.key != "error.clock", 20
        )
    finally:
        kiosk.stop.set()
        thread.join(15)
    with RecordStore(cfg.storage.path) as store:
        recorded = list(store.records())
    assert recorded[0].reason == "setup"
    # What was recorded after recovery carries the right time, never the one days behind.
    assert all(r.created_utc >= recorded[0].created_utc for r in recorded)
    assert any(r.verdict == "PASS" and not r.manual for r in recorded)


def test_a_record_from_tomorrow_makes_now_implausible(tmp_path: Path) -> None:
    with RecordStore(tmp_path / "k.db") as store:
        watch = ClockWatch(store, clock=time.time, floor=0.0)
        assert watch.check()
        record_at(store, time.time() + DAY)
        assert not watch.check()
        assert ClockWatch(store, clock=lambda: time.time() + DAY, floor=0.0).check()


def test_the_build_floor_is_the_newest_package_file(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("")
    (tmp_path / "b.py").write_text("")
    os.utime(tmp_path / "a.py", (1e9, 1e9))
    os.utime(tmp_path / "b.py", (2e9, 2e9))
    assert build_floor(tmp_path) == 2e9
    with RecordStore(tmp_path / "k.db") as store:
        assert not ClockWatch(store, clock=lambda: 2e9 - SLACK - 1, floor=2e9).check()
        assert ClockWatch(store, clock=lambda: 2e9 - SLACK + 1, floor=2e9).check()
    assert build_floor() > time.time() - 10 * 365 * DAY  # this package's: a real time


def test_the_registrys_measured_offset_is_read(tmp_path: Path) -> None:
    with RecordStore(tmp_path / "k.db") as store:
        watch = ClockWatch(store, clock=time.time, floor=0.0)
        watch.check()
        assert watch.offset_ms is None
        store.set_meta("clock_offset_ms", "-184000")
        watch.check()
        assert watch.offset_ms == -184000
