"""A code located but too small to read in the low-resolution frame, read from the full one."""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt

from kiosk.camera import Frame, Shot
from kiosk.camera.capture import CaptureThread, FrameSlot
from kiosk.camera.scenes import Pose, frame, qr_image
from kiosk.decode import Symbol
from kiosk.decode.zxing import ZxingDecoder, reread

PAYLOAD = "KP1:" + "A" * 150  # a dense code: many modules, few pixels each from afar


def far_away() -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.uint8]]:
    """A 1920×1440 main frame and its 640×480 lores, with the code small in both."""
    full = frame(qr_image(PAYLOAD), Pose(size=0.12), size=(1920, 1440), seed=1)
    small = cv2.resize(full, (640, 480), interpolation=cv2.INTER_AREA)
    lores = np.ascontiguousarray(small, dtype=np.uint8)
    return full, lores


def test_a_code_located_but_unread_is_read_from_the_full_frame() -> None:
    full, lores = far_away()
    decoder = ZxingDecoder()
    symbols = decoder.decode(lores)
    assert symbols and all(s.error is not None for s in symbols)  # located, not read
    again = reread(decoder, lores, full, symbols)
    assert [s.text for s in again] == [PAYLOAD]  # once, though located twice
    (read,) = again
    assert read.error is None
    # Where it is, in the low-resolution frame's pixels (the preview's outline).
    xs = [x for x, _ in read.corners]
    assert 250 < min(xs) < max(xs) < 390


def test_without_a_full_frame_nothing_changes() -> None:
    _, lores = far_away()
    decoder = ZxingDecoder()
    symbols = decoder.decode(lores)
    assert reread(decoder, lores, None, symbols) == symbols
    assert reread(decoder, lores, lores, symbols) == symbols  # one resolution only


def test_a_region_that_does_not_read_keeps_the_unreadable_symbol() -> None:
    full, lores = far_away()
    blank = np.full_like(full, 200)
    unread = Symbol(b"", "", ((300, 220), (340, 220), (340, 260), (300, 260)), error="Checksum")
    assert reread(ZxingDecoder(), lores, blank, [unread]) == [unread]


class TwoStreams:
    name = "two-streams"

    def __init__(self) -> None:
        self.full, self.lores = far_away()
        self.sent = 0

    def open(self) -> None:
        pass

    def read(self, timeout: float) -> Shot | None:
        self.sent += 1
        return Shot(self.lores, self.full) if self.sent == 1 else None

    def close(self) -> None:
        pass


def test_the_capture_thread_hands_over_both_resolutions() -> None:
    source = TwoStreams()
    slot = FrameSlot()
    with CaptureThread(source, slot, frame_timeout=5.0, reopen_interval=0.1):
        got = slot.take(timeout=10)
    assert isinstance(got, Frame) and got.full is source.full and got.luma is source.lores
