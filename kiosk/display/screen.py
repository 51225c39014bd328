"""Draws the views with pygame-ce: full screen (KMS/DRM on a Pi), windowed, or headless."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from pathlib import Path
from types import TracebackType

import cv2
import numpy as np
import numpy.typing as npt

from kiosk.config import DisplayConfig
from kiosk.display.messages import Messages
from kiosk.display.views import (
    ErrorView,
    GuardPinView,
    GuardReasonView,
    HistoryView,
    IdleView,
    NoticeView,
    StatusBar,
    VerdictView,
    View,
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

_FONT_DIR = resources.files("kiosk.display").joinpath("fonts")


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
class Rendered:
    """What a frame drew: where each text went and at what size, in drawing order
    (the view's first line first), for checks that nothing is cut off or too small."""

    text_rects: tuple[pygame.Rect, ...]
    font_sizes: tuple[int, ...]


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
        if self.portrait:
            box = pygame.Rect(m, self.body.top + m, w - 2 * m, int(self.body.h * 0.48))
        else:
            box = pygame.Rect(m, self.body.top + m, int(w * 0.5) - m, self.body.h - 2 * m)
        # The preview keeps the camera's 4:3 shape, as large as fits its box.
        pw = min(box.w, box.h * 4 // 3)
        ph = pw * 3 // 4
        self.preview = pygame.Rect(0, 0, pw, ph)
        self.preview.center = box.center
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
        self._surface: pygame.Surface | None = None
        self._base: pygame.Surface | None = None
        self._base_key: tuple[object, ...] | None = None
        self.layout = Layout(cfg.width, cfg.height)
        # Collected while drawing the base picture, returned by `render` with it.
        self._text_rects: list[pygame.Rect] = []
        self._font_sizes: list[int] = []
        self._rendered = Rendered((), ())
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

    def close(self) -> None:
        self._fonts.clear()
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

    def set_messages(self, messages: Messages) -> None:
        self._t = messages
        self._base_key = None

    def events(self) -> list[pygame.event.Event]:
        return pygame.event.get()

    def save(self, path: Path) -> None:
        pygame.image.save(self.surface, str(path))

    # ------------------------------------------------------------ text

    def _font(self, px: int) -> pygame.font.Font:
        px = max(8, px)
        font = self._fonts.get(px)
        if font is None:
            font = self._fonts[px] = pygame.font.Font(self._font_path, px)
        return font

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
        """One line, centred; shrunk to fit `max_w`, else wrapped. Returns the y below it."""
        size = px
        font = self._font(size)
        while font.size(text)[0] > max_w and size > px * 0.8:  # then wrap, rather than shrink
            size = int(size * 0.92)
            font = self._font(size)
        if font.size(text)[0] > max_w and " " in text:
            words = text.split(" ")
            for cut in range(len(words) - 1, 0, -1):
                head = " ".join(words[:cut])
                if font.size(head)[0] <= max_w:
                    y = self._line(surf, head, size, color, center_x, top, max_w)
                    return self._line(surf, " ".join(words[cut:]), size, color, center_x, y, max_w)
        image = font.render(text, True, color)
        rect = image.get_rect(midtop=(center_x, top))
        surf.blit(image, rect)
        self._text_rects.append(rect)
        self._font_sizes.append(size)
        return rect.bottom

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
        """A text in one or two languages: the second smaller, under the first."""
        y = top
        for i, text in enumerate(lines):
            y = self._line(surf, text, px if i == 0 else int(px * 0.62), color, center_x, y, max_w)
        return y

    # ------------------------------------------------------------ pieces

    def _strip(self, surf: pygame.Surface, status: StatusBar, now: datetime) -> None:
        lay = self.layout
        surf.fill(STRIP_BG, lay.strip)
        px = max(12, int(lay.strip.h * 0.55))
        font = self._font(px)
        y = lay.strip.centery
        pad = lay.margin // 2 + 4
        left = [self._t.joined(f"direction.{status.direction}")]
        if status.occupancy is not None:
            key = "status.inside.stale" if status.occupancy_stale else "status.inside"
            left.append(self._t(key, n=status.occupancy))
        # Most important first: the rest give way on narrow screens. Each is (text, shorter text
        # for a narrow strip, where the catalogue has one).
        warn: list[tuple[str, str]] = []
        if status.clock_offset is not None:
            warn.append(self._warning("status.clock_offset", n=status.clock_offset))
        if status.lists_stale:
            warn.append(self._warning("status.lists_stale"))
        if status.reader_down:
            warn.append(self._warning("status.reader_down"))
        if status.online is False:
            warn.append(self._warning("status.offline"))
        if status.queued:
            warn.append(self._warning("status.waiting", n=status.queued))
        if status.muted:
            warn.append(self._warning("status.muted"))
        clock = font.render(now.strftime("%H:%M"), True, WHITE)
        right = clock.get_rect(midright=(lay.w - pad, y))
        surf.blit(clock, right)
        self._text_rects.append(right)
        x = pad
        room = right.left - pad
        info = " · ".join(left)
        if warn and (font.size(info)[0] + pad * 2 + font.size(warn[0][1])[0] > room - x):
            info = left[0]  # the count gives way to the most important warning for staff
        items = [((info, info), WHITE), *((w, AMBER) for w in warn)]
        for (text, short), color in items:
            image = font.render(text, True, color)
            if x + image.get_width() > room:
                image = font.render(short, True, color)
            if x + image.get_width() > room:
                break  # less important items give way on narrow screens
            rect = surf.blit(image, image.get_rect(midleft=(x, y)))
            self._text_rects.append(rect)
            x = rect.right + pad * 2

    def _warning(self, key: str, **values: object) -> tuple[str, str]:
        short = f"{key}.short"
        text = self._t(key, **values)
        return text, self._t(short, **values) if self._t.has(short) else text

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
        # Draw at full size; if the content runs past the bottom, draw again smaller. Then
        # draw it once more, centred in the space it has (tall portrait screens).
        area = lay.panel if isinstance(view, IdleView) and self._cfg.preview else lay.body
        start = area.top if isinstance(view, IdleView) and self._cfg.preview else lay.body.top
        scale = 1.0
        for scale in (1.0, 0.86, 0.74, 0.62, 0.5):
            self._text_rects, self._font_sizes = [], []
            bottom = self._draw_view(surf, view, status, scale, 0)
            if bottom <= area.bottom:
                break
        slack = area.bottom - bottom
        if slack > lay.margin * 2 and not isinstance(view, NoticeView):
            self._text_rects, self._font_sizes = [], []
            dy = slack // 2 - (lay.margin if start == lay.body.top else 0)
            self._draw_view(surf, view, status, scale, max(0, dy))
        self._strip(surf, status, now)
        return surf

    def _draw_view(
        self, surf: pygame.Surface, view: View, status: StatusBar, s: float, dy: int
    ) -> int:
        """Draw the view's body at scale `s`, `dy` lower; returns the y below its content."""
        u = self.layout.unit * s
        if isinstance(view, IdleView):
            return self._draw_idle(surf, view, status, u, dy)
        if isinstance(view, VerdictView):
            return self._draw_verdict(surf, view, status, u, dy)
        if isinstance(view, ErrorView):
            return self._draw_error(surf, view, status, u, dy)
        return self._draw_guard(surf, view, status, u, dy)

    def _draw_idle(
        self, surf: pygame.Surface, view: IdleView, status: StatusBar, u: float, dy: int
    ) -> int:
        """The waiting screen: venue, how to scan, and a hint when a code will not read."""
        lay = self.layout
        surf.fill(IDLE_BG)
        panel = (
            lay.panel if self._cfg.preview else lay.body.inflate(-2 * lay.margin, -2 * lay.margin)
        )
        if self._cfg.preview:
            pygame.draw.rect(surf, (0, 0, 0), lay.preview)
        pcx, pw = panel.centerx, panel.w
        y = panel.top + dy
        y = self._line(surf, self._venue, int(u * 0.07), MUTED, pcx, y, pw) + int(u * 0.04)
        y = self._lines(surf, self._t.lines("idle.title"), int(u * 0.11), WHITE, pcx, y, pw) + int(
            u * 0.03
        )
        y = self._lines(
            surf, self._t.lines("idle.subtitle"), int(u * 0.05), MUTED, pcx, y, pw
        ) + int(u * 0.03)
        if view.hint:
            lines = self._t.lines(view.hint)
            box_top = y
            inner = pygame.Rect(panel.left, box_top, pw, 10)
            # Measure by drawing on a scratch surface, then draw the box and the text.
            scratch = pygame.Surface((1, 1))
            rects, sizes = list(self._text_rects), list(self._font_sizes)
            end = self._lines(
                scratch,
                lines,
                int(u * 0.08),
                HINT_FG,
                pcx,
                box_top + int(u * 0.02),
                pw - 2 * lay.margin,
            )
            self._text_rects, self._font_sizes = rects, sizes
            inner.h = end - box_top + int(u * 0.02)
            pygame.draw.rect(surf, HINT_BG, inner, border_radius=max(4, int(u * 0.02)))
            y = self._lines(
                surf,
                lines,
                int(u * 0.08),
                HINT_FG,
                pcx,
                box_top + int(u * 0.02),
                pw - 2 * lay.margin,
            )
            y += int(u * 0.02)
        elif self._cfg.preview:
            y = self._lines(surf, self._t.lines("idle.frame"), int(u * 0.05), MUTED, pcx, y, pw)
        return y

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
        y = self._lines(surf, self._t.lines("fail.title"), int(u * 0.13), WHITE, cx, y, w) + int(
            u * 0.02
        )
        reason = view.reason
        if reason is None or not reason.public:
            # Reasons that reveal health status or a sanction are never shown publicly.
            return self._lines(
                surf, self._t.lines("fail.see_staff"), int(u * 0.085), WHITE, cx, y, w
            )
        y = self._lines(
            surf, self._t.lines(f"reason.{reason.value}"), int(u * 0.085), WHITE, cx, y, w
        )
        y += int(u * 0.02)
        return self._lines(
            surf, self._t.lines(f"hint.{reason.value}"), int(u * 0.06), WHITE, cx, y, w
        )

    def _draw_pass(
        self, surf: pygame.Surface, view: VerdictView, status: StatusBar, u: float, y: int
    ) -> int:
        """A PASS's text, from `y` down: who, and what else the guard should know."""
        cx, w = self.layout.w // 2, self.layout.w - 2 * self.layout.margin
        title = "pass.manual" if view.manual_reason else f"pass.{status.direction}"
        y = self._lines(surf, self._t.lines(title), int(u * 0.14), WHITE, cx, y, w) + int(u * 0.02)
        if view.masked_name:
            y = self._line(surf, view.masked_name, int(u * 0.11), WHITE, cx, y, w) + int(u * 0.015)
        details = []
        if view.birth_year:
            details.append(self._t("pass.born", year=view.birth_year))
        if view.category:
            key = f"category.{view.category}"
            details.append(self._t(key) if self._t.has(key) else view.category)
        if view.manual_reason:
            key = f"manual.{view.manual_reason}"
            details.append(self._t(key) if self._t.has(key) else view.manual_reason)
        elif not view.verified:
            details.append(self._t("pass.unverified"))
        if details:
            y = self._line(surf, " · ".join(details), int(u * 0.065), WHITE, cx, y, w)
        return y

    def _draw_error(
        self, surf: pygame.Surface, view: ErrorView, status: StatusBar, u: float, dy: int
    ) -> int:
        """Out of order, or cannot record: a warning sign and what to do."""
        lay = self.layout
        cx, w = lay.w // 2, lay.w - 2 * lay.margin
        surf.fill(ERROR_BG)
        top = lay.body.top + lay.margin + dy
        side = int(u * 0.2)
        pygame.draw.polygon(
            surf,
            AMBER,
            [(cx, top), (cx - side * 0.58, top + side), (cx + side * 0.58, top + side)],
        )
        pygame.draw.rect(
            surf, ERROR_BG, (cx - side // 20, top + side * 0.3, side // 10, side * 0.4)
        )
        pygame.draw.circle(surf, ERROR_BG, (cx, int(top + side * 0.82)), max(2, side // 16))
        y = top + side + int(u * 0.04)
        y = self._lines(surf, self._t.lines(view.key), int(u * 0.11), AMBER, cx, y, w) + int(
            u * 0.03
        )
        return self._lines(surf, self._t.lines("error.hint"), int(u * 0.07), WHITE, cx, y, w)

    def _draw_guard(
        self, surf: pygame.Surface, view: View, status: StatusBar, u: float, dy: int
    ) -> int:
        """The guard's screens, on their own background."""
        lay = self.layout
        cx, w = lay.w // 2, lay.w - 2 * lay.margin
        surf.fill(GUARD_BG)
        y = lay.body.top + lay.margin + dy
        if isinstance(view, NoticeView):
            y = lay.body.top + lay.body.h // 3
            value = self._t.joined(view.value) if self._t.has(view.value) else view.value
            return self._lines(
                surf, self._t.lines(view.key, mode=value), int(u * 0.1), WHITE, cx, y, w
            )
        if isinstance(view, GuardPinView):
            y = self._lines(surf, self._t.lines("guard.pin"), int(u * 0.09), WHITE, cx, y, w) + int(
                u * 0.05
            )
            y = self._line(
                surf,
                "● " * view.digits + "○ " * max(0, 4 - view.digits),
                int(u * 0.1),
                WHITE,
                cx,
                y,
                w,
            )
            if view.wrong:
                y = self._lines(
                    surf,
                    self._t.lines("guard.pin_wrong"),
                    int(u * 0.07),
                    AMBER,
                    cx,
                    y + int(u * 0.03),
                    w,
                )
            return self._lines(
                surf, self._t.lines("guard.cancel"), int(u * 0.05), MUTED, cx, y + int(u * 0.05), w
            )
        if isinstance(view, GuardReasonView):
            n = len(view.reasons)
            y = self._lines(
                surf, self._t.lines("guard.reason", n=n), int(u * 0.08), WHITE, cx, y, w
            ) + int(u * 0.03)
            for i, choice in enumerate(view.reasons, start=1):
                key = f"manual.{choice}"
                label = self._t(key) if self._t.has(key) else choice
                y = self._line(surf, f"{i}. {label}", int(u * 0.065), WHITE, cx, y, w) + int(
                    u * 0.008
                )
            return self._lines(
                surf, self._t.lines("guard.cancel"), int(u * 0.05), MUTED, cx, y + int(u * 0.02), w
            )
        if isinstance(view, HistoryView):
            return self._draw_history(surf, view, u, y)
        raise AssertionError(f"unhandled view {view!r}")

    def _draw_history(self, surf: pygame.Surface, view: HistoryView, u: float, y: int) -> int:
        """The last decisions, for the guard."""
        cx, w = self.layout.w // 2, self.layout.w - 2 * self.layout.margin
        y = self._lines(surf, self._t.lines("guard.history"), int(u * 0.07), WHITE, cx, y, w) + int(
            u * 0.02
        )
        for row in view.rows:
            text = f"{row.time}  {row.verdict}  {row.masked_name or '—'}  {row.reason}"
            y = self._line(
                surf,
                text.strip(),
                int(u * 0.05),
                AMBER if row.verdict == "FAIL" else WHITE,
                cx,
                y,
                w,
            )
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
        key = (view, status, now.strftime("%H:%M"), self.layout.w, self.layout.h, self._t.language)
        live = isinstance(view, IdleView) and self._cfg.preview and preview is not None
        shown = (preview.seq, preview.corners, preview.read) if live and preview else None
        unknown_frame = live and preview is not None and preview.seq is None
        base = self._base
        if base is None or key != self._base_key:
            base = self._base = self._draw_base(view, status, now)
            self._base_key = key
            self._rendered = Rendered(tuple(self._text_rects), tuple(self._font_sizes))
        elif shown == self._shown and not unknown_frame:
            return self._rendered
        self._shown = shown
        self.surface.blit(base, (0, 0))
        if live and preview is not None:
            self._draw_preview(preview)
        pygame.display.flip()
        return self._rendered
