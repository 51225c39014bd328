"""An erasure at the registry reaches the doors: through the signed deny list, each kiosk
deletes the person's records (synced or not), a kiosk offline at the time does so when it
comes back, what it uploads first is never stored, and heartbeats confirm it."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests

from checkin_protocol.records import CodeKind, Direction, Subject
from checkin_protocol.sealing import seal_id_number
from kiosk.app.core import build_core, build_sync, open_store
from kiosk.config import Config, load_config
from kiosk.policy.engine import Verdict
from kiosk.store import NewRecord, RecordStore
from registry.core.subjects import Lookup, RequestKind
from registry.db.models import Record
from registry.service import Registry
from support.registry import RegistryServer, own_address

VISITOR = "001090012345"


def door(
    registry: Registry, folder: Path, write: Callable[..., Path], url: str, venue: str, kiosk: str
) -> Config:
    """A kiosk of its own (venue, id, database, token) enrolled with the registry."""
    token = registry.add_kiosk(venue, kiosk)
    fd = os.open(folder / f"{kiosk}.token", os.O_WRONLY | os.O_CREAT, 0o600)
    os.write(fd, token.encode() + b"\n")
    os.close(fd)
    (folder / "lists.pub").write_bytes((registry.settings.keys_dir / "lists.pub").read_bytes())
    path = write(f"registry: {{url: {url}, token_file: {kiosk}.token, list_key: lists.pub}}\n"
                 "policy: {admit_kinds: [signed_pass, cccd]}\n", name=f"{kiosk}.yaml")  # fmt: skip
    text = path.read_text(encoding="utf-8")
    text = text.replace("id: test-venue", f"id: {venue}").replace("{id: k1,", f"{{id: {kiosk},")
    path.write_text(text.replace("{path: kiosk.db}", f"{{path: {kiosk}.db}}"), encoding="utf-8")
    return load_config(path)


def visit(store: RecordStore, cfg: Config, subject: Subject, kind: CodeKind) -> str:
    new = NewRecord(cfg.venue.id, cfg.kiosk.id, Direction.ENTRY, kind, subject, "Trần T** H",
                    True, Verdict.PASS, None)  # fmt: skip
    return store.add(new, now=time.time(), mono_ns=time.monotonic_ns()).id


def files_of(path: Path) -> bytes:
    return b"".join(p.read_bytes() for p in (path, Path(f"{path}-wal")) if p.exists())


def test_an_erasure_reaches_every_door_and_an_offline_one_when_it_returns(
    registry: Registry, server: RegistryServer, venue_dir: Path, write_config: Callable[..., Path]
) -> None:
    registry.add_venue("va", "Venue A")
    registry.add_venue("vb", "Venue B")
    body = {"name": "Trần Thị Hoa", "id_number": VISITOR, "phone": "0912345678",
            "symptoms": False, "contact": False, "consent": "2026-01"}  # fmt: skip
    declared: dict[str, Any] = requests.post(
        f"{server.url}/api/v1/declarations", json=body, headers=own_address(), timeout=10
    ).json()
    mine = Subject.parse(f"pass:{declared['pass_id']}")
    stranger = Subject.parse("pass:" + "ab" * 16)
    seal = registry.keys.sealing_public()
    a_cfg = door(registry, venue_dir, write_config, server.url, "va", "ka")
    b_cfg = door(registry, venue_dir, write_config, server.url, "vb", "kb")
    with open_store(a_cfg.storage) as a, open_store(b_cfg.storage) as b:
        a_core, b_core = build_core(a_cfg, a), build_core(b_cfg, b)
        assert a_core.lists is not None and b_core.lists is not None
        a_sync = build_sync(a_cfg.registry, a, a_core.lists)  # type: ignore[arg-type]
        b_sync = build_sync(b_cfg.registry, b, b_core.lists)  # type: ignore[arg-type]
        for worker in (a_sync, b_sync):
            worker.refresh_lists()
            worker.heartbeat()
        # Door A is online: the person's pass, their card, and a stranger, all uploaded.
        visit(a, a_cfg, mine, CodeKind.SIGNED_PASS)
        cards = [seal_id_number(seal, VISITOR) for _ in range(2)]
        visit(a, a_cfg, cards[0], CodeKind.CCCD)
        visit(a, a_cfg, stranger, CodeKind.SIGNED_PASS)
        while a.status()["queued"]:
            a_sync.step()
        # Door B is offline: the person's pass and card stay queued there.
        visit(b, b_cfg, mine, CodeKind.SIGNED_PASS)
        visit(b, b_cfg, cards[1], CodeKind.CCCD)
        with registry.session() as s:
            assert s.query(Record).count() == 3

        asked = time.monotonic()
        answer = registry.subjects.answer("ops", RequestKind.ERASE, Lookup.ID_NUMBER, VISITOR)
        assert answer.erased is not None and answer.erased["records"] == 2
        request = registry.subjects.requests()[0]
        assert request["kiosks_confirmed"] == [] and set(request["kiosks_pending"]) == {
            "va/ka", "vb/kb",
        }  # fmt: skip

        # Door A's next list refresh deletes them; its heartbeat confirms.
        a_sync.refresh_lists()
        a_sync.heartbeat()
        on_a = [r.subject for r in a.records()]
        assert on_a == [stranger]
        request = registry.subjects.requests()[0]
        assert request["kiosks_confirmed"] == ["va/ka"] and request["kiosks_pending"] == ["vb/kb"]

        # Door B returns and uploads before it fetches lists (the worst order): the registry
        # answers as if it had them and keeps nothing; the list then deletes them there.
        while b.status()["queued"]:
            b_sync.step()
        with registry.session() as s:
            assert {r.subject for r in s.query(Record)} == {str(stranger)}
        b_sync.refresh_lists()
        b_sync.heartbeat()
        assert list(b.records()) == []
        done = time.monotonic() - asked
        request = registry.subjects.requests()[0]
        assert sorted(request["kiosks_confirmed"]) == ["va/ka", "vb/kb"]
        assert request["kiosks_pending"] == []
        # A person who comes back after the erasure is recorded again, as anyone would be.
        visit(a, a_cfg, mine, CodeKind.SIGNED_PASS)
        while a.status()["queued"]:
            a_sync.step()
        with registry.session() as s:
            assert s.query(Record).filter(Record.subject == str(mine)).count() == 1
        a_sync.close()
        b_sync.close()
    # Nothing of the erased visits is left in either door's files (the later visit aside):
    # the sealed card reads are nowhere, and the stranger's pass is found where it is.
    raw_a, raw_b = files_of(a_cfg.storage.path), files_of(b_cfg.storage.path)
    assert str(stranger).encode() in raw_a
    for sealed in map(str, cards):
        assert sealed.encode() not in raw_a and sealed.encode() not in raw_b
    assert str(mine).encode() not in raw_b
    print(f"request to erasure on both kiosks in this test: {done:.2f} s")
