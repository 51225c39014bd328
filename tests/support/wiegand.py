"""A Wiegand receiver for tests: mock pins that stamp each edge, and a decoder of the format.

The decoder follows the published formats, not the kiosk's encoder: SIA AC-01-1996.10
("Access Control Standard Protocol for the 26-bit Wiegand Reader Interface") for the signal
(DATA0 and DATA1 idle high; a 0 is a low pulse on DATA0, a 1 on DATA1; pulse 20-100 µs, pulses
200 µs to 20 ms apart) and the 26-bit layout; HID's "Understanding Card Data Formats" (2006)
for H10301 (26 bit) and H10306 (34 bit): bit 1 is even parity over the first half of the data
bits, the last bit odd parity over the second half; facility code, then a 16-bit card number.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass
from typing import Any

from gpiozero.pins.mock import MockPin


class EdgePin(MockPin):  # type: ignore[misc]  # gpiozero is untyped
    """A mock pin that stamps each change of level with the time it happened."""

    def __init__(self, factory: Any, info: Any) -> None:
        self.stamped: list[tuple[int, bool]] = []
        super().__init__(factory, info)

    def _change_state(self, value: bool) -> bool:
        changed = bool(super()._change_state(value))
        if changed:
            self.stamped.append((time.perf_counter_ns(), value))
        return changed


class BadFrame(Exception):
    pass


@dataclass(frozen=True)
class Frame:
    bits: list[int]
    widths_ns: list[int]  # each pulse, from falling to rising edge
    periods_ns: list[int]  # from each pulse's fall to the next one's
    first_fall: int
    last_rise: int


def frames(data0: EdgePin, data1: EdgePin, length: int) -> list[Frame]:
    """Both lines' low pulses, in order, cut into frames of `length` bits, as a panel set to
    that format reads them. (SIA AC-01 leaves the end of a frame to the receiver; cutting by
    length keeps a test on a loaded machine from reading a late pulse as a new frame. The
    gaps between frames are checked apart, in `gaps_ns`.)"""
    pulses: list[tuple[int, int, int]] = []  # (fall, rise, bit)
    for bit, pin in ((0, data0), (1, data1)):
        fall: int | None = None
        for t, level in pin.stamped:
            if not level:
                fall = t
            elif fall is not None:
                pulses.append((fall, t, bit))
                fall = None
        if fall is not None:
            raise BadFrame(f"DATA{bit} left low")
    pulses.sort()
    for (_, rise, _), (fall, _, _) in itertools.pairwise(pulses):
        if fall < rise:
            raise BadFrame("both lines low at once")
    if len(pulses) % length:
        raise BadFrame(f"{len(pulses)} pulses are not whole frames of {length}")
    return [_frame(pulses[i : i + length]) for i in range(0, len(pulses), length)]


def gaps_ns(got: list[Frame]) -> list[int]:
    """From the last pulse's end of each frame to the next frame's first pulse."""
    return [b.first_fall - a.last_rise for a, b in itertools.pairwise(got)]


def _frame(pulses: list[tuple[int, int, int]]) -> Frame:
    return Frame(
        [b for _, _, b in pulses],
        [rise - fall for fall, rise, _ in pulses],
        [b[0] - a[0] for a, b in itertools.pairwise(pulses)],
        pulses[0][0],
        pulses[-1][1],
    )


def decode(bits: list[int]) -> tuple[int, int]:
    """(facility, card number) of an H10301 (26) or H10306 (34) frame; BadFrame if its
    length or either parity is wrong."""
    if len(bits) not in (26, 34):  # 8 or 16 facility bits, then 16 number bits, two parities
        raise BadFrame(f"{len(bits)} bits")
    data = bits[1:-1]
    half = len(data) // 2
    if (bits[0] + sum(data[:half])) % 2 != 0:
        raise BadFrame("even parity (leading bit) wrong")
    if (bits[-1] + sum(data[half:])) % 2 != 1:
        raise BadFrame("odd parity (trailing bit) wrong")
    value = int("".join(map(str, data)), 2)
    return value >> 16, value & 0xFFFF
