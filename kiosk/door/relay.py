"""A door or turnstile relay on a GPIO pin (gpiozero): pulsed on PASS, released on stop."""

from __future__ import annotations

import logging
from types import TracebackType
from typing import Any

from kiosk.config import RelayConfig

log = logging.getLogger(__name__)


class DoorRelay:
    def __init__(self, cfg: RelayConfig, *, pin_factory: Any = None) -> None:
        """`pin_factory`: gpiozero's pin factory (a MockFactory off the Pi); None for the
        default, which gpiozero picks for the board it runs on."""
        self._cfg = cfg
        self._pin_factory = pin_factory
        self._device: Any = None

    def __enter__(self) -> DoorRelay:
        from gpiozero import DigitalOutputDevice

        # initial_value=False: the door is closed whatever state the pin was left in.
        self._device = DigitalOutputDevice(
            self._cfg.pin,
            active_high=self._cfg.active_high,
            initial_value=False,
            pin_factory=self._pin_factory,
        )
        return self

    def __exit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._device is not None:
            self._device.off()  # never leave a door open behind a stopped kiosk
            self._device.close()
            self._device = None

    def open_briefly(self) -> None:
        """Energise the relay for the pulse length; gpiozero times it in its own thread."""
        if self._device is None:
            return
        self._device.blink(on_time=self._cfg.pulse, off_time=0, n=1, background=True)

    @property
    def is_open(self) -> bool:
        return bool(self._device is not None and self._device.value)
