"""Wiegand out on recording mock pins, read back by the decoder in support/wiegand.py, which
is written from SIA AC-01-1996.10 and HID's H10301/H10306 layouts (cited there)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from gpiozero.pins.mock import MockFactory
from hypothesis import given, settings
from hypothesis import strategies as st

from checkin_protocol.records import Subject, Verdict
from kiosk.config import CredentialConfig, DoorConfig, WiegandConfig
from kiosk.decision.outcome import Outcome
from kiosk.door.credential import Credential, credential_for, wiegand_bits
from kiosk.door.wiegand import FRAME_GAP, WiegandOut
from kiosk.passes import CodeKind, PersonalCode
from kiosk.policy.engine import Decision
from support.timing import wait_for
from support.wiegand import BadFrame, EdgePin, decode, frames, gaps_ns


@pytest.fixture
def pins() -> Iterator[MockFactory]:
    factory = MockFactory(pin_class=EdgePin)
    yield factory
    factory.reset()


def outcome(
    verdict: Verdict = Verdict.PASS,
    *,
    category: str | None = None,
    subject: Subject | None = None,
    error: str | None = None,
) -> Outcome:
    code = PersonalCode(CodeKind.SIGNED_PASS, True, subject, "N*** A", category=category)
    return Outcome(Decision(verdict, None, code), None, 1.0, error=error)


def test_the_decoder_refuses_a_frame_with_one_bit_changed() -> None:
    # The check the other tests rely on: a decoder that accepted anything would prove nothing.
    bits = wiegand_bits(Credential(18, 4242, True), 26)
    assert decode(bits) == (18, 4242)
    for i in range(26):
        flipped = bits.copy()
        flipped[i] ^= 1
        with pytest.raises(BadFrame, match="parity"):
            decode(flipped)


def test_a_known_26_bit_frame() -> None:
    # Facility 1, card 1 in H10301: E 00000001 0000000000000001 O, worked by hand:
    # first half (00000001 0000) has one 1, so even parity is 1; second half has one 1, odd is 0.
    assert wiegand_bits(Credential(1, 1, True), 26) == [1] + [0] * 7 + [1] + [0] * 15 + [1, 0]


@settings(max_examples=300, deadline=None)
@given(
    bits=st.sampled_from([26, 34]),
    facility=st.integers(0, 0xFFFF),
    number=st.integers(0, 0xFFFF),
)
def test_every_credential_encodes_to_a_frame_the_decoder_reads(
    bits: int, facility: int, number: int
) -> None:
    if bits == 26:
        facility &= 0xFF
    assert decode(wiegand_bits(Credential(facility, number, True), bits)) == (facility, number)


@pytest.mark.parametrize("bits", [26, 34])
def test_frames_on_the_lines_decode_with_the_configured_timing(
    pins: MockFactory, bits: int
) -> None:
    cfg = WiegandConfig(data0=5, data1=6, bits=bits, pulse_us=50, interval_us=1000)
    sent = [Credential(200, 1, True), Credential(7, 65535, True), Credential(0, 0, True)]
    if bits == 34:
        sent.append(Credential(65535, 12345, True))
    with WiegandOut(cfg, CredentialConfig(), pin_factory=pins) as out:
        d0, d1 = pins.pin(5), pins.pin(6)
        assert (d0.state, d1.state) == (True, True)  # idle high from the start
        for c in sent:
            out.send(c)
        assert wait_for(lambda: out.sent == len(sent))
    got = frames(d0, d1, bits)
    assert [decode(f.bits) for f in got] == [(c.facility, c.number) for c in sent]
    for f in got:
        assert len(f.bits) == bits
        # Lower bounds only: the sender waits from after each write, so these hold however
        # loaded the machine is; how close to the figures it stays is measured, not asserted.
        assert min(f.widths_ns) >= 50_000
        assert min(f.periods_ns) >= 1_000_000
    assert min(gaps_ns(got)) >= FRAME_GAP * 1e9  # a panel ends a frame after a silence
    assert (d0.state, d1.state) == (True, True)


def test_an_inverted_drive_pulses_high(pins: MockFactory) -> None:
    cfg = WiegandConfig(data0=5, data1=6, inverted=True, interval_us=200)
    with WiegandOut(cfg, CredentialConfig(), pin_factory=pins) as out:
        d0, d1 = pins.pin(5), pins.pin(6)
        assert (d0.state, d1.state) == (False, False)
        out.send(Credential(3, 99, True))
        assert wait_for(lambda: out.sent == 1)
    # Read as the panel's side of the transistors sees it: the levels inverted.
    for pin in (d0, d1):
        pin.stamped = [(t, not level) for t, level in pin.stamped]
    (frame,) = frames(d0, d1, 26)
    assert decode(frame.bits) == (3, 99)


def test_decisions_map_to_numbers_per_pass_then_category_then_fixed() -> None:
    vip = Subject.parse("pass:" + "ab" * 16)
    cfg = CredentialConfig(
        facility=12,
        by_pass={str(vip): 7},
        by_category={"staff": 100, "visitor": 200},
        fixed=999,
    )
    assert credential_for(cfg, outcome(subject=vip, category="staff")) == Credential(12, 7, True)
    assert credential_for(cfg, outcome(category="visitor")) == Credential(12, 200, True)
    assert credential_for(cfg, outcome(category="contractor")) == Credential(12, 999, True)
    assert credential_for(cfg, outcome()) == Credential(12, 999, True)
    # A FAIL sends nothing without a "denied" number; a decision not recorded never sends.
    assert credential_for(cfg, outcome(Verdict.FAIL)) is None
    assert credential_for(cfg, outcome(error="disk full")) is None
    denied = cfg.model_copy(update={"denied": 1})
    assert credential_for(denied, outcome(Verdict.FAIL)) == Credential(12, 1, False)
    assert credential_for(denied, outcome(error="disk full")) is None
    unmapped = CredentialConfig(by_category={"staff": 100})
    assert credential_for(unmapped, outcome(category="visitor")) is None


def test_only_mapped_decisions_reach_the_lines(pins: MockFactory) -> None:
    cfg = WiegandConfig(data0=5, data1=6, interval_us=200)
    mapping = CredentialConfig(facility=9, by_category={"staff": 321}, denied=13)
    with WiegandOut(cfg, mapping, pin_factory=pins) as out:
        for o in (outcome(category="visitor"), outcome(category="staff"), outcome(Verdict.FAIL)):
            out.offer(o)
        assert wait_for(lambda: out.sent == 2)
    assert [decode(f.bits) for f in frames(pins.pin(5), pins.pin(6), 26)] == [(9, 321), (9, 13)]


@pytest.mark.parametrize(
    ("door", "message"),
    [
        ({"wiegand": {"data0": 5, "data1": 5}}, "different pins"),
        ({"wiegand": {"data0": 5, "data1": 6, "pulse_us": 5}}, "greater than or equal to 20"),
        ({"wiegand": {"data0": 5, "data1": 6, "interval_us": 100}}, "greater than or equal"),
        (
            {"wiegand": {"data0": 5, "data1": 6}, "credential": {"facility": 256}},
            "wiegand.bits: 34",
        ),
        ({"credential": {"fixed": 65536}}, "less than or equal to 65535"),
        ({"credential": {"by_pass": {"someone": 1}}}, "pattern"),
    ],
)
def test_impossible_wiegand_settings_are_refused(door: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        DoorConfig.model_validate(door)
    if "wiegand" in door and door.get("credential", {}).get("facility") == 256:
        door["wiegand"]["bits"] = 34
        assert DoorConfig.model_validate(door).credential.facility == 256
