"""CSV cells never open as formulas: the OWASP list, and any text at all."""

from __future__ import annotations

import csv
import io

import pytest
from hypothesis import given
from hypothesis import strategies as st

from checkin_protocol.spreadsheet import FORMULA_START, SafeWriter, cell, risky
from support.spreadsheets import OWASP

PLAIN = ["Nguyễn V** A", "pass:a1b2…", "it's = fine", "A-1", "", "DDE text without a sign"]


@pytest.mark.parametrize("payload", OWASP)
def test_every_owasp_payload_is_text(payload: str) -> None:
    out = io.StringIO()
    SafeWriter(out).writerow([payload, "x"])
    (read,) = list(csv.reader(io.StringIO(out.getvalue(), newline="")))
    assert read[0] == "'" + payload and read[1] == "x"
    assert risky(payload)


@pytest.mark.parametrize("text", PLAIN)
def test_plain_text_is_left_alone(text: str) -> None:
    assert cell(text) == text


def test_values_the_program_writes() -> None:
    assert [cell(None), cell(True), cell(False), cell(-5), cell(2.5)] == ["", "1", "0", "-5", "2.5"]


@given(st.text())
def test_no_text_reaches_a_spreadsheet_as_a_formula(text: str) -> None:
    out = io.StringIO()
    SafeWriter(out).writerow([text])
    (read,) = list(csv.reader(io.StringIO(out.getvalue(), newline=""))) or [[""]]
    shown = read[0] if read else ""
    # What a spreadsheet reads: the text itself, or the text behind the apostrophe that
    # makes it text; never a first character that starts a formula.
    assert shown in (text, "'" + text)
    assert not shown or shown[0] not in FORMULA_START
    assert not risky(shown)
