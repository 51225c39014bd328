"""Printable QR badges for staff without smartphones: a CSV of people in, an A4 PDF out."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import segno

from registry.core.common import text_problem

if TYPE_CHECKING:
    from fpdf import FPDF

MAX_BYTES = 64 * 1024
MAX_PEOPLE = 200
DEFAULT_DAYS = 30
CATEGORY = re.compile(r"[A-Za-z0-9_-]{1,32}")
# A first line naming the columns is a header, not a person (either language, any case).
HEADER_WORDS = frozenset({"name", "full name", "họ tên", "họ và tên", "ho ten"})

# Eight badges a page, 2 × 4, each 92 × 66 mm: the size of a large lanyard card.
COLS, ROWS = 2, 4
BADGE_W, BADGE_H = 92.0, 66.0
GAP = 6.0
QR_MM = 46.0


@dataclass(frozen=True)
class Person:
    name: str
    category: str | None
    days: int


@dataclass(frozen=True)
class Problem:
    key: str  # in the catalogue
    line: int = 0  # 0: the file as a whole


def _person(cells: list[str], line: int) -> Person | Problem:
    cells = [c.strip() for c in cells]
    if len(cells) > 3:
        return Problem("err_badge_columns", line)
    name, category, days = [*cells, "", ""][:3]
    if not 2 <= len(name) <= 100 or text_problem(name):
        return Problem("err_badge_name", line)
    if category and not CATEGORY.fullmatch(category):
        return Problem("err_badge_category", line)
    if days and not (days.isascii() and days.isdigit() and 1 <= int(days) <= 365):
        return Problem("err_badge_days", line)
    return Person(name, category or None, int(days) if days else DEFAULT_DAYS)


def parse_people(data: bytes) -> list[Person] | list[Problem]:
    """The people in an uploaded CSV, or every problem found (by line), never an exception."""
    if len(data) > MAX_BYTES:
        return [Problem("err_badges_too_big")]
    try:
        # utf-8-sig: Excel's "CSV UTF-8" starts with a byte-order mark.
        text = data.decode("utf-8-sig")
        # Excel separates with the system's list separator: ";" where the decimal comma is
        # the custom (a Vietnamese Windows), "," elsewhere. The first line tells which.
        first = text.split("\n", 1)[0]
        sep = ";" if first.count(";") > first.count(",") else ","
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=sep))
    except (UnicodeDecodeError, csv.Error):
        return [Problem("err_badges_encoding")]
    numbered = [(i, r) for i, r in enumerate(rows, 1) if any(c.strip() for c in r)]
    if numbered and numbered[0][1][0].strip().lower() in HEADER_WORDS:
        numbered = numbered[1:]
    if not numbered:
        return [Problem("err_badges_empty")]
    if len(numbered) > MAX_PEOPLE:
        return [Problem("err_badges_too_many")]
    got = [_person(r, i) for i, r in numbered]
    problems = [p for p in got if isinstance(p, Problem)]
    return problems if problems else [p for p in got if isinstance(p, Person)]


@dataclass(frozen=True)
class Badge:
    qr_text: str
    masked_name: str
    category: str | None
    valid_until: str  # already in the reader's date form


@dataclass(frozen=True)
class BadgeWords:
    heading: str
    valid: str  # with {date}
    category: str  # with {c}


def _qr(pdf: FPDF, text: str, x0: float, y0: float, side: float) -> None:
    # Drawn as squares (vector): sharp at any printer's resolution. Quiet zone included.
    rows = list(segno.make(text, error="m").matrix)
    module = side / (len(rows) + 8)
    pdf.set_fill_color(0, 0, 0)
    for y, row in enumerate(rows):
        for x, dark in enumerate(row):
            if dark:
                pdf.rect(
                    x0 + (x + 4) * module, y0 + (y + 4) * module, module + 0.01, module + 0.01, "F"
                )


def _badge(pdf: FPDF, b: Badge, words: BadgeWords, x: float, y: float) -> None:
    pdf.set_draw_color(120, 130, 140)
    pdf.set_line_width(0.3)
    pdf.rect(x, y, BADGE_W, BADGE_H)  # square: the cut line too
    pdf.set_fill_color(11, 74, 139)
    pdf.rect(x, y, BADGE_W, 9, "F")
    pdf.set_text_color(255, 255, 255)
    pdf.set_font("dejavu", "B", 10)
    pdf.set_xy(x + 3, y + 1.5)
    pdf.cell(BADGE_W - 6, 6, words.heading, align="C")
    _qr(pdf, b.qr_text, x + 2, y + 12, QR_MM)
    tx, tw = x + QR_MM + 3, BADGE_W - QR_MM - 6
    pdf.set_text_color(27, 31, 36)
    pdf.set_xy(tx, y + 16)
    pdf.set_font("dejavu", "B", 13)
    pdf.multi_cell(tw, 6, b.masked_name, new_x="LEFT", new_y="NEXT", align="L")
    pdf.ln(2)
    pdf.set_font("dejavu", "", 9.5)
    if b.category:
        pdf.set_x(tx)
        pdf.multi_cell(
            tw, 5, words.category.format(c=b.category), new_x="LEFT", new_y="NEXT", align="L"
        )
    pdf.set_x(tx)
    pdf.multi_cell(
        tw, 5, words.valid.format(date=b.valid_until), new_x="LEFT", new_y="NEXT", align="L"
    )


def badges_pdf(badges: list[Badge], words: BadgeWords, fonts: Path) -> bytes:
    """A4 pages of badges, 2 × 4 each, centred, in DejaVu Sans (Vietnamese letters)."""
    # Imported here: fpdf2 (fontTools, numpy) is most of the server's start-up time.
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(False)
    pdf.add_font("dejavu", "", str(fonts / "DejaVuSans.ttf"))
    pdf.add_font("dejavu", "B", str(fonts / "DejaVuSans-Bold.ttf"))
    left = (210 - COLS * BADGE_W - (COLS - 1) * GAP) / 2
    top = (297 - ROWS * BADGE_H - (ROWS - 1) * GAP) / 2
    for i, b in enumerate(badges):
        slot = i % (COLS * ROWS)
        if slot == 0:
            pdf.add_page()
        col, row = slot % COLS, slot // COLS
        _badge(pdf, b, words, left + col * (BADGE_W + GAP), top + row * (BADGE_H + GAP))
    return bytes(pdf.output())
