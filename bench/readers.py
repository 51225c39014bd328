"""Reader latency: from a code's last byte (or key) to the scan handed over to the decision loop.

Serial: the real SerialReader in its ReaderWorker thread on a pseudo-terminal; the clock
starts when the scanner side has written the code's last byte and stops when the consumer's
ScanQueue.get returns it. HID: the key-event decoder (WedgeFramer) fed a US-layout event
sequence; the clock runs from the Enter event to the scan returned. Codes ended by silence
include the silence by design.

    .venv/bin/python bench/readers.py [--codes 300] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

from kiosk.readers import ReaderWorker, ScanQueue
from kiosk.readers.hid import WedgeFramer
from kiosk.readers.keymap import EV_KEY, KEY_ENTER, key_events
from kiosk.readers.serial import SerialReader

CODE = (
    "001099012345|123456789|Nguyễn Thị Ánh Tuyết|01011990|Nữ"
    "|Số 1, Phường Bến Nghé, Quận 1, Thành phố Hồ Chí Minh|01012021"
)
ASCII_CODE = "KP1:eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJQLTEyMyJ9.MEUCIQDx-Y_z0123456789abcdef"


def summary(samples_ns: list[int]) -> dict[str, float]:
    ms = sorted(s / 1e6 for s in samples_ns)
    return {
        "n": len(ms),
        "median_ms": round(statistics.median(ms), 3),
        "p95_ms": round(ms[max(0, int(len(ms) * 0.95) - 1)], 3),
        "max_ms": round(ms[-1], 3),
    }


def bench_serial(codes: int, terminator: bytes | None, silence: float) -> dict[str, float]:
    master, slave = os.openpty()
    path = os.ttyname(slave)
    os.close(slave)
    queue = ScanQueue(maxsize=codes + 1)
    reader = SerialReader("bench", Path(path), terminator=terminator, silence=silence)
    worker = ReaderWorker(reader, queue, read_timeout=0.25)
    samples: list[int] = []
    payload = CODE.encode() + (terminator or b"")
    with worker:
        deadline = time.monotonic() + 10
        while not worker.status.ok:
            if time.monotonic() > deadline:
                raise SystemExit(f"serial reader did not open: {worker.status.message}")
            time.sleep(0.01)
        for _ in range(codes):
            os.write(master, payload)  # one write: a pty takes ~4 KiB, the code is ~150 bytes
            last_byte = time.monotonic_ns()
            scan = queue.get(5)
            handed = time.monotonic_ns()
            if scan is None or scan.payload != CODE.encode():
                raise SystemExit(f"serial: wrong or missing scan {scan!r}")
            samples.append(handed - last_byte)
            time.sleep(0.005)  # codes apart, as from a person at the reader
    os.close(master)
    return summary(samples)


def bench_hid(codes: int, silence: float, *, enter: bool) -> dict[str, float]:
    events = list(key_events(ASCII_CODE, end=KEY_ENTER if enter else None))
    # The clock starts at the code's last key press: Enter, or the last character's key.
    last = max(i for i, (t, c, v) in enumerate(events) if t == EV_KEY and v == 1 and c != 42)
    samples: list[int] = []
    for _ in range(codes):
        wedge = WedgeFramer("bench", silence)
        for type_, code, value in events[:last]:
            wedge.feed(type_, code, value, time.monotonic_ns())
        start = time.monotonic_ns()
        scans = []
        for type_, code, value in events[last:]:
            scans += wedge.feed(type_, code, value, start)
        if not enter:
            # The reader waits in select() until the silence deadline, then expires the code.
            deadline = wedge.deadline_ns()
            assert deadline is not None
            time.sleep(max(0, deadline - time.monotonic_ns()) / 1e9)
            scans = wedge.expire(time.monotonic_ns())
        done = time.monotonic_ns()
        if [s.payload for s in scans] != [ASCII_CODE.encode()]:
            raise SystemExit(f"hid: wrong scans {scans!r}")
        samples.append(done - start)
    return summary(samples)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--codes", type=int, default=300)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    results = {
        "serial_crlf": bench_serial(args.codes, b"\r\n", 0.05),
        "serial_silence_50ms": bench_serial(max(20, args.codes // 5), None, 0.05),
        "hid_enter_decoder": bench_hid(args.codes, 0.05, enter=True),
        "hid_silence_50ms_decoder": bench_hid(max(20, args.codes // 5), 0.05, enter=False),
    }
    if args.json:
        json.dump(results, sys.stdout, indent=2)
        print()
        return
    for name, r in results.items():
        print(
            f"{name:26} n={r['n']:<5} median {r['median_ms']:8.3f} ms   p95 {r['p95_ms']:8.3f} ms"
        )


if __name__ == "__main__":
    main()
