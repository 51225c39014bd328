"""PNGs written for speed decode, in any reader, to exactly the pixels given."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from kiosk.display.png import encode_rgb, write_rgb


@given(
    st.tuples(st.integers(1, 40), st.integers(1, 40)).flatmap(
        lambda hw: arrays(np.uint8, (hw[0], hw[1], 3))
    )
)
def test_any_rgb_image_round_trips(pixels: np.ndarray) -> None:  # type: ignore[type-arg]
    h, w, _ = pixels.shape
    png = encode_rgb(pixels.tobytes(), w, h)
    decoded = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_COLOR)
    assert decoded is not None
    assert np.array_equal(cv2.cvtColor(decoded, cv2.COLOR_BGR2RGB), pixels)


def test_a_file_is_written_where_asked(tmp_path: Path) -> None:
    pixels = np.zeros((2, 3, 3), np.uint8)
    pixels[1, 2] = (255, 0, 0)
    write_rgb(tmp_path / "ảnh.png", pixels.tobytes(), 3, 2)
    data = np.fromfile(tmp_path / "ảnh.png", np.uint8)
    decoded = cv2.imdecode(data, cv2.IMREAD_COLOR)
    assert decoded[1, 2].tolist() == [0, 0, 255]  # BGR


@pytest.mark.parametrize(("size", "w", "h"), [(5, 1, 2), (6, 0, 2), (0, 0, 0), (13, 2, 2)])
def test_a_size_that_does_not_match_the_bytes_is_refused(size: int, w: int, h: int) -> None:
    with pytest.raises(ValueError, match="RGB pixels"):
        encode_rgb(bytes(size), w, h)


def test_a_screen_saves_the_pixels_it_shows(tmp_path: Path) -> None:
    import pygame

    from kiosk.config import DisplayConfig
    from kiosk.display.gallery import NOW, SAMPLE_STATUS, VENUE, sample_preview, sample_views
    from kiosk.display.messages import Messages
    from kiosk.display.screen import Screen

    cfg = DisplayConfig(mode="headless", width=480, height=800)
    with Screen(cfg, venue_name=VENUE, messages=Messages("both")) as screen:
        screen.render(sample_views()["pass-staff"], SAMPLE_STATUS, NOW, sample_preview())
        screen.save(tmp_path / "screen.png")
        shown = pygame.surfarray.array3d(screen.surface).swapaxes(0, 1)
    saved = cv2.imread(str(tmp_path / "screen.png"), cv2.IMREAD_COLOR)
    assert np.array_equal(cv2.cvtColor(saved, cv2.COLOR_BGR2RGB), shown)
