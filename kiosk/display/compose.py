"""A frame's base picture: the view measured at shrinking scales until it fits, then the strip."""

from __future__ import annotations

import math
from datetime import datetime

from kiosk.display.canvas import Canvas
from kiosk.display.layout import READ_AT_2M, READ_BY_STAFF
from kiosk.display.renderers.error import draw_error
from kiosk.display.renderers.guard import draw_guard
from kiosk.display.renderers.idle import draw_idle
from kiosk.display.renderers.verdict import draw_verdict
from kiosk.display.strip import draw_strip
from kiosk.display.views import (
    ErrorView,
    GuardView,
    IdleView,
    NoticeView,
    StatusBar,
    VerdictView,
    View,
)

SCALES = (1.0, 0.86, 0.74, 0.62, 0.5, 0.42, 0.36)
PORTRAIT_SCALES = (1.4, 1.25, 1.12)  # portrait screens have the height for larger text first


def compose(canvas: Canvas, view: View, status: StatusBar, now: datetime) -> None:
    """Draw the view and the strip on the canvas's surface (which the view's family fills)."""
    lay = canvas.layout
    staff = isinstance(view, GuardView)
    canvas.floor = math.ceil(lay.unit * (READ_BY_STAFF if staff else READ_AT_2M))
    # Measure at full size; if the content runs past the bottom, measure again smaller
    # (text is laid out, not rendered). Then draw it once, centred in the space it has.
    live = isinstance(view, IdleView) and canvas.cfg.preview
    area = lay.panel if live else lay.body
    scales = (*PORTRAIT_SCALES, *SCALES) if lay.portrait else SCALES
    scale = 1.0
    bottom = 0
    canvas.measuring = True
    try:
        for scale in scales:
            canvas.reset()
            bottom = draw_body(canvas, view, status, scale, 0)
            if bottom <= area.bottom - lay.margin:
                break
    finally:
        canvas.measuring = False
    slack = area.bottom - bottom
    dy = 0
    if slack > lay.margin * 2 and not isinstance(view, NoticeView):
        dy = max(0, slack // 2 - (lay.margin if not live else 0))
    canvas.reset()
    draw_body(canvas, view, status, scale, dy)
    draw_strip(canvas, status, now, staff)


def draw_body(canvas: Canvas, view: View, status: StatusBar, s: float, dy: int) -> int:
    """Draw the view's body at scale `s`, `dy` lower; returns the y below its content."""
    u = canvas.layout.unit * s
    # Headings shrink more slowly than the rest, which stops at the floor: the verdict's
    # title stays the largest line when a screen is crowded.
    canvas.heading = canvas.layout.unit * math.sqrt(s)
    if isinstance(view, IdleView):
        return draw_idle(canvas, view, u, dy)
    if isinstance(view, VerdictView):
        return draw_verdict(canvas, view, status, u, dy)
    if isinstance(view, ErrorView):
        return draw_error(canvas, view, u, dy)
    return draw_guard(canvas, view, u, dy)
