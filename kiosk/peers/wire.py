"""What peers send each other: typed messages, sealed with a key from the venue's secret."""

from __future__ import annotations

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


Message = Summary | Records


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


class Freshness:
    """Refuses a message sealed more than `max_skew` seconds off this kiosk's clock, and one
    already seen (by sender and counter) within that time: a captured datagram sent again
    gets nothing back and refreshes nothing. Entries older than twice the window are
    forgotten: by then the stamp check refuses the message anyway."""

    def __init__(self, max_skew: float, limit: int = 200_000) -> None:
        self.max_skew = max_skew
        self._limit = limit
        self._seen: dict[tuple[str, int], float] = {}  # (sender, counter) → when received

    def check(self, message: Stamped, now: float) -> str | None:
        """None for a fresh message (remembered from now on), else why it is refused."""
        off = message.sent - now
        if abs(off) > self.max_skew:
            return f"stale: sealed {off:+.0f} s off this kiosk's clock"
        key = (message.sender, message.counter)
        if key in self._seen:
            return "replayed"
        if len(self._seen) >= self._limit:
            self._forget(now)
        self._seen[key] = now
        return None

    def _forget(self, now: float) -> None:
        old = [k for k, t in self._seen.items() if now - t > 2 * self.max_skew]
        for k in old or list(self._seen)[: self._limit // 2]:
            del self._seen[k]


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


def covered(seq: int, ranges: list[tuple[int, int]]) -> bool:
    return any(a <= seq <= b for a, b in ranges)
