"""The screen under SDL's dummy driver: real pixels for each state, glyphs, and fit."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from datetime import datetime

import pygame
import pygame.freetype
import pytest

from kiosk.config import DisplayConfig
from kiosk.display import screen as scr
from kiosk.display.messages import Messages, keys
from kiosk.display.screen import Screen, default_font_path
from kiosk.display.views import ErrorView, IdleView, Presenter, VerdictView, View
from kiosk.policy.engine import Verdict
from kiosk.policy.reasons import Reason

NOW = datetime(2026, 11, 22, 9, 30)
SIZES = [(800, 480), (1024, 600), (1920, 1080), (480, 800)]
PASS_VIEW = VerdictView(Verdict.PASS, None, "Nguyễn V** A", 1990, "staff", True)


@pytest.fixture(params=SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def screen(request: pytest.FixtureRequest) -> Iterator[Screen]:
    w, h = request.param
    cfg = DisplayConfig(mode="headless", width=w, height=h)
    with Screen(
        cfg, venue_name="Tòa nhà Bitexco · Tầng 1", direction="entry", messages=Messages("vi")
    ) as s:
        yield s


def draw(s: Screen, view: View) -> pygame.Surface:
    s._last = None
    s.render(view, NOW)
    return s.surface.copy()


def share_of(surface: pygame.Surface, color: tuple[int, int, int]) -> float:
    w, h = surface.get_size()
    hits = sum(surface.get_at((x, y))[:3] == color for x in range(0, w, 8) for y in range(0, h, 8))
    return hits / len(range(0, w, 8)) / len(range(0, h, 8))


def test_pass_is_green_with_a_white_check(screen: Screen) -> None:
    surf = draw(screen, PASS_VIEW)
    assert share_of(surf, scr.PASS_BG) > 0.5
    w, h = screen.size
    assert surf.get_at((w // 2 - h // 7 + 4, h // 5))[:3] == scr.WHITE  # inside the icon disc


def test_fail_is_red(screen: Screen) -> None:
    surf = draw(screen, VerdictView(Verdict.FAIL, Reason.EXPIRED))
    assert share_of(surf, scr.FAIL_BG) > 0.5
    assert share_of(surf, scr.PASS_BG) == 0


def test_idle_and_error_screens(screen: Screen) -> None:
    assert share_of(draw(screen, IdleView()), scr.IDLE_BG) > 0.5
    err = draw(screen, ErrorView("error.camera", "no frame"))
    assert share_of(err, scr.ERROR_BG) > 0.4 and share_of(err, scr.AMBER) > 0.005


def test_the_masked_name_is_drawn(screen: Screen) -> None:
    with_name = draw(screen, PASS_VIEW)
    without = draw(screen, VerdictView(Verdict.PASS, None, None, 1990, "staff", True))
    w, h = screen.size
    band = pygame.Rect(0, h * 15 // 25 - h // 20, w, h // 10)
    diff = sum(
        with_name.get_at((x, y)) != without.get_at((x, y))
        for x in range(band.left, band.right, 3)
        for y in range(band.top, band.bottom, 3)
    )
    assert diff > 50


def test_private_reasons_look_exactly_like_see_the_staff(screen: Screen) -> None:
    """A bystander must not tell a quarantine (deny list) from a missing declaration."""
    shots = [
        draw(screen, VerdictView(Verdict.FAIL, r))
        for r in (Reason.DENIED, Reason.DECLARATION_TOO_OLD, None)
    ]
    raw = [pygame.image.tobytes(s, "RGB") for s in shots]
    assert raw[0] == raw[1] == raw[2]
    public = pygame.image.tobytes(draw(screen, VerdictView(Verdict.FAIL, Reason.EXPIRED)), "RGB")
    assert public != raw[0]


ALL_VIEWS: list[View] = [
    IdleView(),
    PASS_VIEW,
    VerdictView(Verdict.PASS, None, "Nguyễn T** M** K", None, None, False),
    *[VerdictView(Verdict.FAIL, r) for r in Reason],
    ErrorView("error.camera"),
    ErrorView("error.storage"),
]


@pytest.mark.parametrize("language", ["vi", "en"])
def test_no_text_leaves_the_screen(screen: Screen, language: str) -> None:
    screen._t = Messages(language)  # type: ignore[assignment]
    bounds = pygame.Rect((0, 0), screen.size)
    for view in ALL_VIEWS:
        draw(screen, view)
        assert screen.text_rects, view
        for rect in screen.text_rects:
            assert bounds.contains(rect), (view, rect)


def test_the_font_has_every_glyph_of_every_string() -> None:
    pygame.freetype.init()
    font = pygame.freetype.Font(str(default_font_path()), 24)
    chars = set()
    for lang in ("vi", "en"):
        t = Messages(lang)
        for k in keys():
            chars |= set(t(k, year=1990))
    chars |= set("Nguyễn Văn Ánh Đỗ Ưng Ợ ỹ Ỹ ự ẫ **·")
    missing = [
        c
        for c, m in zip(sorted(chars), font.get_metrics("".join(sorted(chars))), strict=True)
        if m is None
    ]
    assert missing == []


def test_strings_are_nfc() -> None:
    for lang in ("vi", "en"):
        t = Messages(lang)
        for k in keys():
            assert unicodedata.is_normalized("NFC", t(k, year=2000))


def test_presenter_holds_then_returns_to_idle_or_a_fault() -> None:
    p = Presenter(pass_hold=1.5, fail_hold=4.0)
    assert p.current(0.0, None) == IdleView()
    p.show(PASS_VIEW, 10.0)
    assert p.current(11.4, None) is PASS_VIEW
    assert p.current(11.6, None) == IdleView()
    fail = VerdictView(Verdict.FAIL, Reason.EXPIRED)
    p.show(fail, 20.0)
    p.show(PASS_VIEW, 20.5)  # the next person replaces a FAIL at once
    assert p.current(20.6, None) is PASS_VIEW
    fault = ErrorView("error.camera")
    assert p.current(30.0, fault) is fault
