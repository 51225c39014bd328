"""The capture thread: owns the camera, hands over only the newest frame, reopens a dead camera."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt

from kiosk.camera import CameraError, EndOfStream, Frame, FrameSource, Shot
from kiosk.runtime.logs import RepeatingLog
from kiosk.runtime.service import Service

log = logging.getLogger(__name__)


class FrameSlot:
    """A one-frame mailbox. A new frame replaces an unread one, which is counted as dropped:
    the decoder always works on what the camera sees now, never on a backlog.

    In lockstep (replays for tests and the demo) the producer first waits for room, so every
    frame is taken and decided, whatever the machine's speed.
    """

    def __init__(self, *, lockstep: bool = False) -> None:
        self.lockstep = lockstep
        self._cond = threading.Condition()
        self._frame: Frame | None = None
        self._ended = False
        self._poked = False
        self.dropped = 0

    def put(self, frame: Frame) -> None:
        with self._cond:
            if self._frame is not None:
                self.dropped += 1
            self._frame = frame
            self._cond.notify_all()

    def wait_for_room(self, timeout: float) -> bool:
        """Until the last frame has been taken; False if it still waits after `timeout`."""
        with self._cond:
            return self._cond.wait_for(lambda: self._frame is None, timeout)

    def end(self) -> None:
        with self._cond:
            self._ended = True
            self._cond.notify_all()

    def poke(self) -> None:
        """Wake a `take` that waits, so the consumer can see to other work (a guard's admit)."""
        with self._cond:
            self._poked = True
            self._cond.notify_all()

    def take(self, timeout: float) -> Frame | None:
        with self._cond:
            self._cond.wait_for(
                lambda: self._frame is not None or self._ended or self._poked, timeout
            )
            self._poked = False
            frame, self._frame = self._frame, None
            self._cond.notify_all()  # room for a lockstep producer
            return frame

    @property
    def ended(self) -> bool:
        """True once the source has ended and its last frame has been taken."""
        with self._cond:
            return self._ended and self._frame is None


@dataclass(frozen=True)
class CameraHealth:
    ok: bool = False
    message: str = "starting"
    frames: int = 0
    reopens: int = 0


class CaptureThread(Service):
    """Runs the frame source in its own thread; use as a context manager.

    A camera that fails is reopened (that is the camera's health, shown on screen); a replay
    that runs out ends the service; a bug crashes it, and the kiosk goes out of order and
    exits non-zero: restarting in-process would hide a capture bug behind a frozen preview.
    """

    def __init__(
        self,
        source: FrameSource,
        slot: FrameSlot,
        *,
        frame_timeout: float,
        reopen_interval: float,
    ) -> None:
        super().__init__("capture")
        self._source = source
        self._slot = slot
        self._frame_timeout = frame_timeout
        self._reopen_interval = reopen_interval
        self._camera_lock = threading.Lock()
        self._camera = CameraHealth()
        # A dead camera fails again at every reopen: one line a minute, with the count.
        self._failures = RepeatingLog(log)
        # The newest frame, for the preview: the screen looks, it never takes (the decoder
        # takes from the slot). Replacing a reference is atomic; no lock is needed.
        self.latest: Frame | None = None

    @property
    def camera(self) -> CameraHealth:
        with self._camera_lock:
            return self._camera

    def _set_camera(self, **changes: object) -> None:
        with self._camera_lock:
            self._camera = replace(self._camera, **changes)  # type: ignore[arg-type]

    def _fail(self, message: str, reopen: bool = True) -> None:
        self._failures.error("camera %s: %s", self._source.name, message)
        self._set_camera(ok=False, message=message)
        self._source.close()
        if reopen:
            self._set_camera(reopens=self.camera.reopens + 1)
        self.wait_stopping(self._reopen_interval)

    def _hand_over(self, shot: npt.NDArray[np.uint8] | Shot, seq: int) -> bool:
        """Put one frame in the slot; False if stopping while a lockstep slot was full."""
        while self._slot.lockstep and not self._slot.wait_for_room(0.2):
            if self.stopping:
                return False
        luma, full = (shot.luma, shot.full) if isinstance(shot, Shot) else (shot, None)
        # Stamped at the handover, so a lockstep wait does not count as decision latency.
        frame = Frame(luma=luma, seq=seq, captured_mono_ns=time.monotonic_ns(), full=full)
        self._slot.put(frame)
        self.latest = frame
        return True

    def serve(self) -> None:
        # The source is never closed from another thread (it belongs to this one): a stop is
        # seen within a read's timeout (at most 0.5 s) or a lockstep wait (0.2 s).
        try:
            self._capture()
        finally:
            self._source.close()
            self._slot.end()
            self._failures.flush()

    def _capture(self) -> None:
        seq = 0
        opened = False
        last_frame = time.monotonic()
        while not self.stopping:
            if not opened:
                try:
                    self._source.open()
                except CameraError as exc:
                    self._fail(f"cannot open: {exc}", reopen=False)
                    continue
                opened = True
                last_frame = time.monotonic()
                self._set_camera(message="waiting for frames")
            try:
                luma = self._source.read(timeout=min(self._frame_timeout, 0.5))
            except EndOfStream:
                log.info("camera %s: end of stream", self._source.name)
                return
            except CameraError as exc:
                self._fail(str(exc))
                opened = False
                continue
            now = time.monotonic()
            if luma is None:
                if now - last_frame > self._frame_timeout:
                    self._fail(f"no frame for {self._frame_timeout:g} s")
                    opened = False
                continue
            seq += 1
            if not self._hand_over(luma, seq):
                return
            last_frame = time.monotonic()
            if not self.camera.ok:
                self._failures.flush()  # how often it failed, before the good news
                log.info("camera %s: delivering frames", self._source.name)
            self._set_camera(ok=True, message="ok", frames=seq)
