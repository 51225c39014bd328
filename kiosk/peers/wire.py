"""What peers send each other: typed messages, sealed with a key from the venue's secret."""

from __future__ import annotations

import collections
import hashlib
import hmac
import json
import os
import time
from typing import Annotated, Literal

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from checkin_protocol.records import IDENTIFIER_PATTERN, Direction, Verdict
from checkin_protocol.times import ISO_MS_PATTERN

MAGIC = b"QRP1"  # the format: a datagram that does not start so is not ours
NONCE_BYTES = 12
MAX_DATAGRAM = 65507  # the largest UDP payload over IPv4
# Records per datagram: small enough to fit one Ethernet frame (no IP fragments to lose).
RECORDS_PER_DATAGRAM = 6
MAX_ORIGINS = 64
MAX_RANGES = 256

Identifier = Annotated[str, Field(pattern=IDENTIFIER_PATTERN)]
Seq = Annotated[int, Field(ge=1, le=2**62)]
# A door's database, by a random id chosen when it was created: a door whose database was
# replaced counts its sequence numbers from 1 again, under a new epoch.
EPOCH_PATTERN = r"^[0-9a-f]{16}$"
Epoch = Annotated[str, Field(pattern=EPOCH_PATTERN)]
# What a summary's ranges are of: one door's database, "kiosk/epoch".
Origin = Annotated[str, Field(pattern=IDENTIFIER_PATTERN[:-1] + "/[0-9a-f]{16}$")]


def origin(kiosk: str, epoch: str) -> str:
    return f"{kiosk}/{epoch}"


class Refused(Exception):
    """A datagram that is not a genuine message of this venue's kiosks."""


class PeerRecord(BaseModel):
    """A decision as peers need it: which record, whose door, which way, when, and a keyed
    tag of the subject for anti-passback. No name, no subject in clear."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[0-9a-f-]{36}$", description="The record's id (UUID4).")
    kiosk: Identifier = Field(description="The door that recorded it.")
    epoch: Epoch = Field(description="That door's database (its sequence numbers' series).")
    seq: Seq = Field(description="Its sequence number in that database (gapless).")
    direction: Direction
    verdict: Verdict
    time: str = Field(pattern=ISO_MS_PATTERN, description="When, on that door's clock (UTC).")
    tag: str | None = Field(
        None, pattern=r"^[0-9a-f]{32}$", description="Keyed hash of the subject, or none."
    )
    name: str | None = Field(
        None,
        max_length=64,
        pattern=r"^[^\x00-\x1f\x7f-\x9f]+$",
        description="The name as masked on that door's screen (`Nguyễn V** A`), for the roll "
        "call; a door before the roll call sends none.",
    )


Range = tuple[Seq, Seq]


class Stamped(BaseModel):
    """Every message says when its sender sealed it and which of its messages it is: a
    receiver refuses a stale one and one it has seen (a datagram captured and sent again)."""

    model_config = ConfigDict(extra="forbid")

    sender: Identifier
    epoch: Epoch = Field(description="The sender's database: two kiosks sharing an id differ.")
    sent: float = Field(ge=0, le=1e11, description="The sender's clock when sealed (Unix s).")
    counter: int = Field(
        ge=1, le=2**63, description="Per sender, rising with each message (from its clock)."
    )


class Summary(Stamped):
    """What the sender has, per door's database, as ranges of sequence numbers: the receiver
    answers with the records it has that the sender does not."""

    kind: Literal["summary"]
    have: dict[Origin, Annotated[list[Range], Field(max_length=MAX_RANGES)]] = Field(
        max_length=MAX_ORIGINS
    )


class Records(Stamped):
    kind: Literal["records"]
    records: list[PeerRecord] = Field(max_length=RECORDS_PER_DATAGRAM * 4)


# Whom a mark is of, as the roll call keys people: the keyed tag of their subject, or the
# record of an entry that no exit can match (a guard's admit without a code).
PERSON_PATTERN = r"^(tag:[0-9a-f]{32}|record:[0-9a-f-]{36})$"
MARKS_PER_DATAGRAM = 20


class Mark(BaseModel):
    """A guard's tick on the roll call during an evacuation: this person is accounted for.
    Kept like a decision: who marked, at which door, when."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[0-9a-f-]{36}$", description="The mark's id (UUID4).")
    person: str = Field(pattern=PERSON_PATTERN, description="Whom: the roll call's key.")
    kiosk: Identifier = Field(description="The door where it was marked.")
    time: str = Field(pattern=ISO_MS_PATTERN, description="When, on that door's clock (UTC).")
    by: str = Field(
        min_length=1, max_length=64, pattern=r"^[^\x00-\x1f\x7f-\x9f]+$",
        description="Who marked: the guard's name as typed.",
    )  # fmt: skip


class Marks(Stamped):
    """Every mark of the day the sender holds, its own and those heard: resent each interval,
    so a door cut off during an evacuation has them all once it is back."""

    kind: Literal["marks"]
    marks: list[Mark] = Field(max_length=MARKS_PER_DATAGRAM)


Message = Summary | Records | Marks


class _Envelope(BaseModel):
    message: Annotated[Message, Field(discriminator="kind")]


class VenueKeys:
    """Two keys from the venue's shared secret (HKDF): one seals messages, one tags subjects.

    Messages are encrypted and authenticated (ChaCha20-Poly1305) with the venue's id bound in,
    so a kiosk of another venue with another secret, or anyone on the LAN, can neither read
    nor forge them. Replays are the receiver's to refuse (`Freshness`).
    """

    def __init__(self, secret: bytes, venue_id: str) -> None:
        self._aad = MAGIC + venue_id.encode()
        self._aead = ChaCha20Poly1305(self._derive(secret, b"seal|" + venue_id.encode()))
        self._tag_key = self._derive(secret, b"subject|" + venue_id.encode())

    @staticmethod
    def _derive(secret: bytes, info: bytes) -> bytes:
        kdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"qr-kiosk peers", info=info)
        return kdf.derive(secret)

    def tag(self, subject: str) -> str:
        """The same subject gives the same tag at every door of the venue, and nothing else."""
        return hmac.new(self._tag_key, subject.encode(), hashlib.sha256).hexdigest()[:32]

    def seal(self, message: Message) -> bytes:
        nonce = os.urandom(NONCE_BYTES)
        body = message.model_dump_json().encode()
        return MAGIC + nonce + self._aead.encrypt(nonce, body, self._aad)

    def open(self, datagram: bytes) -> Message:
        """The message in a datagram; Refused for anything not sealed by this venue's kiosks."""
        if len(datagram) > MAX_DATAGRAM or not datagram.startswith(MAGIC):
            raise Refused("not a peer message")
        nonce = datagram[len(MAGIC) : len(MAGIC) + NONCE_BYTES]
        try:
            body = self._aead.decrypt(nonce, datagram[len(MAGIC) + NONCE_BYTES :], self._aad)
        except (InvalidTag, ValueError) as exc:
            raise Refused("not sealed with this venue's key") from exc
        try:
            return _Envelope.model_validate({"message": json.loads(body)}).message
        except (ValidationError, ValueError) as exc:
            # Sealed with the venue's key but not a message this kiosk understands.
            raise Refused(f"malformed message: {str(exc).splitlines()[0][:200]}") from exc


# Stamps remembered at most. A peer's summaries come every `interval` and, while records flow,
# every 50 ms (the catch-up): 20 messages a second from each of two peers for the whole
# window (twice the skew, 30 minutes) would be 72,000; a door's real rate is a few a second.
# Past the bound the oldest stamp is forgotten: a replay of it within the skew is answered
# as a summary would be (records the sender lacks: nothing it can read, nothing counted
# twice, since records are kept by id).
MAX_STAMPS = 32_768


class Freshness:
    """Refuses a message sealed more than `max_skew` seconds off this kiosk's clock, and one
    already seen (by sender and counter) within that time: a captured datagram sent again
    gets nothing back and refreshes nothing. A stamp is kept for twice the window after it
    was received, since by then the stamp check refuses the message anyway; and at most
    `limit` stamps are kept, the oldest forgotten first."""

    def __init__(self, max_skew: float, limit: int = MAX_STAMPS) -> None:
        self.max_skew = max_skew
        self._limit = limit
        # hash((sender, counter)) → when received, in the order received: the oldest first.
        # The hash, not the pair: a third of the memory (no tuple, no copy of the sender's
        # id per message). Two stamps sharing a 64-bit hash (odds ~1e-10 at the bound) would
        # only refuse the second as replayed, and the anti-entropy sends its content again.
        self._seen: collections.OrderedDict[int, float] = collections.OrderedDict()

    def __len__(self) -> int:
        return len(self._seen)

    def check(self, message: Stamped, now: float) -> str | None:
        """None for a fresh message (remembered from now on), else why it is refused."""
        self._forget(now)
        off = message.sent - now
        if abs(off) > self.max_skew:
            return f"stale: sealed {off:+.0f} s off this kiosk's clock"
        key = hash((message.sender, message.counter))
        if key in self._seen:
            return "replayed"
        if len(self._seen) >= self._limit:
            self._seen.popitem(last=False)
        self._seen[key] = now
        return None

    def _forget(self, now: float) -> None:
        # From the oldest: each stamp is looked at once more when it goes, so a check costs
        # what it removes. A clock set back leaves newer stamps first; the bound still holds.
        horizon = now - 2 * self.max_skew
        seen = self._seen
        while seen:
            oldest = next(iter(seen.values()))
            if oldest >= horizon:
                break
            seen.popitem(last=False)


class Stamper:
    """A sender's stamps: its clock and a counter that rises with each message, started from
    the clock in nanoseconds so a restarted kiosk does not reuse counters."""

    def __init__(self) -> None:
        self._counter = 0

    def __call__(self, now: float) -> tuple[float, int]:
        self._counter = max(self._counter + 1, time.time_ns())
        return now, self._counter


def to_ranges(seqs: list[int]) -> list[tuple[int, int]]:
    """Sorted sequence numbers → inclusive ranges: [1, 2, 3, 7] → [(1, 3), (7, 7)]."""
    ranges: list[tuple[int, int]] = []
    for n in seqs:
        if ranges and n == ranges[-1][1] + 1:
            ranges[-1] = (ranges[-1][0], n)
        elif not ranges or n > ranges[-1][1]:
            ranges.append((n, n))
    return ranges


def within(ranges: list[tuple[int, int]], cover: list[tuple[int, int]]) -> bool:
    """Every number of `ranges` is in one range of `cover` (a sender's ranges are merged, as
    `to_ranges` makes them; unmerged ones only make this answer False, never wrongly True)."""
    return all(any(c <= a and b <= d for c, d in cover) for a, b in ranges)


def covered(seq: int, ranges: list[tuple[int, int]]) -> bool:
    return any(a <= seq <= b for a, b in ranges)
