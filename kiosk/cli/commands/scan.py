"""`kiosk scan`: still images or payload texts decided as the door would; records nothing."""

from __future__ import annotations

import argparse
import contextlib
import logging
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kiosk.cli.options import (
    EXIT_USAGE,
    load,
    scan_at,
)

if TYPE_CHECKING:
    pass

log = logging.getLogger("kiosk")


def run(args: argparse.Namespace) -> int:
    """One line per input (human, or JSON with --json), in order; 1 if any code FAILed."""
    if bool(args.images) == bool(args.text):
        print("kiosk scan: give image files or --text payloads (not both)", file=sys.stderr)
        return EXIT_USAGE
    if args.timed and "-" not in args.text:
        print("kiosk scan: --timed needs --text - (times come with the lines)", file=sys.stderr)
        return EXIT_USAGE
    cfg = load(args.config)
    from kiosk.app.core import build_core, open_store
    from kiosk.cli.scan import Input, Scanner, run_scan, text_inputs

    # The kiosk's stored lists take part when there are any; scan never creates a database.
    with contextlib.ExitStack() as stack:
        store = open_store(cfg.storage) if cfg.storage.path.exists() else None
        if store is not None:
            stack.enter_context(store)
        core = build_core(cfg, store)
    decoder = None
    if args.images:
        from kiosk.decode import build_decoder

        decoder = build_decoder(cfg.decoder)
    now = args.at if args.at is not None else time.time()
    inputs = (
        text_inputs(args.text, sys.stdin, timed=args.timed)
        if args.text
        else (Input(str(p), image=p) for p in args.images)
    )
    return run_scan(Scanner(core, decoder, now), inputs, as_json=args.json)


def register(sub: Any) -> None:
    c = sub.add_parser(
        "scan",
        help="decide on still images or QR payload texts as the door would; records nothing; "
        "exit 1 if any code FAILs",
    )
    c.add_argument("--config", type=Path, required=True, help="the venue config")
    c.add_argument(
        "--at",
        type=scan_at,
        help="judge as if the clock showed this ISO time (certificates, passes, lists, hours)",
    )
    c.add_argument(
        "--text",
        action="append",
        default=[],
        metavar="PAYLOAD",
        help="a QR payload text instead of an image (repeatable); '-' reads one per line "
        "from standard input",
    )
    c.add_argument(
        "--timed",
        action="store_true",
        help="with --text -: each line is ISO-TIME<TAB>PAYLOAD, judged at its own time "
        "(batch runs over cases with different clocks)",
    )
    c.add_argument("--json", action="store_true", help="one JSON line per input")
    c.add_argument("images", type=Path, nargs="*", help="image files holding QR codes")
    c.set_defaults(func=run)
    # Here rather than above: the scan command's own lines are another change's.
    c.description = (
        "Decide on still images (or QR payload texts) as the door would, with the venue "
        "config's keys, lists and rules, and print a line per input (--json: one JSON object). "
        "Records nothing; exit 1 if any code FAILs."
    )
