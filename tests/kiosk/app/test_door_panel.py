"""`kiosk run` with the building's panel as its door output: the mapped card number on the wire."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import cv2
from gpiozero.pins.mock import MockFactory

from kiosk.app.kiosk import Kiosk, RunOptions
from kiosk.camera.scenes import Pose, frame, qr_image
from kiosk.config import load_config
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
