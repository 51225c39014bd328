"""EU Digital COVID Certificates: each way a DCC must be refused, and what a good one yields."""

from __future__ import annotations

import base64
import contextlib
import json
import tracemalloc
import zlib
from pathlib import Path

import base45
import cbor2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from checkin_protocol.dcc import (
    CWT_EXP,
    CWT_IAT,
    CWT_ISS,
    DEFAULT_SKEW,
    MAX_COSE,
    DccCertificate,
    DccReason,
    DccRejected,
    HashType,
    Vaccination,
    _inflate,
    verify_dcc,
)
from checkin_protocol.dcc_trust import DccTrust, DccTrustError, dsc_kid, read_dsc
from support.dcc_cases import (
    CWT_TAGS,
    DAY,
    NOW,
    Alg,
    Signer,
    bomb,
    cose_bytes,
    good_parts,
    issue,
    kid_unprotected_only,
    make_signer,
    to_text,
    unsupported_key_der,
    with_tags,
    zlib_bomb,
)

ES = make_signer("ES256")
PS = make_signer("PS256")


def trust_of(*signers: Signer) -> DccTrust:
    trust = DccTrust()
    for s in signers:
        trust.add_der(s.der, now=NOW)
    return trust


def reason(text: str, trust: DccTrust, now: int = NOW) -> DccReason:
    with pytest.raises(DccRejected) as err:
        verify_dcc(text, trust, now)
    return err.value.reason


@pytest.mark.parametrize("signer", [ES, PS], ids=["ES256", "PS256"])
@pytest.mark.parametrize("kind", ["v", "t", "r"])
def test_a_good_certificate_of_each_kind_is_read(signer: Signer, kind: str) -> None:
    cert = verify_dcc(issue(signer, kind=kind), trust_of(signer), NOW)
    assert isinstance(cert, DccCertificate)
    assert (cert.kind, cert.issuer, cert.algorithm, cert.kid) == (
        kind,
        "NL",
        signer.alg,
        signer.kid,
    )
    assert cert.names.fnt == "SMI<JANSEN" and cert.names.gn == "Erika Mária"
    assert cert.dob == "1964-08-12" and cert.birth_year == 1964
    assert cert.entry.ci.startswith("URN:UVCI:01:NL:")


def test_vaccination_fields_are_typed() -> None:
    cert = verify_dcc(issue(ES), trust_of(ES), NOW)
    assert isinstance(cert.entry, Vaccination)
    assert (cert.entry.dn, cert.entry.sd, cert.entry.mp, cert.entry.is_) == (
        2, 2, "EU/1/20/1528", "Ministry of Health",
    )  # fmt: skip


@pytest.mark.parametrize("tags", CWT_TAGS, ids=["untagged", "cose", "cwt+cose"])
def test_cose_with_or_without_its_tags_is_read(tags: tuple[int, ...]) -> None:
    assert verify_dcc(issue(ES, with_tags(ES, tags)), trust_of(ES), NOW).kind == "v"


def test_kid_in_the_unprotected_header_only_is_used() -> None:
    assert verify_dcc(issue(ES, kid_unprotected_only(ES)), trust_of(ES), NOW).kind == "v"


def test_protected_kid_wins_over_a_wrong_unprotected_one() -> None:
    parts = good_parts(ES)
    parts.unprotected = {4: b"\x00" * 8}
    assert verify_dcc(issue(ES, parts), trust_of(ES), NOW).kind == "v"


def test_wrong_protected_kid_is_not_saved_by_a_right_unprotected_one() -> None:
    parts = good_parts(ES)
    parts.unprotected = {4: parts.header[4]}
    parts.header[4] = b"\x00" * 8
    assert reason(issue(ES, parts), trust_of(ES)) is DccReason.UNKNOWN_ISSUER


def test_bad_signature() -> None:
    good = cbor2.loads(cose_bytes(ES, good_parts(ES))).value[3]
    assert isinstance(good, bytes)
    parts = good_parts(ES)
    parts.signature = bytes([good[0] ^ 1]) + good[1:]
    assert reason(issue(ES, parts), trust_of(ES)) is DccReason.BAD_SIGNATURE


def test_signed_by_another_key_with_the_same_kid_is_a_bad_signature() -> None:
    other = make_signer("ES256", key_index=1)
    parts = good_parts(ES)  # names ES's kid, signed with the other key
    assert reason(issue(other, parts), trust_of(ES)) is DccReason.BAD_SIGNATURE


def test_unknown_kid() -> None:
    other = make_signer("ES256", key_index=2)
    assert reason(issue(other), trust_of(ES)) is DccReason.UNKNOWN_ISSUER


def test_an_rsa_signer_cannot_be_claimed_as_es256() -> None:
    parts = good_parts(PS)
    parts.header[1] = -7
    assert reason(issue(PS, parts), trust_of(PS)) is DccReason.BAD_SIGNATURE


def test_expired_dsc_is_refused_at_import_and_at_verification() -> None:
    old = make_signer("ES256", valid_from=NOW - 400 * DAY, valid_until=NOW - DAY)
    with pytest.raises(DccTrustError, match="expired"):
        trust_of(old)
    trust = DccTrust()
    trust.add_der(old.der, now=NOW - 2 * DAY)
    assert reason(issue(old, good_parts(old, iat=NOW - 10 * DAY)), trust) is DccReason.EXPIRED


def test_dsc_not_yet_valid() -> None:
    early = make_signer("ES256", valid_from=NOW + DAY, valid_until=NOW + 400 * DAY)
    assert reason(issue(early), trust_of(early)) is DccReason.NOT_YET_VALID


@pytest.mark.parametrize("variant", [False, True], ids=["oid", "oid-variant"])
@pytest.mark.parametrize(
    ("allowed", "kind", "ok"),
    [(("v",), "v", True), (("t",), "v", False), (("v",), "r", False), (("t", "r"), "r", True)],
)
def test_extended_key_usage_limits_the_kind(
    variant: bool, allowed: tuple[str, ...], kind: str, ok: bool
) -> None:
    signer = make_signer("ES256", allowed, variant_oids=variant)
    text = issue(signer, kind=kind)
    if ok:
        assert verify_dcc(text, trust_of(signer), NOW).kind == kind
    else:
        assert reason(text, trust_of(signer)) is DccReason.KEY_USAGE


def test_exp_passed() -> None:
    parts = good_parts(ES)
    parts.claims[CWT_EXP] = NOW - 1
    assert reason(issue(ES, parts), trust_of(ES)) is DccReason.DCC_EXPIRED


def test_iat_in_the_future_beyond_the_skew() -> None:
    parts = good_parts(ES, iat=NOW + DEFAULT_SKEW + 1)
    assert reason(issue(ES, parts), trust_of(ES)) is DccReason.NOT_YET_VALID
    within = good_parts(ES, iat=NOW + DEFAULT_SKEW - 1)
    assert verify_dcc(issue(ES, within), trust_of(ES), NOW).kind == "v"


@pytest.mark.parametrize(
    "change",
    [
        lambda d: d.update(t=d["v"]),  # two kinds
        lambda d: d.pop("v"),  # none
        lambda d: d["v"].append(d["v"][0]),  # two entries
        lambda d: d.update(v=[]),  # no entry
        lambda d: d.update(v=d["v"][0]),  # a map, not a list
    ],
    ids=["v+t", "none", "two-entries", "empty-list", "not-a-list"],
)
def test_not_exactly_one_entry_is_malformed(change: object) -> None:
    parts = good_parts(ES)
    change(parts.dcc)  # type: ignore[operator]
    assert reason(issue(ES, parts), trust_of(ES)) is DccReason.MALFORMED


@pytest.mark.parametrize(
    "text",
    [
        "KP1:" + issue(ES)[4:],
        "HC2:" + issue(ES)[4:],
        issue(ES)[4:],
        "HC1:" + issue(ES)[4:].lower(),
        "HC1:" + "A" * 5000,
        "HC1:AAAA",  # valid alphabet, not valid base45 (overflows)
        "",
    ],
    ids=["kp1", "hc2", "no-prefix", "lowercase", "too-long", "bad-base45", "empty"],
)
def test_envelope_errors_are_malformed(text: str) -> None:
    assert reason(text, trust_of(ES)) is DccReason.MALFORMED


def test_truncated_zlib_is_malformed() -> None:
    data = zlib.compress(cose_bytes(ES, good_parts(ES)))
    text = "HC1:" + base45.b45encode(data[:-10]).decode()
    assert reason(text, trust_of(ES)) is DccReason.MALFORMED


def test_uncompressed_cose_is_malformed() -> None:
    assert reason(to_text(cose_bytes(ES, good_parts(ES)), compress=False), trust_of(ES)) is (
        DccReason.MALFORMED
    )


def test_trailing_bytes_after_zlib_are_malformed() -> None:
    data = zlib.compress(cose_bytes(ES, good_parts(ES))) + b"\x00"
    assert reason("HC1:" + base45.b45encode(data).decode(), trust_of(ES)) is DccReason.MALFORMED


def test_decompression_bomb_is_refused_with_bounded_memory() -> None:
    text = bomb()
    assert len(text) <= 4296  # it fits a QR code
    tracemalloc.start()
    try:
        with pytest.raises(DccRejected, match="inflates beyond") as err:
            verify_dcc(text, trust_of(ES), NOW)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert err.value.reason is DccReason.MALFORMED
    assert peak < 2 * 1024 * 1024


def test_inflate_stops_at_its_limit_whatever_the_stream() -> None:
    data = zlib_bomb(200 * 1024 * 1024)  # 200 MB of zeros, never held as such
    tracemalloc.start()
    try:
        with pytest.raises(DccRejected):
            _inflate(data)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 4 * MAX_COSE + len(data) + 1024 * 1024


def test_revocation_hashes() -> None:
    cert = verify_dcc(issue(ES), trust_of(ES), NOW)
    import hashlib

    def h(data: bytes) -> str:
        return base64.b64encode(hashlib.sha256(data).digest()[:16]).decode()

    ci = cert.entry.ci
    assert cert.uvci_hash() == cert.uvci_hash(HashType.UCI) == h(ci.encode())
    assert cert.uvci_hash(HashType.COUNTRYCODEUCI) == h(("NL" + ci).encode())
    assert cert.uvci_hash(HashType.SIGNATURE) == h(cert.signature[:32])
    rsa_cert = verify_dcc(issue(PS), trust_of(PS), NOW)
    assert rsa_cert.uvci_hash(HashType.SIGNATURE) == h(rsa_cert.signature)
    assert len(base64.b64decode(cert.uvci_hash())) == 16


def test_identity_is_the_same_across_certificates_of_one_person() -> None:
    vacc = verify_dcc(issue(ES, kind="v"), trust_of(ES), NOW)
    test = good_parts(ES, "t")
    test.dcc["nam"] = {**test.dcc["nam"], "fnt": "SMI-JANSEN", "gnt": "ERIKA MARIA", "fn": "x"}
    other = verify_dcc(issue(ES, test), trust_of(ES), NOW)
    assert vacc.identity_key_material() == other.identity_key_material()
    sibling = good_parts(ES)
    sibling.dcc["dob"] = "1966-01-01"
    third = verify_dcc(issue(ES, sibling), trust_of(ES), NOW)
    assert third.identity_key_material() != vacc.identity_key_material()
    assert b"SMI<JANSEN" in vacc.identity_key_material()


def test_trust_list_json_in_both_gateway_forms(tmp_path: Path) -> None:
    old = make_signer("ES256", valid_from=NOW - 400 * DAY, valid_until=NOW - DAY)

    def row(s: Signer, field: str) -> dict[str, str]:
        return {
            "kid": base64.b64encode(s.kid).decode(),
            field: base64.b64encode(s.der).decode(),
            "country": "XX",
        }

    bare = json.dumps([row(ES, "rawData"), row(PS, "certificate"), row(old, "rawData")])
    trust = DccTrust()
    added, skipped = trust.add_trust_list(bare, now=NOW)
    assert {d.kid for d in added} == {ES.kid, PS.kid} and len(skipped) == 1
    assert "expired" in skipped[0]
    wrapped = json.dumps({"certificates": [row(ES, "rawData")]})
    assert DccTrust().add_trust_list(wrapped, now=NOW)[0][0].kid == ES.kid
    assert verify_dcc(issue(PS), trust, NOW).algorithm == "PS256"


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ("{", "not valid JSON"),
        ('{"x": 1}', "certificates"),
        ('[{"kid": "AAAAAAAAAAA=", "rawData": "!!"}]', "base64"),
        ('[{"kid": "AAAAAAAAAAA=", "rawData": "AAAA"}]', "X.509"),
        ("[1]", "not an object"),
    ],
)
def test_malformed_trust_lists_are_refused_clearly(document: str, message: str) -> None:
    with pytest.raises(DccTrustError, match=message):
        DccTrust().add_trust_list(document, now=NOW)


def test_trust_list_kid_must_match_the_certificate() -> None:
    row = {
        "kid": base64.b64encode(b"\x01" * 8).decode(),
        "rawData": base64.b64encode(ES.der).decode(),
    }
    with pytest.raises(DccTrustError, match="not the certificate's"):
        DccTrust().add_trust_list(json.dumps([row]), now=NOW)


def test_pem_and_der_files_and_folders(tmp_path: Path) -> None:
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding

    pem = x509.load_der_x509_certificate(PS.der).public_bytes(Encoding.PEM)
    (tmp_path / "a.pem").write_bytes(pem)
    (tmp_path / "b.der").write_bytes(ES.der)
    (tmp_path / "notes.txt").write_text("ignored")
    trust = DccTrust()
    assert {d.kid for d in trust.add_path(tmp_path, now=NOW)} == {ES.kid, PS.kid}
    assert dsc_kid(ES.der) == ES.kid and len(trust) == 2
    (tmp_path / "c.der").write_bytes(b"garbage")
    with pytest.raises(DccTrustError, match=r"c\.der"):
        DccTrust().add_path(tmp_path, now=NOW)


def test_a_certificate_that_cannot_be_used_is_skipped_and_named(tmp_path: Path) -> None:
    """One bad DSC in a folder or a PEM bundle: the others are trusted, the bad one named."""
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding

    def pem(der: bytes) -> bytes:
        return x509.load_der_x509_certificate(der).public_bytes(Encoding.PEM)

    (tmp_path / "a.pem").write_bytes(pem(PS.der) + pem(unsupported_key_der(ES)))
    (tmp_path / "b.der").write_bytes(ES.der)
    (tmp_path / "c.der").write_bytes(b"garbage")
    trust = DccTrust()
    added, skipped = trust.add_usable(tmp_path, now=NOW)
    assert {d.kid for d in added} == {ES.kid, PS.kid} and len(trust) == 2
    assert len(skipped) == 2
    assert skipped[0].startswith(f"{tmp_path / 'a.pem'} (certificate 2 of 2): ")
    assert "key algorithm is not supported" in skipped[0]
    assert skipped[1].startswith(f"{tmp_path / 'c.der'}: ")
    (tmp_path / "empty").mkdir()
    with pytest.raises(DccTrustError, match="no certificate in this folder"):
        DccTrust().add_usable(tmp_path / "empty", now=NOW)


def test_a_dsc_whose_key_usage_lists_no_oid_signs_every_kind() -> None:
    """RFC 5280 wants an extended key usage to list at least one OID, and the library
    refuses one that lists none; OpenSSL and the EU's verifiers load it as no restriction
    (the EU test data's CO15, "VALID: no OID present"). Its kid is its own DER's."""
    signer = make_signer("ES256", ())
    assert bytes.fromhex("0603551d25") + bytes.fromhex("04023000") in signer.der
    dsc = read_dsc(signer.der, now=NOW)
    assert (dsc.kinds, dsc.kid, dsc.der) == (None, dsc_kid(signer.der), signer.der)
    trust = DccTrust([dsc])
    for kind in ("v", "t", "r"):
        assert verify_dcc(issue(signer, kind=kind), trust, NOW).kind == kind


def test_only_an_empty_key_usage_is_forgiven() -> None:
    """A malformed extension beside it still refuses the DSC."""
    import datetime as dt

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.serialization import Encoding

    from support.dcc_cases import csca

    ca_key, ca_cert = csca()
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(ca_cert.subject)
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(7)
        .not_valid_before(dt.datetime.fromtimestamp(NOW - DAY, dt.UTC))
        .not_valid_after(dt.datetime.fromtimestamp(NOW + DAY, dt.UTC))
        .add_extension(x509.ExtendedKeyUsage([]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    der = cert.public_bytes(Encoding.DER)
    assert read_dsc(der, now=NOW).kinds is None
    # The key identifier's OCTET STRING made a NULL of 20 bytes: not an extension one can read.
    broken = der.replace(bytes.fromhex("04160414"), bytes.fromhex("04160514"), 1)
    assert broken != der
    with pytest.raises(DccTrustError, match=r"not a valid X\.509 certificate"):
        read_dsc(broken, now=NOW)


@settings(deadline=None, max_examples=300)
@given(data=st.data())
def test_a_damaged_dsc_with_an_empty_key_usage_is_read_or_refused(data: st.DataObject) -> None:
    """Any byte of such a DSC changed: a Dsc or DccTrustError, nothing else (the repair walks
    DER the library could not read). It found a version byte other than v1/v3 raising the
    library's InvalidVersion, which is no ValueError, through read_dsc."""
    der = bytearray(make_signer("ES256", ()).der)
    at = data.draw(st.integers(0, len(der) - 1))
    der[at] = data.draw(st.integers(0, 255))
    with contextlib.suppress(DccTrustError):
        read_dsc(bytes(der), now=NOW)


def test_iat_and_exp_of_the_wrong_type_are_malformed() -> None:
    wrong = [
        (CWT_EXP, True), (CWT_EXP, str(NOW + DAY)), (CWT_IAT, float("nan")),
        (CWT_EXP, float("inf")), (CWT_IAT, -1.5), (CWT_EXP, None),
    ]  # fmt: skip
    for key, value in wrong:
        parts = good_parts(ES)
        parts.claims[key] = value
        assert reason(issue(ES, parts), trust_of(ES)) is DccReason.MALFORMED, (key, value)


def test_a_numericdate_may_be_a_floating_point_number() -> None:
    """RFC 8392 §2: a NumericDate is JWT's (RFC 7519 §2, "non-integer values can be
    represented"), encoded as the content of CBOR tag 1, an integer or a float."""
    parts = good_parts(ES)
    parts.claims[CWT_IAT] = float(NOW - DAY) + 0.25
    parts.claims[CWT_EXP] = float(NOW + DAY) + 0.9
    cert = verify_dcc(issue(ES, parts), trust_of(ES), NOW)
    assert (cert.issued_at, cert.expires_at) == (NOW - DAY, NOW + DAY)
    parts.claims[CWT_EXP] = float(NOW) - 0.5  # passed, to the second
    assert reason(issue(ES, parts), trust_of(ES)) is DccReason.DCC_EXPIRED


def test_the_issuer_claim_is_optional() -> None:
    """hcert spec §3.3.1: iss "MAY optionally hold" the issuing country's code."""
    parts = good_parts(ES)
    del parts.claims[CWT_ISS]
    cert = verify_dcc(issue(ES, parts), trust_of(ES), NOW)
    assert cert.issuer is None and cert.kind == "v"
    assert cert.uvci_hash(HashType.COUNTRYCODEUCI) == cert.uvci_hash(HashType.UCI)
    for bad in (7, "", "X" * 17, "N\x00L"):
        parts.claims[CWT_ISS] = bad
        assert reason(issue(ES, parts), trust_of(ES)) is DccReason.MALFORMED, bad


@pytest.mark.parametrize("alg", ["ES256", "PS256"])
def test_issue_dcc_makes_what_verify_dcc_reads(alg: Alg) -> None:
    from checkin_protocol.dcc import issue_dcc
    from support.dcc_cases import dcc_body

    signer = make_signer(alg)
    trust = DccTrust()
    trust.add_der(signer.der, now=NOW)
    text = issue_dcc(
        signer.key, signer.kid, issuer="VN", issued_at=NOW - DAY, expires_at=NOW + DAY,
        certificate=dcc_body("t"),
    )  # fmt: skip
    cert = verify_dcc(text, trust, NOW)
    assert (cert.kind, cert.issuer, cert.algorithm) == ("t", "VN", alg)


@pytest.mark.parametrize("dob", ["1964-08-12", "1964-08", "1964", "", "1964-08-12T00:00:00"])
def test_each_date_of_birth_form_of_the_schema_is_read(dob: str) -> None:
    parts = good_parts(ES)
    parts.dcc["dob"] = dob
    cert = verify_dcc(issue(ES, parts), trust_of(ES), NOW)
    assert cert.dob == dob and cert.birth_year == (1964 if dob else None)


@settings(deadline=None)
@given(
    dob=st.one_of(
        st.text(max_size=40),
        st.sampled_from(["¹⁹⁶⁴-08-12", "١٩٦٤-08-12", "１９６４-08-12", "1964-٠8-12", "𝟏𝟗𝟔𝟒"]),
    )
)
def test_a_date_of_birth_in_any_other_form_is_malformed_never_a_crash(dob: str) -> None:
    parts = good_parts(ES)
    parts.dcc["dob"] = dob
    try:
        cert = verify_dcc(issue(ES, parts), trust_of(ES), NOW)
    except DccRejected as err:
        assert err.reason is DccReason.MALFORMED
        return
    assert cert.dob.isascii() and cert.dob[:1] in ("", *"0123456789")
    assert cert.birth_year is None or 0 <= cert.birth_year <= 9999
