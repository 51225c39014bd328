"""Tracing by ID number over HTTP: the registry derives the subject; the number stays nowhere."""

from __future__ import annotations

import itertools
import time

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from checkin_protocol.sealing import seal_id_number
from registry.auth import Role
from registry.db.models import AuditEntry
from registry.service import Registry
from support.registry import RegistryServer
from support.registry import make_record as record


def iso(t: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(t))


def test_an_officer_traces_by_id_number_and_the_number_is_kept_nowhere(
    registry: Registry, server: RegistryServer
) -> None:
    kiosk = registry.add_kiosk("v1", "k1")
    officer = registry.add_user("doc", Role.HEALTH_OFFICER)
    controller = registry.add_user("lan", Role.CONTROLLER, ["v1"])
    number = "079190000001"
    t0 = int(time.time()) - 2 * 86400
    sealed = seal_id_number(registry.keys.sealing_public(), number)
    batch = [
        record(subject=str(sealed), code_kind="cccd", created_utc=iso(t0)),
        record(subject="qid:NEAR0001", created_utc=iso(t0 + 300)),
    ]
    up = requests.post(
        f"{server.url}/api/v1/records",
        json={"records": batch},
        headers={"Authorization": f"Bearer {kiosk}"},
        timeout=10,
    )
    assert [r["status"] for r in up.json()["results"]] == ["accepted", "accepted"]
    url = f"{server.url}/api/v1/tracing/by-id-number"
    body = {"id_number": f" {number}\n", "window_minutes": 30, "since": iso(t0 - 3600),
            "reason": "ca bệnh F0-2026-117"}  # fmt: skip
    r = requests.post(url, json=body, headers={"Authorization": f"Bearer {officer}"}, timeout=10)
    assert r.status_code == 200, r.text
    found = r.json()
    assert [v["venue_id"] for v in found["visits"]] == ["v1"]
    assert [c["subject"] for c in found["contacts"]] == ["qid:NEAR0001"]
    assert number not in r.text
    # Only health officers; and a number that is not one is a 422, not a 500.
    denied = requests.post(
        url, json=body, headers={"Authorization": f"Bearer {controller}"}, timeout=10
    )
    assert denied.status_code == 403
    bad = requests.post(
        url,
        json={**body, "id_number": "07919000000x"},
        headers={"Authorization": f"Bearer {officer}"},
        timeout=10,
    )
    assert bad.status_code == 422
    with registry.session() as s:
        params = [a.params for a in s.scalars(select(AuditEntry))]
    assert params and all(number not in p for p in params)


def test_contacts_are_one_row_per_subject_and_venue_paged_in_a_stable_order(
    registry: Registry, server: RegistryServer
) -> None:
    registry.add_venue("v2", "Venue Two")
    officer = registry.add_user("doc", Role.HEALTH_OFFICER)
    t0 = int(time.time()) - 3 * 86400
    case = "qid:CASE0001"
    for venue, later in (("v1", 0), ("v2", 7200)):
        kiosk = registry.add_kiosk(venue, "k1")
        t = t0 + later
        batch = [record(venue=venue, subject=case, created_utc=iso(t))]
        batch += [
            record(venue=venue, subject=f"qid:NEAR{n:04d}", created_utc=iso(t + 60 * n))
            for n in range(1, 6)
        ]
        # Seen twice at v1: one row all the same, at its first sighting, nearest time apart.
        batch += [
            record(venue=venue, subject="qid:NEAR0001", created_utc=iso(t - 120)),
            record(venue=venue, subject="qid:FAR00001", created_utc=iso(t + 3600)),
            record(venue=venue, subject="qid:REFUSED1", created_utc=iso(t + 60), verdict="FAIL"),
        ]
        up = requests.post(f"{server.url}/api/v1/records", json={"records": batch},
                           headers={"Authorization": f"Bearer {kiosk}"}, timeout=10)  # fmt: skip
        assert up.status_code == 200
    url = f"{server.url}/api/v1/tracing"
    head = {"Authorization": f"Bearer {officer}"}
    params: dict[str, str | int] = {"subject": case, "window_minutes": 30, "since": iso(t0 - 60),
                                    "reason": "ca bệnh F0-2026-117"}  # fmt: skip
    whole = requests.get(url, params=params, headers=head, timeout=10).json()
    assert [(v["venue_id"], v["time"]) for v in whole["visits"]] == [
        ("v1", iso(t0)),
        ("v2", iso(t0 + 7200)),
    ]
    contacts = whole["contacts"]
    assert [(c["subject"], c["venue_id"]) for c in contacts] == sorted(
        (f"qid:NEAR{n:04d}", v) for n in range(1, 6) for v in ("v1", "v2")
    )
    first = contacts[0]
    assert first["time"] == iso(t0 - 120) and first["minutes_apart"] == 1
    assert whole["next_offset"] is None
    paged: list[dict[str, object]] = []
    offset: int | None = 0
    while offset is not None:
        page = requests.get(
            url, params={**params, "limit": 3, "offset": offset}, headers=head, timeout=10
        ).json()
        assert page["visits"] == whole["visits"] and len(page["contacts"]) <= 3
        paged += page["contacts"]
        offset = page["next_offset"]
    assert paged == contacts


def test_a_trace_is_one_statement_on_the_records(registry: Registry) -> None:
    from sqlalchemy import event

    from checkin_protocol.records import Subject
    from registry.auth import Caller

    statements: list[str] = []

    def seen(conn: object, cursor: object, statement: str, *_: object) -> None:
        statements.append(statement)

    officer = Caller(1, Role.HEALTH_OFFICER, "doc", frozenset(), None, None)
    event.listen(registry.engine, "before_cursor_execute", seen)
    try:
        registry.trace(officer, Subject.parse("qid:CASE0001"), 30, None)
    finally:
        event.remove(registry.engine, "before_cursor_execute", seen)
    assert len([s for s in statements if "FROM records" in s]) == 1


def test_a_trace_reads_only_the_covering_indexes_on_sqlite(registry: Registry) -> None:
    import pytest

    from registry.core.views import trace_statement

    if registry.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL's plan on a nearly empty table says nothing")
    with registry.session() as s:
        who = ["idh:" + "0" * 32, "pass:" + "1" * 32]  # one person: their card and a pass
        query = trace_statement(s, who, 0, 1_800_000, 100, 0, registry.settings)
    with registry.engine.connect() as conn:
        compiled = query.compile(conn, compile_kwargs={"literal_binds": True})
        plan = " | ".join(
            str(r[-1]) for r in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}")
        )
    assert "COVERING INDEX records_subject_trace" in plan, plan
    assert "COVERING INDEX records_venue_trace" in plan, plan
    assert "SCAN records" not in plan and "SCAN near" not in plan, plan


_cases = itertools.count()


@pytest.mark.slow
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=25)
@given(
    others=st.lists(st.tuples(st.integers(0, 5), st.integers(-90, 90), st.booleans()), max_size=25),
    limit=st.integers(1, 6),
)
def test_paged_contacts_are_exactly_the_others_within_the_window(
    registry: Registry, others: list[tuple[int, int, bool]], limit: int
) -> None:
    from checkin_protocol.records import Subject
    from registry.auth import Caller

    n = next(_cases)
    venue = f"t{n}"
    registry.add_venue(venue, "Generated")
    kiosk = registry.caller(registry.add_kiosk(venue, "k1"))
    assert kiosk is not None
    t0 = int(time.time()) - 86400
    case = f"qid:CASE{n}"
    batch = [record(venue=venue, subject=case, created_utc=iso(t0))]
    batch += [
        record(venue=venue, subject=f"qid:O{n}X{who}", created_utc=iso(t0 + 60 * minutes),
               verdict="PASS" if passed else "FAIL")
        for who, minutes, passed in others
    ]  # fmt: skip
    registry.ingest(kiosk, batch, None)
    expected: dict[str, int] = {}
    for who, minutes, passed in others:
        if passed and abs(minutes) <= 30:
            subject = f"qid:O{n}X{who}"
            expected[subject] = min(expected.get(subject, minutes), minutes)
    officer = Caller(1, Role.HEALTH_OFFICER, "doc", frozenset(), None, None)
    found: list[dict[str, object]] = []
    offset: int | None = 0
    while offset is not None:
        page = registry.trace(
            officer, Subject.parse(case), 30, (t0 - 60) * 1000, limit=limit, offset=offset
        )
        assert len(page["contacts"]) <= limit
        found += page["contacts"]
        offset = page["next_offset"]
    assert [c["subject"] for c in found] == sorted(expected)
    assert {str(c["subject"]): c["time"] for c in found} == {
        s: iso(t0 + 60 * m) for s, m in expected.items()
    }
