"""One door output of four (relay, hook, wiegand, osdp) chosen in YAML, checked by check-config."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from kiosk.app.build import RunOptions, build_door
from kiosk.cli.preflight import check_config, config_warnings, preflight
from kiosk.config import load_config

RELAY = "  relay: {pin: 17}\n"
HOOK = '  hook: {url: "http://10.0.0.5/door"}\n'
WIEGAND = "  wiegand: {data0: 5, data1: 6}\n"


def osdp(port: Path, key: str = "") -> str:
    return f'  osdp: {{port: "{port}"{key}}}\n'


def found(path: Path, **kw: object) -> list[str]:
    return [str(i) for i in check_config(path, **kw)]  # type: ignore[arg-type]


def test_each_output_alone_is_the_one_wired(
    write_config: Callable[..., Path], tmp_path: Path
) -> None:
    port = tmp_path / "ttyUSB0"
    port.touch()
    for section, wired in ((RELAY, "relay"), (WIEGAND, "wiegand"), (osdp(port), "osdp")):
        cfg = load_config(write_config("door:\n" + section + HOOK))
        assert cfg.door.opener() == wired
        door = build_door(cfg, RunOptions())
        built = {"relay": door.relay, "wiegand": door.wiegand, "osdp": door.osdp}
        assert [name for name, part in built.items() if part is not None] == [wired]
        assert door.hook is not None  # the hook hears of decisions beside any output
    cfg = load_config(write_config("door:\n  output: hook\n" + HOOK))
    door = build_door(cfg, RunOptions())
    assert (door.relay, door.wiegand, door.osdp) == (None, None, None) and door.hook is not None


def test_two_outputs_need_a_choice_and_the_other_is_not_wired(
    write_config: Callable[..., Path],
) -> None:
    path = write_config("door:\n" + RELAY + WIEGAND)
    (issue,) = found(path)
    assert issue.startswith(f"{path}:7: door: ") and "choose the door's output" in issue
    path = write_config("door:\n  output: wiegand\n" + RELAY + WIEGAND)
    assert found(path) == []
    cfg = load_config(path)
    door = build_door(cfg, RunOptions())
    assert door.relay is None and door.wiegand is not None
    warnings = [str(w) for w in config_warnings(cfg, path, 0)]
    assert f"{path}:9: door.relay: warning: not used: door.output is wiegand" in warnings


def test_a_chosen_output_must_be_configured(write_config: Callable[..., Path]) -> None:
    path = write_config("door:\n  output: osdp\n" + RELAY)
    (issue,) = found(path)
    assert "output is osdp but there is no door.osdp section" in issue


@pytest.mark.parametrize("section", ["relay", "wiegand"])
def test_gpio_outputs_need_a_gpio_chip(
    write_config: Callable[..., Path], tmp_path: Path, section: str
) -> None:
    path = write_config("door:\n" + {"relay": RELAY, "wiegand": WIEGAND}[section])
    dev = tmp_path / "dev"
    dev.mkdir()
    cfg = load_config(path)
    issues = [str(i) for i in preflight(cfg, path, devices=True, dev=dev, bind=False)]
    assert any(f"door.{section}: no GPIO chip in {dev}" in i for i in issues), issues
    (dev / "gpiochip0").touch()
    issues = [str(i) for i in preflight(cfg, path, devices=True, dev=dev, bind=False)]
    assert not any("GPIO" in i for i in issues), issues


def test_the_osdp_port_is_checked(write_config: Callable[..., Path], tmp_path: Path) -> None:
    missing = tmp_path / "ttyUSB9"
    path = write_config("door:\n" + osdp(missing))
    cfg = load_config(path)
    issues = [str(i) for i in preflight(cfg, path, devices=True, dev=tmp_path, bind=False)]
    assert f"{path}:8: door.osdp.port: no serial device at {missing}" in issues
    plain = tmp_path / "plain"
    plain.touch()
    cfg = load_config(write_config("door:\n" + osdp(plain)))
    issues = [str(i) for i in preflight(cfg, path, devices=True, dev=tmp_path, bind=False)]
    assert any(f"{plain} is not a serial device" in i for i in issues), issues
    master, slave = os.openpty()
    try:
        cfg = load_config(write_config("door:\n" + osdp(Path(os.ttyname(slave)))))
        issues = [str(i) for i in preflight(cfg, path, devices=True, dev=tmp_path, bind=False)]
        assert not any("osdp" in i for i in issues), issues
    finally:
        os.close(master)
        os.close(slave)


def test_an_osdp_port_shared_with_a_code_reader_is_refused(
    write_config: Callable[..., Path], tmp_path: Path
) -> None:
    port = tmp_path / "ttyUSB0"
    path = write_config("door:\n" + osdp(port) + f'readers: [{{type: serial, device: "{port}"}}]\n')
    assert any(
        f"door.osdp.port: {port} is also a code reader's device" in i for i in found(path)
    ), found(path)


def test_osdp_without_a_key_is_warned_of(write_config: Callable[..., Path], tmp_path: Path) -> None:
    path = write_config("door:\n" + osdp(tmp_path / "ttyUSB0"))
    warnings = [str(w) for w in config_warnings(load_config(path), path, 0)]
    assert any("door.osdp: warning: no scbk_file" in w for w in warnings), warnings
