"""`kiosk export`: records as CSV in the venue's local time, safe in spreadsheets."""

from __future__ import annotations

import argparse
import contextlib
import io
import logging
import os
import sys
import time
from typing import TYPE_CHECKING, Any

from kiosk.cli.options import (
    EXIT_FAIL,
    EXIT_OK,
    EXIT_USAGE,
    add_config,
    existing_store,
    load,
    plural,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from kiosk.config import Config
    from kiosk.store import Record

log = logging.getLogger("kiosk")


def _staff_notes(cfg: Config) -> Callable[[Record], str | None] | None:
    """The venue deny list's note for each refusal it caused (None without a deny list).

    Only the venue's own file has notes, and only entries by pass or subject can be matched
    to a record: ID numbers are kept there as a keyed hash, never next to a record.
    """
    from checkin_protocol.reasons import Reason
    from checkin_protocol.records import Verdict
    from checkin_protocol.times import parse_iso_datetime
    from kiosk.config.yamlfile import ConfigError
    from kiosk.policy.denylist import DenyList

    if cfg.trust.deny_list is None:
        return None
    try:
        deny = DenyList.load(cfg.trust.deny_list)
    except ConfigError as exc:
        print(f"kiosk export: deny list not read, no staff notes: {exc}", file=sys.stderr)
        return None

    def note(r: Record) -> str | None:
        if r.verdict is not Verdict.FAIL or r.reason != Reason.DENIED or r.subject is None:
            return None
        # The note as it stood when the door decided (a registry entry may have ended since).
        return deny.reason_for(r.subject, parse_iso_datetime(r.created_utc).timestamp())

    return note


def run(args: argparse.Namespace) -> int:
    from zoneinfo import ZoneInfo

    from checkin_protocol.times import utc_iso
    from kiosk.cli.localtime import resolve
    from kiosk.store import StorageError
    from kiosk.store.export import write_csv

    cfg = load(args.config)
    zone = ZoneInfo(cfg.venue.timezone)
    now = time.time()
    try:
        since = utc_iso(resolve(args.since, zone, now)) if args.since else None
        until = utc_iso(resolve(args.until, zone, now, end=True)) if args.until else None
    except (ValueError, OverflowError) as exc:
        print(f"kiosk export: a date out of range: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if since is not None and until is not None and until <= since:
        print(
            f"kiosk export: --until {args.until} is not after --since {args.since}: "
            "no record could be in between",
            file=sys.stderr,
        )
        return EXIT_USAGE
    store = existing_store(cfg)
    if store is None:
        return EXIT_FAIL
    staff_note = _staff_notes(cfg)
    # Excel opens a CSV as UTF-8 only with a BOM; the stream is UTF-8 whatever the locale.
    out = io.TextIOWrapper(sys.stdout.buffer, encoding="utf-8", newline="", write_through=True)
    try:
        with store:
            count = write_csv(
                store.records(since, until), out, zone=zone, all_columns=args.all_columns,
                bom=not args.no_bom, staff_note=staff_note,
            )  # fmt: skip
    except StorageError as exc:
        print(exc, file=sys.stderr)
        return EXIT_FAIL
    except BrokenPipeError:
        # `kiosk export … | head`: the reader has what it wanted; no traceback, and the
        # interpreter's last flush must not fail on the closed pipe either.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    finally:
        with contextlib.suppress(ValueError):
            out.detach()  # sys.stdout keeps its buffer
    print(f"{plural(count, 'record')}, times in {cfg.venue.timezone}", file=sys.stderr)
    return EXIT_OK


def register(sub: Any) -> None:
    from kiosk.cli.localtime import WHEN_HELP, check_when

    c = sub.add_parser(
        "export",
        help="records as CSV on stdout (UTF-8 for Excel), in the venue's local time",
        description="Records as CSV on stdout: a local date/time column first, UTF-8 with a "
        "byte order mark so that Excel shows Vietnamese names, cells safe from formula "
        "injection. Dates are the venue's local dates (its time zone in the config).",
    )
    add_config(c)
    c.add_argument("--since", type=check_when, metavar="WHEN", help=f"from: {WHEN_HELP}")
    c.add_argument(
        "--until", type=check_when, metavar="WHEN", help=f"up to and including: {WHEN_HELP}"
    )
    c.add_argument("--no-bom", action="store_true", help="leave out the byte order mark")
    c.add_argument(
        "--all-columns",
        action="store_true",
        help="also the internal columns (ids, sequence, clocks, sync state) and full subjects",
    )
    c.set_defaults(func=run)
