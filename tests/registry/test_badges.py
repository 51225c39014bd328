"""The badge CSV: any upload gives people or reasons by line, never an exception."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from registry.web.badges import MAX_BYTES, MAX_PEOPLE, Person, Problem, parse_people


def test_excel_csv_with_bom_header_and_vietnamese_names() -> None:
    data = (
        "\ufeffHọ tên,Đối tượng,Số ngày\r\nNguyễn Văn An,staff,30\r\n\r\nTrần Thị Hoa\r\n".encode()
    )
    assert parse_people(data) == [
        Person("Nguyễn Văn An", "staff", 30),
        Person("Trần Thị Hoa", None, 30),
    ]


def test_semicolons_as_a_vietnamese_excel_saves_them() -> None:
    data = "\ufeffHọ tên;Đối tượng;Số ngày\r\nNguyễn Văn An;staff;7\r\n".encode()
    assert parse_people(data) == [Person("Nguyễn Văn An", "staff", 7)]


def test_each_bad_line_is_named() -> None:
    data = "Nguyễn Văn An,staff,30\nA\nLê Văn B,nhân viên\nPhạm C,,0\nĐỗ D,a,1,x\n".encode()
    assert parse_people(data) == [
        Problem("err_badge_name", 2),
        Problem("err_badge_category", 3),
        Problem("err_badge_days", 4),
        Problem("err_badge_columns", 5),
    ]


def test_files_that_cannot_be_read() -> None:
    assert parse_people("Nguyễn Văn An".encode("utf-16")) == [Problem("err_badges_encoding")]
    # A NUL (PostgreSQL refuses it in text) is a bad name, not a crash.
    assert parse_people(b"a\x00b,c\n") == [Problem("err_badge_name", 1)]
    assert parse_people(b"") == [Problem("err_badges_empty")]
    assert parse_people(b"name\n") == [Problem("err_badges_empty")]
    assert parse_people(b"x" * (MAX_BYTES + 1)) == [Problem("err_badges_too_big")]
    many = "".join(f"Người {i}\n" for i in range(MAX_PEOPLE + 1)).encode()
    assert parse_people(many) == [Problem("err_badges_too_many")]


@given(st.binary(max_size=2000) | st.text(max_size=500).map(str.encode))
def test_any_upload_gives_people_or_problems(data: bytes) -> None:
    got = parse_people(data)
    assert got and (
        all(isinstance(p, Person) for p in got) or all(isinstance(p, Problem) for p in got)
    )
    for p in got:
        if isinstance(p, Person):
            assert 2 <= len(p.name) <= 100 and 1 <= p.days <= 365
