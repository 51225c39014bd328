"""The building panel's reader LED on screen, and its buzzer: as the panel set them."""

from __future__ import annotations

from datetime import time

import pygame
from hypothesis import given
from hypothesis import strategies as st

from kiosk.config import DisplayConfig, SoundConfig
from kiosk.display.gallery import NOW
from kiosk.display.lamp import LAMP_RGB, ReaderLamp
from kiosk.display.messages import Messages
from kiosk.display.screen import Screen
from kiosk.display.sound import Sounds
from kiosk.display.views import IdleView, StatusBar


def test_a_steady_colour_then_a_temporary_blink_that_lapses() -> None:
    lamp = ReaderLamp()
    assert lamp.colour_at(0.0) is None  # dark until the panel says otherwise
    lamp.set("red", None, on_ms=0, off_ms=0, lasting_ms=0, now=10.0)
    assert lamp.colour_at(11.0) == "red"
    lamp.set("green", None, on_ms=500, off_ms=500, lasting_ms=3000, now=20.0)
    assert [lamp.colour_at(20.0 + t) for t in (0.1, 0.6, 1.1, 1.6)] == ["green", None] * 2
    assert lamp.colour_at(23.0) == "red"  # the temporary setting lapsed: back to steady red
    assert lamp.colour_at(21.1) == "red"  # and it does not come back


@given(
    on=st.integers(100, 5000),
    off=st.integers(100, 5000),
    at=st.floats(0, 1000, allow_nan=False),
)
def test_a_blink_shows_each_colour_for_its_share(on: int, off: int, at: float) -> None:
    lamp = ReaderLamp()
    lamp.set("amber", "blue", on_ms=on, off_ms=off, lasting_ms=0, now=0.0)
    phase = (at * 1000) % (on + off)
    if min(abs(phase - on), abs(phase), abs(phase - on - off)) > 1:  # not on an edge
        assert lamp.colour_at(at) == ("amber" if phase < on else "blue")


def test_the_lamp_is_a_band_across_the_top_of_the_screen() -> None:
    cfg = DisplayConfig(mode="headless", width=800, height=480)
    with Screen(cfg, venue_name="V", messages=Messages("vi")) as s:
        s.render(IdleView(), StatusBar(), NOW)
        plain = pygame.surfarray.array3d(s.surface).copy()
        s.render(IdleView(), StatusBar(), NOW, lamp="green")
        lit = pygame.surfarray.array3d(s.surface).copy()  # x, y, rgb
        s.render(IdleView(), StatusBar(), NOW, lamp=None)
        dark_again = pygame.surfarray.array3d(s.surface).copy()
    band = max(6, 480 // 60)
    assert (lit[:, :band] == LAMP_RGB["green"]).all()
    assert (lit[:, band:] == plain[:, band:]).all()  # the rest of the screen is untouched
    assert (dark_again == plain).all()


def test_the_buzzer_beeps_unless_muted_or_quiet() -> None:
    s = Sounds(SoundConfig(quiet_hours={"start": "22:00", "end": "06:00"}))
    assert s.beep(200, 100, 3, time(12, 0)) is False  # no device opened
    s.open()  # SDL's dummy audio driver
    try:
        assert s.beep(200, 100, 3, time(12, 0)) is True
        assert s.beep(200, 100, 3, time(23, 0)) is False
        assert s.beep(0, 0, 1, time(12, 0)) is False  # "off"
        s.toggle_mute()
        assert s.beep(200, 100, 3, time(12, 0)) is False
    finally:
        s.close()
