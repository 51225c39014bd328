"""A person's erasure at the door: the kiosk's own records by subject or id, and the copies its
LAN peers sent, by id; the files keep no trace; the same list again does nothing."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

from checkin_protocol.erasure import erasure_digest, record_key
from checkin_protocol.records import CodeKind, Direction, Subject
from checkin_protocol.times import utc_iso
from kiosk.peers.ledger import PeerLedger, ledger_path
from kiosk.peers.wire import PeerRecord
from kiosk.policy.engine import Verdict
from kiosk.store import NewRecord, RecordStore

ERASED = Subject.parse("pass:" + "e1" * 16)
KEPT = Subject.parse("pass:" + "4b" * 16)


def add(store: RecordStore, subject: Subject, name: str) -> str:
    new = NewRecord("v1", "k1", Direction.ENTRY, CodeKind.SIGNED_PASS, subject, name, True,
                    Verdict.PASS, None)  # fmt: skip
    return store.add(new, now=time.time(), mono_ns=time.monotonic_ns()).id


def heard(seq: int, name: str) -> PeerRecord:
    return PeerRecord(id=str(uuid.uuid4()), kiosk="k2", epoch="0123456789abcdef", seq=seq,
                      direction=Direction.ENTRY, verdict=Verdict.PASS,
                      time=utc_iso(time.time()), tag="ab" * 16, name=name)  # fmt: skip


def files(path: Path) -> bytes:
    return b"".join(p.read_bytes() for p in (path, Path(f"{path}-wal")) if p.exists())


def test_an_erasure_deletes_own_records_and_peers_copies(tmp_path: Path) -> None:
    path = tmp_path / "kiosk.db"
    with RecordStore(path) as store:
        by_subject = add(store, ERASED, "Xóa T** A")
        by_id = add(store, KEPT, "Xóa T** B")
        kept = add(store, KEPT, "Giữ V** C")
        ledger = PeerLedger(ledger_path(path), "k1")
        gone, stays = heard(1, "Xóa T** D"), heard(2, "Giữ V** E")
        assert ledger.add([gone, stays]) == 2
        assert "Xóa T** D".encode() in files(ledger_path(path))  # the search can find it
        digests = frozenset({
            erasure_digest(str(ERASED)),
            erasure_digest(record_key(by_id)),
            erasure_digest(record_key(gone.id)),
        })  # fmt: skip
        assert store.erase(digests) == 3
        assert [r.id for r in store.records()] == [kept]
        assert [r.id for r in ledger.records(0)] == [stays.id]
        assert store.erase(digests) == 0  # the same list again: nothing scanned, nothing done
        ledger.close()
    for raw in (files(path), files(ledger_path(path))):
        for name in ("Xóa T** A", "Xóa T** B", "Xóa T** D", str(ERASED), by_subject, gone.id):
            assert name.encode() not in raw, name
    assert "Giữ V** C".encode() in files(path)


def test_a_new_database_is_the_owners_alone(tmp_path: Path) -> None:
    import os

    old = os.umask(0o022)  # a service's usual umask: files readable by all
    try:
        with RecordStore(tmp_path / "kiosk.db") as store:
            add(store, KEPT, "Giữ V** C")
    finally:
        os.umask(old)
    for name in ("kiosk.db", "kiosk.db-wal", "kiosk.db-shm"):
        path = tmp_path / name
        if path.exists():
            assert path.stat().st_mode & 0o077 == 0, (name, oct(path.stat().st_mode))


def test_a_database_left_readable_by_others_is_closed_to_them(tmp_path: Path) -> None:
    path = tmp_path / "kiosk.db"
    with RecordStore(path) as store:
        add(store, KEPT, "Giữ V** C")
    path.chmod(0o644)  # as a kiosk installed before created it
    with RecordStore(path) as store:
        add(store, KEPT, "Giữ V** C")
    assert path.stat().st_mode & 0o777 == 0o600
