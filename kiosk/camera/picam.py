"""Raspberry Pi cameras through picamera2; decodes the low-resolution stream's luma plane."""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

from kiosk.camera import CameraError

log = logging.getLogger(__name__)


class Picamera2Source:
    def __init__(
        self,
        *,
        camera_num: int,
        main_size: tuple[int, int],
        lores_size: tuple[int, int],
        fps: float,
        autofocus: bool,
    ) -> None:
        self.name = f"picamera2:{camera_num}"
        self._num = camera_num
        self._main = main_size
        self._lores = lores_size
        self._fps = fps
        self._autofocus = autofocus
        self._cam: Any = None

    def open(self) -> None:
        try:
            from libcamera import controls
            from picamera2 import Picamera2
        except ImportError as exc:
            raise CameraError(
                "picamera2 is not installed (apt-get install python3-picamera2, "
                "and create the venv with --system-site-packages)"
            ) from exc
        try:
            cam = Picamera2(self._num)
            config = cam.create_video_configuration(
                main={"size": self._main, "format": "XBGR8888"},
                # YUV420 lores: the first `height` rows are the luma plane the decoder wants,
                # so no colour conversion is done per frame.
                lores={"size": self._lores, "format": "YUV420"},
                controls={"FrameRate": self._fps},
                buffer_count=4,
            )
            cam.configure(config)
            if self._autofocus and "AfMode" in cam.camera_controls:
                cam.set_controls({"AfMode": controls.AfModeEnum.Continuous})
            cam.start()
        except Exception as exc:  # libcamera raises RuntimeError/IndexError for a missing camera
            raise CameraError(f"cannot start camera {self._num}: {exc}") from exc
        self._cam = cam

    def read(self, timeout: float) -> np.ndarray | None:
        if self._cam is None:
            raise CameraError("camera is not open")
        try:
            job = self._cam.capture_request(wait=False)
            request = self._cam.wait(job, timeout=timeout)
        except TimeoutError:
            return None
        except Exception as exc:
            raise CameraError(f"capture failed: {exc}") from exc
        try:
            yuv = request.make_array("lores")
        finally:
            request.release()
        width, height = self._lores
        # Copy: the request buffer goes back to libcamera; the decoder reads later.
        return np.ascontiguousarray(yuv[:height, :width])

    def close(self) -> None:
        if self._cam is not None:
            try:
                self._cam.stop()
                self._cam.close()
            except Exception:  # closing a failed camera must not mask the original error
                log.exception("closing picamera2")
            self._cam = None
