"""Tracing by ID number over HTTP: the registry derives the subject; the number stays nowhere."""

from __future__ import annotations

import time

import requests
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
    body = {"id_number": f" {number}\n", "window_minutes": 30, "since": iso(t0 - 3600)}
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
