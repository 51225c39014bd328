"""A kiosk with two registry hosts: one stops mid-sync, the other takes every record, once."""

from __future__ import annotations

import signal

import pytest

from kiosk.app.core import open_store
from registry.service import Registry
from support.faultproxy import FaultProxy
from support.kiosk_sync import KioskSide, add_records, registry_ids, settle
from support.registry import RegistryServer


@pytest.mark.slow
@pytest.mark.parametrize("registry_db", ["sqlite", "postgresql"], indirect=True)
def test_a_host_lost_mid_upload_leaves_every_record_in_the_registry_once(
    registry: Registry, server: RegistryServer, own_server: RegistryServer, kiosk: KioskSide
) -> None:
    # Host A (own_server, behind a proxy that can lose an answer) and host B (server): two
    # registry processes on one database, as behind a failover name.
    proxy = FaultProxy(own_server.port)
    uploads = 0

    def choose(request: bytes) -> str:
        nonlocal uploads
        if not request.startswith(b"POST /api/v1/records"):
            return "pass"
        uploads += 1
        # The third upload is stored by A, and its answer never reaches the kiosk.
        return "cut" if uploads == 3 else "pass"

    proxy.choose = choose
    cfg = kiosk.config(f"[{proxy.url}, {server.url}]", batch_size=5)
    with open_store(cfg.storage) as store:
        ids = add_records(store, 40)
        worker = kiosk.worker(cfg, store)
        assert worker.push_batch() == 5 and worker.push_batch() == 5
        assert worker.state.host is None or worker.state.host == proxy.url
        # Stored at A, answer cut: the same batch goes to B at once, which has it already.
        assert worker.push_batch() == 5
        assert store.queued() == 25
        own_server.stop(signal.SIGKILL)  # and A is gone
        settle(worker, store)
        assert worker.state.online and worker.state.host == server.url
        assert store.get_meta("registry_host") == server.url
        assert {r.id for r in store.records() if r.sync_state == "synced"} == set(ids)
    proxy.close()
    assert proxy.counts["cut"] == 1
    got = registry_ids(registry)
    assert sorted(got) == sorted(ids)  # every record, none twice


@pytest.mark.slow
def test_with_every_host_down_the_kiosk_keeps_its_records_and_resumes_at_the_first_back(
    registry: Registry, server: RegistryServer, own_server: RegistryServer, kiosk: KioskSide
) -> None:
    cfg = kiosk.config(f"[{own_server.url}, {server.url}]", batch_size=5)
    with open_store(cfg.storage) as store:
        ids = add_records(store, 12)
        worker = kiosk.worker(cfg, store)
        own_server.stop(signal.SIGKILL)
        server.stop(signal.SIGKILL)
        worker.step()
        assert not worker.state.online
        assert "no registry host answered" in worker.state.message
        assert store.queued() == 12  # kept, every one
        own_server.start()
        settle(worker, store)
        assert worker.state.host == own_server.url
    assert sorted(registry_ids(registry)) == sorted(ids)
