"""Text fitting with the real font: one size a paragraph, lines within the width, "…" cuts."""

from __future__ import annotations

from collections.abc import Iterator

import pygame
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.display.fit import Fonts, default_font_path, elide
from kiosk.display.messages import Messages, keys
from kiosk.display.text import NO_BREAK

VI, EN = Messages("vi"), Messages("en")
# Real catalogue strings in both languages, a masked name, and a word no line can hold.
TEXTS = [
    *(m(k, n=3, year=1990, mode="x", keys="Esc") for k in sorted(keys()) for m in (VI, EN)),
    "Nguyễn V** A",
    "Toà nhà Bitexco Financial Tower · Tầng 1",
    "x" * 60,
]


@pytest.fixture(scope="module")
def fonts() -> Iterator[Fonts]:
    pygame.font.init()
    fonts = Fonts(str(default_font_path()))
    yield fonts
    fonts.clear()


def widest_word(fonts: Fonts, text: str, size: int) -> int:
    return max((fonts.width(size, w) for w in text.split()), default=0)


@settings(deadline=None, max_examples=150)
@given(
    text=st.sampled_from(TEXTS),
    px=st.integers(8, 140),
    max_w=st.integers(60, 1800),
    floor=st.integers(8, 60),
)
def test_a_paragraph_is_set_in_one_size_within_the_width_keeping_every_word(
    fonts: Fonts, text: str, px: int, max_w: int, floor: int
) -> None:
    size, lines = fonts.fit(text, px, max_w, floor)
    assert " ".join(lines).split() == text.split()
    assert size <= max(px, floor)
    if size < floor:
        # Under the floor only when a single word is wider than the line at the floor.
        assert widest_word(fonts, text, floor) > max_w
    if size > 8:  # at the least size, a word wider than the line is drawn as it is
        assert all(fonts.width(size, line) <= max_w for line in lines), (size, lines)
    if fonts.width(max(px, floor), text) <= max_w:
        assert (size, lines) == (max(px, floor), [text])


def test_a_text_a_little_too_wide_is_set_smaller_rather_than_broken(fonts: Fonts) -> None:
    text = "Toà nhà Bitexco Financial Tower · Tầng 1"
    full = fonts.width(60, text)
    size, lines = fonts.fit(text, 60, int(full * 0.92), 20)
    assert lines == [text] and 60 * 0.85 <= size < 60


def test_a_compound_is_not_split_where_a_smaller_size_keeps_it_whole(fonts: Fonts) -> None:
    text = "Máy chưa cập nhật dữ liệu"
    assert "dữ liệu" in NO_BREAK
    # Too narrow for one line even at 85 %, wide enough for "cập nhật dữ liệu" at 70 %.
    max_w = int(fonts.width(40, "cập nhật dữ liệu") * 0.95)
    size, lines = fonts.fit(text, 40, max_w, 12)
    assert len(lines) > 1 and size >= 28
    assert all(not line.endswith("dữ") for line in lines)


def test_the_fitted_lines_are_a_copy(fonts: Fonts) -> None:
    size, lines = fonts.fit("một hai ba bốn năm sáu bảy", 40, 150, 10)
    lines.append("tampered")
    assert fonts.fit("một hai ba bốn năm sáu bảy", 40, 150, 10) == (size, lines[:-1])


@settings(deadline=None, max_examples=100)
@given(text=st.sampled_from(TEXTS), room=st.integers(0, 900), px=st.integers(8, 60))
def test_elide_cuts_to_the_room_with_an_ellipsis(
    fonts: Fonts, text: str, room: int, px: int
) -> None:
    font = fonts.font(px)
    cut = elide(text, font, room)
    if font.size(text)[0] <= room:
        assert cut == text
        return
    assert cut == "" or (cut.endswith("…") and text.startswith(cut[:-1]))
    assert cut == "" or font.size(cut)[0] <= room
