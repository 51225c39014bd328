"""Out of order, or cannot record: a warning sign and what to do."""

from __future__ import annotations

import pygame

from kiosk.display import icons
from kiosk.display.canvas import Canvas
from kiosk.display.colors import AMBER, ERROR_BG, WHITE
from kiosk.display.views import ErrorView


def draw_error(canvas: Canvas, view: ErrorView, u: float, dy: int) -> int:
    lay, t = canvas.layout, canvas.t
    cx, w = lay.w // 2, lay.w - 2 * lay.margin
    canvas.surface.fill(ERROR_BG)
    top = lay.body.top + lay.margin + dy
    side = int(u * 0.2)
    sign = pygame.Rect(cx - side // 2, top, side, side)
    icons.draw(canvas.surface, "warning", sign, AMBER)
    y = top + side + int(u * 0.04)
    y = canvas.lines(t.lines(view.key), int(u * 0.11), AMBER, cx, y, w) + int(u * 0.03)
    return canvas.lines(t.lines("error.hint"), int(u * 0.07), WHITE, cx, y, w)
