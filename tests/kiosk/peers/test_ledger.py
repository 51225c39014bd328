"""The peers' ledger: one record once, a door's replaced database a series of its own."""

from __future__ import annotations

import tempfile
import uuid
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from checkin_protocol.records import Direction, Verdict
from kiosk.peers.ledger import PeerLedger
from kiosk.peers.wire import PeerRecord, to_ranges

EPOCHS = ("0123456789abcdef", "fedcba9876543210")


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
