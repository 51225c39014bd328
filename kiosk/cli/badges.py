"""Printable badges for passes: one card as PNG (Pillow), many on A4 pages as PDF (fpdf2)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import segno

FONTS = Path(__file__).parents[1] / "display" / "fonts"
CARD_MM = (85.6, 54.0)  # ID-1, the size of a bank card: fits a standard badge holder
DPI = 300
QR_MM = 44.0
MARGIN_MM = 4.0


@dataclass(frozen=True)
class Badge:
    text: str  # the pass's QR text
    masked_name: str
    valid_until: float
    birth_year: int | None = None
    category: str | None = None  # already a label for people (e.g. "Nhân viên / Staff")


def _lines(b: Badge, zone: ZoneInfo) -> list[tuple[str, str, float]]:
    """(text, style, size in points) top to bottom, right of the QR."""
    until = datetime.fromtimestamp(b.valid_until, zone).strftime("%d/%m/%Y %H:%M")
    lines = [("THẺ RA VÀO · ENTRY PASS", "B", 7.0), (b.masked_name, "B", 14.0)]
    if b.category:
        lines.append((b.category, "", 9.0))
    if b.birth_year is not None:
        lines.append((f"Năm sinh / Born {b.birth_year}", "", 8.0))
    lines += [("Hiệu lực đến / Valid until", "", 7.0), (until, "B", 9.0)]
    return lines


def fit(
    text: str, points: float, width: Callable[[str, float], float], room: float
) -> tuple[float, list[str]]:
    """The size and lines to set `text` in: smaller down to 70 %, then over several lines
    (a long name is never cut)."""
    size = points
    while width(text, size) > room and size > points * 0.7:
        size -= points * 0.05
    lines: list[str] = []
    for word in text.split(" "):
        if lines and width(f"{lines[-1]} {word}", size) <= room:
            lines[-1] += f" {word}"
        else:
            lines.append(word)
    return size, lines


def _mm(value: float) -> int:
    return round(value * DPI / 25.4)


def badge_png(badge: Badge, path: Path, zone: ZoneInfo) -> None:
    """One card at 300 dpi. Raises OSError when the file cannot be written."""
    from PIL import Image, ImageDraw, ImageFont

    w, h = _mm(CARD_MM[0]), _mm(CARD_MM[1])
    img = Image.new("L", (w, h), 255)
    draw = ImageDraw.Draw(img)
    draw.rectangle((0, 0, w - 1, h - 1), outline=160, width=2)  # where to cut
    rows = list(segno.make(badge.text, error="m").matrix)
    module = _mm(QR_MM) // (len(rows) + 4)  # whole pixels per module: crisp edges
    side = module * (len(rows) + 4)  # with its quiet zone of two modules
    qx, qy = _mm(MARGIN_MM) // 2 + 2 * module, (h - side) // 2 + 2 * module
    for r, modules in enumerate(rows):
        for c, dark in enumerate(modules):
            if dark:
                left, top = qx + c * module, qy + r * module
                draw.rectangle((left, top, left + module - 1, top + module - 1), fill=0)
    x = _mm(MARGIN_MM) // 2 + side + _mm(2)
    room = w - x - _mm(MARGIN_MM) // 2
    y = _mm(MARGIN_MM)
    for text, style, points in _lines(badge, zone):
        face = str(FONTS / ("DejaVuSans-Bold.ttf" if style == "B" else "DejaVuSans.ttf"))

        def width(t: str, px: float, face: str = face) -> float:
            return float(draw.textlength(t, font=ImageFont.truetype(face, round(px))))

        size, lines = fit(text, points * DPI / 72, width, room)
        font = ImageFont.truetype(face, round(size))
        for line in lines:
            draw.text((x, y), line, font=font, fill=0)
            y += round(size * 1.3)
    img.save(path, format="PNG", dpi=(DPI, DPI))


def badges_pdf(badges: Sequence[Badge], path: Path, zone: ZoneInfo) -> int:
    """Cards on A4, two columns of five, with cut lines; returns the number of pages."""
    from fpdf import FPDF

    pdf = FPDF(format="A4", unit="mm")
    pdf.set_auto_page_break(False)
    pdf.add_font("dejavu", "", str(FONTS / "DejaVuSans.ttf"))
    pdf.add_font("dejavu", "B", str(FONTS / "DejaVuSans-Bold.ttf"))
    cw, ch = CARD_MM
    cols, rows = 2, 5
    left, top = (210 - cols * cw - 6) / 2, (297 - rows * ch - 8) / 2
    for i, badge in enumerate(badges):
        if i % (cols * rows) == 0:
            pdf.add_page()
        col, row = i % cols, (i // cols) % rows
        _card(pdf, badge, left + col * (cw + 6), top + row * (ch + 2), zone)
    pdf.output(str(path))
    return int(pdf.page_no())


def _card(pdf: object, badge: Badge, x0: float, y0: float, zone: ZoneInfo) -> None:
    from fpdf import FPDF

    assert isinstance(pdf, FPDF)
    cw, ch = CARD_MM
    pdf.set_draw_color(160, 160, 160)
    pdf.rect(x0, y0, cw, ch)
    # The QR as squares (vector): sharp at any printer resolution.
    rows = list(segno.make(badge.text, error="m").matrix)
    module = QR_MM / (len(rows) + 4)
    qx, qy = x0 + MARGIN_MM / 2 + 2 * module, y0 + (ch - QR_MM) / 2 + 2 * module
    pdf.set_fill_color(0, 0, 0)
    for r, modules in enumerate(rows):
        for c, dark in enumerate(modules):
            if dark:
                pdf.rect(qx + c * module, qy + r * module, module + 0.01, module + 0.01, style="F")
    tx = x0 + MARGIN_MM / 2 + QR_MM + 2
    room = x0 + cw - MARGIN_MM / 2 - tx
    y = y0 + MARGIN_MM
    for text, style, points in _lines(badge, zone):

        def width(t: str, pt: float, style: str = style) -> float:
            pdf.set_font("dejavu", style, pt)
            return float(pdf.get_string_width(t))

        size, lines = fit(text, points, width, room)
        pdf.set_font("dejavu", style, size)
        for line in lines:
            pdf.set_xy(tx, y)
            pdf.cell(room, size * 0.45, line)
            y += size * 0.46
