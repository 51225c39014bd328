"""Reader test fixtures: waiting on a condition, never on the machine's speed."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from support.timing import wait_for


@pytest.fixture
def wait() -> Callable[..., bool]:
    return wait_for
