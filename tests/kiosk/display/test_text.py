"""Where a paragraph breaks: every word kept, balanced lines, compounds whole, no comma leading."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.display.messages import Messages, keys
from kiosk.display.text import PUNCTUATION, balanced_lines


@settings(deadline=None)
@given(st.lists(st.sampled_from([*keys(), "Nguyễn", "·", ",", "1990", "x" * 20]), max_size=12))
def test_balanced_lines_keep_every_word_and_never_lead_with_punctuation(words: list[str]) -> None:
    text = " ".join(Messages("vi")(w, n=1, year=1, mode="x", keys="x") if "." in w else w
                    for w in words)  # fmt: skip
    lines = balanced_lines(text, len, 24)
    if any(len(w) > 24 for w in text.split()):
        assert lines is None  # a word wider than the line: the caller draws smaller
        return
    assert lines is not None
    assert " ".join(lines).split() == text.split()
    assert all(len(line) <= 24 or " " not in line for line in lines)
    assert all(not line or line[0] not in PUNCTUATION for line in lines[1:])


def test_wrapping_is_balanced_and_prefers_a_break_after_a_dot() -> None:
    assert balanced_lines("Toà nhà Bitexco Financial Tower · Tầng 1", len, 34) == [
        "Toà nhà Bitexco Financial Tower ·",
        "Tầng 1",
    ]
    assert balanced_lines("aaa bbb ccc ddd eee fff", len, 16) == ["aaa bbb ccc", "ddd eee fff"]
    # A compound stays whole where the line allows it.
    assert balanced_lines("Máy chưa cập nhật dữ liệu", len, 22) == ["Máy chưa", "cập nhật dữ liệu"]
