"""Where things go on a screen of a given size, and how large visitors' and staff's text must be."""

from __future__ import annotations

import pygame

# Visitors' text is read from 2 m. A 7-inch 800×480 panel is 154 mm wide: 0.193 mm a pixel.
# The rule: capitals at least 4.2 mm high, 7.2 minutes of arc at 2 m (readable with 20/30
# vision; a 20/20 letter is 5′). DejaVu Sans Bold's capitals are 0.73 of the font size, so
# 30 px on 480 px: every visitor's line, either language, is at least 6.1 % of the short
# side. Staff text (the status strip, the guard's screens) is read at arm's length: 3.6 %.
READ_AT_2M = 0.061
READ_BY_STAFF = 0.036
CAP_HEIGHT = 0.73
SECOND_LANGUAGE = 0.8  # the second language's size, of the first's (never under the floor)


class Layout:
    """Where things go, from the screen size alone: landscape or portrait, 800×480 to 4K."""

    def __init__(self, w: int, h: int) -> None:
        self.w, self.h = w, h
        self.unit = min(w, h)
        self.portrait = h > w * 1.05
        self.margin = max(6, round(self.unit * 0.035))
        self.strip = pygame.Rect(0, 0, w, max(22, round(self.unit * 0.075)))
        self.body = pygame.Rect(0, self.strip.bottom, w, h - self.strip.bottom)
        m = self.margin
        # The preview leaves the words room for two languages at the 2 m size.
        if self.portrait:
            box = pygame.Rect(m, self.body.top + m, w - 2 * m, int(self.body.h * 0.36))
        else:
            box = pygame.Rect(m, self.body.top + m, int(w * 0.36) - m, self.body.h - 2 * m)
        # The preview keeps the camera's 4:3 shape, as large as fits its box.
        pw = min(box.w, box.h * 4 // 3)
        ph = pw * 3 // 4
        self.preview = pygame.Rect(0, 0, pw, ph)
        self.preview.center = box.center
        # Landscape: the preview at the top of its column, the pictogram under it.
        self.pictogram: pygame.Rect | None = None
        if not self.portrait:
            self.preview.top = box.top
            below = pygame.Rect(
                box.left, self.preview.bottom + m, box.w, box.bottom - self.preview.bottom - m
            )
            self.pictogram = below if below.h >= self.unit * 0.1 else None
        if self.portrait:
            self.panel = pygame.Rect(
                m,
                self.preview.bottom + m,
                w - 2 * m,
                self.body.bottom - self.preview.bottom - 2 * m,
            )
        else:
            self.panel = pygame.Rect(
                self.preview.right + m,
                self.body.top + m,
                w - self.preview.right - 2 * m,
                self.body.h - 2 * m,
            )
