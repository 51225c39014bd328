"""The render loop: on the main thread, what the screen shows, frame by frame, until the end."""

from __future__ import annotations

import dataclasses
import queue
import threading
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from kiosk.app.build import Parts
from kiosk.config import Config
from kiosk.decision.outcome import Outcome
from kiosk.display.lamp import ReaderLamp
from kiosk.display.screen import PreviewFrame
from kiosk.display.sound import spoken_key
from kiosk.display.views import (
    ErrorView,
    IdleView,
    NoticeView,
    Presenter,
    StatusBar,
    VerdictView,
    View,
)
from kiosk.runtime.notify import SystemdNotifier
from kiosk.runtime.service import Service, State

EXIT_CLEAN = 0
EXIT_CRASHED = 1  # systemd's Restart=on-failure starts the kiosk again
CRASH_SHOWN = 3.0  # seconds out-of-order stays on screen before a crashed kiosk exits


class RenderLoop:
    """Draws the view of the moment: a verdict while it holds, a guard's screen, a fault
    (a crashed worker, the clock, the camera), or the idle screen with its hint; plays the
    sounds of each outcome; ends when stopped, when a non-looping replay has been decided
    and shown, or a moment after a vital worker crashed."""

    def __init__(
        self,
        cfg: Config,
        parts: Parts,
        stop: threading.Event,
        screenshots: Path | None = None,
    ) -> None:
        self._cfg, self._parts, self.stop = cfg, parts, stop
        self._screenshots = screenshots
        self._tz = ZoneInfo(cfg.venue.timezone)
        self._shots = 0
        self.view: View | None = None  # what the screen shows now (status, tests)
        self.strip: StatusBar | None = None  # and what its status strip says
        self.crashed: list[str] = []  # the workers that crashed
        # Why the camera gives no frames past its frame timeout, or None (read by the
        # notifier's thread for the status line: one reference, replaced whole).
        self.camera_missing: str | None = None
        self.lamp = ReaderLamp()  # the building panel's reader LED (OSDP), as it set it

    def run(self, notifier: SystemdNotifier) -> int:
        """Renders until stopped, ended or crashed; returns the exit status."""
        cfg, parts = self._cfg, self._parts
        tick = 1.0 / cfg.display.fps
        started = time.monotonic()
        crash_until: float | None = None
        while not self.stop.is_set():
            now = time.monotonic()
            if self._handle_events(parts, now):
                break
            # The direction from its owner at once (a guard's switch shows without delay).
            status = dataclasses.replace(
                parts.ui.status.latest,
                direction=parts.decisions.loop.direction,
                muted=parts.ui.sounds.muted,
                clock_offset=self._clock_offset(parts),
                camera_missing=self._note_camera(parts, now - started),
            )
            self._drain_inbox(parts, status)
            fault = self._crash(parts)
            if fault is not None and crash_until is None:
                self.crashed = [s.name for s in self._vital(parts) if s.health.crashed]
                parts.ui.presenter.clear()  # out-of-order at once, not after a verdict's hold
                crash_until = now + CRASH_SHOWN
            fault = fault or self._clock_fault(parts) or self._camera_fault(parts, now - started)
            idle = IdleView(
                hint=parts.decisions.feedback.hint(now, cfg.display.help_after),
                admits=tuple(cfg.policy.admit_kinds),
            )
            self.view = parts.ui.presenter.current(now, fault, idle)
            self.strip = status
            self._panel_signals(parts, now)
            parts.ui.screen.render(
                self.view,
                status,
                datetime.now(self._tz),
                self._preview(parts),
                lamp=self.lamp.colour_at(now),
            )
            self._appliance(parts, notifier, now - started)
            if crash_until is not None and now >= crash_until:
                return EXIT_CRASHED
            if crash_until is None and self._ended(parts):
                return EXIT_CLEAN  # a replay that does not loop has been decided and recorded
            self.stop.wait(tick)
        return EXIT_CRASHED if crash_until is not None else EXIT_CLEAN

    def _panel_signals(self, parts: Parts, now: float) -> None:
        """The panel's LED and buzzer commands since the last frame, shown and sounded."""
        while True:
            try:
                signal = parts.door.signals.get_nowait()
            except queue.Empty:
                return
            if signal.kind == "led":
                self.lamp.set(
                    signal.colour,
                    signal.off_colour,
                    on_ms=signal.on_ms,
                    off_ms=signal.off_ms,
                    lasting_ms=signal.lasting_ms,
                    now=now,
                )
            else:
                local = datetime.now(self._tz).time()
                parts.ui.sounds.beep(signal.on_ms, signal.off_ms, signal.count, local)

    def _camera_missing(self, parts: Parts, running_for: float) -> str | None:
        """Why the camera gives no frames, once it has had its frame timeout to deliver a
        first one (unplugged, a broken ribbon, a driver that will not open it); else None."""
        if parts.decisions.capture is None:
            return None
        camera = parts.decisions.capture.camera
        if camera.ok or parts.decisions.slot.ended:
            return None
        if camera.message in ("starting", "waiting for frames") and (
            running_for <= self._cfg.camera.frame_timeout
        ):
            return None
        return camera.message

    def _note_camera(self, parts: Parts, running_for: float) -> bool:
        self.camera_missing = self._camera_missing(parts, running_for)
        return self.camera_missing is not None

    def _camera_fault(self, parts: Parts, running_for: float) -> ErrorView | None:
        missing = self._camera_missing(parts, running_for)
        # With readers the door goes on deciding on them: visitors see the idle screen, staff
        # the strip's "camera missing". Without, nobody can scan: out of order.
        if missing is None or parts.decisions.readers:
            return None
        return ErrorView("error.camera", missing)

    def _drain_inbox(self, parts: Parts, status: StatusBar) -> None:
        while True:
            try:
                outcome = parts.decisions.inbox.get_nowait()
            except queue.Empty:
                return
            self._show(outcome, parts, status)

    def _handle_events(self, parts: Parts, now: float) -> bool:
        """Window and keypad events, and a finished PIN check; True when the window closed."""
        import pygame

        guard, presenter = parts.ui.guard, parts.ui.presenter
        for event in parts.ui.screen.events():
            if event.type == pygame.QUIT:
                return True
            if event.type != pygame.KEYDOWN:
                continue
            if (
                event.key == pygame.K_ESCAPE
                and guard.view is None
                and self._cfg.display.mode != "fullscreen"
            ):
                return True
            self._guard_view(presenter, guard.key(pygame.key.name(event.key)), now)
        checked = guard.poll()
        if checked is not None:
            self._guard_view(presenter, checked, now)
        return False

    @staticmethod
    def _guard_view(presenter: Presenter, view: View | None, now: float) -> None:
        if view is None:
            presenter.clear()
        else:
            # A guard's screen stays until they finish or cancel (or 30 s pass).
            presenter.show(view, now, hold=30.0 if not isinstance(view, NoticeView) else 1.5)

    @staticmethod
    def _preview(parts: Parts) -> PreviewFrame | None:
        frame = parts.decisions.capture.latest if parts.decisions.capture is not None else None
        if frame is None:
            return None
        seen = parts.decisions.feedback.snapshot()
        if seen is not None and time.monotonic() - seen.at < 0.4:
            return PreviewFrame(frame.luma, seen.corners, seen.read, seq=frame.seq)
        return PreviewFrame(frame.luma, seq=frame.seq)

    def _show(self, outcome: Outcome, parts: Parts, status: StatusBar) -> None:
        """Put one outcome on screen (the door, hook and log already have it)."""
        d = outcome.decision
        if outcome.error:
            view: View = ErrorView("error.storage", outcome.error)
        else:
            admits = tuple(self._cfg.policy.admit_kinds)
            view = dataclasses.replace(
                VerdictView.of(d, admits), manual_reason=outcome.manual_reason
            )
            if outcome.manual_reason and outcome.record is not None:
                view = dataclasses.replace(view, masked_name=outcome.record.masked_name)
            now_local = datetime.now(self._tz).time()
            parts.ui.sounds.play(d.verdict, now_local)
            way = outcome.record.direction if outcome.record else parts.decisions.loop.direction
            parts.ui.sounds.say(spoken_key(view, way), now_local)
        parts.ui.presenter.show(view, time.monotonic())
        shots = self._screenshots
        if shots is not None:
            self._shots += 1
            parts.ui.screen.render(view, status, datetime.now(self._tz))
            verdict = "ERROR" if outcome.error else d.verdict.value
            parts.ui.screen.save(shots / f"{self._shots:03d}-{verdict}-{d.code_kind}.png")

    @staticmethod
    def _vital(parts: Parts) -> list[Service]:
        """The workers without which the door cannot decide, or cannot open (the Wiegand
        line to the panel): a crash of one is not restarted."""
        vital: list[Service] = [parts.decisions.loop, parts.decisions.channel]
        if parts.door.wiegand is not None:
            vital.append(parts.door.wiegand)
        return vital if parts.decisions.capture is None else [parts.decisions.capture, *vital]

    def _crash(self, parts: Parts) -> ErrorView | None:
        """Out-of-order for the first worker that crashed and is not restarted."""
        for service in self._vital(parts):
            health = service.health
            if health.crashed:
                return ErrorView("error.camera", f"{service.name} crashed: {health.error}")
        return None

    def _ended(self, parts: Parts) -> bool:
        """A non-looping replay has been decided, and every outcome delivered and shown.

        Capture must have *ended* too, not merely closed its slot: a crashing capture thread
        closes the slot (in its `finally`) a moment before it is marked crashed, and that
        moment must not read as the replay's end.
        """
        capture_ended = (
            parts.decisions.capture is None or parts.decisions.capture.health.state is State.ENDED
        )
        return (
            capture_ended
            and parts.decisions.loop.health.state is State.ENDED
            and parts.decisions.channel.drained
            and parts.decisions.inbox.empty()
        )

    def _appliance(self, parts: Parts, notifier: SystemdNotifier, running_for: float) -> None:
        """READY=1 once the camera delivered a frame (or a replay ended) and the screen drew;
        a kiosk with readers only is ready once it draws (its readers report on their own).
        A camera that gives nothing within its frame timeout is ready too, degraded (the
        status line says so): a restart does not bring a camera back, the reopening does,
        and the readers and the guard's keypad work meanwhile."""
        if (
            parts.decisions.capture is None
            or parts.decisions.capture.camera.frames > 0
            or parts.decisions.slot.ended
            or self._camera_missing(parts, running_for) is not None
        ):
            notifier.ready()  # sent once however often asked

    def _clock_fault(self, parts: Parts) -> ErrorView | None:
        return None if parts.storage.clock.plausible else ErrorView("error.clock", "clock not set")

    def _clock_offset(self, parts: Parts) -> int | None:
        """Seconds the registry measured this clock off by, when beyond the configured limit."""
        offset = parts.storage.clock.offset_ms
        if offset is None or abs(offset) <= self._cfg.display.max_clock_offset * 1000:
            return None
        return round(offset / 1000)
