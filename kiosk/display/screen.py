"""Draws the views with pygame-ce: full screen (KMS/DRM on a Pi), windowed, or headless."""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from pathlib import Path
from types import TracebackType

import cv2
import numpy as np
import numpy.typing as npt

from checkin_protocol.reasons import Reason
from kiosk.config import DisplayConfig
from kiosk.display import icons
from kiosk.display.messages import Messages
from kiosk.display.png import write_rgb
from kiosk.display.text import balanced_lines
from kiosk.display.views import (
    ErrorView,
    GuardNameView,
    GuardPinView,
    GuardReasonView,
    GuardView,
    HistoryRow,
    HistoryView,
    IdleView,
    NoticeView,
    StatusBar,
    VerdictView,
    View,
    fail_title,
)
from kiosk.policy.engine import Verdict

os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
import pygame

Color = tuple[int, int, int]
WHITE: Color = (255, 255, 255)
# Every text colour on its background has a contrast ratio of at least 7:1 (WCAG AAA);
# tests/display checks the ratios.
IDLE_BG: Color = (16, 32, 56)
PASS_BG: Color = (0, 92, 40)
FAIL_BG: Color = (150, 0, 16)
ERROR_BG: Color = (40, 40, 40)
GUARD_BG: Color = (24, 24, 48)
STRIP_BG: Color = (8, 14, 26)
AMBER: Color = (255, 196, 0)
MUTED: Color = (200, 210, 225)
HINT_BG: Color = (255, 196, 0)
HINT_FG: Color = (20, 20, 20)
READ_OK: Color = (0, 230, 110)
ARROW: Color = (255, 214, 64)  # the idle arrow: warm like the hints, but not their amber

_FONT_DIR = resources.files("kiosk.display").joinpath("fonts")
log = logging.getLogger(__name__)


def history_cells(row: HistoryRow, t: Messages, unlocked: bool) -> list[str]:
    """One row of the guard's history: time, direction, verdict, name, reason, in `t`'s
    first language. A private reason (and the deny list's note) only when `unlocked`."""
    direction = t(f"history.{row.direction}") if t.has(f"history.{row.direction}") else ""
    verdict = t(f"history.{row.verdict}") if t.has(f"history.{row.verdict}") else row.verdict
    return [row.time, direction, verdict, row.masked_name, _reason_cell(row, t, unlocked)]


def _reason_cell(row: HistoryRow, t: Messages, unlocked: bool) -> str:
    if not row.reason:
        return ""
    if row.manual:
        key = f"manual.{row.reason}"
        return t(key) if t.has(key) else row.reason  # the venue's own label
    try:
        reason = Reason(row.reason)
    except ValueError:
        return ""  # no raw code on screen
    if reason.public:
        return t(f"reason.{reason.value}")
    if not unlocked:
        return t("guard.private")
    text = t(f"staff.{reason.value}")
    return f"{text}: {row.staff_note}" if row.staff_note else text


def elide(text: str, font: pygame.font.Font, room: int) -> str:
    """The text, cut with "…" to fit `room` pixels."""
    if font.size(text)[0] <= room:
        return text
    lo, hi = 0, len(text)  # the longest head that fits with "…": a binary search
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if font.size(text[:mid] + "…")[0] <= room:
            lo = mid
        else:
            hi = mid - 1
    return text[:lo].rstrip() + "…" if lo else ""


def _width(font: pygame.font.Font) -> Callable[[str], int]:
    return lambda text: font.size(text)[0]


def load_logo(path: Path | None) -> pygame.Surface | None:
    """The venue's logo, or None: a file that will not load is logged, not fatal."""
    if path is None:
        return None
    try:
        return pygame.image.load(str(path))
    except (pygame.error, OSError, ValueError) as exc:
        log.warning("logo %s not shown: %s", path, exc)
        return None


def default_font_path() -> Path:
    # DejaVu Sans covers all of Vietnamese (Latin Extended Additional); pygame's bundled
    # freesansbold.ttf lacks letters such as ễ and would draw boxes.
    return Path(str(_FONT_DIR.joinpath("DejaVuSans-Bold.ttf")))


@dataclass(frozen=True)
class PreviewFrame:
    """The newest camera frame, and where a code was last seen in it."""

    luma: npt.NDArray[np.uint8]
    corners: tuple[tuple[int, int], ...] = ()
    read: bool = False  # the code was decoded (green outline) or not (amber)
    # The frame's capture sequence number: a frame already shown is neither scaled nor drawn
    # again. None: a frame of unknown origin, scaled each time.
    seq: int | None = None


@dataclass(frozen=True)
class TextLine:
    """One line of text a frame drew."""

    text: str
    rect: pygame.Rect
    px: int
    paragraph: int  # lines of one paragraph share a number (and a size)
    floor: int  # the least size its rule allows (the 2 m rule for visitors' text)


@dataclass(frozen=True)
class Rendered:
    """What a frame drew: each line of text where and at what size, in drawing order (the
    view's first line first), and the pictograms and status icons by name."""

    lines: tuple[TextLine, ...]
    icons: tuple[str, ...] = ()

    @property
    def text_rects(self) -> tuple[pygame.Rect, ...]:
        return tuple(line.rect for line in self.lines)

    @property
    def font_sizes(self) -> tuple[int, ...]:
        return tuple(line.px for line in self.lines)


# Visitors' text is read from 2 m. A 7-inch 800×480 panel is 154 mm wide: 0.193 mm a pixel.
# The rule: capitals at least 4.2 mm high, 7.2 minutes of arc at 2 m (readable with 20/30
# vision; a 20/20 letter is 5′). DejaVu Sans Bold's capitals are 0.73 of the font size, so
# 30 px on 480 px: every visitor's line, either language, is at least 6.1 % of the short
# side. Staff text (the status strip, the guard's screens) is read at arm's length: 3.6 %.
READ_AT_2M = 0.061
READ_BY_STAFF = 0.036
CAP_HEIGHT = 0.73
SECOND_LANGUAGE = 0.8  # the second language's size, of the first's (never under the floor)


class Layout:
    """Where things go, from the screen size alone: landscape or portrait, 800×480 to 4K."""

    def __init__(self, w: int, h: int) -> None:
        self.w, self.h = w, h
        self.unit = min(w, h)
        self.portrait = h > w * 1.05
        self.margin = max(6, round(self.unit * 0.035))
        self.strip = pygame.Rect(0, 0, w, max(22, round(self.unit * 0.075)))
        self.body = pygame.Rect(0, self.strip.bottom, w, h - self.strip.bottom)
        m = self.margin
        # The preview leaves the words room for two languages at the 2 m size.
        if self.portrait:
            box = pygame.Rect(m, self.body.top + m, w - 2 * m, int(self.body.h * 0.36))
        else:
            box = pygame.Rect(m, self.body.top + m, int(w * 0.36) - m, self.body.h - 2 * m)
        # The preview keeps the camera's 4:3 shape, as large as fits its box.
        pw = min(box.w, box.h * 4 // 3)
        ph = pw * 3 // 4
        self.preview = pygame.Rect(0, 0, pw, ph)
        self.preview.center = box.center
        # Landscape: the preview at the top of its column, the pictogram under it.
        self.pictogram: pygame.Rect | None = None
        if not self.portrait:
            self.preview.top = box.top
            below = pygame.Rect(
                box.left, self.preview.bottom + m, box.w, box.bottom - self.preview.bottom - m
            )
            self.pictogram = below if below.h >= self.unit * 0.1 else None
        if self.portrait:
            self.panel = pygame.Rect(
                m,
                self.preview.bottom + m,
                w - 2 * m,
                self.body.bottom - self.preview.bottom - 2 * m,
            )
        else:
            self.panel = pygame.Rect(
                self.preview.right + m,
                self.body.top + m,
                w - self.preview.right - 2 * m,
                self.body.h - 2 * m,
            )


class Screen:
    def __init__(self, cfg: DisplayConfig, *, venue_name: str, messages: Messages) -> None:
        self._cfg = cfg
        self._venue = venue_name
        self._t = messages
        self._font_path = str(cfg.font or default_font_path())
        self._fonts: dict[int, pygame.font.Font] = {}
        self._fitted: dict[tuple[str, int, int, int], tuple[int, list[str]]] = {}
        self._widths: dict[tuple[str, int], int] = {}
        self._surface: pygame.Surface | None = None
        self._base: pygame.Surface | None = None
        self._base_key: tuple[object, ...] | None = None
        self.layout = Layout(cfg.width, cfg.height)
        # Collected while drawing the base picture, returned by `render` with it.
        self._guard_t = Messages(cfg.guard_language) if cfg.guard_language else messages
        self._drawn: list[TextLine] = []
        self._icons: list[str] = []
        self._paragraph = 0
        self._floor = 8  # the least font size the view being drawn allows
        self._heading = 0.0  # the size headings are drawn from (see _draw_view)
        self._measuring = False  # laying out only: text is measured, not rendered
        self._rendered = Rendered(())
        self._logo: pygame.Surface | None = None
        # What the screen shows now, and the preview scaled for it: idle, the camera's frame
        # changes at most at its own rate, and the screen is left alone between frames.
        self._shown: tuple[object, ...] | None = None  # the preview frame drawn, and its outline
        # The surface shares the bytes it is made from, which are kept with it.
        self._scaled: tuple[int, pygame.Surface, bytes] | None = None

    # ------------------------------------------------------------ lifecycle

    def __enter__(self) -> Screen:
        self.open()
        return self

    def __exit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def open(self) -> None:
        if self._cfg.mode == "headless":
            os.environ["SDL_VIDEODRIVER"] = "dummy"
        pygame.display.init()
        pygame.font.init()
        # A kiosk's screen must not blank while it waits for the next visitor.
        pygame.display.set_allow_screensaver(False)
        if self._cfg.mode == "fullscreen":
            # (0, 0): the display's own mode; on a Pi without a desktop SDL uses KMS/DRM.
            self._surface = pygame.display.set_mode((0, 0), pygame.FULLSCREEN)
            pygame.mouse.set_visible(False)
        else:
            self._surface = pygame.display.set_mode((self._cfg.width, self._cfg.height))
        pygame.display.set_caption(f"Check-in: {self._venue}")
        self.layout = Layout(*self._surface.get_size())
        self._logo = load_logo(self._cfg.logo)

    def close(self) -> None:
        self._fonts.clear()
        self._fitted.clear()
        self._widths.clear()
        self._surface = None
        self._base = None
        pygame.font.quit()
        pygame.display.quit()

    @property
    def surface(self) -> pygame.Surface:
        if self._surface is None:
            raise RuntimeError("screen is not open")
        return self._surface

    @property
    def size(self) -> tuple[int, int]:
        return self.surface.get_size()

    def set_messages(self, messages: Messages, guard: Messages | None = None) -> None:
        """The visitors' language, and the guard's (by default the config's, else the same)."""
        self._t = messages
        lang = self._cfg.guard_language
        self._guard_t = guard or (Messages(lang) if lang else messages)
        self._base_key = None

    def events(self) -> list[pygame.event.Event]:
        return pygame.event.get()

    def save(self, path: Path) -> None:
        w, h = self.surface.get_size()
        write_rgb(path, pygame.image.tobytes(self.surface, "RGB"), w, h)

    # ------------------------------------------------------------ text

    def _font(self, px: int) -> pygame.font.Font:
        px = max(8, px)
        font = self._fonts.get(px)
        if font is None:
            font = self._fonts[px] = pygame.font.Font(self._font_path, px)
        return font

    def _text_w(self, px: int, text: str) -> int:
        """A text's width at a size, remembered (the guard's table measures every cell at
        every scale it tries)."""
        key = (text, px)
        width = self._widths.get(key)
        if width is None:
            if len(self._widths) > 4096:
                self._widths.clear()
            width = self._widths[key] = self._font(px).size(text)[0]
        return width

    def _fit(self, text: str, px: int, max_w: int, floor: int) -> tuple[int, list[str]]:
        """One size for the whole paragraph: on one line if it fits at no less than 85 % of
        `px`, else balanced lines (see _wrap). Remembered: a crowded view is drawn at several
        scales, and the same paragraph recurs at its floor size."""
        key = (text, px, max_w, floor)
        fitted = self._fitted.get(key)
        if fitted is None:
            if len(self._fitted) > 2048:
                self._fitted.clear()  # bounded: venue and masked names change
            fitted = self._fitted[key] = self._wrap(text, px, max_w, floor)
        return fitted[0], list(fitted[1])

    def _wrap(self, text: str, px: int, max_w: int, floor: int) -> tuple[int, list[str]]:
        px = max(px, floor)
        size = px
        while size >= max(floor, int(px * 0.85)):
            if self._font(size).size(text)[0] <= max_w:
                return size, [text]
            size -= max(1, size // 16)
        # Smaller rather than a compound split ("Nhân / viên"); split only below the floor.
        # Down to 70 % of the size asked, the size with the fewest lines.
        size = px
        best: tuple[int, list[str]] | None = None
        while size >= floor and (best is None or size >= px * 0.7):
            lines = balanced_lines(text, _width(self._font(size)), max_w, split_glued=False)
            if lines is not None and (best is None or len(lines) < len(best[1])):
                best = (size, lines)
                if len(lines) == 1:
                    break
            size -= max(1, size // 16)
        if best is not None:
            return best
        size = px
        while True:
            lines = balanced_lines(text, _width(self._font(size)), max_w)
            if lines is not None or size <= 8:
                return size, lines or [text]
            size -= max(1, size // 16)

    def _line(
        self,
        surf: pygame.Surface,
        text: str,
        px: int,
        color: Color,
        center_x: int,
        top: int,
        max_w: int,
    ) -> int:
        """One paragraph, centred, in one size; returns the y below it."""
        floor = self._floor
        size, lines = self._fit(text, px, max_w, floor)
        font = self._font(size)
        self._paragraph += 1
        y = top
        for line in lines:
            if self._measuring:
                rect = pygame.Rect((0, 0), font.size(line))
                rect.midtop = (center_x, y)
            else:
                image = font.render(line, True, color)
                rect = image.get_rect(midtop=(center_x, y))
                surf.blit(image, rect)
            self._drawn.append(TextLine(line, rect, size, self._paragraph, floor))
            y = rect.bottom
        return y

    def _lines(
        self,
        surf: pygame.Surface,
        lines: Sequence[str],
        px: int,
        color: Color,
        center_x: int,
        top: int,
        max_w: int,
    ) -> int:
        """A text in one or two languages: the second a little smaller, under the first."""
        y = top
        for i, text in enumerate(lines):
            size = px if i == 0 else int(px * SECOND_LANGUAGE)
            y = self._line(surf, text, size, color, center_x, y, max_w)
        return y

    def _label(self, t: Messages, key: str) -> list[str]:
        """A catalogue label in each language shown, or nothing for a value it does not know
        (a raw category code is no word for a visitor)."""
        return t.lines(key) if t.has(key) else []

    # ------------------------------------------------------------ the status strip

    def _strip(self, surf: pygame.Surface, status: StatusBar, now: datetime, staff: bool) -> None:
        """Direction, then (visitors' screens) small calm icons or (the guard's) words, and
        the date and time on the right. The offline state never gives way."""
        lay = self.layout
        surf.fill(STRIP_BG, lay.strip)
        px = max(12, int(lay.strip.h * 0.55))
        font = self._font(px)
        pad = lay.margin // 2 + 4
        t = self._guard_t if staff else self._t
        direction = t.joined(f"direction.{status.direction}")
        if font.size(direction)[0] > lay.w * 0.3:
            direction = t(f"direction.{status.direction}")  # narrow: the first language
        stamp = now.strftime("%d/%m/%Y  %H:%M")
        room = lay.w - 2 * pad - font.size(direction)[0] - font.size(stamp)[0]
        if room < lay.strip.h * 2 or (staff and room < lay.w * 0.4):
            stamp = now.strftime("%H:%M")  # the date gives way before the offline icon
        clock = font.render(stamp, True, WHITE)
        right = clock.get_rect(midright=(lay.w - pad, lay.strip.centery))
        surf.blit(clock, right)
        self._drawn.append(TextLine(stamp, right, px, 0, 0))
        x = self._strip_text(surf, direction, font, WHITE, pad, right.left - pad)
        if x is None:
            return
        if staff:
            self._strip_words(surf, status, font, x + pad * 2, right.left - pad)
        else:
            self._strip_icons(surf, status, font, x + pad * 2, right.left - pad)

    def _strip_text(
        self, surf: pygame.Surface, text: str, font: pygame.font.Font, color: Color, x: int,
        limit: int,
    ) -> int | None:  # fmt: skip
        image = font.render(text, True, color)
        if x + image.get_width() > limit:
            return None
        rect = surf.blit(image, image.get_rect(midleft=(x, self.layout.strip.centery)))
        self._drawn.append(TextLine(text, rect, font.get_height(), 0, 0))
        return rect.right

    def _strip_words(
        self, surf: pygame.Surface, status: StatusBar, font: pygame.font.Font, x: int, limit: int
    ) -> None:
        """The guard's strip: what is wrong, in words, most important first."""
        items: list[tuple[tuple[str, str], Color]] = []
        if status.occupancy is not None:
            key = "status.inside.stale" if status.occupancy_stale else "status.inside"
            text = self._staff_text(key, n=status.occupancy)
            items.append(((text, text), WHITE))
        warn = self._warnings(status)
        if warn and items and x + font.size(items[0][0][0])[0] + font.size(warn[0][1])[0] > limit:
            items = []  # the count gives way to the most important warning
        pad = self.layout.margin + 8
        for (text, short), color in [*items, *((w, AMBER) for w in warn)]:
            end = self._strip_text(surf, text, font, color, x, limit)
            if end is None:
                end = self._strip_text(surf, short, font, color, x, limit)
            if end is None:
                break  # less important items give way on narrow screens
            x = end + pad

    def _warnings(self, status: StatusBar) -> list[tuple[str, str]]:
        """What is wrong, most important first: offline never gives way."""
        warn: list[tuple[str, str]] = []
        if status.online is False:
            warn.append(self._warning("status.offline"))
        if status.clock_offset is not None:
            warn.append(self._warning("status.clock_offset", n=status.clock_offset))
        if status.lists_stale:
            warn.append(self._warning("status.lists_stale"))
        if status.reader_down:
            warn.append(self._warning("status.reader_down"))
        if status.queued:
            warn.append(self._warning("status.waiting", n=status.queued))
        if status.muted:
            warn.append(self._warning("status.muted"))
        return warn

    def _staff_text(self, key: str, **values: object) -> str:
        return " · ".join(self._guard_t.lines(key, **values))

    def _warning(self, key: str, **values: object) -> tuple[str, str]:
        """The warning in each language, and a shorter form (one language) for a narrow strip."""
        short = f"{key}.short"
        text = self._staff_text(key, **values)
        return text, self._guard_t(short if self._guard_t.has(short) else key, **values)

    def _strip_icons(
        self, surf: pygame.Surface, status: StatusBar, font: pygame.font.Font, x: int, limit: int
    ) -> None:
        """Visitors' strip: staff matters as small icons in a quiet colour, offline first."""
        size = max(10, int(self.layout.strip.h * 0.6))
        items: list[tuple[str, str]] = []
        if status.online is False:
            items.append(("offline", ""))
        if status.occupancy is not None:
            items.append(("inside", str(status.occupancy)))
        if status.queued:
            items.append(("queued", str(status.queued)))
        for name, on in (
            ("clock", status.clock_offset is not None),
            ("stale", status.lists_stale),
            ("reader", status.reader_down),
            ("muted", status.muted),
        ):
            if on:
                items.append((name, ""))
        cy = self.layout.strip.centery
        for name, count in items:
            width = size + (font.size(count)[0] + 2 if count else 0)
            if x + width > limit:
                break
            box = pygame.Rect(x, cy - size // 2, size, size)
            icons.draw(surf, name, box, MUTED, STRIP_BG)
            self._icons.append(name)
            if count:
                self._strip_text(surf, count, font, MUTED, box.right + 2, limit)
            x += width + size // 2

    # ------------------------------------------------------------ pieces

    def _icon(
        self, surf: pygame.Surface, verdict: Verdict, center: tuple[int, int], r: int
    ) -> None:
        pygame.draw.circle(surf, WHITE, center, r)
        cx, cy = center
        width = max(4, r // 5)
        if verdict is Verdict.PASS:
            pts = [
                (cx - r * 0.5, cy + r * 0.02),
                (cx - r * 0.12, cy + r * 0.4),
                (cx + r * 0.55, cy - r * 0.38),
            ]
            pygame.draw.lines(surf, PASS_BG, False, pts, width)
        else:
            d = r * 0.45
            pygame.draw.line(surf, FAIL_BG, (cx - d, cy - d), (cx + d, cy + d), width)
            pygame.draw.line(surf, FAIL_BG, (cx - d, cy + d), (cx + d, cy - d), width)

    # ------------------------------------------------------------ views

    def _draw_base(self, view: View, status: StatusBar, now: datetime) -> pygame.Surface:
        lay = self.layout
        surf = pygame.Surface((lay.w, lay.h))
        staff = isinstance(view, GuardView)
        self._floor = math.ceil(lay.unit * (READ_BY_STAFF if staff else READ_AT_2M))
        # Measure at full size; if the content runs past the bottom, measure again smaller
        # (text is laid out, not rendered). Then draw it once, centred in the space it has.
        # Portrait screens have the height for larger text: they try larger first.
        live = isinstance(view, IdleView) and self._cfg.preview
        area = lay.panel if live else lay.body
        scales: tuple[float, ...] = (1.0, 0.86, 0.74, 0.62, 0.5, 0.42, 0.36)
        if lay.portrait:
            scales = (1.4, 1.25, 1.12, *scales)
        scale = 1.0
        bottom = 0
        self._measuring = True
        try:
            for scale in scales:
                self._reset()
                bottom = self._draw_view(surf, view, status, scale, 0)
                if bottom <= area.bottom - lay.margin:
                    break
        finally:
            self._measuring = False
        slack = area.bottom - bottom
        dy = 0
        if slack > lay.margin * 2 and not isinstance(view, NoticeView):
            dy = max(0, slack // 2 - (lay.margin if not live else 0))
        self._reset()
        self._draw_view(surf, view, status, scale, dy)
        self._strip(surf, status, now, staff)
        return surf

    def _reset(self) -> None:
        self._drawn, self._icons, self._paragraph = [], [], 0

    def _draw_view(
        self, surf: pygame.Surface, view: View, status: StatusBar, s: float, dy: int
    ) -> int:
        """Draw the view's body at scale `s`, `dy` lower; returns the y below its content."""
        u = self.layout.unit * s
        # Headings shrink more slowly than the rest, which stops at the floor: the verdict's
        # title stays the largest line when a screen is crowded.
        self._heading = self.layout.unit * math.sqrt(s)
        if isinstance(view, IdleView):
            return self._draw_idle(surf, view, u, dy)
        if isinstance(view, VerdictView):
            return self._draw_verdict(surf, view, status, u, dy)
        if isinstance(view, ErrorView):
            return self._draw_error(surf, view, u, dy)
        return self._draw_guard(surf, view, u, dy)

    def _draw_idle(self, surf: pygame.Surface, view: IdleView, u: float, dy: int) -> int:
        """The waiting screen: logo, venue, how to scan (words and a pictogram with an arrow
        toward the camera), and a hint when a code will not read."""
        lay = self.layout
        surf.fill(IDLE_BG)
        panel = (
            lay.panel if self._cfg.preview else lay.body.inflate(-2 * lay.margin, -2 * lay.margin)
        )
        if self._cfg.preview:
            pygame.draw.rect(surf, (0, 0, 0), lay.preview)
        pcx, pw = panel.centerx, panel.w
        y = panel.top + dy
        if self._logo is not None:
            y = self._draw_logo(surf, pcx, y, pw, int(u * 0.12)) + int(u * 0.02)
        y = self._line(surf, self._venue, int(u * 0.07), MUTED, pcx, y, pw) + int(u * 0.03)
        y = self._lines(surf, self._t.lines("idle.title"), int(u * 0.11), WHITE, pcx, y, pw)
        y += int(u * 0.03)
        if view.hint:
            # A code is in view: what to show and how to aim give way to what to change.
            return self._draw_hint(surf, view.hint, panel, u, y)
        y = self._lines(surf, self._t.lines("idle.subtitle"), int(u * 0.05), MUTED, pcx, y, pw)
        if self._cfg.preview and lay.pictogram is not None:
            room = lay.pictogram
            h = min(room.h, int(lay.unit * 0.25))
            self._draw_pictogram(surf, room.centerx, room.top + (room.h - h) // 2, h)
        else:
            y = self._draw_pictogram(surf, pcx, y + int(u * 0.03), int(u * 0.2))
        if self._cfg.preview and len(self._t.languages) == 1:
            # The aiming frame's corners say it too: with two languages, room goes to them.
            y = self._lines(
                surf, self._t.lines("idle.frame"), int(u * 0.05), MUTED, pcx, y + int(u * 0.03), pw
            )
        return y

    def _draw_logo(self, surf: pygame.Surface, cx: int, y: int, max_w: int, h: int) -> int:
        assert self._logo is not None
        lw, lh = self._logo.get_size()
        scale = min(h / lh, max_w / lw)
        size = (max(1, int(lw * scale)), max(1, int(lh * scale)))
        image = pygame.transform.smoothscale(self._logo, size)
        rect = image.get_rect(midtop=(cx, y))
        surf.blit(image, rect)
        self._icons.append("logo")
        return rect.bottom

    def _draw_pictogram(self, surf: pygame.Surface, cx: int, y: int, h: int) -> int:
        """A phone showing a QR code, and an arrow toward the camera."""
        side = self._cfg.camera_at
        phone = pygame.Rect(0, 0, int(h * 0.56), h)
        arrow = pygame.Rect(0, 0, int(h * 0.6), int(h * 0.6))
        gap = h // 6
        total = phone.w + gap + arrow.w
        left = cx - total // 2
        if side == "left":
            arrow.topleft = (left, y + (h - arrow.h) // 2)
            phone.topleft = (arrow.right + gap, y)
        else:
            phone.topleft = (left, y)
            arrow.topleft = (phone.right + gap, y + (h - arrow.h) // 2)
        icons.draw(surf, "phone", phone, WHITE, IDLE_BG)
        icons.draw(surf, f"arrow-{side}", arrow, ARROW, IDLE_BG)
        self._icons += ["phone", f"arrow-{side}"]
        return y + h

    def _draw_hint(
        self, surf: pygame.Surface, hint: str, panel: pygame.Rect, u: float, top: int
    ) -> int:
        """The help hint on an amber box (the amber of the unread code's outline)."""
        lay = self.layout
        lines = self._t.lines(hint)
        pad = int(u * 0.02)
        args = (int(u * 0.08), HINT_FG, panel.centerx, top + pad, panel.w - 2 * lay.margin)
        # Measure by drawing on a scratch surface, then draw the box and the text.
        kept = (list(self._drawn), self._paragraph)
        end = self._lines(pygame.Surface((1, 1)), lines, *args)
        self._drawn, self._paragraph = kept
        box = pygame.Rect(panel.left, top, panel.w, end - top + pad)
        pygame.draw.rect(surf, HINT_BG, box, border_radius=max(4, int(u * 0.02)))
        return self._lines(surf, lines, *args) + pad

    def _draw_verdict(
        self, surf: pygame.Surface, view: VerdictView, status: StatusBar, u: float, dy: int
    ) -> int:
        """A verdict: the icon, then what it says."""
        lay = self.layout
        cx, w = lay.w // 2, lay.w - 2 * lay.margin
        passed = view.verdict is Verdict.PASS
        surf.fill(PASS_BG if passed else FAIL_BG)
        r = int(u * 0.13)
        top = lay.body.top + lay.margin + dy
        self._icon(surf, view.verdict, (cx, top + r), r)
        y = top + 2 * r + int(u * 0.025)
        if passed:
            return self._draw_pass(surf, view, status, u, y)
        title = fail_title(view.reason)
        y = self._lines(surf, self._t.lines(title), int(self._heading * 0.12), WHITE, cx, y, w)
        y += int(u * 0.02)
        reason = view.reason
        if reason is None or not reason.public:
            # Reasons that reveal health status or a sanction are never shown publicly.
            return self._lines(
                surf, self._t.lines("fail.see_staff"), int(u * 0.08), WHITE, cx, y, w
            )
        y = self._lines(
            surf, self._t.lines(f"reason.{reason.value}"), int(u * 0.08), WHITE, cx, y, w
        )
        y += int(u * 0.02)
        hint = view.hint or f"hint.{reason.value}"
        return self._lines(surf, self._t.lines(hint), int(u * 0.06), WHITE, cx, y, w)

    def _draw_pass(
        self, surf: pygame.Surface, view: VerdictView, status: StatusBar, u: float, y: int
    ) -> int:
        """A PASS's text, from `y` down: who, and what else the guard should know."""
        cx, w = self.layout.w // 2, self.layout.w - 2 * self.layout.margin
        title = "pass.manual" if view.manual_reason else f"pass.{status.direction}"
        px = int(self._heading * 0.14)
        y = self._lines(surf, self._t.lines(title), px, WHITE, cx, y, w) + int(u * 0.02)
        if view.masked_name:
            y = self._line(surf, view.masked_name, int(u * 0.11), WHITE, cx, y, w) + int(u * 0.015)
        details = [self._details(view, lang) for lang in self._t.languages]
        return self._lines(surf, [d for d in details if d], int(u * 0.065), WHITE, cx, y, w)

    def _details(self, view: VerdictView, lang: str) -> str:
        """Birth year, category, manual reason or "not verified", in one language."""
        t = Messages(lang)  # type: ignore[arg-type]
        parts = []
        if view.birth_year:
            parts.append(t("pass.born", year=view.birth_year))
        if view.category and t.has(f"category.{view.category}"):
            parts.append(t(f"category.{view.category}"))
        if view.manual_reason:
            key = f"manual.{view.manual_reason}"
            # The venue's own reason label (config) when the catalogue has none.
            parts.append(t(key) if t.has(key) else view.manual_reason)
        elif not view.verified:
            parts.append(t("pass.unverified"))
        return " · ".join(parts)

    def _draw_error(self, surf: pygame.Surface, view: ErrorView, u: float, dy: int) -> int:
        """Out of order, or cannot record: a warning sign and what to do."""
        lay = self.layout
        cx, w = lay.w // 2, lay.w - 2 * lay.margin
        surf.fill(ERROR_BG)
        top = lay.body.top + lay.margin + dy
        side = int(u * 0.2)
        icons.draw(surf, "warning", pygame.Rect(cx - side // 2, top, side, side), AMBER, ERROR_BG)
        y = top + side + int(u * 0.04)
        y = self._lines(surf, self._t.lines(view.key), int(u * 0.11), AMBER, cx, y, w) + int(
            u * 0.03
        )
        return self._lines(surf, self._t.lines("error.hint"), int(u * 0.07), WHITE, cx, y, w)

    def _draw_guard(self, surf: pygame.Surface, view: View, u: float, dy: int) -> int:
        """The guard's screens, on their own background, in the guard's language."""
        lay = self.layout
        t = self._guard_t
        cx, w = lay.w // 2, lay.w - 2 * lay.margin
        surf.fill(GUARD_BG)
        y = lay.body.top + lay.margin + dy
        if isinstance(view, NoticeView):
            y = lay.body.top + lay.body.h // 3
            lines = [
                Messages(lang)(view.key, mode=Messages(lang)(view.value) if view.value else "")
                for lang in t.languages
            ]
            return self._lines(surf, lines, int(u * 0.1), WHITE, cx, y, w)
        if isinstance(view, HistoryView):
            return self._draw_history(surf, view, u, y)
        if isinstance(view, GuardPinView):
            y = self._draw_pin(surf, view, u, y)
        elif isinstance(view, GuardReasonView):
            n = len(view.reasons)
            y = self._lines(surf, t.lines("guard.reason", n=n), int(u * 0.08), WHITE, cx, y, w)
            y += int(u * 0.03)
            for i, choice in enumerate(view.reasons, start=1):
                key = f"manual.{choice}"
                label = t(key) if t.has(key) else choice
                y = self._line(surf, f"{i}. {label}", int(u * 0.065), WHITE, cx, y, w)
                y += int(u * 0.008)
        elif isinstance(view, GuardNameView):
            y = self._lines(surf, t.lines("guard.name"), int(u * 0.08), WHITE, cx, y, w)
            y = self._line(surf, view.text + "_", int(u * 0.1), WHITE, cx, y + int(u * 0.04), w)
        else:
            raise AssertionError(f"unhandled view {view!r}")
        return self._cancel_line(surf, view.cancel, u, y + int(u * 0.04))

    def _cancel_line(self, surf: pygame.Surface, keys: str, u: float, y: int) -> int:
        lay = self.layout
        lines = self._guard_t.lines("guard.cancel", keys=keys)
        return self._lines(surf, lines, int(u * 0.05), MUTED, lay.w // 2, y, lay.w - 2 * lay.margin)

    def _draw_pin(self, surf: pygame.Surface, view: GuardPinView, u: float, y: int) -> int:
        lay = self.layout
        cx, w = lay.w // 2, lay.w - 2 * lay.margin
        y = self._lines(surf, self._guard_t.lines("guard.pin"), int(u * 0.08), WHITE, cx, y, w)
        dots = "● " * view.digits + "○ " * max(0, 4 - view.digits)
        y = self._line(surf, dots.strip(), int(u * 0.1), WHITE, cx, y + int(u * 0.04), w)
        if view.wrong:
            lines = self._guard_t.lines("guard.pin_wrong")
            y = self._lines(surf, lines, int(u * 0.07), AMBER, cx, y + int(u * 0.03), w)
        if view.locked_for:
            lines = self._guard_t.lines("guard.pin_locked", n=view.locked_for)
            y = self._lines(surf, lines, int(u * 0.07), AMBER, cx, y + int(u * 0.03), w)
        return y

    def _draw_history(self, surf: pygame.Surface, view: HistoryView, u: float, y: int) -> int:
        """The last decisions, for the guard: aligned columns, reasons in their language,
        private reasons only once the PIN was entered."""
        lay = self.layout
        t = self._guard_t
        cx, w = lay.w // 2, lay.w - 2 * lay.margin
        y = self._lines(surf, t.lines("guard.history"), int(u * 0.07), WHITE, cx, y, w)
        y += int(u * 0.02)
        cells = [history_cells(row, t, view.unlocked) for row in view.rows]
        colors = [AMBER if row.verdict != "PASS" else WHITE for row in view.rows]
        y = self._table(surf, cells, colors, int(u * 0.045), lay.margin, y, w)
        if not view.unlocked:
            y = self._lines(
                surf, t.lines("guard.history_pin"), int(u * 0.045), MUTED, cx, y + int(u * 0.02), w
            )
        return self._cancel_line(surf, view.cancel, u, y + int(u * 0.01))

    def _table(
        self, surf: pygame.Surface, rows: list[list[str]], colors: list[Color], px: int,
        left: int, top: int, width: int,
    ) -> int:  # fmt: skip
        """Left-aligned columns. Where the last one does not fit beside the others even at the
        floor size on a portrait screen, it goes on a line of its own under its row, indented;
        what still does not fit is cut with "…"."""
        if not rows:
            return top
        size = max(px, self._floor)
        while True:
            font = self._font(size)
            gap = self._text_w(size, "  ")
            fixed = [max(self._text_w(size, r[i]) for r in rows) for i in range(len(rows[0]) - 1)]
            last = max(self._text_w(size, r[-1]) for r in rows)
            if size <= self._floor or sum(fixed) + gap * len(fixed) + last <= width:
                break
            # Smaller, down to the floor, before the last column moves or is cut.
            size = max(self._floor, size - max(1, size // 12))
        stacked = self.layout.portrait and sum(fixed) + gap * len(fixed) + last > width
        self._paragraph += 1
        y = top
        for cells, color in zip(rows, colors, strict=True):
            x = left
            for i, cell in enumerate(cells):
                if i == len(fixed) and stacked:
                    x, y = left + fixed[0] + gap, y + font.get_linesize()
                text = cell if i < len(fixed) else elide(cell, font, left + width - x)
                if text:
                    rect = (
                        pygame.Rect((x, y), font.size(text))
                        if self._measuring
                        else surf.blit(font.render(text, True, color), (x, y))
                    )
                    self._drawn.append(TextLine(text, rect, size, self._paragraph, self._floor))
                x += (fixed[i] if i < len(fixed) else 0) + gap
            y += font.get_linesize()
        return y

    def _preview_image(self, preview: PreviewFrame) -> pygame.Surface:
        """The frame scaled to the preview's box, once per frame."""
        box = self.layout.preview
        cached = self._scaled
        if cached is not None and cached[0] == preview.seq and cached[1].get_size() == box.size:
            return cached[1]
        scaled = cv2.resize(preview.luma, (box.w, box.h), interpolation=cv2.INTER_AREA)
        if self._cfg.mirror:
            scaled = cv2.flip(scaled, 1)
        data = cv2.cvtColor(scaled, cv2.COLOR_GRAY2RGB).tobytes()
        image = pygame.image.frombuffer(data, (box.w, box.h), "RGB")
        if preview.seq is not None:
            self._scaled = (preview.seq, image, data)
        return image

    def _draw_preview(self, preview: PreviewFrame) -> None:
        box = self.layout.preview
        h, w = preview.luma.shape
        self.surface.blit(self._preview_image(preview), box)
        # The aiming frame: corner brackets round the middle of the view.
        aim = box.inflate(-box.w * 0.3, -box.h * 0.2)
        arm, width = max(10, aim.w // 6), max(3, box.w // 120)
        for (x, y), (dx, dy) in zip(
            (aim.topleft, aim.topright, aim.bottomleft, aim.bottomright),
            ((1, 1), (-1, 1), (1, -1), (-1, -1)),
            strict=True,
        ):
            pygame.draw.line(self.surface, WHITE, (x, y), (x + dx * arm, y), width)
            pygame.draw.line(self.surface, WHITE, (x, y), (x, y + dy * arm), width)
        if len(preview.corners) >= 3:
            sx, sy = box.w / w, box.h / h
            pts = [
                (box.left + (box.w - x * sx if self._cfg.mirror else x * sx), box.top + y * sy)
                for x, y in preview.corners
            ]
            pygame.draw.polygon(
                self.surface, READ_OK if preview.read else AMBER, pts, max(3, box.w // 100)
            )

    # ------------------------------------------------------------ the frame

    def render(
        self, view: View, status: StatusBar, now: datetime, preview: PreviewFrame | None = None
    ) -> Rendered:
        """Draw one frame: the view (cached until it, the status or the minute changes). Nothing
        is drawn when nothing changed: the same view and status, and no new camera frame."""
        key = (
            view, status, now.strftime("%Y-%m-%d %H:%M"), self.layout.w, self.layout.h,
            self._t.language, self._guard_t.language,
        )  # fmt: skip
        live = isinstance(view, IdleView) and self._cfg.preview and preview is not None
        shown = (preview.seq, preview.corners, preview.read) if live and preview else None
        unknown_frame = live and preview is not None and preview.seq is None
        base = self._base
        if base is None or key != self._base_key:
            base = self._base = self._draw_base(view, status, now)
            self._base_key = key
            self._rendered = Rendered(tuple(self._drawn), tuple(self._icons))
        elif shown == self._shown and not unknown_frame:
            return self._rendered
        self._shown = shown
        self.surface.blit(base, (0, 0))
        if live and preview is not None:
            self._draw_preview(preview)
        pygame.display.flip()
        return self._rendered
