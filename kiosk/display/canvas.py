"""What a frame is drawn on (surface, fonts, layout, languages), and a record of the text drawn."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

import pygame

from kiosk.config import DisplayConfig
from kiosk.display import icons
from kiosk.display.colors import Color
from kiosk.display.fit import Fonts
from kiosk.display.layout import SECOND_LANGUAGE, Layout
from kiosk.display.messages import Messages


@dataclass(frozen=True)
class TextLine:
    """One line of text a frame drew."""

    text: str
    rect: pygame.Rect
    px: int
    paragraph: int  # lines of one paragraph share a number (and a size)
    floor: int  # the least size its rule allows (the 2 m rule for visitors' text)


@dataclass(frozen=True)
class Rendered:
    """What a frame drew: each line of text where and at what size, in drawing order (the
    view's first line first), and the pictograms and status icons by name."""

    lines: tuple[TextLine, ...]
    icons: tuple[str, ...] = ()

    @property
    def text_rects(self) -> tuple[pygame.Rect, ...]:
        return tuple(line.rect for line in self.lines)

    @property
    def font_sizes(self) -> tuple[int, ...]:
        return tuple(line.px for line in self.lines)


@dataclass
class Canvas:
    """One frame's base picture being drawn. While `measuring`, text is laid out, not rendered:
    a view is measured at shrinking scales until it fits, then drawn once."""

    surface: pygame.Surface
    layout: Layout
    fonts: Fonts
    cfg: DisplayConfig
    venue: str
    t: Messages  # the visitors' languages
    guard_t: Messages  # the guard's
    logo: pygame.Surface | None
    floor: int = 8  # the least font size the view being drawn allows
    heading: float = 0.0  # the size headings are drawn from (see compose.draw_body)
    measuring: bool = False
    drawn: list[TextLine] = field(default_factory=list)
    icons: list[str] = field(default_factory=list)
    paragraph: int = 0

    def reset(self) -> None:
        """Forget what was drawn: the view is drawn again."""
        self.drawn, self.icons, self.paragraph = [], [], 0

    def rendered(self) -> Rendered:
        return Rendered(tuple(self.drawn), tuple(self.icons))

    @contextmanager
    def measured(self) -> Iterator[None]:
        """Lay out without drawing or recording, to learn how much room something takes."""
        kept = (list(self.drawn), self.paragraph, self.measuring)
        self.measuring = True
        try:
            yield
        finally:
            self.drawn, self.paragraph, self.measuring = kept

    def font(self, px: int) -> pygame.font.Font:
        return self.fonts.font(px)

    def line(self, text: str, px: int, color: Color, center_x: int, top: int, max_w: int) -> int:
        """One paragraph, centred, in one size; returns the y below it."""
        floor = self.floor
        size, lines = self.fonts.fit(text, px, max_w, floor)
        font = self.font(size)
        self.paragraph += 1
        y = top
        for line in lines:
            if self.measuring:
                rect = pygame.Rect((0, 0), font.size(line))
                rect.midtop = (center_x, y)
            else:
                image = font.render(line, True, color)
                rect = image.get_rect(midtop=(center_x, y))
                self.surface.blit(image, rect)
            self.drawn.append(TextLine(line, rect, size, self.paragraph, floor))
            y = rect.bottom
        return y

    def lines(
        self, lines: Sequence[str], px: int, color: Color, center_x: int, top: int, max_w: int
    ) -> int:
        """A text in one or two languages: the second a little smaller, under the first."""
        y = top
        for i, text in enumerate(lines):
            size = px if i == 0 else int(px * SECOND_LANGUAGE)
            y = self.line(text, size, color, center_x, y, max_w)
        return y

    def text_at(self, text: str, size: int, color: Color, topleft: tuple[int, int]) -> pygame.Rect:
        """Text at a place, not centred (a table's cell); recorded in the current paragraph."""
        font = self.font(size)
        rect = (
            pygame.Rect(topleft, font.size(text))
            if self.measuring
            else self.surface.blit(font.render(text, True, color), topleft)
        )
        self.drawn.append(TextLine(text, rect, size, self.paragraph, self.floor))
        return rect

    def icon(self, name: str, box: pygame.Rect, fg: Color) -> None:
        icons.draw(self.surface, name, box, fg)
        self.icons.append(name)
