"""The `kiosk` command line: one module per command in `commands/`, their helpers beside them."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from kiosk.cli.options import EXIT_USAGE

# Only the standard library at the top, here and in every command module: `kiosk run` catches
# signals from its first line, and until then a SIGTERM kills it. The config's imports
# (pydantic) alone take half a second.
if TYPE_CHECKING:
    from kiosk.config.yamlfile import ConfigError

# In the order `kiosk --help` lists them.
COMMANDS = (
    "check_config",
    "run",
    "camera_check",
    "enroll",
    "scan",
    "passes",
    "status",
    "sync",
    "export",
    "roll_call",
    "dpia",
    "guard",
    "demo",
    "gallery",
)


def build_parser() -> argparse.ArgumentParser:
    from kiosk import __version__

    p = argparse.ArgumentParser(
        prog="kiosk",
        description="QR check-in kiosk: the door (run), its checks, and the admin's tools.",
        epilog="`kiosk COMMAND --help` tells more about each command.",
    )
    p.add_argument("--version", action="version", version=f"kiosk {__version__}")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(f"kiosk.cli.commands.{name}").register(sub)
    return p


def _config_error() -> type[ConfigError]:
    from kiosk.config.yamlfile import ConfigError  # lazily: see the imports at the top

    return ConfigError


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    # e.g. a file the config names changed after it was checked; the class is looked up
    # only when something was raised
    except _config_error() as exc:
        for issue in exc.issues:
            print(issue, file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
