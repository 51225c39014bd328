"""The kiosk's registry token: one others can read, or one the registry revoked, is refused."""

from __future__ import annotations

import os

import pytest

from kiosk.app.core import open_store
from registry.service import Registry
from support.kiosk_sync import KioskSide, add_records, registry_ids
from support.registry import RegistryServer


def test_a_revoked_kiosk_is_refused_and_keeps_its_records(
    registry: Registry, server: RegistryServer, kiosk: KioskSide
) -> None:
    cfg = kiosk.config(server.url)
    registry.revoke_kiosk("test-venue", "k1")
    with open_store(cfg.storage) as store:
        add_records(store, 5)
        worker = kiosk.worker(cfg, store)
        worker.step()
        assert worker.state.refused and worker.state.message == "token refused"
        assert store.status()["queued"] == 5
    assert registry_ids(registry) == []


def test_token_file_readable_by_others_is_refused(kiosk: KioskSide, server: RegistryServer) -> None:
    from kiosk.config.yamlfile import ConfigError

    os.chmod(kiosk.folder / "kiosk.token", 0o644)
    with pytest.raises(ConfigError) as exc:
        kiosk.config(server.url)
    assert "readable by others" in str(exc.value) and "chmod 600" in str(exc.value)
