"""The venue's kiosks on one LAN: their decisions exchanged, encrypted, without a server."""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from kiosk.config import Config
from kiosk.peers.ledger import PeerLedger, ledger_path
from kiosk.peers.marks import MarkBook, marks_path
from kiosk.peers.passback import AntiPassback
from kiosk.peers.wire import VenueKeys
from kiosk.peers.worker import PeerWorker
from kiosk.store import RecordStore


@dataclass
class Peers:
    """What `peers:` adds to a kiosk: the other doors' records, and the thread that trades them."""

    keys: VenueKeys
    ledger: PeerLedger
    worker: PeerWorker
    marks: MarkBook | None = None  # the roll call's evacuation marks


def build_peers(cfg: Config, store: RecordStore) -> Peers | None:
    if cfg.peers is None:
        return None
    keys = VenueKeys(cfg.peers.secret_file.read_bytes().strip(), cfg.venue.id)
    ledger = PeerLedger(ledger_path(cfg.storage.path), cfg.kiosk.id)
    marks = MarkBook(marks_path(cfg.storage.path))
    rule = cfg.policy.anti_passback
    worker = PeerWorker(
        cfg.peers, kiosk_id=cfg.kiosk.id, keys=keys, store=store, ledger=ledger,
        zone=ZoneInfo(cfg.venue.timezone),
        lookback=60.0 * (rule.minutes or 0) if rule is not None else 0.0, marks=marks,
    )  # fmt: skip
    return Peers(keys, ledger, worker, marks)


def build_passback(cfg: Config, store: RecordStore, peers: Peers | None) -> AntiPassback | None:
    rule = cfg.policy.anti_passback
    if rule is None:
        return None
    zone = ZoneInfo(cfg.venue.timezone)
    if peers is None:
        return AntiPassback(rule, store, zone)
    return AntiPassback(rule, store, zone, peers.ledger, peers.keys)


__all__ = ["AntiPassback", "PeerLedger", "PeerWorker", "Peers", "VenueKeys", "build_peers"]
