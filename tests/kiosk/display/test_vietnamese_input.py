"""Telex and VNI as Vietnamese users type them: every common name comes out as it is written."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.display.vietnamese_input import compose

# Family, middle and given names as written on ID cards (new-style tone placement, as the
# house style has it: "Hoà", "Thuỷ").
NAMES = (
    "Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ",
    "Hồ", "Ngô", "Dương", "Lý", "Đinh", "Trịnh", "Đoàn", "Lương", "Thị", "Văn", "Hữu", "Đức",
    "Thành", "Minh", "Anh", "Hương", "Thuỷ", "Khoa", "Hoà", "Quỳnh", "Nguyệt", "Tuấn", "Dũng",
    "Hải", "Yến", "Ngọc", "Khuê", "Loan", "Xuân", "Trường", "Giang", "Khải", "Quý", "Thuận",
    "Phượng", "Tường", "Huệ", "Oanh", "Tuyết", "Khánh", "Quốc", "Người", "Bình", "Châu", "Mỹ",
    "Thảo", "Uyên", "Khoẻ", "Diệu", "Nhung", "Cường", "Đạt", "Sơn", "Tâm", "Gì", "Giàu",
)  # fmt: skip
_SHAPES_TELEX = {"â": "aa", "ă": "aw", "ê": "ee", "ô": "oo", "ơ": "ow", "ư": "uw", "đ": "dd"}
_SHAPES_VNI = {"â": "a6", "ă": "a8", "ê": "e6", "ô": "o6", "ơ": "o7", "ư": "u7", "đ": "d9"}
_TONES_TELEX = {"\u0301": "s", "\u0300": "f", "\u0309": "r", "\u0303": "x", "\u0323": "j"}
_TONES_VNI = {"\u0301": "1", "\u0300": "2", "\u0309": "3", "\u0303": "4", "\u0323": "5"}


def typed(word: str, scheme: str, tone_at_end: bool = True) -> str:
    """The keys a Vietnamese user presses for `word`: the tone at the end of the word, or
    right after the vowel that carries it (both are how people type)."""
    shapes = _SHAPES_TELEX if scheme == "telex" else _SHAPES_VNI
    tones = _TONES_TELEX if scheme == "telex" else _TONES_VNI
    keys, tone = [], ""
    for ch in word.lower():
        parts = unicodedata.normalize("NFD", ch)
        base = unicodedata.normalize("NFC", "".join(p for p in parts if p not in tones))
        mark = "".join(tones[p] for p in parts if p in tones)
        keys.append(shapes.get(base, base))
        if mark and not tone_at_end:
            keys.append(mark)
        tone = tone or mark
    return "".join(keys) + (tone if tone_at_end else "")


@pytest.mark.parametrize(
    ("keys", "name"),
    [
        ("nguyeenx thij hoa", "nguyễn thị hoa"),  # the example, Telex
        ("nguye6n4 thi5 hoa", "nguyễn thị hoa"),  # and VNI
        ("dduwcs", "đức"),
        ("duowng", "dương"),  # "uo" + w: ươ
        ("duwowng", "dương"),  # each letter marked on its own
        ("dinhd", "đinh"),  # đ typed after the word
        ("hoaf", "hoà"),
        ("thuyr", "thuỷ"),
        ("quys", "quý"),  # qu is the initial: the tone is on y
        ("gif", "gì"),
        ("ass", "as"),  # a tone key typed twice is the letter
        ("aaa", "aa"),
        ("ddd", "dd"),
        ("tieengs vieetj", "tiếng việt"),
        ("james smith", "james smith"),  # not Vietnamese syllables: left as typed
        ("anna", "anna"),
        ("1990", "1990"),
        ("hoa z", "hoa z"),
    ],
)
def test_telex_and_vni(keys: str, name: str) -> None:
    assert compose(keys) == name


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("scheme", ["telex", "vni"])
def test_every_common_name_types_as_it_is_written(name: str, scheme: str) -> None:
    assert compose(typed(name, scheme)).title() == name
    assert compose(typed(name, scheme, tone_at_end=False)).title() == name


@settings(deadline=None, max_examples=300)
@given(
    words=st.lists(st.sampled_from(NAMES), min_size=1, max_size=4),
    scheme=st.sampled_from(["telex", "vni"]),
    at_end=st.booleans(),
)
def test_a_whole_name_in_either_scheme_and_either_tone_order(
    words: list[str], scheme: str, at_end: bool
) -> None:
    keys = " ".join(typed(w, scheme, at_end) for w in words)
    assert compose(keys).title() == " ".join(words)


@settings(deadline=None, max_examples=300)
@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789 ", max_size=40))
def test_any_keys_give_letters_digits_and_spaces(keys: str) -> None:
    """Whatever the guard presses: no exception, one character or fewer per key, NFC text
    of letters, digits and the spaces typed."""
    out = compose(keys)
    assert unicodedata.is_normalized("NFC", out)
    assert out.count(" ") == keys.count(" ")
    assert len(out) <= len(keys)
    assert all(ch.isalnum() or ch == " " for ch in out)
