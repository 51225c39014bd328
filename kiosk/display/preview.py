"""The camera's view on the idle screen: the frame scaled once, aiming frame, code outline."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt
import pygame

from kiosk.display.colors import AMBER, READ_OK, WHITE
from kiosk.display.layout import Layout


@dataclass(frozen=True)
class PreviewFrame:
    """The newest camera frame, and where a code was last seen in it."""

    luma: npt.NDArray[np.uint8]
    corners: tuple[tuple[int, int], ...] = ()
    read: bool = False  # the code was decoded (green outline) or not (amber)
    # The frame's capture sequence number: a frame already shown is neither scaled nor drawn
    # again. None: a frame of unknown origin, scaled each time.
    seq: int | None = None


class PreviewPainter:
    """Draws preview frames into the layout's preview box, each frame scaled once."""

    def __init__(self, mirror: bool) -> None:
        self._mirror = mirror
        # The surface shares the bytes it is made from, which are kept with it.
        self._scaled: tuple[int, pygame.Surface, bytes] | None = None

    def _image(self, preview: PreviewFrame, box: pygame.Rect) -> pygame.Surface:
        """The frame scaled to the preview's box, once per frame."""
        cached = self._scaled
        if cached is not None and cached[0] == preview.seq and cached[1].get_size() == box.size:
            return cached[1]
        scaled = cv2.resize(preview.luma, (box.w, box.h), interpolation=cv2.INTER_AREA)
        if self._mirror:
            scaled = cv2.flip(scaled, 1)
        data = cv2.cvtColor(scaled, cv2.COLOR_GRAY2RGB).tobytes()
        image = pygame.image.frombuffer(data, (box.w, box.h), "RGB")
        if preview.seq is not None:
            self._scaled = (preview.seq, image, data)
        return image

    def draw(self, surface: pygame.Surface, layout: Layout, preview: PreviewFrame) -> None:
        box = layout.preview
        h, w = preview.luma.shape
        surface.blit(self._image(preview, box), box)
        # The aiming frame: corner brackets round the middle of the view.
        aim = box.inflate(-box.w * 0.3, -box.h * 0.2)
        arm, width = max(10, aim.w // 6), max(3, box.w // 120)
        for (x, y), (dx, dy) in zip(
            (aim.topleft, aim.topright, aim.bottomleft, aim.bottomright),
            ((1, 1), (-1, 1), (1, -1), (-1, -1)),
            strict=True,
        ):
            pygame.draw.line(surface, WHITE, (x, y), (x + dx * arm, y), width)
            pygame.draw.line(surface, WHITE, (x, y), (x, y + dy * arm), width)
        if len(preview.corners) >= 3:
            sx, sy = box.w / w, box.h / h
            pts = [
                (box.left + (box.w - x * sx if self._mirror else x * sx), box.top + y * sy)
                for x, y in preview.corners
            ]
            pygame.draw.polygon(
                surface, READ_OK if preview.read else AMBER, pts, max(3, box.w // 100)
            )
