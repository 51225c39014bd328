"""Pictograms drawn with lines and shapes (no image files): status icons, the phone, arrows."""

from __future__ import annotations

from collections.abc import Callable

import pygame

Color = tuple[int, int, int]
Drawer = Callable[[pygame.Surface, pygame.Rect, Color], None]

# What a pictogram cuts out of itself (the gap beside a stroke through it, the exclamation
# mark in the warning sign): drawn transparent, so the screen under the icon shows through.
CUT = (0, 0, 0, 0)


def _line_w(box: pygame.Rect) -> int:
    return max(2, box.w // 9)


def _offline(surf: pygame.Surface, box: pygame.Rect, fg: Color) -> None:
    """A Wi-Fi fan, struck through."""
    w = _line_w(box)
    base = (box.centerx, box.bottom - w)
    for k in (0.95, 0.65, 0.35):
        r = int(box.h * k)
        arc = pygame.Rect(0, 0, 2 * r, 2 * r)
        arc.center = base
        pygame.draw.arc(surf, fg, arc, 0.8, 2.35, w)
    pygame.draw.circle(surf, fg, base, w)
    pygame.draw.line(surf, CUT, box.topleft, box.bottomright, w + 4)
    pygame.draw.line(surf, fg, box.topleft, box.bottomright, w)


def _inside(surf: pygame.Surface, box: pygame.Rect, fg: Color) -> None:
    """A person."""
    r = box.h // 5
    pygame.draw.circle(surf, fg, (box.centerx, box.top + r), r)
    body = pygame.Rect(0, 0, int(box.w * 0.7), box.h // 2)
    body.midbottom = box.midbottom
    # The shoulders: the top half of an ellipse, clipped to the icon's box (filling below the
    # box instead would paint the strip's colour over the screen under it).
    clip = surf.get_clip()
    surf.set_clip(box.clip(clip))
    pygame.draw.ellipse(surf, fg, body.inflate(0, body.h))
    surf.set_clip(clip)


def _queued(surf: pygame.Surface, box: pygame.Rect, fg: Color) -> None:
    """An arrow going up: records waiting to be sent."""
    w = _line_w(box)
    cx = box.centerx
    pygame.draw.line(surf, fg, (cx, box.top + w), (cx, box.bottom), w)
    pygame.draw.polygon(
        surf, fg, [(cx, box.top), (box.left + w, box.centery - w), (box.right - w, box.centery - w)]
    )


def _clock(surf: pygame.Surface, box: pygame.Rect, fg: Color) -> None:
    w = _line_w(box)
    r = box.h // 2
    pygame.draw.circle(surf, fg, box.center, r, w)
    pygame.draw.line(surf, fg, box.center, (box.centerx, box.top + w * 2), w)
    pygame.draw.line(surf, fg, box.center, (box.right - w * 2, box.centery), w)


def _stale(surf: pygame.Surface, box: pygame.Rect, fg: Color) -> None:
    """An hourglass: the lists are old."""
    x0, x1, cx, cy = box.left + 2, box.right - 2, box.centerx, box.centery
    pygame.draw.polygon(surf, fg, [(x0, box.top), (x1, box.top), (cx, cy)])
    pygame.draw.polygon(surf, fg, [(x0, box.bottom), (x1, box.bottom), (cx, cy)])


def _reader(surf: pygame.Surface, box: pygame.Rect, fg: Color) -> None:
    """A scanner, struck through."""
    w = _line_w(box)
    pygame.draw.rect(surf, fg, box.inflate(-box.w // 3, -box.h // 6), w)
    pygame.draw.line(surf, CUT, box.topleft, box.bottomright, w + 4)
    pygame.draw.line(surf, fg, box.topleft, box.bottomright, w)


def _muted(surf: pygame.Surface, box: pygame.Rect, fg: Color) -> None:
    """A loudspeaker with a cross."""
    w = _line_w(box)
    x, cy, h = box.left, box.centery, box.h
    pygame.draw.polygon(
        surf,
        fg,
        [
            (x, cy - h // 6), (x + h // 4, cy - h // 6), (x + h // 2, cy - h // 2),
            (x + h // 2, cy + h // 2), (x + h // 4, cy + h // 6), (x, cy + h // 6),
        ],
    )  # fmt: skip
    d = h // 5
    mx = box.right - d - w
    pygame.draw.line(surf, fg, (mx - d, cy - d), (mx + d, cy + d), w)
    pygame.draw.line(surf, fg, (mx - d, cy + d), (mx + d, cy - d), w)


def _phone(surf: pygame.Surface, box: pygame.Rect, fg: Color) -> None:
    """A phone showing a QR code."""
    r = max(3, box.w // 7)
    pygame.draw.rect(surf, fg, box, border_radius=r)
    screen = box.inflate(-box.w // 6, -box.h // 4)
    pygame.draw.rect(surf, (255, 255, 255), screen)
    side = min(screen.w, screen.h) * 9 // 10
    qr = pygame.Rect(0, 0, side, side)
    qr.center = screen.center
    cell = max(1, side // 7)
    dark = (0, 0, 0)
    # Three finder squares and a few modules: reads as "QR" at any size.
    for fx, fy in ((0, 0), (4, 0), (0, 4)):
        outer = pygame.Rect(qr.left + fx * cell, qr.top + fy * cell, 3 * cell, 3 * cell)
        pygame.draw.rect(surf, dark, outer)
        pygame.draw.rect(surf, (255, 255, 255), outer.inflate(-cell, -cell))
        pygame.draw.rect(surf, dark, outer.inflate(-2 * cell, -2 * cell).inflate(1, 1))
    for mx, my in ((4, 4), (5, 5), (6, 4), (4, 6), (6, 6), (3, 5), (5, 3)):
        surf.fill(dark, pygame.Rect(qr.left + mx * cell, qr.top + my * cell, cell, cell))


def _arrow(angle: int) -> Drawer:
    """A thick arrow pointing up (0), right (90), down (180) or left (270)."""

    def draw(surf: pygame.Surface, box: pygame.Rect, fg: Color) -> None:
        # Drawn pointing up in unit coordinates, then turned.
        shape = [(0, -1), (0.8, -0.1), (0.3, -0.1), (0.3, 1), (-0.3, 1), (-0.3, -0.1), (-0.8, -0.1)]
        turns = {0: (1, 0, 0, 1), 90: (0, -1, 1, 0), 180: (1, 0, 0, -1), 270: (0, 1, -1, 0)}
        a, b, c, d = turns[angle]
        half = box.w / 2
        pts = [
            (box.centerx + (a * x + b * y) * half, box.centery + (c * x + d * y) * half)
            for x, y in shape
        ]
        pygame.draw.polygon(surf, fg, pts)

    return draw


def _warning(surf: pygame.Surface, box: pygame.Rect, fg: Color) -> None:
    """A warning triangle with an exclamation mark."""
    cx, top, side = box.centerx, box.top, box.h
    pygame.draw.polygon(
        surf, fg, [(cx, top), (cx - side * 0.58, top + side), (cx + side * 0.58, top + side)]
    )
    pygame.draw.rect(surf, CUT, (cx - side // 20, top + side * 0.3, max(2, side // 10), side * 0.4))
    pygame.draw.circle(surf, CUT, (cx, int(top + side * 0.82)), max(2, side // 16))


DRAWERS: dict[str, Drawer] = {
    "offline": _offline,
    "inside": _inside,
    "queued": _queued,
    "clock": _clock,
    "stale": _stale,
    "reader": _reader,
    "muted": _muted,
    "phone": _phone,
    "warning": _warning,
    "arrow-above": _arrow(0),
    "arrow-right": _arrow(90),
    "arrow-below": _arrow(180),
    "arrow-left": _arrow(270),
}


def draw(surf: pygame.Surface, name: str, box: pygame.Rect, fg: Color) -> None:
    """The pictogram `name` in colour `fg`, sized to `box`, on whatever `surf` shows there."""
    # On a layer of its own with half the box's room on each side (strokes reach past the
    # box: the Wi-Fi fan's arcs, the warning sign's corners), then laid over the surface.
    area = box.inflate(box.w, box.h)
    layer = pygame.Surface(area.size, pygame.SRCALPHA)
    DRAWERS[name](layer, box.move(-area.x, -area.y), fg)
    surf.blit(layer, area)
