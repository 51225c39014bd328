"""The composition root: builds the kiosk from its config, starts in order, stops in reverse."""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import queue
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from kiosk.app.core import Core, build_core, build_count, build_sync, open_store
from kiosk.camera import build_source
from kiosk.camera.capture import CaptureThread, FrameSlot
from kiosk.config import (
    Config,
    NoCameraConfig,
    ReplayCameraConfig,
)
from kiosk.decision.clock import ClockWatch, build_floor
from kiosk.decision.loop import DecisionLoop, EventLog, Outcome, OutcomeChannel
from kiosk.decision.occupancy import VenueCount
from kiosk.decode import build_decoder
from kiosk.decode.dedupe import RepeatSuppressor
from kiosk.decode.diagnose import Locator, ScanFeedback
from kiosk.display.guard import GuardActions, GuardConsole, history_rows
from kiosk.display.messages import Messages
from kiosk.display.screen import PreviewFrame, Screen
from kiosk.display.sound import Sounds, default_clips, spoken_key
from kiosk.display.views import (
    ErrorView,
    HistoryRow,
    IdleView,
    NoticeView,
    Presenter,
    StatusBar,
    VerdictView,
    View,
)
from kiosk.door.hook import DecisionHook
from kiosk.door.relay import DoorRelay
from kiosk.peers import Peers, build_passback, build_peers
from kiosk.policy.engine import Verdict
from kiosk.readers import ReaderWorker, ScanQueue, build_readers
from kiosk.runtime.notify import SystemdNotifier
from kiosk.runtime.service import Restart, Service, State
from kiosk.runtime.signals import StopSignals, stop_on_signals
from kiosk.store import RecordStore, StorageError
from kiosk.store.lock import AlreadyRunning, InstanceLock
from kiosk.sync.worker import SyncWorker

log = logging.getLogger(__name__)
# Core and its builders live in kiosk.app.core (light to import, for `kiosk scan`, `status` and
# `sync`: no camera, screen or sound); imported here too, where `run` and the tests find them.
__all__ = ["Core", "Kiosk", "RunOptions", "build_core", "build_count", "build_sync", "open_store"]


EXIT_CLEAN = 0
EXIT_CRASHED = 1  # systemd's Restart=on-failure starts the kiosk again
# Not 2 (a config error, which the unit's RestartPreventExitStatus=2 does not retry): the
# kiosk that holds the database may be an admin's, run by hand, and the service should
# start again, every RestartSec, until that one has ended.
EXIT_ALREADY_RUNNING = 3
RECENT = 200  # outcomes kept in memory: the guard's history and `Kiosk.outcomes`
CRASH_SHOWN = 3.0  # seconds out-of-order stays on screen before a crashed kiosk exits


@dataclass
class RunOptions:
    events: Path | None = None
    screenshot_dir: Path | None = None  # a PNG of the screen for each decision (the demo)
    # Called on the outcome thread, in order, once the record is committed; must not block.
    observers: list[Callable[[Outcome], None]] = field(default_factory=list)
    pin_factory: Any = None  # gpiozero's pin factory for the door relay; None: the board's
    # The wall clock every part stamps and judges with (a shifted one: the clock tests).
    clock: Callable[[], float] = time.time


class StatusPoller(Service):
    """Reads the status strip's figures (occupancy, queue, sync, list age) every 2 s on its
    own thread, so the render loop never waits on the database. A crash restarts it with
    backoff: a stale strip is better than a kiosk out of order over a cosmetic figure."""

    def __init__(
        self,
        cfg: Config,
        store: RecordStore,
        loop: DecisionLoop,
        core: Core,
        sync: SyncWorker | None,
        interval: float = 2.0,
        readers: Sequence[ReaderWorker] = (),
        count: VenueCount | None = None,
    ) -> None:
        super().__init__("status", restart=Restart(first=2.0, limit=60.0))
        self._count = count
        self._readers = readers
        self._cfg, self._store, self._loop, self._core, self._sync = cfg, store, loop, core, sync
        self._interval = interval
        self._lock = threading.Lock()
        self._latest = StatusBar(direction=loop.direction)

    @property
    def latest(self) -> StatusBar:
        with self._lock:
            return self._latest

    def serve(self) -> None:
        while True:
            status = self.read()
            with self._lock:
                self._latest = status
            if self.wait_stopping(self._interval):
                return

    def read(self) -> StatusBar:
        try:
            occupancy = self._loop.occupancy()
            queued = self._store.queued() if self._sync is not None else None
            count_stale = self._count is not None and self._count.stale(time.time())
        except StorageError:
            occupancy, queued, count_stale = None, None, False
        stale = False
        max_age = self._cfg.policy.max_list_age
        lists = self._core.lists
        if lists is not None and max_age is not None:
            age = lists.age(time.time())
            stale = age is None or age > max_age
        return StatusBar(
            direction=self._loop.direction,
            occupancy=occupancy,
            occupancy_stale=count_stale,
            queued=queued,
            online=self._sync.state.online if self._sync is not None else None,
            lists_stale=stale,
            # An unplugged reader is reopened when it returns; meanwhile staff should know.
            reader_down=any(not r.status.ok for r in self._readers),
        )


@dataclass
class Parts:
    """Everything `kiosk run` is made of, built from the config and not yet started."""

    store: RecordStore
    core: Core
    sync: SyncWorker | None
    slot: FrameSlot
    loop: DecisionLoop
    capture: CaptureThread | None  # None: a kiosk with dedicated readers only
    readers: list[ReaderWorker]
    channel: OutcomeChannel
    inbox: queue.SimpleQueue[Outcome]  # the screen's share of the outcomes
    events: EventLog | None
    feedback: ScanFeedback
    screen: Screen
    sounds: Sounds
    presenter: Presenter
    guard: GuardConsole
    relay: DoorRelay | None
    hook: DecisionHook | None
    status: StatusPoller
    clock: ClockWatch
    peers: Peers | None = None


def build_parts(
    cfg: Config,
    opts: RunOptions,
    remember: Callable[[Outcome], None],
    history: Callable[[], list[HistoryRow]],
) -> Parts:
    """Wire the kiosk: every collaborator, and every sink the outcome channel feeds."""
    store = open_store(cfg.storage)
    try:
        store.open()
    except StorageError as exc:  # shown on screen; every write retries the open
        log.error("%s", exc)
    core = build_core(cfg, store)
    sync = (
        build_sync(cfg.registry, store, core.lists)
        if cfg.registry is not None and core.lists is not None
        else None
    )
    relay = DoorRelay(cfg.door.relay, pin_factory=opts.pin_factory) if cfg.door.relay else None
    hook = DecisionHook(cfg.door.hook) if cfg.door.hook is not None else None
    events = EventLog(opts.events) if opts.events else None
    inbox: queue.SimpleQueue[Outcome] = queue.SimpleQueue()
    sinks: list[Callable[[Outcome], None]] = [remember]
    if events is not None:
        sinks.append(events.write)
    if relay is not None:
        sinks.append(lambda o: _open_door(relay, o))
    if hook is not None:
        sinks.append(lambda o: _notify(hook, cfg, o))
    if sync is not None:
        sinks.append(lambda o: sync.wake())
    # The other doors of the venue on the LAN: their records count, and are pushed ours.
    peers = build_peers(cfg, store)
    if peers is not None:
        sinks.append(lambda o: peers.worker.publish(o.record))
    passback = build_passback(cfg, store, peers)
    if passback is not None:
        core.policy.passback = passback.check
    sinks += opts.observers
    sinks.append(inbox.put)  # last: the screen shows what every other sink has seen
    channel = OutcomeChannel(sinks)
    camera = cfg.camera
    lockstep = isinstance(camera, ReplayCameraConfig) and camera.pace == "lockstep"
    slot = FrameSlot(lockstep=lockstep)
    feedback = ScanFeedback()
    has_camera = not isinstance(camera, NoCameraConfig)
    # Readers hand their codes to the decision loop between frames; a scan wakes it.
    scans = ScanQueue(notify=slot.poke)
    readers = [ReaderWorker(reader, scans) for reader in build_readers(cfg.readers)]
    clock = ClockWatch(store, clock=opts.clock, floor=build_floor())
    count = build_count(cfg, store)
    count.peers = peers.ledger if peers is not None else None
    loop = DecisionLoop(
        slot=slot,
        decoder=build_decoder(cfg.decoder),
        suppressor=RepeatSuppressor(cfg.decoder.repeat_window),
        reader=core.reader,
        policy=core.policy,
        store=store,
        venue_id=cfg.venue.id,
        kiosk_id=cfg.kiosk.id,
        needs_occupancy=cfg.policy.max_occupancy is not None,
        on_outcome=channel.publish,
        feedback=feedback,
        locator=Locator(),
        retention=cfg.storage.retention,
        # With a registry, a record is deleted only once the registry has it.
        require_synced_for_purge=cfg.registry is not None,
        scans=scans,
        camera=has_camera,
        clock=opts.clock,
        clock_set=lambda: clock.plausible,
        count=count.inside,
    )
    capture = (
        CaptureThread(
            build_source(camera),
            slot,
            frame_timeout=camera.frame_timeout,
            reopen_interval=camera.reopen_interval,
        )
        if has_camera
        else None
    )
    display = cfg.display
    speech = (display.speech_clips or default_clips()) if display.speech else None
    languages = ("vi", "en") if display.language == "both" else (display.language,)
    sounds = Sounds(display.sound, speech, languages)
    guard = GuardConsole(
        cfg.guard,
        GuardActions(
            admit=loop.admit_manually,
            switch_direction=loop.switch_direction,
            toggle_mute=sounds.toggle_mute,
            history=history,
        ),
    )
    return Parts(
        store=store, core=core, sync=sync, slot=slot, loop=loop, capture=capture, readers=readers,
        channel=channel, inbox=inbox, events=events, feedback=feedback,
        screen=Screen(
            cfg.display, venue_name=cfg.venue.name, messages=Messages(cfg.display.language)
        ),
        sounds=sounds, presenter=Presenter(cfg.display.pass_hold, cfg.display.fail_hold),
        guard=guard, relay=relay, hook=hook,
        status=StatusPoller(cfg, store, loop, core, sync, readers=readers, count=count),
        clock=clock, peers=peers,
    )  # fmt: skip


def _open_door(relay: DoorRelay, outcome: Outcome) -> None:
    # The door opens only for a recorded PASS; a FAIL or a failed write never opens it.
    if not outcome.error and outcome.decision.verdict is Verdict.PASS:
        relay.open_briefly()


def _notify(hook: DecisionHook, cfg: Config, outcome: Outcome) -> None:
    if outcome.error:
        return
    d, record = outcome.decision, outcome.record
    hook.notify(
        {
            "venue_id": cfg.venue.id,
            "kiosk_id": cfg.kiosk.id,
            "verdict": d.verdict.value,
            "reason": d.reason.value if d.reason else None,
            "direction": record.direction if record else None,
            "manual": outcome.manual_reason is not None,
            "record_id": record.id if record else None,
            "time": record.created_utc if record else None,
        }
    )


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
        self._recent: deque[Outcome] = deque(maxlen=RECENT)
        self._recent_lock = threading.Lock()
        self.view: View | None = None  # what the screen shows now (status, tests)
        self.strip: StatusBar | None = None  # and what its status strip says
        self.stats: dict[str, int] = {}  # frames decided, dropped, repeats suppressed (after run)
        self.crashed: list[str] = []  # the workers that crashed, after run
        self._shots = 0
        self._tz = ZoneInfo(cfg.venue.timezone)

    @property
    def outcomes(self) -> list[Outcome]:
        """The last RECENT outcomes, oldest first (a copy: safe from any thread)."""
        with self._recent_lock:
            return list(self._recent)

    def _remember(self, outcome: Outcome) -> None:
        with self._recent_lock:
            self._recent.append(outcome)

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
            stack.callback(parts.store.close)
            if parts.peers is not None:
                stack.callback(parts.peers.ledger.close)
            if parts.events is not None:
                stack.callback(parts.events.close)
            notifier = self._start_notifier(stack, parts)
            if not self._start(stack, parts, signals):
                return EXIT_CLEAN  # stopped while starting: what started is stopped in reverse
            status = self._render_loop(parts, notifier)
            notifier.will_stop()  # before the parts stop, which may take seconds
            self.stats = {
                "frames": parts.loop.frames,
                "dropped": parts.slot.dropped,
                "suppressed": parts.loop.suppressed,
            }
            log.info(
                "stopping: %d frames decided, %d dropped, %d repeats suppressed",
                parts.loop.frames,
                parts.slot.dropped,
                parts.loop.suppressed,
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
        stack.enter_context(parts.guard)
        # Started in order screen → door → sync → status → outcomes → decisions → camera;
        # stopped in reverse, so the relay is released only after nothing can open it.
        stack.enter_context(parts.screen)
        parts.sounds.open()
        stack.callback(parts.sounds.close)
        if signals is not None:
            signals.reassert()  # pygame and SDL may have put their own handlers in place
        if parts.relay is not None:
            stack.enter_context(parts.relay)
        parts.clock.check()  # before the decision loop's first frame: is the clock set?
        peers = parts.peers.worker if parts.peers is not None else None
        services: list[Service] = [s for s in (parts.hook, parts.sync, peers) if s is not None] + [
            parts.clock,
            parts.status,
            parts.channel,
            parts.loop,
            *parts.readers,
            *([parts.capture] if parts.capture is not None else []),
        ]
        for service in services:
            if self.stop.is_set():
                return False
            stack.enter_context(service)
        return not self.stop.is_set()

    @staticmethod
    def _vital(parts: Parts) -> list[Service]:
        """The workers without which the door cannot decide: a crash of one is not restarted."""
        vital: list[Service] = [parts.loop, parts.channel]
        return vital if parts.capture is None else [parts.capture, *vital]

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
        capture_ended = parts.capture is None or parts.capture.health.state is State.ENDED
        return (
            capture_ended
            and parts.loop.health.state is State.ENDED
            and parts.channel.drained
            and parts.inbox.empty()
        )

    # ---------------------------------------------------------------- the appliance

    def _start_notifier(self, stack: contextlib.ExitStack, parts: Parts) -> SystemdNotifier:
        """systemd's notifications, started first so it is stopped last (after STOPPING=1)."""
        notifier = SystemdNotifier(lambda: parts.loop.turns, lambda: self._status_line(parts))
        stack.enter_context(notifier)
        return notifier

    def _status_line(self, parts: Parts) -> str:
        """One line for `systemctl status` (read on the notifier's thread: no database)."""
        camera = parts.capture.camera if parts.capture is not None else None
        if not parts.clock.plausible:
            state = "clock not set: deciding nothing"
        elif camera is not None and not camera.ok and not parts.slot.ended:
            state = f"camera: {camera.message}"
        else:
            state = "ready"
        queued = parts.status.latest.queued
        line = state + (f"; queue {queued}" if queued is not None else "")
        if parts.peers is not None and self.cfg.peers is not None:
            # Heard within three summaries: which doors of the venue this kiosk agrees with.
            heard = parts.peers.worker.heard(3 * self.cfg.peers.interval + 1)
            line += f"; peers {len(heard)}/{len(self.cfg.peers.addresses)}"
            down = parts.peers.worker.down
            line += f" (down: {down})" if down else ""
            for peer, off in sorted(parts.peers.worker.skewed().items()):
                line += f"; {peer}'s clock {off:+.0f} s"
        recent = self.outcomes
        if recent:
            last = recent[-1]
            verdict = "ERROR" if last.error else last.decision.verdict.value
            when = last.record.created_utc[11:19] if last.record else ""
            line += f"; last {verdict} {when}".rstrip()
        return line

    def _appliance(self, parts: Parts, notifier: SystemdNotifier) -> None:
        """READY=1 once the camera delivered a frame (or a replay ended) and the screen drew;
        a kiosk with readers only is ready once it draws (its readers report on their own)."""
        if parts.capture is None or parts.capture.camera.frames > 0 or parts.slot.ended:
            notifier.ready()  # sent once however often asked

    def _clock_fault(self, parts: Parts) -> ErrorView | None:
        return None if parts.clock.plausible else ErrorView("error.clock", "clock not set")

    def _clock_offset(self, parts: Parts) -> int | None:
        """Seconds the registry measured this clock off by, when beyond the configured limit."""
        offset = parts.clock.offset_ms
        if offset is None or abs(offset) <= self.cfg.display.max_clock_offset * 1000:
            return None
        return round(offset / 1000)

    def _render_loop(self, parts: Parts, notifier: SystemdNotifier) -> int:
        """Renders until stopped, ended or crashed; returns the exit status."""
        cfg = self.cfg
        tick = 1.0 / cfg.display.fps
        started = time.monotonic()
        crash_until: float | None = None
        while not self.stop.is_set():
            now = time.monotonic()
            if self._handle_events(parts, now):
                break
            # The direction from its owner at once (a guard's switch shows without delay).
            status = dataclasses.replace(
                parts.status.latest,
                direction=parts.loop.direction,
                muted=parts.sounds.muted,
                clock_offset=self._clock_offset(parts),
            )
            self._drain_inbox(parts, status)
            fault = self._crash(parts)
            if fault is not None and crash_until is None:
                self.crashed = [s.name for s in self._vital(parts) if s.health.crashed]
                parts.presenter.clear()  # out-of-order at once, not after a verdict's hold
                crash_until = now + CRASH_SHOWN
            fault = fault or self._clock_fault(parts) or self._camera_fault(parts, now - started)
            idle = IdleView(hint=parts.feedback.hint(now, cfg.display.help_after))
            self.view = parts.presenter.current(now, fault, idle)
            self.strip = status
            parts.screen.render(self.view, status, datetime.now(self._tz), self._preview(parts))
            self._appliance(parts, notifier)
            if crash_until is not None and now >= crash_until:
                return EXIT_CRASHED
            if crash_until is None and self._ended(parts):
                return EXIT_CLEAN  # a replay that does not loop has been decided and recorded
            self.stop.wait(tick)
        return EXIT_CRASHED if crash_until is not None else EXIT_CLEAN

    def _camera_fault(self, parts: Parts, running_for: float) -> ErrorView | None:
        if parts.capture is None:
            return None
        camera = parts.capture.camera
        if camera.ok or parts.slot.ended:
            return None
        # A camera gets its frame timeout to deliver a first frame before it is a fault.
        if camera.message in ("starting", "waiting for frames") and (
            running_for <= self.cfg.camera.frame_timeout
        ):
            return None
        return ErrorView("error.camera", camera.message)

    def _drain_inbox(self, parts: Parts, status: StatusBar) -> None:
        while True:
            try:
                outcome = parts.inbox.get_nowait()
            except queue.Empty:
                return
            self._show(outcome, parts, status)

    def _handle_events(self, parts: Parts, now: float) -> bool:
        """Window and keypad events, and a finished PIN check; True when the window closed."""
        import pygame

        guard, presenter = parts.guard, parts.presenter
        for event in parts.screen.events():
            if event.type == pygame.QUIT:
                return True
            if event.type != pygame.KEYDOWN:
                continue
            if (
                event.key == pygame.K_ESCAPE
                and guard.view is None
                and self.cfg.display.mode != "fullscreen"
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
        frame = parts.capture.latest if parts.capture is not None else None
        if frame is None:
            return None
        seen = parts.feedback.snapshot()
        if seen is not None and time.monotonic() - seen.at < 0.4:
            return PreviewFrame(frame.luma, seen.corners, seen.read, seq=frame.seq)
        return PreviewFrame(frame.luma, seq=frame.seq)

    def _history(self) -> list[HistoryRow]:
        return history_rows(self.outcomes, self._tz)

    def _show(self, outcome: Outcome, parts: Parts, status: StatusBar) -> None:
        """Put one outcome on screen (the door, hook and log already have it)."""
        d = outcome.decision
        if outcome.error:
            view: View = ErrorView("error.storage", outcome.error)
        else:
            view = dataclasses.replace(VerdictView.of(d), manual_reason=outcome.manual_reason)
            if outcome.manual_reason and outcome.record is not None:
                view = dataclasses.replace(view, masked_name=outcome.record.masked_name)
            now_local = datetime.now(self._tz).time()
            parts.sounds.play(d.verdict, now_local)
            way = outcome.record.direction if outcome.record else parts.loop.direction
            parts.sounds.say(spoken_key(view, way), now_local)
        parts.presenter.show(view, time.monotonic())
        shots = self.options.screenshot_dir
        if shots is not None:
            self._shots += 1
            parts.screen.render(view, status, datetime.now(self._tz))
            verdict = "ERROR" if outcome.error else d.verdict.value
            parts.screen.save(shots / f"{self._shots:03d}-{verdict}-{d.code_kind}.png")
