"""Cutting a reader's byte stream into codes: at a terminator, after a silence, never oversize."""

from __future__ import annotations

import logging

from kiosk.readers import MAX_CODE_BYTES

log = logging.getLogger(__name__)

TERMINATORS: dict[str, bytes | None] = {"crlf": b"\r\n", "cr": b"\r", "lf": b"\n", "none": None}


class Framer:
    """Pure and single-threaded: the reader's thread feeds it bytes with the time they came.

    A code ends at the terminator, at an explicit `end()` (a wedge's Enter), or once no byte
    has come for `silence`. Empty codes (a bare terminator) are skipped. A code that grows past
    `limit` bytes without an end is discarded with the rest of it, up to its end, so a tail of
    garbage never reaches the loop as a code of its own.
    """

    def __init__(
        self, terminator: bytes | None, silence_ns: int, limit: int = MAX_CODE_BYTES
    ) -> None:
        self.terminator = terminator
        self.silence_ns = silence_ns
        self.limit = limit
        self._buf = bytearray()
        self._last_ns = 0
        self._discarding = False
        self.discarded = 0  # oversize codes thrown away

    @property
    def pending(self) -> bool:
        return bool(self._buf) or self._discarding

    def deadline_ns(self) -> int | None:
        """When the silence will end the code being read; None when there is none."""
        return self._last_ns + self.silence_ns if self.pending else None

    def feed(self, data: bytes, now_ns: int) -> list[tuple[bytes, int]]:
        """Codes completed by `data`, each with the time of its last byte."""
        done: list[tuple[bytes, int]] = []
        if not data:
            return done
        self._last_ns = now_ns
        self._buf += data
        if self.terminator is not None:
            while True:
                at = self._buf.find(self.terminator)
                if at < 0:
                    break
                code = bytes(self._buf[:at])
                del self._buf[: at + len(self.terminator)]
                self._complete(code, now_ns, done)
        if len(self._buf) > self.limit:
            if not self._discarding:
                log.warning("reader sent over %d bytes without an end: discarded", self.limit)
                self.discarded += 1
            self._discarding = True
            self._buf.clear()
        return done

    def end(self, now_ns: int) -> list[tuple[bytes, int]]:
        """End the code being read now (a wedge's Enter or Tab)."""
        done: list[tuple[bytes, int]] = []
        code = bytes(self._buf)
        self._buf.clear()
        self._complete(code, now_ns, done)
        return done

    def expire(self, now_ns: int) -> list[tuple[bytes, int]]:
        """End the code being read if the silence has passed; its time is its last byte's."""
        deadline = self.deadline_ns()
        if deadline is None or now_ns < deadline:
            return []
        code = bytes(self._buf)
        self._buf.clear()
        # A CRLF scanner paused between CR and LF, or a terminator set wrongly: never part
        # of a QR code's payload as a scanner sends it.
        code = code.rstrip(b"\r\n")
        done: list[tuple[bytes, int]] = []
        self._complete(code, self._last_ns, done)
        return done

    def _complete(self, code: bytes, at_ns: int, done: list[tuple[bytes, int]]) -> None:
        if self._discarding:
            self._discarding = False  # the oversize code's end: what follows is new
            return
        # A CR-terminated scanner that also sends LF leaves it at the start of the next code.
        code = code.lstrip(b"\n") if self.terminator == b"\r" else code
        if len(code) > self.limit:  # came whole in one read, terminator and all
            log.warning("reader sent a %d-byte code (over %d): discarded", len(code), self.limit)
            self.discarded += 1
        elif code:
            done.append((code, at_ns))
