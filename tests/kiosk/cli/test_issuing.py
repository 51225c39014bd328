"""Passes from a CSV file: every hostile row is refused by line and column, never a crash."""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Callable
from datetime import date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk.cli.issuing import (
    COLUMNS,
    CsvRefused,
    Invalid,
    PassRequest,
    parse_time,
    read_requests,
    validity,
    warnings,
)

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
    got = read("name,valid_until\nNguyễn Văn An,2030-01-01T00:00\n")
    assert isinstance(got[0], PassRequest)
    assert got[0].valid_until == 1893430800.0  # 2030-01-01 00:00 in Hanoi (UTC+7)
    assert got[0].masked_name == "Nguyễn V** A"


@given(
    st.dates(min_value=date(1971, 1, 2), max_value=date(9998, 12, 30)),
    st.sampled_from(["Asia/Ho_Chi_Minh", "Europe/Berlin", "America/Havana", "America/Santiago"]),
)
def test_a_date_alone_as_valid_until_is_the_end_of_that_local_day(day: date, name: str) -> None:
    zone = ZoneInfo(name)
    until = parse_time("valid_until", day.isoformat(), zone, end_of_day=True)
    assert until is not None
    last = datetime.combine(day, dtime(23, 59, 59), tzinfo=zone).timestamp()
    assert last < until <= last + 3601  # the next local midnight (a DST day may skip it)
    assert datetime.fromtimestamp(until, zone).date() == day + timedelta(days=1)  # its midnight
    start = parse_time("valid_from", day.isoformat(), zone)
    assert start == datetime.combine(day, dtime(0), tzinfo=zone).timestamp()


@given(st.floats(-1e9, 0))
def test_no_validity_of_zero_or_less(valid_for: float) -> None:
    with pytest.raises(Invalid, match="valid for some time"):
        validity(NOW, None, None, valid_for)


def test_a_validity_over_two_years_and_a_declaration_to_come_are_warned_of() -> None:
    req = PassRequest("A B", None, None, None, NOW + 3 * 365 * 86400, NOW + 86400)
    found = warnings(req, NOW)
    assert len(found) == 2 and "more than 2 years" in found[0] and "future" in found[1]
    assert warnings(PassRequest("A B", None, None, None, NOW + 86400, NOW - 60), NOW) == []


def test_a_csv_date_alone_is_valid_all_that_day() -> None:
    (req,) = read("name,valid_until\nNguyễn Văn An,2027-01-01\n")
    assert isinstance(req, PassRequest)
    assert req.valid_until == datetime(2027, 1, 2, tzinfo=ZONE).timestamp()


@given(
    st.permutations(["name", "birth_year", "category"]),
    st.lists(
        st.sampled_from([str.upper, str.title, str.lower, " {} ".format]), min_size=3, max_size=3
    ),
    st.sampled_from([",", ";"]),
)
def test_headers_in_any_case_with_spaces_and_either_separator(
    order: list[str], styles: list[Callable[[str], str]], sep: str
) -> None:
    values = {"name": "Nguyễn Văn An", "birth_year": "1990", "category": "staff"}
    header = sep.join(style(h) for style, h in zip(styles, order, strict=True))
    got = read(f"{header}\n{sep.join(values[h] for h in order)}\n")
    assert got == [PassRequest("Nguyễn Văn An", 1990, "staff", None, NOW + 30 * 86400, None)]


def test_every_problem_of_a_row_is_reported() -> None:
    got = read("name,birth_year,category,valid_for,declared_at\n,1850,vip,0s,soon\n")
    assert [str(i).split(": ", 1)[0].rsplit(":", 1)[1] for i in got] == [
        "2", "2", "2", "2", "2",
    ]  # fmt: skip
    fields = [str(i).split(": ")[1] for i in got]
    assert fields == ["name", "birth_year", "category", "declared_at", "valid_for"]


def test_a_column_named_twice_is_refused() -> None:
    got = read("name,Name\nA B,C D\n")
    assert len(got) == 1 and "columns named twice ['name']" in str(got[0])
