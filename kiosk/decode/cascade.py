"""Retries where a code was located but not read: only there, in measured order, within a budget."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

import cv2
import numpy as np
import numpy.typing as npt

from kiosk.decode import Decoder, Symbol
from kiosk.decode.zxing import reread

Image = npt.NDArray[np.uint8]
Corners = tuple[tuple[int, int], ...]

# Margin round a located code, as a share of its size: its quiet zone, and slack for corners
# a blurred finder pattern puts a few pixels off.
QUIET = 0.3
# How a passed-over retry's cost estimate fades, each time: a 100 ms retry under a 40 ms
# budget is measured again after ~30 frames with a hard code in view (about a second).
FADE = 0.97
LOCATED = "located, not decoded"  # the error of a code only the Locator found


class Retry(Protocol):
    """One way to read a code region the first pass could not: a filter and a decoder."""

    name: str

    def read(self, region: Image) -> list[Symbol]:
        """The readable codes in `region` (corners in its pixels); [] when none reads."""
        ...


def sharpness(region: Image) -> float:
    """Variance of the Laplacian: high for crisp module edges, low for a blurred code."""
    return float(cv2.Laplacian(region, cv2.CV_32F).var())


def region_box(corners: Corners, shape: tuple[int, int]) -> tuple[int, int, int, int]:
    """The located code's box with margin, clipped to the image: x0, y0, x1, y1."""
    xs, ys = [x for x, _ in corners], [y for _, y in corners]
    margin = QUIET * max(max(xs) - min(xs), max(ys) - min(ys)) + 2
    h, w = shape
    return (
        max(0, int(min(xs) - margin)),
        max(0, int(min(ys) - margin)),
        min(w, int(max(xs) + margin) + 1),
        min(h, int(max(ys) + margin) + 1),
    )


def decode_frame(
    decoder: Decoder,
    luma: Image,
    full: Image | None,
    locate: Callable[[Image], Corners | None] | None = None,
) -> list[Symbol]:
    """A camera frame's codes: the first pass on `luma`; a code located but unread there is
    read from `full` (the same instant at a higher resolution); where the first pass found
    nothing at all, `locate` (the kiosk's rate-limited Locator) may find a code; a code still
    unread is retried. An unread code comes back with `error` set, for scan help."""
    first = decoder.first if isinstance(decoder, Cascade) else decoder
    # The full-resolution re-read first: for a small code it is the cheapest and surest.
    symbols = reread(first, luma, full, first.decode(luma))
    if not symbols and locate is not None:
        corners = locate(luma)
        if corners:
            symbols = [Symbol(b"", "", corners, error=LOCATED)]
    if isinstance(decoder, Cascade):
        symbols = decoder.retry(luma, symbols)
    return symbols


def _inside(point: tuple[float, float], corners: Corners) -> bool:
    contour = np.array(corners, np.float32).reshape(-1, 1, 2)
    return cv2.pointPolygonTest(contour, point, False) >= 0


def _centre(corners: Corners) -> tuple[float, float]:
    return (
        sum(x for x, _ in corners) / len(corners),
        sum(y for _, y in corners) / len(corners),
    )


@dataclass(eq=False)
class _Sighting:
    """A located, unread code in one recent frame, and how far its retries have got."""

    region: Image
    box: tuple[int, int, int, int]
    score: float
    at: float
    next_retry: int = 0

    def near(self, other: _Sighting) -> bool:
        """Whether `other`'s code is where this one was: the same code, held a little moved."""
        x0, y0, x1, y1 = self.box
        cx, cy = (other.box[0] + other.box[2]) / 2, (other.box[1] + other.box[3]) / 2
        return x0 <= cx <= x1 and y0 <= cy <= y1


class Cascade:
    """`first` (zxing-cpp) on every frame; the retries only where a code was located but not
    read (by `first`, or by the Locator through `decode_frame`), the sharpest recent sighting of
    that code first, within `budget` seconds a frame.

    A frame in which `first` locates nothing unread costs `first` and a list scan: no filter,
    no crop, no clock. Retries run in the given order (cheapest and most useful first, as
    bench/read_rate.py measures them). A retry starts only when its expected cost (the mean of
    its past runs on this machine, scaled by the region's size) fits in what is left of the
    budget; one never run before starts whenever budget is left, so it can overrun once, and one
    measured at more than the whole budget is passed over (until its estimate has faded).

    A person holds a code up for about a second, 10 to 30 frames, some sharper than others: the
    sightings of the last `window` seconds are kept (at most `keep`), and each frame's budget
    goes to the sharpest one with retries left, taking up where the last frame stopped. A read
    from a recent sighting is reported at the current frame's code: it is still in view.
    """

    def __init__(
        self,
        first: Decoder,
        retries: Sequence[Retry],
        *,
        budget: float,
        window: float = 1.0,
        keep: int = 4,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self.name = f"{first.name} + retries"
        self.first = first  # the decoder without retries
        self.retries = tuple(retries)
        self._budget = budget
        self._window = window
        self._keep = keep
        self._clock = clock
        self._recent: list[_Sighting] = []
        # Mean seconds per pixel of each retry, learnt from its runs (None: never run).
        self._cost: list[float | None] = [None] * len(self.retries)

    def decode(self, luma: Image) -> list[Symbol]:
        return self.retry(luma, self.first.decode(luma))

    def retry(self, luma: Image, symbols: list[Symbol]) -> list[Symbol]:
        """`symbols` (what the first pass found in `luma`), the largest code located and not
        read replaced by what the retries read, when they read it."""
        target = self._unread(symbols)
        if target is None:
            self._recent.clear()  # the code left the view: older sightings are of another
            return symbols
        now = self._clock()
        x0, y0, x1, y1 = region_box(target.corners, (luma.shape[0], luma.shape[1]))
        region = np.ascontiguousarray(luma[y0:y1, x0:x1])
        self._remember(_Sighting(region, (x0, y0, x1, y1), sharpness(region), now))
        found = self._retry(now + self._budget)
        if found is None:
            return symbols
        read = Symbol(found.payload, found.text, target.corners)
        return [read, *(s for s in symbols if s.corners != target.corners)]

    def _unread(self, symbols: list[Symbol]) -> Symbol | None:
        """The largest code located but not read, unless it is a code read in this frame
        (zxing-cpp can report one code read in one pass and unreadable in another)."""
        read = [s.corners for s in symbols if s.error is None and len(s.corners) >= 3]
        best: Symbol | None = None
        best_side = 0
        for s in symbols:
            if s.error is None or len(s.corners) < 3:
                continue
            if any(_inside(_centre(s.corners), r) for r in read):
                continue
            xs = [x for x, _ in s.corners]
            side = max(xs) - min(xs)
            if side > best_side:
                best, best_side = s, side
        return best

    def _remember(self, sighting: _Sighting) -> None:
        # Only sightings of this code: recent, and where it is now (a second visitor's code
        # a moment later is elsewhere in the frame, or comes after frames with no code).
        self._recent = [
            s for s in self._recent if sighting.at - s.at <= self._window and sighting.near(s)
        ]
        self._recent.append(sighting)
        if len(self._recent) > self._keep:
            # Drop the least sharp; the newest stays, whatever its score, as the code's
            # latest look (it is the only one taken while the code is certainly in view).
            weakest = min(self._recent[:-1], key=lambda s: s.score)
            self._recent.remove(weakest)

    def _retry(self, deadline: float) -> Symbol | None:
        while True:
            left = [s for s in self._recent if s.next_retry < len(self.retries)]
            if not left:
                return None
            sighting = max(left, key=lambda s: s.score)
            i = sighting.next_retry
            now = self._clock()
            cost = self._cost[i]
            expected = 0.0 if cost is None else cost * sighting.region.size
            if expected > self._budget:
                # Too slow for any frame's budget on this machine, as last measured. The
                # estimate fades each time, so a cost taken during a load spike is measured
                # again after a while rather than keeping the retry out for good.
                self._cost[i] = cost * FADE if cost is not None else None
                sighting.next_retry += 1
                continue
            if now >= deadline or now + expected > deadline:
                return None  # the next frame goes on from here
            sighting.next_retry += 1
            found = self.retries[i].read(sighting.region)
            spent = (self._clock() - now) / max(sighting.region.size, 1)
            # A slower run counts at once (the budget is a promise), a faster one gradually.
            self._cost[i] = spent if cost is None or spent > cost else 0.8 * cost + 0.2 * spent
            if found:
                # Read: this code is done; its other sightings need no more work.
                self._recent.clear()
                return found[0]
