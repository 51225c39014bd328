"""The committed OpenAPI document and the Alembic migrations match the code."""

from __future__ import annotations

import json
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from registry.app import create_app
from registry.db.models import Base
from registry.service import Registry

REPO = Path(__file__).resolve().parents[2]


def test_openapi_document_is_current(registry: Registry) -> None:
    committed = json.loads((REPO / "registry" / "openapi.json").read_text(encoding="utf-8"))
    assert create_app(registry).openapi() == committed, (
        "registry/openapi.json is stale: run `kiosk-registry openapi > registry/openapi.json`"
    )


def test_migrations_create_exactly_the_models(registry: Registry) -> None:
    with registry.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_init_is_idempotent(registry: Registry) -> None:
    registry.init()
    registry.init()
    keys = sorted(p.name for p in registry.settings.keys_dir.iterdir())
    assert "lists.key" in keys and "subject.key" in keys
    assert len([k for k in keys if k.startswith("issuer-") and k.endswith(".key")]) == 1
    for name in keys:
        if name.endswith(".key"):
            assert (registry.settings.keys_dir / name).stat().st_mode & 0o777 == 0o600
