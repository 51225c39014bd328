"""`kiosk check-config`: the config, then what `run` needs at start."""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kiosk.cli.options import (
    CONFIG_HELP,
    EXIT_OK,
    EXIT_USAGE,
    load,
)

if TYPE_CHECKING:
    pass

log = logging.getLogger("kiosk")


def run(args: argparse.Namespace) -> int:
    from kiosk.cli.preflight import config_warnings, preflight

    cfg = load(args.file)
    # Warnings do not fail the check: `run` can start, but the admin should know.
    for warning in config_warnings(cfg, args.file, time.time()):
        print(warning, file=sys.stderr)
    # What `run` needs at start, checked here so that a config that passes cannot crash-loop.
    issues = preflight(cfg, args.file, devices=args.devices, bind=True)
    if issues:
        print(*issues, sep="\n", file=sys.stderr)
        return EXIT_USAGE
    print(f"{args.file}: OK (venue {cfg.venue.id}, kiosk {cfg.kiosk.id}, camera {cfg.camera.type})")
    return EXIT_OK


def register(sub: Any) -> None:
    c = sub.add_parser(
        "check-config",
        help="validate a venue config and what `run` needs at start",
        description="Validate a venue config, then check what `kiosk run` needs at start: the "
        "database's folder and free space, key and token files, the peers' port and addresses "
        "(and with --devices the camera, GPIO and display). Every problem is printed as "
        "FILE:LINE: key: message; exit 2 if there is any, 0 when `run` can start.",
    )
    c.add_argument("file", type=Path, help=CONFIG_HELP)
    c.add_argument(
        "--devices", action="store_true", help="also check the camera, GPIO and display devices"
    )
    c.set_defaults(func=run)
