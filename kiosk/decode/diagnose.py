"""Scan help: why a code that is in view does not read, judged from the frame and the decoder."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

Corners = tuple[tuple[int, int], ...]


def diagnose(luma: npt.NDArray[np.uint8], corners: Sequence[tuple[int, int]]) -> str:
    """The `help.*` message key for an unreadable code at `corners` in `luma`.

    Checked in the order a person can act on: distance first (nothing else matters when the
    code is a few pixels wide), then glare, darkness and blur on the code's own pixels.
    """
    h, w = luma.shape
    xs = [x for x, _ in corners]
    ys = [y for _, y in corners]
    x0, x1 = max(0, min(xs)), min(w, max(xs))
    y0, y1 = max(0, min(ys)), min(h, max(ys))
    side = max(x1 - x0, y1 - y0)
    edge = 2
    if (
        side > 0.9 * h
        or min(xs) <= edge
        or min(ys) <= edge
        or max(xs) >= w - edge
        or max(ys) >= h - edge
    ):
        return "help.close"
    if side < 0.16 * h:
        return "help.far"
    # The inside of the symbol: no quiet zone, which is white by design.
    inset_x, inset_y = (x1 - x0) // 7, (y1 - y0) // 7
    region = luma[y0 + inset_y : y1 - inset_y, x0 + inset_x : x1 - inset_x]
    if region.size == 0:
        return "help.generic"
    # Glare is a solid saturated patch several modules wide; white modules are thin, so an
    # opening with a kernel of ~1/8 of the code removes them and keeps the reflection.
    saturated = (region >= 245).astype(np.uint8)
    k = max(3, side // 8)
    blob = cv2.morphologyEx(saturated, cv2.MORPH_OPEN, np.ones((k, k), np.uint8))
    if np.count_nonzero(blob) > 0.04 * region.size:
        return "help.glare"
    lo, hi = np.percentile(region, (5, 95))
    if hi < 90 or hi - lo < 50:
        return "help.dark"
    # A sharp code is black and white with thin edges between; blur turns it grey. Past half
    # the pixels in mid-tones, zxing-cpp no longer reads 3-pixel modules (measured on scenes).
    third = (hi - lo) / 4
    midtones = np.count_nonzero((region > lo + third) & (region < hi - third)) / region.size
    if midtones > 0.5:
        return "help.blur"
    return "help.generic"


class Locator:
    """Finds where a QR code is when the decoder found nothing, at a bounded rate.

    It runs only on frames where nothing was decoded or located, at most every `interval`
    seconds while it finds codes; each miss doubles the wait up to `idle_interval`, so an
    empty doorway costs a call a second and someone fumbling with a phone is helped within
    about that. `find` is WeChat's CNN detector by default (~2 ms; it finds blurred codes),
    OpenCV's finder-pattern detector (~5 ms) before it.
    """

    def __init__(
        self,
        interval: float = 0.3,
        idle_interval: float = 1.2,
        find: Callable[[npt.NDArray[np.uint8]], Corners | None] | None = None,
    ) -> None:
        self._interval = interval
        self._idle_interval = max(idle_interval, interval)
        self._wait = interval
        self._next = 0.0
        if find is None:
            from kiosk.decode.finder import CnnFinder

            find = CnnFinder()
        self._find = find
        self.runs = 0

    def locate(self, luma: npt.NDArray[np.uint8], now: float) -> Corners | None:
        if now < self._next:
            return None
        self.runs += 1
        found = self._find(luma)
        self._wait = self._interval if found else min(self._wait * 2, self._idle_interval)
        self._next = now + self._wait
        return found


@dataclass(frozen=True)
class Sighting:
    corners: Corners
    read: bool
    hint: str | None  # for an unread code
    at: float  # time.monotonic()
    unread_since: float | None


class ScanFeedback:
    """What the decision thread saw last, for the screen: where a code is, and any hint."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last: Sighting | None = None

    def seen(self, corners: Corners, read: bool, hint: str | None = None) -> None:
        now = time.monotonic()
        with self._lock:
            prev = self._last
            since = None
            if not read:
                recent = prev is not None and not prev.read and now - prev.at < 0.5
                since = prev.unread_since if recent and prev and prev.unread_since else now
            self._last = Sighting(corners, read, hint, now, since)

    def snapshot(self) -> Sighting | None:
        with self._lock:
            return self._last

    def hint(self, now: float, after: float) -> str | None:
        """A hint once a code has stayed unreadable for `after` seconds and is still in view."""
        s = self.snapshot()
        if s is None or s.read or s.unread_since is None or now - s.at > 0.5:
            return None
        return s.hint if now - s.unread_since >= after else None
