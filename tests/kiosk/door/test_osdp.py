"""The kiosk as an OSDP reader, polled by libosdp's own control panel over a pty pair, with the
secure channel on: card reads in order across a panel restart, the panel's LED and buzzer."""

from __future__ import annotations

import os
import threading
import time
import tty
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from osdp import (
    Channel,
    Command,
    CommandLEDColor,
    ControlPanel,
    Event,
    KeyStore,
    LibFlag,
    LogLevel,
    PDInfo,
)

from kiosk.config import CredentialConfig, DoorConfig, OsdpConfig
from kiosk.door.credential import Credential
from kiosk.door.osdp import OsdpReader, PanelSignal
from support.timing import wait_for
from support.wiegand import decode

ADDRESS = 5


class MasterEnd(Channel):  # type: ignore[misc]  # libosdp is untyped
    """The panel's end of the pty: the bus as the panel sees it."""

    def __init__(self, fd: int) -> None:
        super().__init__()
        self.fd = fd

    def read(self, max_bytes: int) -> bytes:
        try:
            return os.read(self.fd, max_bytes)
        except (BlockingIOError, OSError):
            return b""

    def write(self, buf: bytes) -> int:
        try:
            return os.write(self.fd, buf)
        except BlockingIOError:
            return 0

    def flush(self) -> None:
        try:
            while os.read(self.fd, 4096):
                pass
        except (BlockingIOError, OSError):
            pass


class BusyPanel(ControlPanel):  # type: ignore[misc]
    """libosdp's control panel, its refresh turned every 2 ms rather than 20: the protocol
    (polls, acknowledgements, secure channel) is the library's; only the test is quicker."""

    @staticmethod
    def refresh(event: threading.Event, lock: Any, ctx: Any) -> None:
        while not event.is_set():
            with lock:
                ctx.refresh()
            time.sleep(0.002)


class Panel:
    """A building's panel with this kiosk enrolled as reader ADDRESS under `key`."""

    def __init__(self, fd: int, key: bytes) -> None:
        self.cp = BusyPanel(
            [PDInfo(ADDRESS, MasterEnd(fd), scbk=key, flags=[LibFlag.EnforceSecure])],
            log_level=LogLevel.Warning,
        )
        self.cp.start()

    def secure(self) -> bool:
        return bool(self.cp.is_online(ADDRESS) and self.cp.is_sc_active(ADDRESS))

    def reads(self, into: list[tuple[int, int]], until: int, timeout: float = 120) -> None:
        """Card reads, decoded as (facility, number), appended until `until` are in."""
        end = time.monotonic() + timeout
        while len(into) < until and time.monotonic() < end:
            event = self.cp.get_event(ADDRESS, timeout=0.2)
            if event and event["event"] == Event.CardRead:
                data, length = event["data"], event["length"]
                bits = [(data[i // 8] >> (7 - i % 8)) & 1 for i in range(length)]
                into.append(decode(bits))

    def stop(self) -> None:
        self.cp.teardown()


@pytest.fixture
def bus() -> Iterator[tuple[Path, int]]:
    master, slave = os.openpty()
    os.set_blocking(master, False)
    tty.setraw(slave)
    yield Path(os.ttyname(slave)), master
    os.close(master)
    os.close(slave)


@pytest.fixture
def key(tmp_path: Path) -> tuple[Path, bytes]:
    scbk = KeyStore.gen_key()
    path = tmp_path / "scbk"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    os.write(fd, scbk.hex().encode() + b"\n")
    os.close(fd)
    return path, scbk


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_a_thousand_reads_arrive_in_order_across_a_panel_restart(
    bus: tuple[Path, int], key: tuple[Path, bytes]
) -> None:
    port, fd = bus
    cfg = OsdpConfig(port=port, address=ADDRESS, scbk_file=key[0], bits=26)
    got: list[tuple[int, int]] = []
    with OsdpReader(cfg, CredentialConfig()) as reader:
        panel = Panel(fd, key[1])
        assert wait_for(panel.secure, 30)
        for n in range(1000):
            reader.send(Credential(7, n, True))
        panel.reads(got, 400)
        panel.stop()  # the panel goes away mid-stream (a restart, a cut cable)
        assert wait_for(lambda: not reader.online, 60)
        taken = len(got)
        panel = Panel(fd, key[1])  # and comes back: a new secure channel, the same key
        try:
            assert wait_for(panel.secure, 30)
            panel.reads(got, 1000, timeout=300)
        finally:
            panel.stop()
    assert taken >= 400
    assert got == [(7, n) for n in range(1000)]  # none lost, none twice, in order


def test_the_panels_led_and_buzzer_commands_reach_the_kiosk(
    bus: tuple[Path, int], key: tuple[Path, bytes]
) -> None:
    port, fd = bus
    signals: list[PanelSignal] = []
    cfg = OsdpConfig(port=port, address=ADDRESS, scbk_file=key[0])
    with OsdpReader(cfg, CredentialConfig(), on_signal=signals.append):
        panel = Panel(fd, key[1])
        try:
            assert wait_for(panel.secure, 30)
            led = {
                "command": Command.LED, "reader": 0, "led_number": 0, "control_code": 1,
                "on_count": 5, "off_count": 5, "on_color": CommandLEDColor.Green,
                "off_color": CommandLEDColor.Black, "timer_count": 30, "temporary": True,
            }  # fmt: skip
            assert panel.cp.submit_command(ADDRESS, led)
            assert wait_for(lambda: len(signals) == 1)
            buzzer = {
                "command": Command.Buzzer, "reader": 0, "control_code": 2,
                "on_count": 2, "off_count": 1, "rep_count": 3,
            }  # fmt: skip
            assert panel.cp.submit_command(ADDRESS, buzzer)
            assert wait_for(lambda: len(signals) == 2)
        finally:
            panel.stop()
    assert signals == [
        PanelSignal("led", "green", None, on_ms=500, off_ms=500, lasting_ms=3000),
        PanelSignal("buzzer", on_ms=200, off_ms=100, count=3),
    ]


def test_a_panel_with_another_key_gets_no_reads(
    bus: tuple[Path, int], key: tuple[Path, bytes]
) -> None:
    port, fd = bus
    cfg = OsdpConfig(port=port, address=ADDRESS, scbk_file=key[0])
    with OsdpReader(cfg, CredentialConfig()) as reader:
        reader.send(Credential(1, 2, True))
        panel = Panel(fd, KeyStore.gen_key())
        got: list[tuple[int, int]] = []
        try:
            panel.reads(got, 1, timeout=5)  # long past the handshake, which fails
            assert not panel.secure()
        finally:
            panel.stop()
        assert got == []
        assert reader.waiting == 1  # kept for the panel that holds the key


@pytest.mark.parametrize(
    ("text", "mode", "message"),
    [
        ("00" * 16, 0o644, "readable by others"),
        ("00" * 15, 0o600, "32 hex digits"),
        ("zz" * 16, 0o600, "32 hex digits"),
    ],
)
def test_a_bad_key_file_is_refused(tmp_path: Path, text: str, mode: int, message: str) -> None:
    path = tmp_path / "scbk"
    path.write_text(text)
    path.chmod(mode)
    with pytest.raises(ValueError, match=message):
        DoorConfig.model_validate({"osdp": {"port": "/dev/ttyUSB0", "scbk_file": str(path)}})
