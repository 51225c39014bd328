"""EU DCC test data through `kiosk scan`, if ../shared has it: ≥ 98 %, no invalid admitted."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
DATA = ROOT.parent / "shared" / "data" / "dcc-testdata"

pytestmark = pytest.mark.skipif(not DATA.is_dir(), reason="no ../shared/data/dcc-testdata")


def test_eu_test_data_through_kiosk_scan() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "dcc_conformance.py"), "--data", str(DATA)],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    found = re.search(r"cases: (\d+); decided as expected: (\d+)", done.stdout)
    assert found is not None, done.stdout
    total, ok = int(found.group(1)), int(found.group(2))
    assert total == 368 and ok >= 0.98 * total, done.stdout
    assert "ADMITTED 0" in done.stdout, done.stdout
