"""The layout from the size alone: the preview 4:3 beside or above the words, all on screen."""

from __future__ import annotations

import pygame
from hypothesis import given
from hypothesis import strategies as st

from kiosk.display.gallery import RESOLUTIONS
from kiosk.display.layout import Layout

# Every size the config accepts with a shape a screen has: from 21:9 to 9:21.
sizes = st.tuples(st.integers(320, 7680), st.integers(240, 4320)).filter(
    lambda s: 9 / 21 <= s[0] / s[1] <= 21 / 9
)


@given(sizes)
def test_the_preview_and_the_words_share_the_body_without_overlapping(
    size: tuple[int, int],
) -> None:
    w, h = size
    lay = Layout(w, h)
    screen = pygame.Rect(0, 0, w, h)
    assert lay.strip.top == 0 and lay.body.top == lay.strip.bottom and lay.body.bottom == h
    for part in (lay.preview, lay.panel, *([lay.pictogram] if lay.pictogram else [])):
        assert lay.body.contains(part), part
        assert screen.contains(part)
    assert not lay.preview.colliderect(lay.panel)
    assert abs(lay.preview.w * 3 - lay.preview.h * 4) <= 4  # the camera's shape
    assert lay.panel.w > 0 and lay.panel.h > 0
    if lay.pictogram is not None:
        assert not lay.pictogram.colliderect(lay.preview)
        assert not lay.pictogram.colliderect(lay.panel)


def test_portrait_screens_put_the_preview_above_and_landscape_ones_beside() -> None:
    for w, h in RESOLUTIONS:
        lay = Layout(w, h)
        if h > w:
            assert lay.portrait and lay.preview.bottom <= lay.panel.top and lay.pictogram is None
        else:
            assert not lay.portrait and lay.preview.right <= lay.panel.left
            assert lay.pictogram is not None and lay.pictogram.top >= lay.preview.bottom
