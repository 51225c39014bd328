"""`kiosk roll-call`: who is inside now, from this door's records and its LAN peers'."""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path
from typing import Any

from kiosk.cli.options import EXIT_FAIL, EXIT_OK, add_config, existing_store, load

log = logging.getLogger("kiosk")


def run(args: argparse.Namespace) -> int:
    from zoneinfo import ZoneInfo

    from kiosk.cli.rollcall_print import roll_call_pdf, text_lines
    from kiosk.peers import VenueKeys
    from kiosk.peers.ledger import PeerLedger, ledger_path
    from kiosk.peers.rollcall import roll_call
    from kiosk.store import StorageError

    cfg = load(args.config)
    zone = ZoneInfo(cfg.venue.timezone)
    store = existing_store(cfg)
    if store is None:
        return EXIT_FAIL
    ledger, keys = None, None
    try:
        with store:
            if cfg.peers is not None:
                keys = VenueKeys(cfg.peers.secret_file.read_bytes().strip(), cfg.venue.id)
                if ledger_path(cfg.storage.path).exists():
                    ledger = PeerLedger(ledger_path(cfg.storage.path), cfg.kiosk.id)
            try:
                call = roll_call(
                    store, cfg.kiosk.id, zone, time.time(),
                    assume_left_after=cfg.policy.roll_call.assume_left_after,
                    ledger=ledger, keys=keys,
                )  # fmt: skip
            finally:
                if ledger is not None:
                    ledger.close()
    except (StorageError, OSError) as exc:
        print(f"kiosk roll-call: {exc}", file=sys.stderr)
        return EXIT_FAIL
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
    c.set_defaults(func=run)
