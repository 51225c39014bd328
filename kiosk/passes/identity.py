"""Unsigned identity codes: Vietnam's national personal QR and the chip ID card (CCCD) QR."""

from __future__ import annotations

import re
import unicodedata
from datetime import date

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey

from checkin_protocol.privacy import ascii_id_number, mask_name
from checkin_protocol.reasons import Reason
from checkin_protocol.records import Subject, SubjectKind
from checkin_protocol.sealing import seal_id_number
from kiosk.passes.errors import CodeRejected
from kiosk.passes.model import CodeKind, IdNumber, PersonalCode

# Patterns are used with fullmatch on NFKC-normalised, stripped fields: `$` alone would
# also match before a trailing newline, and "qid\n" is not the subject "qid". `\d` is any
# Unicode decimal digit, so look-alike digits are recognised as an ID card and then refused
# (MALFORMED) when they do not normalise to ASCII, rather than passed on as something else.
_ID12 = re.compile(r"\d{12}")
_MASKED_ID = re.compile(r"[*xX]{6}[0-9A-Za-z]{2,12}")
_QID = re.compile(r"[A-Za-z0-9_-]{4,64}")
_TYPE = re.compile(r"[0-9]{1,2}")
_YEAR = re.compile(r"[0-9]{4}")
MAX_NAME = 100
MAX_ADDRESS = 300


def printable(text: str) -> bool:
    """No control, format, surrogate, private-use or unassigned characters (category C).

    The family name is shown whole on the screen: a NUL makes pygame's font.render raise,
    and bidi overrides or zero-width characters make a name read as another.
    """
    return not any(unicodedata.category(ch).startswith("C") for ch in text)


def _norm(raw: str) -> str:
    """A field as it is compared: NFKC (fullwidth and other look-alikes folded), stripped."""
    return unicodedata.normalize("NFKC", raw).strip()


def _name(raw: str) -> str:
    name = unicodedata.normalize("NFC", raw.strip())
    if not name or len(name) > MAX_NAME or any(ch.isdigit() or ch in "<>{}" for ch in name):
        raise CodeRejected(Reason.MALFORMED, "name field is not a name")
    if not printable(name):
        raise CodeRejected(Reason.MALFORMED, "name field has control or invisible characters")
    return name


def _ddmmyyyy(raw: str, what: str) -> date:
    text = _norm(raw).replace("/", "")
    if ascii_id_number(text, 8) is None:
        raise CodeRejected(Reason.MALFORMED, f"{what} is not DDMMYYYY")
    try:
        return date(int(text[4:]), int(text[2:4]), int(text[:2]))
    except ValueError as exc:
        raise CodeRejected(Reason.MALFORMED, f"{what} is not a real date") from exc


def _birth_year(raw: str) -> int:
    text = _norm(raw)
    # Some codes carry the year only.
    year = int(text) if _YEAR.fullmatch(text) else _ddmmyyyy(text, "date of birth").year
    if not 1900 <= year <= 2200:
        raise CodeRejected(Reason.MALFORMED, "date of birth out of range")
    return year


def looks_like_cccd(fields: list[str]) -> bool:
    return len(fields) in (6, 7) and bool(_ID12.fullmatch(_norm(fields[0])))


def parse_cccd(fields: list[str], seal_key: X25519PublicKey | None) -> PersonalCode:
    """`id12|old_id9|NAME|DDMMYYYY|sex|address|DDMMYYYY` (old id may be absent or empty).

    The address has commas in it; fields are split on `|` only. The record's subject is the
    number sealed to the registry (`seal_key`), a new ciphertext each scan; without a
    registry there is none. The number itself stays in memory for the deny list only.
    """
    if len(fields) == 6:
        raw_id, name, dob, _sex, address, issued = fields
    else:
        raw_id, old, name, dob, _sex, address, issued = fields
        if _norm(old) and ascii_id_number(old, 9) is None:
            raise CodeRejected(Reason.MALFORMED, "old ID number is not 9 digits")
    # ASCII digits only: the same number written with look-alike digits or trailing
    # whitespace must hit the same deny-list entry and open to the same registry subject.
    id12 = ascii_id_number(raw_id, 12)
    if id12 is None:
        raise CodeRejected(Reason.MALFORMED, "ID number does not normalise to 12 ASCII digits")
    if not address.strip() or len(address) > MAX_ADDRESS:
        raise CodeRejected(Reason.MALFORMED, "address field is empty or too long")
    year = _birth_year(dob)
    _ddmmyyyy(issued, "issue date")
    return PersonalCode(
        kind=CodeKind.CCCD,
        verified=False,
        subject=seal_id_number(seal_key, id12) if seal_key is not None else None,
        masked_name=mask_name(_name(name)),
        birth_year=year,
        id_number=IdNumber(id12),
    )


def looks_like_national(fields: list[str]) -> bool:
    # EXT is free-form and may itself contain '|': six fields or more.
    return len(fields) >= 6 and bool(_MASKED_ID.fullmatch(_norm(fields[0])))


def parse_national(fields: list[str]) -> PersonalCode:
    """`SoGiayTo|HoTen|NgaySinh|LoaiDinhDanh|QID|EXT`, the ID number's first 6 characters masked."""
    _masked_id, name, dob, id_type, raw_qid = fields[:5]
    if not _TYPE.fullmatch(_norm(id_type)):
        raise CodeRejected(Reason.MALFORMED, "declaration type is not a number")
    # The QID is the subject key itself: normalised first, so "Q1\n" or a fullwidth "Ｑ1"
    # is the same subject as "Q1", and only then checked to be plain ASCII.
    qid = _norm(raw_qid)
    if not _QID.fullmatch(qid):
        raise CodeRejected(Reason.MALFORMED, "QID is missing or malformed")
    return PersonalCode(
        kind=CodeKind.NATIONAL_QR,
        verified=False,
        subject=Subject(SubjectKind.QID, qid),
        masked_name=mask_name(_name(name)),
        birth_year=_birth_year(dob),
    )
