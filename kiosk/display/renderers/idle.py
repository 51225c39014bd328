"""The waiting screen: logo, venue, how to scan with a pictogram, or a help hint."""

from __future__ import annotations

import pygame

from kiosk.display.canvas import Canvas
from kiosk.display.colors import ARROW, HINT_BG, HINT_FG, IDLE_BG, MUTED, WHITE
from kiosk.display.views import IdleView


def draw_idle(canvas: Canvas, view: IdleView, u: float, dy: int) -> int:
    """The idle view at unit size `u`, `dy` lower; returns the y below it."""
    lay, t, preview = canvas.layout, canvas.t, canvas.cfg.preview
    canvas.surface.fill(IDLE_BG)
    panel = lay.panel if preview else lay.body.inflate(-2 * lay.margin, -2 * lay.margin)
    if preview:
        pygame.draw.rect(canvas.surface, (0, 0, 0), lay.preview)
    pcx, pw = panel.centerx, panel.w
    y = panel.top + dy
    if canvas.logo is not None:
        y = _logo(canvas, canvas.logo, pcx, y, pw, int(u * 0.12)) + int(u * 0.02)
    y = canvas.line(canvas.venue, int(u * 0.07), MUTED, pcx, y, pw) + int(u * 0.03)
    y = canvas.lines(t.lines("idle.title"), int(u * 0.11), WHITE, pcx, y, pw)
    y += int(u * 0.03)
    if view.hint:
        # A code is in view: what to show and how to aim give way to what to change.
        return _hint(canvas, view.hint, panel, u, y)
    y = canvas.lines(t.lines("idle.subtitle", admits=view.admits), int(u * 0.05), MUTED, pcx, y, pw)
    if preview and lay.pictogram is not None:
        room = lay.pictogram
        h = min(room.h, int(lay.unit * 0.25))
        _pictogram(canvas, room.centerx, room.top + (room.h - h) // 2, h)
    else:
        y = _pictogram(canvas, pcx, y + int(u * 0.03), int(u * 0.2))
    if preview and len(t.languages) == 1:
        # The aiming frame's corners say it too: with two languages, room goes to them.
        y = canvas.lines(t.lines("idle.frame"), int(u * 0.05), MUTED, pcx, y + int(u * 0.03), pw)
    if canvas.cfg.notice is not None:
        y = _notice(canvas, u, y + int(u * 0.03), panel)
    return y


def _notice(canvas: Canvas, u: float, top: int, panel: pygame.Rect) -> int:
    """The venue's privacy notice, last and small (never below the 2 m floor): who records,
    why, how long, where to ask; the poster has the rest. Where even the smallest scale
    leaves no room for it in two languages (a portrait screen beside its preview), it is
    shown in the first."""
    from kiosk.display.compose import SCALES  # compose draws this module's views

    notice = canvas.cfg.notice
    assert notice is not None
    words = [notice.vi if lang == "vi" else notice.en for lang in canvas.t.languages]
    args = (int(u * 0.045), MUTED, panel.centerx, top, panel.w)
    if len(words) > 1 and u <= canvas.layout.unit * SCALES[-1]:
        with canvas.measured():
            end = canvas.lines(words, *args)
        if end > panel.bottom - canvas.layout.margin:
            words = words[:1]
    return canvas.lines(words, *args)


def _logo(canvas: Canvas, logo: pygame.Surface, cx: int, y: int, max_w: int, h: int) -> int:
    lw, lh = logo.get_size()
    scale = min(h / lh, max_w / lw)
    size = (max(1, int(lw * scale)), max(1, int(lh * scale)))
    image = pygame.transform.smoothscale(logo, size)
    rect = image.get_rect(midtop=(cx, y))
    canvas.surface.blit(image, rect)
    canvas.icons.append("logo")
    return rect.bottom


def _pictogram(canvas: Canvas, cx: int, y: int, h: int) -> int:
    """A phone showing a QR code, and an arrow toward the camera."""
    side = canvas.cfg.camera_at
    phone = pygame.Rect(0, 0, int(h * 0.56), h)
    arrow = pygame.Rect(0, 0, int(h * 0.6), int(h * 0.6))
    gap = h // 6
    total = phone.w + gap + arrow.w
    left = cx - total // 2
    if side == "left":
        arrow.topleft = (left, y + (h - arrow.h) // 2)
        phone.topleft = (arrow.right + gap, y)
    else:
        phone.topleft = (left, y)
        arrow.topleft = (phone.right + gap, y + (h - arrow.h) // 2)
    canvas.icon("phone", phone, WHITE)
    canvas.icon(f"arrow-{side}", arrow, ARROW)
    return y + h


def _hint(canvas: Canvas, hint: str, panel: pygame.Rect, u: float, top: int) -> int:
    """The help hint on an amber box (the amber of the unread code's outline)."""
    lines = canvas.t.lines(hint)
    pad = int(u * 0.02)
    args = (int(u * 0.08), HINT_FG, panel.centerx, top + pad, panel.w - 2 * canvas.layout.margin)
    # Measure first, then draw the box and the text on it.
    with canvas.measured():
        end = canvas.lines(lines, *args)
    box = pygame.Rect(panel.left, top, panel.w, end - top + pad)
    pygame.draw.rect(canvas.surface, HINT_BG, box, border_radius=max(4, int(u * 0.02)))
    return canvas.lines(lines, *args) + pad
