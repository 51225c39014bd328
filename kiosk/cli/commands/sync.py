"""`kiosk sync`: upload the queued records now, with a progress bar."""

from __future__ import annotations

import argparse
import logging
import sys
import time
from typing import TYPE_CHECKING, Any

from kiosk.cli.options import (
    EXIT_FAIL,
    EXIT_OK,
    EXIT_USAGE,
    add_config,
    load,
    plural,
    setup_logging,
)

if TYPE_CHECKING:
    pass

log = logging.getLogger("kiosk")


def run(args: argparse.Namespace) -> int:
    from kiosk.app.core import build_core, build_sync, open_store
    from kiosk.store import StorageError

    cfg = load(args.config)
    setup_logging("warning")
    if cfg.registry is None:
        print(f"{args.config}: no registry configured", file=sys.stderr)
        return EXIT_USAGE

    def bar(done: int, total: int) -> None:
        width = 30
        filled = width * done // total if total else width
        sys.stderr.write(
            f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{plural(total, 'record')}"
        )
        sys.stderr.flush()

    try:
        with open_store(cfg.storage) as store:
            if args.resend_since is not None:
                again = store.resend_since(args.resend_since)
                since = args.resend_since
                print(f"queued again: {plural(again, 'record')} acknowledged since {since}")
            core = build_core(cfg, store)
            assert core.lists is not None
            worker = build_sync(cfg.registry, store, core.lists)
            try:
                ok = worker.drain(bar, time.monotonic() + args.timeout)
            finally:
                worker.close()
            sys.stderr.write("\n")
            left = store.queued()
    except StorageError as exc:
        print(exc, file=sys.stderr)
        return EXIT_FAIL
    if not ok:
        print(
            f"sync incomplete: {worker.state.message}; {plural(left, 'record')} still queued",
            file=sys.stderr,
        )
        return EXIT_FAIL
    print(f"synced; {plural(left, 'record')} queued")
    return EXIT_OK


def register(sub: Any) -> None:
    c = sub.add_parser(
        "sync",
        help="upload queued records now, with a progress bar",
        description="Upload the records queued for the registry now, with a progress bar, and "
        "fetch its lists. Exit 0 when all went, 1 (with the cause) when the registry could not "
        "take them before --timeout, 2 without a registry in the config.",
    )
    add_config(c)
    c.add_argument("--timeout", type=float, default=120.0, help="give up after this many seconds")
    c.add_argument(
        "--resend-since",
        type=_utc,
        metavar="TIME",
        help="first queue again the records the registry acknowledged since TIME (ISO, e.g. "
        "2026-12-08T01:00:00Z; this kiosk's clock): after the registry was restored to an "
        "earlier moment. What it still has comes back as duplicate.",
    )
    c.set_defaults(func=run)


def _utc(value: str) -> str:
    from checkin_protocol.times import parse_iso, utc_iso

    try:
        return utc_iso(parse_iso(value))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{value[:40]!r}: {exc}") from None
