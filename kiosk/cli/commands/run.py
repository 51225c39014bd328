"""`kiosk run`: the door itself, until stopped."""

from __future__ import annotations

import argparse
import logging
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kiosk.cli.options import (
    EXIT_OK,
    EXIT_USAGE,
    add_config,
    load,
    setup_logging,
)

if TYPE_CHECKING:
    pass

log = logging.getLogger("kiosk")


def run(args: argparse.Namespace) -> int:
    """0 when stopped (or a non-looping replay is done), 1 when a worker crashed (the screen
    said out of order first), 3 when another kiosk runs on the same database."""
    # First of all: from here on a signal asks for a stop, which each step of the start-up
    # sees. Kept installed to the very end: a signal as the interpreter exits must not turn
    # a clean stop into a death by signal.
    from kiosk.runtime.signals import catch_stop_signals

    stop = threading.Event()
    catch_stop_signals(stop)
    cfg = load(args.config)
    setup_logging(cfg.log_level)
    # check-config's preflight, in this process: the unit has no ExecStartPre (one Python
    # start-up, not two), and a config that cannot run exits 2, which systemd does not retry.
    from kiosk.cli.preflight import preflight

    issues = preflight(cfg, args.config)
    if issues:
        print(*issues, sep="\n", file=sys.stderr)
        return EXIT_USAGE
    if stop.is_set():
        log.info("stopped while starting")
        return EXIT_OK
    from kiosk.app.kiosk import Kiosk, RunOptions

    return Kiosk(cfg, RunOptions(events=args.events), stop=stop).run()


def register(sub: Any) -> None:
    c = sub.add_parser(
        "run",
        help="run the kiosk (exit 1 after a crash, for systemd to restart)",
        description="Run the kiosk: camera and readers, decisions, the screen, the door relay, "
        "sync with the registry and the LAN peers. Checks what check-config checks first (exit "
        "2); exit 0 when stopped, 1 after a crash (systemd restarts it), 3 when another kiosk "
        "runs on the same database.",
    )
    add_config(c)
    c.add_argument("--events", type=Path, metavar="FILE", help="append one JSON line per decision")
    c.set_defaults(func=run)
