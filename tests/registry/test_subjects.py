"""A person's requests through the real registry: one person found by card, pass or declaration,
their copy exported, and everything about them erased down to the database's files."""

from __future__ import annotations

import base64
import csv
import io
import json
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import requests
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from checkin_protocol.documents import DENY_LIST
from checkin_protocol.sealing import seal_id_number
from registry.auth import Role
from registry.cli import main
from registry.core.subjects import days_after, working_days_after
from registry.db.models import Declaration, IssuedPass
from registry.service import Registry
from support.registry import RegistryServer, form_token, make_record, own_address, sign_in

VISITOR = "001090012345"
OTHER = "079185000042"
NAME = "Trần Thị Hoa"
PHONE = "0912345678"


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def cli(
    registry: Registry,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    *args: str,
    stdin: str = "",
) -> tuple[int, str, str]:
    """`kiosk-registry ARGS` on the test's registry, in this process."""
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    capsys.readouterr()
    code = main(
        ["--data", str(registry.settings.data_dir), "--db", registry.settings.database_url, *args]
    )
    out, err = capsys.readouterr()
    return code, out, err


def declare(server: RegistryServer, number: str, name: str, phone: str) -> dict[str, Any]:
    body = {
        "name": name,
        "id_number": number,
        "phone": phone,
        "symptoms": True,
        "contact": False,
        "consent": "2026-01",
    }
    reply = requests.post(
        f"{server.url}/api/v1/declarations", json=body, headers=own_address(), timeout=10
    )
    assert reply.status_code == 200, reply.text
    return dict(reply.json())


def upload(server: RegistryServer, token: str, records: list[dict[str, Any]]) -> None:
    reply = requests.post(
        f"{server.url}/api/v1/records", json={"records": records}, headers=auth(token), timeout=10
    )
    assert reply.status_code == 200, reply.text
    assert all(r["status"] in ("accepted", "duplicate") for r in reply.json()["results"])


def person_at_two_venues(registry: Registry, server: RegistryServer) -> dict[str, Any]:
    """One person: a declaration (a pass), the pass used at venue 1, their chip card read
    (sealed by the kiosk) at venue 1 and 2, traced and barred by an officer; and a stranger
    at the same door."""
    registry.add_venue("v2", "Venue Two", district="Ba Đình", province="Hà Nội")
    k1 = registry.add_kiosk("v1", "k1")
    k2 = registry.add_kiosk("v2", "k2")
    officer = registry.add_user("doc", Role.HEALTH_OFFICER)
    mine = declare(server, VISITOR, NAME, PHONE)
    theirs = declare(server, OTHER, "Lê Văn Nam", "0987654321")
    sealed = [str(seal_id_number(registry.keys.sealing_public(), VISITOR)) for _ in range(2)]
    upload(server, k1, [
        make_record("k1", "v1", subject=f"pass:{mine['pass_id']}", masked_name="Trần T** H"),
        make_record("k1", "v1", subject=sealed[0], code_kind="cccd", masked_name="Trần T** H"),
        make_record("k1", "v1", subject=f"pass:{theirs['pass_id']}", masked_name="Lê V** N"),
    ])  # fmt: skip
    upload(server, k2, [make_record("k2", "v2", subject=sealed[1], code_kind="cccd")])
    idh = str(registry.keys.hasher()(VISITOR))
    traced = requests.get(
        f"{server.url}/api/v1/tracing",
        params={"subject": idh, "reason": "ca bệnh F0-2026-117"},
        headers=auth(officer),
        timeout=10,
    )
    # One person: the card at two venues and the pass at one.
    assert traced.status_code == 200 and len(traced.json()["visits"]) == 3
    registry.denials.deny_id("doc", VISITOR, reason_code="health_order")
    return {"mine": mine, "theirs": theirs, "idh": idh, "sealed": sealed}


def test_one_person_is_found_by_card_pass_or_declaration_and_exported(
    registry: Registry,
    server: RegistryServer,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    seen = person_at_two_venues(registry, server)
    code, out, _ = cli(registry, capsys, monkeypatch, "subject", "find", "--id-number", "-",
                       stdin=VISITOR + "\n")  # fmt: skip
    assert code == 0
    by_card = json.loads(out)
    # The card at two venues and the pass at one: three visits of one person.
    assert by_card["found"]["records"] == 3
    assert by_card["found"]["declarations"] == 1 and by_card["found"]["issued_passes"] == 1
    assert by_card["found"]["deny_entries"] >= 2  # the ID's bar, and its pass's (born barred)
    assert by_card["found"]["audit_entries"] >= 2  # the trace and the bar
    code, out, _ = cli(registry, capsys, monkeypatch, "subject", "find", "--pass",
                       seen["mine"]["pass_id"])  # fmt: skip
    assert code == 0 and json.loads(out)["found"] == by_card["found"]
    with registry.session() as s:
        declaration = s.scalar(select(Declaration.id).where(Declaration.id_hash == seen["idh"]))
    code, out, _ = cli(registry, capsys, monkeypatch, "subject", "find", "--declaration",
                       str(declaration))  # fmt: skip
    assert code == 0 and json.loads(out)["found"] == by_card["found"]

    target = tmp_path / "copy.csv"
    code, out, _ = cli(registry, capsys, monkeypatch, "subject", "export", "--pass",
                       seen["mine"]["pass_id"], "--out", str(target))  # fmt: skip
    assert code == 0 and target.stat().st_mode & 0o777 == 0o600
    text = target.read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    cover = {r[0]: r[1] for r in rows if len(r) == 2}
    assert rows[0] == ["BẢN SAO DỮ LIỆU CÁ NHÂN / COPY OF YOUR PERSONAL DATA"]
    assert cover["Địa điểm có dữ liệu của bạn / Venues holding your data"] == (
        "Venue One; Venue Two"
    )
    assert cover["Lượt ra vào được ghi lại / Check-ins recorded"] == "3"
    assert (
        "(giờ Việt Nam / ICT)"
        in cover["Hạn phản hồi (2 ngày làm việc) / Reply due (2 working days)"]
    )
    # Their own name, phone and answers are theirs to see; the stranger's are not there.
    assert NAME in text and PHONE in text and "Lê Văn Nam" not in text and "Lê V** N" not in text
    # Who saw it: the officer's trace and bar.
    who = [r for r in rows if len(r) == 5 and r[1] == "doc"]
    assert {r[2] for r in who} >= {"trace", "deny_id"}
    # The ID number itself is in no export: the registry never had it to give.
    assert VISITOR not in text
    requests_made = registry.subjects.requests()
    assert [r["kind"] for r in requests_made] == ["export", "find", "find", "find"]
    assert all(r["answered"] and r["reply_due"] > r["asked"] for r in requests_made)


def database_text(registry: Registry) -> str:
    """Every row of every table, as text."""
    from registry.db.models import Base

    with registry.engine.connect() as c:
        rows = [
            [str(v) for v in row]
            for t in Base.metadata.sorted_tables
            for row in c.execute(t.select()).all()
        ]
    return json.dumps(rows, ensure_ascii=False)


def sqlite_bytes(registry: Registry) -> bytes:
    """The database file, its WAL and shared-memory index, as they are on disk."""
    database = Path(str(registry.engine.url.database))
    files = [database, Path(f"{database}-wal"), Path(f"{database}-shm")]
    return b"".join(p.read_bytes() for p in files if p.exists())


def test_erasure_leaves_nothing_of_the_person_and_keeps_the_audit_without_them(
    registry: Registry,
    server: RegistryServer,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen = person_at_two_venues(registry, server)
    pass_id, hash_value = seen["mine"]["pass_id"], seen["idh"].split(":", 1)[1]
    audit_before = len(registry.audit(1000))
    if registry.engine.dialect.name == "sqlite":
        # The search below can find them: before the erasure, the files hold them.
        # (The full name and phone never are: sealed, tests/registry/test_sealed_fields.py.)
        found = sqlite_bytes(registry)
        assert all(f.encode() in found for f in (hash_value, pass_id, "Trần T** H"))
    code, _, err = cli(registry, capsys, monkeypatch, "subject", "erase", "--pass", pass_id)
    assert code == 1 and "--yes" in err  # never by accident
    code, out, _ = cli(registry, capsys, monkeypatch, "subject", "erase", "--id-number", "-",
                       "--yes", stdin=VISITOR)  # fmt: skip
    assert code == 0
    done = json.loads(out)
    erased = done["erased"]
    assert erased["records"] == 3 and erased["declarations"] == 1
    assert erased["issued_passes"] == 1 and erased["deny_entries"] >= 2
    assert erased["audit_entries_anonymised"] >= 2
    # Found again: nothing; the stranger at the same door is untouched.
    code, out, _ = cli(registry, capsys, monkeypatch, "subject", "find", "--id-number", VISITOR)
    assert json.loads(out)["found"] == {
        "records": 0, "declarations": 0, "issued_passes": 0, "deny_entries": 0,
        "self_checkins": 0, "audit_entries": 0,
    }  # fmt: skip
    code, out, _ = cli(registry, capsys, monkeypatch, "subject", "find", "--pass",
                       seen["theirs"]["pass_id"])  # fmt: skip
    assert json.loads(out)["found"]["records"] == 1
    # The audit keeps every entry (and adds the requests'), each naming the request instead.
    audit = registry.audit(1000)
    assert len(audit) == audit_before + 3
    request_id = done["request"]["id"]
    assert any(
        a["action"] == "trace" and a["params"]["subject"] == f"erased:request-{request_id}"
        for a in audit
    )
    dump = database_text(registry)
    for form in (hash_value, pass_id, NAME, PHONE, *seen["sealed"]):
        assert form not in dump
    # The deny list kiosks fetch no longer names the pass.
    _, deny = registry.document(DENY_LIST)
    payload = base64.urlsafe_b64decode(json.loads(deny)["payload"] + "==").decode()
    assert f"pass:{pass_id}" not in payload and f"pass:{seen['theirs']['pass_id']}" in payload
    if registry.engine.dialect.name == "sqlite":
        raw = sqlite_bytes(registry)
        for form in (hash_value, pass_id, NAME, PHONE, "Trần T** H"):
            assert form.encode() not in raw, form
        # secure_delete: on for every connection the registry opens, whatever the SQLite
        # build's default (Debian's is on, upstream's off).
        with registry.engine.connect() as c:
            assert c.exec_driver_sql("PRAGMA secure_delete").one() == (1,)


def test_requests_refuse_what_is_not_a_person(
    registry: Registry,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for args, why in (
        (("--id-number", "12345"), "12 digits"),
        (("--pass", "not-hex!"), "hex"),
        (("--declaration", "x1"), "a number"),
        (("--declaration", "999"), "no declaration 999"),
        (("--pass", "ab", "--asked", "yesterday"), "ISO"),
        (("--pass", "ab", "--asked", "2999-01-01T00:00:00Z"), "future"),
    ):
        code, out, err = cli(registry, capsys, monkeypatch, "subject", "find", *args)
        assert code == 1 and why in err and out == "", (args, err)
    assert registry.subjects.requests() == []


def ms(text: str) -> int:
    return int(datetime.fromisoformat(text).timestamp() * 1000)


def test_deadlines_count_working_days_in_vietnam() -> None:
    # Friday 10:00 in Hà Nội: two working days is the end of Tuesday, not of Sunday.
    friday = ms("2026-12-04T10:00:00+07:00")
    assert working_days_after(friday, 2) == ms("2026-12-09T00:00:00+07:00") - 1
    # Late on Monday in UTC is already Tuesday in Hà Nội.
    assert working_days_after(ms("2026-12-07T20:00:00+00:00"), 2) == (
        ms("2026-12-11T00:00:00+07:00") - 1
    )
    assert days_after(friday, 15) == ms("2026-12-20T00:00:00+07:00") - 1


@given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1)))
def test_a_reply_is_due_two_to_four_days_later_never_on_a_weekend(when: datetime) -> None:
    asked = int(when.replace(tzinfo=UTC).timestamp() * 1000)
    due = working_days_after(asked, 2)
    day = datetime.fromtimestamp(due / 1000, ZoneInfo("Asia/Ho_Chi_Minh"))
    assert day.weekday() < 5
    assert 2 * 86_400_000 <= due - asked < 5 * 86_400_000


def test_the_admin_answers_requests_on_the_page(registry: Registry, server: RegistryServer) -> None:
    seen = person_at_two_venues(registry, server)
    admin = registry.add_user("ops", Role.ADMIN)
    officer = registry.add_user("doc2", Role.HEALTH_OFFICER)
    web = requests.Session()
    assert sign_in(web, server.url, admin, "/admin/subjects").status_code == 303
    url = f"{server.url}/admin/subjects"
    csrf = form_token(web, url)
    found = web.post(url, data={"csrf": csrf, "lookup": "id_number", "value": VISITOR,
                                "action": "find"}, timeout=10)  # fmt: skip
    assert found.status_code == 200
    assert (
        "Đang lưu về người này" in found.text
        and '<th scope="row">Lượt ra vào</th><td>3</td>' in found.text
    )
    assert VISITOR not in found.text  # never shown back
    copy = web.post(url, data={"csrf": csrf, "lookup": "pass", "value": seen["mine"]["pass_id"],
                               "action": "export"}, timeout=10)  # fmt: skip
    assert copy.status_code == 200 and copy.headers["content-type"].startswith("text/csv")
    assert NAME in copy.content.decode("utf-8-sig")
    # Erasing needs the box ticked; a bad time or an unknown kind is refused, saying why.
    for data, why in (
        ({"lookup": "id_number", "value": VISITOR, "action": "erase"}, "Đánh dấu ô xác nhận"),
        ({"lookup": "id_number", "value": VISITOR, "action": "find", "asked": "x"}, "không hợp lệ"),
        ({"lookup": "name", "value": VISITOR, "action": "find"}, "Không thực hiện được"),
        ({"lookup": "id_number", "value": "123", "action": "find"}, "12 digits"),
    ):
        refused = web.post(url, data={"csrf": csrf, **data}, timeout=10)
        assert refused.status_code == 422 and why in refused.text, data
    assert registry.subjects.requests()[0]["kind"] == "export"  # refusals record nothing
    # Without the session's CSRF token nothing is done.
    forged = web.post(url, data={"csrf": "x", "lookup": "id_number", "value": VISITOR,
                                 "action": "erase", "confirm": "yes"}, timeout=10)  # fmt: skip
    assert forged.status_code == 403
    erased = web.post(url, data={"csrf": csrf, "lookup": "id_number", "value": VISITOR,
                                 "action": "erase", "confirm": "yes",
                                 "asked": "2026-01-05T09:00"}, timeout=10)  # fmt: skip
    assert erased.status_code == 200 and "Đã xóa" in erased.text
    latest = registry.subjects.requests()[0]
    assert latest["kind"] == "erase" and latest["recorded_by"] == "ops"
    assert latest["asked"] == "2026-01-05T02:00:00.000Z"  # Vietnam time, as typed
    assert latest["reply_due"] == "2026-01-07T16:59:59.999Z"  # end of Wed 7/1 in Hà Nội
    assert "07/01/2026 23:59" in erased.text
    # Only an admin: a health officer is refused the page.
    other = requests.Session()
    sign_in(other, server.url, officer, "/admin/subjects")
    assert other.get(url, timeout=10).status_code == 403


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="needs pdftotext (poppler-utils)")
def test_the_copy_as_a_pdf_reads_in_vietnamese(
    registry: Registry,
    server: RegistryServer,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    seen = person_at_two_venues(registry, server)
    target = tmp_path / "copy.pdf"
    code, _, err = cli(registry, capsys, monkeypatch, "subject", "export", "--pass",
                       seen["mine"]["pass_id"], "--out", str(target))  # fmt: skip
    assert code == 0, err
    assert target.read_bytes().startswith(b"%PDF") and target.stat().st_mode & 0o777 == 0o600
    text = subprocess.run(["pdftotext", str(target), "-"], check=True, capture_output=True,
                          text=True, timeout=60).stdout  # fmt: skip
    flat = " ".join(text.split())
    assert "BẢN SAO DỮ LIỆU CÁ NHÂN" in flat and "Venue One; Venue Two" in flat
    assert NAME in flat and PHONE in flat and "Lê Văn Nam" not in flat
    assert "Lượt ra vào được ghi lại / Check-ins recorded (3)" in flat
    assert "Ai đã xem hoặc xử lý dữ liệu của bạn" in flat and "doc" in flat
    if shutil.which("pdftoppm"):  # looked at: tmp_path/copy-1.png
        subprocess.run(["pdftoppm", "-r", "50", "-png", "-f", "1", "-l", "1", str(target),
                        str(tmp_path / "copy")], check=True, timeout=60)  # fmt: skip
    # The same from the admin's page.
    admin = registry.add_user("ops", Role.ADMIN)
    web = requests.Session()
    sign_in(web, server.url, admin, "/admin/subjects")
    csrf = form_token(web, f"{server.url}/admin/subjects")
    got = web.post(f"{server.url}/admin/subjects", data={"csrf": csrf, "lookup": "id_number",
                   "value": VISITOR, "action": "export_pdf"}, timeout=30)  # fmt: skip
    assert got.status_code == 200 and got.headers["content-type"] == "application/pdf"
    assert got.content.startswith(b"%PDF")
    assert [r["kind"] for r in registry.subjects.requests()][:2] == ["export", "export"]


def test_a_person_corrects_their_name_and_phone(
    registry: Registry,
    server: RegistryServer,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    seen = person_at_two_venues(registry, server)
    for args, why in (
        ((), "nothing to correct"),
        (("--phone", "12"), "8-16 digits"),
        (("--name", "x\u0007y"), "printable"),
    ):
        code, _, err = cli(registry, capsys, monkeypatch, "subject", "correct", "--pass",
                           seen["mine"]["pass_id"], *args)  # fmt: skip
        assert code == 1 and why in err, (args, err)
    code, out, err = cli(registry, capsys, monkeypatch, "subject", "correct", "--id-number", "-",
                         "--name", "Trần Thị Hòa", "--phone", "0987 000 111",
                         stdin=VISITOR)  # fmt: skip
    assert code == 0, err
    assert json.loads(out)["request"]["outcome"]["corrected"] == {
        "declarations": 1, "fields": ["name", "phone"],
    }  # fmt: skip
    target = tmp_path / "copy.csv"
    cli(registry, capsys, monkeypatch, "subject", "export", "--pass", seen["mine"]["pass_id"],
        "--out", str(target))  # fmt: skip
    text = target.read_text(encoding="utf-8-sig")
    assert "Trần Thị Hòa" in text and "0987 000 111" in text
    assert NAME not in text and PHONE not in text
    assert "subject_correct" in {a["action"] for a in registry.audit(100)}
    with registry.engine.connect() as c:
        dump = str(c.exec_driver_sql("SELECT * FROM declarations").all())
    assert "Trần Thị Hòa" not in dump and "0987 000 111" not in dump  # sealed as before


def test_a_withdrawn_consent_takes_the_declaration_and_its_pass_not_the_door_records(
    registry: Registry,
    server: RegistryServer,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen = person_at_two_venues(registry, server)
    pass_id = seen["mine"]["pass_id"]
    code, out, err = cli(registry, capsys, monkeypatch, "subject", "withdraw", "--pass", pass_id)
    assert code == 0, err
    assert json.loads(out)["request"]["outcome"]["withdrawn"] == {
        "declarations": 1, "passes_revoked": 1,
    }  # fmt: skip
    code, out, _ = cli(registry, capsys, monkeypatch, "subject", "find", "--id-number", VISITOR)
    found = json.loads(out)["found"]
    assert found["declarations"] == 0 and found["records"] == 3  # the doors' basis is not consent
    # The pass no longer opens a door: revoked, and on the deny list kiosks fetch.
    with registry.session() as s:
        issued = s.get(IssuedPass, pass_id)
        assert issued is not None and issued.revoked_ms is not None
    _, deny = registry.document(DENY_LIST)
    payload = base64.urlsafe_b64decode(json.loads(deny)["payload"] + "==").decode()
    assert f"pass:{pass_id}" in payload
    assert "subject_withdraw" in {a["action"] for a in registry.audit(100)}


def test_the_admin_corrects_and_withdraws_on_the_page(
    registry: Registry, server: RegistryServer
) -> None:
    seen = person_at_two_venues(registry, server)
    admin = registry.add_user("ops", Role.ADMIN)
    web = requests.Session()
    sign_in(web, server.url, admin, "/admin/subjects")
    url = f"{server.url}/admin/subjects"
    csrf = form_token(web, url)
    who = {"csrf": csrf, "lookup": "pass", "value": seen["mine"]["pass_id"]}
    bad = web.post(url, data={**who, "action": "correct", "new_phone": "12"}, timeout=10)
    assert bad.status_code == 422 and "8-16 digits" in bad.text
    done = web.post(url, data={**who, "action": "correct", "new_phone": "0987 000 111"},
                    timeout=10)  # fmt: skip
    assert done.status_code == 200 and "Đã sửa các tờ khai" in done.text
    assert "0987 000 111" not in done.text  # the new value is not shown back either
    unticked = web.post(url, data={**who, "action": "withdraw"}, timeout=10)
    assert unticked.status_code == 422 and "Đánh dấu ô xác nhận" in unticked.text
    gone = web.post(url, data={**who, "action": "withdraw", "confirm": "yes"}, timeout=10)
    assert gone.status_code == 200 and "thu hồi thẻ" in gone.text
    kinds = [r["kind"] for r in registry.subjects.requests()]
    assert kinds[:2] == ["withdraw", "correct"]
    assert all(r["recorded_by"] == "ops" for r in registry.subjects.requests()[:2])
