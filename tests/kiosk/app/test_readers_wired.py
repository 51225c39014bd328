"""Codes from dedicated readers take the camera's path: decided, recorded, shown, one at a time."""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from kiosk.app.kiosk import Kiosk, RunOptions
from kiosk.config import load_config
from kiosk.decision.outcome import Outcome
from kiosk.display.views import VerdictView
from support.timing import wait_for


def run_until(kiosk: Kiosk, done: Callable[[], bool]) -> int:
    """Run the kiosk in a thread until `done`, then stop it as SIGTERM would."""
    result: list[int] = []
    thread = threading.Thread(target=lambda: result.append(kiosk.run()), daemon=True)
    thread.start()
    try:
        assert wait_for(done, timeout=60)
    finally:
        kiosk.stop.set()
        thread.join(30)
    assert not thread.is_alive()
    return result[0]


@pytest.fixture
def pty_pair() -> Iterator[tuple[int, str]]:
    master, slave = os.openpty()
    yield master, os.ttyname(slave)
    os.close(master)
    os.close(slave)


def test_a_kiosk_with_readers_only_decides_records_and_shows_each_code(
    write_config: Callable[..., Path], venue_dir: Path, make_pass: Callable[..., str]
) -> None:
    codes = venue_dir / "codes.txt"
    codes.write_text(f"{make_pass()}\nhttps://example.com/menu\n", encoding="utf-8")
    cfg = load_config(
        write_config(
            "readers: [{type: replay, path: codes.txt, interval: 100ms}]\n",
            camera="{type: none}",
        )
    )
    seen: list[Outcome] = []
    kiosk = Kiosk(cfg, RunOptions(observers=[seen.append]))
    # The screen shows the last verdict as it would a camera scan's.
    assert run_until(kiosk, lambda: len(seen) == 2 and isinstance(kiosk.view, VerdictView)) == 0
    assert [(o.decision.verdict.value, o.decision.code_kind.value) for o in seen] == [
        ("PASS", "signed_pass"),
        ("FAIL", "unknown"),
    ]
    con = sqlite3.connect(cfg.storage.path)
    rows = con.execute("SELECT verdict, reason, source FROM records ORDER BY seq").fetchall()
    con.close()
    # The replay plays a serial reader: the records say so (and so does the upload).
    assert rows == [("PASS", None, "serial"), ("FAIL", "not_personal_code", "serial")]
    assert seen[0].record is not None and seen[0].latency_ms >= 0


def test_a_serial_reader_code_is_decided_like_a_camera_scan(
    write_config: Callable[..., Path],
    venue_dir: Path,
    make_pass: Callable[..., str],
    pty_pair: tuple[int, str],
) -> None:
    master, device = pty_pair
    cfg = load_config(
        write_config(f"readers: [{{type: serial, device: {device}}}]\n", camera="{type: none}")
    )
    seen: list[Outcome] = []
    kiosk = Kiosk(cfg, RunOptions(observers=[seen.append]))
    text = make_pass("Nguyễn Thị Hoà")

    def typed_and_decided() -> bool:
        if not seen:
            os.write(master, text.encode() + b"\r\n")  # until the reader has opened the port
        return bool(seen)

    assert run_until(kiosk, typed_and_decided) == 0
    outcome = seen[0]
    assert outcome.decision.verdict.value == "PASS" and outcome.record is not None
    assert outcome.decision.code is not None
    assert outcome.decision.code.masked_name == "Nguyễn T** H"
    # Typed again and again while the port opened: one visitor, one record.
    con = sqlite3.connect(cfg.storage.path)
    assert con.execute("SELECT source FROM records").fetchall() == [("serial",)]
    con.close()


def test_an_unplugged_reader_is_on_the_status_strip_and_the_kiosk_runs_on(
    write_config: Callable[..., Path], venue_dir: Path
) -> None:
    cfg = load_config(
        write_config(
            f"readers: [{{type: serial, device: {venue_dir / 'ttyACM0'}}}]\n",
            camera="{type: none}",
        )
    )
    kiosk = Kiosk(cfg, RunOptions())
    # No such device: the strip says so; the kiosk neither crashes nor stops.
    assert run_until(kiosk, lambda: kiosk.strip is not None and kiosk.strip.reader_down) == 0


def test_a_wedge_that_lost_the_letters_is_refused_not_decided(
    write_config: Callable[..., Path], venue_dir: Path
) -> None:
    # What a keyboard wedge types for a chip ID card: the Vietnamese letters are gone.
    lossy = "001090012345|123456789|NGUYN VN AN|01011990|Nam|S 1, Ph Hu, H Ni|01012021"
    (venue_dir / "codes.txt").write_text(lossy + "\n", encoding="utf-8")
    cfg = load_config(
        write_config(
            "readers: [{type: replay, path: codes.txt, source: hid, interval: 100ms}]\n"
            "policy: {admit_kinds: [signed_pass, cccd]}\n",
            camera="{type: none}",
        )
    )
    seen: list[Outcome] = []
    kiosk = Kiosk(cfg, RunOptions(observers=[seen.append]))
    assert run_until(kiosk, lambda: bool(seen)) == 0
    d = seen[0].decision
    assert (d.verdict.value, d.reason and d.reason.value, d.code_kind.value) == (
        "FAIL",
        "malformed",
        "cccd",
    )
    assert "USB serial" in d.detail
    assert seen[0].record is not None and seen[0].record.source.value == "hid"
