"""Screenshots of every registry page at 1280×800 and 360×740, from a real registry.

    ./dev gallery [OUT_DIR]                          (sets up Chromium and the venv first)
    .venv/bin/python bench/pages_gallery.py [OUT_DIR]   (default: pages-gallery/)

Starts `kiosk-registry serve` on a fresh data folder, fills it with demo data (venues,
kiosks, people, a morning of check-ins and the same morning a week ago), then walks every
page in Debian's headless Chromium, in Vietnamese and in English, writing
`NAME-LANG-SIZE.png` and printing what the page checks found wrong (sideways scroll, English
on a Vietnamese page, unlabelled inputs, headings, contrast, text alternatives, focus). The
printables — a venue's A4 poster and a page of staff badges — are rendered to PNG too
(`poster.png`, `badges.png`, with pdftoppm when installed). Exit status 1 if a check failed.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # the page checks are the tests' own

from support.browser import fill_demo, make_driver, sign_in_as, walk  # noqa: E402
from support.registry import free_port  # noqa: E402

BADGES_CSV = (
    "Họ tên,Đối tượng,Số ngày\nNguyễn Văn An,staff,30\nTrần Thị Hoa,staff,30\nLê Minh Châu,,7\n"
)


def printables(driver: Any, base: str, admin: str, out: Path) -> None:
    """The poster and a page of badges, as the admin downloads them, rendered to PNG."""
    sign_in_as(driver, base, admin)
    s = requests.Session()
    for c in driver.get_cookies():
        s.cookies.set(c["name"], c["value"])
    poster = s.get(f"{base}/admin/venues/cho-ben-thanh/poster.pdf", timeout=30)
    (out / "poster.pdf").write_bytes(poster.content)
    driver.get(f"{base}/admin/badges")
    csrf = re.search(r'name="csrf" value="([^"]+)"', driver.page_source)
    badges = s.post(
        f"{base}/admin/badges",
        data={"csrf": csrf.group(1) if csrf else ""},
        files={"people": ("people.csv", BADGES_CSV.encode(), "text/csv")},
        timeout=60,
    )
    (out / "badges.pdf").write_bytes(badges.content)
    if shutil.which("pdftoppm"):
        for name in ("poster", "badges"):
            subprocess.run(
                ["pdftoppm", "-r", "80", "-png", "-singlefile", f"{name}.pdf", name],
                cwd=out,
                check=True,
            )


def main() -> int:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "pages-gallery").resolve()
    out.mkdir(parents=True, exist_ok=True)
    from registry.service import Registry
    from registry.settings import Settings

    data = Path(tempfile.mkdtemp(prefix="gallery-"))
    registry = Registry(Settings.load(data))
    registry.init()
    port = free_port()
    exe = shutil.which("kiosk-registry") or str(Path(sys.executable).parent / "kiosk-registry")
    server = subprocess.Popen([exe, "--data", str(data), "serve", "--port", str(port)])
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                requests.get(base, timeout=1)
                break
            except requests.ConnectionError:
                time.sleep(0.1)
        tokens = fill_demo(registry, base)
        driver = make_driver()
        try:
            bad = 0
            for lang in ("vi", "en"):
                for page, problems in walk(driver, base, tokens, out, lang=lang).items():
                    for p in problems:
                        bad += 1
                        print(f"{page} [{lang}]: {p}")
            printables(driver, base, tokens["admin"], out)
        finally:
            driver.quit()
    finally:
        server.terminate()
        server.wait(10)
        shutil.rmtree(data, ignore_errors=True)
    print(f"screenshots in {out}; {bad} problems")
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
