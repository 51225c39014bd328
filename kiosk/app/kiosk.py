"""`kiosk run`: the parts built (app.build), started in order, rendered, stopped in reverse."""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections import deque
from zoneinfo import ZoneInfo

from kiosk.app.build import Parts, RunOptions, build_parts
from kiosk.app.render import EXIT_CLEAN, EXIT_CRASHED, RenderLoop
from kiosk.config import Config
from kiosk.decision.outcome import Outcome
from kiosk.display.guard import history_rows
from kiosk.display.views import HistoryRow, StatusBar, View
from kiosk.runtime.notify import SystemdNotifier
from kiosk.runtime.service import Service
from kiosk.runtime.signals import StopSignals, stop_on_signals
from kiosk.store.lock import AlreadyRunning, InstanceLock

log = logging.getLogger(__name__)
__all__ = ["EXIT_ALREADY_RUNNING", "EXIT_CLEAN", "EXIT_CRASHED", "Kiosk", "RunOptions"]

# Not 2 (a config error, which the unit's RestartPreventExitStatus=2 does not retry): the
# kiosk that holds the database may be an admin's, run by hand, and the service should
# start again, every RestartSec, until that one has ended.
EXIT_ALREADY_RUNNING = 3


class Kiosk:
    """`kiosk run`: starts the parts, runs the render loop on this thread, stops them.

    `run()` returns 0 when asked to stop or when a non-looping replay has been decided, and 1
    when a worker without a restart policy (capture, decisions, outcomes) crashed: the
    screen says out of order for a moment first, and systemd restarts the process.
    """

    def __init__(
        self, cfg: Config, options: RunOptions | None = None, stop: threading.Event | None = None
    ) -> None:
        self.cfg = cfg
        self.options = options or RunOptions()
        # Given by `kiosk run`, whose signal handlers set it from before the kiosk was built.
        self.stop = stop or threading.Event()
        self._recent: deque[Outcome] = deque(maxlen=self.options.recent)
        self._recent_lock = threading.Lock()
        self._render: RenderLoop | None = None
        self.stats: dict[str, int] = {}  # frames decided, dropped, repeats suppressed (after run)
        self._tz = ZoneInfo(cfg.venue.timezone)

    @property
    def view(self) -> View | None:
        """What the screen shows now (status, tests)."""
        return self._render.view if self._render is not None else None

    @property
    def strip(self) -> StatusBar | None:
        """What the screen's status strip says now."""
        return self._render.strip if self._render is not None else None

    @property
    def panel_lamp(self) -> str | None:
        """The colour the building's panel set this reader's LED to, as shown now (tests)."""
        if self._render is None:
            return None
        return self._render.lamp.colour_at(time.monotonic())

    @property
    def crashed(self) -> list[str]:
        """The workers that crashed, after run."""
        return self._render.crashed if self._render is not None else []

    @property
    def outcomes(self) -> list[Outcome]:
        """The last `RunOptions.recent` outcomes, oldest first (a copy: safe from any thread)."""
        with self._recent_lock:
            return list(self._recent)

    def _remember(self, outcome: Outcome) -> None:
        with self._recent_lock:
            self._recent.append(outcome)

    def _history(self) -> list[HistoryRow]:
        return history_rows(self.outcomes, self._tz)

    def run(self) -> int:
        with contextlib.ExitStack() as stack:
            # First: a signal from here on stops the kiosk cleanly, whatever it is doing.
            signals = stack.enter_context(stop_on_signals(self.stop))
            lock = InstanceLock(self.cfg.storage.path)
            try:
                stack.enter_context(lock)
            except AlreadyRunning as exc:
                log.error("%s", exc)
                return EXIT_ALREADY_RUNNING
            except OSError as exc:  # no state folder: the store's error shows on screen
                log.error("cannot take the lock %s: %s", lock.path, exc)
            if self.stop.is_set():
                return EXIT_CLEAN
            parts = build_parts(self.cfg, self.options, self._remember, self._history)
            storage, decisions = parts.storage, parts.decisions
            stack.callback(storage.store.close)
            if storage.peers is not None:
                stack.callback(storage.peers.ledger.close)
            if decisions.events is not None:
                stack.callback(decisions.events.close)
            notifier = self._start_notifier(stack, parts)
            if not self._start(stack, parts, signals):
                return EXIT_CLEAN  # stopped while starting: what started is stopped in reverse
            self._render = RenderLoop(self.cfg, parts, self.stop, self.options.screenshot_dir)
            status = self._render.run(notifier)
            notifier.will_stop()  # before the parts stop, which may take seconds
            loop = decisions.loop
            self.stats = {
                "frames": loop.frames,
                "dropped": decisions.slot.dropped,
                "suppressed": loop.suppressed,
            }
            log.info(
                "stopping: %d frames decided, %d dropped, %d repeats suppressed",
                loop.frames,
                decisions.slot.dropped,
                loop.suppressed,
            )
        return status

    def _start(
        self, stack: contextlib.ExitStack, parts: Parts, signals: StopSignals | None
    ) -> bool:
        """Start every part in order, each entered on `stack` so it is stopped in reverse;
        False as soon as a stop was asked for (a signal during start-up)."""
        if self.stop.is_set():
            return False
        if self.options.screenshot_dir:
            self.options.screenshot_dir.mkdir(parents=True, exist_ok=True)
        storage, door, decisions, ui = parts.storage, parts.door, parts.decisions, parts.ui
        stack.enter_context(ui.guard)
        # Started in order screen → door → sync → status → outcomes → decisions → camera;
        # stopped in reverse, so the relay is released only after nothing can open it.
        stack.enter_context(ui.screen)
        ui.sounds.open()
        stack.callback(ui.sounds.close)
        if signals is not None:
            signals.reassert()  # pygame and SDL may have put their own handlers in place
        if door.relay is not None:
            stack.enter_context(door.relay)
        for panel in (door.wiegand, door.osdp):
            if panel is not None:
                stack.enter_context(panel)
        storage.clock.check()  # before the decision loop's first frame: is the clock set?
        peers = storage.peers.worker if storage.peers is not None else None
        optional = (door.hook, storage.sync, peers)
        services: list[Service] = [s for s in optional if s is not None] + [
            storage.clock,
            storage.retention,
            ui.status,
            decisions.channel,
            decisions.loop,
            *decisions.readers,
            *([decisions.capture] if decisions.capture is not None else []),
        ]
        for service in services:
            if self.stop.is_set():
                return False
            stack.enter_context(service)
        return not self.stop.is_set()

    # ---------------------------------------------------------------- the appliance

    def _start_notifier(self, stack: contextlib.ExitStack, parts: Parts) -> SystemdNotifier:
        """systemd's notifications, started first so it is stopped last (after STOPPING=1)."""
        notifier = SystemdNotifier(
            lambda: parts.decisions.loop.turns, lambda: self._status_line(parts)
        )
        stack.enter_context(notifier)
        return notifier

    def _status_line(self, parts: Parts) -> str:
        """One line for `systemctl status` (read on the notifier's thread: no database)."""
        capture, clock = parts.decisions.capture, parts.storage.clock
        camera = capture.camera if capture is not None else None
        missing = self._render.camera_missing if self._render is not None else None
        if not clock.plausible:
            state = "clock not set: deciding nothing"
        elif missing is not None:
            # "degraded" first: what a monitoring check greps for in `systemctl status`.
            still = "readers and keypad only" if parts.decisions.readers else "keypad only"
            state = f"degraded: camera missing ({missing}); {still}"
        elif camera is not None and not camera.ok and not parts.decisions.slot.ended:
            state = f"camera: {camera.message}"
        else:
            state = "ready"
        queued = parts.ui.status.latest.queued
        line = state + (f"; queue {queued}" if queued is not None else "")
        peers = parts.storage.peers
        if peers is not None and self.cfg.peers is not None:
            # Heard within three summaries: which doors of the venue this kiosk agrees with.
            heard = peers.worker.heard(3 * self.cfg.peers.interval + 1)
            line += f"; peers {len(heard)}/{len(self.cfg.peers.addresses)}"
            down = peers.worker.down
            line += f" (down: {down})" if down else ""
            for peer, off in sorted(peers.worker.skewed().items()):
                line += f"; {peer}'s clock {off:+.0f} s"
        recent = self.outcomes
        if recent:
            last = recent[-1]
            verdict = "ERROR" if last.error else last.decision.verdict.value
            when = last.record.created_utc[11:19] if last.record else ""
            line += f"; last {verdict} {when}".rstrip()
        return line
