"""Signed lists from the registry: applied if genuine and newer, refused otherwise, obeyed."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from checkin_protocol.documents import DENY_LIST, DocumentError
from checkin_protocol.reasons import Reason
from checkin_protocol.records import Verdict
from kiosk.app.core import build_core, build_sync, open_store
from registry.service import Registry
from support.faultproxy import FaultProxy
from support.kiosk_sync import KioskSide
from support.registry import RegistryServer


def test_tampered_and_rolled_back_lists_are_refused(
    registry: Registry, server: RegistryServer, kiosk: KioskSide
) -> None:
    cfg = kiosk.config(server.url)
    with open_store(cfg.storage) as store:
        core = build_core(cfg, store)
        worker = kiosk.worker(cfg, store)
        worker.refresh_lists()
        assert core.lists is not None
        v1 = store.lists()[DENY_LIST]
        _, pass_id = registry.issue_pass("Lê Văn Bình", valid_for=3600)
        registry.revoke_pass(pass_id)
        worker.refresh_lists()
        v2 = store.lists()[DENY_LIST]
        assert v2[0] == v1[0] + 1
        lists = worker._lists
        with pytest.raises(DocumentError, match="older than ours"):
            lists.apply(DENY_LIST, v1[1], None, time.time())
        tampered = v2[1].replace(v2[1][40], "A" if v2[1][40] != "A" else "B", 1)
        with pytest.raises(DocumentError):
            lists.apply(DENY_LIST, tampered, None, time.time())
        assert lists.versions()[DENY_LIST] == v2[0]
        # And through the network: a proxy that alters every list body changes nothing.
        proxy = FaultProxy(server.port)
        proxy.rewrite = lambda body: body.replace(b'"payload": "', b'"payload": "eyJ', 1)
        registry.revoke_pass(registry.issue_pass("Khác", valid_for=3600)[1])
        other = kiosk.worker(kiosk.config(proxy.url), store)
        other.refresh_lists()  # logs and keeps the last good list
        proxy.close()
        assert store.lists()[DENY_LIST][0] == v2[0]


def test_a_deny_list_entry_from_the_registry_fails_the_next_scan(
    registry: Registry, server: RegistryServer, kiosk: KioskSide
) -> None:
    cfg = kiosk.config(server.url)
    text, pass_id = registry.issue_pass("Phạm Thị Hoa", valid_for=3600)
    with open_store(cfg.storage) as store:
        core = build_core(cfg, store)
        worker = build_sync(cfg.registry, store, core.lists)  # type: ignore[arg-type]
        worker.refresh_lists()  # the registry's issuer key arrives through the trust list
        code = core.reader.read(text.encode(), time.time())
        assert core.policy.decide(code, time.time(), 0).verdict is Verdict.PASS
        registry.revoke_pass(pass_id, "lost")
        worker.refresh_lists()
        decision = core.policy.decide(core.reader.read(text.encode(), time.time()), time.time(), 0)
        assert decision.verdict is Verdict.FAIL and decision.reason is Reason.DENIED
        # A restart offline still knows the list it had.
        offline = build_core(cfg, store)
        assert (
            offline.policy.decide(
                offline.reader.read(text.encode(), time.time()), time.time(), 0
            ).reason
            is Reason.DENIED
        )


def test_stale_lists_refuse_to_pass(
    registry: Registry, server: RegistryServer, kiosk: KioskSide, make_pass: Callable[..., str]
) -> None:
    cfg = kiosk.config(server.url, policy="policy: {max_list_age: 1h, stale_lists: refuse}\n")
    with open_store(cfg.storage) as store:
        core = build_core(cfg, store)
        code = core.reader.read(make_pass().encode(), time.time())
        assert core.policy.decide(code, time.time(), 0).reason is Reason.LISTS_STALE
        kiosk.worker(cfg, store).refresh_lists()
        core = build_core(cfg, store)
        assert core.policy.decide(code, time.time(), 0).verdict is Verdict.PASS
        assert core.policy.decide(code, time.time() + 7200, 0).reason is Reason.LISTS_STALE
