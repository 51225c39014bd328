"""The hand-over queue, the registry of reader types, the replay fake and the reader configs."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from pydantic import TypeAdapter, ValidationError

from kiosk.config import (
    HidReaderConfig,
    NoCameraConfig,
    ReaderConfig,
    ReplayReaderConfig,
    SerialReaderConfig,
)
from kiosk.readers import (
    SWITCH_TO_SERIAL,
    ReaderWorker,
    Scan,
    ScanQueue,
    build_reader,
    build_readers,
    register,
)
from kiosk.readers.replay import ReplayReader
from kiosk.runtime.service import State

READERS = TypeAdapter(list[ReaderConfig])


def _scan(payload: bytes) -> Scan:
    return Scan(payload, "serial", 0)


def test_queue_hands_over_in_order_and_wakes_the_loop() -> None:
    woken = threading.Event()
    q = ScanQueue(notify=woken.set)
    q.put(_scan(b"a"))
    q.put(_scan(b"b"))
    assert woken.is_set()
    assert [s.payload for s in q.drain()] == [b"a", b"b"]
    assert q.drain() == []


def test_full_queue_drops_the_oldest() -> None:
    q = ScanQueue(maxsize=2)
    for p in (b"1", b"2", b"3"):
        q.put(_scan(p))
    assert [s.payload for s in q.drain()] == [b"2", b"3"]
    assert q.dropped == 1


def test_get_waits_at_most_its_timeout() -> None:
    q = ScanQueue()
    assert q.get(0.01) is None
    threading.Timer(0.05, q.put, args=(_scan(b"x"),)).start()
    got = q.get(10)
    assert got is not None and got.payload == b"x"


def _codes(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "codes.txt"
    path.write_text(text, encoding="utf-8")
    return path


def test_replay_reader_through_config_registry_and_worker(tmp_path: Path) -> None:
    path = _codes(tmp_path, "ONE\r\nHai Bà Trưng\n\nTHREE\n")
    (cfg,) = READERS.validate_python([{"type": "replay", "path": str(path), "interval": "10ms"}])
    (reader,) = build_readers([cfg])
    assert isinstance(reader, ReplayReader)
    q = ScanQueue()
    worker = ReaderWorker(reader, q)
    with worker:
        got = [q.get(10) for _ in range(3)]
    assert [s.payload.decode() for s in got if s] == ["ONE", "Hai Bà Trưng", "THREE"]
    assert worker.status.scans == 3
    ended = worker.health
    assert ended.state in (State.ENDED, State.STOPPED)


def test_replay_as_a_wedge_marks_id_cards_it_could_not_type(tmp_path: Path) -> None:
    card = "001099012345||Nguyễn Văn An|01011990|Nam|Số 1, Hà Nội|01012021"
    path = _codes(tmp_path, card + "\nPLAIN\n")
    reader = ReplayReader("r", path, source="hid", interval=0.001)
    reader.open()
    scans = reader.read(5) + reader.read(5)
    assert [s.unreadable_hint for s in scans] == [SWITCH_TO_SERIAL, None]
    assert all(s.source == "hid" for s in scans)
    with pytest.raises(EOFError):
        reader.read(1)


def test_replay_read_returns_within_its_timeout(tmp_path: Path) -> None:
    reader = ReplayReader("r", _codes(tmp_path, "A\n"), interval=3600)
    reader.open()
    assert reader.read(0.01) == []


def test_worker_crash_is_a_crash_not_an_unplug(wait: Callable[..., bool]) -> None:
    class Buggy(ReplayReader):
        def read(self, timeout: float) -> list[Scan]:
            raise ZeroDivisionError("bug")

    reader = Buggy("b", Path("/nonexistent"))
    reader.open = lambda: None  # type: ignore[method-assign]
    worker = ReaderWorker(reader, ScanQueue())
    worker.start()
    assert wait(lambda: worker.health.crashed)
    assert "ZeroDivisionError" in (worker.health.error or "")
    worker.stop()


def test_registry_takes_new_types_and_refuses_unknown_ones(tmp_path: Path) -> None:
    cfg = ReplayReaderConfig(type="replay", path=_codes(tmp_path, "A\n"))
    register("replay", "kiosk.readers.replay:from_config")  # re-registering is harmless
    assert isinstance(build_reader(cfg, "x"), ReplayReader)
    with pytest.raises(ValueError, match="no reader type"):
        build_reader(cfg.model_copy(update={"type": "laser"}), "x")


def test_reader_configs() -> None:
    serial, hid = READERS.validate_python(
        [
            {"type": "serial", "device": "/dev/ttyACM0", "terminator": "cr", "silence": "80ms"},
            {"type": "hid", "device": "/dev/input/by-id/usb-Scanner-event-kbd"},
        ]
    )
    assert isinstance(serial, SerialReaderConfig) and isinstance(hid, HidReaderConfig)
    assert (serial.baud, serial.terminator) == (115200, "cr")
    assert serial.silence == pytest.approx(0.08)
    assert hid.silence == pytest.approx(0.05)


@pytest.mark.parametrize(
    "bad",
    [
        {"type": "serial", "device": "ttyACM0"},  # not a path
        {"type": "serial", "device": "/dev/ttyACM0", "terminator": "crcr"},
        {"type": "hid", "device": "/dev/input/x", "silence": "5s"},
        {"type": "hid", "device": "/dev/input/x", "grab": False},
        {"type": "laser", "device": "/dev/x"},
    ],
)
def test_bad_reader_configs_are_refused(bad: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        READERS.validate_python([bad])


def test_camera_none_and_readers_in_a_venue_config(write_config: Callable[..., Path]) -> None:
    from kiosk.config import load_config

    path = write_config(
        "readers:\n  - {type: serial, device: /dev/ttyACM0, silence: 50ms}\n",
        camera="{type: none}",
    )
    cfg = load_config(path)
    assert isinstance(cfg.camera, NoCameraConfig)
    assert [r.type for r in cfg.readers] == ["serial"]
