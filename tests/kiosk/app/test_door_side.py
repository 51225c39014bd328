"""`kiosk run` at the door: relay on PASS only, hook, guard's manual admit and keys, end to end."""

from __future__ import annotations

import http.server
import itertools
import json
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from typing import ClassVar

import cv2
import pygame
from gpiozero.pins.mock import MockFactory

from kiosk.app.kiosk import Kiosk, RunOptions
from kiosk.camera.scenes import Pose, frame, qr_image
from kiosk.config import load_config
from kiosk.display.guard import hash_pin
from kiosk.display.views import GuardNameView, GuardReasonView, IdleView, NoticeView
from support.timing import wait_for


class Building(http.server.BaseHTTPRequestHandler):
    received: ClassVar[list[dict[str, object]]] = []

    def do_POST(self) -> None:
        Building.received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def key(name: str) -> None:
    pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=pygame.key.key_code(name)))


def test_the_door_opens_for_pass_only_and_the_guard_can_admit(
    write_config: Callable[..., Path], venue_dir: Path, make_pass: Callable[..., str]
) -> None:
    pins = MockFactory()
    relay_pin = pins.pin(17)
    Building.received = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Building)
    threading.Thread(target=server.serve_forever, daemon=True).start()

    def rises() -> int:
        states = [s.state for s in relay_pin.states]
        return sum(1 for a, b in itertools.pairwise(states) if b and not a)

    frames = venue_dir / "frames"
    n = 0
    for payload in ("https://example.com/menu", None, make_pass(), None):
        for _ in range(3):
            cv2.imwrite(
                str(frames / f"{n:03d}.png"),
                frame(qr_image(payload) if payload else None, Pose(), seed=n),
            )
            n += 1
    extra = f"""\
door:
  relay: {{pin: 17, pulse: 300ms}}
  hook: {{url: "http://127.0.0.1:{server.server_address[1]}/door", timeout: 1s}}
guard: {{pin_hash: "{hash_pin("2468", rounds=1000)}"}}
"""
    path = write_config(extra, camera="{type: replay, path: frames, fps: 10, loop: true}")
    # The manual admit's verdict stays until the guard's next key, however slow the machine.
    path.write_text(path.read_text().replace("pass_hold: 1s", "pass_hold: 30s"))
    cfg = load_config(path)
    kiosk = Kiosk(cfg, RunOptions(pin_factory=pins))
    t = threading.Thread(target=kiosk.run, daemon=True)
    t.start()
    try:
        assert wait_for(lambda: len(kiosk.outcomes) >= 2)  # the menu code, then the pass
        assert [o.decision.verdict.value for o in kiosk.outcomes[:2]] == ["FAIL", "PASS"]
        # Opened for the PASS (not for the FAIL before it), closed after the pulse. The pin's
        # own history is read, not its state now: a loaded machine may poll too late.
        assert wait_for(lambda: rises() == 1 and relay_pin.state is False, 30)
        for k in ("a", "2", "4", "6", "8", "return"):
            key(k)
        # The PIN is checked off the UI thread; the guard picks a reason once it is asked.
        assert wait_for(lambda: isinstance(kiosk.view, GuardReasonView))
        key("1")
        # The guard types who it was (optional), masked like a scanned name when recorded.
        assert wait_for(lambda: isinstance(kiosk.view, GuardNameView))
        for k in ("n", "g", "u", "y", "e", "n", "space", "v", "a", "n", "space", "a", "return"):
            key(k)
        assert wait_for(lambda: any(o.manual_reason for o in kiosk.outcomes))
        assert wait_for(lambda: rises() == 2, 30)  # a manual admit opens the door too
        # Recorded on the decision thread, then shown: the guard sees it before the next key.
        assert wait_for(lambda: getattr(kiosk.view, "manual_reason", None) == "no_smartphone")
        assert getattr(kiosk.view, "masked_name", None) == "Nguyen V** A"
        for k in ("d", "2", "4", "6", "8", "return"):  # switching entry/exit needs the PIN
            key(k)
        assert wait_for(lambda: kiosk.view == NoticeView("guard.switched", "direction.exit"))
        assert wait_for(lambda: isinstance(kiosk.view, IdleView), 30)
    finally:
        kiosk.stop.set()
        t.join(10)
        server.shutdown()
    assert not t.is_alive()
    assert relay_pin.state is False  # released on stop
    verdicts = [e["verdict"] for e in Building.received]
    assert verdicts[:3] == ["FAIL", "PASS", "PASS"] and Building.received[2]["manual"] is True
    con = sqlite3.connect(venue_dir / "kiosk.db")
    manual = con.execute(
        "SELECT verdict, reason, manual, code_kind, direction, source, masked_name FROM records"
        " WHERE manual = 1"
    ).fetchall()
    assert manual == [("PASS", "no_smartphone", 1, "manual", "entry", "manual", "Nguyen V** A")]
