"""The registry's public side, attacked through HTTP: what anyone may send, and what it moves.

One test per finding of the outside audit (issue 23); each failed on the registry before it.
"""

from __future__ import annotations

import base64
import csv
import io
import json
import re
import secrets
import sqlite3
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from checkin_protocol.documents import DENY_LIST
from checkin_protocol.keys import TrustStore
from checkin_protocol.kp1 import verify_pass
from checkin_protocol.messages import MAX_OFFSET_MS
from checkin_protocol.reasons import Reason
from checkin_protocol.records import Subject, Verdict
from registry.auth import Role
from registry.cli import main as cli_main
from registry.core.common import MAX_SHOWN_MS, MIN_SHOWN_MS, iso_ms, parse_iso_ms
from registry.core.declarations import DENY_ENTRY_BYTES
from registry.core.idnumbers import CCCD_PROVINCES, ID_NUMBER_PATTERN, id_number_problem
from registry.core.pagedata import PageData
from registry.db.models import ProofCode, Record
from registry.service import Registry
from registry.settings import Settings
from registry.web import i18n
from support.doors import (
    NOON,
    build_door,
    copy_list_key,
    door_config,
    registry_section,
    write_token,
)
from support.registry import RegistryServer, form_token, make_record, own_address, sign_in
from support.spreadsheets import PRINTABLE


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def person(id_number: str, **kw: Any) -> dict[str, Any]:
    return {"name": "Trần Thị Hoa", "id_number": id_number, "phone": "0912345678",
            "symptoms": False, "contact": False, "consent": "2026-01", **kw}  # fmt: skip


def declare(server: RegistryServer, body: dict[str, Any]) -> requests.Response:
    return requests.post(
        f"{server.url}/api/v1/declarations", json=body, headers=own_address(), timeout=10
    )


def trust_of(registry: Registry) -> TrustStore:
    pems = PageData(registry.db, 180).trusted_issuer_pems()
    return TrustStore([load_pem_public_key(p.encode()) for p in pems])  # type: ignore[misc]


def denied_subjects(registry: Registry) -> set[str]:
    """The subjects on the deny list as kiosks get it now."""
    _, doc = registry.document(DENY_LIST)
    payload = json.loads(base64.urlsafe_b64decode(json.loads(doc)["payload"] + "=="))
    return {e["subject"] for e in payload["entries"] if "subject" in e}


# ------------------------------------------------------------------ 1: proof of control


def test_knowing_an_id_number_and_holding_a_photo_of_its_qr_revokes_nothing(
    registry: Registry, server: RegistryServer
) -> None:
    """A stranger declared with the victim's ID number: the victim's pass was superseded
    (REFUSED at the door), and three such declarations spent the ID's bucket, so the victim's
    own re-declaration got 429 for an hour. Now the stranger, with the number, the QR's text
    (a photo of it) and secrets of their own, from one address and from many, revokes
    nothing and spends nothing of the holder's; the holder's own device replaces the pass."""
    victim = "001090012345"
    device = secrets.token_urlsafe(32)
    mine = declare(server, person(victim, device_secret=device)).json()
    denied = f"pass:{mine['pass_id']}"
    stranger = own_address()
    codes = []
    for n in range(12):
        body = person(victim, name="Kẻ Lạ Mặt", phone="0987654321")
        if n % 2:
            body |= {"previous_pass": mine["pass_text"], "device_secret": secrets.token_urlsafe(32)}
        for headers in (stranger, own_address()):
            r = requests.post(
                f"{server.url}/api/v1/declarations", json=body, headers=headers, timeout=10
            )
            codes.append(r.status_code)
            assert r.status_code in (200, 429), r.text
            assert r.status_code == 429 or not r.json().get("superseded")
            assert denied not in denied_subjects(registry), (n, r.status_code)
    assert 429 in codes  # the stranger's own bucket ran dry, not the holder's
    again = declare(server, person(victim, device_secret=device, previous_pass=mine["pass_text"]))
    assert again.status_code == 200, again.text
    assert again.json()["superseded"] is True
    assert denied in denied_subjects(registry)
    assert f"pass:{again.json()['pass_id']}" not in denied_subjects(registry)


# ------------------------------------------------------------------ 3: a bar never leaks


def self_check_in(
    server: RegistryServer,
    pass_text: str,
    direction: str = "entry",
    device: str = "",
    venue: str = "v1",
) -> str:
    """What a phone is told when it checks in at a venue with this pass: the outcome, its
    time blanked."""
    with requests.Session() as s:
        csrf = form_token(s, f"{server.url}/checkin/{venue}")
        r = s.post(
            f"{server.url}/checkin/{venue}",
            data={
                "pass_text": pass_text,
                "direction": direction,
                "csrf": csrf,
                "device_secret": device,
            },
            headers=own_address(),
            timeout=10,
        )
    assert r.status_code == 200, r.status_code
    found = re.search(r'<p class="[^"]*" id="outcome"[^>]*>[^<]*</p>', r.text)
    assert found, r.text
    return re.sub(r"\d\d/\d\d/\d{4} \d\d:\d\d", "<time>", found.group(0))


def phone_records(registry: Registry) -> list[tuple[str, str, str]]:
    with registry.session() as s:
        return sorted(
            (r.direction, r.verdict, r.reason or "")
            for r in s.scalars(select(Record).where(Record.kiosk_id == "self-checkin"))
        )


def test_self_check_in_never_tells_whether_a_pass_is_barred(
    registry: Registry, server: RegistryServer
) -> None:
    """Declare with an ID number, show the pass at self check-in: REFUSED told that a health
    officer had barred the ID, PASS that not; the declaration hides it on purpose. The phone
    hears the same words for a barred pass as for one that opens doors, on the way in and
    out; the venue's record keeps the truth for its staff."""
    officer = registry.add_user("doc", Role.HEALTH_OFFICER)
    barred = requests.post(
        f"{server.url}/api/v1/deny", json={"id_number": "001090077777"}, headers=auth(officer),
        timeout=10,
    )  # fmt: skip
    assert barred.status_code == 200
    answers: dict[str, list[str]] = {}
    for number in ("001090077777", "001090088888"):
        device = secrets.token_urlsafe(32)
        declared = declare(server, person(number, device_secret=device)).json()
        answers[number] = [
            self_check_in(server, declared["pass_text"], way, device)
            for way in ("entry", "entry", "exit", "exit", "entry")
        ]
    assert answers["001090077777"] == answers["001090088888"], answers
    refused = self_check_in(server, "KP1:garbage")
    assert refused not in answers["001090088888"]
    assert ("entry", "FAIL", "denied") in phone_records(registry)
    assert ("entry", "PASS", "") in phone_records(registry)


# ------------------------------------------------------------------ 2: phones and occupancy


def occupancy(server: RegistryServer, kiosk: str) -> int:
    r = requests.post(f"{server.url}/api/v1/heartbeat", json={}, headers=auth(kiosk), timeout=10)
    assert r.status_code == 200, r.text
    return int(r.json()["occupancy"]["inside"])


def test_a_phone_moves_no_door_count_and_a_qr_photo_checks_nobody_in(
    registry: Registry, server: RegistryServer
) -> None:
    """With one free pass, from one address: 14 anonymous exits and 12 entries moved the
    occupancy every kiosk of the venue enforces; 25 posts of garbage added refusals to the
    venue's figures; a photo of someone's QR created visits for them. Now a phone's steps are
    counted apart (the doors' figure is untouched), garbage records nothing, a pass checks in
    once and out only after an entry, and a QR without its phone's secret records nothing."""
    kiosk = registry.add_kiosk("v1", "k1")
    doors = [make_record(seq=n + 1) for n in range(3)]
    up = requests.post(
        f"{server.url}/api/v1/records", json={"records": doors}, headers=auth(kiosk), timeout=10
    )
    assert up.status_code == 200
    assert occupancy(server, kiosk) == 3
    device = secrets.token_urlsafe(32)
    mine = declare(server, person("001090099999", device_secret=device)).json()
    for _ in range(14):
        self_check_in(server, mine["pass_text"], "exit", device)
    for _ in range(12):
        self_check_in(server, mine["pass_text"], "entry", device)
    for n in range(25):
        self_check_in(server, f"KP1:{n}", "entry" if n % 2 else "exit")
    # Someone else's QR, photographed: the pass text without its phone's secret.
    theirs = declare(server, person("001090099998", device_secret=secrets.token_urlsafe(32)))
    for device_guess in ("", secrets.token_urlsafe(32)):
        self_check_in(server, theirs.json()["pass_text"], "entry", device_guess)
    assert occupancy(server, kiosk) == 3
    assert phone_records(registry) == [("entry", "PASS", "")]


def test_a_venue_that_counts_phones_counts_each_pass_once(
    registry: Registry, server: RegistryServer
) -> None:
    registry.add_venue("hall", "Hội trường", timezone=NOON, phone_occupancy=True)
    kiosk = registry.add_kiosk("hall", "k1")
    passes = []
    for number in ("001090011112", "001090011113"):
        device = secrets.token_urlsafe(32)
        passes.append((declare(server, person(number, device_secret=device)).json(), device))
    (first, one), (second, two) = passes
    for _ in range(5):
        self_check_in(server, first["pass_text"], "entry", one, venue="hall")
    assert occupancy(server, kiosk) == 1
    self_check_in(server, second["pass_text"], "entry", two, venue="hall")
    assert occupancy(server, kiosk) == 2
    for _ in range(3):
        self_check_in(server, first["pass_text"], "exit", one, venue="hall")
    assert occupancy(server, kiosk) == 1
    # Straight back in: not within the cooldown.
    again = self_check_in(server, first["pass_text"], "entry", one, venue="hall")
    assert "ghi nhận vào lại từ" in again
    assert occupancy(server, kiosk) == 1
    # The venue changes its mind: door records only from now on.
    settings = registry.settings
    args = ["--data", str(settings.data_dir), "--db", settings.database_url]
    assert cli_main([*args, "venue", "phones", "hall", "off"]) == 0
    assert occupancy(server, kiosk) == 0


def test_a_real_kiosk_s_full_decision_moves_with_its_doors_only(
    registry: Registry, server: RegistryServer, venue_dir: Path, make_pass: Callable[..., str]
) -> None:
    """The kiosk's own loop, store and sync against the registry: phones entering do not make
    it refuse as full, phones leaving do not make it admit past its max_occupancy."""
    registry.add_venue("test-venue", "Test Venue", timezone=NOON)
    copy_list_key(registry.settings.keys_dir, venue_dir)
    write_token(venue_dir, "in1.token", registry.add_kiosk("test-venue", "in1"))
    cfg = door_config(
        venue_dir,
        "in1",
        "entry",
        registry=registry_section(server.url, "in1.token"),
        extra="policy: {max_occupancy: 3}\n",
    )
    door = build_door(cfg)
    try:
        assert door.sync is not None
        for n in range(2):
            assert door.scan(make_pass(name=f"Người Số {n}")).decision.verdict is Verdict.PASS
        door.sync.cycle()
        device = secrets.token_urlsafe(32)
        mine = declare(server, person("001090022223", device_secret=device)).json()
        for way in ["entry"] * 12 + ["exit", "entry"] * 7:
            self_check_in(server, mine["pass_text"], way, device, venue="test-venue")
        door.sync.heartbeat()
        assert door.scan(make_pass(name="Người Thứ Ba")).decision.verdict is Verdict.PASS
        door.sync.cycle()
        for way in ["exit"] * 14:
            self_check_in(server, mine["pass_text"], way, device, venue="test-venue")
        door.sync.heartbeat()
        full = door.scan(make_pass(name="Người Thừa")).decision
        assert (full.verdict, full.reason) == (Verdict.FAIL, Reason.FULL)
    finally:
        door.close()


def ask_code(server: RegistryServer, id_number: str) -> requests.Response:
    return requests.post(
        f"{server.url}/api/v1/declarations/code",
        json={"id_number": id_number},
        headers=own_address(),
        timeout=10,
    )


def test_a_code_to_the_phone_on_file_replaces_the_pass_of_that_phone_only(
    registry: Registry, server: RegistryServer
) -> None:
    """The other proof, for a holder whose phone no longer keeps the pass: a one-time code to
    the phone declared with it (the demo's sender writes it to the log). A stranger who asks
    sends codes to the holder's phone, learns nothing from the answer, and guesses none."""
    victim = "001090012360"
    mine = declare(server, person(victim, phone="0912000731")).json()  # no device secret
    denied = f"pass:{mine['pass_id']}"
    answers = {ask_code(server, n).text for n in (victim, victim, "001090012361")}
    assert len(answers) == 1, answers  # the same words whether a pass is in force or not
    for guess in ("000000", "123456", "999999", "111111", "654321", "000001"):
        r = declare(server, person(victim, name="Kẻ Lạ Mặt", code=guess))
        assert r.status_code == 200 and r.json()["superseded"] is False
    assert denied not in denied_subjects(registry)
    assert ask_code(server, victim).status_code == 202
    sent = re.findall(r"phone ending 731: .*?(\d{6})", server.log.read_text(errors="replace"))
    assert sent, "no code in the log"
    again = declare(server, person(victim, code=sent[-1])).json()
    assert again["superseded"] is True
    assert denied in denied_subjects(registry)
    # Once only.
    assert declare(server, person(victim, code=sent[-1])).json()["superseded"] is False
    # The form's button does the same, and keeps what was typed.
    with requests.Session() as s:
        csrf = form_token(s, f"{server.url}/declare")
        form = {"name": "Trần Thị Hoa", "id_number": victim, "phone": "0912000731", "csrf": csrf}
        page = s.post(f"{server.url}/declare/code", data=form, headers=own_address(), timeout=10)
    assert page.status_code == 200 and 'id="code-sent"' in page.text
    assert 'value="0912000731"' in page.text
    # Erased with the person: no code of theirs stays behind.
    settings = registry.settings
    args = ["--data", str(settings.data_dir), "--db", settings.database_url]
    assert cli_main([*args, "subject", "erase", "--pass", again["pass_id"], "--yes"]) == 0
    with registry.session() as db:
        left = db.scalars(select(ProofCode.pass_id)).all()
    assert mine["pass_id"] not in left and again["pass_id"] not in left


# ------------------------------------------------------------------ 4: CSV formula injection


def test_a_declared_name_never_opens_as_a_formula_in_the_history_csv(
    registry: Registry, server: RegistryServer
) -> None:
    """Anyone may declare under any name; the controller opens the day's CSV in a spreadsheet.
    Every OWASP payload, declared as a name and shown at a kiosk, comes out as text."""
    kiosk = registry.add_kiosk("v1", "k1")
    controller = registry.add_user("ctl", Role.CONTROLLER, ["v1"])
    trust = trust_of(registry)
    names = [p for p in PRINTABLE if len(p) <= 100]
    records = []
    for n, name in enumerate(names):
        declared = declare(server, person(f"0790950{n:05d}", name=name + " A"))
        assert declared.status_code == 200, declared.text
        shown = verify_pass(declared.json()["pass_text"], trust)
        records.append(
            make_record(
                subject=str(Subject.of_pass(shown.pass_id)),
                masked_name=shown.masked_name,
                id=str(uuid.uuid4()),
                seq=n + 1,
            )
        )
    up = requests.post(
        f"{server.url}/api/v1/records", json={"records": records}, headers=auth(kiosk), timeout=10
    )
    assert up.status_code == 200
    assert {r["status"] for r in up.json()["results"]} == {"accepted"}, up.json()["results"][:2]
    with requests.Session() as s:
        sign_in(s, server.url, controller)
        got = s.get(f"{server.url}/venues/v1/history.csv", timeout=10)
    assert got.status_code == 200
    rows = list(csv.reader(io.StringIO(got.content.decode("utf-8-sig"), newline="")))
    cells = [c for row in rows for c in row]
    assert len(rows) == len(names) + 1
    assert not any(c.lstrip(" \u00a0")[:1] in set("=+-@\t\r\n＝＋－＠") for c in cells), cells
    shown_names = {row[5] for row in rows[1:]}
    assert all(n.startswith("'") for n in shown_names), shown_names


# ------------------------------------------------------------------ 5: the deny list's budget


def test_no_anonymous_caller_fills_the_deny_list_budget(registry: Registry) -> None:
    """At-risk declarations filled the deny list's budget; afterwards every at-risk
    declaration and every re-declaration got 503 for a week. Now declarations have a share of
    it, one address a part of that share; a health officer's bar, a plain declaration and a
    re-declaration go through however many at-risk declarations came before."""
    budget_entries, per_address = 40, 5
    srv = RegistryServer(
        registry.settings.data_dir,
        registry.settings.database_url,
        env={
            "REGISTRY_DENY_LIST_BUDGET": str(budget_entries * DENY_ENTRY_BYTES),
            "REGISTRY_DECLARED_PER_ADDRESS": str(per_address),
        },
    )
    srv.start()
    try:
        officer = registry.add_user("doc", Role.HEALTH_OFFICER)
        device = secrets.token_urlsafe(32)
        held = declare(srv, person("001090031000", device_secret=device)).json()
        one = own_address()
        from_one = [
            requests.post(
                f"{srv.url}/api/v1/declarations",
                json=person(f"0010900320{n:02d}", symptoms=True),
                headers=one,
                timeout=10,
            ).status_code
            for n in range(per_address + 3)
        ]
        assert from_one == [200] * per_address + [503] * 3
        # On the page, someone at risk is still given the advice and the hotline.
        with requests.Session() as s:
            csrf = form_token(s, f"{srv.url}/declare")
            form = {**person("001090032099"), "symptoms": "yes", "contact": "no", "csrf": csrf}
            page = s.post(f"{srv.url}/declare", data=form, headers=one, timeout=10)
        assert page.status_code == 503
        assert "tel:19009095" in page.text and 'id="risk-no-pass"' in page.text
        from_many = [
            declare(srv, person(f"0010900330{n:02d}", contact=True)).status_code
            for n in range(budget_entries)
        ]
        assert from_many.count(200) == budget_entries // 2 - per_address
        assert len(denied_subjects(registry)) == budget_entries // 2
        # What no declaration can take away:
        bar = requests.post(
            f"{srv.url}/api/v1/deny", json={"id_number": "001090034000"}, headers=auth(officer),
            timeout=10,
        )  # fmt: skip
        assert bar.status_code == 200, bar.text
        assert declare(srv, person("001090034000")).status_code == 200  # born barred
        assert declare(srv, person("001090035000")).status_code == 200
        again = declare(
            srv, person("001090031000", device_secret=device, previous_pass=held["pass_text"])
        )
        assert again.status_code == 200, again.text
        _, doc = registry.document(DENY_LIST)
        assert len(doc) <= budget_entries * DENY_ENTRY_BYTES
    finally:
        srv.stop()


# ------------------------------------------------------------------ words: what people read


@given(st.from_regex(r"[0-9]{10,11}|[0-9]{1,8}|[0-9]{13,20}", fullmatch=True))
def test_only_9_or_12_digits_can_be_an_id_number(number: str) -> None:
    assert id_number_problem(number) is not None


@given(
    st.sampled_from(sorted(CCCD_PROVINCES)),
    st.integers(0, 9),
    st.integers(0, 99),
    st.from_regex(r"[0-9]{6}", fullmatch=True),
)
def test_a_cccd_number_is_a_province_a_century_and_sex_a_year_and_six_digits(
    province: str, century: int, year: int, rest: str
) -> None:
    """Thông tư 07/2016/TT-BCA, Điều 7: province of birth (3), century and sex (1: 0-3 for
    the 20th and 21st centuries), the birth year's last two digits (2), six more digits."""
    number = f"{province}{century}{year:02d}{rest}"
    assert (id_number_problem(number) is None) == (century <= 3)
    assert (re.fullmatch(ID_NUMBER_PATTERN, number) is not None) == (century <= 3)
    assert id_number_problem(f"003{number[3:]}") is not None  # no province 003


def test_the_declaration_takes_an_id_number_by_its_structure_only(
    registry: Registry, server: RegistryServer
) -> None:
    """The form said "9 or 12 digits" and took 11: the declaration was filed under a number
    that a trace by the real one never finds."""
    for bad in ("00109001234", "0010900123456", "003090012345", "001490012345", "991234567"):
        r = declare(server, person(bad))
        assert r.status_code == 422, (bad, r.text)
        with requests.Session() as s:
            csrf = form_token(s, f"{server.url}/declare")
            form = {**person(bad), "symptoms": "no", "contact": "no", "csrf": csrf}
            page = s.post(f"{server.url}/declare", data=form, headers=own_address(), timeout=10)
        assert page.status_code == 422 and 'id="id_number-error"' in page.text
        assert "12 chữ số" in page.text
    for good in ("001090012346", "079305000001", "260415000"):
        assert declare(server, person(good)).status_code == 200, good


def test_a_pasted_id_number_bars_the_number_itself(
    registry: Registry, server: RegistryServer
) -> None:
    """Spaces and a newline around a number are the same number (a 500 once, found by the
    schema fuzz): the hash and the sealed copy are of the number alone."""
    officer = registry.add_user("doc", Role.HEALTH_OFFICER)
    r = requests.post(
        f"{server.url}/api/v1/deny", json={"id_number": " 001090012347\n"},
        headers=auth(officer), timeout=10,
    )  # fmt: skip
    assert r.status_code == 200, r.text
    assert r.json()["subject"] == str(registry.keys.hasher()("001090012347"))


def test_every_refusal_reason_has_words_and_the_private_ones_stay_private(
    registry: Registry, server: RegistryServer
) -> None:
    """Controllers' pages showed raw codes such as dcc_expired, and named some reasons the
    kiosk keeps to itself (a certificate's health rules)."""
    kiosk = registry.add_kiosk("v1", "k1")
    controller = registry.add_user("ctl", Role.CONTROLLER, ["v1"])
    records = [make_record(verdict="FAIL", reason=r.value, seq=n + 1) for n, r in enumerate(Reason)]
    up = requests.post(
        f"{server.url}/api/v1/records", json={"records": records}, headers=auth(kiosk), timeout=10
    )
    assert {x["status"] for x in up.json()["results"]} == {"accepted"}
    with requests.Session() as s:
        sign_in(s, server.url, controller)
        for lang in i18n.LANGS:
            t = i18n.Texts(lang)
            s.cookies.set("lang", lang)
            history = s.get(f"{server.url}/venues/v1/history.csv", timeout=10)
            rows = list(csv.DictReader(io.StringIO(history.content.decode("utf-8-sig"))))
            shown = {row[t.col_reason] for row in rows}
            live = s.get(f"{server.url}/venues/v1/live.json", timeout=10).json()
            shown |= {e["reason"] for e in live["refusals"]}
            assert not shown & {r.value for r in Reason}, shown
            assert t.private in shown
            public = {t.reason(r.value) for r in Reason if r.public}
            assert t.private not in public and public <= shown
            # Every private reason is shown as "private" and nothing else.
            assert shown - public == {t.private}, shown - public


def test_a_rate_limited_sign_in_is_a_page_in_the_reader_s_language(
    registry: Registry, server: RegistryServer
) -> None:
    """A rate-limited sign-in answered raw English JSON."""
    one = own_address()
    for lang, words in (("vi", "Vui lòng thử lại sau"), ("en", "Please try again in")):
        with requests.Session() as s:
            s.cookies.set("lang", lang)
            for _ in range(40):
                csrf = form_token(s, f"{server.url}/login")
                r = s.post(
                    f"{server.url}/login",
                    data={"token": "wrong", "csrf": csrf},
                    headers=one,
                    timeout=10,
                )
                if r.status_code == 429:
                    break
        assert r.status_code == 429
        assert r.headers["content-type"].startswith("text/html")
        assert int(r.headers["Retry-After"]) > 0
        assert words in r.text and f'lang="{lang}"' in r.text
        assert all(h in r.headers for h in SECURITY_HEADERS)


# ------------------------------------------------------------------ 7: sign-in limits


def sign_in_from(
    session: requests.Session, server: RegistryServer, token: str, where: dict[str, str]
) -> int:
    csrf = form_token(session, f"{server.url}/login")
    return session.post(
        f"{server.url}/login",
        data={"token": token, "csrf": csrf},
        headers=where,
        allow_redirects=False,
        timeout=10,
    ).status_code


def test_sign_in_limits_hold_across_processes_and_lock_no_one_else_out(
    registry: Registry, server: RegistryServer, own_server: RegistryServer
) -> None:
    """The limit was per address only, in each process's memory: one person behind an
    office's NAT locked everyone there out, and with two workers the limit doubled. Two
    server processes on one database count as one; a browser that signed in to its account
    before is counted by that account, so nobody's failures at its address keep it out."""
    controller = registry.add_user("ctl", Role.CONTROLLER, ["v1"])
    office = own_address()
    failures, _ = registry.settings.login_failures
    colleague = requests.Session()
    assert sign_in_from(colleague, server, controller, office) == 303
    processes = (server, own_server)
    with requests.Session() as someone:
        codes = [
            sign_in_from(someone, processes[n % 2], "wrong", office) for n in range(failures + 2)
        ]
    assert codes == [401] * failures + [429, 429]
    # A browser new to the account waits with its address; the colleague's does not.
    with requests.Session() as new:
        assert sign_in_from(new, own_server, controller, office) == 429
    assert sign_in_from(colleague, own_server, controller, office) == 303
    assert sign_in_from(colleague, server, controller, office) == 303
    # Elsewhere, nothing was spent.
    with requests.Session() as away:
        assert sign_in_from(away, server, controller, own_address()) == 303
    colleague.close()


# ------------------------------------------------------------------ 6: times and bodies


SECURITY_HEADERS = ("content-security-policy", "x-content-type-options", "x-frame-options")


def test_a_record_from_year_1_or_9999_is_shown_not_fatal(
    registry: Registry, server: RegistryServer
) -> None:
    """A kiosk clock at year 1 with the smallest offset accepted (or at 9999 with the largest
    one back) once made the live API, the dashboard's feed and the admin's status answer 500
    until the next purge. Every view shows the record, its time held to the calendar."""
    kiosk = registry.add_kiosk("v1", "k1")
    controller = registry.add_user("ctl", Role.CONTROLLER, ["v1"])
    admin = registry.add_user("boss", Role.ADMIN)
    for when, offset in (
        ("0001-01-01T00:00:00.000Z", -MAX_OFFSET_MS),
        ("9999-12-31T23:59:59.999Z", -MAX_OFFSET_MS),
    ):
        up = requests.post(
            f"{server.url}/api/v1/records",
            json={"records": [make_record(created_utc=when)], "clock_offset_ms": offset},
            headers=auth(kiosk),
            timeout=10,
        )
        assert up.status_code == 200, up.text
    live = requests.get(f"{server.url}/api/v1/venues/v1/live", headers=auth(controller), timeout=10)
    assert live.status_code == 200, live.text
    # The live view reads the retention window only (views.latest_records): whatever it
    # shows has a time of the calendar.
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT[0-9:.]+Z", r["time"]) for r in live.json()["recent"])
    status = requests.get(f"{server.url}/api/v1/status", headers=auth(admin), timeout=10)
    assert status.status_code == 200 and status.json()["oldest_record"].startswith("0001-01-0")
    with requests.Session() as s:
        sign_in(s, server.url, controller)
        for path in ("/venues/v1/live.json", "/venues/v1", "/venues/v1/history?day=0001-01-02"):
            got = s.get(f"{server.url}{path}", timeout=10)
            assert got.status_code == 200, (path, got.status_code)
        csv_out = s.get(f"{server.url}/venues/v1/history.csv", timeout=10)
        assert csv_out.status_code == 200
    with requests.Session() as s:
        sign_in(s, server.url, admin)
        assert s.get(f"{server.url}/admin", timeout=10).status_code == 200


def test_an_upload_body_of_the_wrong_shape_is_422_with_the_headers(
    registry: Registry, server: RegistryServer
) -> None:
    kiosk = registry.add_kiosk("v1", "k1")
    for records in (None, True, 1, "x", {"a": 1}):
        r = requests.post(
            f"{server.url}/api/v1/records",
            json={"records": records},
            headers=auth(kiosk),
            timeout=10,
        )
        assert r.status_code == 422, (records, r.status_code, r.text)
        assert all(h in r.headers for h in SECURITY_HEADERS)


def test_a_server_error_carries_the_security_headers(tmp_path: Path) -> None:
    """A 500 came from Starlette's outermost layer, past the guard that adds the headers. A
    registry whose database lost a table behind its back answers 500, headers and all."""
    data = tmp_path / "reg"
    url = f"sqlite:///{data / 'registry.db'}"
    reg = Registry(Settings(data_dir=data, database_url=url))
    reg.init()
    reg.add_venue("v1", "Venue One")
    admin = reg.add_user("boss", Role.ADMIN)
    reg.engine.dispose()
    srv = RegistryServer(data, url)
    srv.start()
    try:
        with sqlite3.connect(data / "registry.db") as db:
            db.execute("DROP TABLE kiosks")
        r = requests.get(f"{srv.url}/api/v1/venues/v1/live", headers=auth(admin), timeout=10)
    finally:
        srv.stop()
    assert r.status_code == 500
    assert r.json() == {"detail": "internal error"}
    assert all(h in r.headers for h in SECURITY_HEADERS)
    assert r.headers["Cache-Control"] == "no-store"


@given(
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.sampled_from(["Asia/Ho_Chi_Minh", "Pacific/Kiritimati", "Pacific/Pago_Pago", "UTC"]),
)
def test_every_time_a_view_shows_is_held_to_the_calendar(at: int, now: int, tz: str) -> None:
    """Whatever a kiosk's clock said (a BIGINT), each way a view writes a time gives text."""
    shown = iso_ms(at)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", shown), shown
    # parse_iso_ms goes through a float timestamp: a millisecond off, far from 1970.
    assert abs(parse_iso_ms(shown) - min(max(at, MIN_SHOWN_MS), MAX_SHOWN_MS)) <= 1
    assert re.fullmatch(r"\d\d/\d\d/\d{4} \d\d:\d\d", i18n.date_time(at, tz))
    assert re.fullmatch(r"\d\d:\d\d:\d\d", i18n.clock(at, tz))
    assert i18n.clock_or_date(at, now, tz)
    assert "(UTC" in i18n.Texts("en").tz_label(tz, at)
