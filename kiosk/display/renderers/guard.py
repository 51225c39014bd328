"""The guard's screens (PIN, reasons, name, notices) in the guard's language."""

from __future__ import annotations

from kiosk.display.canvas import Canvas
from kiosk.display.colors import AMBER, GUARD_BG, MUTED, WHITE
from kiosk.display.messages import Messages
from kiosk.display.renderers.history import draw_history
from kiosk.display.views import (
    GuardNameView,
    GuardPinView,
    GuardReasonView,
    HistoryView,
    NoticeView,
    View,
)


def draw_guard(canvas: Canvas, view: View, u: float, dy: int) -> int:
    lay = canvas.layout
    canvas.surface.fill(GUARD_BG)
    y = lay.body.top + lay.margin + dy
    if isinstance(view, NoticeView):
        return _notice(canvas, view, u)
    if isinstance(view, HistoryView):
        y = draw_history(canvas, view, u, y)
        return cancel_line(canvas, view.cancel, u, y + int(u * 0.01))
    if isinstance(view, GuardPinView):
        y = _pin(canvas, view, u, y)
    elif isinstance(view, GuardReasonView):
        y = _reasons(canvas, view, u, y)
    elif isinstance(view, GuardNameView):
        y = _name(canvas, view, u, y)
    else:
        raise AssertionError(f"unhandled view {view!r}")
    return cancel_line(canvas, view.cancel, u, y + int(u * 0.04))


def cancel_line(canvas: Canvas, keys: str, u: float, y: int) -> int:
    """Which keys go back to the visitors' screen."""
    lay = canvas.layout
    lines = canvas.guard_t.lines("guard.cancel", keys=keys)
    return canvas.lines(lines, int(u * 0.05), MUTED, lay.w // 2, y, lay.w - 2 * lay.margin)


def _notice(canvas: Canvas, view: NoticeView, u: float) -> int:
    """A short notice (the direction switched) a third of the way down, in every language."""
    lay = canvas.layout
    y = lay.body.top + lay.body.h // 3
    lines = [
        Messages(lang)(view.key, mode=Messages(lang)(view.value) if view.value else "")
        for lang in canvas.guard_t.languages
    ]
    return canvas.lines(lines, int(u * 0.1), WHITE, lay.w // 2, y, lay.w - 2 * lay.margin)


def _pin(canvas: Canvas, view: GuardPinView, u: float, y: int) -> int:
    lay, t = canvas.layout, canvas.guard_t
    cx, w = lay.w // 2, lay.w - 2 * lay.margin
    y = canvas.lines(t.lines("guard.pin"), int(u * 0.08), WHITE, cx, y, w)
    dots = "● " * view.digits + "○ " * max(0, 4 - view.digits)
    y = canvas.line(dots.strip(), int(u * 0.1), WHITE, cx, y + int(u * 0.04), w)
    if view.wrong:
        lines = t.lines("guard.pin_wrong")
        y = canvas.lines(lines, int(u * 0.07), AMBER, cx, y + int(u * 0.03), w)
    if view.locked_for:
        lines = t.lines("guard.pin_locked", n=view.locked_for)
        y = canvas.lines(lines, int(u * 0.07), AMBER, cx, y + int(u * 0.03), w)
    return y


def _reasons(canvas: Canvas, view: GuardReasonView, u: float, y: int) -> int:
    """The numbered reasons a guard may admit someone for."""
    lay, t = canvas.layout, canvas.guard_t
    cx, w = lay.w // 2, lay.w - 2 * lay.margin
    n = len(view.reasons)
    y = canvas.lines(t.lines("guard.reason", n=n), int(u * 0.08), WHITE, cx, y, w)
    y += int(u * 0.03)
    for i, choice in enumerate(view.reasons, start=1):
        key = f"manual.{choice}"
        label = t(key) if t.has(key) else choice
        y = canvas.line(f"{i}. {label}", int(u * 0.065), WHITE, cx, y, w)
        y += int(u * 0.008)
    return y


def _name(canvas: Canvas, view: GuardNameView, u: float, y: int) -> int:
    lay = canvas.layout
    cx, w = lay.w // 2, lay.w - 2 * lay.margin
    key = "guard.name.vietnamese" if view.vietnamese else "guard.name"
    y = canvas.lines(canvas.guard_t.lines(key), int(u * 0.08), WHITE, cx, y, w)
    return canvas.line(view.text + "_", int(u * 0.1), WHITE, cx, y + int(u * 0.04), w)
