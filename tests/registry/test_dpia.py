"""`kiosk-registry dpia`: the registry's data map comes from its settings and database."""

from __future__ import annotations

import pytest

from registry.auth import Role
from registry.cli import main
from registry.service import Registry


def test_the_data_map_follows_the_settings_and_the_database(
    registry: Registry, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    registry.add_kiosk("v1", "k1")
    registry.add_user("doc", Role.HEALTH_OFFICER)
    monkeypatch.setenv("REGISTRY_RETENTION_DAYS", "30")
    monkeypatch.setenv("REGISTRY_CONTROLLER", "Công ty Toà nhà HQ")
    args = ["--data", str(registry.settings.data_dir), "--db", registry.settings.database_url]
    capsys.readouterr()
    assert main([*args, "dpia"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("# Sơ đồ dữ liệu / Data map: check-in registry\n")
    assert "1 venues, 1 kiosks, 1 staff accounts. Controller: Công ty Toà nhà HQ." in out
    rows = [line.split(" | ") for line in out.splitlines() if line.startswith("| ")][1:]
    assert all(len(r) == 6 for r in rows) and len(rows) == 10
    by_kind = {r[0].lstrip("| ").split(":")[0]: r for r in rows}
    assert by_kind["Check-in records"][3] == "30 days (REGISTRY_RETENTION_DAYS)"
    assert by_kind["Health declarations"][4].startswith("explicit consent (text version 2026-")
    assert by_kind["Audit log"][3] == "365 days (REGISTRY_AUDIT_RETENTION_DAYS)"
    where = by_kind["Check-in records"][1]
    kind = registry.engine.dialect.name
    assert where.startswith("PostgreSQL" if kind == "postgresql" else "SQLite")
    assert "password" not in out and "not legal advice" in out
