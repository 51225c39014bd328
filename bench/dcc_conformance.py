"""The EU's public DCC test data through the real `kiosk scan`: cases decided as expected.

.venv/bin/python bench/dcc_conformance.py [--data ../shared/data/dcc-testdata] [--per-clock]
    [--jobs 2] [--all]

Every case's DSC that parses is trusted (`trust.dcc_signers`, a folder of DER files), and each
case is judged at its VALIDATIONCLOCK. By default all cases go through one
`kiosk scan --json --timed --text -`, each line `CLOCK<TAB>QR text`; `--per-clock` runs one
`kiosk scan --at CLOCK --json --text -` per clock instead (299 processes: minutes, not seconds).
"""

from __future__ import annotations

import argparse
import base64
import binascii
import hashlib
import json
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from checkin_protocol.dcc_trust import DccTrustError, read_dsc

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "dcc-testdata"
KIOSK = Path(sys.executable).with_name("kiosk")
# The steps whose failure means "refuse" (the data's README); the others are not asserted.
REFUSING = (
    "EXPECTEDVERIFY",
    "EXPECTEDDECODE",
    "EXPECTEDUNPREFIX",
    "EXPECTEDB45DECODE",
    "EXPECTEDCOMPRESSION",
    "EXPECTEDEXPIRATIONCHECK",
    "EXPECTEDKEYUSAGE",
)
CONFIG = """\
venue: {id: conformance, name: DCC conformance, timezone: UTC}
kiosk: {id: bench}
camera: {type: none}
trust: {dcc_signers: [dscs]}
policy: {admit_kinds: [dcc]}
storage: {path: kiosk.db}
"""


def _trust_all(cases: list[dict[str, Any]], folder: Path) -> int:
    """Write every case's DSC that parses as DER; a malformed one stays out (as import would)."""
    folder.mkdir()
    for case in cases:
        try:
            der = base64.b64decode(case.get("TESTCTX", {}).get("CERTIFICATE", ""))
            read_dsc(der, now=0)
        except (DccTrustError, binascii.Error, ValueError):
            continue
        (folder / f"{hashlib.sha256(der).hexdigest()[:16]}.der").write_bytes(der)
    return len(list(folder.iterdir()))


def _scan(config: Path, clock: str | None, texts: list[str]) -> list[dict[str, Any]]:
    args = [str(KIOSK), "scan", "--config", str(config), "--json", "--text", "-"]
    if clock is not None:
        args += ["--at", clock]
    done = subprocess.run(
        args, input="".join(t + "\n" for t in texts), capture_output=True, text=True, timeout=600
    )
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    if done.returncode not in (0, 1) or len(lines) != len(texts):
        sys.exit(f"kiosk scan failed (exit {done.returncode}): {done.stderr.strip()}")
    return lines


def _scan_timed(config: Path, clocks: list[str | None], texts: list[str]) -> list[dict[str, Any]]:
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    lines = "".join(f"{c or now}\t{t}\n" for c, t in zip(clocks, texts, strict=True))
    args = [str(KIOSK), "scan", "--config", str(config), "--json", "--timed", "--text", "-"]
    done = subprocess.run(args, input=lines, capture_output=True, text=True, timeout=600)
    out = [json.loads(line) for line in done.stdout.splitlines()]
    if done.returncode not in (0, 1) or len(out) != len(texts):
        sys.exit(f"kiosk scan failed (exit {done.returncode}): {done.stderr.strip()}")
    return out


def _per_clock(
    config: Path,
    cases: list[dict[str, Any]],
    groups: dict[str | None, list[int]],
    results: list[dict[str, Any]],
    jobs: int,
) -> None:
    with ThreadPoolExecutor(jobs) as pool:
        futures = {
            clock: pool.submit(_scan, config, clock, [cases[i].get("PREFIX", "") for i in idx])
            for clock, idx in groups.items()
        }
        for clock, future in futures.items():
            for i, result in zip(groups[clock], future.result(), strict=True):
                results[i] = result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--per-clock", action="store_true", help="one kiosk scan --at per clock")
    ap.add_argument("--jobs", type=int, default=2, help="with --per-clock: processes at a time")
    ap.add_argument("--all", action="store_true", help="print every case, not only mismatches")
    args = ap.parse_args()
    files = sorted(args.data.rglob("*.json"))
    if not files:
        sys.exit(f"no test cases under {args.data}")
    cases = [json.loads(p.read_text(encoding="utf-8")) for p in files]
    groups: dict[str | None, list[int]] = defaultdict(list)
    for i, case in enumerate(cases):
        clock = case.get("TESTCTX", {}).get("VALIDATIONCLOCK")
        # One payload per line: a text with a line break would split (none in the data).
        assert "\n" not in case.get("PREFIX", "")
        groups[clock if isinstance(clock, str) else None].append(i)
    results: list[dict[str, Any]] = [{} for _ in cases]
    with tempfile.TemporaryDirectory() as tmp:
        trusted = _trust_all(cases, Path(tmp) / "dscs")
        config = Path(tmp) / "venue.yaml"
        config.write_text(CONFIG, encoding="utf-8")
        t0 = time.monotonic()
        if not args.per_clock:
            clocks = [c for c in groups for _ in groups[c]]
            order = [i for c in groups for i in groups[c]]
            texts = [cases[i].get("PREFIX", "") for i in order]
            for i, result in zip(order, _scan_timed(config, clocks, texts), strict=True):
                results[i] = result
        else:
            _per_clock(config, cases, groups, results, args.jobs)
        took = time.monotonic() - t0
    tally: Counter[str] = Counter()
    mismatches: list[str] = []
    for path, case, result in zip(files, cases, results, strict=True):
        expected = case.get("EXPECTEDRESULTS", {})
        valid = not any(expected.get(k) is False for k in REFUSING)
        admitted = result["verdict"] == "PASS"
        group = "valid" if valid else "invalid"
        tally[group] += 1
        tally[group + (" admitted" if admitted else " refused")] += 1
        name = path.relative_to(args.data)
        desc = case.get("TESTCTX", {}).get("DESCRIPTION", "")
        why = f"{result['reason']}: {result['codes'][0]['detail']}" if not admitted else "PASS"
        if admitted != valid:
            mismatches.append(
                f"- {name} ({desc}): expected {'admit' if valid else 'refuse'}, {why}"
            )
        elif args.all:
            print(f"  ok {name}: {why}")
    total = len(files)
    ok = total - len(mismatches)
    runs = f"{len(groups)} runs (one per clock)" if args.per_clock else "1 run (--timed)"
    print(f"kiosk scan: {runs}, {trusted} DSCs trusted, {took:.1f} s")
    print(f"cases: {total}; decided as expected: {ok} ({100 * ok / total:.1f} %)")
    print(f"valid: {tally['valid']}, admitted {tally['valid admitted']}")
    print(
        f"invalid: {tally['invalid']}, refused {tally['invalid refused']}, "
        f"ADMITTED {tally['invalid admitted']}"
    )
    if mismatches:
        print("mismatches:")
        print("\n".join(mismatches))


if __name__ == "__main__":
    main()
