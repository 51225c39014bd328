"""The idle screen's privacy notice: the venue's line, in the screen's languages, at no less
than the 2 m size, inside the screen, and nothing changed where no notice is set."""

from __future__ import annotations

import math
from datetime import datetime
from pathlib import Path

import numpy as np
import pygame
import pytest

from kiosk.config import DisplayConfig, load_config
from kiosk.config.display import NoticeText
from kiosk.config.yamlfile import ConfigError
from kiosk.display import layout as lay
from kiosk.display.messages import Language, Messages
from kiosk.display.screen import Screen
from kiosk.display.views import IdleView, StatusBar

NOTICE = NoticeText(
    vi="Toà nhà HQ ghi lượt ra vào để kiểm soát an ninh, giữ 21 ngày. Hỏi tại quầy lễ tân.",
    en="HQ Tower records entries for security, kept 21 days. Ask at reception.",
)
NOW = datetime(2026, 12, 8, 9, 30)


def render(w: int, h: int, lang: Language, preview: bool, notice: NoticeText | None) -> Screen:
    cfg = DisplayConfig(
        mode="headless", width=w, height=h, language=lang, preview=preview, notice=notice
    )
    return Screen(cfg, venue_name="Toà nhà HQ", messages=Messages(lang))


@pytest.mark.parametrize("size", [(800, 480), (1920, 1080), (480, 800)], ids=str)
@pytest.mark.parametrize("lang", ["vi", "en", "both"])
@pytest.mark.parametrize("preview", [True, False], ids=["preview", "no-preview"])
def test_the_notice_is_shown_readable_from_two_metres(
    size: tuple[int, int], lang: Language, preview: bool, tmp_path: Path
) -> None:
    w, h = size
    with render(w, h, lang, preview, NOTICE) as s:
        drawn = s.render(IdleView(), StatusBar(), NOW)
        if (w, h) in ((800, 480), (1920, 1080)) and lang == "both" and preview:
            pygame.image.save(s.surface, str(tmp_path / f"idle-notice-{w}x{h}.png"))
    text = " ".join(line.text for line in drawn.lines)
    words = {"vi": [NOTICE.vi], "en": [NOTICE.en], "both": [NOTICE.vi, NOTICE.en]}[lang]
    if lang == "both" and (w, h) != (1920, 1080):
        # Where two languages leave no room at the 2 m size, the first is shown whole; on a
        # full-HD screen both are.
        words = words[:1]
    for said in words:
        # Wrapped over lines maybe, never cut: every word of the notice is on the screen.
        assert all(word in text.split() for word in said.split()), (said, text)
    floor = math.ceil(lay.READ_AT_2M * min(w, h))
    screen = pygame.Rect(0, 0, w, h)
    notice = [line for line in drawn.lines if any(line.text in said for said in words)]
    assert notice
    for line in notice:
        assert line.px >= floor, (line.text, line.px, floor)
    for line in drawn.lines:
        assert line.px >= line.floor and screen.contains(line.rect), (line.text, line.rect)


def test_without_a_notice_the_idle_screen_is_unchanged() -> None:
    with render(800, 480, "both", True, None) as plain, render(800, 480, "both", True, None) as s:
        a = plain.render(IdleView(), StatusBar(), NOW)
        b = s.render(IdleView(), StatusBar(), NOW)
        same = np.array_equal(
            pygame.surfarray.array3d(plain.surface), pygame.surfarray.array3d(s.surface)
        )
    assert same and a.lines == b.lines
    assert not any("HQ Tower records" in line.text for line in a.lines)


def test_the_notice_in_the_config_takes_both_languages(tmp_path: Path) -> None:
    base = (
        "venue: {id: v, name: V}\nkiosk: {id: k}\ncamera: {type: none}\n"
        "storage: {path: k.db}\npolicy: {admit_kinds: [cccd]}\n"
    )
    good = tmp_path / "good.yaml"
    good.write_text(base + f"display: {{notice: {{vi: '{NOTICE.vi}', en: '{NOTICE.en}'}}}}\n")
    assert load_config(good).display.notice == NOTICE
    for bad, why in (
        ("display: {notice: {vi: 'Chỉ tiếng Việt'}}\n", "en"),
        ('display: {notice: {vi: "a\\tb", en: x}}\n', "vi"),
        (f"display: {{notice: {{vi: '{'x' * 161}', en: 'x'}}}}\n", "vi"),
    ):
        path = tmp_path / "bad.yaml"
        path.write_text(base + bad)
        with pytest.raises(ConfigError) as caught:
            load_config(path)
        assert f"display.notice.{why}" in str(caught.value), str(caught.value)
