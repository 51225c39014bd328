"""`kiosk run` wired from the config: four groups of parts, built in order, none started."""

from __future__ import annotations

import logging
import queue
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kiosk.app.core import Core, build_core, build_count, build_sync, open_store
from kiosk.app.status import StatusPoller
from kiosk.camera import FrameSource, build_source
from kiosk.camera.capture import CaptureThread, FrameSlot
from kiosk.config import CameraConfig, Config, DecoderConfig, NoCameraConfig, ReplayCameraConfig
from kiosk.decision.clock import ClockWatch, build_floor
from kiosk.decision.loop import DecisionLoop, Judgement, Recognition, Recording
from kiosk.decision.occupancy import VenueCount
from kiosk.decision.outcome import EventLog, Outcome, OutcomeChannel, Sink
from kiosk.decision.retention import RetentionPurge
from kiosk.decode import Decoder, build_decoder
from kiosk.decode.dedupe import RepeatSuppressor
from kiosk.decode.diagnose import Locator, ScanFeedback
from kiosk.display.guard import GuardActions, GuardConsole
from kiosk.display.messages import Messages
from kiosk.display.screen import Screen
from kiosk.display.sound import Sounds, default_clips
from kiosk.display.views import HistoryRow, Presenter
from kiosk.door.hook import DecisionHook
from kiosk.door.osdp import OsdpReader, PanelSignal
from kiosk.door.relay import DoorRelay
from kiosk.door.wiegand import WiegandOut
from kiosk.peers import Peers, build_passback, build_peers
from kiosk.policy.engine import Verdict
from kiosk.readers import ReaderWorker, ScanQueue, build_readers
from kiosk.store import RecordStore, StorageError
from kiosk.sync.worker import SyncWorker

log = logging.getLogger(__name__)


@dataclass
class RunOptions:
    events: Path | None = None
    screenshot_dir: Path | None = None  # a PNG of the screen for each decision (the demo)
    # Called on the outcome thread, in order, once the record is committed; must not block.
    observers: list[Callable[[Outcome], None]] = field(default_factory=list)
    pin_factory: Any = None  # gpiozero's pin factory for the door relay; None: the board's
    # The wall clock every part stamps and judges with (a shifted one: the clock tests).
    clock: Callable[[], float] = time.time
    # Where frames and decoders come from; the config's `type` chooses through these
    # registries (an embedding program, or a test, may wrap them).
    source: Callable[[CameraConfig], FrameSource] = build_source
    decoder: Callable[[DecoderConfig], Decoder] = build_decoder
    recent: int = 200  # outcomes kept in memory: the guard's history and `Kiosk.outcomes`


@dataclass
class Storage:
    """What the kiosk knows and keeps: the database, the code reader and policy, the registry's
    lists and sync, the LAN peers, the venue count, the clock check and retention."""

    store: RecordStore
    core: Core
    sync: SyncWorker | None
    peers: Peers | None
    count: VenueCount
    clock: ClockWatch
    retention: RetentionPurge


@dataclass
class Door:
    """What a decision opens or tells: the relay and the building's HTTP hook."""

    relay: DoorRelay | None
    hook: DecisionHook | None
    wiegand: WiegandOut | None = None  # the building's access-control panel, by Wiegand
    osdp: OsdpReader | None = None  # or as an OSDP reader it polls
    # The panel's LED and buzzer commands, for the render loop to show and sound.
    signals: queue.SimpleQueue[PanelSignal] = field(default_factory=queue.SimpleQueue)


@dataclass
class Decisions:
    """From frames and scans to outcomes: capture, readers, the decision loop, the channel."""

    slot: FrameSlot
    loop: DecisionLoop
    capture: CaptureThread | None  # None: a kiosk with dedicated readers only
    readers: list[ReaderWorker]
    channel: OutcomeChannel
    inbox: queue.SimpleQueue[Outcome]  # the screen's share of the outcomes
    events: EventLog | None
    feedback: ScanFeedback


@dataclass
class Ui:
    """What people see and hear: the screen, sounds, what is shown when, the guard's console,
    and the status strip's figures."""

    screen: Screen
    sounds: Sounds
    presenter: Presenter
    guard: GuardConsole
    status: StatusPoller


@dataclass
class Parts:
    """Everything `kiosk run` is made of, built from the config and not yet started."""

    storage: Storage
    door: Door
    decisions: Decisions
    ui: Ui


def build_storage(cfg: Config, opts: RunOptions) -> Storage:
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
    # The other doors of the venue on the LAN: their records count, and are pushed ours.
    peers = build_peers(cfg, store)
    passback = build_passback(cfg, store, peers)
    if passback is not None:
        core.policy.passback = passback.check
    count = build_count(cfg, store)
    count.peers = peers.ledger if peers is not None else None
    clock = ClockWatch(store, clock=opts.clock, floor=build_floor())
    retention = RetentionPurge(
        store,
        retention=cfg.storage.retention,
        # With a registry, a record is deleted only once the registry has it.
        require_synced=cfg.registry is not None,
        clock=opts.clock,
        clock_set=lambda: clock.plausible,
    )
    return Storage(store, core, sync, peers, count, clock, retention)


def build_door(cfg: Config, opts: RunOptions) -> Door:
    """The door's output (relay, Wiegand or OSDP; `door.output` chooses) and the hook."""
    door, opener = cfg.door, cfg.door.opener()
    for name in door.unused():
        log.warning("door.%s is set but not used: door.output is %s", name, opener)
    relay = (
        DoorRelay(door.relay, pin_factory=opts.pin_factory)
        if opener == "relay" and door.relay is not None
        else None
    )
    hook = DecisionHook(door.hook) if door.hook is not None else None
    wiegand = (
        WiegandOut(door.wiegand, door.credential, pin_factory=opts.pin_factory)
        if opener == "wiegand" and door.wiegand is not None
        else None
    )
    signals: queue.SimpleQueue[PanelSignal] = queue.SimpleQueue()
    osdp = (
        OsdpReader(door.osdp, door.credential, on_signal=signals.put)
        if opener == "osdp" and door.osdp is not None
        else None
    )
    return Door(relay, hook, wiegand, osdp, signals)


def _sinks(cfg: Config, storage: Storage, door: Door) -> list[Sink]:
    """Where each outcome goes besides the screen, in order."""
    sinks: list[Sink] = []
    relay, hook, sync, peers = door.relay, door.hook, storage.sync, storage.peers
    if relay is not None:
        sinks.append(lambda o: _open_door(relay, o))
    if door.wiegand is not None:
        sinks.append(door.wiegand.offer)
    if door.osdp is not None:
        sinks.append(door.osdp.offer)
    if hook is not None:
        sinks.append(lambda o: _notify(hook, cfg, o))
    if sync is not None:
        sinks.append(lambda o: sync.wake())
    if peers is not None:
        sinks.append(lambda o: peers.worker.publish(o.record))
    return sinks


def build_decisions(
    cfg: Config,
    opts: RunOptions,
    storage: Storage,
    door: Door,
    remember: Sink,
) -> Decisions:
    events = EventLog(opts.events) if opts.events else None
    inbox: queue.SimpleQueue[Outcome] = queue.SimpleQueue()
    sinks = [remember, *([events.write] if events is not None else [])]
    sinks += _sinks(cfg, storage, door) + opts.observers
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
    clock = storage.clock
    loop = DecisionLoop(
        Recognition(
            slot, opts.decoder(cfg.decoder), RepeatSuppressor(cfg.decoder.repeat_window),
            scans=scans, camera=has_camera, feedback=feedback, locator=Locator(),
        ),
        Judgement(
            storage.core.reader, storage.core.policy,
            needs_occupancy=cfg.policy.max_occupancy is not None, count=storage.count.inside,
            clock=opts.clock, clock_set=lambda: clock.plausible,
        ),
        Recording(storage.store, cfg.venue.id, cfg.kiosk.id, channel.publish),
    )  # fmt: skip
    capture = (
        CaptureThread(
            opts.source(camera),
            slot,
            frame_timeout=camera.frame_timeout,
            reopen_interval=camera.reopen_interval,
        )
        if has_camera
        else None
    )
    return Decisions(slot, loop, capture, readers, channel, inbox, events, feedback)


def build_ui(
    cfg: Config,
    storage: Storage,
    decisions: Decisions,
    history: Callable[[], list[HistoryRow]],
) -> Ui:
    display, loop = cfg.display, decisions.loop
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
    status = StatusPoller(
        cfg, storage.store, loop, storage.core, storage.sync,
        readers=decisions.readers, count=storage.count,
    )  # fmt: skip
    return Ui(
        screen=Screen(display, venue_name=cfg.venue.name, messages=Messages(display.language)),
        sounds=sounds,
        presenter=Presenter(display.pass_hold, display.fail_hold),
        guard=guard,
        status=status,
    )


def build_parts(
    cfg: Config,
    opts: RunOptions,
    remember: Sink,
    history: Callable[[], list[HistoryRow]],
) -> Parts:
    """Wire the kiosk: every collaborator, and every sink the outcome channel feeds."""
    storage = build_storage(cfg, opts)
    door = build_door(cfg, opts)
    decisions = build_decisions(cfg, opts, storage, door, remember)
    return Parts(storage, door, decisions, build_ui(cfg, storage, decisions, history))


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
