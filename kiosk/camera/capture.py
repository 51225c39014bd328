"""The capture thread: owns the camera, hands over only the newest frame, reopens a dead camera."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, replace
from types import TracebackType

from kiosk.camera import CameraError, EndOfStream, Frame, FrameSource

log = logging.getLogger(__name__)


class FrameSlot:
    """A one-frame mailbox. A new frame replaces an unread one, which is counted as dropped:
    the decoder always works on what the camera sees now, never on a backlog."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._frame: Frame | None = None
        self._ended = False
        self.dropped = 0

    def put(self, frame: Frame) -> None:
        with self._cond:
            if self._frame is not None:
                self.dropped += 1
            self._frame = frame
            self._cond.notify()

    def end(self) -> None:
        with self._cond:
            self._ended = True
            self._cond.notify_all()

    def take(self, timeout: float) -> Frame | None:
        with self._cond:
            if self._frame is None and not self._ended:
                self._cond.wait(timeout)
            frame, self._frame = self._frame, None
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


class CaptureThread:
    """Runs the frame source in its own thread; use as a context manager."""

    def __init__(
        self,
        source: FrameSource,
        slot: FrameSlot,
        *,
        frame_timeout: float,
        reopen_interval: float,
    ) -> None:
        self._source = source
        self._slot = slot
        self._frame_timeout = frame_timeout
        self._reopen_interval = reopen_interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="capture", daemon=True)
        self._health_lock = threading.Lock()
        self._health = CameraHealth()
        # The newest frame, for the preview: the screen looks, it never takes (the decoder
        # takes from the slot). Replacing a reference is atomic; no lock is needed.
        self.latest: Frame | None = None

    @property
    def health(self) -> CameraHealth:
        with self._health_lock:
            return self._health

    def _set_health(self, **changes: object) -> None:
        with self._health_lock:
            self._health = replace(self._health, **changes)  # type: ignore[arg-type]

    def __enter__(self) -> CaptureThread:
        self._thread.start()
        return self

    def __exit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _fail(self, message: str) -> None:
        if self.health.ok or self.health.message != message:
            log.error("camera %s: %s", self._source.name, message)
        self._set_health(ok=False, message=message)
        self._source.close()

    def _run(self) -> None:
        seq = 0
        opened = False
        last_frame = time.monotonic()
        try:
            while not self._stop.is_set():
                if not opened:
                    try:
                        self._source.open()
                    except CameraError as exc:
                        self._fail(f"cannot open: {exc}")
                        self._stop.wait(self._reopen_interval)
                        continue
                    opened = True
                    last_frame = time.monotonic()
                    self._set_health(message="waiting for frames")
                try:
                    luma = self._source.read(timeout=min(self._frame_timeout, 0.5))
                except EndOfStream:
                    log.info("camera %s: end of stream", self._source.name)
                    break
                except CameraError as exc:
                    self._fail(str(exc))
                    opened = False
                    self._set_health(reopens=self.health.reopens + 1)
                    self._stop.wait(self._reopen_interval)
                    continue
                now = time.monotonic()
                if luma is None:
                    if now - last_frame > self._frame_timeout:
                        self._fail(f"no frame for {self._frame_timeout:g} s")
                        opened = False
                        self._set_health(reopens=self.health.reopens + 1)
                        self._stop.wait(self._reopen_interval)
                    continue
                last_frame = now
                seq += 1
                frame = Frame(luma=luma, seq=seq, captured_mono_ns=time.monotonic_ns())
                self._slot.put(frame)
                self.latest = frame
                if not self.health.ok:
                    log.info("camera %s: delivering frames", self._source.name)
                self._set_health(ok=True, message="ok", frames=seq)
        except Exception:  # a bug in an adapter must not leave the kiosk silently frozen
            log.exception("capture thread crashed")
            self._set_health(ok=False, message="capture thread crashed")
        finally:
            self._source.close()
            self._slot.end()

    def is_alive(self) -> bool:
        return self._thread.is_alive()
