"""Tracing and the live view read only the partitions of their days, and miss no visit."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from checkin_protocol.messages import MAX_OFFSET_MS, RecordStatus
from checkin_protocol.records import Subject
from registry.auth import Caller, Role
from registry.core.common import now_ms
from registry.core.views import _trace_query, trace_statement
from registry.db.partitions import DAY_MS, ensure_partitions, partition_name, wanted_days
from registry.db.pruning import KioskBound, skewed_pairs
from registry.service import Registry
from registry.settings import Settings
from support.registry import make_record

MINUTE = 60_000


def iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def kiosk(registry: Registry, name: str) -> Caller:
    found = registry.caller(registry.add_kiosk("v1", name))
    assert found is not None
    return found


def officer(registry: Registry) -> Caller:
    found = registry.caller(registry.add_user("doc", Role.HEALTH_OFFICER))
    assert found is not None
    return found


def record_at(caller: Caller, created_ms: int, offset_ms: int, subject: str) -> dict[str, Any]:
    """A record the registry will place at `created_ms`, from a kiosk whose clock is
    `offset_ms` behind the registry's (what it sends is its own time)."""
    return make_record(
        kiosk=caller.kiosk_id or "", subject=subject, created_utc=iso(created_ms - offset_ms)
    )


def scanned(registry: Registry, query: Any) -> dict[str, set[str]]:
    """The partitions PostgreSQL read running `query` (EXPLAIN ANALYZE: a scan never
    executed does not count), by the alias that read them ("records" or "near")."""
    with registry.engine.connect() as conn:
        # Expanded: a list of subjects (IN) is bound value by value, as execute() binds it.
        compiled = query.compile(conn, compile_kwargs={"render_postcompile": True})
        plan = conn.exec_driver_sql(
            f"EXPLAIN (ANALYZE, FORMAT JSON) {compiled}", compiled.params
        ).scalar_one()
    found: dict[str, set[str]] = {}

    def walk(node: dict[str, Any]) -> None:
        name = node.get("Relation Name", "")
        if name.startswith("records_") and node.get("Actual Loops", 0) > 0:
            found.setdefault(node["Alias"].split("_")[0], set()).add(name)
        for child in node.get("Plans", []):
            walk(child)

    import os

    if os.environ.get("SHOW_PLAN"):
        with registry.engine.connect() as conn:
            for (line,) in conn.exec_driver_sql(f"EXPLAIN ANALYZE {compiled}", compiled.params):
                print(line)
    walk((json.loads(plan) if isinstance(plan, str) else plan)[0]["Plan"])
    return found


def days(first: int, last: int) -> set[str]:
    return {partition_name(d) for d in range(first, last + 1)}


def test_a_trace_reads_no_partition_outside_its_days(registry: Registry) -> None:
    if registry.engine.dialect.name != "postgresql":
        pytest.skip("partitions are PostgreSQL's")
    now = now_ms()
    today = now // DAY_MS
    with registry.engine.begin() as conn:
        ensure_partitions(conn, wanted_days(now, set(range(today - 22, today + 1))))
    door = kiosk(registry, "k1")
    # A record on every day, so every day's partition has something to read.
    registry.ingest(
        door,
        [record_at(door, (today - d) * DAY_MS + DAY_MS // 3, 0, f"qid:D{d}") for d in range(21)],
        0,
    )
    visit = (today - 10) * DAY_MS + DAY_MS // 2  # noon, UTC, ten days ago
    batch = [
        record_at(door, visit, 0, "qid:CASE0001"),
        record_at(door, visit + 5 * MINUTE, 0, "qid:NEAR0001"),
    ]
    assert {r.status for r in registry.ingest(door, batch, 0)} == {RecordStatus.ACCEPTED}
    # A kiosk three days behind, on another day: its kiosk day is for that day's visits only.
    late = kiosk(registry, "late")
    off = 3 * DAY_MS
    registry.ingest(late, [record_at(late, visit + 5 * DAY_MS, off, "qid:LATE0001")], off)
    with registry.session() as s:
        since = now - 21 * DAY_MS
        whole = trace_statement(s, ["qid:CASE0001"], since, 30 * MINUTE, 100, 0, registry.settings)
        recent = trace_statement(
            s, ["qid:CASE0001"], now - 3 * DAY_MS, 30 * MINUTE, 100, 0, registry.settings
        )
    read = scanned(registry, whole)
    # The neighbours of a visit at noon: its own day's partition alone, of the 31 there.
    assert read["near"] == {partition_name(today - 10)}, read
    assert read["records"] <= days(today - 22, today + 1), read
    # Three days back: the visits read only those days (and the next, within the bound), and
    # the far-off kiosk's day of the records created in them.
    read = scanned(registry, recent)
    assert read["records"] <= days(today - 4, today + 1) | {partition_name(today - 8)}, read
    assert "near" not in read  # no visit there: no neighbour looked for
    # What the plan would read unbounded: every partition, for one visit's neighbours.
    unbounded = _trace_query(
        ["qid:CASE0001"],
        since,
        now + registry.settings.max_future_ms,
        30 * MINUTE,
        100,
        0,
        KioskBound(0, (), active=False),
    )
    assert len(scanned(registry, unbounded)["near"]) > 20


# Off by the routed offset exactly (found by time alone), by a millisecond more, by three days
# either way, and by the largest offset the registry accepts (the kiosk's days then sit in the
# DEFAULT partition).
ROUTED = Settings.routed_offset_ms
OFFSETS = [
    ROUTED,
    -ROUTED,
    ROUTED + 1,
    3 * DAY_MS,
    -3 * DAY_MS,
    MAX_OFFSET_MS,
    -MAX_OFFSET_MS,
]


def test_kiosks_whose_clocks_are_far_off_lose_no_visit_and_no_contact(registry: Registry) -> None:
    assert registry.settings.routed_offset_ms == ROUTED
    now = now_ms()
    good = kiosk(registry, "good")
    expected_visits: set[tuple[str, int]] = set()
    expected_contacts: set[str] = set()
    for n, offset in enumerate(OFFSETS):
        skewed = kiosk(registry, f"k{n}")
        # The case at the skewed door, a neighbour at the good one; and the other way round.
        at = now - (n + 1) * DAY_MS + n * 7 * MINUTE
        back = at + 2 * 3_600_000
        for caller, ms, who, off in (
            (skewed, at, "qid:CASE0001", offset),
            (good, at + 3 * MINUTE, f"qid:NEARGOOD{n}", 0),
            (good, back, "qid:CASE0001", 0),
            (skewed, back + 4 * MINUTE, f"qid:NEARSKEW{n}", offset),
        ):
            result = registry.ingest(caller, [record_at(caller, ms, off, who)], off)
            assert result[0].status is RecordStatus.ACCEPTED, result
        expected_visits |= {(f"k{n}", at), ("good", back)}
        expected_contacts |= {f"qid:NEARGOOD{n}", f"qid:NEARSKEW{n}"}
    found = registry.trace(officer(registry), Subject.parse("qid:CASE0001"), 30, None)
    visits = {
        (v["kiosk_id"], int(datetime.fromisoformat(v["time"]).timestamp() * 1000))
        for v in found["visits"]
    }
    assert visits == expected_visits
    assert {c["subject"] for c in found["contacts"]} == expected_contacts
    # The live view's latest records hold the far-off doors' too.
    latest = registry.live("v1", limit=100)["recent"]
    assert {r["kiosk_id"] for r in latest} == {"good"} | {f"k{n}" for n in range(len(OFFSETS))}


def test_only_records_off_by_more_than_the_routed_offset_are_listed() -> None:
    day = 20_000 * DAY_MS
    rows = [
        {"created_ms": day + 5, "kiosk_ms": day + 5 - 900_000},  # exactly the offset
        {"created_ms": day + 5, "kiosk_ms": day + 5 - 900_001},  # a millisecond more
        {"created_ms": day + 5, "kiosk_ms": day + 5 + 3 * DAY_MS},
        {"created_ms": day + 9, "kiosk_ms": day + 9 + 3 * DAY_MS},  # the same pair again
    ]
    assert skewed_pairs(rows, 900_000) == [
        {"created_day": 20_000, "kiosk_day": 19_999},
        {"created_day": 20_000, "kiosk_day": 20_003},
    ]
