"""The window (pygame-ce: KMS/DRM full screen on a Pi, windowed or headless) and `render`."""

from __future__ import annotations

import logging
import os
from datetime import datetime
from pathlib import Path
from types import TracebackType

from kiosk.config import DisplayConfig
from kiosk.display.canvas import Canvas, Rendered
from kiosk.display.compose import compose
from kiosk.display.fit import Fonts, default_font_path
from kiosk.display.lamp import LAMP_RGB
from kiosk.display.layout import Layout
from kiosk.display.messages import Messages
from kiosk.display.png import write_rgb
from kiosk.display.preview import PreviewFrame, PreviewPainter
from kiosk.display.views import IdleView, StatusBar, View

os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
import pygame

__all__ = ["PreviewFrame", "Rendered", "Screen"]

log = logging.getLogger(__name__)


def load_logo(path: Path | None) -> pygame.Surface | None:
    """The venue's logo, or None: a file that will not load is logged, not fatal."""
    if path is None:
        return None
    try:
        return pygame.image.load(str(path))
    except (pygame.error, OSError, ValueError) as exc:
        log.warning("logo %s not shown: %s", path, exc)
        return None


class Screen:
    """The window the views are drawn in. Open it (or use it as a context manager) before
    `render`; the visitors' and guard's languages may change while it is open."""

    def __init__(self, cfg: DisplayConfig, *, venue_name: str, messages: Messages) -> None:
        self._cfg = cfg
        self._venue = venue_name
        self._t = messages
        self._guard_t = Messages(cfg.guard_language) if cfg.guard_language else messages
        self._fonts = Fonts(str(cfg.font or default_font_path()))
        self._surface: pygame.Surface | None = None
        self._logo: pygame.Surface | None = None
        self.layout = Layout(cfg.width, cfg.height)
        # What the screen shows now: the base picture (the view and strip) with what it drew,
        # and the preview frame drawn on it. Idle, the camera's frame changes at most at its
        # own rate, and the screen is left alone between frames.
        self._base: pygame.Surface | None = None
        self._base_key: tuple[object, ...] | None = None
        self._rendered = Rendered(())
        self._shown: tuple[object, ...] | None = None  # the preview frame drawn, and its outline
        self._lamp: str | None = None  # the panel's LED colour drawn
        self._preview = PreviewPainter(cfg.mirror)

    # ------------------------------------------------------------ the window

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
        self.redraw()

    def redraw(self) -> None:
        """Draw the next frame afresh, as if its view had changed (the font, a resized
        window, a measurement of the first draw)."""
        self._base_key = None

    def events(self) -> list[pygame.event.Event]:
        return pygame.event.get()

    def save(self, path: Path) -> None:
        w, h = self.surface.get_size()
        write_rgb(path, pygame.image.tobytes(self.surface, "RGB"), w, h)

    # ------------------------------------------------------------ the frame

    def render(
        self,
        view: View,
        status: StatusBar,
        now: datetime,
        preview: PreviewFrame | None = None,
        lamp: str | None = None,
    ) -> Rendered:
        """Draw one frame: the view (cached until it, the status or the minute changes). Nothing
        is drawn when nothing changed: the same view and status, and no new camera frame.
        `lamp`: the colour the building's panel set its reader's LED to (a band on top)."""
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
        elif shown == self._shown and not unknown_frame and lamp == self._lamp:
            return self._rendered
        self._shown = shown
        self._lamp = lamp
        self.surface.blit(base, (0, 0))
        if lamp in LAMP_RGB:
            band = max(6, self.layout.h // 60)
            self.surface.fill(LAMP_RGB[lamp], pygame.Rect(0, 0, self.layout.w, band))
        if live and preview is not None:
            self._preview.draw(self.surface, self.layout, preview)
        pygame.display.flip()
        return self._rendered

    def _draw_base(self, view: View, status: StatusBar, now: datetime) -> pygame.Surface:
        """The view and the status strip on a picture of their own; notes what was drawn."""
        lay = self.layout
        canvas = Canvas(
            pygame.Surface((lay.w, lay.h)), lay, self._fonts, self._cfg,
            venue=self._venue, t=self._t, guard_t=self._guard_t, logo=self._logo,
        )  # fmt: skip
        compose(canvas, view, status, now)
        self._rendered = canvas.rendered()
        return canvas.surface
