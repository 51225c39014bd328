"""`kiosk guard hash-pin`: the guard's PIN hash for the config."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kiosk.cli.options import (
    EXIT_OK,
    EXIT_USAGE,
    load,
)

if TYPE_CHECKING:
    pass

log = logging.getLogger("kiosk")


def _read_pin() -> tuple[str, str | None]:
    """The PIN and its confirmation: asked twice at a terminal; from a pipe one line, or two
    that must match (`printf '1234\\n1234\\n' | kiosk guard hash-pin`)."""
    import getpass

    if sys.stdin.isatty():
        return getpass.getpass("Guard PIN: "), getpass.getpass("Same PIN again: ")
    first = sys.stdin.readline(100).strip()
    second = sys.stdin.readline(100).strip()
    return first, second or None


def run(args: argparse.Namespace) -> int:
    import re

    from kiosk.display.guard import hash_pin

    most = args.max_digits
    if most is None:
        most = load(args.config).guard.max_pin_digits if args.config else 8
    pin, again = _read_pin()
    # ASCII digits only: the keypad types 0-9, and "１２３４" or "١٢٣٤" pass isdigit().
    if not re.fullmatch(rf"[0-9]{{4,{most}}}", pin):
        print(
            f"a guard PIN is 4 to {most} digits 0-9 (the PIN screen takes at most "
            f"guard.max_pin_digits = {most}); nothing was changed",
            file=sys.stderr,
        )
        return EXIT_USAGE
    if again is not None and again != pin:
        print("the two PINs differ; nothing was changed", file=sys.stderr)
        return EXIT_USAGE
    print(hash_pin(pin))
    print(
        "Put this in the venue config (e.g. /etc/qr-kiosk/venue.yaml), quoted, then restart "
        "the kiosk:\n  guard:\n    pin_hash: '<the line above>'",
        file=sys.stderr,
    )
    return EXIT_OK


def register(sub: Any) -> None:
    guard = sub.add_parser(
        "guard",
        help="the guard's keypad",
        description="The guard's keypad at the kiosk: hash-pin makes the guard.pin_hash that "
        "manual admits, switching entry/exit and the private history ask for.",
    ).add_subparsers(dest="guard_command", required=True, metavar="SUBCOMMAND")
    c = guard.add_parser(
        "hash-pin",
        help="ask for a guard PIN twice, print the guard.pin_hash for the config",
        description="Ask for a guard PIN twice (or read it from a pipe) and print its hash for "
        "guard.pin_hash in the venue config. A PIN is 4 to guard.max_pin_digits digits 0-9.",
    )
    g = c.add_mutually_exclusive_group()
    g.add_argument(
        "--max-digits", type=int, choices=range(4, 13), metavar="4-12",
        help="the longest PIN the kiosk's PIN screen takes (default 8, as guard.max_pin_digits)",
    )  # fmt: skip
    g.add_argument("--config", type=Path, help="read guard.max_pin_digits from this venue config")
    c.set_defaults(func=run)
