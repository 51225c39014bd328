"""The frame source: replay, OpenCV, picamera2 or none, chosen by `type`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import (
    Field,
    field_validator,
)

from kiosk.config.base import (
    ConfigPath,
    Duration,
    Strict,
    readable_folder,
)


class CameraBase(Strict):
    frame_timeout: Duration = Field(
        3.0, gt=0, le=60, description="No frame for this long means the camera has failed."
    )
    reopen_interval: Duration = Field(
        2.0, gt=0, le=300, description="Wait between attempts to reopen a failed camera."
    )


class ReplayCameraConfig(CameraBase):
    type: Literal["replay"]
    path: ConfigPath = Field(
        description="A folder of images (played in name order) or a video file."
    )
    fps: float = Field(10.0, gt=0, le=240, description="Frames per second to play at.")
    loop: bool = Field(True, description="Start again after the last frame; if false `run` ends.")
    pace: Literal["realtime", "lockstep"] = Field(
        "realtime",
        description="realtime: play at `fps` by the clock, and a busy decoder misses frames as "
        "with a real camera (benchmarks). lockstep: hand each frame over only once the "
        "decoder has taken the last, so every frame is decided, none dropped (tests, demo).",
    )

    @field_validator("path")
    @classmethod
    def _exists(cls, value: Path) -> Path:
        return readable_folder(value, or_file=True)


class OpenCVCameraConfig(CameraBase):
    type: Literal["opencv"]
    device: (
        Annotated[int, Field(ge=0, le=63)] | Annotated[str, Field(min_length=1, max_length=255)]
    ) = Field(0, description="V4L2 index (0 = /dev/video0) or a device path.")
    width: int = Field(640, ge=160, le=3840)
    height: int = Field(480, ge=120, le=2160)
    fps: float = Field(30.0, gt=0, le=120)


# Width and height in pixels: an unbounded int would reach libcamera as a crash, not an error.
Size = tuple[Annotated[int, Field(ge=16, le=9152)], Annotated[int, Field(ge=16, le=6944)]]


class Picamera2CameraConfig(CameraBase):
    type: Literal["picamera2"]
    camera_num: int = Field(0, ge=0, le=7, description="Which libcamera camera.")
    main_size: Size = Field((1280, 960), description="Main stream size (preview).")
    lores_size: Size = Field(
        (640, 480), description="Low-resolution YUV stream whose luma plane is decoded."
    )
    fps: float = Field(30.0, gt=0, le=120)
    autofocus: bool = Field(True, description="Continuous autofocus where the camera has it.")


class NoCameraConfig(CameraBase):
    """A kiosk that reads codes with dedicated readers only (`readers:`), no camera.

    It keeps the camera timings (unused) so code written for any camera type still types.
    """

    type: Literal["none"]


CameraConfig = Annotated[
    ReplayCameraConfig | OpenCVCameraConfig | Picamera2CameraConfig | NoCameraConfig,
    Field(discriminator="type"),
]
