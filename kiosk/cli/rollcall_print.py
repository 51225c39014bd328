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
        if door == call.kiosk:
            parts.append(f"{door} (đây / here)")
            continue
        heard = call.heard.get(door)
        answered = f", nghe / heard {local(heard, zone, '%H:%M')}" if heard else ""
        parts.append(f"{door} ({local(latest, zone, '%d/%m %H:%M')}{answered})")
    return ", ".join(parts)


def text_lines(call: RollCall, zone: ZoneInfo, venue: str) -> list[str]:
    made = local(call.made_utc, zone, "%Y-%m-%d %H:%M")
    lines = [
        f"Người đang ở trong / Who is inside — {venue} — {made}",
        f"Theo dữ liệu của các cửa (bản ghi mới nhất) / From the records of (latest): "
        f"{doors_line(call, zone)}",
        _summary(call),
        "",
    ]
    for i, p in enumerate(call.sure, 1):
        lines.append(_row(i, p, zone))
    if call.unsure:
        lines += [
            "",
            "Có thể còn ở trong — không quét khi ra / May be inside — no exit was scanned:",
        ]
        lines += [_row(i, p, zone) for i, p in enumerate(call.unsure, len(call.sure) + 1)]
    return lines


def _summary(call: RollCall) -> str:
    text = f"Trong / Inside: {len(call.sure)}"
    if call.unsure:
        text += f"    Có thể còn ở trong / May be inside: {len(call.unsure)}"
    accounted = sum(p.mark is not None for p in call.inside)
    if accounted:
        text += f"    Đã điểm danh / Accounted for: {accounted}"
    return text


def numbered(call: RollCall) -> list[Inside]:
    """The people in the order they are numbered on the list (from 1): the sure, the unsure."""
    return call.sure + call.unsure


def tick(p: Inside, zone: ZoneInfo) -> str:
    """A mark as printed: ✓, who, where, when."""
    if p.mark is None:
        return ""
    return f"✓ {p.mark.by} ({p.mark.kiosk} {local(p.mark.time, zone)})"


def _row(i: int, p: Inside, zone: ZoneInfo) -> str:
    row = f"{i:>4}  {local(p.entered_utc, zone):>5}  {p.door:<12} {p.name or NO_NAME}"
    return row + (f"   {tick(p, zone)}" if p.mark is not None else "")


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
    pdf.set_font("dejavu", "B", 11)
    pdf.cell(0, 8, _summary(call), new_x="LMARGIN", new_y="NEXT")
    _table(pdf, call.sure, zone, 1)
    if call.unsure:
        pdf.ln(4)
        pdf.set_font("dejavu", "B", 11)
        pdf.multi_cell(
            0, 6, "Có thể còn ở trong — không quét khi ra / May be inside — no exit was scanned",
            new_x="LMARGIN", new_y="NEXT",
        )  # fmt: skip
        _table(pdf, call.unsure, zone, len(call.sure) + 1)
    pdf.output(str(path))
    return int(pdf.page_no())


_WIDTHS = (10.0, 62.0, 32.0, 18.0, 58.0)  # #, name, door, time in, tick: 180 mm of 190
_HEADS = ("#", "Tên / Name", "Cửa / Door", "Vào / In", "✓")


def _table(pdf: object, people: list[Inside], zone: ZoneInfo, first: int) -> None:
    from fpdf import FPDF

    assert isinstance(pdf, FPDF)
    pdf.set_font("dejavu", "B", 10)
    pdf.set_fill_color(230, 230, 230)
    for w, head in zip(_WIDTHS, _HEADS, strict=True):
        pdf.cell(w, 7, head, border=1, fill=True, align="C" if head in ("#", "✓") else "L")
    pdf.ln()
    pdf.set_font("dejavu", "", 10)
    for i, p in enumerate(people, first):
        cells = (str(i), p.name or NO_NAME, p.door, local(p.entered_utc, zone), tick(p, zone))
        for w, text in zip(_WIDTHS, cells, strict=True):
            pdf.set_font("dejavu", "", 10 if pdf.get_string_width(text) < w - 2 else 7)
            pdf.cell(w, 7, text, border=1)
        pdf.ln()
