"""DCCs through the kiosk's CodeReader: each failure mode a reason, a good one a sealed record."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from hypothesis import given
from hypothesis import strategies as st

from checkin_protocol.dcc import CWT_EXP, CWT_IAT
from checkin_protocol.dcc_trust import read_dsc
from checkin_protocol.keys import TrustStore
from checkin_protocol.reasons import Reason
from checkin_protocol.records import CodeKind, SubjectKind
from checkin_protocol.sealing import open_sealed
from kiosk.passes import CodeReader, CodeRejected, DccSigners, looks_personal
from support.dcc_cases import DAY, NOW, Alg, bomb, good_parts, issue, make_signer

ALGS: list[Alg] = ["ES256", "PS256"]


class Sealing:
    def __init__(self, key: X25519PublicKey | None) -> None:
        self.key = key

    def sealing_key(self) -> X25519PublicKey | None:
        return self.key


def reader(*signers: object, seal: X25519PublicKey | None = None) -> CodeReader:
    dscs = [read_dsc(s.der, now=0) for s in signers]  # type: ignore[attr-defined]
    return CodeReader(trust=TrustStore([]), sealing=Sealing(seal), dcc_signers=DccSigners(dscs))


def reason_of(r: CodeReader, text: str, now: float = NOW) -> Reason:
    with pytest.raises(CodeRejected) as info:
        r.read(text.encode(), now)
    assert info.value.kind is CodeKind.DCC
    return info.value.reason


@pytest.mark.parametrize("alg", ALGS)
def test_good_dcc_is_verified_with_masked_name_and_birth_year(alg: Alg) -> None:
    signer = make_signer(alg)
    text = issue(signer)
    assert looks_personal(text.encode())
    code = reader(signer).read(text.encode(), NOW)
    assert code.kind is CodeKind.DCC and code.verified
    assert code.masked_name == "Smi-Jansen E** M"
    assert code.birth_year == 1964
    assert code.subject is None  # no registry, no sealing key: nothing that names the person
    assert code.dcc is not None and code.dcc.kind == "v"


def test_subject_is_sealed_and_the_same_person_opens_to_the_same_identity() -> None:
    private = X25519PrivateKey.generate()
    signer = make_signer("ES256")
    r = reader(signer, seal=private.public_key())
    first = r.read(issue(signer).encode(), NOW).subject
    second = r.read(issue(signer, kind="t").encode(), NOW).subject
    assert first is not None and second is not None
    assert first.kind is SubjectKind.SEALED and first != second  # unlinkable on the kiosk
    opened = {open_sealed([private], first), open_sealed([private], second)}
    assert len(opened) == 1 and next(iter(opened)).startswith("dcc:")


@pytest.mark.parametrize("alg", ALGS)
def test_each_failure_mode_has_its_reason(alg: Alg) -> None:
    signer = make_signer(alg)
    r = reader(signer)
    # bad signature: the signature of another message under the same kid
    parts = good_parts(signer)
    parts.signature = bytes(64 if alg == "ES256" else 256)
    assert reason_of(r, issue(signer, parts)) is Reason.BAD_SIGNATURE
    # unknown signer
    assert reason_of(reader(), issue(signer)) is Reason.UNKNOWN_ISSUER
    # expired and issued in the future
    assert reason_of(r, issue(signer), NOW + 200 * DAY) is Reason.DCC_EXPIRED
    future = good_parts(signer, iat=NOW + 2 * DAY)
    assert reason_of(r, issue(signer, future)) is Reason.NOT_YET_VALID
    # key usage: a DSC for tests only signs a vaccination certificate
    tests_only = make_signer(alg, ("t",))
    assert reason_of(reader(tests_only), issue(tests_only)) is Reason.KEY_USAGE
    # a DSC outside its own validity
    old = make_signer(alg, valid_from=NOW - 400 * DAY, valid_until=NOW - DAY)
    assert reason_of(reader(old), issue(old)) is Reason.EXPIRED
    # malformed: claims without exp
    parts = good_parts(signer)
    del parts.claims[CWT_EXP]
    assert reason_of(r, issue(signer, parts)) is Reason.MALFORMED
    assert CWT_IAT in parts.claims


def test_bomb_and_oversized_text_are_refused() -> None:
    r = reader(make_signer("ES256"))
    assert reason_of(r, bomb()) is Reason.MALFORMED
    with pytest.raises(CodeRejected) as info:
        r.read(b"HC1:" + b"0" * 5000, NOW)
    assert info.value.reason is Reason.MALFORMED and info.value.kind is CodeKind.DCC


@given(
    extra=st.integers(1, 5000),
    head=st.binary(max_size=100),
    fill=st.sampled_from([b"0", b"A", b" ", b"\xff", b"\n"]),
)
def test_an_hc1_text_longer_than_a_qr_code_is_a_malformed_dcc(
    extra: int, head: bytes, fill: bytes
) -> None:
    body = (head + fill * (4292 + extra))[: 4292 + extra]  # HC1: and this: 4296 + extra
    with pytest.raises(CodeRejected) as info:
        reader(make_signer("ES256")).read(b"HC1:" + body, NOW)
    assert info.value.reason is Reason.MALFORMED and info.value.kind is CodeKind.DCC
    assert "a QR code holds 4296" in info.value.detail


def test_registry_signers_join_the_configured_ones() -> None:
    local, remote = make_signer("ES256"), make_signer("ES256", key_index=1)
    signers = DccSigners([read_dsc(local.der, now=0)])
    r = CodeReader(trust=TrustStore([]), dcc_signers=signers)
    assert reason_of(r, issue(remote)) is Reason.UNKNOWN_ISSUER
    signers.set_remote([read_dsc(remote.der, now=0)])
    assert r.read(issue(remote).encode(), NOW).verified
    assert r.read(issue(local).encode(), NOW).verified
    assert len(signers) == 2
