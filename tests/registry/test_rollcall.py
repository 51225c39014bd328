"""The controller's roll call: who is inside the venue now, from every kiosk's uploads, as CSV."""

from __future__ import annotations

import csv
import io
import time
import uuid

import requests

from registry.auth import Role
from registry.service import Registry
from support.registry import RegistryServer, make_record, sign_in


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def at(seconds_ago: float) -> str:
    moment = time.time() - seconds_ago
    return (
        time.strftime("%Y-%m-%dT%H:%M:%S.", time.gmtime(moment)) + f"{int(moment % 1 * 1000):03d}Z"
    )


def test_the_roll_call_lists_who_entered_and_has_not_left_at_any_kiosk(
    registry: Registry, server: RegistryServer
) -> None:
    entry, exit_ = registry.add_kiosk("v1", "k1"), registry.add_kiosk("v1", "k2")
    controller = registry.add_user("ctl", Role.CONTROLLER, ["v1"])
    registry.add_venue("v2", "Venue Two")
    stranger = registry.add_user("other", Role.CONTROLLER, ["v2"])
    # The venue's day is Vietnam's: a few seconds ago is today there.
    an, binh = "pass:" + uuid.uuid4().hex, "pass:" + uuid.uuid4().hex
    ins = [
        make_record(subject=an, masked_name="Nguyễn V** A", created_utc=at(30), seq=1),
        make_record(subject=binh, masked_name="Trần T** B", created_utc=at(20), seq=2),
        # A guard's admit without a code: no exit can match it.
        make_record(
            subject=None,
            code_kind="manual",
            manual=True,
            reason="no_smartphone",
            masked_name="Lê V** C",
            created_utc=at(10),
            seq=3,
        ),
        make_record(subject=an, verdict="FAIL", reason="expired", created_utc=at(9), seq=4),
    ]
    outs = [make_record("k2", subject=an, direction="exit", created_utc=at(5), seq=1)]
    for token, records in ((entry, ins), (exit_, outs)):
        up = requests.post(f"{server.url}/api/v1/records", json={"records": records},
                           headers=auth(token), timeout=10)  # fmt: skip
        assert up.status_code == 200 and {r["status"] for r in up.json()["results"]} == {
            "accepted"
        }, up.text
    with requests.Session() as s:
        sign_in(s, server.url, controller)
        page = s.get(f"{server.url}/venues/v1", timeout=10)
        assert 'href="/venues/v1/roll-call.csv"' in page.text  # linked from the live page
        got = s.get(f"{server.url}/venues/v1/roll-call.csv", timeout=10)
        later = s.get(f"{server.url}/venues/v1/roll-call.csv?assume_left_after=0.001", timeout=10)
    assert got.status_code == 200
    rows = list(csv.reader(io.StringIO(got.content.decode("utf-8-sig"), newline="")))
    # Nguyễn went in at k1 and out at k2; Trần is inside; Lê's admit cannot be matched.
    assert [(r[1], r[2], r[3]) for r in rows[1:]] == [
        ("k1", "Trần T** B", ""),
        ("k1", "Lê V** C", "Có"),
    ]
    assert len(rows[0]) == 5
    # Entries more than 3.6 s ago, with exits assumed after that: all maybe gone.
    assert [r[3] for r in list(csv.reader(io.StringIO(later.content.decode("utf-8-sig"))))[1:]] == [
        "Có",
        "Có",
    ]
    with requests.Session() as s:
        sign_in(s, server.url, stranger)
        assert s.get(f"{server.url}/venues/v1/roll-call.csv", timeout=10).status_code == 403
    assert any(a["action"] == "roll_call_export" for a in registry.audit(100))
