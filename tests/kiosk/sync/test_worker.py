"""The sync worker over real HTTP: every record arrives exactly once, whatever the network does."""

from __future__ import annotations

import json
import logging
import random
import re
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable

import pytest

from kiosk.app.core import open_store
from kiosk.config import load_config
from registry.service import Registry
from support.faultproxy import FaultProxy
from support.kiosk_sync import KioskSide, add_records, registry_ids, settle
from support.processes import killed_child_env
from support.registry import RegistryServer
from support.timing import wait_for


# Exactly once end to end: the kiosk's retries against each database's duplicate check.
@pytest.mark.slow
@pytest.mark.parametrize("registry_db", ["sqlite", "postgresql"], indirect=True)
def test_every_record_arrives_exactly_once_through_faults(
    registry: Registry, server: RegistryServer, kiosk: KioskSide
) -> None:
    proxy = FaultProxy(server.port, hang_seconds=1.5)
    proxy.random_faults(rate=0.5, seed=11)
    cfg = kiosk.config(proxy.url)
    with open_store(cfg.storage) as store:
        ids = add_records(store, 150)
        worker = kiosk.worker(cfg, store)
        settle(worker, store)
        assert {r.id for r in store.records() if r.sync_state == "synced"} == set(ids)
        assert store.get_meta("clock_offset_ms") is not None
    proxy.close()
    got = registry_ids(registry)
    assert sorted(got) == sorted(ids)  # all there, none twice
    # The schedule really did hit every kind of fault, including answers lost after commit.
    assert all(proxy.counts[m] > 0 for m in ("http500", "http429", "cut", "hang", "refuse")), (
        proxy.counts
    )


def test_registry_down_then_restarted(
    registry: Registry, server: RegistryServer, kiosk: KioskSide
) -> None:
    cfg = kiosk.config(server.url)
    with open_store(cfg.storage) as store:
        worker = kiosk.worker(cfg, store)
        server.stop()
        ids = add_records(store, 20)
        delay = worker.step()
        assert not worker.state.online and 0 < delay <= 0.2
        assert store.status()["queued"] == 20
        server.start()
        settle(worker, store)
    assert sorted(registry_ids(registry)) == sorted(ids)


@pytest.mark.slow
def test_registry_killed_and_restarted_mid_upload(
    registry: Registry, server: RegistryServer, kiosk: KioskSide
) -> None:
    cfg = kiosk.config(server.url, batch_size=5)
    with open_store(cfg.storage) as store:
        ids = add_records(store, 200)
        worker = kiosk.worker(cfg, store)
        for _ in range(3):
            worker.push_batch()  # a batch goes through
            server.stop(signal.SIGKILL)
            worker.step()
            assert not worker.state.online
            server.start()
        settle(worker, store)
    assert sorted(registry_ids(registry)) == sorted(ids)


@pytest.mark.slow
def test_a_kiosk_killed_during_sync_loses_and_duplicates_nothing(
    registry: Registry, server: RegistryServer, kiosk: KioskSide
) -> None:
    cfg = kiosk.config(server.url, batch_size=5)
    path = kiosk.folder / "venue.yaml"
    with open_store(cfg.storage) as store:
        ids = add_records(store, 2000)
    rng = random.Random(5)

    def queued() -> int:
        con = sqlite3.connect(cfg.storage.path, timeout=10)
        try:
            return int(
                con.execute("SELECT COUNT(*) FROM records WHERE sync_state='pending'").fetchone()[0]
            )
        finally:
            con.close()

    kills = 0
    for _ in range(5):
        before = queued()
        proc = subprocess.Popen(
            [sys.executable, "-m", "kiosk", "sync", "--config", str(path)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=killed_child_env(),
        )
        # Killed once it is uploading (however long start-up took), at a random moment after.
        assert wait_for(
            lambda p=proc, b=before: queued() < b or p.poll() is not None,  # type: ignore[misc]
            timeout=60,
        )
        time.sleep(rng.uniform(0, 0.2))
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        proc.wait()
    assert kills >= 1 and queued() > 0
    # The rest in batches of the default size: the kills needed many small ones to land
    # between; the final sync only has to finish (in 5-record batches: ~400 requests).
    kiosk.config(server.url, batch_size=200)
    final = subprocess.run(
        [sys.executable, "-m", "kiosk", "sync", "--config", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert final.returncode == 0, final.stderr
    assert re.search(r"\] (\d+)/\1 records", final.stderr), final.stderr  # the bar reached its end
    assert sorted(registry_ids(registry)) == sorted(ids)
    with open_store(cfg.storage) as store:
        assert store.status()["queued"] == 0


def test_rejected_records_are_kept_marked_and_not_retried(
    registry: Registry, server: RegistryServer, kiosk: KioskSide
) -> None:
    cfg = kiosk.config(server.url)
    with open_store(cfg.storage) as store:
        good = add_records(store, 3)
        bad = add_records(store, 2, kiosk_id="someone-else")
        worker = kiosk.worker(cfg, store)
        settle(worker, store)
        rejected = store.rejected()
        assert [r[0] for r in rejected] == bad and rejected[0][2] == "record is not from this kiosk"
        assert store.status()["rejected"] == 2
        worker.step()
        assert len(store.pending(100)) == 0
    assert sorted(registry_ids(registry)) == sorted(good)
    config = str(kiosk.folder / "venue.yaml")
    shown = subprocess.run(
        [sys.executable, "-m", "kiosk", "status", "--config", config, "--json"],
        capture_output=True,
        text=True,
        check=True,
    )
    examples = json.loads(shown.stdout)["rejected_examples"]
    assert [e["id"] for e in examples] == bad and examples[0][
        "reason"
    ] == "record is not from this kiosk"


def test_retry_after_and_backoff(
    registry: Registry, server: RegistryServer, kiosk: KioskSide
) -> None:
    proxy = FaultProxy(server.port)
    proxy.choose = lambda request: "http429"
    cfg = kiosk.config(proxy.url, backoff_max="30s")
    with open_store(cfg.storage) as store:
        add_records(store, 1)
        worker = kiosk.worker(cfg, store)
        assert worker.step() == 0  # Retry-After: 0 is obeyed, not the backoff
        proxy.choose = lambda request: "http500"
        delays = [worker.step() for _ in range(6)]
    proxy.close()
    # Exponential with jitter: the n-th failure waits 0.5–1.5 × 2^(n-1) s, all capped at 30 s.
    for n, d in enumerate(delays, start=2):
        base = min(30, 2 ** (n - 1))
        assert 0.5 * base <= d <= min(30, 1.5 * base), (n, d)


def test_kiosk_run_uploads_while_it_runs(
    registry: Registry, server: RegistryServer, kiosk: KioskSide, make_pass: Callable[..., str]
) -> None:
    import cv2

    from kiosk.app.kiosk import Kiosk
    from kiosk.camera.scenes import frame, qr_image

    frames = kiosk.folder / "frames"
    code = qr_image(make_pass())
    for i in range(3):
        cv2.imwrite(str(frames / f"{i:03d}.png"), frame(code, seed=i))
    for i in range(3, 30):  # 1.4 s of an empty door at 20 fps
        cv2.imwrite(str(frames / f"{i:03d}.png"), frame(None, seed=i))
    cfg = kiosk.config(server.url)
    path = kiosk.folder / "venue.yaml"
    path.write_text(path.read_text().replace("fps: 25", "fps: 20"))
    cfg = load_config(path)
    k = Kiosk(cfg)
    assert k.run() == 0
    (outcome,) = k.outcomes
    assert outcome.record is not None
    # Uploaded by the sync thread during the run, not by a later `kiosk sync`.
    assert registry_ids(registry) == [outcome.record.id]
    with open_store(cfg.storage) as store:
        assert store.get(outcome.record.id).sync_state == "synced"  # type: ignore[union-attr]


def test_a_registry_that_keeps_failing_logs_a_line_a_minute_with_the_count(
    registry: Registry, server: RegistryServer, kiosk: KioskSide,
    caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    proxy = FaultProxy(server.port)
    proxy.choose = lambda request: "http500"
    cfg = kiosk.config(proxy.url)
    try:
        with open_store(cfg.storage) as store, caplog.at_level(logging.INFO, logger="kiosk"):
            add_records(store, 1)
            worker = kiosk.worker(cfg, store)
            for _ in range(50):  # fifty failed cycles, as a day offline would bring
                worker.step()
            failing = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
            assert len(failing) == 1 and "unavailable" in failing[0]
            proxy.choose = lambda request: "pass"
            worker.step()  # back: the repeats held back are counted
            assert store.status()["queued"] == 0
    finally:
        proxy.close()
    lines = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(lines) == 2 and "(repeated 49 more times)" in lines[1]
