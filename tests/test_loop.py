"""The decision loop with real parts: decoder, pass verification, policy and SQLite."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest

from kiosk.camera import Frame
from kiosk.camera.capture import FrameSlot
from kiosk.camera.scenes import Pose, frame, qr_image
from kiosk.config import Direction, PolicyConfig
from kiosk.decode.dedupe import RepeatSuppressor
from kiosk.decode.zxing import ZxingDecoder
from kiosk.loop import DecisionLoop, Outcome
from kiosk.passes import CodeReader
from kiosk.passes.keys import TrustStore
from kiosk.passes.model import CodeKind
from kiosk.passes.privacy import SubjectHasher, mask_subject
from kiosk.policy.denylist import DenyList
from kiosk.policy.engine import VenuePolicy, Verdict
from kiosk.policy.reasons import Reason
from kiosk.store import NewRecord, RecordStore, StorageError


@pytest.fixture
def make_loop(
    tmp_path: Path, trust: TrustStore
) -> Callable[..., tuple[DecisionLoop, RecordStore, list[Outcome]]]:
    def make(**policy: object) -> tuple[DecisionLoop, RecordStore, list[Outcome]]:
        store = RecordStore(tmp_path / "k.db", min_free_mb=0, busy_timeout=0.2)
        store.open()
        seen: list[Outcome] = []
        policy.setdefault("admit_kinds", [CodeKind.SIGNED_PASS, CodeKind.CCCD])
        loop = DecisionLoop(
            slot=FrameSlot(),
            decoder=ZxingDecoder(),
            suppressor=RepeatSuppressor(5.0),
            reader=CodeReader(trust=trust, hasher=SubjectHasher(b"s" * 32)),
            policy=VenuePolicy(
                PolicyConfig(**policy), Direction.ENTRY, "Asia/Ho_Chi_Minh", DenyList()
            ),
            store=store,
            venue_id="v",
            kiosk_id="k",
            needs_occupancy="max_occupancy" in policy,
            on_outcome=seen.append,
            retention=21 * 86400,
            require_synced_for_purge=False,
        )
        return loop, store, seen

    return make


def shot(payload: str | None, seq: int, pose: Pose | None = None) -> Frame:
    img = frame(qr_image(payload) if payload else None, pose or Pose(), seed=seq)
    return Frame(img, seq, time.monotonic_ns())


def test_a_code_held_in_view_is_one_record(
    make_loop: Callable[..., tuple], make_pass: Callable[..., str]
) -> None:
    loop, store, seen = make_loop()
    text = make_pass(birth_year=1990)
    for i in range(6):
        loop.process(shot(text, i, Pose(angle=i)))
    assert len(seen) == 1 and seen[0].decision.verdict is Verdict.PASS
    record = seen[0].record
    assert record is not None and store.get(record.id) == record
    assert record.masked_name == "Nguyễn V** A" and record.verified
    assert seen[0].latency_ms > 0
    assert loop.suppressed == 5


def test_every_decision_is_recorded_pass_or_fail(
    make_loop: Callable[..., tuple], make_pass: Callable[..., str]
) -> None:
    loop, store, seen = make_loop()
    loop.process(shot(make_pass(), 1))
    loop.process(shot("https://example.com", 2))
    loop.process(shot(make_pass(valid_until=int(time.time()) - 3600, issued_at=1), 3))
    assert [o.decision.reason for o in seen] == [None, Reason.NOT_PERSONAL_CODE, Reason.EXPIRED]
    rows = list(store.records())
    assert [(r.verdict, r.reason, r.code_kind) for r in rows] == [
        ("PASS", None, "signed_pass"),
        ("FAIL", "not_personal_code", "unknown"),
        ("FAIL", "expired", "signed_pass"),
    ]
    assert rows[1].subject is None and rows[1].masked_name is None


def test_storage_failure_is_reported_not_shown_as_a_verdict_then_retried(
    make_loop: Callable[..., tuple], make_pass: Callable[..., str]
) -> None:
    loop, store, seen = make_loop()
    text = make_pass()
    with store.raw() as db:  # the disk fills up...
        db.execute(f"PRAGMA max_page_count={db.execute('PRAGMA page_count').fetchone()[0]}")
    filler = NewRecord("v", "k", "entry", "signed_pass", "pass:" + "0" * 32, "Nguyễn V** A",
                       True, "PASS", None)  # fmt: skip
    with pytest.raises(StorageError):
        for i in range(10_000):  # ...with records just like the one about to be decided
            store.add(filler, now=1.0, mono_ns=i)
    kept = len(list(store.records()))
    loop.process(shot(text, 1))
    assert seen[0].error is not None and "full" in seen[0].error and seen[0].record is None
    assert len(list(store.records())) == kept
    with store.raw() as db:  # space is freed
        db.execute("PRAGMA max_page_count=1073741823")
    loop.process(shot(text, 2))  # the same code, at once: not suppressed as a repeat
    assert seen[1].error is None and seen[1].record is not None


def test_occupancy_limit(make_loop: Callable[..., tuple], make_pass: Callable[..., str]) -> None:
    loop, _, seen = make_loop(max_occupancy=1)
    loop.process(shot(make_pass("An Binh"), 1))
    loop.process(shot(make_pass("Chi Dung"), 2))
    assert [o.decision.reason for o in seen] == [None, Reason.FULL]


def test_mask_subject() -> None:
    assert mask_subject("pass:0123456789abcdef") == "pass:012345…"
    assert mask_subject(None) is None
