"""The composition root: builds the kiosk from its config, starts in order, stops in reverse."""

from __future__ import annotations

import contextlib
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
from kiosk.display.messages import Messages
from kiosk.display.screen import Screen
from kiosk.display.views import ErrorView, Presenter, VerdictView, View
from kiosk.loop import DecisionLoop, EventLog, Outcome
from kiosk.passes import CodeReader
from kiosk.passes.keys import TrustStore, load_public_key
from kiosk.passes.privacy import SubjectHasher, ensure_secret
from kiosk.policy.denylist import DenyList
from kiosk.policy.engine import VenuePolicy
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
        self._tz = ZoneInfo(cfg.venue.timezone)

    def run(self) -> int:
        cfg, opts = self.cfg, self.options
        store = open_store(cfg.storage)
        try:
            store.open()
        except StorageError as exc:  # shown on screen; every write retries the open
            log.error("%s", exc)
        core = build_core(cfg, store)
        reader, policy = core.reader, core.policy
        sync = (
            build_sync(cfg.registry, store, core.lists)
            if cfg.registry is not None and core.lists is not None
            else None
        )
        slot = FrameSlot()
        inbox: queue.SimpleQueue[Outcome] = queue.SimpleQueue()
        events = EventLog(opts.events) if opts.events else None

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
            reader=reader,
            policy=policy,
            store=store,
            venue_id=cfg.venue.id,
            kiosk_id=cfg.kiosk.id,
            direction=cfg.kiosk.direction.value,
            needs_occupancy=cfg.policy.max_occupancy is not None,
            on_outcome=on_outcome,
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
            cfg.display,
            venue_name=cfg.venue.name,
            direction=cfg.kiosk.direction.value,
            messages=Messages(cfg.display.language),
        )
        presenter = Presenter(cfg.display.pass_hold, cfg.display.fail_hold)
        if opts.screenshot_dir:
            opts.screenshot_dir.mkdir(parents=True, exist_ok=True)
        started = time.monotonic()
        with contextlib.ExitStack() as stack:
            stack.callback(store.close)
            if events is not None:
                stack.callback(events.close)
            stack.enter_context(_stop_on_signals(self.stop))
            stack.enter_context(screen)
            # Started in order screen → sync → decisions → camera; stopped in reverse.
            if sync is not None:
                stack.enter_context(sync)
            stack.enter_context(loop)
            stack.enter_context(capture)
            tick = 1.0 / cfg.display.fps
            while not self.stop.is_set():
                if screen.quit_requested():
                    break
                now = time.monotonic()
                while True:
                    try:
                        outcome = inbox.get_nowait()
                    except queue.Empty:
                        break
                    self._show(outcome, presenter, screen, now)
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
                self.view = presenter.current(now, fault)
                screen.render(self.view, datetime.now(self._tz))
                if loop.finished.is_set() and inbox.empty():
                    break  # a replay that does not loop has been decided and recorded
                self.stop.wait(tick)
            log.info(
                "stopping: %d frames decided, %d dropped, %d repeats suppressed",
                loop.frames,
                slot.dropped,
                loop.suppressed,
            )
        return 0

    def _show(self, outcome: Outcome, presenter: Presenter, screen: Screen, now: float) -> None:
        self.outcomes.append(outcome)
        view = (
            ErrorView("error.storage", outcome.error)
            if outcome.error
            else VerdictView.of(outcome.decision)
        )
        presenter.show(view, now)
        for observer in self.options.observers:
            observer(outcome)
        shots = self.options.screenshot_dir
        if shots is not None:
            screen.render(view, datetime.now(self._tz))
            verdict = "ERROR" if outcome.error else outcome.decision.verdict.value
            screen.save(
                shots / f"{len(self.outcomes):03d}-{verdict}-{outcome.decision.code_kind}.png"
            )
