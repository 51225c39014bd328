"""The guard's history of the last decisions: aligned columns, private reasons once unlocked."""

from __future__ import annotations

from checkin_protocol.reasons import Reason
from kiosk.display.canvas import Canvas
from kiosk.display.colors import AMBER, MUTED, WHITE, Color
from kiosk.display.fit import elide
from kiosk.display.messages import Messages
from kiosk.display.views import HistoryRow, HistoryView


def history_cells(row: HistoryRow, t: Messages, unlocked: bool) -> list[str]:
    """One row of the guard's history: time, direction, verdict, name, reason, in `t`'s
    first language. A private reason (and the deny list's note) only when `unlocked`."""
    direction = t(f"history.{row.direction}") if t.has(f"history.{row.direction}") else ""
    verdict = t(f"history.{row.verdict}") if t.has(f"history.{row.verdict}") else row.verdict
    return [row.time, direction, verdict, row.masked_name, _reason_cell(row, t, unlocked)]


def _reason_cell(row: HistoryRow, t: Messages, unlocked: bool) -> str:
    if not row.reason:
        return ""
    if row.manual:
        key = f"manual.{row.reason}"
        return t(key) if t.has(key) else row.reason  # the venue's own label
    try:
        reason = Reason(row.reason)
    except ValueError:
        return ""  # no raw code on screen
    if reason.public:
        return t(f"reason.{reason.value}")
    if not unlocked:
        return t("guard.private")
    text = t(f"staff.{reason.value}")
    return f"{text}: {row.staff_note}" if row.staff_note else text


def draw_history(canvas: Canvas, view: HistoryView, u: float, y: int) -> int:
    """The title, the table and (locked) how to see private reasons; returns the y below."""
    lay, t = canvas.layout, canvas.guard_t
    cx, w = lay.w // 2, lay.w - 2 * lay.margin
    y = canvas.lines(t.lines("guard.history"), int(u * 0.07), WHITE, cx, y, w)
    y += int(u * 0.02)
    cells = [history_cells(row, t, view.unlocked) for row in view.rows]
    colors = [AMBER if row.verdict != "PASS" else WHITE for row in view.rows]
    y = table(canvas, cells, colors, int(u * 0.045), lay.margin, y, w)
    if not view.unlocked:
        lines = t.lines("guard.history_pin")
        y = canvas.lines(lines, int(u * 0.045), MUTED, cx, y + int(u * 0.02), w)
    return y


def _columns(canvas: Canvas, rows: list[list[str]], size: int) -> tuple[int, list[int], int]:
    """At `size`: the gap between columns, the width of each but the last, the last's widest."""
    width = canvas.fonts.width
    fixed = [max(width(size, r[i]) for r in rows) for i in range(len(rows[0]) - 1)]
    return width(size, "  "), fixed, max(width(size, r[-1]) for r in rows)


def _table_size(canvas: Canvas, rows: list[list[str]], px: int, width: int) -> int:
    """The size the table is set in: `px`, or smaller (down to the floor) until it fits."""
    size = max(px, canvas.floor)
    while True:
        gap, fixed, last = _columns(canvas, rows, size)
        if size <= canvas.floor or sum(fixed) + gap * len(fixed) + last <= width:
            return size
        # Smaller, down to the floor, before the last column moves or is cut.
        size = max(canvas.floor, size - max(1, size // 12))


def table(
    canvas: Canvas, rows: list[list[str]], colors: list[Color], px: int, left: int, top: int,
    width: int,
) -> int:  # fmt: skip
    """Left-aligned columns. Where the last one does not fit beside the others even at the
    floor size on a portrait screen, it goes on a line of its own under its row, indented;
    what still does not fit is cut with "…"."""
    if not rows:
        return top
    size = _table_size(canvas, rows, px, width)
    font = canvas.font(size)
    gap, fixed, last = _columns(canvas, rows, size)
    stacked = canvas.layout.portrait and sum(fixed) + gap * len(fixed) + last > width
    canvas.paragraph += 1
    y = top
    for cells, color in zip(rows, colors, strict=True):
        x = left
        for i, cell in enumerate(cells):
            if i == len(fixed) and stacked:
                x, y = left + fixed[0] + gap, y + font.get_linesize()
            text = cell if i < len(fixed) else elide(cell, font, left + width - x)
            if text:
                canvas.text_at(text, size, color, (x, y))
            x += (fixed[i] if i < len(fixed) else 0) + gap
        y += font.get_linesize()
    return y
