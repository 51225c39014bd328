"""`kiosk sync` with a registry out of reach."""

from __future__ import annotations

from pathlib import Path

from support.cli import run_kiosk

# In this process, answering as the program would. A pipe closed under the command is tested
# on the program itself (`python -m kiosk`): only a process has a real pipe to close.
kiosk = run_kiosk


def test_sync_with_a_registry_out_of_reach_says_why(unreachable_registry: Path) -> None:
    cfg = unreachable_registry
    out = kiosk("sync", "--config", str(cfg), "--timeout", "1")
    assert out.returncode == 1
    last = out.stderr.strip().splitlines()[-1]
    assert last.startswith("sync incomplete: registry unavailable: ") and "refused" in last
    assert last.endswith("; 4 records still queued") and "not started" not in last
