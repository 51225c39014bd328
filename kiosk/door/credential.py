"""The card number a decision sends to the building's panel, and its Wiegand bits."""

from __future__ import annotations

from dataclasses import dataclass

from checkin_protocol.records import Verdict
from kiosk.config import CredentialConfig
from kiosk.decision.outcome import Outcome


@dataclass(frozen=True)
class Credential:
    """What the panel is shown: a facility code and a card number, as an enrolled card."""

    facility: int
    number: int
    granted: bool  # False: the configured "denied" number, sent for a FAIL


def credential_for(cfg: CredentialConfig, outcome: Outcome) -> Credential | None:
    """The credential for a recorded decision, or None when nothing is to be sent: a decision
    that was not recorded, a FAIL without a "denied" number, a PASS no mapping names."""
    if outcome.error:
        return None  # not recorded: the screen said "cannot record entries", the door stays shut
    decision = outcome.decision
    if decision.verdict is not Verdict.PASS:
        return None if cfg.denied is None else Credential(cfg.facility, cfg.denied, False)
    code = decision.code
    number: int | None = None
    if code is not None and code.subject is not None:
        number = cfg.by_pass.get(str(code.subject))
    if number is None and code is not None and code.category is not None:
        number = cfg.by_category.get(code.category)
    if number is None:
        number = cfg.fixed
    return None if number is None else Credential(cfg.facility, number, True)


def wiegand_bits(credential: Credential, bits: int) -> list[int]:
    """The frame, first bit sent first: HID H10301 (26 bit: even parity, 8-bit facility,
    16-bit number, odd parity) or H10306 (34 bit: the same with a 16-bit facility). Each
    parity bit covers its half of the data bits (HID, "Understanding Card Data Formats")."""
    if bits == 26:
        facility_bits = 8
    elif bits == 34:
        facility_bits = 16
    else:
        raise ValueError(f"no Wiegand format of {bits} bits")
    if not 0 <= credential.facility < 1 << facility_bits:
        raise ValueError(f"facility {credential.facility} does not fit {bits} bits")
    if not 0 <= credential.number <= 0xFFFF:
        raise ValueError(f"card number {credential.number} does not fit 16 bits")
    width = facility_bits + 16
    value = credential.facility << 16 | credential.number
    data = [(value >> (width - 1 - i)) & 1 for i in range(width)]
    half = width // 2
    even = sum(data[:half]) % 2  # makes the first half, with it, even
    odd = 1 - sum(data[half:]) % 2  # makes the second half, with it, odd
    return [even, *data, odd]


def wiegand_bytes(credential: Credential, bits: int) -> bytes:
    """The frame packed most significant bit first, padded with zeros (OSDP's raw card data)."""
    frame = wiegand_bits(credential, bits)
    padded = frame + [0] * (-len(frame) % 8)
    return bytes(int("".join(map(str, padded[i : i + 8])), 2) for i in range(0, len(padded), 8))
