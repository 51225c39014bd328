"""The status strip: direction, staff matters (icons or, for the guard, words), date and time."""

from __future__ import annotations

from datetime import datetime

import pygame

from kiosk.display.canvas import Canvas, TextLine
from kiosk.display.colors import AMBER, MUTED, STRIP_BG, WHITE, Color
from kiosk.display.views import StatusBar


def draw_strip(canvas: Canvas, status: StatusBar, now: datetime, staff: bool) -> None:
    """Direction, then (visitors' screens) small calm icons or (the guard's) words, and
    the date and time on the right. The offline state never gives way."""
    lay = canvas.layout
    canvas.surface.fill(STRIP_BG, lay.strip)
    px = max(12, int(lay.strip.h * 0.55))
    font = canvas.font(px)
    pad = lay.margin // 2 + 4
    t = canvas.guard_t if staff else canvas.t
    direction = t.joined(f"direction.{status.direction}")
    if font.size(direction)[0] > lay.w * 0.3:
        direction = t(f"direction.{status.direction}")  # narrow: the first language
    stamp = now.strftime("%d/%m/%Y  %H:%M")
    room = lay.w - 2 * pad - font.size(direction)[0] - font.size(stamp)[0]
    if room < lay.strip.h * 2 or (staff and room < lay.w * 0.4):
        stamp = now.strftime("%H:%M")  # the date gives way before the offline icon
    clock = font.render(stamp, True, WHITE)
    right = clock.get_rect(midright=(lay.w - pad, lay.strip.centery))
    canvas.surface.blit(clock, right)
    canvas.drawn.append(TextLine(stamp, right, px, 0, 0))
    x = _text(canvas, direction, font, WHITE, pad, right.left - pad)
    if x is None:
        return
    if staff:
        _words(canvas, status, font, x + pad * 2, right.left - pad)
    else:
        _icons(canvas, status, font, x + pad * 2, right.left - pad)


def _text(
    canvas: Canvas, text: str, font: pygame.font.Font, color: Color, x: int, limit: int
) -> int | None:
    """The text from `x`, and the x right of it; None (nothing drawn) past `limit`."""
    image = font.render(text, True, color)
    if x + image.get_width() > limit:
        return None
    rect = canvas.surface.blit(image, image.get_rect(midleft=(x, canvas.layout.strip.centery)))
    canvas.drawn.append(TextLine(text, rect, font.get_height(), 0, 0))
    return rect.right


def _words(canvas: Canvas, status: StatusBar, font: pygame.font.Font, x: int, limit: int) -> None:
    """The guard's strip: what is wrong, in words, most important first."""
    items: list[tuple[tuple[str, str], Color]] = []
    if status.occupancy is not None:
        key = "status.inside.stale" if status.occupancy_stale else "status.inside"
        text = _staff_text(canvas, key, n=status.occupancy)
        items.append(((text, text), WHITE))
    warn = _warnings(canvas, status)
    pad = canvas.layout.margin + 8
    # The count gives way to the most important warning: both, with the gap between them,
    # must fit, or the warning (in its short form at least) is drawn alone.
    count = font.size(items[0][0][0])[0] if items else 0
    if warn and items and x + count + pad + font.size(warn[0][1])[0] > limit:
        items = []
    for (text, short), color in [*items, *((w, AMBER) for w in warn)]:
        end = _text(canvas, text, font, color, x, limit)
        if end is None:
            end = _text(canvas, short, font, color, x, limit)
        if end is None:
            break  # less important items give way on narrow screens
        x = end + pad


def _warnings(canvas: Canvas, status: StatusBar) -> list[tuple[str, str]]:
    """What is wrong, most important first (offline never gives way), each in the guard's
    languages and in a shorter form."""
    warn: list[tuple[str, str]] = []
    if status.online is False:
        warn.append(_warning(canvas, "status.offline"))
    if status.clock_offset is not None:
        warn.append(_warning(canvas, "status.clock_offset", n=status.clock_offset))
    if status.lists_stale:
        warn.append(_warning(canvas, "status.lists_stale"))
    if status.camera_missing:
        warn.append(_warning(canvas, "status.camera_missing"))
    if status.reader_down:
        warn.append(_warning(canvas, "status.reader_down"))
    if status.queued:
        warn.append(_warning(canvas, "status.waiting", n=status.queued))
    if status.muted:
        warn.append(_warning(canvas, "status.muted"))
    if status.registry_backup is not None:
        warn.append(_warning(canvas, "status.registry_backup", n=status.registry_backup))
    return warn


def _staff_text(canvas: Canvas, key: str, **values: object) -> str:
    return " · ".join(canvas.guard_t.lines(key, **values))


def _warning(canvas: Canvas, key: str, **values: object) -> tuple[str, str]:
    """The warning in each language, and a shorter form (one language) for a narrow strip."""
    short = f"{key}.short"
    text = _staff_text(canvas, key, **values)
    return text, canvas.guard_t(short if canvas.guard_t.has(short) else key, **values)


def _icons(canvas: Canvas, status: StatusBar, font: pygame.font.Font, x: int, limit: int) -> None:
    """Visitors' strip: staff matters as small icons in a quiet colour, offline first."""
    size = max(10, int(canvas.layout.strip.h * 0.6))
    items: list[tuple[str, str]] = []
    if status.online is False:
        items.append(("offline", ""))
    if status.occupancy is not None:
        items.append(("inside", str(status.occupancy)))
    if status.queued:
        items.append(("queued", str(status.queued)))
    for name, on in (
        ("clock", status.clock_offset is not None),
        ("stale", status.lists_stale),
        ("reader", status.reader_down),
        ("muted", status.muted),
    ):
        if on:
            items.append((name, ""))
    cy = canvas.layout.strip.centery
    for name, count in items:
        width = size + (font.size(count)[0] + 2 if count else 0)
        if x + width > limit:
            break
        box = pygame.Rect(x, cy - size // 2, size, size)
        canvas.icon(name, box, MUTED)
        if count:
            _text(canvas, count, font, MUTED, box.right + 2, limit)
        x += width + size // 2
