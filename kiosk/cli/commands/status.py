"""`kiosk status`: today's counts, the queue, lists, the last decision (read-only)."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from typing import TYPE_CHECKING, Any

from kiosk.cli.options import (
    EXIT_FAIL,
    EXIT_OK,
    add_config,
    existing_store,
    load,
)

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo


log = logging.getLogger("kiosk")


def run(args: argparse.Namespace) -> int:
    from zoneinfo import ZoneInfo

    from checkin_protocol.times import utc_iso
    from kiosk.app.core import build_count
    from kiosk.cli.localtime import today_bounds
    from kiosk.decision.occupancy import load_snapshot
    from kiosk.store import StorageError

    cfg = load(args.config)
    zone = ZoneInfo(cfg.venue.timezone)
    store = existing_store(cfg)
    if store is None:
        return EXIT_FAIL
    now = time.time()
    try:
        with store:
            status = store.status()
            rejected = store.rejected(5)
            entries, exits, refused = store.day_counts(*today_bounds(now, zone))
            snap = load_snapshot(store)
            stale = build_count(cfg, store).stale(now)  # as the door judges it
            host = store.get_meta("registry_host")  # the one that last answered
    except StorageError as exc:
        print(exc, file=sys.stderr)
        return EXIT_FAIL
    status["rejected_examples"] = [
        {"id": rid, "time": created, "reason": reason} for rid, created, reason in rejected
    ]
    status["timezone"] = cfg.venue.timezone
    # The one setting every record here is kept by (the registry's own: kiosk-registry status).
    status["retention_days"] = round(cfg.storage.retention / 86400, 2)
    status["today"] = {"entries": entries, "exits": exits, "refused": refused}
    status["registry"] = cfg.registry.url if cfg.registry is not None else None
    status["registry_host"] = host if cfg.registry is not None else None
    status["venue_inside"] = (
        {"inside": snap.inside, "as_of": utc_iso(snap.as_of),
         "age_s": round(max(0.0, now - snap.received)), "stale": stale}
        if snap is not None else None
    )  # fmt: skip
    try:
        if args.json:
            print(json.dumps(status, ensure_ascii=False))
        else:
            print(*_status_lines(status, zone), sep="\n")
        sys.stdout.flush()
    except BrokenPipeError:
        # `kiosk status | head -2`: the reader has what it wanted (as with export).
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return EXIT_OK


def _age(seconds: int) -> str:
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    if seconds < 2 * 86400:
        return f"{seconds // 3600} h"
    return f"{seconds // 86400} days"


def _status_lines(status: dict[str, Any], zone: ZoneInfo) -> list[str]:
    """`kiosk status` for people: times on the venue's clock, in its zone."""
    from kiosk.cli.localtime import local

    today = status["today"]
    lines = [
        f"database        {status['path']} ({status['storage_bytes'] / 1e6:.2f} MB)",
        f"times           {status['timezone']}",
        f"today           entries {today['entries']} / exits {today['exits']} / "
        f"refused {today['refused']}",
        f"records         {status['records']}",
        f"retention       {status['retention_days']:g} days (storage.retention)",
    ]
    if status["registry"] is None:
        lines.append("registry        no registry configured")
    else:
        lines += [
            "registry        "
            + ", ".join(
                f"{u} (in use)" if u.rstrip("/") == status["registry_host"] else u
                for u in status["registry"]
            ),
            f"queued for sync {status['queued']}",
            f"oldest unsynced {local(status['oldest_unsynced'], zone)}",
            f"rejected        {status['rejected']}",
            *(
                f"  {local(r['time'], zone)} {r['id']}: {r['reason']}"
                for r in status["rejected_examples"]
            ),
            f"last sync ok    {local(status['last_sync_ok'], zone)}",
            f"clock offset    {status['clock_offset_ms'] or '-'} ms",
        ]
        venue = status["venue_inside"]
        if venue is not None:
            mark = ", STALE: the door shows it as stale" if venue["stale"] else ""
            lines.append(
                f"venue inside    {venue['inside']} (registry, {local(venue['as_of'], zone)}; "
                f"received {_age(venue['age_s'])} ago{mark})"
            )
    for name, info in sorted(status["lists"].items()):
        lines.append(f"{name:15} version {info['version']}, fetched {local(info['fetched'], zone)}")
    last = status["last_decision"]
    if last:
        lines.append(
            f"last decision   {local(last['time'], zone)} {last['verdict']} {last['code_kind']} "
            f"{last['reason'] or ''}".rstrip()
        )
    else:
        lines.append("last decision   -")
    return lines


def register(sub: Any) -> None:
    c = sub.add_parser(
        "status",
        help="today's counts, records queued, last decision, storage (local time)",
        description="Read the kiosk's database (read-only) and print, in the venue's local "
        "time: today's entries, exits and refusals, records, the registry's queue and its "
        "venue-wide count with its age, lists, the last decision. Exit 1 without a database.",
    )
    add_config(c)
    c.add_argument("--json", action="store_true", help="one JSON object, times in UTC")
    c.set_defaults(func=run)
