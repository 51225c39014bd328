"""A stolen kiosk reveals no ID number: sealed subjects, scrypt deny keys, registry tracing."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import json
import os
import sqlite3
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import requests
from sqlalchemy import select

from checkin_protocol.documents import DENY_LIST, verify_document
from checkin_protocol.keys import load_public_key
from checkin_protocol.reasons import Reason
from checkin_protocol.records import CodeKind, Direction, SubjectKind
from kiosk.app.core import build_core, build_sync, open_store
from kiosk.config import Config, load_config
from kiosk.policy.engine import Verdict
from kiosk.store import NewRecord
from registry.auth import Role
from registry.db.models import Record
from registry.service import Registry
from support.registry import RegistryServer
from support.registry import make_record as record

ADDRESS = "Số 1, Phố Huế, Hà Nội"
VISITOR = "001090012345"
BARRED = "079185000042"


def cccd(number: str) -> bytes:
    return f"{number}|123456789|NGUYỄN VĂN AN|01011990|Nam|{ADDRESS}|01012021".encode()


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def kiosk_config(
    registry: Registry, venue_dir: Path, write: Callable[..., Path], url: str
) -> Config:
    registry.add_venue("test-venue", "Test Venue")
    token = registry.add_kiosk("test-venue", "k1")
    fd = os.open(venue_dir / "kiosk.token", os.O_WRONLY | os.O_CREAT, 0o600)
    os.write(fd, token.encode() + b"\n")
    os.close(fd)
    (venue_dir / "lists.pub").write_bytes((registry.settings.keys_dir / "lists.pub").read_bytes())
    # No subject.key is copied: the kiosk needs none.
    policy = "policy: {admit_kinds: [signed_pass, cccd]}\n"
    return load_config(write(f"registry: {{url: {url}, token_file: kiosk.token, "
                             f"list_key: lists.pub}}\n" + policy))  # fmt: skip


def every_file(folder: Path) -> Iterator[tuple[Path, bytes]]:
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            yield path, path.read_bytes()


def candidate_keys(data: bytes) -> set[bytes]:
    """Every way a file could hold a hash key: its bytes, its text, hex or base64 decoded."""
    keys = {data, data.strip()}
    text = data.decode("utf-8", "replace").strip()
    for decode in (bytes.fromhex, lambda t: base64.urlsafe_b64decode(t + "=" * (-len(t) % 4))):
        with contextlib.suppress(ValueError):
            keys.add(decode(text))
    return {k for k in keys if k}


def forms(number: str, keys: set[bytes]) -> set[str]:
    """The number, and its HMAC-SHA256 under each key, as hex (whole and the idh: prefix)
    and as base64url."""
    found = {number}
    for key in keys:
        mac = hmac.new(key, number.encode(), hashlib.sha256).digest()
        found |= {mac.hex(), mac[:16].hex(), base64.urlsafe_b64encode(mac[:16]).decode()[:22]}
    found.add(hashlib.sha256(number.encode()).hexdigest()[:32])
    return found


def test_a_stolen_kiosk_reveals_no_id_number_and_the_registry_still_traces(
    registry: Registry,
    server: RegistryServer,
    venue_dir: Path,
    write_config: Callable[..., Path],
) -> None:
    officer = registry.add_user("doc", Role.HEALTH_OFFICER)
    barred = registry.denials.deny_id("doc", BARRED, reason_code="health_risk")
    cfg = kiosk_config(registry, venue_dir, write_config, server.url)
    with open_store(cfg.storage) as store:
        core = build_core(cfg, store)
        assert cfg.registry is not None and core.lists is not None
        worker = build_sync(cfg.registry, store, core.lists)
        worker.refresh_lists()
        now = time.time()
        seen = []
        for number in (VISITOR, VISITOR, BARRED):
            code = core.reader.read(cccd(number), time.time())
            decision = core.policy.decide(code, now, 0)
            seen.append((decision.verdict, decision.reason, decision.detail))
            new = NewRecord("test-venue", "k1", Direction.ENTRY, CodeKind.CCCD, code.subject,
                            code.masked_name, False, decision.verdict,
                            decision.reason.value if decision.reason else None)  # fmt: skip
            store.add(new, now=now, mono_ns=time.monotonic_ns())
        assert seen == [
            (Verdict.PASS, None, ""),
            (Verdict.PASS, None, ""),
            (Verdict.FAIL, Reason.DENIED, "denied"),  # private: no reason reached the kiosk
        ]
        subjects = [r.subject for r in store.records()]
        assert all(s is not None and s.kind is SubjectKind.SEALED for s in subjects)
        assert len(set(subjects)) == 3  # the same person twice is two unlinkable values
        deny_envelope = store.lists()[DENY_LIST][1]
        while store.status()["queued"]:
            worker.step()
    # The deny list carries no reason code and no idh: subject for the barred number.
    doc = verify_document(deny_envelope, load_public_key(venue_dir / "lists.pub"),
                          expect_type=DENY_LIST, now=0)  # fmt: skip
    assert all("reason_code" not in e for e in doc.entries if not e.get("public"))
    assert barred["subject"] not in deny_envelope and "health_risk" not in deny_envelope
    assert len([e for e in doc.entries if "id_key" in e]) == 1
    assert not (venue_dir / "subject.key").exists()

    # The whole kiosk: database (as a dump and as files), lists, token, keys, config.
    with sqlite3.connect(cfg.storage.path) as db:
        dump = "\n".join(db.iterdump())
    files = dict(every_file(venue_dir))
    everything = b"\n".join(files.values()).decode("utf-8", "replace") + dump
    keys: set[bytes] = set().union(*(candidate_keys(data) for data in files.values()))
    for number in (VISITOR, BARRED):
        leaked = [form for form in forms(number, keys) if form in everything]
        assert leaked == [], number

    # The registry opened the sealed subjects to its own idh: both visits are one subject.
    idh = str(registry.keys.hasher()(VISITOR))
    since = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(now - 3600))
    r = requests.get(f"{server.url}/api/v1/tracing", headers=auth(officer), timeout=10,
                     params={"subject": idh, "window_minutes": "30", "since": since,
                             "reason": "ca bệnh F0-2026-117"})  # fmt: skip
    body = r.json()
    assert r.status_code == 200 and len(body["visits"]) == 2, body
    assert body["contacts"] == []  # the barred visitor was refused, so met nobody
    with registry.session() as s:
        stored = set(s.scalars(select(Record.subject)))
    assert stored == {idh, barred["subject"]}  # no sealed value is kept once opened
    # The same by ID number, as an officer who has only the number asks.
    caller = registry.caller(officer)
    assert caller is not None
    assert len(registry.views.trace_id(caller, registry.keys, VISITOR, 30, None)["visits"]) == 2


def test_old_kiosks_idh_subjects_are_still_accepted(
    registry: Registry, server: RegistryServer
) -> None:
    kiosk = registry.add_kiosk("v1", "k1")
    subject = str(registry.keys.hasher()(VISITOR))
    r = requests.post(f"{server.url}/api/v1/records", headers=auth(kiosk), timeout=10,
                      json={"records": [record(code_kind="cccd", subject=subject)]})  # fmt: skip
    assert [x["status"] for x in r.json()["results"]] == ["accepted"]


def test_a_sealed_subject_no_key_opens_is_kept_sealed(
    registry: Registry, server: RegistryServer
) -> None:
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

    from checkin_protocol.sealing import seal_id_number

    kiosk = registry.add_kiosk("v1", "k1")
    stray = str(seal_id_number(X25519PrivateKey.generate().public_key(), VISITOR))
    r = requests.post(f"{server.url}/api/v1/records", headers=auth(kiosk), timeout=10,
                      json={"records": [record(code_kind="cccd", subject=stray)]})  # fmt: skip
    assert [x["status"] for x in r.json()["results"]] == ["accepted"]


def test_control_characters_in_names_are_refused_by_the_schema(
    registry: Registry, server: RegistryServer
) -> None:
    kiosk = registry.add_kiosk("v1", "k1")
    batch = [record(masked_name="A\x1b[2J"), record(boot_id="b\x00"), record(masked_name="A\tB")]
    r = requests.post(f"{server.url}/api/v1/records", headers=auth(kiosk), timeout=10,
                      json={"records": batch})  # fmt: skip
    assert [x["status"] for x in r.json()["results"]] == ["rejected", "rejected", "accepted"]
    schema = json.dumps(requests.get(f"{server.url}/openapi.json", timeout=10).json())
    assert "x00-\\\\x08" in schema or "\\\\x00" in schema
