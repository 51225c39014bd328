"""Where a QR code is when nothing read: WeChat's CNN detector on a small copy, or OpenCV's."""

from __future__ import annotations

from importlib import resources

import cv2
import numpy as np
import numpy.typing as npt

Image = npt.NDArray[np.uint8]
Corners = tuple[tuple[int, int], ...]


class CnnFinder:
    """WeChat's SSD detector (the `detect` model shipped in kiosk/decode/wechat) on a 160×120
    copy of the frame: ~2 ms on the development machine, and it finds codes that blur has made
    unreadable and unlocatable by finder patterns — on door frames, 15 of 16 with a 3.5 px
    focus blur and 11 of 16 with a 12 px motion streak, where zxing-cpp located 6 of 24 and
    OpenCV's detector 1 of 16 (bench/read_rate.py's frames), and none on an empty doorway.
    """

    def __init__(self, *, size: tuple[int, int] = (160, 120), confidence: float = 0.8) -> None:
        folder = resources.files("kiosk.decode").joinpath("wechat")
        with resources.as_file(folder) as path:
            self._net = cv2.dnn.readNetFromCaffe(
                str(path / "detect.prototxt"), str(path / "detect.caffemodel")
            )
        self._size = size
        self._confidence = confidence

    def __call__(self, luma: Image) -> Corners | None:
        h, w = luma.shape
        blob = cv2.dnn.blobFromImage(luma, 1 / 255.0, self._size, (0.0,), False, False)
        self._net.setInput(blob, "data")
        try:
            out = np.asarray(self._net.forward("detection_output")).reshape(-1, 7)
        except cv2.error:
            return None
        # Rows: image, class, confidence, then the box as shares of the frame: x0, y0, x1, y1.
        best = max(out, key=lambda row: float(row[2]), default=None)
        if best is None or float(best[2]) < self._confidence:
            return None
        x0, y0, x1, y1 = (float(v) for v in np.clip(best[3:7], 0, 1))
        if x1 <= x0 or y1 <= y0:
            return None
        a, b = (int(x0 * w), int(y0 * h)), (int(x1 * w), int(y1 * h))
        return (a, (b[0], a[1]), b, (a[0], b[1]))


class OpenCVFinder:
    """OpenCV's QRCodeDetector on a half-size copy (~5 ms): finder patterns, so sharp codes."""

    def __init__(self) -> None:
        self._detector = cv2.QRCodeDetector()

    def __call__(self, luma: Image) -> Corners | None:
        half = cv2.resize(luma, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)
        try:
            ok, pts = self._detector.detect(half)
        except cv2.error:
            return None
        if not ok or pts is None:
            return None
        return tuple((int(x * 2), int(y * 2)) for x, y in pts.reshape(-1, 2))
