"""A code from a USB serial reader to a committed record and to the verdict on screen.

    .venv/bin/python bench/readers_e2e.py [--n 40]

A real `Kiosk` (readers only, headless screen through SDL's dummy driver) reads a pseudo-terminal
as its serial reader; each pass is written with its CR/LF at t0. "Committed" is when the
outcome channel hands the decision on (its record is in SQLite by then); "on screen" is when the
render thread first shows that verdict (sampled every 0.5 ms, so it includes up to one frame).
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import textwrap
import threading
import time
from pathlib import Path

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")

from checkin_protocol.keys import generate_key, write_public_key
from checkin_protocol.kp1 import issue_pass
from kiosk.app.kiosk import Kiosk, RunOptions
from kiosk.config import load_config
from kiosk.decision.outcome import Outcome
from kiosk.display.views import VerdictView


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--n", type=int, default=40)
    args = ap.parse_args()
    master, slave = os.openpty()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        key = generate_key()
        write_public_key(folder / "issuer.pub", key.public_key())
        (folder / "venue.yaml").write_text(
            textwrap.dedent(
                f"""\
                venue: {{id: v, name: V}}
                kiosk: {{id: k, direction: entry}}
                camera: {{type: none}}
                readers: [{{type: serial, device: {os.ttyname(slave)}}}]
                display: {{mode: headless, width: 800, height: 480, pass_hold: 200ms,
                           sound: {{enabled: false}}}}
                trust: {{issuer_keys: [issuer.pub]}}
                storage: {{path: kiosk.db}}
                """
            ),
            encoding="utf-8",
        )
        cfg = load_config(folder / "venue.yaml")
        committed: dict[str, float] = {}

        def seen(o: Outcome) -> None:
            if o.record is not None:
                committed[o.decision.code.masked_name if o.decision.code else ""] = time.monotonic()

        kiosk = Kiosk(cfg, RunOptions(observers=[seen]))
        runner = threading.Thread(target=kiosk.run, daemon=True)
        runner.start()
        time.sleep(2.0)  # the reader opens the port
        to_commit, to_screen = [], []
        for i in range(args.n):
            name = f"Nguyễn Văn {i:03d}"
            text = issue_pass(key, issuer="b", masked_name=name, valid_until=int(time.time()) + 600)
            t0 = time.monotonic()
            os.write(master, text.encode() + b"\r\n")
            shown = None
            deadline = t0 + 10
            while time.monotonic() < deadline:
                view = kiosk.view
                if isinstance(view, VerdictView) and view.masked_name == name:
                    shown = time.monotonic()
                    break
                time.sleep(0.0005)
            if shown is not None and name in committed:
                to_commit.append((committed[name] - t0) * 1000)
                to_screen.append((shown - t0) * 1000)
            time.sleep(0.25)  # the verdict's hold ends before the next visitor
        kiosk.stop.set()
        runner.join(15)
    os.close(master)
    os.close(slave)
    print(f"serial reader, {len(to_commit)} of {args.n} codes:")
    for label, values in (("last byte → committed", to_commit), ("last byte → screen", to_screen)):
        print(f"  {label}: median {statistics.median(values):.1f} ms, p95 {pct(values, 95):.1f} ms")


if __name__ == "__main__":
    main()
