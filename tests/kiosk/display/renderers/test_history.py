"""The guard's history table on real fonts: aligned columns, smaller before cut, private reasons."""

from __future__ import annotations

from collections.abc import Iterator

import pygame
import pytest

from checkin_protocol.reasons import Reason
from kiosk.config import DisplayConfig
from kiosk.display.canvas import Canvas, TextLine
from kiosk.display.fit import Fonts, default_font_path
from kiosk.display.layout import Layout
from kiosk.display.messages import Messages
from kiosk.display.renderers.history import history_cells, table
from kiosk.display.views import HistoryRow

WHITE = (255, 255, 255)


@pytest.fixture(scope="module")
def fonts() -> Iterator[Fonts]:
    pygame.font.init()
    fonts = Fonts(str(default_font_path()))
    yield fonts
    fonts.clear()


def canvas(fonts: Fonts, w: int, h: int, floor: int = 12) -> Canvas:
    cfg = DisplayConfig(mode="headless", width=w, height=h)
    t = Messages("vi")
    return Canvas(
        pygame.Surface((w, h)), Layout(w, h), fonts, cfg, venue="", t=t, guard_t=t, logo=None,
        floor=floor,
    )  # fmt: skip


ROWS = [
    ["09:30:10", "Vào", "ĐẠT", "Nguyễn V** A", ""],
    ["09:31:11", "Ra", "KHÔNG", "Trần T** M** K", "Mã đã hết hạn, xin khai báo lại"],
    ["09:32:12", "Vào", "ĐẠT", "", "Không có điện thoại"],
]


def columns(drawn: list[TextLine]) -> dict[int, set[int]]:
    """Each row's cells by x: the columns' left edges, keyed by the cell's text index."""
    xs: dict[int, set[int]] = {}
    for row in ROWS:
        for i, cell in enumerate(row):
            xs.setdefault(i, set()).update(line.rect.x for line in drawn if line.text == cell)
    return xs


def test_the_columns_are_aligned_and_the_table_fits(fonts: Fonts) -> None:
    c = canvas(fonts, 1280, 720)
    bottom = table(c, ROWS, [WHITE] * 3, 24, 20, 100, 1240)
    for i, xs in columns(c.drawn).items():
        if i < 4:
            assert len(xs) == 1, (i, xs)  # one left edge per column
    assert all(line.rect.left >= 20 and line.rect.right <= 20 + 1240 for line in c.drawn)
    assert {line.px for line in c.drawn} == {24} and len({line.paragraph for line in c.drawn}) == 1
    assert bottom == 100 + 3 * fonts.font(24).get_linesize()


def test_a_narrow_table_is_set_smaller_down_to_the_floor_then_cut(fonts: Fonts) -> None:
    c = canvas(fonts, 800, 480, floor=14)
    table(c, ROWS, [WHITE] * 3, 24, 10, 50, 420)
    assert {line.px for line in c.drawn} == {14}  # smaller first, never under the floor
    reasons = [line for line in c.drawn if line.text.endswith("…")]
    assert reasons, "the reason is cut with an ellipsis"
    assert all(line.rect.right <= 10 + 420 for line in c.drawn)


def test_on_a_portrait_screen_the_last_column_goes_under_its_row(fonts: Fonts) -> None:
    c = canvas(fonts, 480, 800, floor=14)
    linesize = fonts.font(14).get_linesize()
    bottom = table(c, ROWS, [WHITE] * 3, 24, 10, 50, 460)
    reason = next(line for line in c.drawn if line.text.startswith("Mã đã hết hạn"))
    time = next(line for line in c.drawn if line.text == "09:31:11")
    assert reason.rect.top == time.rect.top + linesize  # on a line of its own
    assert reason.rect.left > time.rect.right  # indented past the time
    assert bottom == 50 + 6 * linesize


def test_measuring_lays_the_table_out_without_drawing(fonts: Fonts) -> None:
    c = canvas(fonts, 1280, 720)
    c.measuring = True
    measured = table(c, ROWS, [WHITE] * 3, 24, 20, 100, 1240)
    assert c.drawn and not pygame.surfarray.array3d(c.surface).any()
    c.measuring = False
    assert table(c, ROWS, [WHITE] * 3, 24, 20, 100, 1240) == measured
    assert pygame.surfarray.array3d(c.surface).any()


@pytest.mark.parametrize("reason", [r for r in Reason if not r.public], ids=str)
def test_every_private_reason_has_a_staff_text_on_the_unlocked_history(reason: Reason) -> None:
    for lang in ("vi", "en"):
        t = Messages(lang)
        assert t.has(f"staff.{reason.value}"), reason
        row = HistoryRow("09:30:00", "entry", "FAIL", "N*** V** A", reason.value)
        cell = history_cells(row, t, unlocked=True)[4]
        assert cell == t(f"staff.{reason.value}")
        assert cell != f"staff.{reason.value}"  # never the raw key
        assert history_cells(row, t, unlocked=False)[4] == t("guard.private")
