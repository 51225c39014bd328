"""Screen render time per state (1920×1080, 800×480), the preview's cost, and whether drawing
the preview lowers the decode rate. SDL's dummy driver: drawing is real, no GPU.

    .venv/bin/python bench/render.py [--n 60]
"""

from __future__ import annotations

import argparse
import os
import statistics
import threading
import time

os.environ["SDL_VIDEODRIVER"] = "dummy"
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")

from kiosk.camera.scenes import Pose, frame, qr_image
from kiosk.decode.zxing import ZxingDecoder
from kiosk.display.gallery import NOW, SAMPLE_STATUS, sample_preview, sample_views, screens
from kiosk.display.views import IdleView


def timing(n: int) -> None:
    preview = sample_preview()
    print("| size | state | first draw (view changed) | each frame after | |")
    print("|---|---|---|---|---|")
    for (w, h), _, screen in screens([(1920, 1080), (800, 480)], ["both"]):
        worst = 0.0
        for name, view in sample_views().items():
            first, steady = [], []
            for _ in range(n):
                screen.redraw()
                t = time.perf_counter()
                screen.render(view, SAMPLE_STATUS, NOW, preview)
                first.append((time.perf_counter() - t) * 1000)
            for _ in range(n):
                t = time.perf_counter()
                screen.render(view, SAMPLE_STATUS, NOW, preview)
                steady.append((time.perf_counter() - t) * 1000)
            worst = max(worst, statistics.median(first))
            extra = " (with the live preview)" if isinstance(view, IdleView) else ""
            print(
                f"| {w}×{h} | {name} | {statistics.median(first):.2f} ms | "
                f"{statistics.median(steady):.2f} ms{extra} | |"
            )
        print(f"| {w}×{h} | **slowest state** | **{worst:.2f} ms** | | |")


def decode_rate(seconds: float, with_preview: bool) -> float:
    frames = [
        frame(qr_image("KP1:" + "Y" * 240), Pose(angle=a), seed=a + 20) for a in range(-20, 20, 2)
    ]
    dec = ZxingDecoder()
    count = 0
    stop = threading.Event()

    def decoder() -> None:
        nonlocal count
        i = 0
        while not stop.is_set():
            dec.decode(frames[i % len(frames)])
            count += 1
            i += 1

    worker = threading.Thread(target=decoder)
    worker.start()
    t0 = time.monotonic()
    if with_preview:
        for _, _, screen in screens([(1920, 1080)], ["vi"]):
            preview = sample_preview()
            while time.monotonic() - t0 < seconds:
                screen.render(IdleView(), SAMPLE_STATUS, NOW, preview)
                time.sleep(1 / 30)  # the render loop's 30 fps tick
            break
    else:
        time.sleep(seconds)
    stop.set()
    worker.join()
    return count / (time.monotonic() - t0)


def camera_rate(frames: int, preview: bool) -> dict[str, int]:
    """The real `kiosk run` on a 30 fps replay at 1920×1080, preview on or off."""
    import tempfile
    from pathlib import Path

    import cv2

    from kiosk.app.kiosk import Kiosk
    from kiosk.config import load_config

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "frames").mkdir()
        code = qr_image("https://example.com/not-a-pass")
        for i in range(frames):
            img = frame(code if i % 10 < 5 else None, Pose(angle=i % 30), seed=i)
            cv2.imwrite(str(root / "frames" / f"{i:04d}.png"), img)
        (root / "venue.yaml").write_text(
            "venue: {id: b, name: Bench}\nkiosk: {id: k}\n"
            "camera: {type: replay, path: frames, fps: 30, loop: false}\n"
            "display: {mode: headless, width: 1920, height: 1080, "
            f"preview: {str(preview).lower()}}}\n"
            "policy: {admit_kinds: [cccd]}\nstorage: {path: kiosk.db}\nlog_level: warning\n",
            encoding="utf-8",
        )
        kiosk = Kiosk(load_config(root / "venue.yaml"))
        kiosk.run()
        return kiosk.stats


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--n", type=int, default=60)
    args = ap.parse_args()
    timing(args.n)
    without = decode_rate(4.0, with_preview=False)
    with_p = decode_rate(4.0, with_preview=True)
    print(
        f"\ndecode rate on 640×480 frames with a code: {without:.0f} frames/s alone, "
        f"{with_p:.0f} frames/s while the 1920×1080 preview draws at 30 fps "
        f"({(with_p / without - 1) * 100:+.1f} %); the camera delivers 30"
    )
    for preview in (False, True):
        s = camera_rate(300, preview)
        print(
            f"kiosk run, 300 camera frames at 30 fps, 1920×1080, "
            f"preview {'on ' if preview else 'off'}: "
            f"{s['frames']} decided, {s['dropped']} dropped"
        )


if __name__ == "__main__":
    main()
