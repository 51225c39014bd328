"""The sync tests' kiosk, registered at the session's registry with its token and list key."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from registry.service import Registry
from support.kiosk_sync import KioskSide


@pytest.fixture
def kiosk(registry: Registry, venue_dir: Path, write_config: Callable[..., Path]) -> KioskSide:
    registry.add_venue("test-venue", "Test Venue")
    token = registry.add_kiosk("test-venue", "k1")
    fd = os.open(venue_dir / "kiosk.token", os.O_WRONLY | os.O_CREAT, 0o600)
    os.write(fd, token.encode() + b"\n")
    os.close(fd)
    shutil.copy(registry.settings.keys_dir / "lists.pub", venue_dir / "lists.pub")
    return KioskSide(venue_dir, write_config)
