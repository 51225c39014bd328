"""What the test suite costs this machine: wall time and the CPU of every process it starts.

`time` sees only the children a command waits for; Chromium's renderers and GPU process are
reaped by others, so the whole machine's busy time is read from /proc/stat instead (the
machine's own services add a little: run it on a quiet machine). Each variant runs pytest as
`./dev test` does, after set-up:

    .venv/bin/python bench/suite.py                  # with coverage, as ./dev test runs it
    .venv/bin/python bench/suite.py --no-coverage    # the same tests, nothing measured
    .venv/bin/python bench/suite.py --workers 4      # another worker count
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def busy_seconds() -> float:
    """CPU seconds every core has spent on anything but idling and waiting, since boot."""
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(f) for f in fields[:8])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=3, help="pytest workers (default 3)")
    parser.add_argument("--no-coverage", action="store_true", help="run without coverage")
    parser.add_argument("pytest_args", nargs="*", help="more pytest arguments")
    args = parser.parse_args()
    cmd = [str(ROOT / ".venv/bin/pytest"), "-q", "-p", "no:cacheprovider", "-n", str(args.workers)]
    if not args.no_coverage:
        cmd += ["--cov", "--cov-report="]
    cmd += args.pytest_args
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    cpu, start = busy_seconds(), time.monotonic()
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    wall, cpu = time.monotonic() - start, busy_seconds() - cpu
    summary = [line for line in done.stdout.splitlines() if re.search(r"\d+ (passed|failed)", line)]
    print(summary[-1] if summary else done.stdout[-2000:] + done.stderr[-2000:])
    cores = os.cpu_count() or 1
    print(
        f"{'no coverage' if args.no_coverage else 'coverage'}, {args.workers} workers: "
        f"{wall:.0f} s wall, {cpu:.0f} s of CPU on {cores} cores "
        f"({cpu / (wall * cores):.0%} busy); at full use the CPU alone takes {cpu / cores:.0f} s"
    )
    return done.returncode


if __name__ == "__main__":
    sys.exit(main())
