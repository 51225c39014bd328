"""The building panel's reader LED (OSDP), shown as a band along the top of the screen."""

from __future__ import annotations

from dataclasses import dataclass

# The panel's colours as drawn; the names are OSDP's LED colours.
LAMP_RGB = {
    "red": (220, 38, 38),
    "green": (22, 163, 74),
    "amber": (245, 158, 11),
    "blue": (37, 99, 235),
    "magenta": (192, 38, 211),
    "cyan": (6, 182, 212),
    "white": (245, 245, 245),
}


@dataclass(frozen=True)
class _Setting:
    colour: str | None
    off_colour: str | None
    on_s: float
    off_s: float
    since: float  # monotonic seconds the blinking counts from


class ReaderLamp:
    """What a reader's LED would show, as the panel set it: a steady or blinking colour, and
    a temporary setting over it that lapses after its time (OSDP osdp_LED, §6.10)."""

    def __init__(self) -> None:
        self._permanent = _Setting(None, None, 0.0, 0.0, 0.0)
        self._temporary: _Setting | None = None
        self._until = 0.0

    def set(
        self,
        colour: str | None,
        off_colour: str | None,
        *,
        on_ms: int,
        off_ms: int,
        lasting_ms: int,
        now: float,
    ) -> None:
        setting = _Setting(colour, off_colour, on_ms / 1000, off_ms / 1000, now)
        if lasting_ms > 0:
            self._temporary, self._until = setting, now + lasting_ms / 1000
        else:
            self._permanent, self._temporary = setting, None

    def colour_at(self, now: float) -> str | None:
        """The colour shown at `now` (monotonic seconds); None: the LED is dark."""
        setting = self._permanent
        if self._temporary is not None:
            if now < self._until:
                setting = self._temporary
            else:
                self._temporary = None
        if setting.off_s <= 0 or setting.on_s <= 0:
            return setting.colour
        phase = (now - setting.since) % (setting.on_s + setting.off_s)
        return setting.colour if phase < setting.on_s else setting.off_colour
