"""Debian's headless Chromium for page tests and screenshots, and the checks every page gets:
no sideways scroll, no English on a Vietnamese page, a label on every input, headings in order.
"""

from __future__ import annotations

import itertools
import shutil
from pathlib import Path
from typing import Any

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")
SIZES = {"desktop": (1280, 800), "phone": (360, 740)}

# Words that would only be there if a string escaped the catalogue. Data the page shows
# (names, codes, kiosk ids) is marked translate="no" and not walked.
ENGLISH = frozenset(
    """the and your you please sign name time date entries exits inside refused online offline
    loading submit search reason history venue venues phone number declaration health users
    admin page next previous yes error found today download print save minutes ago kiosks
    valid until declared pass recent state version queue never state role active disabled
    home declare contact symptoms privacy stored officers""".split()  # noqa: SIM905
)


def make_driver() -> Any:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = str(CHROMIUM)
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
        "--disable-sync",
        "--hide-scrollbars",
        "--window-size=1280,800",
    ):
        opts.add_argument(flag)
    # The driver from Debian, given explicitly: Selenium must not try to download one.
    driver = webdriver.Chrome(options=opts, service=Service(executable_path=str(DRIVER)))
    driver.set_page_load_timeout(30)
    driver.implicitly_wait(IMPLICIT_WAIT)
    # The page counts as focused even while the headless window is not (a resize can take
    # the window's focus away a moment, and :focus matches only in a focused page).
    driver.execute_cdp_cmd("Emulation.setFocusEmulationEnabled", {"enabled": True})
    return driver


IMPLICIT_WAIT = 5.0  # how long finding an element waits for it to appear


def reset(driver: Any) -> None:
    """The browser as `make_driver` left it, for the next test: one blank tab, no cookies
    or stored data of any site, the window's own size, no extra headers, no cached files.

    A browser reused this way saves each page test a Chromium start (about 1 s of CPU,
    more for its first page); everything a test can leave behind is undone here."""
    handles = driver.window_handles
    for extra in handles[1:]:
        driver.switch_to.window(extra)
        driver.close()
    driver.switch_to.window(handles[0])
    driver.get("about:blank")  # a live page's polling stops here
    driver.execute_cdp_cmd("Storage.clearDataForOrigin", {"origin": "*", "storageTypes": "all"})
    driver.execute_cdp_cmd("Network.clearBrowserCookies", {})
    driver.execute_cdp_cmd("Network.clearBrowserCache", {})
    driver.execute_cdp_cmd("Network.setExtraHTTPHeaders", {"headers": {}})
    driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    driver.set_window_size(1280, 800)
    driver.implicitly_wait(IMPLICIT_WAIT)


def absent(scope: Any, by: str, value: str) -> bool:
    """Nothing matches, asked at once: with the implicit wait on, an empty search would wait
    its whole length for something that is not meant to come."""
    driver = getattr(scope, "parent", scope)  # an element's driver, or the driver itself
    driver.implicitly_wait(0)
    try:
        return not scope.find_elements(by, value)
    finally:
        driver.implicitly_wait(IMPLICIT_WAIT)


def viewport(driver: Any, size: str) -> None:
    """The page's viewport exactly this size (a phone's is 'mobile': its own meta viewport)."""
    width, height = SIZES[size]
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600},
    )


def sideways_scroll(driver: Any) -> int:
    """How many pixels the page is wider than the window (0: no horizontal scroll)."""
    return int(
        driver.execute_script("return document.documentElement.scrollWidth - window.innerWidth")
    )


_TEXTS = """
const out = [];
const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
const pageLang = document.documentElement.lang;
for (let n = walker.nextNode(); n; n = walker.nextNode()) {
  const el = n.parentElement;
  if (!el || el.closest('script,style,code,[translate="no"]')) continue;
  const lang = el.closest('[lang]');
  if (lang && lang.lang !== pageLang) continue;
  if (el.closest('[hidden]') || !el.getClientRects().length) continue;
  out.push(n.textContent);
}
for (const el of document.querySelectorAll('[placeholder],[alt],[aria-label],[title]')) {
  for (const a of ['placeholder', 'alt', 'aria-label', 'title']) {
    if (el.getAttribute(a)) out.push(el.getAttribute(a));
  }
}
return out;
"""


def english_words(driver: Any) -> set[str]:
    import re

    words: set[str] = set()
    for text in driver.execute_script(_TEXTS):
        words |= {w.lower() for w in re.findall(r"[A-Za-z]+", text)} & ENGLISH
    return words


def unlabelled_inputs(driver: Any) -> list[str]:
    return list(
        driver.execute_script(
            """
            return [...document.querySelectorAll('input,select,textarea')]
              .filter(i => i.type !== 'hidden')
              .filter(i => !(i.labels && i.labels.length) && !i.getAttribute('aria-label'))
              .map(i => i.outerHTML);
            """
        )
    )


def heading_problems(driver: Any) -> list[str]:
    levels = driver.execute_script(
        "return [...document.querySelectorAll('h1,h2,h3,h4,h5,h6')].map(h => +h.tagName[1])"
    )
    problems = []
    if levels.count(1) != 1 or (levels and levels[0] != 1):
        problems.append(f"one h1, first: {levels}")
    problems += [f"h{a} then h{b}" for a, b in itertools.pairwise(levels) if b > a + 1]
    return problems


# The axe rules that need no network, as our own rule set (axe-core is not vendored): the
# page's language, text contrast from computed styles (WCAG AA: 4.5:1, 3:1 for large text),
# images and SVG pictures with a text alternative, links and buttons with a name, unique ids.
_A11Y = """
const problems = [];
const lang = document.documentElement.getAttribute('lang');
if (!['vi', 'en'].includes(lang)) problems.push(`html lang is ${lang}`);
function rgba(text) {
  const m = text.match(/rgba?\\(([^)]+)\\)/);
  if (!m) return null;
  const p = m[1].split(/[ ,\\/]+/).filter(Boolean).map(Number);
  return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
}
function over(top, under) {
  const a = top[3];
  return [0, 1, 2].map(i => top[i] * a + under[i] * (1 - a)).concat([1]);
}
function background(el) {
  // The colours behind el, blended down to the first opaque one (white at the bottom).
  const layers = [];
  for (let e = el; e; e = e.parentElement) {
    const cs = getComputedStyle(e);
    if (cs.backgroundImage !== 'none') return null;  // a picture or gradient: not computable
    const c = rgba(cs.backgroundColor);
    if (c && c[3] > 0) { layers.push(c); if (c[3] === 1) break; }
  }
  let bg = [255, 255, 255, 1];
  for (const c of layers.reverse()) bg = over(c, bg);
  return bg;
}
function luminance(c) {
  const f = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
  return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]);
}
function ratio(a, b) {
  const [x, y] = [luminance(a), luminance(b)].sort((p, q) => q - p);
  return (x + 0.05) / (y + 0.05);
}
const seen = new Set();
const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
for (let n = walker.nextNode(); n; n = walker.nextNode()) {
  const el = n.parentElement;
  if (!n.textContent.trim() || !el || seen.has(el)) continue;
  seen.add(el);
  if (el.closest('script,style,[hidden],details:not([open]) > :not(summary)')) continue;
  const rect = el.getBoundingClientRect();
  if (!rect.width || !rect.height || rect.right < 0) continue;  // off screen: the skip link
  const cs = getComputedStyle(el);
  if (cs.visibility === 'hidden' || +cs.opacity === 0) continue;
  const svg = el instanceof SVGElement;
  let fg = rgba(svg ? cs.fill : cs.color);
  const bg = background(svg ? el.closest('svg').parentElement : el);
  if (!fg || !bg) continue;
  fg = over(fg, bg);
  const size = parseFloat(cs.fontSize) * (svg ? el.closest('svg').getBoundingClientRect().width
    / el.closest('svg').viewBox.baseVal.width : 1);
  const large = size >= 24 || (size >= 18.66 && +cs.fontWeight >= 700);
  const r = ratio(fg, bg);
  if (r < (large ? 3 : 4.5)) {
    problems.push(`contrast ${r.toFixed(2)}:1 for "${n.textContent.trim().slice(0, 30)}"`);
  }
}
for (const img of document.querySelectorAll('img')) {
  if (!img.hasAttribute('alt')) problems.push(`img without alt: ${img.outerHTML.slice(0, 80)}`);
}
function named(el) {
  const by = el.getAttribute('aria-labelledby');
  const text = by
    ? by.split(/\\s+/).map(i => (document.getElementById(i) || {}).textContent || '').join('')
    : (el.getAttribute('aria-label') || el.textContent || '');
  return text.trim().length > 0 || [...el.querySelectorAll('img[alt]')].some(i => i.alt.trim());
}
for (const svg of document.querySelectorAll('svg[role=img]')) {
  if (!named(svg)) problems.push(`svg picture without a name: ${svg.id}`);
}
for (const el of document.querySelectorAll('a[href],button,summary')) {
  if (el.getClientRects().length && !named(el)) {
    problems.push(`no name: ${el.outerHTML.slice(0, 80)}`);
  }
}
const ids = [...document.querySelectorAll('[id]')].map(e => e.id);
const twice = ids.filter((id, i) => ids.indexOf(id) !== i);
if (twice.length) problems.push(`ids used twice: ${[...new Set(twice)]}`);
return problems;
"""


def accessibility_problems(driver: Any) -> list[str]:
    return list(driver.execute_script(_A11Y))


_FOCUS_SWEEP = """
const out = [];
for (const el of document.querySelectorAll(arguments[0])) {
  el.focus({preventScroll: true});
  if (document.activeElement !== el) continue;  // hidden or disabled: the keyboard skips it
  const cs = getComputedStyle(el);
  const ring = (cs.outlineStyle !== 'none' && parseFloat(cs.outlineWidth) > 0)
    || cs.boxShadow !== 'none';
  if (!ring) out.push(el.id || el.outerHTML.slice(0, 60));
}
document.activeElement && document.activeElement.blur();
scrollTo(0, 0);
return out;
"""
# What the Tab key stops at (tabindex=-1 takes the focus from scripts only).
_TABBABLE = (
    "a[href],button,input:not([type=hidden]),select,textarea,summary,"
    "[tabindex]:not([tabindex='-1'])"
)


def focus_problems(driver: Any) -> list[str]:
    """Every element a keyboard user can tab to must show the focus (an outline or a ring).

    One real Tab key press puts the page in keyboard mode, where Chromium shows the focus
    (:focus-visible) for focus moved by a script too; then one script visits every element,
    instead of a round trip to the browser per key press (80 a page took most of the sweep).
    """
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    ActionChains(driver).send_keys(Keys.TAB).perform()
    return [
        f"focus not visible on {what}" for what in driver.execute_script(_FOCUS_SWEEP, _TABBABLE)
    ]


def check_page(driver: Any, lang: str = "vi", focus: bool = True) -> list[str]:
    """Everything wrong with the page on screen, per the house rules (empty: all good)."""
    problems = []
    if (over := sideways_scroll(driver)) > 0:
        problems.append(f"scrolls sideways by {over}px")
    if lang == "vi" and (words := english_words(driver)):
        problems.append(f"English on a Vietnamese page: {sorted(words)}")
    if bad := unlabelled_inputs(driver):
        problems.append(f"inputs without labels: {bad}")
    problems += heading_problems(driver)
    problems += accessibility_problems(driver)
    if focus:
        problems += focus_problems(driver)
    return problems


def screenshot(driver: Any, path: Path) -> None:
    """The whole page, not only the first screen (Chromium's full-size capture)."""
    import base64

    metrics = driver.execute_cdp_cmd("Page.getLayoutMetrics", {})
    size = metrics["cssContentSize"]
    shot = driver.execute_cdp_cmd(
        "Page.captureScreenshot",
        {
            "format": "png",
            "captureBeyondViewport": True,
            "clip": {"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1},
        },
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(base64.b64decode(shot["data"]))


# A demo registry: what the gallery shows and the page tests walk through.
DEMO_ID = "001090012345"


def fill_demo(registry: Any, base: str) -> dict[str, str]:
    """Venues, kiosks, people and a morning of check-ins; returns the people's tokens."""
    import time
    import uuid

    import requests

    from registry.auth import Role
    from support.registry import make_record, own_address

    registry.add_venue(
        "cho-ben-thanh", "Chợ Bến Thành", district="Quận 1", province="TP. Hồ Chí Minh"
    )
    registry.add_venue("thu-vien", "Thư viện Quốc gia", district="Hoàn Kiếm", province="Hà Nội")
    kiosk = registry.add_kiosk("cho-ben-thanh", "cong-chinh")
    registry.add_kiosk("cho-ben-thanh", "cong-phu")  # never seen: offline
    tokens = {
        "controller": registry.add_user(
            "quan-ly-cho", Role.CONTROLLER, ["cho-ben-thanh", "thu-vien"]
        ),
        "officer": registry.add_user("can-bo-y-te", Role.HEALTH_OFFICER),
        "admin": registry.add_user("quan-tri", Role.ADMIN),
        "kiosk": kiosk,
    }
    subject = str(registry.keys.hasher()(DEMO_ID))
    now = time.time()

    def at(minutes_ago: float) -> str:
        return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(now - minutes_ago * 60))

    def rec(minutes_ago: float, **fields: Any) -> dict[str, Any]:
        fields.setdefault("subject", "pass:" + uuid.uuid4().hex)
        return make_record(
            "cong-chinh",
            "cho-ben-thanh",
            created_utc=at(minutes_ago),
            seq=int(1e6 - minutes_ago * 10),
            **fields,
        )

    # The same weekday a week ago, for the live page's chart: a busier morning.
    week = 7 * 24 * 60
    records = [rec(week + m, masked_name="Ngô V** G") for m in (30, 75, 80, 130, 140, 200, 260)]
    records += [
        rec(50, subject=subject, code_kind="cccd", masked_name="Trần T** H"),
        rec(48, masked_name="Lê V** B"),
        rec(45, masked_name="Phạm T** C"),
        rec(40, direction="exit", masked_name="Lê V** B"),
        rec(30, verdict="FAIL", reason="expired", masked_name="Đỗ V** D"),
        rec(20, verdict="FAIL", reason="denied", masked_name="Hoàng T** E"),
        rec(10, subject=subject, code_kind="cccd", direction="exit", masked_name="Trần T** H"),
    ]
    auth = {"Authorization": f"Bearer {kiosk}", **own_address()}
    r = requests.post(f"{base}/api/v1/records", json={"records": records}, headers=auth, timeout=10)
    r.raise_for_status()
    versions = {f"{n}_version": registry.document(f"{n}-list")[0] for n in ("trust", "deny")}
    beat = {"queue_depth": 0, "version": "1.4.0", **versions}
    requests.post(
        f"{base}/api/v1/heartbeat", json=beat, headers=auth, timeout=10
    ).raise_for_status()
    return tokens


def fresh_address(driver: Any) -> None:
    """Requests from here on come from an address of their own (through the loopback proxy
    the test server trusts): sign-in is rate-limited per address, and tests share a server."""
    from support.registry import own_address

    driver.execute_cdp_cmd("Network.enable", {})
    driver.execute_cdp_cmd("Network.setExtraHTTPHeaders", {"headers": own_address()})


def sign_in_as(driver: Any, base: str, token: str | None) -> None:
    """Sign the browser out, then in with this token (None: stay a visitor)."""
    from selenium.webdriver.common.by import By

    fresh_address(driver)
    driver.get(f"{base}/login")
    driver.delete_all_cookies()
    if token is None:
        return
    driver.get(f"{base}/login")
    driver.find_element(By.ID, "token").send_keys(token)
    driver.find_element(By.ID, "sign-in").click()
    wait_for(driver, "return !location.pathname.startsWith('/login')")


def wait_for(driver: Any, script: str, timeout: float = 10) -> None:
    import time

    deadline = time.monotonic() + timeout
    while not driver.execute_script(script):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for: {script}")
        time.sleep(0.1)


def fill_declaration(
    driver: Any, base: str, *, risk: bool = False, bad: bool = False, id_number: str = ""
) -> None:
    import random

    from selenium.webdriver.common.by import By

    fresh_address(driver)  # declarations are rate-limited per address too
    driver.get(f"{base}/declare")
    number = "12" if bad else id_number or f"0790{random.randrange(10**8):08d}"
    driver.find_element(By.ID, "name").send_keys("Trần Thị Hoa")
    driver.find_element(By.ID, "id_number").send_keys(number)
    driver.find_element(By.ID, "phone").send_keys("0912 345 678")
    if not bad:
        answer = "yes" if risk else "no"
        driver.find_element(By.ID, f"symptoms-{answer}").click()
        driver.find_element(By.ID, "contact-no").click()
        driver.find_element(By.ID, "consent").click()
    driver.find_element(By.ID, "submit").click()
    wait_for(
        driver, "return !!(document.getElementById('result') || document.getElementById('error'))"
    )


def trace_demo(driver: Any, base: str) -> None:
    from selenium.webdriver.common.by import By

    driver.get(f"{base}/trace")
    driver.find_element(By.ID, "id_number").send_keys(DEMO_ID)
    driver.find_element(By.ID, "reason").send_keys("Hồ sơ ca bệnh F0-2026-117")
    driver.find_element(By.ID, "trace-submit").click()
    wait_for(driver, "return !!document.getElementById('results')")


def _live(driver: Any, base: str) -> None:
    driver.get(f"{base}/venues/cho-ben-thanh")
    wait_for(driver, "return document.getElementById('entries').textContent !== '–'")


def _login_failed(driver: Any, base: str) -> None:
    from selenium.webdriver.common.by import By

    fresh_address(driver)
    driver.get(f"{base}/login")
    driver.find_element(By.ID, "token").send_keys("not-a-token")
    driver.find_element(By.ID, "sign-in").click()
    wait_for(driver, "return !!document.getElementById('error')")


# (name, who is signed in, how to get there)
PAGES: list[tuple[str, str | None, Any]] = [
    ("index", None, lambda d, b: d.get(f"{b}/")),
    ("declare", None, lambda d, b: d.get(f"{b}/declare")),
    ("declare-errors", None, lambda d, b: fill_declaration(d, b, bad=True)),
    ("declare-pass", None, lambda d, b: fill_declaration(d, b)),
    ("declare-risk", None, lambda d, b: fill_declaration(d, b, risk=True)),
    ("checkin", None, lambda d, b: d.get(f"{b}/checkin/cho-ben-thanh")),
    ("login", None, lambda d, b: d.get(f"{b}/login")),
    ("login-failed", None, _login_failed),
    ("venues", "controller", lambda d, b: d.get(f"{b}/venues")),
    ("live", "controller", _live),
    ("history", "controller", lambda d, b: d.get(f"{b}/venues/cho-ben-thanh/history")),
    ("forbidden", "controller", lambda d, b: d.get(f"{b}/admin")),
    ("trace", "officer", lambda d, b: d.get(f"{b}/trace")),
    ("trace-result", "officer", trace_demo),
    ("admin", "admin", lambda d, b: d.get(f"{b}/admin")),
    ("badges", "admin", lambda d, b: d.get(f"{b}/admin/badges")),
    ("badges-errors", "admin", lambda d, b: upload_badges(d, b, "Nguyễn Văn An,staff\nA\n")),
    ("user-token", "admin", lambda d, b: add_user(d, b)),
]


def add_user(driver: Any, base: str) -> None:
    """The admin adds a health officer: the page that shows the new token once."""
    import uuid

    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    driver.get(f"{base}/admin")
    driver.find_element(By.ID, "new-name").send_keys(f"can-bo-{uuid.uuid4().hex[:6]}")
    Select(driver.find_element(By.ID, "new-role")).select_by_value("health_officer")
    driver.find_element(By.ID, "user-add-submit").click()
    wait_for(driver, "return !!document.getElementById('token')")


def upload_badges(driver: Any, base: str, csv_text: str) -> None:
    """The admin's badge form, sent with this CSV through the browser's file input."""
    import tempfile
    from pathlib import Path

    from selenium.webdriver.common.by import By

    driver.get(f"{base}/admin/badges")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "people.csv"
        path.write_text(csv_text, encoding="utf-8")
        driver.find_element(By.ID, "people").send_keys(str(path))
        driver.find_element(By.ID, "badges-submit").click()
        wait_for(driver, "return !!document.getElementById('problems')")


def walk(
    driver: Any,
    base: str,
    tokens: dict[str, str],
    out: Path | None = None,
    sizes: tuple[str, ...] = ("desktop", "phone"),
    lang: str = "vi",
) -> dict[str, list[str]]:
    """Every page at every size: its problems by 'name@size', and screenshots into `out`.

    Each page is loaded once and checked at each size in turn (the viewport changed under
    it, as a phone turned or a window resized does): a page reached by filling in a form
    is not filled in again."""
    found: dict[str, list[str]] = {}
    who: str | None = "nobody"
    # Each role signs in once: sign-in is rate-limited per address (10 a minute).
    cookies: dict[str | None, list[dict[str, Any]]] = {}
    for name, role, go in PAGES:
        if role != who:
            if role in cookies:
                driver.delete_all_cookies()
                for c in cookies[role]:
                    driver.add_cookie(c)
            else:
                sign_in_as(driver, base, tokens[role] if role else None)
                cookies[role] = driver.get_cookies()
            driver.add_cookie({"name": "lang", "value": lang, "path": "/"})
            who = role
        viewport(driver, sizes[0])
        go(driver, base)
        for size in sizes:
            viewport(driver, size)
            found[f"{name}@{size}"] = check_page(driver, lang)
            if out is not None:
                screenshot(driver, out / f"{name}-{lang}-{size}.png")
    return found
