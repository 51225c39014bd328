"""The screen under SDL's dummy driver: every state × language × size, checked on real pixels."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt
import pygame
import pygame.freetype
import pytest

from checkin_protocol.reasons import Reason
from kiosk.config import DisplayConfig
from kiosk.display import screen as scr
from kiosk.display.gallery import (
    LANGUAGES,
    NOW,
    RESOLUTIONS,
    SAMPLE_STATUS,
    sample_preview,
    sample_views,
    screens,
)
from kiosk.display.messages import Messages, keys
from kiosk.display.screen import PreviewFrame, Rendered, Screen, default_font_path
from kiosk.display.views import ErrorView, IdleView, Presenter, StatusBar, VerdictView, View
from kiosk.policy.engine import Verdict

PASS_VIEW = VerdictView(Verdict.PASS, None, "Nguyễn V** A", 1990, "staff", True)
PLAIN = StatusBar()


@pytest.fixture(params=RESOLUTIONS, ids=[f"{w}x{h}" for w, h in RESOLUTIONS])
def screen(request: pytest.FixtureRequest) -> Iterator[Screen]:
    w, h = request.param
    cfg = DisplayConfig(mode="headless", width=w, height=h)
    with Screen(cfg, venue_name="Tòa nhà Bitexco · Tầng 1", messages=Messages("vi")) as s:
        yield s


def draw_with_text(
    s: Screen, view: View, status: StatusBar = PLAIN, preview: PreviewFrame | None = None
) -> tuple[npt.NDArray[np.uint8], Rendered]:
    """The pixels (H×W×3), and where the frame put its text at what size."""
    s._base_key = None
    drawn = s.render(view, status, NOW, preview)
    return pygame.surfarray.array3d(s.surface).swapaxes(0, 1), drawn


def draw(
    s: Screen, view: View, status: StatusBar = PLAIN, preview: PreviewFrame | None = None
) -> npt.NDArray[np.uint8]:
    return draw_with_text(s, view, status, preview)[0]


def share(pixels: npt.NDArray[np.uint8], color: tuple[int, int, int]) -> float:
    return float(np.all(pixels == color, axis=2).mean())


def expected_background(view: View) -> tuple[int, int, int]:
    if isinstance(view, IdleView):
        return scr.IDLE_BG
    if isinstance(view, VerdictView):
        return scr.PASS_BG if view.verdict is Verdict.PASS else scr.FAIL_BG
    if isinstance(view, ErrorView):
        return scr.ERROR_BG
    return scr.GUARD_BG


@pytest.mark.parametrize("size", RESOLUTIONS, ids=[f"{w}x{h}" for w, h in RESOLUTIONS])
def test_every_state_in_every_language_fits_and_shows_its_colour(size: tuple[int, int]) -> None:
    preview = sample_preview()
    views: dict[str, View] = dict(sample_views())
    # Every string the visitor can see: every reason and every hint, not just the samples.
    views.update({f"fail-{r.value}": VerdictView(Verdict.FAIL, r) for r in Reason})
    views["pass-long"] = VerdictView(
        Verdict.PASS, None, "Nguyễn T** M** K", 1999, "contractor", False
    )
    views.update({k: IdleView(hint=k) for k in keys() if k.startswith("help.")})
    for (w, h), lang, s in screens([size], LANGUAGES):
        bounds = pygame.Rect(0, 0, w, h)
        for name, view in views.items():
            pixels, drawn = draw_with_text(s, view, SAMPLE_STATUS, preview)
            assert drawn.text_rects, (name, lang)
            for rect in drawn.text_rects:
                assert bounds.contains(rect), (name, lang, rect)
            # Legible: nothing had to shrink below 11 px to fit.
            assert min(drawn.font_sizes) >= 11, (name, lang, min(drawn.font_sizes))
            body = pixels[s.layout.body.top :, :]
            assert share(body, expected_background(view)) > 0.25, (name, lang)
            if isinstance(view, VerdictView):
                other = scr.FAIL_BG if view.verdict is Verdict.PASS else scr.PASS_BG
                assert share(pixels, other) == 0, (name, lang)


def test_verdict_is_readable_from_two_metres_on_a_7_inch_panel() -> None:
    """7-inch 800×480: 154 mm wide, 0.19 mm a pixel. At 2 m, capitals ≥ 8 mm read easily
    (signage rule of thumb ≥ 5 mm per 2 m); DejaVu's capitals are 0.73 of the font size."""
    cfg = DisplayConfig(mode="headless", width=800, height=480)
    mm_per_px = 154.2 / 800
    with Screen(cfg, venue_name="V", messages=Messages("vi")) as s:
        for view in (PASS_VIEW, VerdictView(Verdict.FAIL, Reason.EXPIRED)):
            _, drawn = draw_with_text(s, view)
            title_px = drawn.font_sizes[0]  # the verdict line is drawn first
            assert title_px * 0.73 * mm_per_px >= 8.0, title_px
            icon_mm = 2 * int(s.layout.unit * 0.13) * mm_per_px
            assert icon_mm >= 20


def test_the_masked_name_is_drawn(screen: Screen) -> None:
    with_name = draw(screen, PASS_VIEW)
    without = draw(screen, VerdictView(Verdict.PASS, None, None, 1990, "staff", True))
    assert np.any(with_name != without)
    rows = np.nonzero(np.any(with_name != without, axis=(1, 2)))[0]
    assert rows.min() > screen.layout.body.top and rows.max() < screen.layout.h


def test_private_reasons_look_exactly_like_see_the_staff(screen: Screen) -> None:
    """A bystander must not tell a quarantine (deny list) from a missing declaration."""
    shots = [
        draw(screen, VerdictView(Verdict.FAIL, r))
        for r in (Reason.DENIED, Reason.DECLARATION_TOO_OLD, None)
    ]
    assert np.array_equal(shots[0], shots[1]) and np.array_equal(shots[1], shots[2])
    assert not np.array_equal(draw(screen, VerdictView(Verdict.FAIL, Reason.EXPIRED)), shots[0])


def _luminance(c: tuple[int, int, int]) -> float:
    def lin(v: int) -> float:
        x = v / 255
        return x / 12.92 if x <= 0.03928 else ((x + 0.055) / 1.055) ** 2.4

    r, g, b = (lin(v) for v in c)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: tuple[int, int, int], b: tuple[int, int, int]) -> float:
    hi, lo = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


@pytest.mark.parametrize(
    ("fg", "bg"),
    [
        (scr.WHITE, scr.PASS_BG), (scr.WHITE, scr.FAIL_BG), (scr.WHITE, scr.IDLE_BG),
        (scr.MUTED, scr.IDLE_BG), (scr.AMBER, scr.ERROR_BG), (scr.WHITE, scr.ERROR_BG),
        (scr.WHITE, scr.GUARD_BG), (scr.AMBER, scr.GUARD_BG), (scr.MUTED, scr.GUARD_BG),
        (scr.WHITE, scr.STRIP_BG), (scr.AMBER, scr.STRIP_BG), (scr.HINT_FG, scr.HINT_BG),
    ],
)  # fmt: skip
def test_text_contrast_is_at_least_7_to_1(
    fg: tuple[int, int, int], bg: tuple[int, int, int]
) -> None:
    assert contrast(fg, bg) >= 7.0


def test_preview_is_mirrored_with_the_code_outlined(screen: Screen) -> None:
    preview = sample_preview()
    pixels = draw(screen, IdleView(), PLAIN, preview)
    box = screen.layout.preview
    inside = pixels[box.top : box.bottom, box.left : box.right]
    assert share(inside, scr.READ_OK) > 0.001  # the outline of the read code
    # Mirrored: the code sits right of centre in the camera frame, so left of centre on screen.
    xs = np.nonzero(np.all(inside == scr.READ_OK, axis=2))[1]
    assert xs.mean() < box.w / 2
    unread = draw(
        screen, IdleView(), PLAIN, PreviewFrame(preview.luma, preview.corners, read=False)
    )
    assert share(unread[box.top : box.bottom, box.left : box.right], scr.AMBER) > 0.001


def test_hint_box_appears_with_a_hint(screen: Screen) -> None:
    assert share(draw(screen, IdleView()), scr.HINT_BG) == 0
    assert share(draw(screen, IdleView(hint="help.glare")), scr.HINT_BG) > 0.01


def test_status_strip_warns_in_amber_only_when_something_is_wrong(screen: Screen) -> None:
    strip = screen.layout.strip
    calm = draw(screen, PASS_VIEW, StatusBar(direction="entry", occupancy=3, queued=0, online=True))
    assert share(calm[strip.top : strip.bottom], scr.AMBER) == 0
    worried = draw(screen, PASS_VIEW, StatusBar(direction="entry", lists_stale=True, online=False))
    assert share(worried[strip.top : strip.bottom], scr.AMBER) > 0


def test_the_font_has_every_glyph_of_every_string() -> None:
    pygame.freetype.init()
    font = pygame.freetype.Font(str(default_font_path()), 24)
    chars = set("Nguyễn Văn Ánh Đỗ Ưng Ợ ỹ Ỹ ự ẫ ●○–·…")
    for lang in ("vi", "en"):
        t = Messages(lang)
        for k in keys():
            chars |= set(t(k, year=1990, n=12, mode="x"))
    text = "".join(sorted(chars))
    missing = [c for c, m in zip(text, font.get_metrics(text), strict=True) if m is None]
    assert missing == []


def test_strings_are_nfc_and_exist_in_both_languages() -> None:
    for k in keys():
        vi, en = (
            Messages("vi").lines(k, year=2000, n=1, mode="x"),
            Messages("en").lines(k, year=2000, n=1, mode="x"),
        )
        assert vi != [k] and en != [k]
        assert unicodedata.is_normalized("NFC", vi[0]) and unicodedata.is_normalized("NFC", en[0])
    both = Messages("both").lines("idle.title")
    assert both == [Messages("vi")("idle.title"), Messages("en")("idle.title")]


def test_presenter_holds_then_returns_to_idle_or_a_fault() -> None:
    p = Presenter(pass_hold=1.5, fail_hold=4.0)
    assert p.current(0.0, None) == IdleView()
    p.show(PASS_VIEW, 10.0)
    assert p.current(11.4, None) is PASS_VIEW
    assert p.current(11.6, None) == IdleView()
    fail = VerdictView(Verdict.FAIL, Reason.EXPIRED)
    p.show(fail, 20.0)
    assert p.current(23.9, None) is fail
    p.show(PASS_VIEW, 20.5)  # the next person replaces a FAIL at once
    assert p.current(20.6, None) is PASS_VIEW
    fault = ErrorView("error.camera")
    assert p.current(30.0, fault) is fault
    assert p.current(30.0, None, IdleView(hint="help.far")) == IdleView(hint="help.far")


def test_status_strip_warns_of_a_clock_the_registry_measured_off(screen: Screen) -> None:
    strip = screen.layout.strip
    calm = draw(screen, PASS_VIEW, StatusBar(direction="entry"))
    assert share(calm[strip.top : strip.bottom], scr.AMBER) == 0
    off = draw(screen, PASS_VIEW, StatusBar(direction="entry", clock_offset=184))
    assert share(off[strip.top : strip.bottom], scr.AMBER) > 0
    assert Messages("vi")("status.clock_offset", n=184) == "Lệch giờ 184 giây"


def test_status_strip_says_a_reader_is_not_connected(screen: Screen) -> None:
    strip = screen.layout.strip
    # At every size, portrait included: the count gives way before the warning does.
    down = draw(screen, PASS_VIEW, StatusBar(direction="entry", occupancy=3, reader_down=True))
    assert share(down[strip.top : strip.bottom], scr.AMBER) > 0
    assert Messages("vi")("status.reader_down") == "Máy đọc mã chưa kết nối"


def test_the_preview_is_scaled_and_drawn_once_per_camera_frame(
    screen: Screen, monkeypatch: pytest.MonkeyPatch
) -> None:
    luma = np.full((480, 640), 128, dtype=np.uint8)
    flips: list[int] = []
    resized: list[int] = []
    real_flip, real_resize = pygame.display.flip, cv2.resize

    def flip() -> None:
        flips.append(1)
        real_flip()

    def resize(*a: Any, **k: Any) -> Any:
        resized.append(1)
        return real_resize(*a, **k)

    monkeypatch.setattr(pygame.display, "flip", flip)
    monkeypatch.setattr(cv2, "resize", resize)
    for _ in range(5):  # the render loop's ticks between two camera frames
        screen.render(IdleView(), PLAIN, NOW, PreviewFrame(luma, seq=1))
    assert (len(flips), len(resized)) == (1, 1)
    screen.render(IdleView(), PLAIN, NOW, PreviewFrame(luma, seq=2))
    assert (len(flips), len(resized)) == (2, 2)
    # A code's outline appearing on the same frame: drawn again, but not scaled again.
    screen.render(IdleView(), PLAIN, NOW, PreviewFrame(luma, ((1, 1), (9, 1), (9, 9)), False, 2))
    assert (len(flips), len(resized)) == (3, 2)
