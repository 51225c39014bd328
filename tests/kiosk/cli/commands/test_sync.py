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


def test_resend_since_queues_again_what_the_registry_acknowledged_since_then(
    unreachable_registry: Path, venue_dir: Path
) -> None:
    import time

    from kiosk.store import RecordStore

    with RecordStore(venue_dir / "kiosk.db", min_free_mb=0) as store:
        ids = [r.id for r in store.pending(10)]
        store.mark_synced(ids[:3], time.time() - 3600)  # an hour ago
        store.mark_synced(ids[3:], time.time())  # now
    cfg = str(unreachable_registry)
    since = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 600))
    out = kiosk("sync", "--config", cfg, "--timeout", "1", "--resend-since", since)
    assert f"queued again: {len(ids) - 3} record" in out.stdout
    assert out.returncode == 1  # the registry is out of reach: they wait in the queue
    assert out.stderr.strip().endswith(f"; {len(ids) - 3} record still queued")
    bad = kiosk("sync", "--config", cfg, "--resend-since", "yesterday")
    assert bad.returncode == 2 and "--resend-since" in bad.stderr
