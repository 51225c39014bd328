"""The composition root: builds the kiosk from its config, starts in order, stops in reverse."""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import queue
import signal
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from types import FrameType
from zoneinfo import ZoneInfo

from kiosk.camera import build_source
from kiosk.camera.capture import CaptureThread, FrameSlot
from kiosk.config import Config, RegistryConfig, StorageConfig
from kiosk.decode import build_decoder
from kiosk.decode.dedupe import RepeatSuppressor
from kiosk.decode.diagnose import Locator, ScanFeedback
from kiosk.display.messages import Messages
from kiosk.display.screen import PreviewFrame, Screen
from kiosk.display.sound import Sounds
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
from kiosk.guard import GuardActions, GuardConsole
from kiosk.loop import DecisionLoop, EventLog, Outcome
from kiosk.passes import CodeReader
from kiosk.passes.keys import TrustStore, load_public_key
from kiosk.passes.privacy import SubjectHasher, ensure_secret
from kiosk.policy.denylist import DenyList
from kiosk.policy.engine import VenuePolicy, Verdict
from kiosk.store import RecordStore, StorageError
from kiosk.sync.client import RegistryClient
from kiosk.sync.lists import ListState
from kiosk.sync.worker import SyncWorker

log = logging.getLogger(__name__)


def open_store(cfg: StorageConfig) -> RecordStore:
    return RecordStore(cfg.path, busy_timeout=cfg.busy_timeout, min_free_mb=cfg.min_free_mb)


@dataclass
class Core:
    """The kiosk without devices: reading codes and deciding, shared by `run`, `scan`, `sync`."""

    reader: CodeReader
    policy: VenuePolicy
    lists: ListState | None


def build_core(cfg: Config, store: RecordStore | None) -> Core:
    hasher = SubjectHasher(ensure_secret(cfg.trust.subject_key))
    trust = TrustStore.from_files(cfg.trust.issuer_keys)
    deny = DenyList.load(cfg.trust.deny_list, hasher) if cfg.trust.deny_list else DenyList()
    lists = None
    if cfg.registry is not None and store is not None:
        lists = ListState(load_public_key(cfg.registry.list_key), store, trust, deny)
        try:
            lists.load()  # the last good lists, so an offline start still knows them
        except StorageError as exc:
            log.error("cannot load stored lists: %s", exc)
    policy = VenuePolicy(
        cfg.policy, cfg.kiosk.direction, cfg.venue.timezone, deny,
        list_age=lists.age if lists else None,
    )  # fmt: skip
    return Core(CodeReader(trust=trust, hasher=hasher), policy, lists)


def build_sync(cfg: RegistryConfig, store: RecordStore, lists: ListState) -> SyncWorker:
    token = cfg.token_file.read_text(encoding="utf-8").strip()
    client = RegistryClient(
        cfg.url, token, connect_timeout=cfg.connect_timeout, read_timeout=cfg.read_timeout,
        ca_file=cfg.ca_file,
    )  # fmt: skip
    return SyncWorker(store, client, lists, cfg)


@dataclass
class RunOptions:
    events: Path | None = None
    screenshot_dir: Path | None = None  # a PNG of the screen for each decision (the demo)
    observers: list[Callable[[Outcome], None]] = field(default_factory=list)


@contextlib.contextmanager
def _stop_on_signals(stop: threading.Event) -> Iterator[None]:
    def handler(signum: int, frame: FrameType | None) -> None:
        log.info("signal %d: stopping", signum)
        stop.set()

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {s: signal.signal(s, handler) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for s, h in previous.items():
            signal.signal(s, h)


class Kiosk:
    def __init__(self, cfg: Config, options: RunOptions | None = None) -> None:
        self.cfg = cfg
        self.options = options or RunOptions()
        self.stop = threading.Event()
        self.outcomes: list[Outcome] = []
        self.view: View | None = None  # what the screen shows now (status, tests)
        self.stats: dict[str, int] = {}  # frames decided, dropped, repeats suppressed (after run)
        self.relay: DoorRelay | None = None
        self.hook: DecisionHook | None = None
        self._tz = ZoneInfo(cfg.venue.timezone)

    def run(self) -> int:
        cfg, opts = self.cfg, self.options
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
        slot = FrameSlot()
        inbox: queue.SimpleQueue[Outcome] = queue.SimpleQueue()
        events = EventLog(opts.events) if opts.events else None
        feedback = ScanFeedback()

        def on_outcome(outcome: Outcome) -> None:
            if events is not None:
                events.write(outcome)
            inbox.put(outcome)  # SimpleQueue.put never blocks: the loop never waits for the UI
            if sync is not None:
                sync.wake()

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
            on_outcome=on_outcome,
            feedback=feedback,
            locator=Locator(),
            retention=cfg.storage.retention,
            # With a registry, a record is deleted only once the registry has it.
            require_synced_for_purge=cfg.registry is not None,
        )
        capture = CaptureThread(
            build_source(cfg.camera),
            slot,
            frame_timeout=cfg.camera.frame_timeout,
            reopen_interval=cfg.camera.reopen_interval,
        )
        screen = Screen(
            cfg.display, venue_name=cfg.venue.name, messages=Messages(cfg.display.language)
        )
        sounds = Sounds(cfg.display.sound)
        presenter = Presenter(cfg.display.pass_hold, cfg.display.fail_hold)
        guard = GuardConsole(
            cfg.guard,
            GuardActions(
                admit=loop.admit_manually,
                switch_direction=loop.switch_direction,
                toggle_mute=sounds.toggle_mute,
                history=self._history,
            ),
        )
        if opts.screenshot_dir:
            opts.screenshot_dir.mkdir(parents=True, exist_ok=True)
        started = time.monotonic()
        status = StatusBar(direction=loop.direction)
        next_status = 0.0
        with contextlib.ExitStack() as stack:
            stack.callback(store.close)
            if events is not None:
                stack.callback(events.close)
            stack.enter_context(_stop_on_signals(self.stop))
            # Started in order screen → door → sync → decisions → camera; stopped in reverse,
            # so the relay is released only after nothing can ask it to open any more.
            stack.enter_context(screen)
            sounds.open()
            stack.callback(sounds.close)
            if cfg.door.relay is not None:
                self.relay = stack.enter_context(DoorRelay(cfg.door.relay))
            if cfg.door.hook is not None:
                self.hook = stack.enter_context(DecisionHook(cfg.door.hook))
            if sync is not None:
                stack.enter_context(sync)
            stack.enter_context(loop)
            stack.enter_context(capture)
            tick = 1.0 / cfg.display.fps
            while not self.stop.is_set():
                now = time.monotonic()
                if self._handle_events(screen, guard, presenter, now):
                    break
                while True:
                    try:
                        outcome = inbox.get_nowait()
                    except queue.Empty:
                        break
                    self._show(outcome, presenter, screen, sounds, status)
                if now >= next_status or status.direction != loop.direction:
                    status = self._status(store, loop, core, sync, sounds)
                    next_status = now + 2.0
                status = dataclasses.replace(status, muted=sounds.muted)
                health = capture.health
                fault = None
                if not loop.is_alive() and not loop.finished.is_set():
                    fault = ErrorView("error.camera", "decision loop stopped")
                elif (
                    not health.ok
                    and (
                        health.message not in ("starting", "waiting for frames")
                        or now - started > cfg.camera.frame_timeout
                    )
                    and not slot.ended
                ):
                    fault = ErrorView("error.camera", health.message)
                idle = IdleView(hint=feedback.hint(now, cfg.display.help_after))
                self.view = presenter.current(now, fault, idle)
                screen.render(
                    self.view, status, datetime.now(self._tz), self._preview(capture, feedback)
                )
                if loop.finished.is_set() and inbox.empty():
                    break  # a replay that does not loop has been decided and recorded
                self.stop.wait(tick)
            self.stats = {
                "frames": loop.frames,
                "dropped": slot.dropped,
                "suppressed": loop.suppressed,
            }
            log.info(
                "stopping: %d frames decided, %d dropped, %d repeats suppressed",
                loop.frames,
                slot.dropped,
                loop.suppressed,
            )
        return 0

    def _handle_events(
        self, screen: Screen, guard: GuardConsole, presenter: Presenter, now: float
    ) -> bool:
        """Window and keypad events; True when the window was closed."""
        import pygame

        for event in screen.events():
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
            view = guard.key(pygame.key.name(event.key))
            if view is None:
                presenter.clear()
            else:
                # A guard's screen stays until they finish or cancel (or 30 s pass).
                presenter.show(view, now, hold=30.0 if not isinstance(view, NoticeView) else 1.5)
        return False

    def _status(
        self,
        store: RecordStore,
        loop: DecisionLoop,
        core: Core,
        sync: SyncWorker | None,
        sounds: Sounds,
    ) -> StatusBar:
        try:
            occupancy = loop.occupancy()
            queued = store.queued() if sync is not None else None
        except StorageError:
            occupancy, queued = None, None
        stale = False
        max_age = self.cfg.policy.max_list_age
        if core.lists is not None and max_age is not None:
            age = core.lists.age(time.time())
            stale = age is None or age > max_age
        return StatusBar(
            direction=loop.direction,
            occupancy=occupancy,
            queued=queued,
            online=sync.state.online if sync is not None else None,
            lists_stale=stale,
            muted=sounds.muted,
        )

    @staticmethod
    def _preview(capture: CaptureThread, feedback: ScanFeedback) -> PreviewFrame | None:
        frame = capture.latest
        if frame is None:
            return None
        seen = feedback.snapshot()
        if seen is not None and time.monotonic() - seen.at < 0.4:
            return PreviewFrame(frame.luma, seen.corners, seen.read)
        return PreviewFrame(frame.luma)

    def _history(self) -> list[HistoryRow]:
        rows = []
        for o in self.outcomes[-10:]:
            d = o.decision
            when = o.record.created_utc if o.record else None
            local = (
                datetime.fromisoformat(when.replace("Z", "+00:00"))
                .astimezone(self._tz)
                .strftime("%H:%M:%S")
                if when
                else "--:--:--"
            )
            rows.append(
                HistoryRow(
                    time=local,
                    direction=o.record.direction if o.record else "",
                    verdict="ERROR" if o.error else d.verdict.value,
                    masked_name=(d.code.masked_name if d.code else "") or "",
                    reason=o.manual_reason or (d.reason.value if d.reason else ""),
                )
            )
        return rows

    def _show(
        self,
        outcome: Outcome,
        presenter: Presenter,
        screen: Screen,
        sounds: Sounds,
        status: StatusBar,
    ) -> None:
        self.outcomes.append(outcome)
        d = outcome.decision
        if outcome.error:
            view: View = ErrorView("error.storage", outcome.error)
        else:
            view = dataclasses.replace(VerdictView.of(d), manual_reason=outcome.manual_reason)
            sounds.play(d.verdict, datetime.now(self._tz).time())
            # The door opens only for a recorded PASS; a FAIL or a failed write never opens it.
            if d.verdict is Verdict.PASS and self.relay is not None:
                self.relay.open_briefly()
            if self.hook is not None:
                self.hook.notify(
                    {
                        "venue_id": self.cfg.venue.id,
                        "kiosk_id": self.cfg.kiosk.id,
                        "verdict": d.verdict.value,
                        "reason": d.reason.value if d.reason else None,
                        "direction": outcome.record.direction if outcome.record else None,
                        "manual": outcome.manual_reason is not None,
                        "record_id": outcome.record.id if outcome.record else None,
                        "time": outcome.record.created_utc if outcome.record else None,
                    }
                )
        presenter.show(view, time.monotonic())
        for observer in self.options.observers:
            observer(outcome)
        shots = self.options.screenshot_dir
        if shots is not None:
            screen.render(view, status, datetime.now(self._tz))
            verdict = "ERROR" if outcome.error else d.verdict.value
            screen.save(shots / f"{len(self.outcomes):03d}-{verdict}-{d.code_kind}.png")
