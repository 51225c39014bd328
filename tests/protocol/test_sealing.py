"""Sealed ID subjects and the deny list's ID KDF: round trips, randomness, bounds."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from hypothesis import given
from hypothesis import strategies as st

from checkin_protocol.documents import sign_document, verify_document
from checkin_protocol.keys import generate_key
from checkin_protocol.privacy import SubjectHasher
from checkin_protocol.records import SEALED_LENGTH, Subject, SubjectKind
from checkin_protocol.sealing import (
    IdKdf,
    open_sealed,
    public_key_from_text,
    public_key_text,
    seal_id_number,
)

KEY = X25519PrivateKey.generate()
OTHER = X25519PrivateKey.generate()
id12 = st.text(alphabet="0123456789", min_size=12, max_size=12)


@given(id12)
def test_sealing_round_trips_and_is_never_the_same_twice(number: str) -> None:
    a = seal_id_number(KEY.public_key(), number)
    b = seal_id_number(KEY.public_key(), number)
    assert a.kind is SubjectKind.SEALED and len(a.value) == SEALED_LENGTH
    assert a != b  # a fresh ephemeral key each time: two visits are not linkable
    assert open_sealed([OTHER, KEY], a) == number == open_sealed([KEY], b)
    # The registry derives one subject from both, as it would from the number itself.
    hasher = SubjectHasher(b"r" * 32)
    assert hasher(open_sealed([KEY], a)) == hasher(open_sealed([KEY], b)) == hasher(number)
    # It survives its text form (the record, the database) and fits the registry's column.
    assert Subject.parse(str(a)) == a and len(str(a)) <= 80


def test_sealed_subject_opens_with_the_right_key_only() -> None:
    sealed = seal_id_number(KEY.public_key(), "001090012345")
    with pytest.raises(ValueError, match="no sealing key"):
        open_sealed([OTHER], sealed)
    raw = bytearray(sealed.value.encode())
    raw[-1] = ord("A") if raw[-1] != ord("A") else ord("B")
    with pytest.raises(ValueError, match="no sealing key"):
        open_sealed([KEY], Subject(SubjectKind.SEALED, raw.decode()))
    with pytest.raises(ValueError, match="not a sealed"):
        open_sealed([KEY], Subject(SubjectKind.QID, "Q1234"))


@pytest.mark.parametrize("bad", ["12345678901", "1234567890123", "00109001234x", "０01090012345"])
def test_only_twelve_ascii_digits_are_sealed(bad: str) -> None:
    with pytest.raises(ValueError, match="12-digit"):
        seal_id_number(KEY.public_key(), bad)


def test_public_key_text_round_trips() -> None:
    text = public_key_text(KEY.public_key())
    assert public_key_from_text(text).public_bytes_raw() == KEY.public_key().public_bytes_raw()
    with pytest.raises(ValueError, match="32 bytes"):
        public_key_from_text("AAAA")


def test_id_kdf_depends_on_the_salt_and_travels_as_json() -> None:
    kdf = IdKdf(b"s" * 16)
    again = IdKdf.from_json(kdf.to_json())
    assert again == kdf and again.derive("001090012345") == kdf.derive("001090012345")
    assert IdKdf(b"t" * 16).derive("001090012345") != kdf.derive("001090012345")
    assert kdf.derive("001090012345") != kdf.derive("001090012346")


@pytest.mark.parametrize(
    "params",
    [
        {"alg": "argon2"},
        {"alg": "scrypt", "salt": "c2FsdA", "n": 8192, "r": 8, "p": 1},  # a 4-byte salt
        {"alg": "scrypt", "salt": "c" * 22, "n": 2**20, "r": 8, "p": 1},  # a minute a scan
        {"alg": "scrypt", "salt": "c" * 22, "n": 1000, "r": 8, "p": 1},  # not a power of two
        {"alg": "scrypt", "salt": "c" * 22, "n": 2**16, "r": 16, "p": 4},  # 640 MiB
        {"alg": "scrypt", "salt": "c" * 22, "n": 8192},
        [],
    ],
)
def test_id_kdf_parameters_out_of_bounds_are_refused(params: object) -> None:
    with pytest.raises(ValueError, match=r"id_kdf|salt|n:|r:|memory"):
        IdKdf.from_json(params)


def test_documents_carry_extra_fields_and_old_ones_still_verify() -> None:
    key = generate_key()
    old = sign_document(key, type_="deny-list", version=1, issued_at=0, valid_until=10**10,
                        entries=[{"subject": "idh:" + "a" * 32, "reason_code": "x"}])  # fmt: skip
    assert verify_document(old, key.public_key(), expect_type="deny-list", now=0).attributes == {}
    new = sign_document(key, type_="deny-list", version=2, issued_at=0, valid_until=10**10,
                        entries=[], attributes={"seal_key": "k"})  # fmt: skip
    doc = verify_document(new, key.public_key(), expect_type="deny-list", now=0)
    assert doc.attributes == {"seal_key": "k"} and doc.version == 2
    with pytest.raises(ValueError, match="core fields"):
        sign_document(key, type_="deny-list", version=3, issued_at=0, valid_until=1, entries=[],
                      attributes={"version": 9})  # fmt: skip


def test_a_sealed_identity_opens_to_its_own_namespace() -> None:
    from checkin_protocol.sealing import seal_identity

    key = X25519PrivateKey.generate()
    first = seal_identity(key.public_key(), b"DCC-ID-1\x00SMITH\x00JOHN\x001980-01-01")
    again = seal_identity(key.public_key(), b"DCC-ID-1\x00SMITH\x00JOHN\x001980-01-01")
    other = seal_identity(key.public_key(), b"DCC-ID-1\x00SMITH\x00JANE\x001980-01-01")
    assert first.kind is SubjectKind.SEALED and len(first.value) == SEALED_LENGTH
    assert first != again  # unlinkable on the kiosk
    opened = open_sealed([key], first)
    assert opened == open_sealed([key], again) != open_sealed([key], other)
    assert opened.startswith("dcc:") and len(opened) == 14  # never a 12-digit ID number
    with pytest.raises(ValueError, match="no sealing key"):
        open_sealed([X25519PrivateKey.generate()], first)
