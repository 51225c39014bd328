"""`kiosk roll-call`: who is inside now, from this door's records and its LAN peers'."""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kiosk.cli.options import EXIT_FAIL, EXIT_OK, EXIT_USAGE, add_config, existing_store, load

if TYPE_CHECKING:
    from kiosk.config import Config
    from kiosk.peers.rollcall import RollCall
    from kiosk.store import RecordStore

log = logging.getLogger("kiosk")


def run(args: argparse.Namespace) -> int:
    from pydantic import ValidationError

    from kiosk.store import StorageError

    if args.mark and not args.by:
        print("kiosk roll-call: --mark needs --by NAME (who marks)", file=sys.stderr)
        return EXIT_USAGE
    cfg = load(args.config)
    store = existing_store(cfg)
    if store is None:
        return EXIT_FAIL
    try:
        with store:
            call = _list(cfg, store, args)
    except _Refused as exc:
        print(f"kiosk roll-call: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except ValidationError:
        print("kiosk roll-call: --by: a name of 1-64 printable characters", file=sys.stderr)
        return EXIT_USAGE
    except (StorageError, OSError) as exc:
        print(f"kiosk roll-call: {exc}", file=sys.stderr)
        return EXIT_FAIL
    return _show(cfg, call, args)


class _Refused(Exception):
    pass


def _list(cfg: Config, store: RecordStore, args: argparse.Namespace) -> RollCall:
    """The roll call now, after the marks asked for are made."""
    from zoneinfo import ZoneInfo

    from kiosk.cli.rollcall_print import numbered
    from kiosk.peers import VenueKeys
    from kiosk.peers.ledger import PeerLedger, ledger_path
    from kiosk.peers.marks import MarkBook, marks_path
    from kiosk.peers.rollcall import roll_call

    keys = ledger = marks = None
    if cfg.peers is not None:
        keys = VenueKeys(cfg.peers.secret_file.read_bytes().strip(), cfg.venue.id)
        if ledger_path(cfg.storage.path).exists():
            ledger = PeerLedger(ledger_path(cfg.storage.path), cfg.kiosk.id)
    # The marks are kept (and spread by `kiosk run`'s peers thread) even before any peer hears.
    if args.mark or marks_path(cfg.storage.path).exists():
        marks = MarkBook(marks_path(cfg.storage.path))
    try:

        def now() -> RollCall:
            return roll_call(
                store, cfg.kiosk.id, ZoneInfo(cfg.venue.timezone), time.time(),
                assume_left_after=cfg.policy.roll_call.assume_left_after,
                ledger=ledger, keys=keys, marks=marks,
            )  # fmt: skip

        call = now()
        if not args.mark or marks is None:
            return call
        people = numbered(call)
        wrong = [n for n in args.mark if not 1 <= n <= len(people)]
        if wrong:
            raise _Refused(f"no number {wrong[0]} on the list (1-{len(people)})")
        for n in args.mark:
            marks.mark(people[n - 1].key, cfg.kiosk.id, args.by, time.time())
        return now()
    finally:
        for db in (ledger, marks):
            if db is not None:
                db.close()


def _show(cfg: Config, call: RollCall, args: argparse.Namespace) -> int:
    from zoneinfo import ZoneInfo

    from kiosk.cli.rollcall_print import roll_call_pdf, text_lines

    zone = ZoneInfo(cfg.venue.timezone)
    if args.json:
        print(json.dumps(call.as_json(), ensure_ascii=False, indent=2))
    else:
        print("\n".join(text_lines(call, zone, cfg.venue.name)))
    if args.pdf is not None:
        try:
            pages = roll_call_pdf(call, args.pdf, zone, cfg.venue.name)
        except OSError as exc:
            print(f"kiosk roll-call: cannot write {args.pdf}: {exc}", file=sys.stderr)
            return EXIT_FAIL
        print(f"{args.pdf}: {pages} page(s)", file=sys.stderr)
    return EXIT_OK


def register(sub: Any) -> None:
    c = sub.add_parser(
        "roll-call",
        help="who is inside now, at every door (masked names)",
        description="Who is inside now: today's PASS entries with no exit since, at this door "
        "and every door of the venue heard on the LAN (peers), with masked names only. Says "
        "which doors the list holds records of and how recent, and lists apart who may be "
        "inside because no exit was scanned (policy.roll_call.assume_left_after). "
        "Read-only; works while `kiosk run` runs.",
    )
    add_config(c)
    c.add_argument("--pdf", type=Path, metavar="OUT", help="also write an A4 PDF to tick off")
    c.add_argument("--json", action="store_true", help="print JSON instead of text")
    c.add_argument(
        "--mark", type=int, action="append", metavar="N",
        help="in an evacuation: mark person N of the list accounted for (repeatable); the "
        "running kiosk spreads the marks to the other doors",
    )  # fmt: skip
    c.add_argument("--by", metavar="NAME", help="who marks (with --mark), e.g. the guard's name")
    c.set_defaults(func=run)
