"""Registry settings: where its data and keys live, which database, and its time limits."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DAY = 86400
MIB = 1024 * 1024


def _env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, str(default)))


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str
    retention_days: int = 21  # records, declarations, and passes past their validity
    audit_retention_days: int = 365  # the audit log is evidence: kept longer
    list_validity: int = 7 * DAY  # a signed list is valid this long after it was served
    declaration_pass_validity: int = 7 * DAY
    deny_id_days: int = 14  # a health officer's deny entry by ID number, unless told otherwise
    online_window: int = 180  # a kiosk is online if it sent a heartbeat this recently (s)
    max_batch: int = 1000
    # A record further ahead of the registry than this, once clock-corrected, is refused.
    max_future_ms: int = 10 * 60 * 1000
    # The kiosks refuse a list document over 8 MiB; the deny list is held far below it: past
    # this budget new declarations are refused (their deny entries would not fit) and status
    # raises an alarm.
    deny_list_budget: int = 2 * MIB
    # Of that budget, the entries anonymous declarations may hold between them (%), and one
    # client address (an IPv6 /64) at most: the rest is the health officers', whatever
    # anyone declares.
    declared_share_pct: int = 50
    declared_per_address: int = 20
    # Where one-time codes to the phone on file go: "log" (the demo: the registry's log); an
    # SMS or Zalo gateway is another registry.core.proofcodes.CodeSender.
    code_sender: str = "log"
    # The largest kiosk clock offset (ms, either way) whose records tracing and the live view
    # find through the day partitions of the times asked for alone; records from kiosks
    # further off are listed by day in skewed_days (registry.db.pruning). Larger: more
    # neighbouring days read by each query; smaller: more kiosks listed. Only ever raised in
    # effect (the largest any process used is stored).
    routed_offset_ms: int = 15 * 60 * 1000
    purge_interval: int = 600  # s between retention runs inside `serve`; 0: never
    purge_batch: int = 500  # rows per delete: SQLite has one writer, uploads wait for each batch
    # PostgreSQL locks rows, not the database: uploads never wait for a delete, so batches are
    # larger there, yet each is a short transaction (no day-long delete holding back vacuum).
    purge_batch_postgresql: int = 20_000
    purge_time_budget: int = 60  # s one retention run may take; the rest waits for the next
    # Declarations: (burst, seconds to earn one back) per client address and per ID number.
    declare_per_address: tuple[int, int] = (20, 180)
    declare_per_id: tuple[int, int] = (3, 3600)
    # Sign-in: wrong tokens per address (or per account, from its known browsers) in a window
    # of seconds; then that address or account waits the window out. In the database.
    login_failures: tuple[int, int] = (10, 600)
    signin_device_days: int = 90  # a browser that signed in is known to its account this long
    session_lifetime: int = 12 * 3600  # s a browser stays signed in
    # s after a phone checks out before the same pass may check in there again by phone.
    self_checkin_cooldown: int = 300
    # A read replica (streaming replication) for tracing and statistics; None: the primary.
    replica_url: str | None = None
    api_docs: bool = False  # /docs and /redoc load scripts from a CDN: off unless asked for

    @property
    def keys_dir(self) -> Path:
        return self.data_dir / "keys"

    @classmethod
    def load(cls, data_dir: Path | None = None, database_url: str | None = None) -> Settings:
        """Flags first, then REGISTRY_* variables, then ./registry-data with SQLite."""
        data = Path(data_dir or os.environ.get("REGISTRY_DATA", "registry-data")).resolve()
        url = database_url or os.environ.get("REGISTRY_DB") or f"sqlite:///{data / 'registry.db'}"
        return cls(
            data_dir=data,
            database_url=url,
            retention_days=_env_int("REGISTRY_RETENTION_DAYS", 21),
            audit_retention_days=_env_int("REGISTRY_AUDIT_RETENTION_DAYS", 365),
            deny_id_days=_env_int("REGISTRY_DENY_ID_DAYS", 14),
            max_future_ms=_env_int("REGISTRY_MAX_FUTURE_S", 600) * 1000,
            deny_list_budget=_env_int("REGISTRY_DENY_LIST_BUDGET", 2 * MIB),
            declared_share_pct=_env_int("REGISTRY_DECLARED_SHARE_PCT", 50),
            declared_per_address=_env_int("REGISTRY_DECLARED_PER_ADDRESS", 20),
            code_sender=os.environ.get("REGISTRY_CODE_SENDER", "log"),
            purge_interval=_env_int("REGISTRY_PURGE_INTERVAL", 600),
            routed_offset_ms=min(max(0, _env_int("REGISTRY_ROUTED_OFFSET_S", 900)), 10 * 366 * DAY)
            * 1000,
            api_docs=os.environ.get("REGISTRY_API_DOCS", "") == "1",
            replica_url=os.environ.get("REGISTRY_REPLICA_DB") or None,
        )
