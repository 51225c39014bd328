"""What the commands share: exit statuses, the --config option and loading it, argument types.

Only the standard library at the top (see kiosk.cli): each command imports what it needs.
"""

from __future__ import annotations

import argparse
import logging
import sys
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from kiosk.config import Config
    from kiosk.store import RecordStore

EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2
CONFIG_HELP = "the venue config (YAML), e.g. /etc/qr-kiosk/venue.yaml"


def setup_logging(level: str = "info") -> None:
    logging.basicConfig(
        level=getattr(logging, level.upper()),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )


def load(path: Path) -> Config:
    """Load a config or exit 2 with FILE:LINE: key: message lines on stderr."""
    from kiosk.config import load_config
    from kiosk.config.yamlfile import ConfigError

    try:
        return load_config(path)
    except ConfigError as exc:
        for issue in exc.issues:
            print(issue, file=sys.stderr)
        raise SystemExit(EXIT_USAGE) from None


def iso(value: str) -> datetime:
    """An ISO date/time; one without a zone is given `--timezone` later (`epoch`)."""
    from checkin_protocol.times import parse_iso_datetime

    try:
        return parse_iso_datetime(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO date/time: {value!r}") from None


def scan_at(value: str) -> float:
    """`scan --at`: an ISO time as epoch seconds (UTC without a zone), in kiosk.cli.scan's range."""
    from kiosk.cli.scan import iso_time

    try:
        return iso_time(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not an ISO date/time: {exc}") from None


def plural(count: int, noun: str) -> str:
    """`1 record`, `2 records`, `0 records`."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def iso_text(value: str) -> str:
    """`iso`, kept as written: a date alone means a whole day to `--valid-until`."""
    iso(value)
    return value


def epoch(value: datetime | None, zone: ZoneInfo) -> float | None:
    """Epoch seconds; a time without a zone is the venue's local time, as in a CSV file."""
    if value is None:
        return None
    return (value if value.tzinfo else value.replace(tzinfo=zone)).timestamp()


def zone(value: str) -> str:
    import zoneinfo

    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        raise argparse.ArgumentTypeError(f"unknown time zone {value!r}") from None
    return value


def duration(value: str) -> float:
    from checkin_protocol.times import parse_duration

    try:
        return parse_duration(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def existing_store(cfg: Config) -> RecordStore | None:
    """The kiosk's database, read-only and only if it exists: an admin's typo in a config path
    must not leave an empty database behind, nor add tables to someone else's."""
    from kiosk.store.export import ReadOnlyStore

    if not cfg.storage.path.is_file():
        print(
            f"no database at {cfg.storage.path} (has this kiosk run yet? is storage.path right?)",
            file=sys.stderr,
        )
        return None
    return ReadOnlyStore(cfg.storage.path)


def add_config(c: argparse.ArgumentParser) -> None:
    c.add_argument("--config", type=Path, required=True, metavar="FILE", help=CONFIG_HELP)
