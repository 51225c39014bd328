"""Text set to fit a width: one size per paragraph, balanced lines, cut with "…" where it must."""

from __future__ import annotations

from collections.abc import Callable
from importlib import resources
from pathlib import Path

import pygame

from kiosk.display.text import balanced_lines

_FONT_DIR = resources.files("kiosk.display").joinpath("fonts")

Fitted = tuple[int, list[str]]  # the size, and the lines at that size


def default_font_path() -> Path:
    # DejaVu Sans covers all of Vietnamese (Latin Extended Additional); pygame's bundled
    # freesansbold.ttf lacks letters such as ễ and would draw boxes.
    return Path(str(_FONT_DIR.joinpath("DejaVuSans-Bold.ttf")))


def elide(text: str, font: pygame.font.Font, room: int) -> str:
    """The text, cut with "…" to fit `room` pixels."""
    if font.size(text)[0] <= room:
        return text
    lo, hi = 0, len(text)  # the longest head that fits with "…": a binary search
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if font.size(text[:mid] + "…")[0] <= room:
            lo = mid
        else:
            hi = mid - 1
    return text[:lo].rstrip() + "…" if lo else ""


def _smaller(size: int) -> int:
    return size - max(1, size // 16)


class Fonts:
    """One font file at every size asked for, with what was measured in it remembered (a
    crowded view is laid out at several scales, the guard's table measures every cell at every
    scale it tries). pygame's font module must be initialised while one is in use."""

    def __init__(self, path: str) -> None:
        self._path = path
        self._fonts: dict[int, pygame.font.Font] = {}
        self._fitted: dict[tuple[str, int, int, int], Fitted] = {}
        self._widths: dict[tuple[str, int], int] = {}

    def clear(self) -> None:
        """Forget every font and measure (before pygame's font module is shut down)."""
        self._fonts.clear()
        self._fitted.clear()
        self._widths.clear()

    def font(self, px: int) -> pygame.font.Font:
        px = max(8, px)
        font = self._fonts.get(px)
        if font is None:
            font = self._fonts[px] = pygame.font.Font(self._path, px)
        return font

    def width(self, px: int, text: str) -> int:
        """A text's width at a size, remembered."""
        key = (text, px)
        width = self._widths.get(key)
        if width is None:
            if len(self._widths) > 4096:
                self._widths.clear()
            width = self._widths[key] = self.font(px).size(text)[0]
        return width

    def fit(self, text: str, px: int, max_w: int, floor: int) -> Fitted:
        """One size for the whole paragraph: on one line if it fits at no less than 85 % of
        `px`, else balanced lines (see _wrap). Remembered: a crowded view is drawn at several
        scales, and the same paragraph recurs at its floor size."""
        key = (text, px, max_w, floor)
        fitted = self._fitted.get(key)
        if fitted is None:
            if len(self._fitted) > 2048:
                self._fitted.clear()  # bounded: venue and masked names change
            fitted = self._fitted[key] = self._wrap(text, px, max_w, floor)
        return fitted[0], list(fitted[1])

    def _measure(self, size: int) -> Callable[[str], int]:
        font = self.font(size)
        return lambda text: font.size(text)[0]

    def _wrap(self, text: str, px: int, max_w: int, floor: int) -> Fitted:
        px = max(px, floor)
        size = px
        while size >= max(floor, int(px * 0.85)):
            if self.font(size).size(text)[0] <= max_w:
                return size, [text]
            size = _smaller(size)
        # Smaller rather than a compound split ("Nhân / viên"); split only below the floor.
        return self._fewest_lines(text, px, max_w, floor) or self._split(text, px, max_w, floor)

    def _fewest_lines(self, text: str, px: int, max_w: int, floor: int) -> Fitted | None:
        """Down to 70 % of the size asked, the size with the fewest lines, compounds whole."""
        size = px
        best: Fitted | None = None
        while size >= floor and (best is None or size >= px * 0.7):
            lines = balanced_lines(text, self._measure(size), max_w, split_glued=False)
            if lines is not None and (best is None or len(lines) < len(best[1])):
                best = (size, lines)
                if len(lines) == 1:
                    break
            size = _smaller(size)
        return best

    def _split(self, text: str, px: int, max_w: int, floor: int) -> Fitted:
        """The largest size at which the text fits with compounds split where they must be."""
        size = px
        while True:
            lines = balanced_lines(text, self._measure(size), max_w)
            if lines is not None or size <= 8:
                return size, lines or [text]
            # The floor itself is tried: a step from above it must not skip past it.
            size = floor if size > floor > _smaller(size) else _smaller(size)
