"""The screen under SDL's dummy driver: every state × language × size, checked on real pixels."""

from __future__ import annotations

import dataclasses
import itertools
import math
import sys
import unicodedata
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt
import pygame
import pygame.freetype
import pytest
import yaml

from checkin_protocol.reasons import Reason
from checkin_protocol.records import CodeKind
from kiosk.config import DisplayConfig
from kiosk.display import colors as col
from kiosk.display import layout as lay
from kiosk.display.fit import default_font_path
from kiosk.display.gallery import (
    LANGUAGES,
    NOW,
    RESOLUTIONS,
    SAMPLE_STATUS,
    VENUE,
    sample_preview,
    sample_views,
    screens,
    write_gallery,
)
from kiosk.display.messages import Language, Messages, keys
from kiosk.display.screen import PreviewFrame, Rendered, Screen
from kiosk.display.text import NO_BREAK, PUNCTUATION
from kiosk.display.views import (
    ErrorView,
    GuardPinView,
    GuardReasonView,
    GuardView,
    HistoryRow,
    HistoryView,
    IdleView,
    NoticeView,
    Presenter,
    StatusBar,
    VerdictView,
    View,
    fail_title,
)
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
    s.redraw()
    drawn = s.render(view, status, NOW, preview)
    return grab(s.surface), drawn


def grab(surface: pygame.Surface) -> npt.NDArray[np.uint8]:
    """The surface's pixels, H×W×3 RGB: a view of a copy of its 4-byte pixels, which `where`
    compares a whole pixel at a time. The same values as `surfarray.array3d`, a tenth the
    time: the display's own XRGB8888 (SDL's dummy driver's) is copied as it is."""
    w, h = surface.get_size()
    if (
        sys.byteorder == "little"
        and surface.get_bytesize() == 4
        and surface.get_masks()[:3] == (0xFF0000, 0x00FF00, 0x0000FF)
    ):
        bgrx = np.frombuffer(surface.get_buffer().raw, np.uint8).reshape(h, -1, 4)[:, :w]
        return bgrx[..., 2::-1]  # B, G, R, spare in memory: R, G, B in the view
    rgba = np.frombuffer(pygame.image.tobytes(surface, "RGBA"), np.uint8).reshape(h, w, 4)
    return rgba[..., :3]


def draw(
    s: Screen, view: View, status: StatusBar = PLAIN, preview: PreviewFrame | None = None
) -> npt.NDArray[np.uint8]:
    return draw_with_text(s, view, status, preview)[0]


SPARE_OFF = np.array([255, 255, 255, 0], np.uint8).view(np.uint32)[0]


def where(pixels: npt.NDArray[np.uint8], color: tuple[int, int, int]) -> npt.NDArray[np.bool_]:
    """The pixels of exactly `color`. Three channels of 4-byte pixels (a frame `grab` took,
    or a slice of one) are compared as one 32-bit word a pixel, the spare byte masked off:
    ten times faster than channel by channel, which other arrays are (itself ten times faster
    than a 3-D compare)."""
    r, g, b = color
    if pixels.ndim == 3 and pixels.shape[2] == 3 and pixels.strides[1:] in ((4, 1), (4, -1)):
        if pixels.strides[2] == -1:  # B, G, R in memory
            pixels, (r, g, b) = pixels[..., ::-1], (b, g, r)
        quads = np.lib.stride_tricks.as_strided(
            pixels, (*pixels.shape[:2], 4), (*pixels.strides[:2], 1), writeable=False
        )
        words = quads.view(np.uint32)[..., 0]
        return (words & SPARE_OFF) == np.array([r, g, b, 0], np.uint8).view(np.uint32)[0]  # type: ignore[no-any-return]
    return (pixels[..., 0] == r) & (pixels[..., 1] == g) & (pixels[..., 2] == b)  # type: ignore[no-any-return]


def share(pixels: npt.NDArray[np.uint8], color: tuple[int, int, int]) -> float:
    return np.count_nonzero(where(pixels, color)) / (pixels.shape[0] * pixels.shape[1])


def expected_background(view: View) -> tuple[int, int, int]:
    if isinstance(view, IdleView):
        return col.IDLE_BG
    if isinstance(view, VerdictView):
        return col.PASS_BG if view.verdict is Verdict.PASS else col.FAIL_BG
    if isinstance(view, ErrorView):
        return col.ERROR_BG
    return col.GUARD_BG


def every_view() -> dict[str, View]:
    """Every string the visitor can see: every reason and every hint, not just the samples."""
    views: dict[str, View] = dict(sample_views())
    views.update({f"fail-{r.value}": VerdictView(Verdict.FAIL, r) for r in Reason})
    views["pass-long"] = VerdictView(
        Verdict.PASS, None, "Nguyễn T** M** K", 1999, "contractor", False
    )
    views.update({k: IdleView(hint=k) for k in keys() if k.startswith("help.")})
    views.update({k: ErrorView(k) for k in keys() if k.startswith("error.") and k != "error.hint"})
    # The guard's notices, and a reason list with every manual reason the catalogue has.
    for key in ("guard.no_pin", "guard.muted", "guard.unmuted"):
        views[key] = NoticeView(key)
    manual = tuple(k.removeprefix("manual.") for k in keys() if k.startswith("manual."))
    views["guard-every-reason"] = GuardReasonView(manual)
    return views


def check_lines(drawn: Rendered, where: object) -> None:
    """The typesetting rules, on every line a frame drew."""
    sizes: dict[int, set[int]] = {}
    for line in drawn.lines:
        assert line.px >= line.floor, (where, line.text, line.px, line.floor)
        assert not line.text[:1] or line.text[0] not in PUNCTUATION, (where, line.text)
        if line.paragraph:
            sizes.setdefault(line.paragraph, set()).add(line.px)
    assert all(len(s) == 1 for s in sizes.values()), (where, sizes)  # one size a paragraph
    body = [line for line in drawn.lines if line.paragraph]
    for first, then in itertools.pairwise(body):
        if first.paragraph == then.paragraph and first.rect.y != then.rect.y:
            pair = f"{first.text.split(' ')[-1]} {then.text.split(' ')[0]}".lower()
            assert pair not in {c.lower() for c in NO_BREAK}, (where, first.text, then.text)


@pytest.mark.slow
@pytest.mark.parametrize("size", RESOLUTIONS, ids=[f"{w}x{h}" for w, h in RESOLUTIONS])
def test_every_state_in_every_language_fits_and_follows_the_typesetting_rules(
    size: tuple[int, int],
) -> None:
    """Every view in every language: inside the screen, on its colour, every visitor's line
    at the 2 m size (either language), one size a paragraph, no line led by punctuation,
    no compound split across lines."""
    preview = sample_preview()
    views = every_view()
    for (w, h), lang, s in screens([size], LANGUAGES):
        bounds = pygame.Rect(0, 0, w, h)
        visitor_floor = math.ceil(lay.READ_AT_2M * min(w, h))
        for name, view in views.items():
            pixels, drawn = draw_with_text(s, view, SAMPLE_STATUS, preview)
            assert drawn.text_rects, (name, lang)
            for rect in drawn.text_rects:
                assert bounds.contains(rect), (name, lang, rect)
            check_lines(drawn, (name, lang, size))
            if not isinstance(view, GuardView):
                assert all(line.floor == visitor_floor for line in drawn.lines if line.paragraph), (
                    name,
                    lang,
                )
            body = pixels[s.layout.body.top :, :]
            assert share(body, expected_background(view)) > 0.25, (name, lang)
            if isinstance(view, VerdictView):
                other = col.FAIL_BG if view.verdict is Verdict.PASS else col.PASS_BG
                assert share(pixels, other) == 0, (name, lang)


def test_both_languages_are_readable_from_two_metres_on_a_7_inch_panel() -> None:
    """7-inch 800×480: 154 mm wide, 0.193 mm a pixel. The rule: capitals ≥ 4.2 mm (7.2′ of
    arc at 2 m, readable with 20/30 vision); DejaVu's capitals are 0.73 of the font size.
    Every visitor's line in "both" mode, the second language's too, meets it; in one
    language the verdict's title is twice as large, and the icon 2 cm across."""
    cfg = DisplayConfig(mode="headless", width=800, height=480, language="both")
    mm_per_px = 154.2 / 800
    preview = sample_preview()
    with Screen(cfg, venue_name="V", messages=Messages("both")) as s:
        for name, view in every_view().items():
            if isinstance(view, GuardView):
                continue
            _, drawn = draw_with_text(s, view, SAMPLE_STATUS, preview)
            for line in drawn.lines:
                if line.paragraph:
                    assert line.px * lay.CAP_HEIGHT * mm_per_px >= 4.2, (name, line.text)
        s.set_messages(Messages("vi"))  # one language: the verdict's title is larger yet
        for view in (PASS_VIEW, VerdictView(Verdict.FAIL, Reason.EXPIRED)):
            _, drawn = draw_with_text(s, view)
            title_px = drawn.font_sizes[0]  # the verdict line is drawn first
            assert title_px * lay.CAP_HEIGHT * mm_per_px >= 8.0, title_px
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
        (col.WHITE, col.PASS_BG), (col.WHITE, col.FAIL_BG), (col.WHITE, col.IDLE_BG),
        (col.MUTED, col.IDLE_BG), (col.AMBER, col.ERROR_BG), (col.WHITE, col.ERROR_BG),
        (col.WHITE, col.GUARD_BG), (col.AMBER, col.GUARD_BG), (col.MUTED, col.GUARD_BG),
        (col.WHITE, col.STRIP_BG), (col.AMBER, col.STRIP_BG), (col.HINT_FG, col.HINT_BG),
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
    assert share(inside, col.READ_OK) > 0.001  # the outline of the read code
    # Mirrored: the code sits right of centre in the camera frame, so left of centre on screen.
    xs = np.nonzero(where(inside, col.READ_OK))[1]
    assert xs.mean() < box.w / 2
    unread = draw(
        screen, IdleView(), PLAIN, PreviewFrame(preview.luma, preview.corners, read=False)
    )
    assert share(unread[box.top : box.bottom, box.left : box.right], col.AMBER) > 0.001


def test_hint_box_appears_with_a_hint(screen: Screen) -> None:
    assert share(draw(screen, IdleView()), col.HINT_BG) == 0
    assert share(draw(screen, IdleView(hint="help.glare")), col.HINT_BG) > 0.01


GUARD_SCREEN = HistoryView(())


def test_visitors_see_calm_icons_and_the_guard_sees_words_in_amber(screen: Screen) -> None:
    strip = screen.layout.strip
    calm = StatusBar(direction="entry", occupancy=3, queued=0, online=True)
    worried = StatusBar(direction="entry", lists_stale=True, online=False, queued=12)
    for view in (PASS_VIEW, GUARD_SCREEN):
        pixels = draw(screen, view, calm)
        assert share(pixels[strip.top : strip.bottom], col.AMBER) == 0
    pixels, drawn = draw_with_text(screen, PASS_VIEW, worried)
    assert share(pixels[strip.top : strip.bottom], col.AMBER) == 0  # nothing alarming
    assert {"offline", "queued", "stale"} <= set(drawn.icons)
    texts = " ".join(line.text for line in drawn.lines)
    assert "Mất kết nối" not in texts and "chờ gửi" not in texts
    pixels, drawn = draw_with_text(screen, GUARD_SCREEN, worried)
    assert share(pixels[strip.top : strip.bottom], col.AMBER) > 0
    assert "Mất kết nối" in " ".join(line.text for line in drawn.lines)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_offline_state_never_gives_way_on_a_narrow_screen(
    screen: Screen, lang: Language
) -> None:
    screen.set_messages(Messages(lang))
    everything = dataclasses.replace(SAMPLE_STATUS, reader_down=True, clock_offset=300)
    _, drawn = draw_with_text(screen, PASS_VIEW, everything)
    assert "offline" in drawn.icons
    _, drawn = draw_with_text(screen, GUARD_SCREEN, everything)
    offline = " / ".join(Messages(lang).lines("status.offline"))
    assert any(offline.split(" / ")[0] in line.text for line in drawn.lines)


def test_the_font_has_every_glyph_of_every_string() -> None:
    pygame.freetype.init()
    font = pygame.freetype.Font(str(default_font_path()), 24)
    chars = set("Nguyễn Văn Ánh Đỗ Ưng Ợ ỹ Ỹ ự ẫ ●○–·…")
    for lang in ("vi", "en"):
        t = Messages(lang)
        for k in keys():
            chars |= set(t(k, year=1990, n=12, mode="x", keys="Esc"))
    text = "".join(sorted(chars))
    missing = [c for c, m in zip(text, font.get_metrics(text), strict=True) if m is None]
    assert missing == []


def test_strings_are_nfc_and_exist_in_both_languages() -> None:
    for k in keys():
        vi, en = (
            Messages("vi").lines(k, year=2000, n=1, mode="x", keys="x"),
            Messages("en").lines(k, year=2000, n=1, mode="x", keys="x"),
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
    _, drawn = draw_with_text(screen, PASS_VIEW, StatusBar(direction="entry", clock_offset=184))
    assert "clock" in drawn.icons
    _, drawn = draw_with_text(screen, GUARD_SCREEN, StatusBar(direction="entry", clock_offset=184))
    assert "Lệch giờ 184 giây" in [line.text for line in drawn.lines]


def test_status_strip_says_a_reader_is_not_connected(screen: Screen) -> None:
    # At every size, portrait included: the count gives way before the warning does.
    down = StatusBar(direction="entry", occupancy=3, reader_down=True)
    _, drawn = draw_with_text(screen, PASS_VIEW, down)
    assert "reader" in drawn.icons
    _, drawn = draw_with_text(screen, GUARD_SCREEN, down)
    texts = [line.text for line in drawn.lines]
    assert "Máy đọc mã chưa kết nối" in texts or "Máy đọc: lỗi" in texts


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


@pytest.mark.parametrize(
    ("reason", "title"),
    [
        (Reason.BAD_SIGNATURE, "Mã không hợp lệ"), (Reason.EXPIRED, "Mã không hợp lệ"),
        (Reason.CLOSED, "Chưa thể vào"), (Reason.FULL, "Chưa thể vào"),
        (Reason.CATEGORY_NOT_ADMITTED, "Không được vào"),
        (Reason.KIND_NOT_ADMITTED, "Cần loại mã khác"),
        (Reason.LISTS_STALE, "Máy đang gặp sự cố — vui lòng gặp nhân viên"),
        (Reason.DENIED, "Chưa thể vào"), (None, "Chưa thể vào"),
        (Reason.ALREADY_INSIDE, "Chưa thể vào"), (Reason.KEY_USAGE, "Mã không hợp lệ"),
    ],
)  # fmt: skip
def test_a_refusal_is_titled_by_whose_problem_it_is(reason: Reason | None, title: str) -> None:
    assert Messages("vi")(fail_title(reason)) == title


CODE_PROBLEMS = {"not_personal_code", "malformed", "bad_signature", "unknown_issuer", "expired",
                 "not_yet_valid", "key_usage"}  # fmt: skip


@pytest.mark.parametrize("reason", list(Reason))
def test_only_a_problem_with_the_code_is_called_invalid(reason: Reason) -> None:
    # Every reason, including ones added later: a venue's rule never reads "invalid code".
    invalid = "không hợp lệ" in Messages("vi")(fail_title(reason)).lower()
    assert invalid == (reason.value in CODE_PROBLEMS)


NAMES = "Nguyễn T** M** K V** A Trần Lê H"


def catalogue_text(lang: Language) -> str:
    t = Messages(lang)
    kinds = [CodeKind.SIGNED_PASS, CodeKind.NATIONAL_QR, CodeKind.CCCD, CodeKind.DCC]
    return "\n".join(t(k, year=1990, n=137, mode="x", keys="Esc", admits=kinds) for k in keys())


@pytest.mark.parametrize("size", [(800, 480), (480, 800)], ids=["800x480", "480x800"])
def test_a_vietnamese_screen_shows_only_vietnamese_words_and_no_raw_values(
    size: tuple[int, int],
) -> None:
    """Every line of every visitor's view in "vi" is Vietnamese from the catalogue, the
    venue's name, a masked name, a year or the clock: no raw category, no English."""
    vi = catalogue_text("vi")
    views = every_view()
    views["pass-unknown-category"] = VerdictView(Verdict.PASS, None, "Lê T** H", 1990, "vip_x")
    preview = sample_preview()
    for _, _, s in screens([size], ["vi"]):
        for name, view in views.items():
            if isinstance(view, GuardView):
                continue
            _, drawn = draw_with_text(s, view, SAMPLE_STATUS, preview)
            for line in drawn.lines:
                words = [w for w in line.text.replace("·", " ").split() if not w[0].isdigit()]
                for word in words:
                    assert word in vi or word in VENUE or word in NAMES, (name, line.text, word)
            assert not any("vip_x" in line.text for line in drawn.lines)


def test_every_key_exists_in_both_languages_and_they_differ_where_they_should() -> None:
    raw = yaml.safe_load(
        resources.files("kiosk.display").joinpath("messages.yaml").read_text("utf-8")
    )
    for key, entry in raw.items():
        assert set(entry) == {"vi", "en"}, key
        assert entry["vi"].strip() and entry["en"].strip(), key
    # The house style the catalogue's header states.
    vi = catalogue_text("vi")
    for old in ("CCCD", "chứng minh", "Bên trong", "Kiosk", "Hãy ", "hòa", "lóa", "hủy", "Tòa"):
        assert old not in vi, old
    assert "VNeID" not in vi  # its identity QR is a token the kiosk cannot read
    assert "Đang ở trong" in Messages("vi")("status.inside", n=1)
    assert "see the staff" not in catalogue_text("en")


@pytest.mark.parametrize("side", ["above", "below", "left", "right"])
def test_the_idle_screen_points_to_the_camera(side: str) -> None:
    cfg = DisplayConfig.model_validate(
        {"mode": "headless", "width": 800, "height": 480, "camera_at": side}
    )
    with Screen(cfg, venue_name="V", messages=Messages("vi")) as s:
        pixels, drawn = draw_with_text(s, IdleView())
        assert {"phone", f"arrow-{side}"} <= set(drawn.icons)
        ys, xs = np.nonzero(where(pixels, col.ARROW))
        # The arrow's tip is its extreme point in the direction it points.
        tip = {"above": ys.min(), "below": -ys.max(), "left": xs.min(), "right": -xs.max()}
        centre = {"above": ys.mean(), "below": -ys.mean(), "left": xs.mean(), "right": -xs.mean()}
        assert tip[side] < centre[side]
        tip_x, tip_y = xs.mean(), ys.mean()
        if side in ("above", "below"):
            column = xs[ys == (ys.min() if side == "above" else ys.max())]
            assert abs(column.mean() - tip_x) < 3
        else:
            row = ys[xs == (xs.min() if side == "left" else xs.max())]
            assert abs(row.mean() - tip_y) < 3


def test_the_venue_logo_is_shown_and_a_broken_one_is_not_fatal(tmp_path: Path) -> None:
    logo = tmp_path / "logo.png"
    image = pygame.Surface((120, 40))
    image.fill((200, 30, 30))
    pygame.image.save(image, str(logo))
    cfg = DisplayConfig.model_validate(
        {"mode": "headless", "width": 800, "height": 480, "logo": str(logo)}
    )
    with Screen(cfg, venue_name="V", messages=Messages("vi")) as s:
        pixels, drawn = draw_with_text(s, IdleView())
        assert "logo" in drawn.icons and share(pixels, (200, 30, 30)) > 0.001
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 40)
    cfg = DisplayConfig.model_validate(
        {"mode": "headless", "width": 800, "height": 480, "logo": str(broken)}
    )
    with Screen(cfg, venue_name="V", messages=Messages("vi")) as s:
        _, drawn = draw_with_text(s, IdleView())
        assert "logo" not in drawn.icons
    (tmp_path / "logo.txt").write_text("not an image")
    with pytest.raises(ValueError, match="not a PNG or JPEG"):
        DisplayConfig.model_validate({"logo": str(tmp_path / "logo.txt")})
    with pytest.raises(ValueError, match="not a file"):
        DisplayConfig.model_validate({"logo": str(tmp_path)})


def test_the_date_is_on_the_strip_beside_the_time(screen: Screen) -> None:
    _, drawn = draw_with_text(screen, IdleView())
    texts = [line.text for line in drawn.lines]
    assert any("09:41" in t for t in texts)
    if screen.layout.w >= 800:
        assert "22/11/2026  09:41" in texts


def test_portrait_screens_use_their_height_for_larger_text() -> None:
    sizes = {}
    for (w, h), _, s in screens([(800, 480), (480, 800)], ["vi"]):
        _, drawn = draw_with_text(s, VerdictView(Verdict.FAIL, Reason.EXPIRED))
        sizes[(w, h)] = drawn.font_sizes[0]
    assert sizes[(480, 800)] > sizes[(800, 480)]


def test_the_gallery_shows_hints_over_an_amber_outline(tmp_path: Path) -> None:
    written = write_gallery(tmp_path, sizes=[(800, 480)], languages=["vi"])
    hinted = next(p for p in written if p.name == "800x480-vi-idle-help-glare.png")
    plain = next(p for p in written if p.name == "800x480-vi-idle.png")
    layout = lay.Layout(800, 480)
    box = layout.preview

    def outline(path: Path, color: tuple[int, int, int]) -> float:
        pixels = pygame.surfarray.array3d(pygame.image.load(str(path))).swapaxes(0, 1)
        return share(pixels[box.top : box.bottom, box.left : box.right], color)

    assert outline(hinted, col.AMBER) > 0.001 and outline(hinted, col.READ_OK) == 0
    assert outline(plain, col.READ_OK) > 0.001


HISTORY = (
    HistoryRow("09:30:10", "entry", "PASS", "Nguyễn V** A", ""),
    HistoryRow("09:31:11", "entry", "FAIL", "Trần T** M", "expired"),
    HistoryRow("09:32:12", "exit", "FAIL", "Lê H", "denied", staff_note="trộm cắp 03/2026"),
    HistoryRow("09:33:13", "entry", "PASS", "Phạm Q", "delivery", manual=True),
    HistoryRow("09:34:14", "entry", "FAIL", "", "declaration_missing"),
)


def history_texts(s: Screen, unlocked: bool) -> tuple[list[str], Rendered]:
    _, drawn = draw_with_text(s, HistoryView(HISTORY, unlocked=unlocked))
    return [line.text for line in drawn.lines], drawn


def test_the_history_shows_private_reasons_only_after_the_pin(screen: Screen) -> None:
    locked, drawn = history_texts(screen, unlocked=False)
    joined = " ".join(locked)
    for raw in ("denied", "expired", "declaration_missing", "delivery", "trộm cắp"):
        assert raw not in joined, raw
    assert locked.count("Riêng tư") == 2 and "Mã đã hết hạn" in locked
    assert "Giao hàng" in locked and "Ra" in locked and "Từ chối" in locked
    unlocked, _ = history_texts(screen, unlocked=True)
    assert any(t.startswith("Trong danh sách cấm: trộm cắp") for t in unlocked)
    assert any(t.startswith("Chưa khai báo y tế") for t in unlocked)
    # Aligned columns: each row's time, direction and verdict start at the same x.
    rows = [line for line in drawn.lines if line.text in ("Vào", "Ra")]
    assert len(rows) == len(HISTORY) and len({line.rect.x for line in rows}) == 1
    times = [line for line in drawn.lines if line.text.startswith("09:3")]
    assert len({line.rect.x for line in times}) == 1


def test_the_guard_reads_their_own_language() -> None:
    cfg = DisplayConfig(mode="headless", width=800, height=480, guard_language="en")
    with Screen(cfg, venue_name="V", messages=Messages("vi")) as s:
        texts, _ = history_texts(s, unlocked=False)
        assert "This code has expired" in texts and "Private" in texts
        _, drawn = draw_with_text(s, IdleView())
        assert "Vui lòng quét mã QR" in " ".join(line.text for line in drawn.lines)
        _, drawn = draw_with_text(s, GuardPinView())
        assert "press Enter" in " ".join(line.text for line in drawn.lines)


@pytest.mark.parametrize(
    "reason", [Reason.EXPIRED, Reason.NOT_YET_VALID, Reason.UNKNOWN_ISSUER], ids=str
)
def test_a_dccs_refusal_sends_the_visitor_to_the_staff_not_to_declare_again(
    reason: Reason,
) -> None:
    cfg = DisplayConfig(mode="headless", width=800, height=480)
    with Screen(cfg, venue_name="V", messages=Messages("both")) as s:
        _, drawn = draw_with_text(s, VerdictView(Verdict.FAIL, reason, code_kind=CodeKind.DCC))
        dcc = " ".join(line.text for line in drawn.lines)
        _, drawn = draw_with_text(
            s, VerdictView(Verdict.FAIL, reason, code_kind=CodeKind.SIGNED_PASS)
        )
        kp1 = " ".join(line.text for line in drawn.lines)
    for lang in ("vi", "en"):
        t = Messages(lang)
        staff = t(f"hint.dcc.{reason.value}")
        assert staff == t("fail.see_staff")  # "Vui lòng gặp nhân viên" / "Please ask a …"
        assert staff in dcc and t(f"reason.{reason.value}") in dcc
        assert t(f"hint.{reason.value}") not in dcc  # "declare again", "come back later", …
        assert t(f"hint.{reason.value}") in kp1 and staff not in kp1


def test_the_dcc_wording_follows_the_house_style() -> None:
    vi, en = Messages("vi"), Messages("en")
    assert vi("reason.key_usage") == "Chứng nhận do đơn vị không có thẩm quyền cấp"
    assert vi("reason.key_usage").count("cấp") == 1
    assert en("reason.key_usage") == "Issued by a body not authorised for this certificate"
    assert en("reason.expired") == "This code has expired"
    assert vi("staff.vaccination_too_recent") == "Chưa đủ số ngày kể từ mũi tiêm cuối"
    assert vi("staff.vaccination_too_old") == "Mũi tiêm cuối đã quá lâu"
    assert "vắc xin" in vi("staff.product_not_accepted")
    assert vi("staff.test_positive") == "Kết quả xét nghiệm không âm tính"
    assert vi("staff.recovery_not_valid") == "Chứng nhận khỏi bệnh không trong thời hạn hiệu lực"
    assert "vắc-xin" not in catalogue_text("vi")
    for reason in Reason:
        if not reason.public:
            assert en(f"reason.{reason.value}") == "Please ask a member of staff", reason


def test_the_pin_screen_says_how_long_it_waits_after_too_many_wrong_pins() -> None:
    cfg = DisplayConfig(mode="headless", width=800, height=480)
    with Screen(cfg, venue_name="V", messages=Messages("vi")) as s:
        _, drawn = draw_with_text(s, GuardPinView(wrong=True, locked_for=30))
        text = " ".join(line.text for line in drawn.lines)
        assert "thử lại sau 30 giây" in text
        _, drawn = draw_with_text(s, GuardPinView(wrong=True))
        assert "30" not in " ".join(line.text for line in drawn.lines)


@pytest.mark.parametrize(
    ("kinds", "vi", "en"),
    [
        ([CodeKind.SIGNED_PASS], "Nơi này nhận: thẻ ra vào", "Accepted here: entry pass"),
        (
            [CodeKind.CCCD],
            "Nơi này nhận: thẻ căn cước (mặt sau có mã QR)",
            "Accepted here: ID card (QR code on the back)",
        ),
        (
            [CodeKind.SIGNED_PASS, CodeKind.CCCD],
            "Nơi này nhận: thẻ ra vào hoặc thẻ căn cước (mặt sau có mã QR)",
            "Accepted here: entry pass or ID card (QR code on the back)",
        ),
        (
            [CodeKind.NATIONAL_QR, CodeKind.CCCD, CodeKind.DCC],
            "Nơi này nhận: mã QR cá nhân, thẻ căn cước hoặc chứng nhận COVID của EU",
            "Accepted here: personal QR code, ID card or EU COVID certificate",
        ),
    ],
)
def test_the_idle_screen_lists_what_this_venue_admits(
    kinds: list[CodeKind], vi: str, en: str
) -> None:
    assert Messages("both").lines("idle.subtitle", admits=kinds) == [vi, en]
    cfg = DisplayConfig(mode="headless", width=1920, height=1080)
    with Screen(cfg, venue_name="V", messages=Messages("vi")) as s:
        _, drawn = draw_with_text(s, IdleView(admits=tuple(kinds)))
    shown = " ".join(line.text for line in drawn.lines).replace("\u00a0", " ")
    assert vi in shown


def test_a_refused_visitor_is_told_what_this_door_takes() -> None:
    """Not "open VNeID" (its identity QR is a token the kiosk cannot read), not the building's
    pass a venue may not have: what this venue admits, and a title that bans nobody."""
    admits = (CodeKind.CCCD,)
    t = Messages("both")
    for reason in (Reason.NOT_PERSONAL_CODE, Reason.KIND_NOT_ADMITTED):
        view = VerdictView(Verdict.FAIL, reason, code_kind=CodeKind.SIGNED_PASS, admits=admits)
        assert view.hint is not None
        assert t.lines(view.hint, admits=admits) == [
            "Vui lòng quét thẻ căn cước (mặt sau có mã QR)",
            "Please scan your ID card (QR code on the back)",
        ]
    assert Messages("vi")(fail_title(Reason.KIND_NOT_ADMITTED)) == "Cần loại mã khác"
    assert Messages("vi")("reason.kind_not_admitted").count("này") <= 1
    cfg = DisplayConfig(mode="headless", width=800, height=480)
    with Screen(cfg, venue_name="V", messages=Messages("vi")) as s:
        view = VerdictView(Verdict.FAIL, Reason.KIND_NOT_ADMITTED, admits=admits)
        _, drawn = draw_with_text(s, view)
    shown = " ".join(line.text for line in drawn.lines).replace("\u00a0", " ")
    assert "thẻ căn cước" in shown and "toà nhà" not in shown and "Không được vào" not in shown


def test_an_id_card_is_not_told_to_reload_or_declare_again() -> None:
    for reason in (Reason.MALFORMED, Reason.EXPIRED):
        card = VerdictView(Verdict.FAIL, reason, code_kind=CodeKind.CCCD).hint
        assert card == f"hint.cccd.{reason.value}"
        assert "khai báo" not in Messages("vi")(card) and "tải lại" not in Messages("vi")(card)


def test_words_that_lead_somewhere() -> None:
    vi, en = Messages("vi"), Messages("en")
    assert "pass" not in en("reason.already_inside") and "pass" not in en("reason.not_yet_valid")
    assert "nhân viên" in vi("hint.already_inside") and "nhân viên" in vi("hint.lists_stale")
    assert "Sorry" not in en("hint.lists_stale")
    assert "chưa xác thực" not in vi("pass.unverified")
    assert "damaged" not in en("reason.malformed")
