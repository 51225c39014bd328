"""A person's copy of their data as a PDF to read: the cover sheet, then each kind of row."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from registry.core.subject_export import SECTIONS, cover, shown_value
from registry.core.subjects import Answer

# Debian's fonts-dejavu-core: PDF's built-in fonts have Latin-1 only, no Vietnamese letters.
FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu"))


def font_dir() -> Path | None:
    return next((d for d in FONT_DIRS if (d / "DejaVuSans.ttf").exists()), None)


def export_pdf(answer: Answer, where: str, controller: str) -> bytes:
    """The export as an A4 PDF: the cover sheet's lines, then every row as its labelled
    fields (a table of ten columns does not fit a page a person reads)."""
    fonts = font_dir()
    if fonts is None:
        raise RuntimeError("no DejaVu fonts (apt-get install fonts-dejavu-core)")
    from fpdf import FPDF  # fpdf2 pulls in fontTools: imported for this page only

    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(True, margin=15)
    pdf.add_font("dejavu", "", str(fonts / "DejaVuSans.ttf"))
    pdf.add_font("dejavu", "B", str(fonts / "DejaVuSans-Bold.ttf"))
    pdf.set_margins(18, 15, 18)
    pdf.add_page()
    rows = cover(answer, where, controller)
    pdf.set_font("dejavu", "B", 15)
    pdf.set_text_color(11, 74, 139)
    pdf.multi_cell(0, 7.5, str(rows[0][0]), align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(27, 31, 36)
    for row in rows[1:]:
        _pair(pdf, row)
    for key, title, columns in SECTIONS:
        found = getattr(answer.held, key)
        pdf.ln(4)
        pdf.set_font("dejavu", "B", 12)
        pdf.set_text_color(11, 74, 139)
        pdf.multi_cell(0, 6.5, f"{title} ({len(found)})", align="L", new_x="LMARGIN", new_y="NEXT")
        pdf.set_text_color(27, 31, 36)
        for item in found:
            for k, label in columns:
                value = shown_value(k, item.get(k))
                if value not in (None, ""):
                    _pair(pdf, [label, value], size=9)
            pdf.ln(2)
    return bytes(pdf.output())


def _pair(pdf: Any, row: list[Any], size: float = 10) -> None:
    """One label and its value (or a line of its own), wrapped within the page."""
    if not row:
        pdf.ln(2)
        return
    if len(row) == 1:
        pdf.set_font("dejavu", "", size)
        pdf.multi_cell(0, size * 0.5, str(row[0]), align="L", new_x="LMARGIN", new_y="NEXT")
        return
    pdf.set_font("dejavu", "B", size)
    pdf.multi_cell(0, size * 0.5, str(row[0]), align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("dejavu", "", size)
    pdf.multi_cell(0, size * 0.5, str(row[1]), align="L", new_x="LMARGIN", new_y="NEXT")
