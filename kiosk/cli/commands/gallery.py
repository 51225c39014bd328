"""`kiosk gallery`: every screen state as PNGs, for review."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kiosk.cli.options import (
    EXIT_FAIL,
    EXIT_OK,
    plural,
)

if TYPE_CHECKING:
    pass

log = logging.getLogger("kiosk")


def _size(value: str) -> tuple[int, int]:
    from kiosk.display.gallery import RESOLUTIONS

    try:
        w, h = (int(n) for n in value.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r}: give WIDTHxHEIGHT, e.g. 800x480") from None
    if (w, h) not in RESOLUTIONS:
        known = ", ".join(f"{a}x{b}" for a, b in RESOLUTIONS)
        raise argparse.ArgumentTypeError(f"{value}: not a supported size ({known})")
    return w, h


def run(args: argparse.Namespace) -> int:
    from kiosk.display.gallery import LANGUAGES, RESOLUTIONS, write_gallery

    sizes = args.size or RESOLUTIONS
    languages = args.language or LANGUAGES
    try:
        shots = write_gallery(args.out, sizes=sizes, languages=languages)
    except OSError as exc:
        print(f"kiosk gallery: cannot write {args.out}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_FAIL
    counts = f"{plural(len(sizes), 'size')} × {plural(len(languages), 'language')}"
    print(f"{plural(len(shots), 'screen')} ({counts} × every state) in {args.out}")
    return EXIT_OK


def register(sub: Any) -> None:
    c = sub.add_parser(
        "gallery",
        help="every screen state as PNGs, for review",
        description="Draw every screen state (idle, help hints, PASS, FAIL, guard screens) in "
        "every language at every supported size, as a visitor would see it, into PNG files.",
    )
    c.add_argument("out", type=Path, nargs="?", default=Path("gallery"), help="output folder")
    c.add_argument("--size", type=_size, action="append", metavar="WxH",
                   help="only this size (repeatable; default: every supported size)")  # fmt: skip
    c.add_argument("--language", action="append", choices=["vi", "en", "both"],
                   help="only this language (repeatable; default: vi, en and both)")  # fmt: skip
    c.set_defaults(func=run)
