"""SIGKILL `kiosk run` hundreds of times at random moments; report what survived.

.venv/bin/python fuzz/kill_kiosk.py --kills 300
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from support.killer import kill_repeatedly, prepare


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--kills", type=int, default=300)
    ap.add_argument("--seed", type=int, default=int(time.time()))
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        started = time.monotonic()
        report = kill_repeatedly(folder, prepare(folder), args.kills, random.Random(args.seed))
        took = time.monotonic() - started
    print(
        f"seed {args.seed}: {report.kills} kills in {took:.0f} s, {len(report.reported)} records "
        f"reported committed, {report.stored} stored, problems: {report.problems or 'none'}"
    )
    return 1 if report.problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
