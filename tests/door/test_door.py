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


@pytest.fixture(autouse=True)
def mock_pins() -> Iterator[MockFactory]:
    Device.pin_factory = MockFactory()
    yield Device.pin_factory
    Device.pin_factory.reset()


def test_relay_pulses_on_pass_and_is_released_on_stop(mock_pins: MockFactory) -> None:
    pin = mock_pins.pin(17)
    with DoorRelay(RelayConfig(pin=17, pulse="200ms", pin_factory="mock")) as relay:
        assert pin.state is False
        relay.open_briefly()
        time.sleep(0.05)
        assert pin.state is True and relay.is_open
        time.sleep(0.3)
        assert pin.state is False
        relay.open_briefly()
        time.sleep(0.05)
        assert pin.state is True
    assert pin.state is False  # stopping mid-pulse closes the door


def test_active_low_relay(mock_pins: MockFactory) -> None:
    pin = mock_pins.pin(27)
    with DoorRelay(
        RelayConfig(pin=27, active_high=False, pulse="200ms", pin_factory="mock")
    ) as relay:
        assert pin.state is True  # closed = high on an active-low board
        relay.open_briefly()
        time.sleep(0.05)
        assert pin.state is False
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
        deadline = time.monotonic() + 5
        while hook.sent < 1 and time.monotonic() < deadline:
            time.sleep(0.01)
    assert Recorder.received == [{"verdict": "PASS", "record_id": "a"}]


def test_a_slow_building_system_never_blocks_the_caller(building: str) -> None:
    Recorder.delay = 1.0
    with DecisionHook(HookConfig(url=building, timeout="300ms")) as hook:
        t0 = time.monotonic()
        for i in range(150):
            hook.notify({"verdict": "PASS", "n": i})
        assert time.monotonic() - t0 < 0.1
        assert hook.dropped >= 49  # the queue holds 100; older notices are not piled up forever
