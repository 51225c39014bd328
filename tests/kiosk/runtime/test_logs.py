"""Repeating log lines: one a minute with a count, for a camera that keeps failing and the like."""

from __future__ import annotations

import itertools
import logging
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk.camera.capture import CaptureThread, FrameSlot
from kiosk.camera.replay import ReplaySource
from kiosk.runtime.logs import RepeatingLog
from support.timing import wait_for

log = logging.getLogger("test.repeating")


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def stands_for(line: str) -> int:
    """How many calls a line accounts for: itself and the repeats it counts, or, for a line
    written by flush(), only the repeats."""
    m = re.search(r"\((\d+) more like this since the last line\)", line)
    if m:
        return 1 + int(m.group(1))
    m = re.search(r"\(repeated (\d+) more times\)", line)
    return int(m.group(1)) if m else 1


class Collect(logging.Handler):
    def __init__(self, into: list[logging.LogRecord]) -> None:
        super().__init__()
        self.into = into

    def emit(self, record: logging.LogRecord) -> None:
        self.into.append(record)


calls = st.lists(
    st.tuples(st.sampled_from(["disk full: %s", "camera %s: no frame"]), st.floats(0, 90)),
    max_size=60,
)


@given(calls)
def test_every_repeat_is_counted_and_a_kind_logs_at_most_once_a_minute(
    sequence: list[tuple[str, float]],
) -> None:
    clock = Clock()
    records: list[logging.LogRecord] = []
    handler = Collect(records)
    log.addHandler(handler)
    log.setLevel(logging.DEBUG)
    try:
        repeating = RepeatingLog(log, every=60.0, clock=clock)
        written: dict[str, list[float]] = {}
        first: dict[str, float] = {}
        for msg, step in sequence:
            clock.now += step
            first.setdefault(msg, clock.now)
            if repeating.error(msg, "x"):
                written.setdefault(msg, []).append(clock.now)
        before_flush = len(records)
        repeating.flush()
    finally:
        log.removeHandler(handler)
    # Nothing is lost: each line stands for itself and the repeats it counts.
    assert sum(stands_for(r.getMessage()) for r in records) == len(sequence)
    assert {m: t[0] for m, t in written.items()} == first  # the first of a kind at once
    for times in written.values():
        assert all(b - a >= 60.0 for a, b in itertools.pairwise(times))
    assert before_flush == sum(len(t) for t in written.values())


class CountingSource(ReplaySource):
    """A replay camera whose opens are counted (an empty folder: every open fails)."""

    opens = 0

    def open(self) -> None:
        CountingSource.opens += 1
        super().open()


def test_a_camera_that_keeps_failing_logs_two_lines_with_the_count(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    CountingSource.opens = 0
    source = CountingSource(tmp_path, fps=25, loop=True)  # no images: it never opens
    capture = CaptureThread(source, FrameSlot(), frame_timeout=0.5, reopen_interval=0.001)
    with caplog.at_level(logging.INFO, logger="kiosk"), capture:
        assert wait_for(lambda: CountingSource.opens >= 200, 60)
    lines = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert 1 <= len(lines) <= 2, lines
    assert "no images" in lines[0]
    # On stop, the repeats held back are counted: every failed open is accounted for.
    assert sum(stands_for(line) for line in lines) == CountingSource.opens


def test_a_folder_of_unreadable_images_logs_one_line_not_one_per_frame(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    for i in range(3):
        (tmp_path / f"{i}.png").write_bytes(b"not a png")
    source = ReplaySource(tmp_path, fps=25, loop=True, pace="lockstep")
    source.open()
    with caplog.at_level(logging.INFO, logger="kiosk"):
        for _ in range(300):
            assert source.read(timeout=0.1) is None
    source.close()
    lines = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(lines) == 1 and "unreadable image" in lines[0]
