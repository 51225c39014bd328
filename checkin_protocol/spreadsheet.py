"""CSV cells a spreadsheet opens as text, never as a formula (CSV injection, OWASP)."""

from __future__ import annotations

import csv
import unicodedata
from collections.abc import Iterable
from typing import Any, TextIO

# A cell whose text starts with one of these is a formula to Excel, LibreOffice Calc or Google
# Sheets (OWASP "CSV Injection": = + - @ TAB CR; ASVS 5.0 V1.2.10 adds NUL). LF is there too:
# a quoted cell may hold one, and some importers split on it and read what follows as a cell.
FORMULA_START = frozenset("=+-@\t\r\n\0")
# Fullwidth forms (＝ ＋ － ＠): NFKC makes them the ASCII signs, and an importer that folds
# them would read a formula; a person's name never starts with one.
_FOLDED = {unicodedata.normalize("NFKC", ch) for ch in "＝＋－＠"}


def risky(text: str) -> bool:
    """Whether a spreadsheet could read `text` as a formula: its first character, or its first
    after leading spaces (some importers trim them), starts one."""
    if not text:
        return False
    if text[0] in FORMULA_START:
        return True
    rest = text.lstrip(" \u00a0\u3000")
    if not rest:
        return False
    first = rest[0]
    return first in FORMULA_START or unicodedata.normalize("NFKC", first) in _FOLDED


def cell(value: object) -> str:
    """`value` as a CSV cell: empty for None, 1/0 for booleans, numbers as they are, and text
    that could start a formula behind an apostrophe, which spreadsheets take to mean text
    (the apostrophe itself is not shown)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int | float):
        return str(value)  # a number the program wrote is no formula
    text = str(value)
    return "'" + text if risky(text) else text


class SafeWriter:
    """`csv.writer` (RFC 4180 quoting) that passes every cell through `cell` first."""

    def __init__(self, out: TextIO, **options: Any) -> None:
        options.setdefault("lineterminator", "\r\n")
        self._writer = csv.writer(out, **options)

    def writerow(self, row: Iterable[object]) -> None:
        self._writer.writerow([cell(v) for v in row])

    def writerows(self, rows: Iterable[Iterable[object]]) -> None:
        for row in rows:
            self.writerow(row)
