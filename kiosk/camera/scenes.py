"""Camera-like frames of QR codes (perspective, blur, noise, dark mode) for the replay camera."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt
import segno


def qr_image(
    text: str | bytes, *, module_px: int = 6, border: int = 4, error: str = "m"
) -> npt.NDArray[np.uint8]:
    """The code as a uint8 image: 0 for dark modules, 255 for light, with its quiet zone."""
    qr = segno.make(text, error=error, micro=False)
    matrix = np.array([list(row) for row in qr.matrix], dtype=np.uint8)
    matrix = np.pad(matrix, border)
    img = np.where(matrix > 0, 0, 255).astype(np.uint8)
    return np.kron(img, np.ones((module_px, module_px), dtype=np.uint8))


@dataclass(frozen=True)
class Pose:
    """Where and how the code is held in front of the camera."""

    center: tuple[float, float] = (0.5, 0.5)  # fraction of the frame
    size: float = 0.45  # code width as a fraction of frame height
    angle: float = 0.0  # degrees, in the image plane
    tilt: float = 0.0  # perspective: 0 = flat, 0.2 = strongly tilted
    blur: float = 0.0  # Gaussian sigma in pixels
    noise: float = 3.0  # sensor noise sigma
    contrast: float = 1.0  # 1 = full black/white; 0.5 = washed out
    invert: bool = False  # dark mode: light modules on a dark screen


def background(size: tuple[int, int], rng: np.random.Generator) -> npt.NDArray[np.float32]:
    w, h = size
    x = np.linspace(0, 1, w, dtype=np.float32)
    y = np.linspace(0, 1, h, dtype=np.float32)[:, None]
    a, b, c = rng.uniform(60, 170), rng.uniform(-40, 40), rng.uniform(-40, 40)
    return np.clip(a + b * x + c * y, 0, 255).astype(np.float32)


def frame(
    code: npt.NDArray[np.uint8] | None,
    pose: Pose = Pose(),
    *,
    size: tuple[int, int] = (640, 480),
    seed: int = 0,
) -> npt.NDArray[np.uint8]:
    """A greyscale camera frame, with `code` (from qr_image) held at `pose`, or none."""
    rng = np.random.default_rng(seed)
    w, h = size
    img = background(size, rng)
    if code is not None:
        src = code.astype(np.float32)
        lo, hi = 128 - 127 * pose.contrast, 128 + 127 * pose.contrast
        src = lo + (src / 255.0) * (hi - lo)
        if pose.invert:
            src = 255.0 - src
        ch, cw = src.shape
        side = pose.size * h
        cx, cy = pose.center[0] * w, pose.center[1] * h
        half = side / 2
        corners = np.array([[-half, -half], [half, -half], [half, half], [-half, half]], np.float32)
        # Tilt: one edge nearer the camera than the other.
        corners[1:3, 1] *= 1 - pose.tilt
        corners[[0, 3], 1] *= 1 + pose.tilt
        t = np.deg2rad(pose.angle)
        rot = np.array([[np.cos(t), -np.sin(t)], [np.sin(t), np.cos(t)]], np.float32)
        dst = corners @ rot.T + np.array([cx, cy], np.float32)
        src_pts = np.array([[0, 0], [cw, 0], [cw, ch], [0, ch]], np.float32)
        m = cv2.getPerspectiveTransform(src_pts, dst.astype(np.float32))
        # A one-channel image takes the first of the four border values.
        warped = cv2.warpPerspective(
            src, m, size, flags=cv2.INTER_LINEAR, borderValue=(-1.0, -1.0, -1.0, -1.0)
        )
        mask = cv2.warpPerspective(
            np.ones_like(src), m, size, flags=cv2.INTER_NEAREST, borderValue=(0.0, 0.0, 0.0, 0.0)
        )
        img = np.where(mask > 0, warped, img).astype(np.float32)
    if pose.blur > 0:
        img = np.asarray(cv2.GaussianBlur(img, (0, 0), pose.blur), dtype=np.float32)
    if pose.noise > 0:
        img = img + rng.normal(0, pose.noise, img.shape).astype(np.float32)
    return np.clip(img, 0, 255).astype(np.uint8)
