"""USB webcams (and anything else OpenCV's VideoCapture opens) as a frame source."""

from __future__ import annotations

import sys
import time

import cv2
import numpy as np
import numpy.typing as npt

from kiosk.camera import CameraError


class OpenCVSource:
    def __init__(self, device: int | str, *, width: int, height: int, fps: float) -> None:
        self.name = f"opencv:{device}"
        self._device = device
        self._size = (width, height)
        self._fps = fps
        self._cap: cv2.VideoCapture | None = None
        self._read_timeout_ms = 2000  # until the first read asks for its own

    def open(self) -> None:
        # V4L2 directly on Linux: the default backend order may try GStreamer first, which
        # is slow to start and ignores the buffer size. Files and URLs keep the default.
        is_device = isinstance(self._device, int) or str(self._device).startswith("/dev/")
        backend = cv2.CAP_V4L2 if is_device and sys.platform == "linux" else cv2.CAP_ANY
        # Bounded open and read: a camera unplugged mid-read must not hang the capture thread.
        params = [
            cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, 5000,
            cv2.CAP_PROP_READ_TIMEOUT_MSEC, self._read_timeout_ms,
        ]  # fmt: skip
        # OpenCV's own warnings go straight to stderr, one per failed open, past our
        # once-a-minute logging; the CameraError we raise says what failed.
        cv2.setLogLevel(2)  # errors only (OpenCV has no named constant in Python)
        cap = cv2.VideoCapture(self._device, backend, params)
        if not cap.isOpened():
            cap.release()
            raise CameraError(f"no camera at {self._device}")
        cap.set(cv2.CAP_PROP_FRAME_WIDTH, self._size[0])
        cap.set(cv2.CAP_PROP_FRAME_HEIGHT, self._size[1])
        cap.set(cv2.CAP_PROP_FPS, self._fps)
        # One buffer: the driver hands us the newest frame, not one queued a second ago.
        cap.set(cv2.CAP_PROP_BUFFERSIZE, 1)
        self._cap = cap

    def read(self, timeout: float) -> npt.NDArray[np.uint8] | None:
        if self._cap is None:
            raise CameraError("camera is not open")
        # V4L2 waits for a frame up to its read timeout (set at open, changed here when the
        # capture thread asks for another); a backend without one ignores the setting.
        wanted = max(1, round(timeout * 1000))
        if wanted != self._read_timeout_ms:
            self._cap.set(cv2.CAP_PROP_READ_TIMEOUT_MSEC, wanted)
            self._read_timeout_ms = wanted
        started = time.monotonic()
        ok, img = self._cap.read()
        if not ok or img is None:
            if time.monotonic() - started >= timeout:
                return None  # no frame within the timeout: the capture thread counts it
            raise CameraError(f"{self._device}: read failed")
        grey = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY) if img.ndim == 3 else img
        return np.asarray(grey, dtype=np.uint8)

    def close(self) -> None:
        if self._cap is not None:
            self._cap.release()
            self._cap = None
