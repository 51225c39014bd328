"""The registry over real HTTP, on SQLite and PostgreSQL: roles, idempotency, lists, views."""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path

import pytest
import requests
from sqlalchemy import func, select

from checkin_protocol.documents import DENY_LIST, TRUST_LIST, verify_document
from checkin_protocol.keys import TrustStore, load_public_key
from checkin_protocol.kp1 import verify_pass
from registry.auth import Role
from registry.db.models import AuditEntry, Record
from registry.service import Registry
from support.registry import RegistryServer
from support.registry import make_record as record

REPO = Path(__file__).resolve().parents[2]


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.slow
def test_upload_is_idempotent_and_reports_per_record(
    registry: Registry, server: RegistryServer
) -> None:
    token = registry.add_kiosk("v1", "k1")
    batch = [record(), record(), record(kiosk="k2"), {"id": "nonsense"}]
    r = requests.post(
        f"{server.url}/api/v1/records",
        json={"clock_offset_ms": -250, "records": batch},
        headers=auth(token),
        timeout=10,
    )
    assert r.status_code == 200
    body = r.json()
    assert [x["status"] for x in body["results"]] == [
        "accepted",
        "accepted",
        "rejected",
        "rejected",
    ]
    assert body["results"][2]["reason"] == "record is not from this kiosk"
    assert body["server_time"].endswith("Z")
    again = requests.post(
        f"{server.url}/api/v1/records", json={"records": batch[:2]}, headers=auth(token), timeout=10
    )
    assert [x["status"] for x in again.json()["results"]] == ["duplicate", "duplicate"]
    with registry.session() as s:
        assert s.scalar(select(func.count()).select_from(Record)) == 2
        offsets = set(s.scalars(select(Record.clock_offset_ms)))
    assert offsets == {-250}


def test_tokens_roles_and_revocation(registry: Registry, server: RegistryServer) -> None:
    kiosk = registry.add_kiosk("v1", "k1")
    registry.add_venue("v2", "Venue Two")
    controller = registry.add_user("ctl", Role.CONTROLLER, ["v1"])
    officer = registry.add_user("doc", Role.HEALTH_OFFICER)
    url = server.url + "/api/v1"
    assert requests.get(f"{url}/venues/v1/live", timeout=10).status_code == 401
    assert (
        requests.get(f"{url}/venues/v1/live", headers=auth("made-up"), timeout=10).status_code
        == 401
    )
    assert (
        requests.get(f"{url}/venues/v1/live", headers=auth(controller), timeout=10).status_code
        == 200
    )
    assert (
        requests.get(f"{url}/venues/v2/live", headers=auth(controller), timeout=10).status_code
        == 403
    )
    assert requests.get(f"{url}/venues/v1/live", headers=auth(kiosk), timeout=10).status_code == 403
    assert (
        requests.get(
            f"{url}/tracing",
            params={"subject": "qid:ABCD", "reason": "ca bệnh F0-2026-117"},
            headers=auth(controller),
            timeout=10,
        ).status_code
        == 403
    )
    assert (
        requests.post(
            f"{url}/records", json={"records": []}, headers=auth(officer), timeout=10
        ).status_code
        == 403
    )
    registry.revoke_kiosk("v1", "k1")
    assert (
        requests.post(
            f"{url}/records", json={"records": [record()]}, headers=auth(kiosk), timeout=10
        ).status_code
        == 401
    )
    # Tokens are stored hashed.
    with registry.engine.connect() as c:
        dump = json.dumps([list(r) for r in c.exec_driver_sql("SELECT * FROM principals")])
    assert kiosk not in dump and controller not in dump


def test_lists_are_signed_versioned_and_served_with_etags(
    registry: Registry, server: RegistryServer
) -> None:
    token = registry.add_kiosk("v1", "k1")
    key = load_public_key(registry.settings.keys_dir / "lists.pub")
    r = requests.get(f"{server.url}/api/v1/lists/deny", headers=auth(token), timeout=10)
    assert r.status_code == 200
    doc = verify_document(r.text, key, expect_type=DENY_LIST, now=time.time())
    assert doc.entries == []
    etag = r.headers["ETag"]
    same = requests.get(
        f"{server.url}/api/v1/lists/deny",
        headers={**auth(token), "If-None-Match": etag},
        timeout=10,
    )
    assert same.status_code == 304
    _, pass_id = registry.issue_pass("Lê Văn Bình", valid_for=3600)
    registry.revoke_pass(pass_id)
    changed = requests.get(
        f"{server.url}/api/v1/lists/deny",
        headers={**auth(token), "If-None-Match": etag},
        timeout=10,
    )
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
    newer = verify_document(changed.text, key, expect_type=DENY_LIST, now=time.time())
    assert newer.version > doc.version
    # A private entry goes out without its reason code, with its end (epoch seconds).
    [entry] = newer.entries
    assert entry.keys() == {"subject", "public", "expires"} and isinstance(entry["expires"], int)
    assert (entry["subject"], entry["public"]) == (f"pass:{pass_id}", False)
    assert {"seal_key", "id_kdf"} <= newer.attributes.keys()


def test_key_rotation_keeps_old_passes_valid(registry: Registry, server: RegistryServer) -> None:
    token = registry.add_kiosk("v1", "k1")
    old_text, _ = registry.issue_pass("An", valid_for=3600)
    registry.rotate_keys()
    new_text, _ = registry.issue_pass("Binh", valid_for=3600)
    r = requests.get(f"{server.url}/api/v1/lists/trust", headers=auth(token), timeout=10)
    doc = verify_document(
        r.text,
        load_public_key(registry.settings.keys_dir / "lists.pub"),
        expect_type=TRUST_LIST,
        now=time.time(),
    )
    assert len(doc.entries) == 2
    retired = [e for e in doc.entries if e["valid_until"] is not None]
    assert len(retired) == 1 and retired[0]["valid_until"] >= time.time() + 3500
    from cryptography.hazmat.primitives.serialization import load_pem_public_key

    trust = TrustStore([load_pem_public_key(e["public_key"].encode()) for e in doc.entries])  # type: ignore[misc]
    assert verify_pass(old_text, trust).masked_name == "A**"
    assert verify_pass(new_text, trust).masked_name == "B**"


def test_live_view_masks_and_counts(registry: Registry, server: RegistryServer) -> None:
    kiosk = registry.add_kiosk("v1", "k1")
    controller = registry.add_user("ctl", Role.CONTROLLER, ["v1"])
    subject = "idh:" + "f" * 32
    batch = [
        record(subject=subject),
        record(),
        record(direction="exit"),
        record(verdict="FAIL", reason="expired"),
    ]
    requests.post(
        f"{server.url}/api/v1/records", json={"records": batch}, headers=auth(kiosk), timeout=10
    )
    requests.post(
        f"{server.url}/api/v1/heartbeat",
        json={"version": "0.1.0", "queue_depth": 3},
        headers=auth(kiosk),
        timeout=10,
    )
    live = requests.get(
        f"{server.url}/api/v1/venues/v1/live", headers=auth(controller), timeout=10
    ).json()
    assert live["today"] == {"entries": 2, "exits": 1, "occupancy": 1, "fails": 1}
    assert live["kiosks"][0]["online"] is True and live["kiosks"][0]["queue_depth"] == 3
    shown = json.dumps(live, ensure_ascii=False)
    assert subject not in shown and "idh:ffffff…" in shown


def test_tracing_finds_contacts_and_is_audited(registry: Registry, server: RegistryServer) -> None:
    kiosk = registry.add_kiosk("v1", "k1")
    officer = registry.add_user("doc", Role.HEALTH_OFFICER)
    t0 = int(time.time()) - 3 * 86400  # in the past: records from the future are refused

    def iso(t: float) -> str:
        return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(t))

    case, near, far = "qid:CASE0001", "qid:NEAR0001", "qid:FAR00001"
    batch = [
        record(subject=case, created_utc=iso(t0)),
        record(subject=near, created_utc=iso(t0 + 600)),
        record(subject=far, created_utc=iso(t0 + 7200)),
    ]
    requests.post(
        f"{server.url}/api/v1/records", json={"records": batch}, headers=auth(kiosk), timeout=10
    )
    r = requests.get(
        f"{server.url}/api/v1/tracing",
        headers=auth(officer),
        timeout=10,
        params={
            "subject": case,
            "window_minutes": "30",
            "since": iso(t0 - 86400),
            "reason": "ca bệnh F0-2026-117",
        },
    )
    body = r.json()
    assert [v["venue_id"] for v in body["visits"]] == ["v1"]
    assert [c["subject"] for c in body["contacts"]] == [near]
    with registry.session() as s:
        audit = s.scalars(select(AuditEntry).where(AuditEntry.action == "trace")).all()
    assert (
        len(audit) == 1
        and audit[0].principal == "doc"
        and json.loads(audit[0].params)["subject"] == case
        and json.loads(audit[0].params)["reason"] == "ca bệnh F0-2026-117"
    )


def test_statistics(registry: Registry, server: RegistryServer) -> None:
    kiosk = registry.add_kiosk("v1", "k1")
    admin = registry.add_user("boss", Role.ADMIN)
    requests.post(
        f"{server.url}/api/v1/records",
        json={"records": [record(), record(direction="exit")]},
        headers=auth(kiosk),
        timeout=10,
    )
    stats = requests.get(f"{server.url}/api/v1/stats", headers=auth(admin), timeout=10).json()
    assert stats["per_venue_day"][0]["entries"] == 1 and stats["per_venue_day"][0]["exits"] == 1
    assert stats["per_area_day"][0]["province"] == "Hà Nội"
    assert stats["kiosks"] == {"total": 1, "online": 0}


def test_declaration_issues_a_pass_and_risk_bars_that_pass_only(
    registry: Registry, server: RegistryServer
) -> None:
    url = f"{server.url}/api/v1/declarations"
    ok = requests.post(
        url,
        json={
            "name": "Trần Thị Hoa",
            "id_number": "001090012345",
            "phone": "0912345678",
            "symptoms": False,
            "contact": False,
            "consent": "2026-01",
        },
        timeout=10,
    ).json()
    trust = TrustStore(
        [load_public_key(p) for p in registry.settings.keys_dir.glob("issuer-*.pub")]
    )
    p = verify_pass(ok["pass_text"], trust)
    assert (
        p.masked_name == "Trần T** H"
        and p.declared_at is not None
        and abs(p.declared_at - time.time()) < 60
    )
    risky = requests.post(
        url,
        json={
            "name": "Lê Văn Nam",
            "id_number": "001090099999",
            "phone": "0912345679",
            "symptoms": True,
            "contact": False,
            "consent": "2026-01",
        },
        timeout=10,
    ).json()
    _, deny = registry.document(DENY_LIST)
    entries = json.loads(base64.urlsafe_b64decode(json.loads(deny)["payload"] + "=="))["entries"]
    subjects = {e["subject"]: e for e in entries}
    assert f"pass:{risky['pass_id']}" in subjects and f"pass:{ok['pass_id']}" not in subjects
    # Anyone may declare with anyone's ID number: the risk never reaches the ID number.
    assert str(registry.keys.hasher()("001090099999")) not in subjects
    # Private, and without the reason: a kiosk's copy must not say who declared a risk.
    assert all(not e["public"] and "reason_code" not in e for e in entries)
    assert "health_risk" not in deny
    # The ID number itself is never stored.
    with registry.engine.connect() as c:
        dump = json.dumps(
            [list(r) for r in c.exec_driver_sql("SELECT * FROM declarations")], ensure_ascii=False
        )
    assert "001090012345" not in dump
    bad = requests.post(
        url,
        json={"name": "X", "id_number": "12", "phone": "1", "symptoms": False, "contact": False},
        timeout=10,
    )
    assert bad.status_code == 422


def test_retention_purge(registry: Registry, server: RegistryServer) -> None:
    kiosk = registry.add_kiosk("v1", "k1")
    old = record(created_utc="2020-01-01T00:00:00.000Z")
    requests.post(
        f"{server.url}/api/v1/records",
        json={"records": [old, record()]},
        headers=auth(kiosk),
        timeout=10,
    )
    assert registry.purge() == {
        "records": 1,
        "declarations": 0,
        "deny_entries": 0,
        "issued_passes": 0,
        "web_sessions": 0,
        "audit_log": 0,
        "record_days": 1,  # 2020's day count, past the audit log's year
    }
    with registry.session() as s:
        assert s.scalar(select(func.count()).select_from(Record)) == 1


def test_batch_size_is_bounded(registry: Registry, server: RegistryServer) -> None:
    token = registry.add_kiosk("v1", "k1")
    big = [record() for _ in range(registry.settings.max_batch + 1)]
    r = requests.post(
        f"{server.url}/api/v1/records", json={"records": big}, headers=auth(token), timeout=30
    )
    assert r.status_code == 413


def test_today_starts_at_the_venues_midnight(registry: Registry, server: RegistryServer) -> None:
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    kiosk = registry.add_kiosk("v1", "k1")
    controller = registry.add_user("ctl", Role.CONTROLLER, ["v1"])
    midnight = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).replace(
        hour=0, minute=0, second=0, microsecond=0
    )

    def iso(d: datetime) -> str:
        return d.astimezone(ZoneInfo("UTC")).strftime("%Y-%m-%dT%H:%M:%S.000Z")

    # 00:00:01 local is 17:00:01 UTC the day before: it is today at the venue.
    batch = [record(created_utc=iso(midnight + timedelta(seconds=1))),
             record(created_utc=iso(midnight - timedelta(seconds=1)))]  # fmt: skip
    requests.post(
        f"{server.url}/api/v1/records", json={"records": batch}, headers=auth(kiosk), timeout=10
    )
    live = requests.get(
        f"{server.url}/api/v1/venues/v1/live", headers=auth(controller), timeout=10
    ).json()
    assert live["today"]["entries"] == 1
