"""`kiosk demo`: the kiosk and an embedded registry on generated passes and frames."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kiosk.cli.options import (
    setup_logging,
)

if TYPE_CHECKING:
    pass

log = logging.getLogger("kiosk")


def run(args: argparse.Namespace) -> int:
    from kiosk.cli.demo import run_demo

    setup_logging("warning")
    return run_demo(args.out, headless=args.headless, keep_serving=args.keep_serving)


def register(sub: Any) -> None:
    c = sub.add_parser(
        "demo",
        help="run the kiosk on generated passes and camera frames",
        description="Run the kiosk with an embedded registry on generated passes and camera "
        "frames (no hardware), and write screenshots and a summary to --out.",
    )
    c.add_argument("--out", type=Path, default=Path("demo-out"), help="output folder")
    c.add_argument("--headless", action="store_true", help="no window even if a display is present")
    c.add_argument(
        "--keep-serving", action="store_true", help="keep the registry's dashboard up afterwards"
    )
    c.set_defaults(func=run)
