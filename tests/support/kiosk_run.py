"""A `kiosk run` in a thread of the test, fed by replay frames written to a folder."""

from __future__ import annotations

import threading
from pathlib import Path

import cv2

from kiosk.app.kiosk import Kiosk
from kiosk.camera.scenes import Pose, frame, qr_image


def fill_frames(folder: Path, payloads: list[str | None], repeat: int = 5) -> None:
    """Write `repeat` frames per payload (None: a frame without a code) for a replay camera."""
    n = 0
    for i, payload in enumerate(payloads):
        code = qr_image(payload) if payload else None
        for j in range(repeat):
            cv2.imwrite(
                str(folder / f"{n:04d}.png"), frame(code, Pose(angle=5 * j), seed=i * 10 + j)
            )
            n += 1


def run_in_thread(kiosk: Kiosk) -> threading.Thread:
    t = threading.Thread(target=kiosk.run, daemon=True)
    t.start()
    return t
