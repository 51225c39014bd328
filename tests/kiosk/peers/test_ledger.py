"""The peers' ledger: one record once, a door's replaced database a series of its own."""

from __future__ import annotations

import tempfile
import uuid
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from checkin_protocol.records import Direction, Verdict
from checkin_protocol.times import utc_iso
from kiosk.peers.ledger import CLOCK_NOISE, PeerLedger
from kiosk.peers.wire import PeerRecord, to_ranges

EPOCHS = ("0123456789abcdef", "fedcba9876543210")
TAG = "0f" * 16  # a subject as the venue key tags it


@given(st.sets(st.integers(1, 50), max_size=20), st.sets(st.integers(1, 50), max_size=20))
def test_seqs_of_two_databases_of_one_door_are_all_kept(old: set[int], new: set[int]) -> None:
    heard = [
        PeerRecord(
            id=str(uuid.uuid4()),
            kiosk="b1",
            epoch=epoch,
            seq=n,
            direction=Direction.ENTRY,
            verdict=Verdict.PASS,
            time="2026-11-23T01:02:03.456Z",
        )
        for epoch, seqs in zip(EPOCHS, (old, new), strict=True)
        for n in sorted(seqs)
    ]
    with tempfile.TemporaryDirectory() as folder:
        ledger = PeerLedger(Path(folder) / "p.db", "a1")
        assert ledger.add(heard) == len(old) + len(new)
        assert ledger.add(heard) == 0  # heard again (relayed): nothing new
        expected = {
            f"b1/{e}": to_ranges(sorted(s)) for e, s in zip(EPOCHS, (old, new), strict=True) if s
        }
        assert ledger.ranges(0) == expected
        ledger.close()


def heard_record(door: str, way: Direction, at: float) -> PeerRecord:
    return PeerRecord(id=str(uuid.uuid4()), kiosk=door, epoch=EPOCHS[0], seq=1, direction=way,
                      verdict=Verdict.PASS, time=utc_iso(at), tag=TAG)  # fmt: skip


@given(
    st.floats(-CLOCK_NOISE + 0.001, CLOCK_NOISE - 0.001),
    st.floats(-CLOCK_NOISE + 0.001, CLOCK_NOISE - 0.001),
    st.integers(1, 5000),
)
def test_an_exit_after_an_entry_stays_after_it_whatever_the_delay_noise(
    entry_offset: float, exit_offset: float, gap_ms: int
) -> None:
    """In at B, out at C `gap_ms` later: delay noise in the doors' estimated clock offsets
    must not make the exit look earlier (the pass would be refused as still inside)."""
    entered = 1_795_000_000.0
    heard = [
        heard_record("b1", Direction.ENTRY, entered),
        heard_record("c1", Direction.EXIT, entered + gap_ms / 1000),
    ]
    with tempfile.TemporaryDirectory() as folder:
        ledger = PeerLedger(Path(folder) / "p.db", "a1")
        ledger.add(heard, {"b1": entry_offset, "c1": exit_offset})
        last = ledger.last_pass(TAG, 0)
        ledger.close()
    assert last is not None and last[1] == "exit"


def test_a_door_whose_clock_is_minutes_off_has_its_times_corrected() -> None:
    at = 1_795_000_000.0
    with tempfile.TemporaryDirectory() as folder:
        ledger = PeerLedger(Path(folder) / "p.db", "a1")
        ledger.add([heard_record("b1", Direction.ENTRY, at)], {"b1": 600.0})  # 10 min ahead
        last = ledger.last_pass(TAG, 0)
        ledger.close()
    assert last == (utc_iso(at - 600), "entry")
