"""Signals that end `kiosk run`: caught from its first line, each one a clean stop."""

from __future__ import annotations

import contextlib
import logging
import os
import select
import signal
import threading
from collections.abc import Iterator
from types import FrameType

from kiosk.runtime.logs import RepeatingLog

log = logging.getLogger(__name__)

# Each of these stops the kiosk as a stop asked for: the workers stop in order, the last
# records are committed, the exit status is 0. SIGHUP too: a reload would rebuild every part
# from the config anyway, and systemd's Restart=always starts a fresh kiosk two seconds later
# with the new config, which is what a reload could do, with none of its half-states.
# SIGQUIT too: pygame-ce installs a "parachute" for it that aborts the process as if it had
# crashed, unless a handler is already there (and ours is put back after pygame starts).
# SIGXCPU (the soft CPU limit; the hard one follows with SIGKILL) and SIGPWR (a UPS saying
# the power is going) are warnings that the end is near: the last records are committed now.
STOP_SIGNALS: tuple[int, ...] = (
    signal.SIGTERM,
    signal.SIGINT,
    signal.SIGHUP,
    signal.SIGQUIT,
    signal.SIGXCPU,
    signal.SIGPWR,
)
# Their default would end (or, for the terminal's job control, pause) the process without
# clean-up, and the kiosk has no use for them: the kiosk sets no timers (SIGALRM, SIGVTALRM,
# SIGPROF), does no signal-driven I/O (SIGIO, SIGSTKFLT), has no terminal to be paused from
# (SIGTSTP, SIGTTIN, SIGTTOU: a paused door would hold its relay and a frozen screen) and
# no use for the real-time signals. A handler, not SIG_IGN, because SIG_IGN would be
# inherited by every program the kiosk starts.
IGNORED_SIGNALS: tuple[int, ...] = (
    signal.SIGUSR1,
    signal.SIGUSR2,
    signal.SIGALRM,
    signal.SIGVTALRM,
    signal.SIGPROF,
    signal.SIGIO,
    signal.SIGSTKFLT,
    signal.SIGTSTP,
    signal.SIGTTIN,
    signal.SIGTTOU,
    *range(signal.SIGRTMIN, signal.SIGRTMAX + 1),
)
# Left as they are, on purpose. The faults are the process's own (a bad memory access in C
# code): a handler would return to the faulting instruction and loop on it, so they end the
# process as the crash they are and systemd starts it again (the relay's pin falls back when
# the process ends). SIGPIPE and SIGXFSZ Python already ignores (a failed write raises);
# SIGCHLD, SIGCONT, SIGURG and SIGWINCH are ignored by default; SIGKILL and SIGSTOP cannot
# be caught.
LEFT_ALONE: tuple[int, ...] = (
    signal.SIGILL,
    signal.SIGTRAP,
    signal.SIGABRT,
    signal.SIGBUS,
    signal.SIGFPE,
    signal.SIGSEGV,
    signal.SIGSYS,
    signal.SIGPIPE,
    signal.SIGXFSZ,
    signal.SIGCHLD,
    signal.SIGCONT,
    signal.SIGURG,
    signal.SIGWINCH,
    signal.SIGKILL,
    signal.SIGSTOP,
)


def _noted(signum: int, frame: FrameType | None) -> None:
    # Nothing here: Python writes the signal's number to the wakeup pipe before it calls
    # this, and a handler that set the Event itself could deadlock on the Event's lock, held
    # by the very thread it interrupted (the render loop waits on that Event).
    del signum, frame


class StopSignals:
    """Installed on the main thread; a watcher thread turns each signal into `stop.set()`."""

    def __init__(self, stop: threading.Event) -> None:
        self._stop = stop
        self._read, self._write = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
        self._closed = threading.Event()
        self._previous: dict[int, signal.Handlers | int | object] = {}
        self._previous_fd = -1
        self._watcher = threading.Thread(target=self._watch, name="signals", daemon=True)
        self._ignored = RepeatingLog(log)

    def install(self) -> None:
        self._previous_fd = signal.set_wakeup_fd(self._write, warn_on_full_buffer=False)
        for s in (*STOP_SIGNALS, *IGNORED_SIGNALS):
            self._previous[s] = signal.signal(s, _noted)
        self._watcher.start()

    def reassert(self) -> None:
        """Install the handlers again, over any a library put in their place (pygame, SDL)."""
        for s in (*STOP_SIGNALS, *IGNORED_SIGNALS):
            signal.signal(s, _noted)

    def restore(self) -> None:
        for s, handler in self._previous.items():
            signal.signal(s, handler)  # type: ignore[arg-type]
        signal.set_wakeup_fd(self._previous_fd)
        self._closed.set()
        self._watcher.join(2.0)
        self._ignored.flush()
        os.close(self._read)
        os.close(self._write)

    def _watch(self) -> None:
        while not self._closed.is_set():
            # Bounded, so a restore is seen within a second even with no signal.
            ready, _, _ = select.select([self._read], [], [], 1.0)
            if not ready:
                continue
            with contextlib.suppress(BlockingIOError):
                for signum in os.read(self._read, 64):
                    self._handle(signum)

    def _handle(self, signum: int) -> None:
        if signum in STOP_SIGNALS:
            log.info("signal %d: stopping", signum)
            self._stop.set()
        else:
            # A flood of them (a stray timer) would fill the journal: once a minute at most.
            # One kind per signal, so each is named the first time it comes.
            self._ignored.log(logging.INFO, f"signal {signum}: ignored")


def catch_stop_signals(stop: threading.Event) -> StopSignals | None:
    """Install for the rest of the process (`kiosk run`'s first step); None off the main
    thread, where signals cannot be caught (the kiosk run from a test's thread)."""
    if threading.current_thread() is not threading.main_thread():
        return None
    signals = StopSignals(stop)
    signals.install()
    return signals


@contextlib.contextmanager
def stop_on_signals(stop: threading.Event) -> Iterator[StopSignals | None]:
    """Catch the stop signals while the block runs, then put back what was there."""
    signals = catch_stop_signals(stop)
    try:
        yield signals
    finally:
        if signals is not None:
            signals.restore()
