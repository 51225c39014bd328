"""Every frame source, one contract; the capture thread's handover and watchdog."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt
import pytest

from kiosk.camera import CameraError, EndOfStream, FrameSource
from kiosk.camera.capture import CaptureThread, FrameSlot
from kiosk.camera.opencv import OpenCVSource
from kiosk.camera.replay import ReplaySource
from kiosk.camera.scenes import Pose, frame, qr_image
from kiosk.runtime.service import State
from support.timing import wait_for


def write_images(folder: Path, n: int = 4) -> Path:
    folder.mkdir(exist_ok=True)
    for i in range(n):
        cv2.imwrite(str(folder / f"{i:03d}.png"), frame(qr_image(f"code {i}"), Pose(), seed=i))
    return folder


def write_video(path: Path, n: int = 6) -> Path:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"MJPG"), 10, (640, 480))
    assert writer.isOpened()
    for i in range(n):
        writer.write(cv2.cvtColor(frame(None, seed=i), cv2.COLOR_GRAY2BGR))
    writer.release()
    return path


SOURCES: dict[str, Callable[[Path], FrameSource]] = {
    "replay-folder": lambda tmp: ReplaySource(write_images(tmp / "imgs"), fps=100, loop=True),
    "replay-video": lambda tmp: ReplaySource(write_video(tmp / "v.avi"), fps=100, loop=True),
    # OpenCV's VideoCapture opens files through the same adapter code as a USB camera.
    "opencv": lambda tmp: OpenCVSource(
        str(write_video(tmp / "v.avi")), width=640, height=480, fps=30
    ),
}


@pytest.fixture(params=list(SOURCES))
def source(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[FrameSource]:
    src = SOURCES[request.param](tmp_path)
    yield src
    src.close()


def test_contract_open_read_close_reopen(source: FrameSource) -> None:
    source.open()
    img = None
    deadline = time.monotonic() + 30  # generous: a loaded machine is slow, not wrong
    while img is None and time.monotonic() < deadline:
        img = source.read(timeout=0.5)
    assert isinstance(img, np.ndarray)  # these sources have one resolution: no Shot
    assert img.dtype == np.uint8 and img.shape == (480, 640)
    source.close()
    source.close()  # closing twice is harmless
    source.open()
    assert wait_for(lambda: source.read(timeout=0.5) is not None, 30)


def test_replay_plays_in_order_and_ends(tmp_path: Path) -> None:
    from kiosk.decode.zxing import ZxingDecoder

    src = ReplaySource(write_images(tmp_path / "imgs", 3), fps=200, loop=False)
    src.open()
    seen = []
    with pytest.raises(EndOfStream):
        for _ in range(10):
            img = src.read(timeout=1.0)
            if img is not None:
                seen.append(ZxingDecoder().decode(img)[0].payload)
    assert seen == [b"code 0", b"code 1", b"code 2"]


def test_replay_loops(tmp_path: Path) -> None:
    src = ReplaySource(write_images(tmp_path / "imgs", 2), fps=500, loop=True)
    src.open()
    got = [src.read(timeout=1.0) for _ in range(7)]
    assert sum(g is not None for g in got) >= 5


def test_replay_paces_at_its_fps(tmp_path: Path) -> None:
    src = ReplaySource(write_images(tmp_path / "imgs", 2), fps=20, loop=True)
    src.open()
    t0 = time.monotonic()
    n = 0
    while n < 6:
        if src.read(timeout=0.5) is not None:
            n += 1
    assert time.monotonic() - t0 >= 0.2  # 6 frames at 20 fps take at least 5 periods


def test_replay_of_an_empty_folder(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(CameraError, match="no images"):
        ReplaySource(tmp_path / "empty", fps=10, loop=True).open()


def test_missing_usb_camera() -> None:
    with pytest.raises(CameraError, match="no camera"):
        OpenCVSource("/dev/video99", width=640, height=480, fps=30).open()


def _on_a_pi() -> bool:
    try:
        model = Path("/proc/device-tree/model").read_text(errors="replace")
    except OSError:
        return False
    return "Raspberry Pi" in model


@pytest.mark.pi
@pytest.mark.skipif(not _on_a_pi(), reason="needs a Raspberry Pi with a camera module")
def test_picamera2_delivers_both_luma_planes() -> None:
    from kiosk.camera.picam import Picamera2Source

    src = Picamera2Source(
        camera_num=0, main_size=(1280, 960), lores_size=(640, 480), fps=30, autofocus=True
    )
    src.open()
    try:
        img = None
        for _ in range(20):
            img = src.read(timeout=1.0)
            if img is not None:
                break
        assert img is not None and img.luma.shape == (480, 640) and img.luma.dtype == np.uint8
        assert img.full.shape == (960, 1280)  # the main stream's luma, for re-reads
    finally:
        src.close()


def test_picamera2_missing_is_a_camera_error_off_the_pi() -> None:
    if _on_a_pi():
        pytest.skip("on a Pi picamera2 may be present")
    from kiosk.camera.picam import Picamera2Source

    src = Picamera2Source(
        camera_num=0, main_size=(1280, 960), lores_size=(640, 480), fps=30, autofocus=True
    )
    with pytest.raises(CameraError):
        src.open()


# ------------------------------------------------------------------ the handover


def test_slot_keeps_only_the_newest_frame_and_counts_drops() -> None:
    from kiosk.camera import Frame

    slot = FrameSlot()
    img = np.zeros((2, 2), np.uint8)
    for seq in range(1, 6):
        slot.put(Frame(img, seq, seq))
    taken = slot.take(timeout=0.1)
    assert taken is not None and taken.seq == 5
    assert slot.dropped == 4
    assert slot.take(timeout=0.01) is None
    slot.end()
    assert slot.ended


def test_capture_thread_hands_over_newest_and_drops_stale(tmp_path: Path) -> None:
    slot = FrameSlot()
    src = ReplaySource(write_images(tmp_path / "imgs", 4), fps=200, loop=True)
    with CaptureThread(src, slot, frame_timeout=2.0, reopen_interval=0.1) as cap:
        # A consumer that is far too slow: it takes nothing while 20 frames are captured.
        assert wait_for(lambda: cap.camera.frames >= 20)
        newest = slot.take(timeout=1.0)
        assert newest is not None
        assert cap.camera.ok
    assert slot.dropped >= 10
    assert newest.seq >= 20


class Stalling:
    """A camera that delivers frames, then stops (cable pulled), then recovers when reopened."""

    name = "stalling"

    def __init__(self, frames_before_stall: int) -> None:
        self.left = frames_before_stall
        self.opens = 0
        self.closed = threading.Event()

    def open(self) -> None:
        self.opens += 1
        if self.opens == 2:
            raise CameraError("device busy")  # the first reopen attempt fails too

    def read(self, timeout: float) -> npt.NDArray[np.uint8] | None:
        if self.opens >= 3:
            return np.zeros((48, 64), np.uint8)
        if self.left > 0:
            self.left -= 1
            return np.zeros((48, 64), np.uint8)
        time.sleep(timeout)  # nothing arrives
        return None

    def close(self) -> None:
        self.closed.set()


def test_watchdog_detects_a_stall_and_reopens(caplog: pytest.LogCaptureFixture) -> None:
    slot = FrameSlot()
    cam = Stalling(frames_before_stall=3)
    # What it went through is read from its log, not by sampling its state: each failed
    # state lasts one reopen interval (50 ms), less than a loaded machine may take to poll.
    with (
        caplog.at_level(logging.INFO, logger="kiosk.camera.capture"),
        CaptureThread(cam, slot, frame_timeout=0.3, reopen_interval=0.05) as cap,
    ):
        assert wait_for(lambda: cam.opens >= 3 and cap.camera.ok, 60)
    said = [r.getMessage() for r in caplog.records if r.name == "kiosk.camera.capture"]
    assert said == [
        "camera stalling: delivering frames",
        "camera stalling: no frame for 0.3 s",
        # A failure after a failure is held back (one line a minute), counted once it clears.
        "camera stalling: cannot open: device busy (repeated 1 more times)",
        "camera stalling: delivering frames",
    ]
    assert cam.closed.is_set()


def test_end_of_stream_ends_the_slot(tmp_path: Path) -> None:
    slot = FrameSlot()
    src = ReplaySource(write_images(tmp_path / "imgs", 2), fps=100, loop=False)
    with CaptureThread(src, slot, frame_timeout=1.0, reopen_interval=0.1) as cap:
        deadline = time.monotonic() + 30
        while not slot.ended and time.monotonic() < deadline:
            slot.take(timeout=0.05)
        assert wait_for(lambda: cap.health.finished)
    assert slot.ended
    assert cap.health.state is State.ENDED  # ran out: a clean end, not a crash


def test_lockstep_hands_over_every_frame_to_a_slow_consumer(tmp_path: Path) -> None:
    slot = FrameSlot(lockstep=True)
    src = ReplaySource(write_images(tmp_path / "imgs", 6), fps=1, loop=False, pace="lockstep")
    taken = []
    with CaptureThread(src, slot, frame_timeout=1.0, reopen_interval=0.1) as cap:
        deadline = time.monotonic() + 60
        while not slot.ended and time.monotonic() < deadline:
            got = slot.take(timeout=0.05)
            if got is not None:
                taken.append(got.seq)
        assert wait_for(lambda: cap.health.finished)
    assert taken == [1, 2, 3, 4, 5, 6]  # every frame, in order; fps=1 did not pace them
    assert slot.dropped == 0


class Exploding:
    """A camera adapter with a bug: its third read raises something unexpected."""

    name = "exploding"

    def __init__(self) -> None:
        self.reads = 0
        self.closed = threading.Event()

    def open(self) -> None:
        pass

    def read(self, timeout: float) -> npt.NDArray[np.uint8] | None:
        self.reads += 1
        if self.reads == 3:
            raise ZeroDivisionError("adapter bug")
        return np.zeros((48, 64), np.uint8)

    def close(self) -> None:
        self.closed.set()


def test_a_capture_crash_is_a_crash_not_an_end(caplog: pytest.LogCaptureFixture) -> None:
    slot = FrameSlot()
    cam = Exploding()
    with CaptureThread(cam, slot, frame_timeout=1.0, reopen_interval=0.1) as cap:
        assert wait_for(lambda: cap.health.finished)
        health = cap.health
    assert health.state is State.CRASHED and health.crashed
    assert health.error == "ZeroDivisionError: adapter bug"
    assert cam.closed.is_set()
    assert "capture crashed" in caplog.text and "Traceback" in caplog.text
