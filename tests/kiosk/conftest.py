"""The kiosk's tests meet the registry on its embedded database."""

from __future__ import annotations

import pytest

from support.registry import SharedRegistries, database_url


@pytest.fixture(params=["sqlite"])
def registry_db(request: pytest.FixtureRequest, _registries: SharedRegistries) -> str:
    """Here the registry is the kiosk's counterpart: what its database kind changes (ingest,
    queries, partitions) is tested under tests/registry on both kinds. A test that is about
    both ends at once asks for both (`parametrize("registry_db", [...], indirect=True)`)."""
    return database_url(request.param, _registries)
