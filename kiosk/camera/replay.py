"""The replay camera: plays a folder of images or a video file at a set rate (demo and tests)."""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

from kiosk.camera import CameraError, EndOfStream
from kiosk.runtime.logs import RepeatingLog

log = logging.getLogger(__name__)

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".pgm", ".ppm", ".tif", ".tiff", ".webp"}


class ReplaySource:
    """`realtime` plays at `fps` by the wall clock (what a camera does: a slow decoder misses
    frames); `lockstep` returns the next frame at once and relies on a lockstep FrameSlot to
    wait until the decoder has taken the previous one, so none is dropped."""

    def __init__(self, path: Path, *, fps: float, loop: bool, pace: str = "realtime") -> None:
        self.name = f"replay:{path}"
        self._path = path
        self._period = 1.0 / fps
        self._loop = loop
        self._realtime = pace == "realtime"
        self._files: list[Path] = []
        self._index = 0
        self._video: cv2.VideoCapture | None = None
        self._next_due = 0.0
        # Pacing waits on this event rather than sleeping, so close() interrupts it at once.
        self._closed = threading.Event()
        # A folder of broken images would otherwise log one line per frame, forever.
        self._unreadable = RepeatingLog(log)

    def open(self) -> None:
        self._closed.clear()
        if self._path.is_dir():
            self._files = sorted(
                p for p in self._path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES
            )
            if not self._files:
                raise CameraError(f"no images in {self._path}")
        elif self._path.is_file():
            self._video = cv2.VideoCapture(str(self._path))
            if not self._video.isOpened():
                raise CameraError(f"cannot open video {self._path}")
        else:
            raise CameraError(f"no such file or folder: {self._path}")
        self._index = 0
        self._next_due = time.monotonic()

    def _next_image(self) -> npt.NDArray[np.uint8] | None:
        if self._video is not None:
            ok, bgr = self._video.read()
            if not ok:
                if not self._loop:
                    raise EndOfStream
                self._video.set(cv2.CAP_PROP_POS_FRAMES, 0)
                ok, bgr = self._video.read()
                if not ok:
                    raise CameraError(f"cannot read video {self._path}")
            grey = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY) if bgr.ndim == 3 else bgr
            return np.asarray(grey, dtype=np.uint8)
        if self._index >= len(self._files):
            if not self._loop:
                raise EndOfStream
            self._index = 0
        path = self._files[self._index]
        self._index += 1
        img = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
        if img is None:
            self._unreadable.warning("replay: skipping unreadable image %s", path)
            return None
        return np.asarray(img, dtype=np.uint8)

    def read(self, timeout: float) -> npt.NDArray[np.uint8] | None:
        if self._realtime:
            wait = self._next_due - time.monotonic()
            if wait > 0 and (self._closed.wait(min(wait, timeout)) or wait > timeout):
                return None
            self._next_due = max(self._next_due + self._period, time.monotonic() - self._period)
        return self._next_image()

    def close(self) -> None:
        self._closed.set()
        if self._video is not None:
            self._video.release()
            self._video = None
