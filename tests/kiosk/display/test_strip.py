"""The status strip on a real canvas: offline never gives way, nothing past the edge, time shown."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import pygame
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from kiosk.config import DisplayConfig
from kiosk.display.canvas import Canvas
from kiosk.display.fit import Fonts, default_font_path
from kiosk.display.layout import Layout
from kiosk.display.messages import Language, Messages
from kiosk.display.strip import draw_strip
from kiosk.display.views import StatusBar

NOW = datetime(2026, 11, 22, 9, 41)
statuses = st.builds(
    StatusBar,
    direction=st.sampled_from(["entry", "exit"]),
    occupancy=st.none() | st.integers(0, 10**6),
    occupancy_stale=st.booleans(),
    queued=st.none() | st.integers(0, 10**5),
    online=st.sampled_from([None, True, False]),
    lists_stale=st.booleans(),
    reader_down=st.booleans(),
    camera_missing=st.booleans(),
    muted=st.booleans(),
    clock_offset=st.none() | st.integers(-3600, 3600),
    registry_backup=st.none() | st.integers(2, 8),
)


@pytest.fixture(scope="module")
def fonts() -> Iterator[Fonts]:
    pygame.font.init()
    fonts = Fonts(str(default_font_path()))
    yield fonts
    fonts.clear()


def strip(
    fonts: Fonts, w: int, lang: Language, status: StatusBar, staff: bool, h: int | None = None
) -> Canvas:
    h = h or max(240, w * 3 // 5)
    t = Messages(lang)
    cfg = DisplayConfig(mode="headless", width=w, height=h)
    canvas = Canvas(
        pygame.Surface((w, h)), Layout(w, h), fonts, cfg, venue="", t=t, guard_t=t, logo=None
    )
    draw_strip(canvas, status, NOW, staff)
    return canvas


@settings(deadline=None, max_examples=120)
@given(
    status=statuses,
    w=st.integers(320, 1920),
    lang=st.sampled_from(["vi", "en", "both"]),
    staff=st.booleans(),
)
# Found by this test in CI: the count and the warning fitted without the gap between them.
@example(
    status=StatusBar(direction="exit", occupancy=0, online=False), w=1263, lang="both", staff=True
)
def test_offline_is_always_shown_and_nothing_passes_the_edge(
    fonts: Fonts, status: StatusBar, w: int, lang: Language, staff: bool
) -> None:
    canvas = strip(fonts, w, lang, status, staff)
    texts = [line.text for line in canvas.drawn]
    assert "09:41" in texts or "22/11/2026  09:41" in texts  # the time never gives way
    if status.online is False:
        offline = {
            Messages(lang)("status.offline"),
            " · ".join(Messages(lang).lines("status.offline")),
        }
        assert (offline & set(texts)) if staff else ("offline" in canvas.icons)
    strip_rect = canvas.layout.strip
    assert all(strip_rect.contains(line.rect) for line in canvas.drawn)


def test_visitors_get_icons_and_the_guard_words(fonts: Fonts) -> None:
    status = StatusBar(occupancy=137, queued=12, online=False, lists_stale=True, muted=True)
    visitors = strip(fonts, 1280, "vi", status, staff=False)
    assert visitors.icons == ["offline", "inside", "queued", "stale", "muted"]
    assert "Mất kết nối" not in [line.text for line in visitors.drawn]
    guard = strip(fonts, 1280, "vi", status, staff=True)
    assert guard.icons == [] and "Mất kết nối" in [line.text for line in guard.drawn]


def test_the_date_gives_way_to_the_guards_warnings_on_a_narrow_strip(fonts: Fonts) -> None:
    status = StatusBar(online=False)
    wide = [line.text for line in strip(fonts, 1280, "both", status, staff=True).drawn]
    narrow = [line.text for line in strip(fonts, 480, "both", status, staff=True, h=800).drawn]
    assert "22/11/2026  09:41" in wide and "09:41" in narrow


def test_the_guard_sees_which_registry_host_the_kiosk_sends_through(fonts: Fonts) -> None:
    status = StatusBar(online=True, registry_backup=2)
    langs: list[tuple[Language, str]] = [("vi", "máy chủ dự phòng 2"), ("en", "backup registry 2")]
    for lang, words in langs:
        guard = [line.text for line in strip(fonts, 1280, lang, status, staff=True).drawn]
        assert any(words in t.lower() for t in guard), guard
        first = strip(fonts, 1280, lang, StatusBar(online=True), staff=True).drawn
        assert not any(words in line.text.lower() for line in first)


def test_staff_are_told_the_camera_is_missing(fonts: Fonts) -> None:
    t = Messages("both")
    said = {" · ".join(t.lines("status.camera_missing")), t("status.camera_missing.short")}
    for w in (480, 1280, 1920):
        guard = strip(fonts, w, "both", StatusBar(camera_missing=True), staff=True)
        assert said & {line.text for line in guard.drawn}, w
    assert StatusBar().camera_missing is False  # and only then
