"""The registry's pages in a real headless Chromium (Debian's): what each kind of person does."""

from __future__ import annotations

import base64
import contextlib
import csv
import io
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from checkin_protocol.keys import TrustStore, load_public_key
from checkin_protocol.kp1 import verify_pass
from registry.auth import Role
from registry.service import Registry
from support.browser import (
    CHROMIUM,
    DEMO_ID,
    DRIVER,
    IMPLICIT_WAIT,
    absent,
    check_page,
    fill_declaration,
    fill_demo,
    make_driver,
    reset,
    sign_in_as,
    trace_demo,
    upload_badges,
    viewport,
    wait_for,
)
from support.registry import RegistryServer, make_record, own_address

pytestmark = [
    pytest.mark.skipif(
        not (CHROMIUM and DRIVER),
        reason="needs Debian's chromium and chromium-driver (./dev test installs them)",
    ),
    pytest.mark.parametrize("registry_db", ["sqlite"], indirect=True),
    pytest.mark.slow,  # a browser's round trips: seconds each
]


ACCOUNT_ACTS = {"venue_add", "kiosk_add", "user_add", "enrol_code"}


@pytest.fixture(scope="session")
def _chromium() -> Iterator[list[Any]]:
    """One Chromium for a test session's page tests (a box, so a dead one can be replaced)."""
    box: list[Any] = []
    yield box
    for driver in box:
        driver.quit()


@pytest.fixture
def browser(_chromium: list[Any]) -> Any:
    """The session's browser, reset to a new one's state; a browser that no longer answers
    is replaced by a new one."""
    from selenium.common.exceptions import WebDriverException

    if _chromium:
        try:
            reset(_chromium[0])
            return _chromium[0]
        except WebDriverException:
            dead = _chromium.pop()
            with contextlib.suppress(WebDriverException):
                dead.quit()
    _chromium.append(make_driver())
    return _chromium[0]


def by_id(driver: Any, element_id: str) -> Any:
    from selenium.webdriver.common.by import By

    return driver.find_element(By.ID, element_id)


def wait_text(driver: Any, element_id: str, want: str, timeout: float = 15) -> str:
    deadline = time.monotonic() + timeout
    text = ""
    while time.monotonic() < deadline:
        text = str(by_id(driver, element_id).text)
        if text == want:
            return text
        time.sleep(0.1)
    raise AssertionError(f"#{element_id} shows {text!r}, not {want!r}")


def session_of(driver: Any) -> requests.Session:
    """The browser's cookies in a requests session: to fetch what the browser would download."""
    s = requests.Session()
    for c in driver.get_cookies():
        s.cookies.set(c["name"], c["value"])
    return s


def test_dashboard_updates_live_without_reload(
    registry: Registry, server: RegistryServer, browser: Any
) -> None:
    kiosk = registry.add_kiosk("v1", "k1")
    controller = registry.add_user("ctl", Role.CONTROLLER, ["v1"])
    browser.get(f"{server.url}/venues/v1")
    assert "/login" in browser.current_url  # not signed in yet
    by_id(browser, "token").send_keys(controller)
    by_id(browser, "sign-in").click()
    wait_text(browser, "venue-name", "Venue One")
    wait_text(browser, "entries", "0")
    browser.execute_script("window.__same_page = true")

    def rec(direction: str, **fields: Any) -> dict[str, Any]:
        return make_record(
            direction=direction, code_kind="cccd", subject="idh:" + "a" * 32, **fields
        )

    auth = {"Authorization": f"Bearer {kiosk}", **own_address()}
    records = [rec("entry"), rec("entry"), rec("exit")]
    records += [
        rec("entry", verdict="FAIL", reason="denied"),
        rec("entry", verdict="FAIL", reason="expired"),
    ]
    requests.post(
        f"{server.url}/api/v1/records", json={"records": records}, headers=auth, timeout=10
    )
    requests.post(
        f"{server.url}/api/v1/heartbeat", json={"queue_depth": 0}, headers=auth, timeout=10
    )
    wait_text(browser, "entries", "2")
    wait_text(browser, "inside", "1")
    wait_text(browser, "refused", "2")
    assert browser.execute_script("return window.__same_page") is True  # updated, not reloaded
    assert "Đang hoạt động" in by_id(browser, "kiosks-k1").text
    assert "vừa xong" in by_id(browser, "kiosks-k1").text
    refusals = by_id(browser, "refusals").text
    # A private reason is never named; a public one is, in Vietnamese.
    assert "riêng tư" in refusals and "Mã đã hết hạn" in refusals and "denied" not in refusals
    recent = by_id(browser, "recent").text
    assert "Nguyễn V** A" in recent and "idh:aaaaaa…" in recent and "a" * 32 not in recent
    # Signing out ends the session: the live view asks for a sign-in again.
    by_id(browser, "sign-out").click()
    wait_for(browser, "return location.pathname === '/login'")
    browser.get(f"{server.url}/venues/v1")
    assert "/login" in browser.current_url


def test_a_controller_sees_their_venues_only(
    registry: Registry, server: RegistryServer, browser: Any
) -> None:
    registry.add_venue("v2", "Nhà văn hoá phường")
    registry.add_venue("v3", "Sân vận động")
    controller = registry.add_user("ctl", Role.CONTROLLER, ["v1", "v2"])
    sign_in_as(browser, server.url, controller)
    assert browser.current_url.endswith("/venues")  # a controller lands on their venues
    listed = by_id(browser, "venues").text
    assert "Venue One" in listed and "Nhà văn hoá phường" in listed and "Sân vận động" not in listed
    browser.get(f"{server.url}/venues/v3")
    assert "Không có quyền truy cập" in by_id(browser, "main").text
    browser.get(f"{server.url}/trace")  # nor the officer's page
    assert "Không có quyền truy cập" in by_id(browser, "main").text


def test_declaration_good_bad_and_at_risk(
    registry: Registry, server: RegistryServer, browser: Any
) -> None:
    import cv2
    import numpy as np

    from kiosk.decode.zxing import ZxingDecoder

    # No health answer is chosen for the citizen.
    browser.get(f"{server.url}/declare")
    assert (
        browser.execute_script(
            "return document.querySelectorAll('input[type=radio]:checked').length"
        )
        == 0
    )
    # A bad form: each field says what is wrong, in Vietnamese, and keeps what was typed.
    fill_declaration(browser, server.url, bad=True)
    assert by_id(browser, "id_number-error").text.startswith(
        "Vui lòng nhập đúng số căn cước công dân (12 chữ số)"
    )
    assert by_id(browser, "symptoms-error").text == "Vui lòng chọn Có hoặc Không."
    assert by_id(browser, "name").get_attribute("value") == "Trần Thị Hoa"
    assert by_id(browser, "phone").get_attribute("value") == "0912 345 678"
    assert by_id(browser, "id_number").get_attribute("aria-invalid") == "true"
    assert check_page(browser) == []

    fill_declaration(browser, server.url, id_number="079190123456")
    assert by_id(browser, "masked-name").text == "Trần T** H"
    assert "Giờ Việt Nam" in by_id(browser, "valid-until").text
    assert absent(browser, "id", "risk")
    # textContent, not .text: base45 has spaces, and two in a row collapse in rendered text.
    text = by_id(browser, "pass-text").get_attribute("textContent")
    # The "save as image" link is the same PNG the page shows, and that PNG reads back.
    src = by_id(browser, "save-png").get_attribute("href")
    assert src == by_id(browser, "qr").get_attribute("src")
    png = base64.b64decode(src.split(",", 1)[1])
    img = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_GRAYSCALE)
    assert [s.payload.decode() for s in ZxingDecoder().decode(np.asarray(img, np.uint8))] == [text]
    trust = TrustStore(
        [load_public_key(p) for p in registry.settings.keys_dir.glob("issuer-*.pub")]
    )
    assert verify_pass(text, trust).masked_name == "Trần T** H"
    # Kept on the phone for self check-in.
    assert browser.execute_script("return localStorage.getItem('registry_pass')") == text
    assert check_page(browser) == []

    assert absent(browser, "id", "superseded")
    # A risk declared, again on this phone: clear advice, the hotline, and the pass said not
    # to open doors; the phone's secret and its pass replaced the one before.
    fill_declaration(browser, server.url, risk=True, id_number="079190123456")
    assert "không còn hiệu lực" in by_id(browser, "superseded").text
    risk = by_id(browser, "risk")
    assert "1900 9095" in risk.text and "ở nhà" in risk.text and "không mở cửa" in risk.text
    assert risk.find_element("css selector", "a").get_attribute("href") == "tel:19009095"


def test_the_officer_traces_by_id_number_never_stored(
    registry: Registry, server: RegistryServer, browser: Any
) -> None:
    tokens = fill_demo(registry, server.url)
    sign_in_as(browser, server.url, tokens["officer"])
    assert browser.current_url.endswith("/trace")  # an officer lands on tracing
    # Without a reason, nothing is searched.
    by_id(browser, "id_number").send_keys(DEMO_ID)
    by_id(browser, "trace-submit").click()
    wait_for(browser, "return !!document.getElementById('reason-error')")
    assert by_id(browser, "reason-error").text.startswith("Vui lòng nhập lý do")
    assert [a for a in registry.audit() if a["action"] == "trace"] == []
    assert check_page(browser) == []

    trace_demo(browser, server.url)
    visits = browser.find_elements("css selector", "#timeline > li")
    assert len(visits) == 2
    assert all("Chợ Bến Thành" in v.text for v in visits)
    # The visitors near the entry, masked.
    assert "Phạm T** C" in visits[1].text and "cách 5 phút" in visits[1].text
    assert check_page(browser) == []
    # Setting up the demo's accounts is audited too; the trace is the one search.
    audit = [a for a in registry.audit() if a["action"] not in ACCOUNT_ACTS]
    assert [a["action"] for a in audit] == ["trace"]
    assert audit[0]["params"]["subject"] == str(registry.keys.hasher()(DEMO_ID))
    assert len(audit[0]["params"]["reason"]) >= 5  # the officer's reason is evidence too
    assert DEMO_ID not in str(audit)
    assert DEMO_ID not in server.log.read_text(errors="replace")
    with registry.engine.connect() as conn:
        for table in ("audit_log", "records", "declarations"):
            assert DEMO_ID not in str(conn.exec_driver_sql(f"SELECT * FROM {table}").all())  # noqa: S608


def test_history_pages_and_its_csv_in_vietnamese(
    registry: Registry, server: RegistryServer, browser: Any
) -> None:
    tokens = fill_demo(registry, server.url)
    kiosk = tokens["kiosk"]
    many = [
        make_record("cong-chinh", "cho-ben-thanh", seq=i + 1, masked_name="Vũ T** K")
        for i in range(60)
    ]
    auth = {"Authorization": f"Bearer {kiosk}", **own_address()}
    requests.post(f"{server.url}/api/v1/records", json={"records": many}, headers=auth, timeout=10)
    sign_in_as(browser, server.url, tokens["controller"])
    browser.get(f"{server.url}/venues/cho-ben-thanh/history")
    assert by_id(browser, "count").text == "67 lượt, trang 1/2"
    assert len(browser.find_elements("css selector", "#history tbody tr")) == 50
    by_id(browser, "next").click()
    wait_for(browser, "return document.getElementById('count').textContent.includes('trang 2/2')")
    assert len(browser.find_elements("css selector", "#history tbody tr")) == 17
    assert check_page(browser) == []
    # Another day, chosen in the form: none there.
    browser.execute_script("document.getElementById('day').value = '2020-01-02'")
    by_id(browser, "show").click()
    wait_for(browser, "return !!document.getElementById('history-empty')")

    browser.get(f"{server.url}/venues/cho-ben-thanh/history")
    href = by_id(browser, "csv").get_attribute("href")
    got = session_of(browser).get(href, timeout=10)
    assert got.headers["content-type"] == "text/csv; charset=utf-8"
    assert got.content.startswith(b"\xef\xbb\xbf")  # so Excel reads it as UTF-8
    rows = list(csv.reader(io.StringIO(got.content.decode("utf-8-sig"))))
    assert rows[0] == [
        "Thời gian, Giờ Việt Nam (UTC+07:00)",
        "Máy quét",
        "Chiều",
        "Kết quả",
        "Lý do",
        "Họ tên (che bớt)",
        "Mã (che bớt)",
    ]
    assert len(rows) == 68
    first = rows[1]
    assert first[2] == "Vào" and first[3] == "Cho qua" and first[5] == "Trần T** H"
    assert any(r[4] == "riêng tư" for r in rows) and any(r[4] == "Mã đã hết hạn" for r in rows)
    # Local time, Vietnamese form: dd/mm/yyyy HH:MM.
    assert time.strftime("%d/%m/%Y", time.gmtime(time.time() + 7 * 3600)) in {
        r[0][:10] for r in rows[1:]
    }


def test_english_is_a_click_away_and_remembered(
    registry: Registry, server: RegistryServer, browser: Any
) -> None:
    browser.get(f"{server.url}/declare")
    assert by_id(browser, "main").find_element("tag name", "h1").text == "Khai báo y tế"
    by_id(browser, "lang-switch").click()
    wait_for(browser, "return document.documentElement.lang === 'en'")
    assert by_id(browser, "main").find_element("tag name", "h1").text == "Health declaration"
    browser.get(f"{server.url}/login")  # the choice is remembered
    assert browser.find_element("tag name", "h1").text == "Sign in"
    assert by_id(browser, "lang-switch").text == "Tiếng Việt"


def test_every_page_fits_a_phone_and_a_desktop(
    registry: Registry, server: RegistryServer, browser: Any
) -> None:
    from support.browser import walk

    tokens = fill_demo(registry, server.url)
    found = walk(browser, server.url, tokens)
    assert {page: p for page, p in found.items() if p} == {}
    # English pages too: no sideways scroll, labels, headings (the word check is Vietnamese's).
    viewport(browser, "desktop")
    found = walk(browser, server.url, tokens, sizes=("phone",), lang="en")
    assert {page: p for page, p in found.items() if p} == {}


@pytest.mark.skipif(
    not shutil.which("pdftoppm"), reason="needs pdftoppm (apt-get install poppler-utils)"
)
def test_the_venue_poster_prints_a_big_readable_qr(
    registry: Registry, server: RegistryServer, browser: Any, tmp_path: Path
) -> None:
    import subprocess

    import cv2
    import zxingcpp

    tokens = fill_demo(registry, server.url)
    sign_in_as(browser, server.url, tokens["admin"])
    assert browser.current_url.endswith("/admin")  # an admin lands on administration
    assert "Đang hoạt động" in by_id(browser, "kiosk-cho-ben-thanh-cong-chinh").text
    assert "Mất kết nối" in by_id(browser, "kiosk-cho-ben-thanh-cong-phu").text
    href = by_id(browser, "poster-cho-ben-thanh").get_attribute("href")
    got = session_of(browser).get(href, timeout=30)
    assert got.headers["content-type"] == "application/pdf"
    (tmp_path / "poster.pdf").write_bytes(got.content)
    dpi = 100
    subprocess.run(
        ["pdftoppm", "-r", str(dpi), "-png", "-singlefile", "poster.pdf", "poster"],
        cwd=tmp_path,
        check=True,
    )
    img = cv2.imread(str(tmp_path / "poster.png"), cv2.IMREAD_GRAYSCALE)
    height, width = img.shape[:2]
    assert abs(height - 297 / 25.4 * dpi) < 2 and abs(width - 210 / 25.4 * dpi) < 2  # A4 portrait
    found = zxingcpp.read_barcodes(img)
    assert [b.text for b in found] == [f"{server.url}/checkin/cho-ben-thanh"]
    p = found[0].position
    side_mm = (p.top_right.x - p.top_left.x) / dpi * 25.4
    assert side_mm >= 150  # 15 cm at least, so a phone reads it from a distance
    # The venue's name and the steps are in the PDF, in Vietnamese.
    text = subprocess.run(
        ["pdftotext", "poster.pdf", "-"], cwd=tmp_path, check=True, capture_output=True, text=True
    ).stdout
    assert "Chợ Bến Thành" in text and "Khai báo y tế tại" in text


def test_self_check_in_with_the_pass_kept_on_the_phone(
    registry: Registry, server: RegistryServer, browser: Any
) -> None:
    tokens = fill_demo(registry, server.url)
    viewport(browser, "phone")
    # A phone with no pass yet is told where to get one.
    browser.get(f"{server.url}/checkin/cho-ben-thanh")
    assert by_id(browser, "no-pass").is_displayed()
    # The venue's own rules live on its kiosks: the page says it applies none of them.
    assert "giờ mở cửa" in by_id(browser, "checkin-rules").text
    assert not by_id(browser, "checkin-form").is_displayed()
    fill_declaration(browser, server.url)  # keeps the pass on this phone
    browser.get(f"{server.url}/checkin/cho-ben-thanh")
    assert check_page(browser) == []
    by_id(browser, "check-in").click()
    wait_for(browser, "return !!document.getElementById('outcome')")
    entered = by_id(browser, "outcome").text
    assert entered.startswith("Đã ghi nhận lượt vào lúc")
    by_id(browser, "check-out").click()
    wait_for(
        browser, "return (document.getElementById('outcome') || {}).textContent.includes('ra lúc')"
    )
    # Recorded as self check-in: the controller sees both on the live view.
    sign_in_as(browser, server.url, tokens["controller"])
    browser.get(f"{server.url}/venues/cho-ben-thanh")
    wait_for(browser, "return !!document.getElementById('kiosks-cong-chinh')")
    recent = by_id(browser, "recent").text
    assert recent.count("self-checkin") == 2 and recent.count("Trần T** H") >= 2
    # A barred pass (a risk declared) is recorded as refused for the venue, and the phone is
    # told the same as for any pass: a bar is nobody's business but the door's.
    sign_in_as(browser, server.url, None)
    fill_declaration(browser, server.url, risk=True)
    browser.get(f"{server.url}/checkin/cho-ben-thanh")
    by_id(browser, "check-in").click()
    wait_for(browser, "return !!document.getElementById('outcome')")
    assert by_id(browser, "outcome").text[:24] == entered[:24]
    assert "gặp nhân viên" not in by_id(browser, "outcome").text


def chart_table(driver: Any, chart_id: str) -> list[list[str]]:
    """The chart's numbers as its table gives them (its text alternative), row by row."""
    return list(
        driver.execute_script(
            "return [...document.querySelectorAll(`#${arguments[0]}-table tbody tr`)]"
            ".map(tr => [...tr.children].map(c => c.textContent))",
            chart_id,
        )
    )


def test_the_live_page_charts_entries_per_hour_against_last_week(
    registry: Registry, server: RegistryServer, browser: Any
) -> None:
    tokens = fill_demo(registry, server.url)
    sign_in_as(browser, server.url, tokens["controller"])
    browser.get(f"{server.url}/venues/cho-ben-thanh")
    wait_for(browser, "return document.getElementById('entries').textContent !== '–'")
    # The kiosk reported the registry's latest lists in its heartbeat.
    wait_for(browser, "return !!document.getElementById('kiosks-cong-chinh')")
    assert "mới nhất" in by_id(browser, "kiosks-cong-chinh").text
    figure = by_id(browser, "hourly")
    svg = figure.find_element("css selector", "svg[role=img]")
    assert svg.get_attribute("aria-labelledby") == "hourly-cap hourly-sum"
    assert "Lượt vào theo giờ" in figure.text and "tuần trước" in figure.text
    rows = chart_table(browser, "hourly")
    assert [r[0] for r in rows] == [str(h) for h in range(24)]
    # Today's column adds up to the counter above it; last week's to that day's entries as
    # the registry holds them (the demo's 7, less any that fell before that day's midnight).
    assert sum(int(r[1]) for r in rows) == int(by_id(browser, "entries").text)
    from datetime import timedelta

    from registry.core.pagedata import PageData, today_at

    data = PageData(registry.db, 120)
    venue = data.venue("cho-ben-thanh")
    assert venue is not None
    week_ago = today_at(venue.timezone) - timedelta(days=7)
    assert sum(int(r[2]) for r in rows) == sum(data.hourly_entries(venue, week_ago))
    # The table opens from its summary; the bars are drawn, one per hour with entries.
    figure.find_element("css selector", "summary").click()
    assert by_id(browser, "hourly-table").is_displayed()
    bars = len(figure.find_elements("css selector", "rect"))
    assert bars == sum(1 for r in rows for v in r[1:] if v != "0")
    assert check_page(browser) == []
    # The page redraws it from live.json once a minute.
    s = session_of(browser)
    plain = s.get(f"{server.url}/venues/cho-ben-thanh/live.json", timeout=10).json()
    drawn = s.get(f"{server.url}/venues/cho-ben-thanh/live.json?chart=1", timeout=10).json()
    assert "chart" not in plain and drawn["chart"].startswith('<figure class="chart" id="hourly"')


def test_the_admin_sees_the_overview_by_area_and_each_kiosks_versions(
    registry: Registry, server: RegistryServer, browser: Any
) -> None:
    tokens = fill_demo(registry, server.url)
    sign_in_as(browser, server.url, tokens["admin"])
    kiosk = by_id(browser, "kiosk-cho-ben-thanh-cong-chinh").text
    trust, deny = registry.document("trust-list")[0], registry.document("deny-list")[0]
    assert "1.4.0" in kiosk and f"{trust}/{deny}" in kiosk and "(cũ)" not in kiosk
    assert "–/–" in by_id(browser, "kiosk-cho-ben-thanh-cong-phu").text  # never reported
    assert by_id(browser, "online-now").text == "Máy quét đang hoạt động: 1/2"
    charts = ("venues", "kiosks", "checkins", "declarations")
    today = {c: chart_table(browser, f"ov-{c}")[-1] for c in charts}
    assert len(chart_table(browser, "ov-venues")) == 14
    day = time.strftime("%d/%m", time.gmtime(time.time() + 7 * 3600))
    assert all(row[0] == day for row in today.values())
    entries_today = registry.live("cho-ben-thanh")["today"]["entries"]  # the API's count
    # Venues: every test's "Venue One" and the demo's two; kiosks: the one that sent records.
    assert [today[c][1] for c in charts] == ["3", "1", str(entries_today), "0"]
    assert check_page(browser) == []
    # A declaration counts at once; a new deny list leaves the kiosk's behind, flagged.
    fill_declaration(browser, server.url, risk=True)
    sign_in_as(browser, server.url, tokens["admin"])
    assert chart_table(browser, "ov-declarations")[-1][1] == "1"
    assert "(cũ)" in by_id(browser, "kiosk-cho-ben-thanh-cong-chinh").text
    # One district: Hoàn Kiếm, with the library and every test's Venue One; no check-ins.
    from selenium.webdriver.support.ui import Select

    Select(by_id(browser, "area")).select_by_visible_text("Hà Nội › Hoàn Kiếm")
    by_id(browser, "area-show").click()
    wait_for(browser, "return location.search.includes('area=')")
    assert chart_table(browser, "ov-venues")[-1][1] == "2"
    assert chart_table(browser, "ov-checkins")[-1][1] == "0"
    assert check_page(browser) == []


@pytest.mark.skipif(
    not shutil.which("pdftoppm"), reason="needs pdftoppm (apt-get install poppler-utils)"
)
def test_badges_printed_from_a_csv_carry_passes_that_read_and_verify(
    registry: Registry, server: RegistryServer, browser: Any, tmp_path: Path
) -> None:
    import re
    import subprocess

    import cv2
    import zxingcpp

    from checkin_protocol.privacy import mask_name

    tokens = fill_demo(registry, server.url)
    sign_in_as(browser, server.url, tokens["admin"])
    by_id(browser, "badges-link").click()
    wait_for(browser, "return location.pathname === '/admin/badges'")
    assert check_page(browser) == []
    # A bad file, through the form: each bad line named, in Vietnamese, nothing issued.
    upload_badges(browser, server.url, "Nguyễn Văn An,staff\nA\nLê Văn Bình,,999\n")
    assert by_id(browser, "problems").text.splitlines() == [
        "dòng 2: họ tên phải có từ 2 đến 100 ký tự",
        "dòng 3: số ngày phải từ 1 đến 365",
    ]
    assert check_page(browser) == []
    # Nine people (two pages), as Excel saves a CSV: BOM, a header, CRLF.
    names = [f"Nguyễn Văn Nhân {chr(0x41 + i)}" for i in range(9)]
    rows = ["Họ tên,Đối tượng,Số ngày", *(f"{n},staff,{i + 1}" for i, n in enumerate(names))]
    s = session_of(browser)
    csrf = re.search(r'name="csrf" value="([^"]+)"', browser.page_source)
    assert csrf
    body = ("\ufeff" + "\r\n".join(rows)).encode()
    got = s.post(
        f"{server.url}/admin/badges",
        data={"csrf": csrf.group(1)},
        files={"people": ("people.csv", body, "text/csv")},
        timeout=60,
    )
    assert got.status_code == 200 and got.headers["content-type"] == "application/pdf"
    (tmp_path / "badges.pdf").write_bytes(got.content)
    subprocess.run(
        ["pdftoppm", "-r", "200", "-png", "badges.pdf", "page"], cwd=tmp_path, check=True
    )
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) == 2
    texts = []
    for p in pages:
        img = cv2.imread(str(p), cv2.IMREAD_GRAYSCALE)
        texts += [b.text for b in zxingcpp.read_barcodes(img)]
    trust = TrustStore(
        [load_public_key(p) for p in registry.settings.keys_dir.glob("issuer-*.pub")]
    )
    passes = [verify_pass(t, trust) for t in texts]
    assert sorted(p.masked_name for p in passes) == sorted(mask_name(n) for n in names)
    assert {p.category for p in passes} == {"staff"}
    text = subprocess.run(
        ["pdftotext", "badges.pdf", "-"], cwd=tmp_path, check=True, capture_output=True, text=True
    ).stdout
    flat = " ".join(text.split())  # the name wraps in the badge's narrow column
    assert "Có giá trị đến" in flat and "Nguyễn V** N** A" in flat
    assert "Nhân" not in text  # masked: never the full name on the badge
    # Not for anyone else, nor without the form's token.
    refused = s.post(
        f"{server.url}/admin/badges", files={"people": ("p.csv", body, "text/csv")}, timeout=10
    )
    assert refused.status_code == 403


def test_the_page_checks_catch_what_they_look_for(
    registry: Registry, server: RegistryServer, browser: Any
) -> None:
    """The accessibility rules are tested themselves: a page broken on purpose fails them."""
    browser.get(f"{server.url}/declare")
    assert check_page(browser) == []
    browser.execute_script(
        """
        const main = document.getElementById('main');
        main.insertAdjacentHTML('beforeend',
          '<p id="pale">nhạt</p><img src="data:,"><svg role="img"></svg>' +
          '<a href="/x"></a><span id="main"></span>');
        document.documentElement.lang = '';
        // Styles set through the CSSOM: the pages' CSP refuses inline style attributes.
        document.getElementById('pale').style.color = '#999';
        for (const el of document.querySelectorAll('a,button,input')) {
          el.style.setProperty('outline', 'none', 'important');
          el.style.setProperty('box-shadow', 'none', 'important');
        }
        """
    )
    found = "\n".join(check_page(browser))
    for want in (
        "html lang is",
        'contrast 2.85:1 for "nhạt"',
        "img without alt",
        "svg picture without a name",
        'no name: <a href="/x"',
        "ids used twice: main",
        "focus not visible on",
    ):
        assert want in found, want


def test_the_admin_adds_resets_and_disables_users_and_sees_the_audit(
    registry: Registry, server: RegistryServer, browser: Any
) -> None:
    from selenium.webdriver.support.ui import Select

    from support.registry import sign_in

    tokens = fill_demo(registry, server.url)
    sign_in_as(browser, server.url, tokens["officer"])
    trace_demo(browser, server.url)
    sign_in_as(browser, server.url, tokens["admin"])
    # The officer's search, with their reason, for the admin to see (never the subject).
    audit = by_id(browser, "audit").text
    assert "can-bo-y-te" in audit and "Hồ sơ ca bệnh F0-2026-117" in audit
    assert str(registry.keys.hasher()(DEMO_ID)) not in browser.page_source

    # A controller without a venue: said, in Vietnamese, with what was typed kept.
    by_id(browser, "new-name").send_keys("bao-ve-cho")
    Select(by_id(browser, "new-role")).select_by_value("controller")
    by_id(browser, "user-add-submit").click()
    wait_for(browser, "return !!document.getElementById('venues-error')")
    assert by_id(browser, "venues-error").text.startswith("Vui lòng nhập mã địa điểm")
    assert by_id(browser, "new-name").get_attribute("value") == "bao-ve-cho"
    assert check_page(browser) == []
    by_id(browser, "new-venues").send_keys("cho-ben-thanh")
    by_id(browser, "user-add-submit").click()
    wait_for(browser, "return !!document.getElementById('token')")
    first = by_id(browser, "token").text
    assert by_id(browser, "token-user").text == "bao-ve-cho"
    assert check_page(browser) == []

    def works(token: str) -> bool:
        with requests.Session() as s:
            return sign_in(s, server.url, token).status_code == 303

    assert works(first)
    # A new token: the old one stops.
    browser.get(f"{server.url}/admin")
    row = next(
        r
        for r in browser.find_elements("css selector", "#users tbody tr")
        if "bao-ve-cho" in r.text
    )
    row.find_element("css selector", "form[action='/admin/users/reset'] button").click()
    wait_for(browser, "return !!document.getElementById('token')")
    second = by_id(browser, "token").text
    assert second != first and works(second) and not works(first)
    # Disabled: no token of theirs works; and an admin cannot lock themselves out.
    browser.get(f"{server.url}/admin")
    row = next(
        r
        for r in browser.find_elements("css selector", "#users tbody tr")
        if "bao-ve-cho" in r.text
    )
    button = row.find_element("css selector", "form[action='/admin/users/disable'] button")
    assert button.get_attribute("aria-label") == "Khoá bao-ve-cho"
    button.click()
    wait_for(browser, "return !!document.getElementById('message')")
    assert "bao-ve-cho" in by_id(browser, "message").text and not works(second)
    browser.get(f"{server.url}/admin")
    mine = next(
        r for r in browser.find_elements("css selector", "#users tbody tr") if "quan-tri" in r.text
    )
    assert absent(mine, "css selector", "form[action='/admin/users/disable']")


def test_a_browser_reused_by_the_next_test_starts_as_a_new_one(
    registry: Registry, server: RegistryServer, browser: Any
) -> None:
    """What one page test leaves in the shared browser, the next one never sees."""
    from selenium.webdriver.common.by import By

    browser.get(f"{server.url}/login")
    browser.add_cookie({"name": "lang", "value": "en", "path": "/"})
    browser.execute_script("localStorage.setItem('registry_pass', 'x'); window.open('about:blank')")
    viewport(browser, "phone")
    browser.implicitly_wait(0)
    assert len(browser.window_handles) == 2
    reset(browser)
    assert len(browser.window_handles) == 1
    assert browser.execute_script("return innerWidth") == 1280  # not the phone's 360
    assert browser.timeouts.implicit_wait == IMPLICIT_WAIT
    browser.get(f"{server.url}/login")
    assert "lang" not in {c["name"] for c in browser.get_cookies()}
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "vi"
    assert browser.execute_script("return localStorage.getItem('registry_pass')") is None
