"""Passes from a CSV file: every hostile row is refused by line and column, never a crash."""

from __future__ import annotations

import csv
import io
import tempfile
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk.issuing import COLUMNS, CsvRefused, PassRequest, read_requests

NOW = 1_795_000_000.0
ZONE = ZoneInfo("Asia/Ho_Chi_Minh")

cells = st.one_of(
    st.text(max_size=30),
    st.sampled_from(["", "1990", "1850", "staff", "vip", "2099-01-01", "30d", "=cmd|x", "\x00"]),
    st.integers(-(10**12), 10**12).map(str),
)


def read(text: str) -> list[PassRequest] | list[str]:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "people.csv"
        path.write_bytes(text.encode("utf-8", "surrogatepass"))
        try:
            return read_requests(path, NOW, ZONE)
        except CsvRefused as exc:
            assert exc.issues and all(i.startswith(f"{path}") for i in exc.issues), exc.issues
            return exc.issues


@given(
    st.lists(st.sampled_from(COLUMNS), min_size=1, max_size=7, unique=True),
    st.lists(st.lists(cells, max_size=8), max_size=6),
)
def test_hostile_rows_are_issued_checked_or_refused_by_line(
    header: list[str], rows: list[list[str]]
) -> None:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    result = read(out.getvalue())
    for item in result:
        if isinstance(item, PassRequest):
            assert item.name.strip() and item.masked_name
            assert item.valid_until > (item.valid_from or 0)
            assert item.birth_year is None or 1900 <= item.birth_year <= 2026
            assert item.category in (None, "staff", "visitor", "contractor")


@given(st.text(max_size=300))
def test_any_text_is_refused_or_read_never_a_crash(text: str) -> None:
    read(text)


@pytest.mark.parametrize(
    ("text", "issue"),
    [
        ("", "no name column"),
        ("nom,age\nA,1\n", "unknown columns ['nom', 'age']"),
        ("name\n", "no rows"),
        ("name\nA B,extra\n", ":2: row: more cells than columns"),
        ("name,valid_for\nA B,30\n", ":2: valid_for: "),
        ("name,valid_until\nA B,yesterday\n", ":2: valid_until: not an ISO date/time"),
        ("name,valid_from,valid_until\nA B,2030-01-02,2030-01-01\n", ":2: valid_until: "),
    ],
)
def test_what_is_wrong_is_said(text: str, issue: str) -> None:
    got = read(text)
    assert any(issue in str(i) for i in got), got


def test_naive_times_are_the_venue_s_local_time() -> None:
    got = read("name,valid_until\nNguyễn Văn An,2030-01-01\n")
    assert isinstance(got[0], PassRequest)
    assert got[0].valid_until == 1893430800.0  # 2030-01-01 00:00 in Hanoi (UTC+7)
    assert got[0].masked_name == "Nguyễn V** A"
