"""The kiosk as an OSDP reader, polled by libosdp's own control panel over a pty pair, with the
secure channel on: card reads in order across a panel restart, the panel's LED and buzzer."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from osdp import Command, CommandLEDColor, KeyStore

from kiosk.config import CredentialConfig, DoorConfig, OsdpConfig
from kiosk.door.credential import Credential
from kiosk.door.osdp import OsdpReader, PanelSignal
from support.osdp_panel import ADDRESS, Panel, pty_bus, write_key
from support.timing import wait_for


@pytest.fixture
def bus() -> Iterator[tuple[str, int]]:
    with pty_bus() as pair:
        yield pair


@pytest.fixture
def key(tmp_path: Path) -> tuple[Path, bytes]:
    scbk = KeyStore.gen_key()
    return write_key(tmp_path / "scbk", scbk), scbk


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_a_thousand_reads_arrive_in_order_across_a_panel_restart(
    bus: tuple[str, int], key: tuple[Path, bytes]
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
    bus: tuple[str, int], key: tuple[Path, bytes]
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
    bus: tuple[str, int], key: tuple[Path, bytes]
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


def test_while_the_panel_is_away_the_newest_reads_are_kept_in_order(
    bus: tuple[str, int], key: tuple[Path, bytes]
) -> None:
    port, fd = bus
    cfg = OsdpConfig(port=port, address=ADDRESS, scbk_file=key[0], queue=3)
    with OsdpReader(cfg, CredentialConfig()) as reader:
        for n in range(5):  # no panel polls yet: the two oldest go
            reader.send(Credential(4, n, True))
        assert wait_for(lambda: reader.dropped == 2)
        assert reader.waiting == 3
        panel = Panel(fd, key[1])
        got: list[tuple[int, int]] = []
        try:
            panel.reads(got, 3, timeout=60)
        finally:
            panel.stop()
    assert got == [(4, 2), (4, 3), (4, 4)]


def test_without_a_key_reads_go_in_clear_to_a_panel_without_one(bus: tuple[str, int]) -> None:
    port, fd = bus
    cfg = OsdpConfig(port=port, address=ADDRESS, bits=34)
    with OsdpReader(cfg, CredentialConfig()) as reader:
        panel = Panel(fd, None)
        got: list[tuple[int, int]] = []
        try:
            assert wait_for(panel.online, 30)
            reader.send(Credential(40000, 12, True))
            panel.reads(got, 1, timeout=30)
        finally:
            panel.stop()
    assert got == [(40000, 12)]  # 34 bit: a 16-bit facility
