"""The door relay on gpiozero's mock pins, and the decision hook over real loopback HTTP."""

from __future__ import annotations

import http.server
import json
import threading
import time
from collections.abc import Iterator
from typing import ClassVar

import pytest
from gpiozero import Device
from gpiozero.pins.mock import MockFactory

from kiosk.config import HookConfig, RelayConfig
from kiosk.door.hook import DecisionHook
from kiosk.door.relay import DoorRelay
from kiosk.runtime.service import Restart, State
from support.timing import wait_for


@pytest.fixture(autouse=True)
def mock_pins() -> Iterator[MockFactory]:
    Device.pin_factory = MockFactory()
    yield Device.pin_factory
    Device.pin_factory.reset()


def states(pin: object) -> list[bool]:
    """The pin's recorded history, without repeats: what the door did, however late we look."""
    got: list[bool] = []
    for s in pin.states:  # type: ignore[attr-defined]
        if not got or got[-1] != s.state:
            got.append(s.state)
    return got


def test_relay_pulses_on_pass_and_is_released_on_stop(mock_pins: MockFactory) -> None:
    pin = mock_pins.pin(17)
    with DoorRelay(RelayConfig(pin=17, pulse="200ms"), pin_factory=mock_pins) as relay:
        assert pin.state is False
        relay.open_briefly()
        assert wait_for(lambda: states(pin) == [False, True, False])  # one pulse, then closed
        relay.open_briefly()
        assert wait_for(lambda: states(pin)[-1] is True)
    assert pin.state is False  # stopping mid-pulse (or after it) closes the door
    assert states(pin)[:3] == [False, True, False]


def test_active_low_relay(mock_pins: MockFactory) -> None:
    pin = mock_pins.pin(27)
    with DoorRelay(
        RelayConfig(pin=27, active_high=False, pulse="200ms"), pin_factory=mock_pins
    ) as relay:
        assert pin.state is True  # closed = high on an active-low board
        relay.open_briefly()
        assert wait_for(lambda: states(pin)[-2:] == [False, True])  # low while open, then high
    assert pin.state is True


class Recorder(http.server.BaseHTTPRequestHandler):
    received: ClassVar[list[dict[str, object]]] = []
    delay = 0.0

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        time.sleep(Recorder.delay)
        Recorder.received.append(json.loads(body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def building() -> Iterator[str]:
    Recorder.received = []
    Recorder.delay = 0.0
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/door"
    server.shutdown()


def test_hook_posts_the_chosen_verdicts(building: str) -> None:
    with DecisionHook(HookConfig(url=building, on=["PASS"])) as hook:
        hook.notify({"verdict": "PASS", "record_id": "a"})
        hook.notify({"verdict": "FAIL", "record_id": "b"})
        assert wait_for(lambda: hook.sent >= 1)
    assert Recorder.received == [{"verdict": "PASS", "record_id": "a"}]


def test_a_slow_building_system_never_blocks_the_caller(building: str) -> None:
    Recorder.delay = 1.0
    with DecisionHook(HookConfig(url=building, timeout="300ms")) as hook:
        for i in range(150):
            hook.notify({"verdict": "PASS", "n": i})
        # Had notify waited for room, nothing would have been dropped.
        assert hook.dropped >= 49  # the queue holds 100; older notices are not piled up forever


def test_a_hook_crash_is_logged_and_the_hook_restarts(
    building: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    hook = DecisionHook(HookConfig(url=building), restart=Restart(first=0.01, limit=0.05))
    real = hook.post
    calls = []

    def buggy(event: dict[str, object]) -> None:
        calls.append(event)
        if len(calls) == 1:
            raise KeyError("bug")  # not a network error: a bug in the hook itself
        real(event)

    monkeypatch.setattr(hook, "post", buggy)
    with hook:
        hook.notify({"verdict": "PASS", "n": 1})
        assert wait_for(lambda: hook.health.crashes == 1)
        hook.notify({"verdict": "PASS", "n": 2})
        assert wait_for(lambda: hook.sent == 1)
        assert hook.health.state is State.RUNNING
    assert Recorder.received == [{"verdict": "PASS", "n": 2}]
    assert "hook crashed" in caplog.text and "Traceback" in caplog.text


def test_a_building_system_that_is_down_is_logged_once_a_minute_with_a_count(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Nothing listens on this port: every POST fails at once.
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{s.getsockname()[1]}/door"
    hook = DecisionHook(HookConfig(url=url, timeout="300ms"))
    for i in range(40):
        hook.post({"verdict": "PASS", "n": i})
    failed = [r for r in caplog.records if "decision hook" in r.getMessage()]
    assert len(failed) == 1 and hook.sent == 0
