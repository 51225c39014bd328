"""Raspberry Pi cameras through picamera2: lores luma to decode, main luma to re-read from."""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

from kiosk.camera import CameraError, Shot

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
                # YUV420 both: the first `height` rows are the luma plane, so no colour
                # conversion is done per frame. The decoder reads lores; main is where a code
                # located there but too small to read is read again, from farther away.
                main={"size": self._main, "format": "YUV420"},
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

    def read(self, timeout: float) -> Shot | None:
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
            lores = request.make_array("lores")
            main = request.make_array("main")
            width, height = self._lores
            full_w, full_h = self._main
            # Copies: the request buffer goes back to libcamera; the decoder reads later.
            # The main plane's copy (~1 MB) is the price of re-reading from it.
            return Shot(
                luma=np.ascontiguousarray(lores[:height, :width]),
                full=np.ascontiguousarray(main[:full_h, :full_w]),
            )
        finally:
            request.release()

    def close(self) -> None:
        if self._cam is not None:
            try:
                self._cam.stop()
                self._cam.close()
            except Exception:  # closing a failed camera must not mask the original error
                log.exception("closing picamera2")
            self._cam = None
