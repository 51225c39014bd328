"""`kiosk camera-check`: the read rate of a code held to the camera, for placing it."""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from kiosk.cli.options import (
    EXIT_FAIL,
    EXIT_OK,
    add_config,
    load,
    setup_logging,
)

if TYPE_CHECKING:
    from kiosk.config import Config

log = logging.getLogger("kiosk")


def run(args: argparse.Namespace) -> int:
    """Open the configured camera, show its live preview and print the read rate of a code
    held up to it: 0 when frames came, 1 when the camera gave none."""

    cfg = load(args.config)
    setup_logging("warning")
    # A window where there is a display to put it on; otherwise the preview is drawn headless.
    windowed = bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    t0 = time.monotonic()
    frames, read, camera = _camera_check(cfg, args.seconds, windowed=windowed)
    took = time.monotonic() - t0
    if not frames:
        print(f"camera {camera}: no frames in {took:.1f} s", file=sys.stderr)
        return EXIT_FAIL
    print(
        f"{frames} frames in {took:.1f} s ({frames / took:.1f} fps); "
        f"code read in {read} ({100 * read / frames:.0f} %)"
    )
    return EXIT_OK


def _camera_check(cfg: Config, seconds: float, *, windowed: bool) -> tuple[int, int, str]:
    """Frames decoded, frames with a code read, and the camera's last state."""
    from kiosk.camera import build_source
    from kiosk.camera.capture import CaptureThread, FrameSlot
    from kiosk.config import ReplayCameraConfig
    from kiosk.decode import build_decoder
    from kiosk.display.messages import Messages
    from kiosk.display.screen import PreviewFrame, Screen
    from kiosk.display.views import IdleView, StatusBar

    camera = cfg.camera
    slot = FrameSlot(lockstep=isinstance(camera, ReplayCameraConfig) and camera.pace == "lockstep")
    capture = CaptureThread(
        build_source(camera),
        slot,
        frame_timeout=camera.frame_timeout,
        reopen_interval=camera.reopen_interval,
    )
    decoder = build_decoder(cfg.decoder)
    display = cfg.display.model_copy(update={"mode": "windowed" if windowed else "headless"})
    messages = Messages(cfg.display.language)
    frames = read = 0
    with Screen(display, venue_name=cfg.venue.name, messages=messages) as screen, capture:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and not slot.ended:
            screen.events()  # a window that is not serviced is greyed out as hung
            frame = slot.take(timeout=0.2)
            if frame is None:
                continue
            codes = [s for s in decoder.decode(frame.luma) if s.error is None]
            frames += 1
            read += bool(codes)
            corners = codes[0].corners if codes else ()
            preview = PreviewFrame(frame.luma, corners, bool(codes), frame.seq)
            screen.render(
                IdleView(admits=tuple(cfg.policy.admit_kinds)),
                StatusBar(),
                datetime.now(UTC),
                preview,
            )
        state = capture.camera.message
    return frames, read, f"{camera.type}: {state}"


def register(sub: Any) -> None:
    c = sub.add_parser(
        "camera-check",
        help="live preview and read rate of a code held to the camera",
        description="Open the config's camera, decode for --seconds and print how many frames "
        "read a code held in front of it: for placing the camera and its light.",
    )
    add_config(c)
    c.add_argument("--seconds", type=float, default=10.0, help="how long to decode (default 10)")
    c.set_defaults(func=run)
