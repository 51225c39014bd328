"""The pictograms on real pixels: drawn in one colour only, their cut-outs showing the screen."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pygame
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.display import icons

Color = tuple[int, int, int]
colors = st.tuples(*[st.integers(0, 255)] * 3)


def pixels(surf: pygame.Surface) -> npt.NDArray[np.uint8]:
    return np.asarray(pygame.surfarray.pixels3d(surf)).swapaxes(0, 1).copy()


def painted(
    name: str, fg: Color, bg: Color, side: int
) -> tuple[npt.NDArray[np.uint8], pygame.Rect]:
    surf = pygame.Surface((4 * side, 4 * side))
    surf.fill(bg)
    box = pygame.Rect(0, 0, side, side)
    box.center = surf.get_rect().center
    icons.draw(surf, name, box, fg)
    return pixels(surf), box


@settings(deadline=None, max_examples=40)
@given(name=st.sampled_from(sorted(icons.DRAWERS)), fg=colors, bg=colors, side=st.integers(8, 90))
def test_an_icon_is_drawn_in_its_colour_alone_near_its_box(
    name: str, fg: Color, bg: Color, side: int
) -> None:
    px, box = painted(name, fg, bg, side)
    # The phone's screen is white and its code black, whatever the phone's colour.
    allowed = [fg, bg] + ([(255, 255, 255), (0, 0, 0)] if name == "phone" else [])
    match = np.zeros(px.shape[:2], dtype=bool)
    for c in allowed:
        match |= np.all(px == c, axis=2)
    assert match.all(), "a colour blended from the icon's and the screen's"
    changed = np.any(px != bg, axis=2)
    if fg != bg:
        assert changed.any()
    room = box.inflate(box.w, box.h)  # strokes may reach past the box, not further
    outside = changed.copy()
    outside[room.top : room.bottom, room.left : room.right] = False
    assert not outside.any()


@pytest.mark.parametrize("bg", [(40, 40, 40), (0, 92, 40), (255, 255, 255)])
def test_the_warning_signs_mark_shows_the_screen_under_it(bg: Color) -> None:
    amber = (255, 196, 0)
    px, box = painted("warning", amber, bg, 60)
    dot = (box.centerx, int(box.top + 60 * 0.82))  # the exclamation mark's dot
    bar = (box.centerx, box.top + 60 // 2)  # and its stroke
    for x, y in (dot, bar):
        assert tuple(px[y, x]) == bg
    assert tuple(px[box.bottom - 3, box.centerx]) == amber  # the sign itself
