"""Payload dispatch and the identity codes (national personal QR, CCCD)."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from checkin_protocol.keys import TrustStore
from checkin_protocol.privacy import SubjectHasher, ensure_secret, mask_name
from checkin_protocol.reasons import Reason
from checkin_protocol.records import Subject, SubjectKind
from kiosk.passes import CodeReader, CodeRejected
from kiosk.passes.model import CodeKind

ADDRESS = "Số 1, Phố Huế, Phường Hàng Bài, Quận Hai Bà Trưng, Hà Nội"
CCCD = f"001090012345|123456789|NGUYỄN VĂN AN|01011990|Nam|{ADDRESS}|01012021"
NATIONAL = "******012345|Phạm Thị Hoa|15/03/1985|1|Q8F3K2M9|"


@pytest.fixture
def reader(trust: TrustStore) -> CodeReader:
    return CodeReader(trust=trust)


def rejected(reader: CodeReader, payload: bytes) -> CodeRejected:
    with pytest.raises(CodeRejected) as exc:
        reader.read(payload, time.time())
    return exc.value


def test_cccd_with_commas_in_the_address(reader: CodeReader) -> None:
    code = reader.read(CCCD.encode(), time.time())
    assert code.kind is CodeKind.CCCD
    assert code.verified is False
    assert code.masked_name == "Nguyễn V** A"
    assert code.birth_year == 1990
    # Without a registry's sealing key, nothing derived from the number is recorded; the
    # number is held (masked in repr) for the deny list only.
    assert code.subject is None and "001090012345" not in repr(code)
    assert code.id_number is not None and code.id_number.reveal() == "001090012345"


def test_cccd_without_the_old_id_field(reader: CodeReader) -> None:
    six = f"001090012345|Trần Thị Bình|02021985|Nữ|{ADDRESS}|01012021"
    code = reader.read(six.encode(), time.time())
    assert (code.kind, code.birth_year, code.masked_name) == (CodeKind.CCCD, 1985, "Trần T** B")


def test_cccd_with_empty_old_id(reader: CodeReader) -> None:
    code = reader.read(CCCD.replace("|123456789|", "||").encode(), time.time())
    assert code.kind is CodeKind.CCCD


@pytest.mark.parametrize(
    "bad",
    [
        CCCD.replace("01011990", "31021990"),  # no 31 February
        CCCD.replace("|123456789|", "|12345|"),  # old id not 9 digits
        CCCD.replace(ADDRESS, ""),
        CCCD.replace("NGUYỄN VĂN AN", ""),
        CCCD.replace("01012021", "2021"),
    ],
)
def test_malformed_cccd(reader: CodeReader, bad: str) -> None:
    err = rejected(reader, bad.encode())
    assert err.reason is Reason.MALFORMED and err.kind is CodeKind.CCCD


def test_national_personal_qr(reader: CodeReader) -> None:
    code = reader.read(NATIONAL.encode(), time.time())
    assert code.kind is CodeKind.NATIONAL_QR
    assert code.subject == Subject.parse("qid:Q8F3K2M9")
    assert code.masked_name == "Phạm T** H"
    assert code.birth_year == 1985
    assert code.verified is False


def test_national_qr_with_extras_containing_bars(reader: CodeReader) -> None:
    code = reader.read(b"******012345|Le Van C|1990|2|QID12345|a|b", time.time())
    assert code.kind is CodeKind.NATIONAL_QR


def test_national_qr_bad_qid(reader: CodeReader) -> None:
    err = rejected(reader, NATIONAL.replace("Q8F3K2M9", "!!").encode())
    assert (err.reason, err.kind) == (Reason.MALFORMED, CodeKind.NATIONAL_QR)


def test_signed_pass_dispatch(reader: CodeReader, make_pass: Callable[..., str]) -> None:
    code = reader.read(make_pass(birth_year=1999, category="staff").encode(), time.time())
    assert code.kind is CodeKind.SIGNED_PASS and code.verified
    assert code.subject is not None
    assert code.subject.kind is SubjectKind.PASS and len(code.subject.value) == 32


def test_rejected_signed_pass_keeps_its_kind(reader: CodeReader) -> None:
    err = rejected(reader, b"KP1:GARBAGE")
    assert (err.reason, err.kind) == (Reason.MALFORMED, CodeKind.SIGNED_PASS)


@pytest.mark.parametrize(
    "payload",
    [
        b"https://example.com/menu",
        b"WIFI:S:cafe;T:WPA;P:secret;;",
        b"",
        b"a|b|c",
        "Xin chào".encode(),
    ],
)
def test_other_codes_are_not_personal(reader: CodeReader, payload: bytes) -> None:
    assert rejected(reader, payload).reason is Reason.NOT_PERSONAL_CODE


def test_binary_and_huge_payloads(reader: CodeReader) -> None:
    assert rejected(reader, b"\xff\xfe\x00binary").reason is Reason.NOT_PERSONAL_CODE
    assert rejected(reader, b"A" * 5000).reason is Reason.NOT_PERSONAL_CODE


def test_future_pass_version_is_malformed(reader: CodeReader) -> None:
    assert rejected(reader, b"KP2:ABCDEF").reason is Reason.MALFORMED


@given(st.binary(max_size=300))
@settings(deadline=None)
def test_any_payload_gives_a_code_or_a_reason(data: bytes) -> None:
    reader = CodeReader(trust=TrustStore([]))
    try:
        code = reader.read(data, time.time())
    except CodeRejected as err:
        assert isinstance(err.reason, Reason)
    else:
        assert code.kind in (CodeKind.CCCD, CodeKind.NATIONAL_QR)


@pytest.mark.parametrize(
    ("name", "masked"),
    [
        ("Nguyễn Văn An", "Nguyễn V** A"),
        ("NGUYỄN THỊ MINH KHAI", "Nguyễn T** M** K"),
        ("  Lê   Bình ", "Lê B"),
        ("Madonna", "M**"),
        ("Nguye\u0302\u0303n Văn An", "Nguyễn V** A"),  # combining marks are normalised (NFC)
        ("", ""),
    ],
)
def test_mask_name(name: str, masked: str) -> None:
    assert mask_name(name) == masked


def test_subject_secret_is_created_private_and_stable(tmp_path: Path) -> None:
    path = tmp_path / "subject.key"
    first = ensure_secret(path)
    assert path.stat().st_mode & 0o777 == 0o600
    assert ensure_secret(path) == first and len(first) == 32
    path.write_text("zz")
    with pytest.raises(ValueError, match="hex"):
        ensure_secret(path)


def test_keyed_hash_depends_on_the_secret() -> None:
    a, b = SubjectHasher(b"a" * 32), SubjectHasher(b"b" * 32)
    assert a("001090012345") == a("001090012345") != b("001090012345")
