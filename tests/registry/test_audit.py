"""The audit trail covers every read and export of personal data, every act on accounts and
every read of the audit log itself; a trace states its reason on the API as on the page."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from checkin_protocol.sealing import seal_id_number
from registry.auth import Role
from registry.cli import main
from registry.service import Registry
from support.registry import RegistryServer, form_token, make_record, own_address, sign_in

VISITOR = "001090012345"
WHY = "ca bệnh F0-2026-117"


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def actions(registry: Registry) -> list[tuple[str, str]]:
    return [(a["principal"], a["action"]) for a in registry.audit(1000)]


def test_a_trace_needs_a_reason_and_finds_the_person_by_card_and_by_pass(
    registry: Registry, server: RegistryServer
) -> None:
    officer = registry.add_user("doc", Role.HEALTH_OFFICER)
    kiosk = registry.add_kiosk("v1", "k1")
    body = {"name": "Trần Thị Hoa", "id_number": VISITOR, "phone": "0912345678",
            "symptoms": False, "contact": False, "consent": "2026-01"}  # fmt: skip
    declared = requests.post(f"{server.url}/api/v1/declarations", json=body,
                             headers=own_address(), timeout=10).json()  # fmt: skip
    sealed = str(seal_id_number(registry.keys.sealing_public(), VISITOR))
    records = [
        make_record(subject=f"pass:{declared['pass_id']}"),
        make_record(subject=sealed, code_kind="cccd"),
        make_record(subject="qid:NEAR0001"),
    ]
    up = requests.post(f"{server.url}/api/v1/records", json={"records": records},
                       headers=auth(kiosk), timeout=10)  # fmt: skip
    assert up.status_code == 200
    url = f"{server.url}/api/v1/tracing"
    idh = str(registry.keys.hasher()(VISITOR))
    for params, why in (
        ({"subject": idh}, "reason"),
        ({"subject": idh, "reason": "ok"}, "reason"),
        ({"subject": idh, "reason": "     \t  "}, "reason"),
        ({"subject": idh, "reason": "x" * 201}, "reason"),
        ({"subject": idh, "reason": "case\u0007 17"}, "reason"),
    ):
        refused = requests.get(url, params=params, headers=auth(officer), timeout=10)
        assert refused.status_code == 422 and why in refused.text, params
    by_id = requests.post(f"{url}/by-id-number", json={"id_number": VISITOR},
                          headers=auth(officer), timeout=10)  # fmt: skip
    assert by_id.status_code == 422
    assert [a for a in registry.audit(1000) if a["action"] == "trace"] == []  # nothing searched
    # The card and the pass are one person: both visits, from either, and the stranger a contact.
    for subject in (idh, f"pass:{declared['pass_id']}"):
        found = requests.get(url, params={"subject": subject, "reason": WHY},
                             headers=auth(officer), timeout=10).json()  # fmt: skip
        assert len(found["visits"]) == 2, subject
        assert [c["subject"] for c in found["contacts"]] == ["qid:NEAR0001"]
    found = requests.post(f"{url}/by-id-number", json={"id_number": VISITOR, "reason": WHY},
                          headers=auth(officer), timeout=10).json()  # fmt: skip
    assert len(found["visits"]) == 2
    traces = [a for a in registry.audit(1000) if a["action"] == "trace"]
    assert len(traces) == 3 and all(a["params"]["reason"] == WHY for a in traces)
    assert all(a["params"]["same_person"] == 1 for a in traces)


def test_acts_on_accounts_are_audited_with_who_did_them(
    registry: Registry,
    server: RegistryServer,
    capsys: pytest.CaptureFixture[str],
) -> None:
    args = ["--data", str(registry.settings.data_dir), "--db", registry.settings.database_url]
    assert main([*args, "user", "add", "ctl", "--role", "controller", "--venue", "v1"]) == 0
    assert main([*args, "kiosk", "add", "v1", "k9"]) == 0
    capsys.readouterr()
    cli = [(who, what) for who, what in actions(registry) if who.startswith("cli:")]
    assert ("user_add" in {w for _, w in cli}) and ("kiosk_add" in {w for _, w in cli})
    admin = registry.add_user("ops", Role.ADMIN)
    web = requests.Session()
    sign_in(web, server.url, admin, "/admin")
    csrf = form_token(web, f"{server.url}/admin")
    for path, data in (
        ("/admin/users", {"name": "doc2", "role": "health_officer"}),
        ("/admin/users/reset", {"name": "ctl"}),
        ("/admin/users/disable", {"name": "ctl"}),
    ):
        r = web.post(f"{server.url}{path}", data={"csrf": csrf, **data}, timeout=10)
        assert r.status_code == 200, (path, r.status_code)
    by_ops = [what for who, what in actions(registry) if who == "ops"]
    assert {"user_add", "user_reset_token", "user_disable"} <= set(by_ops)
    entry = next(a for a in registry.audit(1000) if a["action"] == "user_disable")
    assert entry["params"] == {"name": "ctl"}


def test_reading_the_audit_log_and_personal_data_is_audited(
    registry: Registry, server: RegistryServer
) -> None:
    admin = registry.add_user("ops", Role.ADMIN)
    controller = registry.add_user("ctl", Role.CONTROLLER, ["v1"])
    kiosk = registry.add_kiosk("v1", "k1")
    requests.post(f"{server.url}/api/v1/records", json={"records": [make_record()]},
                  headers=auth(kiosk), timeout=10)  # fmt: skip
    read: list[dict[str, Any]] = requests.get(
        f"{server.url}/api/v1/audit", headers=auth(admin), timeout=10
    ).json()
    assert (read[0]["principal"], read[0]["action"]) == ("ops", "audit_read")
    web = requests.Session()
    sign_in(web, server.url, admin, "/admin")
    page = web.get(f"{server.url}/admin", timeout=10).text
    assert "audit_read" in page  # this read, at the top of what it shows
    deny = requests.get(f"{server.url}/api/v1/deny", headers=auth(admin), timeout=10)
    assert deny.status_code == 200
    ctl = requests.Session()
    sign_in(ctl, server.url, controller, "/venues/v1")
    assert ctl.get(f"{server.url}/venues/v1/history", timeout=10).status_code == 200
    csv = ctl.get(f"{server.url}/venues/v1/history.csv", timeout=10)
    assert csv.status_code == 200 and "Nguyễn V** A" in csv.content.decode("utf-8-sig")
    done = actions(registry)
    assert ("ops", "deny_list_read") in done
    assert ("ctl", "history_read") in done and ("ctl", "history_export") in done
    export = next(a for a in registry.audit(1000) if a["action"] == "history_export")
    assert export["results"] == 1 and export["params"]["venue"] == "v1"
