"""Fixtures of the admin commands' tests: a kiosk database with records, an absent registry."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from checkin_protocol.keys import generate_key, write_public_key
from kiosk.store import RecordStore
from support.venue_records import ZONE, ZONE_NAME, add


@pytest.fixture
def venue_db(write_config: Callable[..., Path], venue_dir: Path) -> tuple[str, float]:
    """A config and a database with records yesterday, today, and two days ago (local)."""
    cfg = write_config()
    text = cfg.read_text(encoding="utf-8")
    cfg.write_text(text.replace("name: Test Venue}", f"name: Test Venue, timezone: {ZONE_NAME}}}"))
    midnight = datetime.now(ZONE).replace(hour=0, minute=0, second=0, microsecond=0)
    today = midnight.timestamp()
    with RecordStore(venue_dir / "kiosk.db", min_free_mb=0) as store:
        add(store, (midnight - timedelta(days=2)).timestamp() + 3600)
        add(store, today - 1800)  # yesterday 23:30
        add(store, today + 60, "FAIL")
        add(store, today + 120, "PASS", "exit")
    return str(cfg), today


@pytest.fixture
def unreachable_registry(
    write_config: Callable[..., Path], venue_dir: Path, venue_db: tuple[str, float]
) -> Path:
    """The venue's kiosk (with its records) configured for a registry nobody answers at."""
    write_public_key(venue_dir / "lists.pub", generate_key().public_key())
    (venue_dir / "kiosk.token").write_text("t" * 40)
    (venue_dir / "kiosk.token").chmod(0o600)
    return write_config(
        "registry: {url: 'http://127.0.0.1:9', token_file: kiosk.token, list_key: lists.pub}\n",
        name="with-registry.yaml",
    )
