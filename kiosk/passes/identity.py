"""Unsigned identity codes: Vietnam's national personal QR and the chip ID card (CCCD) QR."""

from __future__ import annotations

import re
import unicodedata
from datetime import date

from kiosk.passes.errors import CodeRejected
from kiosk.passes.model import CodeKind, PersonalCode
from kiosk.passes.privacy import SubjectHasher, mask_name
from kiosk.policy.reasons import Reason

_ID12 = re.compile(r"^\d{12}$")
_ID9 = re.compile(r"^\d{9}$")
_MASKED_ID = re.compile(r"^[*xX]{6}[0-9A-Za-z]{2,12}$")
_QID = re.compile(r"^[A-Za-z0-9_-]{4,64}$")
_TYPE = re.compile(r"^\d{1,2}$")
MAX_NAME = 100
MAX_ADDRESS = 300


def _name(raw: str) -> str:
    name = unicodedata.normalize("NFC", raw.strip())
    if not name or len(name) > MAX_NAME or any(ch.isdigit() or ch in "<>{}" for ch in name):
        raise CodeRejected(Reason.MALFORMED, "name field is not a name")
    return name


def _ddmmyyyy(raw: str, what: str) -> date:
    text = raw.strip().replace("/", "")
    if len(text) != 8 or not text.isdigit():
        raise CodeRejected(Reason.MALFORMED, f"{what} is not DDMMYYYY")
    try:
        return date(int(text[4:]), int(text[2:4]), int(text[:2]))
    except ValueError as exc:
        raise CodeRejected(Reason.MALFORMED, f"{what} is not a real date") from exc


def _birth_year(raw: str) -> int:
    text = raw.strip()
    # Some codes carry the year only.
    year = int(text) if re.fullmatch(r"\d{4}", text) else _ddmmyyyy(text, "date of birth").year
    if not 1900 <= year <= 2200:
        raise CodeRejected(Reason.MALFORMED, "date of birth out of range")
    return year


def looks_like_cccd(fields: list[str]) -> bool:
    return len(fields) in (6, 7) and bool(_ID12.match(fields[0]))


def parse_cccd(fields: list[str], hasher: SubjectHasher) -> PersonalCode:
    """`id12|old_id9|NAME|DDMMYYYY|sex|address|DDMMYYYY` (old id may be absent or empty).

    The address has commas in it; fields are split on `|` only.
    """
    if len(fields) == 6:
        id12, name, dob, _sex, address, issued = fields
    else:
        id12, old, name, dob, _sex, address, issued = fields
        if old and not _ID9.match(old):
            raise CodeRejected(Reason.MALFORMED, "old ID number is not 9 digits")
    if not address.strip() or len(address) > MAX_ADDRESS:
        raise CodeRejected(Reason.MALFORMED, "address field is empty or too long")
    year = _birth_year(dob)
    _ddmmyyyy(issued, "issue date")
    return PersonalCode(
        kind=CodeKind.CCCD,
        verified=False,
        subject=hasher(id12),
        masked_name=mask_name(_name(name)),
        birth_year=year,
    )


def looks_like_national(fields: list[str]) -> bool:
    # EXT is free-form and may itself contain '|': six fields or more.
    return len(fields) >= 6 and bool(_MASKED_ID.match(fields[0]))


def parse_national(fields: list[str]) -> PersonalCode:
    """`SoGiayTo|HoTen|NgaySinh|LoaiDinhDanh|QID|EXT`, the ID number's first 6 characters masked."""
    _masked_id, name, dob, id_type, qid = fields[:5]
    if not _TYPE.match(id_type):
        raise CodeRejected(Reason.MALFORMED, "declaration type is not a number")
    if not _QID.match(qid):
        raise CodeRejected(Reason.MALFORMED, "QID is missing or malformed")
    return PersonalCode(
        kind=CodeKind.NATIONAL_QR,
        verified=False,
        subject="qid:" + qid,
        masked_name=mask_name(_name(name)),
        birth_year=_birth_year(dob),
    )
