"""sd_notify, spoken to a real AF_UNIX datagram socket as systemd's would be."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from kiosk.app.kiosk import Kiosk, RunOptions
from kiosk.config import DecoderConfig, load_config
from kiosk.decode import Decoder, Symbol, build_decoder
from kiosk.runtime.notify import SystemdNotifier, watchdog_interval
from support.kiosk_run import fill_frames, run_in_thread
from support.notify import Listener
from support.timing import wait_for

LOOPING = "{type: replay, path: frames, fps: 25, loop: true, pace: lockstep}"


@pytest.fixture
def listener() -> Iterator[Listener]:
    lst = Listener()
    yield lst
    lst.close()


def test_watchdog_interval_is_half_of_watchdog_usec() -> None:
    assert watchdog_interval({"WATCHDOG_USEC": "30000000"}) == 15.0
    assert watchdog_interval({}) is None
    assert watchdog_interval({"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "1"}) is None
    pid = str(os.getpid())
    assert watchdog_interval({"WATCHDOG_USEC": "2000000", "WATCHDOG_PID": pid}) == 1.0


def test_without_notify_socket_nothing_is_sent() -> None:
    notifier = SystemdNotifier(lambda: 0, lambda: "ready", env={})
    with notifier:
        notifier.ready()
        assert wait_for(lambda: notifier.health.finished, 30)
    assert notifier.sent == {}


def test_kiosk_run_speaks_sd_notify(
    write_config: Callable[..., Path], venue_dir: Path, make_pass: Callable[..., str],
    listener: Listener,
) -> None:  # fmt: skip
    fill_frames(venue_dir / "frames", [make_pass(), None])
    path = write_config(camera=LOOPING)
    env = {
        **os.environ,
        "SDL_VIDEODRIVER": "dummy",
        "NOTIFY_SOCKET": listener.path,
        "WATCHDOG_USEC": "600000",  # keep-alives every 0.3 s
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "kiosk", "run", "--config", str(path)],
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert wait_for(lambda: bool(listener.seen("READY=1")), 30)
        assert wait_for(lambda: len(listener.seen("WATCHDOG=1")) >= 3, 20)
        assert wait_for(lambda: any("last PASS" in s for s in listener.seen("STATUS=")), 20)
        assert listener.seen("STATUS=")[0].startswith("STATUS=ready")
        assert listener.seen("STOPPING=1") == []
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(15) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
    assert listener.seen("READY=1") == ["READY=1"]  # once
    assert wait_for(lambda: listener.seen("STOPPING=1") == ["STOPPING=1"], 30)


class StallingDecoder:
    """Decodes normally until told to hang (a wedged driver or library)."""

    def __init__(self, inner: Decoder) -> None:
        self.inner = inner
        self.name = inner.name
        self.stall = threading.Event()
        self.stalled = threading.Event()
        self.release = threading.Event()

    def decode(self, luma: npt.NDArray[np.uint8]) -> list[Symbol]:
        if self.stall.is_set():
            self.stalled.set()
            self.release.wait(60)  # bounded only so the test can end
        return self.inner.decode(luma)


def test_a_stalled_decision_loop_stops_the_watchdog(
    write_config: Callable[..., Path], venue_dir: Path, listener: Listener,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    decoders: list[StallingDecoder] = []

    def stalling(cfg: DecoderConfig) -> StallingDecoder:
        decoders.append(StallingDecoder(build_decoder(cfg)))
        return decoders[-1]

    monkeypatch.setenv("NOTIFY_SOCKET", listener.path)
    monkeypatch.setenv("WATCHDOG_USEC", "400000")  # keep-alives every 0.2 s
    fill_frames(venue_dir / "frames", [None])
    kiosk = Kiosk(load_config(write_config(camera=LOOPING)), RunOptions(decoder=stalling))
    thread = run_in_thread(kiosk)
    try:
        # Keep-alives while the loop makes progress; then it hangs.
        assert wait_for(lambda: len(listener.seen("WATCHDOG=1")) >= 2, 30)
        decoders[0].stall.set()
        assert decoders[0].stalled.wait(30)
        stalled_at = time.monotonic()
        # The process, the notifier and the render loop live on; only the loop is stuck. At
        # most one keep-alive can have been on its way when it stuck; then none for 10 periods.
        time.sleep(2.0)
        assert len(listener.seen("WATCHDOG=1", since=stalled_at)) <= 1
        assert kiosk.view is not None  # the render loop still renders
    finally:
        if decoders:
            decoders[0].release.set()
        kiosk.stop.set()
        thread.join(15)
    assert not thread.is_alive()


def test_ready_asked_on_every_frame_for_a_year_holds_no_memory() -> None:
    # The render loop asks on each frame (30 a second); without systemd nothing reads them.
    import tracemalloc

    notifier = SystemdNotifier(lambda: 0, lambda: "", env={})
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for _ in range(100_000):
            notifier.ready()
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert grown < 10_000, grown  # one queued READY (a list of them was 800 kB)
