"""Wiegand out's timing on this machine: pulse widths and intervals as sent, against SIA AC-01.

Sends `--frames` frames through `kiosk.door.wiegand.WiegandOut` on gpiozero's mock pins that
stamp each edge (tests/support/wiegand.py's receiver), and prints the widths and intervals it
measured: median, p99 and the largest, and how many fell outside SIA AC-01-1996.10's bounds
(pulse 20-100 µs, 200 µs-20 ms apart). The mock pins cost less than lgpio's writes on a Pi, so
the figures are a lower bound for a Pi's own; the sender never goes under the configured values.

    .venv/bin/python bench/wiegand.py --frames 200 --bits 26 --pulse-us 50 --interval-us 2000
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from gpiozero.pins.mock import MockFactory

from kiosk.config import CredentialConfig, WiegandConfig
from kiosk.door.credential import Credential
from kiosk.door.wiegand import WiegandOut
from support.wiegand import EdgePin, decode, frames


def _figures(label: str, values_us: list[float], low: float, high: float) -> str:
    ordered = sorted(values_us)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    outside = sum(1 for v in values_us if not low <= v <= high)
    return (
        f"{label}: median {statistics.median(values_us):.1f} µs, p99 {p99:.1f} µs, "
        f"max {ordered[-1]:.1f} µs; outside {low:.0f}-{high:.0f} µs: {outside} of {len(values_us)}"
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=200)
    ap.add_argument("--bits", type=int, choices=(26, 34), default=26)
    ap.add_argument("--pulse-us", type=int, default=50)
    ap.add_argument("--interval-us", type=int, default=2000)
    args = ap.parse_args()
    pins = MockFactory(pin_class=EdgePin)
    cfg = WiegandConfig(
        data0=5, data1=6, bits=args.bits, pulse_us=args.pulse_us, interval_us=args.interval_us
    )
    sent = [Credential(n % 256, (n * 7919) % 65536, True) for n in range(args.frames)]
    start = time.monotonic()
    with WiegandOut(cfg, CredentialConfig(), pin_factory=pins) as out:
        for n, c in enumerate(sent, 1):
            out.send(c)
            while out.sent < n:  # one at a time: the queue holds 8
                time.sleep(0.005)
    elapsed = time.monotonic() - start
    got = frames(pins.pin(5), pins.pin(6), args.bits)
    decoded = [decode(f.bits) for f in got]
    assert decoded == [(c.facility, c.number) for c in sent], "a frame did not decode"
    widths = [w / 1000 for f in got for w in f.widths_ns]
    periods = [p / 1000 for f in got for p in f.periods_ns]
    print(f"{len(got)} frames of {args.bits} bits decoded, parity right, in {elapsed:.1f} s")
    print(_figures("pulse width", widths, 20, 100))
    print(_figures("pulse interval", periods, 200, 20_000))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
