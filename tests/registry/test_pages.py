"""The registry's pages in a real headless Chromium (Debian's): what each kind of person does."""

from __future__ import annotations

import base64
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
    check_page,
    fill_declaration,
    fill_demo,
    make_driver,
    sign_in_as,
    trace_demo,
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
]


@pytest.fixture
def browser() -> Iterator[Any]:
    driver = make_driver()
    yield driver
    driver.quit()


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
    assert (
        by_id(browser, "id_number-error").text
        == "Vui lòng nhập số thẻ căn cước gồm 9 hoặc 12 chữ số."
    )
    assert by_id(browser, "symptoms-error").text == "Vui lòng chọn Có hoặc Không."
    assert by_id(browser, "name").get_attribute("value") == "Trần Thị Hoa"
    assert by_id(browser, "phone").get_attribute("value") == "0912 345 678"
    assert by_id(browser, "id_number").get_attribute("aria-invalid") == "true"
    assert check_page(browser) == []

    fill_declaration(browser, server.url)
    assert by_id(browser, "masked-name").text == "Trần T** H"
    assert "Giờ Việt Nam" in by_id(browser, "valid-until").text
    assert not browser.find_elements("id", "risk")
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

    # A risk declared: clear advice, the hotline, and the pass said not to open doors.
    fill_declaration(browser, server.url, risk=True)
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
    assert registry.audit() == []
    assert check_page(browser) == []

    trace_demo(browser, server.url)
    visits = browser.find_elements("css selector", "#timeline > li")
    assert len(visits) == 2
    assert all("Chợ Bến Thành" in v.text for v in visits)
    # The visitors near the entry, masked.
    assert "Phạm T** C" in visits[1].text and "cách 5 phút" in visits[1].text
    assert check_page(browser) == []
    audit = registry.audit()
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
    assert not by_id(browser, "checkin-form").is_displayed()
    fill_declaration(browser, server.url)  # keeps the pass on this phone
    browser.get(f"{server.url}/checkin/cho-ben-thanh")
    assert check_page(browser) == []
    by_id(browser, "check-in").click()
    wait_for(browser, "return !!document.getElementById('outcome')")
    assert by_id(browser, "outcome").text.startswith("Đã ghi nhận: vào lúc")
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
    # A pass at risk does not open the door here either.
    sign_in_as(browser, server.url, None)
    fill_declaration(browser, server.url, risk=True)
    browser.get(f"{server.url}/checkin/cho-ben-thanh")
    by_id(browser, "check-in").click()
    wait_for(browser, "return !!document.getElementById('outcome')")
    assert "Vui lòng gặp nhân viên" in by_id(browser, "outcome").text
