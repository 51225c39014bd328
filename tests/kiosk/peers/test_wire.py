"""Peer messages: sealed with the venue key, nothing readable on the LAN, the rest refused."""

from __future__ import annotations

import itertools
import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from checkin_protocol.records import Direction, Verdict
from kiosk.peers.wire import (
    Freshness,
    PeerRecord,
    Records,
    Refused,
    Stamper,
    Summary,
    VenueKeys,
    covered,
    to_ranges,
    within,
)

EPOCH = "0123456789abcdef"
KEYS = VenueKeys(b"the venue's shared secret, 32 bytes", "v1")


def record(seq: int = 1, tag: str | None = None) -> PeerRecord:
    return PeerRecord(
        id=str(uuid.uuid4()), kiosk="k1", epoch=EPOCH, seq=seq, direction=Direction.ENTRY,
        verdict=Verdict.PASS, time="2026-11-23T01:02:03.456Z", tag=tag,
    )  # fmt: skip


def test_a_sealed_message_opens_with_the_venue_key_and_shows_nothing_in_clear() -> None:
    tag = KEYS.tag("pass:0123456789abcdef")
    message = Records(
        kind="records", sender="k1", epoch=EPOCH, sent=1.0, counter=1, records=[record(tag=tag)]
    )
    datagram = KEYS.seal(message)
    assert KEYS.open(datagram) == message
    for clear in (message.records[0].id.encode(), tag.encode(), b"entry", b"k1", b"PASS"):
        assert clear not in datagram
    assert KEYS.seal(message) != datagram  # a fresh nonce each time


def test_another_venue_or_secret_and_any_tampering_are_refused() -> None:
    datagram = KEYS.seal(
        Summary(
            kind="summary",
            sender="k1",
            epoch=EPOCH,
            sent=1.0,
            counter=1,
            have={f"k1/{EPOCH}": [(1, 3)]},
        )
    )
    for other in (VenueKeys(b"the venue's shared secret, 32 bytes", "v2"),
                  VenueKeys(b"another secret of the same length!!", "v1")):  # fmt: skip
        with pytest.raises(Refused):
            other.open(datagram)
    for i in range(len(datagram)):
        flipped = bytearray(datagram)
        flipped[i] ^= 1
        with pytest.raises(Refused):
            KEYS.open(bytes(flipped))


def test_subject_tags_are_stable_per_venue_and_differ_between_venues() -> None:
    other = VenueKeys(b"the venue's shared secret, 32 bytes", "v2")
    assert KEYS.tag("pass:ab") == KEYS.tag("pass:ab") != KEYS.tag("pass:ac")
    assert KEYS.tag("pass:ab") != other.tag("pass:ab")


@given(st.binary(max_size=2000))
def test_any_bytes_are_refused_never_a_crash(data: bytes) -> None:
    with pytest.raises(Refused):
        KEYS.open(data)
    with pytest.raises(Refused):
        KEYS.open(b"QRP1" + data)


@given(
    st.one_of(
        st.dictionaries(st.text(max_size=10), st.none() | st.integers() | st.text(max_size=40)),
        st.lists(st.integers(), max_size=5),
        st.text(max_size=50),
    )
)
def test_sealed_but_malformed_messages_are_refused(body: object) -> None:
    """Even a peer holding the key cannot get an unchecked value past the models."""
    import json
    import os

    from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

    nonce = os.urandom(12)
    aead = ChaCha20Poly1305(KEYS._derive(b"the venue's shared secret, 32 bytes", b"seal|v1"))
    datagram = b"QRP1" + nonce + aead.encrypt(nonce, json.dumps(body).encode(), b"QRP1v1")
    with pytest.raises(Refused):
        KEYS.open(datagram)


@given(st.sets(st.integers(1, 200), max_size=60))
def test_ranges_cover_exactly_the_sequence_numbers_given(seqs: set[int]) -> None:
    ranges = to_ranges(sorted(seqs))
    assert {n for n in range(1, 202) if covered(n, ranges)} == seqs
    assert all(b + 1 < c for (_, b), (c, _) in itertools.pairwise(ranges))


@given(st.floats(-3 * 3600, 3 * 3600), st.integers(1, 2**63))
def test_freshness_takes_a_message_once_and_only_near_this_clock(off: float, counter: int) -> None:
    fresh = Freshness(max_skew=900)
    message = Summary(
        kind="summary", sender="k1", epoch=EPOCH, sent=1e9 + off, counter=counter, have={}
    )
    if abs(off) > 900:
        assert fresh.check(message, 1e9) is not None
        return
    assert fresh.check(message, 1e9) is None
    assert fresh.check(message, 1e9) == "replayed"  # the same datagram again
    other = message.model_copy(update={"sender": "k2"})
    assert fresh.check(other, 1e9) is None  # counters are per sender


def test_stamps_rise_with_each_message() -> None:
    stamp = Stamper()
    counters = [stamp(5.0)[1] for _ in range(100)]
    assert counters == sorted(set(counters)) and stamp(5.0)[0] == 5.0


def stamped(counter: int, sent: float = 1e9) -> Summary:
    return Summary(kind="summary", sender="k1", epoch=EPOCH, sent=sent, counter=counter, have={})


def test_freshness_forgets_a_stamp_twice_the_skew_after_it_came_when_its_replay_is_stale() -> None:
    fresh = Freshness(max_skew=900)
    for counter in range(1, 101):
        assert fresh.check(stamped(counter), 1e9) is None
    assert len(fresh) == 100
    assert fresh.check(stamped(1), 1e9 + 899) == "replayed"  # still within the skew
    later = 1e9 + 1801
    assert fresh.check(stamped(1), later) == "stale: sealed -1801 s off this kiosk's clock"
    assert len(fresh) == 0  # forgotten: the stamp check refuses every one of them now
    assert fresh.check(stamped(101, sent=later), later) is None and len(fresh) == 1


def test_freshness_keeps_at_most_its_limit_of_stamps_the_newest() -> None:
    fresh = Freshness(max_skew=900, limit=50)
    for counter in range(1, 201):
        assert fresh.check(stamped(counter), 1e9 + counter * 0.01) is None
        assert len(fresh) <= 50
    now = 1e9 + 2.01
    assert all(fresh.check(stamped(c), now) == "replayed" for c in range(151, 201))
    # The oldest were forgotten to make room: their replay is taken (and answered like any
    # summary), the price of a bound on a flood from the venue's own kiosks.
    assert fresh.check(stamped(1), now) is None


@given(st.sets(st.integers(1, 120), max_size=50), st.sets(st.integers(1, 120), max_size=80))
def test_ranges_within_a_cover_are_exactly_those_all_of_whose_numbers_it_covers(
    ours: set[int], theirs: set[int]
) -> None:
    # What spares a door reading its records for a peer that lacks nothing.
    ranges, cover = to_ranges(sorted(ours)), to_ranges(sorted(theirs))
    assert within(ranges, cover) == ours.issubset(theirs)
