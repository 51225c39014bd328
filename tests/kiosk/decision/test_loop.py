"""The decision loop with real parts: decoder, pass verification, policy and SQLite."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import given
from hypothesis import strategies as st

from checkin_protocol.keys import TrustStore
from checkin_protocol.privacy import mask_name
from checkin_protocol.reasons import Reason
from checkin_protocol.records import Direction, Subject, SubjectKind, mask_subject
from kiosk.camera import Frame
from kiosk.camera.capture import FrameSlot
from kiosk.camera.scenes import Pose, frame, qr_image
from kiosk.config import PolicyConfig
from kiosk.decision.loop import (
    DecisionLoop,
    Judgement,
    Recognition,
    Recording,
    codes_to_decide,
    personal_candidate,
)
from kiosk.decision.outcome import Outcome
from kiosk.decode import Decoder, Symbol
from kiosk.decode.dedupe import RepeatSuppressor
from kiosk.decode.zxing import ZxingDecoder
from kiosk.passes import CodeReader
from kiosk.passes.model import CodeKind
from kiosk.policy.denylist import DenyList
from kiosk.policy.engine import VenuePolicy, Verdict
from kiosk.runtime.service import State
from kiosk.store import NewRecord, RecordStore, StorageError
from support.timing import wait_for

LoopParts = tuple[DecisionLoop, RecordStore, list[Outcome]]


@pytest.fixture
def make_loop(
    tmp_path: Path, trust: TrustStore
) -> Callable[..., tuple[DecisionLoop, RecordStore, list[Outcome]]]:
    def make(
        *,
        slot: FrameSlot | None = None,
        decoder: Decoder | None = None,
        on_outcome: Callable[[Outcome], None] | None = None,
        **policy: object,
    ) -> tuple[DecisionLoop, RecordStore, list[Outcome]]:
        store = RecordStore(tmp_path / "k.db", min_free_mb=0, busy_timeout=0.2)
        store.open()
        seen: list[Outcome] = []
        policy.setdefault("admit_kinds", [CodeKind.SIGNED_PASS, CodeKind.CCCD])
        loop = DecisionLoop(
            Recognition(slot or FrameSlot(), decoder or ZxingDecoder(), RepeatSuppressor(5.0)),
            Judgement(
                CodeReader(trust=trust, sealing=DenyList()),
                VenuePolicy(
                    PolicyConfig(**policy), Direction.ENTRY, "Asia/Ho_Chi_Minh", DenyList()
                ),
                needs_occupancy="max_occupancy" in policy,
            ),
            Recording(store, "v", "k", on_outcome or seen.append),
        )
        return loop, store, seen

    return make


def shot(payload: str | None, seq: int, pose: Pose | None = None) -> Frame:
    img = frame(qr_image(payload) if payload else None, pose or Pose(), seed=seq)
    return Frame(img, seq, time.monotonic_ns())


def test_a_code_held_in_view_is_one_record(
    make_loop: Callable[..., LoopParts], make_pass: Callable[..., str]
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
    make_loop: Callable[..., LoopParts], make_pass: Callable[..., str]
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
    make_loop: Callable[..., LoopParts], make_pass: Callable[..., str]
) -> None:
    loop, store, seen = make_loop()
    text = make_pass()
    db = store.db  # the disk fills up (a limit of the store's own connection)...
    db.execute(f"PRAGMA max_page_count={db.execute('PRAGMA page_count').fetchone()[0]}")
    filler = NewRecord("v", "k", Direction.ENTRY, CodeKind.SIGNED_PASS,
                       Subject(SubjectKind.PASS, "0" * 32), "Nguyễn V** A", True, Verdict.PASS,
                       None)  # fmt: skip
    with pytest.raises(StorageError):
        for i in range(10_000):  # ...with records just like the one about to be decided
            store.add(filler, now=1.0, mono_ns=i)
    kept = len(list(store.records()))
    loop.process(shot(text, 1))
    assert seen[0].error is not None and "full" in seen[0].error and seen[0].record is None
    assert len(list(store.records())) == kept
    db.execute("PRAGMA max_page_count=1073741823")  # space is freed
    loop.process(shot(text, 2))  # the same code, at once: not suppressed as a repeat
    assert seen[1].error is None and seen[1].record is not None


def test_occupancy_limit(
    make_loop: Callable[..., LoopParts], make_pass: Callable[..., str]
) -> None:
    loop, _, seen = make_loop(max_occupancy=1)
    loop.process(shot(make_pass("An Binh"), 1))
    loop.process(shot(make_pass("Chi Dung"), 2))
    assert [o.decision.reason for o in seen] == [None, Reason.FULL]


def test_mask_subject() -> None:
    assert mask_subject("pass:0123456789abcdef") == "pass:012345…"
    assert mask_subject(None) is None


def test_the_loop_ends_when_the_replay_has_ended_and_every_frame_is_decided(
    make_loop: Callable[..., LoopParts], make_pass: Callable[..., str]
) -> None:
    slot = FrameSlot()
    loop, _, seen = make_loop(slot=slot)
    with loop:
        slot.put(shot(make_pass(), 1))
        slot.end()
        assert wait_for(lambda: loop.health.finished)
    assert loop.health.state is State.ENDED
    assert [o.decision.verdict for o in seen] == [Verdict.PASS]


class Broken:
    def decode(self, luma: npt.NDArray[np.uint8]) -> list[Symbol]:
        raise IndexError("decoder bug")


def test_a_crash_is_reported_as_a_crash(
    make_loop: Callable[..., LoopParts], caplog: pytest.LogCaptureFixture
) -> None:
    slot = FrameSlot()
    loop, _, _ = make_loop(slot=slot, decoder=Broken())
    with loop:
        slot.put(shot(None, 1))
        assert wait_for(lambda: loop.health.finished)
    assert loop.health.state is State.CRASHED
    assert loop.health.error == "IndexError: decoder bug"
    assert "decide crashed" in caplog.text and "Traceback" in caplog.text


def test_manual_admit_and_direction_are_applied_on_the_decision_thread(
    make_loop: Callable[..., LoopParts], make_pass: Callable[..., str]
) -> None:
    slot = FrameSlot()
    seen: list[Outcome] = []
    threads: list[str] = []

    def on_outcome(o: Outcome) -> None:
        threads.append(threading.current_thread().name)
        seen.append(o)

    loop, store, _ = make_loop(slot=slot, on_outcome=on_outcome)
    with loop:
        assert loop.switch_direction() == "exit" and loop.direction == "exit"
        loop.admit_manually("no_smartphone")  # returns at once: the UI never writes the store
        assert wait_for(lambda: len(seen) == 1)
        slot.put(shot(make_pass(), 1))
        assert wait_for(lambda: len(seen) == 2)
    assert threads == ["decide", "decide"]
    manual, scanned = seen
    assert manual.record is not None and scanned.record is not None
    assert manual.manual_reason == "no_smartphone" and manual.record.direction == "exit"
    assert scanned.record.direction == "exit"
    assert [r.direction for r in store.records()] == ["exit", "exit"]


# ------------------------------------------------------------------ two codes in one frame

MakeLoop = Callable[..., tuple[DecisionLoop, RecordStore, list[Outcome]]]


def two_codes(left: str, right: str, seq: int) -> Frame:
    """A frame holding two real QR codes side by side, as a camera would see them."""
    halves = [
        frame(qr_image(text), Pose(size=0.6, angle=3 * i), size=(400, 400), seed=seq * 2 + i)
        for i, text in enumerate((left, right))
    ]
    return Frame(np.ascontiguousarray(np.hstack(halves)), seq, time.monotonic_ns())


@pytest.mark.parametrize("stray_side", ["left", "right"])
def test_a_stray_code_beside_a_pass_never_replaces_its_pass(
    make_loop: MakeLoop, make_pass: Callable[..., str], stray_side: str
) -> None:
    loop, store, seen = make_loop()
    text, stray = make_pass(), "510384"  # what zxing once read off a corner of a pass
    pair = (stray, text) if stray_side == "left" else (text, stray)
    # Both are readable: the rule, not a decoder's luck, is what keeps the stray one out.
    assert {s.payload.decode() for s in ZxingDecoder().decode(two_codes(*pair, 0).luma)} == {
        text,
        stray,
    }
    for seq in range(1, 6):  # held in view: the pass is a repeat after the first frame
        loop.process(two_codes(*pair, seq))
    assert [(o.decision.verdict, o.decision.code_kind) for o in seen] == [
        (Verdict.PASS, CodeKind.SIGNED_PASS)
    ]
    assert [r.verdict for r in store.records()] == ["PASS"]


def test_two_passes_in_one_frame_are_both_decided_in_order(
    make_loop: MakeLoop, make_pass: Callable[..., str]
) -> None:
    loop, store, seen = make_loop()
    first, second = make_pass("Lê Văn Bình"), make_pass("Trần Thị Cúc")
    decoded = [s.payload.decode() for s in ZxingDecoder().decode(two_codes(first, second, 0).luma)]
    assert sorted(decoded) == sorted([first, second])
    loop.process(two_codes(first, second, 1))
    assert [o.decision.verdict for o in seen] == [Verdict.PASS, Verdict.PASS]
    # In the decoder's order, each recorded once.
    masked = {first: mask_name("Lê Văn Bình"), second: mask_name("Trần Thị Cúc")}
    assert [o.record.masked_name for o in seen if o.record] == [masked[t] for t in decoded]
    assert len(list(store.records())) == 2


def test_a_code_of_no_known_format_alone_is_still_decided(
    make_loop: MakeLoop,
) -> None:
    loop, store, seen = make_loop()
    loop.process(two_codes("510384", "https://example.com/menu", 1))
    assert [(o.decision.verdict, o.decision.reason) for o in seen] == [
        (Verdict.FAIL, Reason.NOT_PERSONAL_CODE)
    ] * 2
    assert len(list(store.records())) == 2


payloads = st.one_of(
    st.sampled_from(["510384", "https://example.com", "KP1:x", "a|b", "KP2:x", ""]).map(str.encode),
    st.binary(max_size=12),
    st.text(max_size=12).map(str.encode),
)


@given(st.lists(payloads, max_size=6))
def test_codes_to_decide_keeps_candidates_in_order_and_drops_strays_beside_them(
    found: list[bytes],
) -> None:
    symbols = [Symbol(p, repr(p)) for p in found]
    chosen = codes_to_decide(symbols)
    candidates = [s for s in symbols if personal_candidate(s.payload)]
    if candidates:
        assert chosen == candidates  # every candidate, in order, and nothing else
    else:
        assert chosen == symbols  # no candidate: every code is decided, as always
    for s in symbols:  # a signed pass or an ID card's fields are never dropped
        try:
            text = s.payload.decode("utf-8")
        except UnicodeDecodeError:
            continue
        if text.startswith("KP1:") or "|" in text:
            assert s in chosen


# A 2024 ID card (born 17/05/1990, issued 10/08/2012) whose QR carries its expiry, the
# holder's birthday at 25: 17/05/2015 (Law 26/2023, Art. 21).
EXPIRED_CARD = (
    "001090012345||NGUYỄN VĂN AN|17051990|Nam|Thôn Đông, Hà Nội|10082012|TRẦN THỊ BÌNH|17052015|"
)


@pytest.mark.parametrize(("expired_cards", "verdict"), [("refuse", "FAIL"), ("warn", "PASS")])
def test_an_expired_id_card_from_the_camera_to_its_record(
    make_loop: Callable[..., LoopParts],
    caplog: pytest.LogCaptureFixture,
    expired_cards: str,
    verdict: str,
) -> None:
    loop, store, _ = make_loop(identity={"expired_cards": expired_cards})
    with caplog.at_level("INFO", logger="kiosk"):
        loop.process(shot(EXPIRED_CARD, 1))
    (row,) = store.records()
    assert (row.verdict, row.code_kind) == (verdict, "cccd")
    assert row.reason == (None if verdict == "PASS" else "expired")
    assert row.masked_name == "Nguyễn V** A"
    warned = "ID card expired at" in caplog.text
    assert warned == (verdict == "PASS")
    assert "TRẦN" not in caplog.text and "Trần" not in caplog.text
