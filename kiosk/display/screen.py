"""Draws the views with pygame (pygame-ce): full screen, windowed, or headless (SDL dummy)."""

from __future__ import annotations

import os
from datetime import datetime
from importlib import resources
from pathlib import Path
from types import TracebackType

from kiosk.config import DisplayConfig
from kiosk.display.messages import Messages
from kiosk.display.views import ErrorView, IdleView, VerdictView, View
from kiosk.policy.engine import Verdict

# Headless must be chosen before pygame initialises its video subsystem.
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
import pygame

Color = tuple[int, int, int]
WHITE: Color = (255, 255, 255)
# Backgrounds chosen for ≥ 7:1 contrast with white text (WCAG AAA).
IDLE_BG: Color = (16, 32, 56)
PASS_BG: Color = (0, 92, 40)
FAIL_BG: Color = (150, 0, 16)
ERROR_BG: Color = (40, 40, 40)
AMBER: Color = (255, 196, 0)
MUTED: Color = (200, 210, 225)

_FONT_DIR = resources.files("kiosk.display").joinpath("fonts")


def default_font_path() -> Path:
    # DejaVu Sans covers all of Vietnamese (Latin Extended Additional); pygame's bundled
    # freesansbold.ttf lacks letters such as ễ and would draw boxes.
    return Path(str(_FONT_DIR.joinpath("DejaVuSans-Bold.ttf")))


class Screen:
    def __init__(
        self,
        cfg: DisplayConfig,
        *,
        venue_name: str,
        direction: str,
        messages: Messages,
    ) -> None:
        self._cfg = cfg
        self._venue = venue_name
        self._direction = direction
        self._t = messages
        self._font_path = str(cfg.font or default_font_path())
        self._fonts: dict[int, pygame.font.Font] = {}
        self._surface: pygame.Surface | None = None
        self._last: tuple[View, str] | None = None
        self.text_rects: list[pygame.Rect] = []  # where the last render put text (tests)

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
        if self._cfg.mode == "fullscreen":
            self._surface = pygame.display.set_mode((0, 0), pygame.FULLSCREEN)
            pygame.mouse.set_visible(False)
        else:
            self._surface = pygame.display.set_mode((self._cfg.width, self._cfg.height))
        pygame.display.set_caption(f"Check-in: {self._venue}")

    def close(self) -> None:
        self._fonts.clear()
        self._surface = None
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

    def quit_requested(self) -> bool:
        """Drain window events; True on window close or Escape (windowed mode only)."""
        quit_ = False
        for event in pygame.event.get():
            if event.type == pygame.QUIT or (
                event.type == pygame.KEYDOWN
                and event.key == pygame.K_ESCAPE
                and self._cfg.mode != "fullscreen"
            ):
                quit_ = True
        return quit_

    def save(self, path: Path) -> None:
        pygame.image.save(self.surface, str(path))

    # ------------------------------------------------------------ drawing

    def _font(self, px: int) -> pygame.font.Font:
        px = max(8, px)
        font = self._fonts.get(px)
        if font is None:
            font = self._fonts[px] = pygame.font.Font(self._font_path, px)
        return font

    def _text(
        self, text: str, px: int, color: Color, center: tuple[int, int], max_width: int
    ) -> pygame.Rect:
        """Draw one line centred, shrinking the font until it fits `max_width`."""
        font = self._font(px)
        while font.size(text)[0] > max_width and px > 10:
            px = int(px * 0.9)
            font = self._font(px)
        image = font.render(text, True, color)
        rect = image.get_rect(center=center)
        self.surface.blit(image, rect)
        self.text_rects.append(rect)
        return rect

    def _status_line(self, now: datetime, color: Color) -> None:
        w, h = self.size
        px = max(12, h // 24)
        font = self._font(px)
        direction = self._t(f"direction.{self._direction}")
        left = font.render(f"{self._venue} · {direction}", True, color)
        right = font.render(now.strftime("%H:%M"), True, color)
        margin = px // 2
        self.text_rects.append(self.surface.blit(left, (margin, h - px - margin)))
        self.text_rects.append(
            self.surface.blit(right, (w - right.get_width() - margin, h - px - margin))
        )

    def _check(self, center: tuple[int, int], r: int) -> None:
        pygame.draw.circle(self.surface, WHITE, center, r)
        cx, cy = center
        pts = [
            (cx - r * 0.5, cy + r * 0.02),
            (cx - r * 0.12, cy + r * 0.4),
            (cx + r * 0.55, cy - r * 0.38),
        ]
        pygame.draw.lines(self.surface, PASS_BG, False, pts, max(4, r // 5))

    def _cross(self, center: tuple[int, int], r: int) -> None:
        pygame.draw.circle(self.surface, WHITE, center, r)
        cx, cy = center
        d = r * 0.45
        width = max(4, r // 5)
        pygame.draw.line(self.surface, FAIL_BG, (cx - d, cy - d), (cx + d, cy + d), width)
        pygame.draw.line(self.surface, FAIL_BG, (cx - d, cy + d), (cx + d, cy - d), width)

    def render(self, view: View, now: datetime) -> bool:
        """Draw `view` if it or the minute changed; returns True if the screen was redrawn."""
        key = (view, now.strftime("%H:%M"))
        if self._last == key:
            return False
        self._last = key
        self.text_rects = []
        w, h = self.size
        wide = w - w // 10
        if isinstance(view, IdleView):
            self.surface.fill(IDLE_BG)
            self._text(self._venue, h // 12, MUTED, (w // 2, h // 7), wide)
            self._text(self._t("idle.title"), h // 8, WHITE, (w // 2, h * 4 // 9), wide)
            self._text(self._t("idle.subtitle"), h // 18, MUTED, (w // 2, h * 3 // 5), wide)
            self._status_line(now, MUTED)
        elif isinstance(view, VerdictView):
            self._verdict(view, w, h, wide)
            self._status_line(now, WHITE)
        elif isinstance(view, ErrorView):
            self.surface.fill(ERROR_BG)
            pygame.draw.polygon(
                self.surface,
                AMBER,
                [(w // 2, h // 12), (w // 2 - h // 8, h * 3 // 10), (w // 2 + h // 8, h * 3 // 10)],
            )
            self._text("!", h // 7, ERROR_BG, (w // 2, h * 2 // 9), wide)
            self._text(self._t(view.key), h // 9, AMBER, (w // 2, h // 2), wide)
            self._text(self._t("error.hint"), h // 14, WHITE, (w // 2, h * 2 // 3), wide)
            self._status_line(now, MUTED)
        pygame.display.flip()
        return True

    def _verdict(self, view: VerdictView, w: int, h: int, wide: int) -> None:
        icon_r = h // 7
        icon_c = (w // 2, h // 5)
        if view.verdict is Verdict.PASS:
            self.surface.fill(PASS_BG)
            self._check(icon_c, icon_r)
            title = self._t(f"pass.{self._direction}")
            self._text(title, h // 8, WHITE, (w // 2, h * 11 // 25), wide)
            if view.masked_name:
                self._text(view.masked_name, h // 10, WHITE, (w // 2, h * 15 // 25), wide)
            details = []
            if view.birth_year:
                details.append(self._t("pass.born", year=view.birth_year))
            if view.category:
                key = f"category.{view.category}"
                details.append(self._t(key) if self._t.has(key) else view.category)
            if not view.verified:
                details.append(self._t("pass.unverified"))
            if details:
                self._text(" · ".join(details), h // 16, WHITE, (w // 2, h * 18 // 25), wide)
        else:
            self.surface.fill(FAIL_BG)
            self._cross(icon_c, icon_r)
            self._text(self._t("fail.title"), h // 8, WHITE, (w // 2, h * 11 // 25), wide)
            reason = view.reason
            if reason is None:
                line, hint = self._t("fail.see_staff"), ""
            elif reason.public:
                line, hint = self._t(f"reason.{reason.value}"), self._t(f"hint.{reason.value}")
            else:
                # Reasons that reveal health status or a sanction are never shown publicly.
                line, hint = self._t("fail.see_staff"), ""
            self._text(line, h // 13, WHITE, (w // 2, h * 15 // 25), wide)
            if hint:
                self._text(hint, h // 18, WHITE, (w // 2, h * 18 // 25), wide)
