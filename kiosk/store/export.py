"""CSV export of records, safe to open in a spreadsheet."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import TextIO

from kiosk.store import COLUMNS, Record

FIELDS = list(COLUMNS)
# A cell starting with one of these is run as a formula by Excel/LibreOffice
# (CSV injection, OWASP); a leading apostrophe makes it text.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    text = str(value)
    if text.startswith(_FORMULA_START):
        return "'" + text
    return text


def write_csv(records: Iterable[Record], out: TextIO) -> int:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(FIELDS)
    count = 0
    for r in records:
        writer.writerow([_cell(getattr(r, f)) for f in FIELDS])
        count += 1
    return count
