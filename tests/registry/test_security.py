"""A registry on the internet: abuse of declarations, deny entries, limits, headers, retention."""

from __future__ import annotations

import base64
import json
import secrets
import socket
import time
import uuid
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import func, select

from checkin_protocol.documents import DENY_LIST, TRUST_LIST
from checkin_protocol.keys import TrustStore, load_public_key
from checkin_protocol.kp1 import PassRejected, verify_pass
from checkin_protocol.sealing import IdKdf
from registry.auth import Role
from registry.cli import main as cli_main
from registry.core.common import RegistryError, now_ms
from registry.core.declarations import DENY_ENTRY_BYTES, DenyListFull
from registry.db.models import AuditEntry, Declaration, DenyEntry, IssuedPass, Record
from registry.service import Registry
from support.registry import RegistryServer, form_token, make_record, sign_in

DAY_MS = 86400 * 1000


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def address() -> dict[str, str]:
    """A client address of the test's own (through the loopback proxy the server trusts), so
    rate limits met by one test do not spill into the next one on the shared server."""
    n = uuid.uuid4().int
    return {"X-Forwarded-For": f"10.{n % 250}.{n // 250 % 250}.{n // 62500 % 250 + 1}"}


def person(id_number: str, **kw: Any) -> dict[str, Any]:
    return {"name": "Trần Thị Hoa", "id_number": id_number, "phone": "0912345678",
            "symptoms": False, "contact": False, "consent": "2026-01", **kw}  # fmt: skip


def declare(server: RegistryServer, body: dict[str, Any], **headers: str) -> requests.Response:
    return requests.post(
        f"{server.url}/api/v1/declarations", json=body, headers={**address(), **headers}, timeout=10
    )


def deny_entries(registry: Registry) -> dict[str, dict[str, Any]]:
    _, doc = registry.document(DENY_LIST)
    payload = json.loads(base64.urlsafe_b64decode(json.loads(doc)["payload"] + "=="))
    # Subjects, and ID numbers by their scrypt key (see id_key).
    return {e.get("subject") or e["id_key"]: e for e in payload["entries"]}


def id_key(registry: Registry, number: str) -> str:
    """An ID number's key in the deny list as it is now (its salt changes with each version)."""
    _, doc = registry.document(DENY_LIST)
    payload = json.loads(base64.urlsafe_b64decode(json.loads(doc)["payload"] + "=="))
    return IdKdf.from_json(payload["id_kdf"]).derive(number)


# ------------------------------------------------------------------ 1-3: declarations


def test_a_declaration_never_bars_an_id_number(registry: Registry, server: RegistryServer) -> None:
    victim = "001090011111"
    r = declare(server, person(victim, symptoms=True, contact=True))
    assert r.status_code == 200
    entries = deny_entries(registry)
    assert list(entries) == [f"pass:{r.json()['pass_id']}"]  # that pass, nothing else
    assert entries[f"pass:{r.json()['pass_id']}"]["public"] is False
    with registry.session() as s:
        entry = s.get(DenyEntry, f"pass:{r.json()['pass_id']}")
        p = s.get(IssuedPass, r.json()["pass_id"])
        assert entry is not None and p is not None and entry.expires_ms == p.valid_until_ms


def test_a_declaration_supersedes_the_pass_its_device_holds(
    registry: Registry, server: RegistryServer
) -> None:
    device = secrets.token_urlsafe(32)
    first = declare(server, person("001090022222", device_secret=device)).json()
    second = declare(
        server, person("001090022222", device_secret=device, previous_pass=first["pass_text"])
    ).json()
    assert second["superseded"] is True
    entries = deny_entries(registry)
    assert "reason_code" not in entries[f"pass:{first['pass_id']}"]  # private: no reason out
    assert f"pass:{second['pass_id']}" not in entries
    with registry.session() as s:
        old = s.get(IssuedPass, first["pass_id"])
        entry = s.get(DenyEntry, f"pass:{first['pass_id']}")
        assert old is not None and old.revoked_ms is not None
        assert entry is not None and entry.expires_ms == old.valid_until_ms
        assert entry.reason_code == "superseded"


def test_only_a_health_officer_bars_an_id_number_for_a_time(
    registry: Registry, server: RegistryServer
) -> None:
    officer = registry.add_user("doc", Role.HEALTH_OFFICER)
    admin = registry.add_user("boss", Role.ADMIN)
    url = f"{server.url}/api/v1/deny"
    body = {"id_number": "001090033333"}
    before = declare(server, person("001090033333")).json()
    assert requests.post(url, json=body, timeout=10).status_code == 401
    assert requests.post(url, json=body, headers=auth(admin), timeout=10).status_code == 403
    r = requests.post(url, json=body, headers=auth(officer), timeout=10)
    assert r.status_code == 200
    subject = str(registry.keys.hasher()("001090033333"))
    assert r.json()["subject"] == subject
    with registry.session() as s:
        entry = s.get(DenyEntry, subject)
        assert entry is not None and entry.created_by == "doc"
        days = (entry.expires_ms - entry.created_ms) / DAY_MS
        assert abs(days - registry.settings.deny_id_days) < 0.01
        audit = s.scalars(select(AuditEntry).where(AuditEntry.action == "deny_id")).one()
        assert audit.principal == "doc" and "001090033333" not in audit.params
    # The ID's pass in force is barred with it, and so is a pass declared afterwards.
    after = declare(server, person("001090033333")).json()
    entries = deny_entries(registry)
    barred = id_key(registry, "001090033333")
    assert {barred, f"pass:{before['pass_id']}", f"pass:{after['pass_id']}"} <= set(entries)
    # The number reaches kiosks as its scrypt key only: not as the registry's idh subject.
    assert subject not in entries and "reason_code" not in entries[barred]
    listed = requests.get(url, headers=auth(officer), timeout=10).json()
    assert subject in {e["subject"] for e in listed}
    lift = requests.delete(f"{url}/{subject}", headers=auth(officer), timeout=10)
    assert lift.status_code == 200
    entries = deny_entries(registry)
    assert not any("id_key" in e for e in entries.values())
    assert f"pass:{after['pass_id']}" not in entries
    assert requests.delete(f"{url}/{subject}", headers=auth(officer), timeout=10).status_code == 404
    assert requests.delete(f"{url}/nonsense", headers=auth(officer), timeout=10).status_code == 422
    with pytest.raises(RegistryError):
        registry.denials.deny_id("cli", "12")


@pytest.mark.slow
def test_declarations_are_rate_limited_per_address_and_per_id_number(
    registry: Registry, server: RegistryServer
) -> None:
    burst, _ = registry.settings.declare_per_address
    one = address()
    codes = [
        declare(server, person(f"0010900{n:05d}"), **one).status_code for n in range(burst + 1)
    ]
    assert codes[:burst] == [200] * burst and codes[burst] == 429
    # Per ID number and who asks: the same address again and again is held back; another
    # address (the ID's holder, say) still declares.
    per_id, _ = registry.settings.declare_per_id
    two = address()
    answers = [declare(server, person("001090044444"), **two) for _ in range(per_id + 1)]
    assert [a.status_code for a in answers] == [200] * per_id + [429]
    assert int(answers[-1].headers["Retry-After"]) > 0
    assert declare(server, person("001090044444")).status_code == 200


def test_the_deny_list_has_a_size_budget(registry: Registry) -> None:
    # The whole budget open to declarations (their share and one address's part are
    # test_public_side's): the budget itself still holds.
    small = Registry(
        replace(
            registry.settings,
            deny_list_budget=3 * DENY_ENTRY_BYTES,
            declared_share_pct=100,
            declared_per_address=3,
        )
    )
    for n in range(3):
        small.declare(name="Lê Văn Nam", id_number=f"00109005555{n}", phone="0912345678",
                      symptoms=True, contact=False, consent="2026-01")  # fmt: skip
    with pytest.raises(DenyListFull):
        small.declare(name="Lê Văn Nam", id_number="001090055559", phone="0912345678",
                      symptoms=True, contact=False, consent="2026-01")  # fmt: skip
    # A declaration that adds no entry still goes through.
    small.declare(name="Lê Văn Nam", id_number="001090055558", phone="0912345678",
                  symptoms=False, contact=False, consent="2026-01")  # fmt: skip
    small.engine.dispose()
    status = Registry(replace(registry.settings, deny_list_budget=600)).status()
    assert status["deny_list"]["bytes"] > 450 and status["alarms"]


def test_status_command_and_api(
    registry: Registry, server: RegistryServer, capsys: pytest.CaptureFixture[str]
) -> None:
    admin = registry.add_user("boss", Role.ADMIN)
    r = requests.get(f"{server.url}/api/v1/status", headers=auth(admin), timeout=10)
    assert r.status_code == 200
    body = r.json()
    assert body["deny_list"]["budget_bytes"] == registry.settings.deny_list_budget
    assert body["alarms"] == [] and body["retention_job"]["interval_s"] == 0
    # Through the command line's own entry point, in process (the operator CLI test runs
    # the program itself): a second of interpreter start-up less per database.
    settings = registry.settings
    capsys.readouterr()
    assert (
        cli_main(["--data", str(settings.data_dir), "--db", settings.database_url, "status"]) == 0
    )
    status = json.loads(capsys.readouterr().out)
    assert status["deny_list"]["kiosk_limit_bytes"] == 8 * 1024 * 1024


# ------------------------------------------------------------------ 5: files and logs


def test_data_folder_database_and_keys_are_private(tmp_path: Path) -> None:
    data = tmp_path / "reg"
    assert cli_main(["--data", str(data), "init"]) == 0  # as `kiosk-registry init`, in process
    assert data.stat().st_mode & 0o777 == 0o700
    assert (data / "keys").stat().st_mode & 0o777 == 0o700
    for f in [*data.iterdir(), *(data / "keys").iterdir()]:
        if f.is_file():
            assert f.stat().st_mode & 0o777 == 0o600, f


def test_database_errors_carry_no_parameters(registry: Registry) -> None:
    from sqlalchemy.exc import IntegrityError

    from registry.db.models import Venue

    with pytest.raises(IntegrityError) as err, registry.session.begin() as s:
        s.add(Venue(id="v1", name="Nguyễn Secret Name", created_ms=1))
    assert "Secret" not in str(err.value)


# ------------------------------------------------------------------ 6: retention


def test_retention_covers_everything_personal_in_batches(registry: Registry) -> None:
    now = now_ms()
    long_ago = now - 400 * DAY_MS
    kiosk = registry.add_kiosk("v1", "k1")
    caller = registry.caller(kiosk)
    assert caller is not None
    old = [make_record(created_utc="2020-01-01T00:00:00.000Z") for _ in range(7)]
    registry.ingest(caller, [*old, make_record()], None)
    registry.declare(name="Lê Văn Nam", id_number="001090066666", phone="0912345678",
                     symptoms=True, contact=False, consent="2026-01")  # fmt: skip
    with registry.session.begin() as s:
        s.add(Declaration(created_ms=long_ago, name="Old", id_hash="idh:x", phone="1",
                          symptoms=False, contact=False, pass_id="0" * 32))  # fmt: skip
        kid = s.scalars(select(IssuedPass.kid)).first()
        s.add(IssuedPass(pass_id="1" * 32, kid=kid, issued_ms=long_ago, valid_until_ms=long_ago))
        s.add(DenyEntry(subject="pass:" + "1" * 32, reason_code="revoked", public=False,
                        created_ms=long_ago, expires_ms=now - 1))  # fmt: skip
        s.add(AuditEntry(at_ms=long_ago, principal="doc", action="trace", params="{}", results=0))
        s.add(AuditEntry(at_ms=now, principal="doc", action="trace", params="{}", results=0))
    batched = Registry(replace(registry.settings, purge_batch=2, purge_batch_postgresql=2))
    assert batched.purge() == {"records": 7, "declarations": 1, "deny_entries": 1,
                               "issued_passes": 1, "web_sessions": 0, "audit_log": 1,
                               "record_days": 1}  # fmt: skip
    batched.engine.dispose()
    with registry.session() as s:
        for model, left in ((Record, 1), (Declaration, 1), (DenyEntry, 1)):
            assert s.scalar(select(func.count()).select_from(model)) == left, model
        # The recent trace stays, with the venue's and the kiosk's addition (audited).
        kept = s.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
        assert kept == ["venue_add", "kiosk_add", "trace"]


@pytest.mark.slow
def test_serve_purges_on_its_own(registry: Registry) -> None:
    kiosk = registry.add_kiosk("v1", "k1")
    srv = RegistryServer(
        registry.settings.data_dir,
        registry.settings.database_url,
        env={"REGISTRY_PURGE_INTERVAL": "1"},
    )
    srv.start()
    try:
        old = make_record(created_utc="2020-01-01T00:00:00.000Z")
        r = requests.post(f"{srv.url}/api/v1/records", json={"records": [old]},
                          headers=auth(kiosk), timeout=10)  # fmt: skip
        assert r.json()["results"][0]["status"] == "accepted"
        deadline = time.monotonic() + 60  # a loaded machine runs the 1 s job late
        while time.monotonic() < deadline:
            with registry.session() as s:
                if s.scalar(select(func.count()).select_from(Record)) == 0:
                    break
            time.sleep(0.2)
        else:
            pytest.fail("the server's retention job did not purge the old record")
    finally:
        srv.stop()


# ------------------------------------------------------------------ 7: request size


def _raw(server: RegistryServer, head: str) -> tuple[float, str]:
    """Send only a request's head (no body) and time the answer."""
    start = time.monotonic()
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(head.encode())
        received = b""
        while chunk := sock.recv(65536):  # the server closes after refusing
            received += chunk
    answer = received.decode(errors="replace")
    return time.monotonic() - start, answer


def test_no_body_is_read_before_authentication_or_past_its_limit(
    registry: Registry, server: RegistryServer
) -> None:
    kiosk = registry.add_kiosk("v1", "k1")
    head = ("POST /api/v1/records HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            "Content-Length: 100000000\r\n{auth}\r\n")  # fmt: skip
    took, answer = _raw(server, head.format(auth=""))
    assert answer.startswith("HTTP/1.1 401") and took < 5
    took, answer = _raw(server, head.format(auth=f"Authorization: Bearer {kiosk}\r\n"))
    assert answer.startswith("HTTP/1.1 413") and "bytes" in answer and took < 5

    def chunks() -> Any:
        for _ in range(100):
            yield b"x" * 65536

    streamed = requests.post(
        f"{server.url}/api/v1/declarations", data=chunks(), headers=address(), timeout=10
    )
    assert streamed.status_code == 413
    too_many = [make_record() for _ in range(registry.settings.max_batch + 1)]
    r = requests.post(f"{server.url}/api/v1/records", json={"records": too_many},
                      headers=auth(kiosk), timeout=30)  # fmt: skip
    assert r.status_code in (413, 422) and len(r.content) < 2000


def test_validation_errors_do_not_echo_the_input(server: RegistryServer) -> None:
    r = declare(server, person("12", name="Ẍ" * 5000 + "SECRET"))
    assert r.status_code == 422
    assert "SECRET" not in r.text and "ẌẌẌ" not in r.text and len(r.content) < 2000


# ------------------------------------------------------------------ 9: clocks


def test_record_times_are_corrected_and_the_future_refused(
    registry: Registry, server: RegistryServer
) -> None:
    kiosk = registry.add_kiosk("v1", "k1")

    def iso(ms: int) -> str:
        return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(ms / 1000))

    now = now_ms() // 1000 * 1000
    hour = 3600 * 1000
    # This kiosk's clock is an hour behind: what it calls an hour ago is now.
    behind = make_record(created_utc=iso(now - hour))
    r = requests.post(f"{server.url}/api/v1/records",
                      json={"clock_offset_ms": hour, "records": [behind]},
                      headers=auth(kiosk), timeout=10)  # fmt: skip
    assert r.json()["results"][0]["status"] == "accepted"
    with registry.session() as s:
        row = s.scalars(select(Record)).one()
        assert row.created_ms == now and row.created_ms - (row.clock_offset_ms or 0) == now - hour
    soon, ahead = (
        make_record(created_utc=iso(now + 5 * 60_000)),
        make_record(created_utc=iso(now + hour)),
    )
    r = requests.post(f"{server.url}/api/v1/records", json={"records": [soon, ahead]},
                      headers=auth(kiosk), timeout=10)  # fmt: skip
    results = r.json()["results"]
    assert results[0]["status"] == "accepted"
    assert results[1]["status"] == "rejected" and "future" in results[1]["reason"]


# ------------------------------------------------------------------ 10: record ids


def test_record_ids_are_unique_per_kiosk(registry: Registry, server: RegistryServer) -> None:
    k1, k2 = registry.add_kiosk("v1", "k1"), registry.add_kiosk("v1", "k2")
    rid = str(uuid.uuid4())
    # k1's resend says another time (a kiosk reusing an id): still the one record, also on
    # PostgreSQL, where the time is part of the partitioned table's key.
    now = time.time()
    for token, kiosk, at in ((k1, "k1", now - 2), (k2, "k2", now - 2), (k1, "k1", now - 1)):
        when = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(at))
        r = requests.post(f"{server.url}/api/v1/records",
                          json={"records": [make_record(kiosk=kiosk, id=rid, created_utc=when)]},
                          headers=auth(token), timeout=10)  # fmt: skip
        assert r.status_code == 200
    statuses = [r.json()["results"][0]["status"]]
    assert statuses == ["duplicate"]  # the last: k1's own resend
    with registry.session() as s:
        assert set(s.scalars(select(Record.kiosk_id).where(Record.id == rid))) == {"k1", "k2"}


# ------------------------------------------------------------------ 11-12: keys and users


def test_a_revoked_issuer_key_leaves_the_trust_list_at_once(registry: Registry) -> None:
    text, _ = registry.issue_pass("An", valid_for=3600)
    [old] = [k["kid"] for k in registry.passes.keys_info() if k["active"]]
    new = registry.passes.revoke_key(str(old))
    assert new and new != old
    _, doc = registry.document(TRUST_LIST)
    payload = json.loads(base64.urlsafe_b64decode(json.loads(doc)["payload"] + "=="))
    assert [e["kid"] for e in payload["entries"]] == [new]
    with pytest.raises(PassRejected):
        verify_pass(text, TrustStore([load_public_key(
            registry.settings.keys_dir / f"issuer-{new}.pub")]))  # fmt: skip


def test_users_are_listed_disabled_and_given_new_tokens(
    registry: Registry, server: RegistryServer
) -> None:
    token = registry.add_user("ctl", Role.CONTROLLER, ["v1"])
    assert [u["name"] for u in registry.accounts.users()] == ["ctl"]
    registry.accounts.disable_user("ctl")
    assert registry.caller(token) is None and registry.accounts.users()[0]["disabled"]
    fresh = registry.accounts.reset_token("ctl")
    assert registry.caller(fresh) is not None and registry.caller(token) is None
    one = address()
    burst, _ = registry.settings.login_failures
    with requests.Session() as s:
        csrf = form_token(s, f"{server.url}/login")
        codes = [s.post(f"{server.url}/login", data={"token": "wrong", "csrf": csrf},
                        headers=one, timeout=10, allow_redirects=False).status_code
                 for _ in range(burst + 1)]  # fmt: skip
    assert codes == [401] * burst + [429]


# ------------------------------------------------------------------ 13: identifiers


def test_identifiers_are_strict_everywhere(registry: Registry, server: RegistryServer) -> None:
    for bad in ("v1,v2", "a/b", "", "x" * 65, "v\x00"):
        with pytest.raises(RegistryError):
            registry.add_venue(bad, "Bad")
    with pytest.raises(RegistryError):
        registry.add_user("ctl", Role.CONTROLLER, ["v1,v2"])
    with pytest.raises(RegistryError):
        registry.add_kiosk("v1", "k,1")
    admin = registry.add_user("boss", Role.ADMIN)
    api = f"{server.url}/api/v1/venues"
    assert requests.get(f"{api}/v1,v2/live", headers=auth(admin), timeout=10).status_code == 422
    assert requests.get(f"{api}/nope/live", headers=auth(admin), timeout=10).status_code == 404
    with requests.Session() as s:
        sign_in(s, server.url, admin)
        assert s.get(f"{server.url}/venues/nope", timeout=10).status_code == 404
        assert s.get(f"{server.url}/venues/v1", timeout=10).status_code == 200


# ------------------------------------------------------------------ 14: headers


def test_every_response_carries_the_security_headers(
    registry: Registry, server: RegistryServer
) -> None:
    answers = [
        requests.get(f"{server.url}{path}", timeout=10)
        for path in ("/", "/login", "/declare", "/api/v1/lists/deny", "/nowhere", "/openapi.json")
    ]
    answers.append(declare(server, {"x": 1}))
    for r in answers:
        csp = r.headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in csp and "'unsafe-inline'" not in csp, r.url
        assert r.headers["X-Content-Type-Options"] == "nosniff"
        assert r.headers["Referrer-Policy"] == "no-referrer"
        assert r.headers["Cache-Control"] == "no-store"
    for page in answers[:3]:
        assert "<script>" not in page.text and "<style>" not in page.text
    assert requests.get(f"{server.url}/docs", timeout=10).status_code == 404
    assert requests.get(f"{server.url}/redoc", timeout=10).status_code == 404
    script = requests.get(f"{server.url}/static/dashboard.js", timeout=10)
    assert script.status_code == 200 and "javascript" in script.headers["Content-Type"]


def test_browser_sessions_are_apart_from_tokens_and_forms_need_their_token(
    registry: Registry, server: RegistryServer
) -> None:
    token = registry.add_user("ctl", Role.CONTROLLER, ["v1"])
    with requests.Session() as s:
        # No form token, no sign-in (a form posted from another site has none).
        bare = s.post(f"{server.url}/login", data={"token": token}, headers=address(),
                      allow_redirects=False, timeout=10)  # fmt: skip
        assert bare.status_code == 403
        r = sign_in(s, server.url, token, next="/venues/v1")
        assert r.status_code == 303
        cookie = r.headers["Set-Cookie"]
        assert token not in cookie  # the browser never holds the API token
        assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Max-Age=" in cookie
        assert s.get(f"{server.url}/api/v1/venues/v1/live", timeout=10).status_code == 200
        page = s.get(f"{server.url}/venues/v1", timeout=10).text
        # A session may read; writing takes a bearer token (a cookie rides along anywhere).
        kiosk_write = s.post(f"{server.url}/api/v1/heartbeat", json={}, timeout=10)
        assert kiosk_write.status_code == 401
        csrf = page.split('name="csrf" value="')[1].split('"')[0]
        assert s.post(f"{server.url}/logout", data={"csrf": "x"}, timeout=10).status_code == 403
        out = s.post(f"{server.url}/logout", data={"csrf": csrf}, allow_redirects=False,
                     timeout=10)  # fmt: skip
        assert out.status_code == 303
        assert s.get(f"{server.url}/api/v1/venues/v1/live", timeout=10).status_code == 401
        # Disabling a person ends their sessions at once.
        sign_in(s, server.url, token)
        registry.accounts.disable_user("ctl")
        assert s.get(f"{server.url}/api/v1/venues/v1/live", timeout=10).status_code == 401
