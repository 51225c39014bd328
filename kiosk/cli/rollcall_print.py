"""The roll call for people: lines for the terminal, and an A4 PDF with a tick column (fpdf2)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from checkin_protocol.times import parse_iso
from kiosk.peers.rollcall import Inside, RollCall

FONTS = Path(__file__).parents[1] / "display" / "fonts"
NO_NAME = "(không tên / no name)"


def local(iso: str | None, zone: ZoneInfo, fmt: str = "%H:%M") -> str:
    if iso is None:
        return "—"
    return datetime.fromtimestamp(parse_iso(iso), zone).strftime(fmt)


def doors_line(call: RollCall, zone: ZoneInfo) -> str:
    """Which doors this list holds records of, and the latest from each."""
    parts = []
    for door, latest in call.doors.items():
        when = "đây / here" if door == call.kiosk else local(latest, zone, "%d/%m %H:%M")
        parts.append(f"{door} ({when})")
    return ", ".join(parts)


def text_lines(call: RollCall, zone: ZoneInfo, venue: str) -> list[str]:
    made = local(call.made_utc, zone, "%Y-%m-%d %H:%M")
    lines = [
        f"Người đang ở trong / Who is inside — {venue} — {made}",
        f"Theo dữ liệu của các cửa (bản ghi mới nhất) / From the records of (latest): "
        f"{doors_line(call, zone)}",
        f"Trong / Inside: {len(call.sure)}"
        + (f"   Có thể còn ở trong / May be inside: {len(call.unsure)}" if call.unsure else ""),
        "",
    ]
    for p in call.sure:
        lines.append(_row(p, zone))
    if call.unsure:
        lines += [
            "",
            "Có thể còn ở trong — không quét khi ra / May be inside — no exit was scanned:",
        ]
        lines += [_row(p, zone) for p in call.unsure]
    return lines


def _row(p: Inside, zone: ZoneInfo) -> str:
    return f"  {local(p.entered_utc, zone):>5}  {p.door:<12} {p.name or NO_NAME}"


def roll_call_pdf(call: RollCall, path: Path, zone: ZoneInfo, venue: str) -> int:
    """A4, one line a person: masked name, door, time in, and a box to tick; the unsure apart.
    Returns the number of pages."""
    from fpdf import FPDF

    pdf = FPDF(format="A4", unit="mm")
    pdf.set_auto_page_break(True, margin=15)
    pdf.add_font("dejavu", "", str(FONTS / "DejaVuSans.ttf"))
    pdf.add_font("dejavu", "B", str(FONTS / "DejaVuSans-Bold.ttf"))
    pdf.add_page()
    pdf.set_font("dejavu", "B", 16)
    pdf.cell(0, 9, "Điểm danh / Roll call", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("dejavu", "", 10)
    made = local(call.made_utc, zone, "%Y-%m-%d %H:%M")
    pdf.multi_cell(0, 5, f"{venue} — {made} ({zone.key})", new_x="LMARGIN", new_y="NEXT")
    pdf.multi_cell(
        0, 5, f"Theo dữ liệu của các cửa (bản ghi mới nhất) / From the records of (latest): "
        f"{doors_line(call, zone)}",
        new_x="LMARGIN", new_y="NEXT",
    )  # fmt: skip
    summary = f"Trong / Inside: {len(call.sure)}"
    if call.unsure:
        summary += f"    Có thể còn ở trong / May be inside: {len(call.unsure)}"
    pdf.set_font("dejavu", "B", 11)
    pdf.cell(0, 8, summary, new_x="LMARGIN", new_y="NEXT")
    _table(pdf, call.sure, zone)
    if call.unsure:
        pdf.ln(4)
        pdf.set_font("dejavu", "B", 11)
        pdf.multi_cell(
            0, 6, "Có thể còn ở trong — không quét khi ra / May be inside — no exit was scanned",
            new_x="LMARGIN", new_y="NEXT",
        )  # fmt: skip
        _table(pdf, call.unsure, zone)
    pdf.output(str(path))
    return int(pdf.page_no())


_WIDTHS = (10.0, 82.0, 40.0, 28.0, 20.0)  # #, name, door, time in, tick: 180 mm of 190
_HEADS = ("#", "Tên / Name", "Cửa / Door", "Vào / In", "✓")


def _table(pdf: object, people: list[Inside], zone: ZoneInfo) -> None:
    from fpdf import FPDF

    assert isinstance(pdf, FPDF)
    pdf.set_font("dejavu", "B", 10)
    pdf.set_fill_color(230, 230, 230)
    for w, head in zip(_WIDTHS, _HEADS, strict=True):
        pdf.cell(w, 7, head, border=1, fill=True, align="C" if head in ("#", "✓") else "L")
    pdf.ln()
    pdf.set_font("dejavu", "", 10)
    for i, p in enumerate(people, 1):
        cells = (str(i), p.name or NO_NAME, p.door, local(p.entered_utc, zone), "")
        for w, text in zip(_WIDTHS, cells, strict=True):
            pdf.cell(w, 7, text, border=1)
        pdf.ln()
