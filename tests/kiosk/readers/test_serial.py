"""The serial reader and its worker driven through a pseudo-terminal, as pyserial opens it."""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from kiosk.config import SerialReaderConfig
from kiosk.readers import ReaderWorker, Scan, ScanQueue, build_reader
from kiosk.readers.serial import SerialReader
from kiosk.runtime.service import State


class PtyScanner:
    """The scanner's side of a pseudo-terminal: the reader opens `path` as its serial device."""

    def __init__(self) -> None:
        self.master, slave = os.openpty()
        self.path = os.ttyname(slave)
        os.close(slave)  # the reader opens the slave by name; the test need not hold it

    def send(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            view = view[os.write(self.master, view) :]

    def unplug(self) -> None:
        os.close(self.master)


@pytest.fixture
def scanners() -> Iterator[Callable[[], PtyScanner]]:
    """Make pseudo-terminal scanners; any still plugged in are unplugged at the end."""
    made: list[PtyScanner] = []

    def make() -> PtyScanner:
        made.append(PtyScanner())
        return made[-1]

    yield make
    for scanner in made:
        with contextlib.suppress(OSError):
            scanner.unplug()


@pytest.fixture
def scanner(scanners: Callable[[], PtyScanner]) -> PtyScanner:
    return scanners()


def _open(scanner: PtyScanner, **kw: object) -> SerialReader:
    reader = SerialReader("test", Path(scanner.path), **kw)  # type: ignore[arg-type]
    reader.open()
    return reader


def _read_all(reader: SerialReader, n: int, timeout: float = 10.0) -> list[Scan]:
    scans: list[Scan] = []
    end = time.monotonic() + timeout
    while len(scans) < n and time.monotonic() < end:
        scans += reader.read(0.5)
    return scans


CCCD = (
    "001099012345|123456789|Nguyễn Thị Ánh Tuyết|01011990|Nữ"
    "|Số 1, Phường Bến Nghé, Quận 1, Thành phố Hồ Chí Minh|01012021"
)


def test_crlf_terminated_code(scanner: PtyScanner) -> None:
    reader = _open(scanner)
    scanner.send(b"HELLO\r\n")
    (scan,) = _read_all(reader, 1)
    assert scan.payload == b"HELLO"
    assert scan.source == "serial"
    assert scan.unreadable_hint is None
    reader.close()


def test_utf8_vietnamese_id_card_arrives_intact(scanner: PtyScanner) -> None:
    reader = _open(scanner)
    scanner.send(CCCD.encode() + b"\r\n")
    (scan,) = _read_all(reader, 1)
    assert scan.payload.decode("utf-8") == CCCD
    reader.close()


def test_silence_ends_a_code_without_terminator(scanner: PtyScanner) -> None:
    reader = _open(scanner, terminator=None, silence=0.05)
    scanner.send(b"NOEND")
    (scan,) = _read_all(reader, 1)
    handed = time.monotonic_ns()
    assert scan.payload == b"NOEND"
    # Not before the silence had passed since the last byte.
    assert handed - scan.at_mono_ns >= 50_000_000
    reader.close()


def test_a_crlf_reader_also_ends_a_code_after_a_silence(scanner: PtyScanner) -> None:
    reader = _open(scanner, silence=0.05)
    scanner.send(b"FORGOT-CRLF")
    assert [s.payload for s in _read_all(reader, 1)] == [b"FORGOT-CRLF"]
    reader.close()


def test_two_codes_back_to_back(scanner: PtyScanner) -> None:
    reader = _open(scanner)
    scanner.send(b"FIRST\r\nSECOND\r\n")
    assert [s.payload for s in _read_all(reader, 2)] == [b"FIRST", b"SECOND"]
    reader.close()


def test_read_returns_within_its_timeout_when_nothing_comes(scanner: PtyScanner) -> None:
    reader = _open(scanner)
    start = time.monotonic()
    assert reader.read(0.1) == []
    assert time.monotonic() - start >= 0.1
    reader.close()


def test_oversize_garbage_is_discarded_and_logged(
    scanner: PtyScanner, caplog: pytest.LogCaptureFixture
) -> None:
    reader = _open(scanner)
    # The pty holds ~4 KiB: the scanner writes from its own thread while the reader reads.
    garbage = os.urandom(6000).replace(b"\r", b"").replace(b"\n", b"")
    sender = threading.Thread(target=scanner.send, args=(garbage + b"\r\nGOOD\r\n",))
    sender.start()
    scans = _read_all(reader, 1)
    sender.join(10)
    assert [s.payload for s in scans] == [b"GOOD"]
    assert "discarded" in caplog.text
    reader.close()


def test_unplugged_reader_raises_oserror(scanner: PtyScanner) -> None:
    reader = _open(scanner)
    scanner.unplug()
    with pytest.raises(OSError):  # noqa: PT011  any OSError is how a device goes
        _read_all(reader, 1)
    reader.close()
    reader.close()  # twice is safe


def test_built_from_config_through_the_registry(scanner: PtyScanner) -> None:
    cfg = SerialReaderConfig(type="serial", device=scanner.path, terminator="lf", silence="50ms")
    reader = build_reader(cfg, "r1")
    assert isinstance(reader, SerialReader)
    reader.open()
    scanner.send(b"LF-CODE\n")
    assert [s.payload for s in _read_all(reader, 1)] == [b"LF-CODE"]
    reader.close()


def test_worker_reports_an_unplug_and_reopens_when_the_scanner_returns(
    scanners: Callable[[], PtyScanner], tmp_path: Path, wait: Callable[..., bool]
) -> None:
    # The by-id path udev gives the scanner: a symlink the test points at each new pty.
    link = tmp_path / "usb-Scanner-if00"
    first = scanners()
    link.symlink_to(first.path)
    queue = ScanQueue()
    worker = ReaderWorker(SerialReader("door", link), queue, reopen_interval=0.2)
    with worker:
        assert wait(lambda: worker.status.ok)
        first.send(b"BEFORE\r\n")
        scan = queue.get(10)
        assert scan is not None and scan.payload == b"BEFORE"

        first.unplug()
        link.unlink()
        assert wait(lambda: "not connected" in worker.status.message)
        assert not worker.status.ok
        during = worker.health
        assert during.state is State.RUNNING  # an unplug is not a crash

        second = scanners()
        link.symlink_to(second.path)
        assert wait(lambda: worker.status.ok)
        assert worker.status.reconnects == 1
        second.send(b"AFTER\r\n")
        scan = queue.get(10)
        assert scan is not None and scan.payload == b"AFTER"
    assert worker.health.state is State.STOPPED


def test_worker_reports_a_device_that_is_not_there(
    tmp_path: Path, wait: Callable[..., bool]
) -> None:
    reader = SerialReader("door", tmp_path / "absent")
    worker = ReaderWorker(reader, ScanQueue(), reopen_interval=0.2)
    with worker:
        assert wait(lambda: "not connected" in worker.status.message)
    assert worker.health.state is State.STOPPED
