"""Run verify_dcc over the EU's public DCC test data; report the cases decided as expected.

.venv/bin/python bench/dcc_conformance.py [--data ../shared/data/dcc-testdata] [--all]
"""

from __future__ import annotations

import argparse
import base64
import binascii
import datetime as dt
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from checkin_protocol.dcc import DccRejected, verify_dcc
from checkin_protocol.dcc_trust import DccTrust, DccTrustError

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "dcc-testdata"
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


def _clock(case: dict[str, Any]) -> int:
    text = case.get("TESTCTX", {}).get("VALIDATIONCLOCK")
    if not isinstance(text, str):
        return int(dt.datetime.now(dt.UTC).timestamp())
    return int(dt.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp())


def judge(case: dict[str, Any]) -> tuple[bool, str]:
    """(admitted, why) for one case: its DSC is the only one trusted, its clock is now."""
    now = _clock(case)
    trust = DccTrust()
    try:
        trust.add_der(base64.b64decode(case["TESTCTX"]["CERTIFICATE"]), now=now)
    except (DccTrustError, KeyError, binascii.Error) as exc:
        trust_note = f" (DSC not imported: {exc})"
    else:
        trust_note = ""
    try:
        cert = verify_dcc(case.get("PREFIX", ""), trust, now)
    except DccRejected as err:
        return False, f"{err.reason.value}: {err.detail}{trust_note}"
    return True, f"admitted {cert.kind} from {cert.issuer}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--all", action="store_true", help="print every case, not only mismatches")
    args = ap.parse_args()
    files = sorted(args.data.rglob("*.json"))
    if not files:
        sys.exit(f"no test cases under {args.data}")
    tally: Counter[str] = Counter()
    mismatches: list[str] = []
    for path in files:
        case = json.loads(path.read_text(encoding="utf-8"))
        results = case.get("EXPECTEDRESULTS", {})
        valid = not any(results.get(k) is False for k in REFUSING)
        admitted, why = judge(case)
        tally["valid" if valid else "invalid"] += 1
        tally[("valid" if valid else "invalid") + (" admitted" if admitted else " refused")] += 1
        name = path.relative_to(args.data)
        desc = case.get("TESTCTX", {}).get("DESCRIPTION", "")
        if admitted != valid:
            mismatches.append(
                f"- {name} ({desc}): expected {'admit' if valid else 'refuse'}, {why}"
            )
        elif args.all:
            print(f"  ok {name}: {why}")
    total = len(files)
    ok = total - len(mismatches)
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
