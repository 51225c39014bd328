"""`kiosk run` SIGKILLed at random moments: every record it reported is there, intact."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from support.killer import kill_repeatedly, prepare


@pytest.mark.slow
def test_killed_at_random_moments_loses_nothing_it_reported(tmp_path: Path) -> None:
    config = prepare(tmp_path)
    report = kill_repeatedly(tmp_path, config, kills=10, rng=random.Random(7))
    assert report.problems == []
    assert report.kills == 10
    # Each start decided at least one code before it was killed.
    assert len(report.reported) >= 10 and report.stored >= len(report.reported)
