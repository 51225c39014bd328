"""PASS and FAIL: the mark, then who (PASS) or why and what to do (FAIL)."""

from __future__ import annotations

import pygame

from kiosk.display.canvas import Canvas
from kiosk.display.colors import FAIL_BG, PASS_BG, WHITE
from kiosk.display.messages import Messages
from kiosk.display.views import StatusBar, VerdictView, fail_title
from kiosk.policy.engine import Verdict


def draw_verdict(canvas: Canvas, view: VerdictView, status: StatusBar, u: float, dy: int) -> int:
    """A verdict: the mark, then what it says."""
    lay, t = canvas.layout, canvas.t
    cx, w = lay.w // 2, lay.w - 2 * lay.margin
    passed = view.verdict is Verdict.PASS
    canvas.surface.fill(PASS_BG if passed else FAIL_BG)
    r = int(u * 0.13)
    top = lay.body.top + lay.margin + dy
    _mark(canvas.surface, view.verdict, (cx, top + r), r)
    y = top + 2 * r + int(u * 0.025)
    if passed:
        return _pass(canvas, view, status, u, y)
    title = fail_title(view.reason)
    y = canvas.lines(t.lines(title), int(canvas.heading * 0.12), WHITE, cx, y, w)
    y += int(u * 0.02)
    reason = view.reason
    if reason is None or not reason.public:
        # Reasons that reveal health status or a sanction are never shown publicly.
        return canvas.lines(t.lines("fail.see_staff"), int(u * 0.08), WHITE, cx, y, w)
    y = canvas.lines(t.lines(f"reason.{reason.value}"), int(u * 0.08), WHITE, cx, y, w)
    y += int(u * 0.02)
    hint = view.hint or f"hint.{reason.value}"
    return canvas.lines(t.lines(hint, admits=view.admits), int(u * 0.06), WHITE, cx, y, w)


def _pass(canvas: Canvas, view: VerdictView, status: StatusBar, u: float, y: int) -> int:
    """A PASS's text, from `y` down: who, and what else the guard should know."""
    cx, w = canvas.layout.w // 2, canvas.layout.w - 2 * canvas.layout.margin
    t = canvas.t
    title = "pass.manual" if view.manual_reason else f"pass.{status.direction}"
    px = int(canvas.heading * 0.14)
    y = canvas.lines(t.lines(title), px, WHITE, cx, y, w) + int(u * 0.02)
    if view.masked_name:
        y = canvas.line(view.masked_name, int(u * 0.11), WHITE, cx, y, w) + int(u * 0.015)
    details = [pass_details(view, Messages(lang)) for lang in t.languages]
    return canvas.lines([d for d in details if d], int(u * 0.065), WHITE, cx, y, w)


def pass_details(view: VerdictView, t: Messages) -> str:
    """Birth year, category, manual reason or "not verified", in `t`'s language."""
    parts = []
    if view.birth_year:
        parts.append(t("pass.born", year=view.birth_year))
    if view.category and t.has(f"category.{view.category}"):
        parts.append(t(f"category.{view.category}"))
    if view.manual_reason:
        key = f"manual.{view.manual_reason}"
        # The venue's own reason label (config) when the catalogue has none.
        parts.append(t(key) if t.has(key) else view.manual_reason)
    elif not view.verified:
        parts.append(t("pass.unverified"))
    return " · ".join(parts)


def _mark(surf: pygame.Surface, verdict: Verdict, center: tuple[int, int], r: int) -> None:
    """A tick (PASS) or a cross (FAIL) on a white disc."""
    pygame.draw.circle(surf, WHITE, center, r)
    cx, cy = center
    width = max(4, r // 5)
    if verdict is Verdict.PASS:
        pts = [
            (cx - r * 0.5, cy + r * 0.02),
            (cx - r * 0.12, cy + r * 0.4),
            (cx + r * 0.55, cy - r * 0.38),
        ]
        pygame.draw.lines(surf, PASS_BG, False, pts, width)
    else:
        d = r * 0.45
        pygame.draw.line(surf, FAIL_BG, (cx - d, cy - d), (cx + d, cy + d), width)
        pygame.draw.line(surf, FAIL_BG, (cx - d, cy + d), (cx + d, cy - d), width)
