"""Frame sources behind one small interface: picamera2, OpenCV (USB) and replay (files)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt

from kiosk.config import CameraConfig, OpenCVCameraConfig, Picamera2CameraConfig, ReplayCameraConfig


class CameraError(Exception):
    """The camera could not be opened or stopped delivering frames."""


class EndOfStream(Exception):
    """A replay source without looping has played its last frame."""


@dataclass(frozen=True)
class Frame:
    luma: npt.NDArray[np.uint8]  # H×W uint8, what the decoder reads
    seq: int  # capture sequence number, counting from 1 per capture thread
    captured_mono_ns: int  # time.monotonic_ns() when the frame was handed over
    # The same instant at the sensor's full resolution (picamera2's main stream), where a code
    # located but too small to read in `luma` is read again; None when `luma` is all there is.
    full: npt.NDArray[np.uint8] | None = None


@dataclass(frozen=True)
class Shot:
    """What a source that has two resolutions returns from `read`: both luma planes."""

    luma: npt.NDArray[np.uint8]
    full: npt.NDArray[np.uint8]


class FrameSource(Protocol):
    """A camera. Owned by one capture thread; never called from anywhere else."""

    name: str

    def open(self) -> None:
        """Start the device; raises CameraError."""
        ...

    def read(self, timeout: float) -> npt.NDArray[np.uint8] | Shot | None:
        """The next frame's luma plane (or both planes, a Shot), or None if none came within
        `timeout` seconds.

        Raises CameraError when the device fails, EndOfStream when a replay has ended.
        """
        ...

    def close(self) -> None:
        """Release the device; safe to call twice or after a failed open."""
        ...


def build_source(cfg: CameraConfig) -> FrameSource:
    if isinstance(cfg, ReplayCameraConfig):
        from kiosk.camera.replay import ReplaySource

        return ReplaySource(cfg.path, fps=cfg.fps, loop=cfg.loop, pace=cfg.pace)
    if isinstance(cfg, OpenCVCameraConfig):
        from kiosk.camera.opencv import OpenCVSource

        return OpenCVSource(cfg.device, width=cfg.width, height=cfg.height, fps=cfg.fps)
    if isinstance(cfg, Picamera2CameraConfig):
        # Imported only when chosen: picamera2 exists only on Raspberry Pi OS.
        from kiosk.camera.picam import Picamera2Source

        return Picamera2Source(
            camera_num=cfg.camera_num,
            main_size=cfg.main_size,
            lores_size=cfg.lores_size,
            fps=cfg.fps,
            autofocus=cfg.autofocus,
        )
    raise AssertionError(f"unhandled camera config {cfg!r}")
