"""One kiosk per database: `kiosk run` holds an exclusive lock on a file beside it."""

from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path
from types import TracebackType


class AlreadyRunning(Exception):
    """Another process holds the database's instance lock."""


class InstanceLock:
    """flock(2) on `<database>.lock`, taken without waiting and held until released or the
    process ends (the kernel releases it then, even after a SIGKILL or a power cut, so a
    stale lock file never blocks a start). Two kiosks on one database would decide and
    record every scan twice."""

    def __init__(self, database: Path) -> None:
        self.path = database.with_name(database.name + ".lock")
        self._fd: int | None = None

    def acquire(self) -> None:
        """Raises AlreadyRunning, or OSError if the lock file cannot be made."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # never blocks: fails at once
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            raise AlreadyRunning(
                f"another kiosk (pid {holder}) is running on this database; "
                f"lock {self.path} is held"
            ) from None
        except BaseException:
            os.close(fd)
            raise
        # Who holds it, for the message the next one prints; the lock is what counts.
        with contextlib.suppress(OSError):
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._fd = fd

    def release(self) -> None:
        # The file stays: removing it would let a third process lock a new file while a
        # second still waits to read this one.
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> InstanceLock:
        self.acquire()
        return self

    def __exit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()
