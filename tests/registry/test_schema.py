"""The committed OpenAPI document and the Alembic migrations match the code."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

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


def _not_a_partition(obj: Any, name: str | None, type_: str, reflected: bool, to: Any) -> bool:
    # PostgreSQL's daily partitions of `records` (and their indexes) are made at run time, not
    # by a model: the comparison is of the models with the tables they describe.
    table = name if type_ == "table" else getattr(getattr(obj, "table", None), "name", "")
    return not re.fullmatch(r"records_(\d{8}|default)", table or "")


def test_migrations_create_exactly_the_models(registry: Registry) -> None:
    with registry.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_object": _not_a_partition})
        diff = compare_metadata(context, Base.metadata)
    if registry.engine.dialect.name == "postgresql":
        # The one column whose nullability differs by design: on PostgreSQL `kiosk_ms` is the
        # partition key, part of the primary key and so NOT NULL; the model, shared with
        # SQLite (where migration 0012 adds it to an existing table), says nullable.
        diff = [
            d for d in diff
            if not (isinstance(d, list) and len(d) == 1 and d[0][0] == "modify_nullable"
                    and d[0][2:4] == ("records", "kiosk_ms"))
        ]  # fmt: skip
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


def test_the_records_table_is_the_record_model_plus_the_registrys_columns() -> None:
    from checkin_protocol.records import CheckinRecord
    from registry.core.ingest import _PG_ARRAYS
    from registry.db.models import Record

    columns = {c.name for c in Record.__table__.columns}
    fields = set(CheckinRecord.model_fields)
    assert columns == fields - {"created_utc"} | {
        "created_ms",
        "clock_offset_ms",
        "received_ms",
        "kiosk_ms",
    }
    assert list(_PG_ARRAYS) == [c.name for c in Record.__table__.columns]
    assert _PG_ARRAYS["seq"] == "BIGINT" and _PG_ARRAYS["verified"] == "BOOLEAN"


def test_a_record_row_fills_every_column() -> None:
    from checkin_protocol.records import CheckinRecord
    from registry.core.ingest import record_row
    from registry.db.models import Record
    from support.registry import make_record

    sent = make_record(created_utc="2024-05-01T10:00:00.250Z")
    row = record_row(CheckinRecord.model_validate(sent), -40, 1_714_557_600_999)
    assert set(row) == {c.name for c in Record.__table__.columns}
    # The kiosk's time corrected by its measured offset; the offset is kept beside it.
    assert row["created_ms"] == 1_714_557_600_210 and row["clock_offset_ms"] == -40
    assert row["subject"] == sent["subject"] and row["direction"] == "entry"


def test_the_published_upload_types_every_record() -> None:
    doc = json.loads((REPO / "registry" / "openapi.json").read_text(encoding="utf-8"))
    body = doc["paths"]["/api/v1/records"]["post"]["requestBody"]["content"]["application/json"]
    upload = doc["components"]["schemas"][body["schema"]["$ref"].rsplit("/", 1)[1]]
    # A CheckinRecord, or anything else (answered `rejected`, with why, in the results).
    assert upload["properties"]["records"]["items"] == {
        "anyOf": [{"$ref": "#/components/schemas/CheckinRecord"}, {}]
    }
    record = doc["components"]["schemas"]["CheckinRecord"]
    assert set(record["properties"]) == set(json.loads(json.dumps(record["required"]))) | {
        "subject",
        "masked_name",
        "reason",
        "manual",
        "source",
    }
    results = doc["paths"]["/api/v1/records"]["post"]["responses"]["200"]["content"]
    assert results["application/json"]["schema"] == {"$ref": "#/components/schemas/UploadResponse"}
