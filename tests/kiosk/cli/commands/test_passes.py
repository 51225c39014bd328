"""`kiosk pass issue`: passes signed one by one or from a CSV, with printable badges."""

from __future__ import annotations

import shutil
import subprocess
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import cv2
import numpy as np
import pytest

from checkin_protocol.keys import generate_key, write_private_key
from kiosk.decode.zxing import ZxingDecoder
from support.cli import run_kiosk

# In this process, answering as the program would. A pipe closed under the command is tested
# on the program itself (`python -m kiosk`): only a process has a real pipe to close.
kiosk = run_kiosk


@pytest.fixture(scope="module")
def issuer(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("issuer") / "issuer.key"
    write_private_key(path, generate_key())
    return path


def issue(issuer: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return kiosk("pass", "issue", "--key", str(issuer), *args)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--name", "   "], "--name: a name is needed"),
        (["--name", "\u200b\u200b"], "--name: "),
        (["--name", "A B", "--category", "vip"], "--category: unknown 'vip'; known: contractor"),
        (["--name", "A B", "--birth-year", "1850"], "--birth-year: not a plausible birth year"),
        (["--name", "A B", "--birth-year", "2999"], "--birth-year: not a plausible birth year"),
        (["--csv", "x.csv"], "--csv writes a PDF"),
        ([], "give --name, or --csv"),
        (["--name", "A B", "--valid-for", "0s"], "--valid-for: a pass must be valid for some"),
        (["--name", "A B", "--issuer", ""], "--issuer: an issuer name is needed"),
        (["--name", "A B", "--issuer", "  "], "--issuer: an issuer name is needed"),
        (["--name", "A B", "--issuer", "a\x07b"], "--issuer: control or invisible"),
        (["--name", "A B", "--issuer", "a\u200bb"], "--issuer: control or invisible"),
        (["--name", "A B", "--issuer", "x" * 65], "--issuer: longer than 64 characters"),
    ],
)
def test_issue_refuses_bad_input_before_signing(
    issuer: Path, args: list[str], message: str
) -> None:
    out = issue(issuer, *args)
    assert out.returncode == 2 and message in out.stderr, out.stderr
    assert out.stdout == "" and "Traceback" not in out.stderr


def test_issue_warns_of_a_validity_in_the_past(issuer: Path) -> None:
    out = issue(
        issuer, "--name", "Nguyễn Văn An", "--valid-from", "2020-01-01", "--valid-until",
        "2020-02-01",
    )  # fmt: skip
    assert out.returncode == 0 and out.stdout.startswith("KP1:")
    assert "warning:" in out.stderr and "no longer valid" in out.stderr


def test_issue_a_date_alone_is_valid_all_that_day_and_odd_dates_are_warned_of(
    issuer: Path,
) -> None:
    from checkin_protocol.keys import TrustStore, load_private_key
    from checkin_protocol.kp1 import verify_pass

    out = issue(
        issuer, "--name", "Nguyễn Văn An", "--timezone", "Etc/GMT-7", "--issuer", "Tòa nhà HQ",
        "--valid-until", "2099-01-01", "--declared-at", "2098-11-30",
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    claims = verify_pass(out.stdout.strip(), TrustStore([load_private_key(issuer).public_key()]))
    assert claims.expires_at == datetime(2099, 1, 2, tzinfo=ZoneInfo("Etc/GMT-7")).timestamp()
    assert "more than 2 years" in out.stderr and "dated in the future" in out.stderr


@pytest.mark.parametrize("where", ["missing/badge.png", "folder"])
def test_issue_fails_cleanly_on_a_bad_path(issuer: Path, tmp_path: Path, where: str) -> None:
    (tmp_path / "folder").mkdir()
    out = issue(issuer, "--name", "Nguyễn Văn An", "--png", str(tmp_path / where))
    assert out.returncode == 1 and str(tmp_path / where) in out.stderr
    assert out.stdout == "" and "Traceback" not in out.stderr  # nothing signed


def test_issue_writes_a_printable_badge(issuer: Path, tmp_path: Path) -> None:
    png = tmp_path / "badge.png"
    out = issue(issuer, "--name", "Nguyễn Văn An", "--category", "staff", "--png", str(png))
    assert out.returncode == 0, out.stderr
    img = cv2.imread(str(png), cv2.IMREAD_GRAYSCALE)
    assert img.shape == (638, 1011)  # 85.6 × 54 mm at 300 dpi: a badge holder's card
    decoded = ZxingDecoder().decode(np.asarray(img, np.uint8))
    assert [s.payload.decode() for s in decoded] == [out.stdout.strip()]


def test_issue_many_from_csv_onto_a4(issuer: Path, tmp_path: Path) -> None:
    sheet = tmp_path / "people.csv"
    lines = ["name,birth_year,category,valid_until"]
    lines += [f"Nguyễn Văn {i},{1960 + i},visitor,2099-01-01" for i in range(12)]
    sheet.write_text("\ufeff" + "\n".join(lines) + "\n", encoding="utf-8")  # as Excel saves it
    pdf = tmp_path / "badges.pdf"
    out = issue(issuer, "--csv", str(sheet), "--pdf", str(pdf))
    assert out.returncode == 0, out.stderr
    texts = out.stdout.splitlines()
    assert len(texts) == 12 and "12 badges on 2 A4 pages" in out.stderr
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm (poppler-utils) is not installed: the PDF is not decoded")
    subprocess.run(
        ["pdftoppm", "-r", "200", "-f", "1", "-l", "1", "-png", "-gray", str(pdf),
         str(tmp_path / "page")], check=True, timeout=60,
    )  # fmt: skip
    page = cv2.imread(str(next(tmp_path.glob("page*.png"))), cv2.IMREAD_GRAYSCALE)
    found = {s.payload.decode() for s in ZxingDecoder().decode(np.asarray(page, np.uint8))}
    assert texts[0] in found


def test_issue_one_from_a_semicolon_csv_says_1_badge_on_1_page(
    issuer: Path, tmp_path: Path
) -> None:
    sheet = tmp_path / "people.csv"
    sheet.write_text(" Name ;Birth_Year;CATEGORY\nNguyễn Văn An;1990;staff\n", encoding="utf-8")
    out = issue(issuer, "--csv", str(sheet), "--pdf", str(tmp_path / "b.pdf"))
    assert out.returncode == 0, out.stderr
    assert "1 badge on 1 A4 page:" in out.stderr and len(out.stdout.splitlines()) == 1


def test_issue_csv_problems_are_listed_by_line_and_nothing_is_written(
    issuer: Path, tmp_path: Path
) -> None:
    sheet = tmp_path / "people.csv"
    sheet.write_text(
        "name,birth_year,category\nNguyễn Văn An,1990,staff\n,1990,\nB C,18x,\nD E,1990,vip\n",
        encoding="utf-8",
    )
    pdf = tmp_path / "badges.pdf"
    out = issue(issuer, "--csv", str(sheet), "--pdf", str(pdf))
    assert out.returncode == 2 and out.stdout == ""
    assert out.stderr.splitlines() == [
        f"{sheet}:3: name: a name is needed",
        f"{sheet}:4: birth_year: not a year: '18x'",
        f"{sheet}:5: category: unknown 'vip'; known: contractor, staff, visitor",
    ]
    assert not pdf.exists()


def test_issue_times_without_a_zone_are_the_venue_s(issuer: Path) -> None:
    from checkin_protocol.keys import TrustStore, load_private_key
    from checkin_protocol.kp1 import verify_pass

    out = issue(
        issuer, "--name", "Nguyễn Văn An", "--timezone", "Etc/GMT-7",
        "--valid-from", "2098-12-01", "--valid-until", "2099-01-01T00:00",
        "--declared-at", "2098-11-30T08:00Z",
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    claims = verify_pass(out.stdout.strip(), TrustStore([load_private_key(issuer).public_key()]))
    plus7 = ZoneInfo("Etc/GMT-7")
    assert claims.expires_at == datetime(2099, 1, 1, tzinfo=plus7).timestamp()
    assert claims.not_before == datetime(2098, 12, 1, tzinfo=plus7).timestamp()
    assert claims.declared_at == datetime(2098, 11, 30, 8, tzinfo=ZoneInfo("UTC")).timestamp()
    bad = issue(issuer, "--name", "A B", "--timezone", "Mars/Olympus")
    assert bad.returncode == 2 and "unknown time zone" in bad.stderr
