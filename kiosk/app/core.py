"""The kiosk without devices: reading codes and deciding, shared by `run`, `scan` and `sync`."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from checkin_protocol.keys import TrustStore, load_public_key
from kiosk.config import Config, RegistryConfig, StorageConfig
from kiosk.decision.occupancy import VenueCount
from kiosk.passes import CodeReader, DccSigners
from kiosk.policy.denylist import DenyList
from kiosk.policy.engine import VenuePolicy
from kiosk.store import RecordStore, StorageError
from kiosk.sync.lists import ListState

if TYPE_CHECKING:
    from kiosk.sync.worker import SyncWorker

log = logging.getLogger(__name__)


def build_count(cfg: Config, store: RecordStore) -> VenueCount:
    """The venue-wide count: a registry count older than two missed heartbeats is stale."""
    reg = cfg.registry
    stale_after = (
        2 * reg.heartbeat_interval + reg.connect_timeout + reg.read_timeout if reg else None
    )
    return VenueCount(store, ZoneInfo(cfg.venue.timezone), stale_after=stale_after)


def build_sync(cfg: RegistryConfig, store: RecordStore, lists: ListState) -> SyncWorker:
    # Imported here: `kiosk scan` builds a core without ever syncing (requests is not light).
    from kiosk.sync.client import RegistryClient
    from kiosk.sync.worker import SyncWorker

    token = cfg.token_file.read_text(encoding="utf-8").strip()
    client = RegistryClient(
        cfg.url, token, connect_timeout=cfg.connect_timeout, read_timeout=cfg.read_timeout,
        ca_file=cfg.ca_file,
    )  # fmt: skip
    return SyncWorker(store, client, lists, cfg)


def open_store(cfg: StorageConfig) -> RecordStore:
    return RecordStore(cfg.path, busy_timeout=cfg.busy_timeout, min_free_mb=cfg.min_free_mb)


@dataclass
class Core:
    """The reader, the policy and the registry's lists (None without a registry)."""

    reader: CodeReader
    policy: VenuePolicy
    lists: ListState | None


def build_core(cfg: Config, store: RecordStore | None) -> Core:
    # No ID-number key on the kiosk (trust.subject_key is no longer read): a CCCD's number
    # is sealed to the registry's key from the signed deny list, never hashed here.
    trust = TrustStore.from_files(cfg.trust.issuer_keys)
    deny = DenyList.load(cfg.trust.deny_list) if cfg.trust.deny_list else DenyList()
    # Parsed when the config loaded; each DSC's validity is judged at each scan.
    dscs = DccSigners.from_paths(cfg.trust.dcc_signers, now=0)
    lists = None
    if cfg.registry is not None and store is not None:
        key = load_public_key(cfg.registry.list_key)
        lists = ListState(key, store, trust, deny, dscs)
        try:
            lists.load()  # the last good lists, so an offline start still knows them
        except StorageError as exc:
            log.error("cannot load stored lists: %s", exc)
    policy = VenuePolicy(
        cfg.policy, cfg.kiosk.direction, cfg.venue.timezone, deny,
        list_age=lists.age if lists else None,
    )  # fmt: skip
    reader = CodeReader(
        trust=trust, sealing=deny, dcc_signers=dscs, clock_skew=cfg.policy.clock_skew
    )
    return Core(reader, policy, lists)
