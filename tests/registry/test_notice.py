"""The venue's poster carries the full privacy notice on its second page, in both languages,
with the retention the registry keeps by."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import requests

from registry.core.notice import full_notice
from registry.service import Registry
from registry.web import i18n
from registry.web.admin_pages import poster_pdf
from support.registry import RegistryServer

pytestmark = pytest.mark.skipif(
    not shutil.which("pdftotext"), reason="needs pdftotext (apt-get install poppler-utils)"
)


def page_text(pdf: Path, page: int) -> str:
    return subprocess.run(
        ["pdftotext", "-f", str(page), "-l", str(page), "-layout", str(pdf), "-"],
        check=True, capture_output=True, text=True, timeout=60,
    ).stdout  # fmt: skip


@pytest.mark.parametrize("days", [21, 30])
def test_the_poster_has_the_full_notice_on_its_second_page(tmp_path: Path, days: int) -> None:
    pdf = tmp_path / "poster.pdf"
    pdf.write_bytes(poster_pdf("Chợ Bến Thành", "cho-ben-thanh", "https://c.example.vn",
                               i18n.Texts("vi"), days=days))  # fmt: skip
    first, second = page_text(pdf, 1), " ".join(page_text(pdf, 2).split())
    assert "Thông báo về xử lý dữ liệu cá nhân" not in first  # the QR page stays as it was
    for lang in ("vi", "en"):
        title, parts = full_notice("Chợ Bến Thành", days, lang)
        assert title in second
        for heading, text in parts:
            assert heading in second and " ".join(text.split()) in second, (lang, heading)
    assert f"{days} ngày" in second and f"{days} days" in second
    # Nothing past the page's foot, for the longest name a venue may have (80 characters).
    from fpdf import FPDF

    probe = FPDF(format="A4")
    probe.set_auto_page_break(False)
    fonts = Path("/usr/share/fonts/truetype/dejavu")
    probe.add_font("dejavu", "", str(fonts / "DejaVuSans.ttf"))
    probe.add_font("dejavu", "B", str(fonts / "DejaVuSans-Bold.ttf"))
    probe.set_margins(18, 15, 18)
    from registry.web.admin_pages import _notice_page

    _notice_page(probe, "Toà nhà " + "Bitexco " * 9, days)
    assert probe.get_y() <= 297 - 6, probe.get_y()  # a printer's margin is ~5 mm
    if shutil.which("pdftoppm"):
        subprocess.run(["pdftoppm", "-r", "40", "-png", "-f", "2", "-l", "2", str(pdf),
                        str(tmp_path / "notice")], check=True, timeout=60)  # fmt: skip


def test_the_notice_is_a_public_page_in_the_readers_language(
    registry: Registry, server: RegistryServer
) -> None:
    for lang, title in (("vi", "Thông báo về xử lý dữ liệu cá nhân"),
                        ("en", "How we process personal data")):  # fmt: skip
        page = requests.get(f"{server.url}/privacy/v1?lang={lang}", timeout=10)
        assert page.status_code == 200 and title in page.text
        assert "Venue One" in page.text and f"{registry.settings.retention_days}" in page.text
    # The self check-in page links to it.
    checkin = requests.get(f"{server.url}/checkin/v1", timeout=10).text
    assert 'href="/privacy/v1"' in checkin
    for odd in ("nowhere", "v1%3Cb%3E", "x" * 70):
        missing = requests.get(f"{server.url}/privacy/{odd}", timeout=10)
        assert missing.status_code == 404 and "<b>" not in missing.text
