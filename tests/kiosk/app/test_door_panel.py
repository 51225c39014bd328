"""`kiosk run` with the building's panel as its door output: Wiegand and OSDP, end to end."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import cv2
from gpiozero.pins.mock import MockFactory
from osdp import Command, CommandLEDColor, KeyStore

from kiosk.app.kiosk import Kiosk, RunOptions
from kiosk.camera.scenes import Pose, frame, qr_image
from kiosk.config import load_config
from support.osdp_panel import ADDRESS, Panel, pty_bus, write_key
from support.timing import wait_for
from support.wiegand import EdgePin, decode, frames


def test_a_pass_sends_its_category_number_by_wiegand_and_a_fail_nothing(
    write_config: Callable[..., Path], venue_dir: Path, make_pass: Callable[..., str]
) -> None:
    pins = MockFactory(pin_class=EdgePin)
    shown = ("https://example.com/menu", None, make_pass(category="staff"), None)
    n = 0
    for payload in shown:
        for _ in range(3):
            image = frame(qr_image(payload) if payload else None, Pose(), seed=n)
            cv2.imwrite(str(venue_dir / "frames" / f"{n:03d}.png"), image)
            n += 1
    path = write_config(
        """\
        door:
          wiegand: {data0: 5, data1: 6, bits: 34, interval_us: 500}
          credential: {facility: 300, by_category: {staff: 4321, visitor: 17}}
        """
    )
    kiosk = Kiosk(load_config(path), RunOptions(pin_factory=pins))
    t = threading.Thread(target=kiosk.run, daemon=True)
    t.start()
    d0, d1 = pins.pin(5), pins.pin(6)
    try:
        assert wait_for(lambda: len(kiosk.outcomes) >= 2)
        assert [o.decision.verdict.value for o in kiosk.outcomes[:2]] == ["FAIL", "PASS"]
        assert wait_for(lambda: len(d0.stamped) + len(d1.stamped) >= 2 * 34 + 2, 30)
    finally:
        kiosk.stop.set()
        t.join(10)
    assert not t.is_alive()
    # One frame, for the PASS only: no "denied" number is configured.
    assert [decode(f.bits) for f in frames(d0, d1, 34)] == [(300, 4321)]
    assert (d0.state, d1.state) == (True, True)  # the lines are left idle


def test_a_pass_goes_to_the_panel_by_osdp_and_its_led_shows_on_screen(
    write_config: Callable[..., Path], venue_dir: Path, make_pass: Callable[..., str]
) -> None:
    shown = (make_pass(category="visitor"), None)
    n = 0
    for payload in shown:
        for _ in range(3):
            image = frame(qr_image(payload) if payload else None, Pose(), seed=n)
            cv2.imwrite(str(venue_dir / "frames" / f"{n:03d}.png"), image)
            n += 1
    scbk = KeyStore.gen_key()
    write_key(venue_dir / "scbk", scbk)
    with pty_bus() as (port, fd):
        path = write_config(
            f"""\
            door:
              osdp: {{port: "{port}", address: {ADDRESS}, scbk_file: scbk}}
              credential: {{facility: 21, by_category: {{visitor: 600}}}}
            """,
            camera="{type: replay, path: frames, fps: 10, loop: true}",
        )
        kiosk = Kiosk(load_config(path))
        t = threading.Thread(target=kiosk.run, daemon=True)
        t.start()
        panel = Panel(fd, scbk)
        got: list[tuple[int, int]] = []
        try:
            assert wait_for(panel.secure, 30)
            panel.reads(got, 1, timeout=60)
            led = {
                "command": Command.LED, "reader": 0, "led_number": 0, "control_code": 1,
                "on_count": 10, "off_count": 0, "on_color": CommandLEDColor.Green,
                "off_color": CommandLEDColor.Black, "temporary": False,
            }  # fmt: skip
            assert panel.cp.submit_command(ADDRESS, led)
            assert wait_for(lambda: kiosk.panel_lamp == "green", 30)
        finally:
            panel.stop()
            kiosk.stop.set()
            t.join(10)
    assert not t.is_alive()
    assert got[0] == (21, 600)
    assert kiosk.outcomes[0].decision.verdict.value == "PASS"


class BrokenLine(EdgePin):
    """A Wiegand line whose driver fails once it is used (a GPIO chip gone)."""

    def _change_state(self, value: bool) -> bool:
        if self.stamped:  # the first change is setting the line up; then it breaks
            raise OSError("GPIO chip gone")
        return super()._change_state(value)


def test_a_wiegand_line_that_fails_puts_the_door_out_of_order(
    write_config: Callable[..., Path], venue_dir: Path, make_pass: Callable[..., str]
) -> None:
    pins = MockFactory(pin_class=BrokenLine)
    for n in range(3):
        image = frame(qr_image(make_pass(category="staff")), Pose(), seed=n)
        cv2.imwrite(str(venue_dir / "frames" / f"{n:03d}.png"), image)
    path = write_config(
        """\
        door:
          wiegand: {data0: 5, data1: 6}
          credential: {fixed: 1}
        """
    )
    kiosk = Kiosk(load_config(path), RunOptions(pin_factory=pins))
    status: list[int] = []
    t = threading.Thread(target=lambda: status.append(kiosk.run()), daemon=True)
    t.start()
    try:
        assert wait_for(lambda: kiosk.crashed == ["wiegand"], 30)
    finally:
        kiosk.stop.set()
        t.join(15)
    assert status == [1]  # systemd starts it again
