"""Unsigned identity codes: Vietnam's national personal QR and the chip ID card (CCCD) QR."""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, timedelta, timezone

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
# The old-ID slot of a chip card: empty, or digits (9 for a CMND, 12 for a cancelled card).
_DIGITS = re.compile(r"\d*")
# Decision 1405's SoGiayTo: masked to its last characters (`******1234`), or written whole
# (a 12-digit ID, a 9-digit CMND, a passport number).
_MASKED_ID = re.compile(r"(?:\*{1,12}|[xX]{4,12})[0-9A-Za-z]{2,12}")
_DOC_ID = re.compile(r"[0-9A-Za-z]{6,12}")
_QID = re.compile(r"[A-Za-z0-9_-]{4,64}")
_TYPE = re.compile(r"[0-9]{1,2}")
# NgaySinh as Decision 1405 writes it (`1990-05-17`, day and month maskable: `1990-**-**`)
# and as issuers in the field write it (`1990/5/7`, `17051990`, `17/05/1990`, `1990`).
_ISO = re.compile(r"(?P<y>[0-9]{4})-(?P<m>[0-9]{2}|\*\*)-(?P<d>[0-9]{2}|\*\*)")
_YMD = re.compile(r"(?P<y>[0-9]{4})/(?P<m>[0-9]{1,2})/(?P<d>[0-9]{1,2})")
_DMY = re.compile(r"(?P<d>[0-9]{2})/?(?P<m>[0-9]{2})/?(?P<y>[0-9]{4})")
_YEAR = re.compile(r"[0-9]{4}")
MAX_NAME = 100
MAX_ADDRESS = 300
MAX_EXT = 1000
# Law 26/2023/QH15, Art. 21: a card is renewed at 14, 25, 40 and 60, so it expires on the
# holder's birthday in one of those years. The 2024 card's QR field list is unpublished: a
# trailing date is its expiry only when it is such a birthday.
_RENEWAL_AGES = (14, 25, 40, 60)
# A card's dates are Vietnam's: its expiry day ends at midnight in UTC+7.
_VIETNAM = timezone(timedelta(hours=7))


def printable(text: str) -> bool:
    """No control, format, surrogate, private-use or unassigned characters (category C).

    The family name is shown whole on the screen: a NUL makes pygame's font.render raise,
    and bidi overrides or zero-width characters make a name read as another.
    """
    return not any(unicodedata.category(ch).startswith("C") for ch in text)


def _norm(raw: str) -> str:
    """A field as it is compared: NFKC (fullwidth and other look-alikes folded), stripped."""
    return unicodedata.normalize("NFKC", raw).strip()


def split_fields(text: str) -> list[str]:
    """A payload's `|` fields; the CR, LF or spaces a scanner adds at the end are dropped."""
    return text.rstrip().split("|")


def _name(raw: str) -> str:
    name = unicodedata.normalize("NFC", raw.strip())
    if not name or len(name) > MAX_NAME or any(ch.isdigit() or ch in "<>{}" for ch in name):
        raise CodeRejected(Reason.MALFORMED, "name field is not a name")
    if not printable(name):
        raise CodeRejected(Reason.MALFORMED, "name field has control or invisible characters")
    return name


def _real_date(year: int, month: int, day: int, what: str) -> date:
    try:
        return date(year, month, day)
    except ValueError as exc:
        raise CodeRejected(Reason.MALFORMED, f"{what} is not a real date") from exc


def _in_range(year: int) -> int:
    if not 1900 <= year <= 2200:
        raise CodeRejected(Reason.MALFORMED, "date of birth out of range")
    return year


def _ddmmyyyy(raw: str, what: str) -> date:
    """A chip card's date: `DDMMYYYY`, or `DD/MM/YYYY` as some readers pass it on."""
    found = _DMY.fullmatch(_norm(raw))
    if found is None:
        raise CodeRejected(Reason.MALFORMED, f"{what} is not DDMMYYYY")
    return _real_date(int(found["y"]), int(found["m"]), int(found["d"]), what)


def _card_birth(raw: str) -> tuple[int, date | None]:
    """The birth year, and the whole date where the card carries one (some carry the year)."""
    text = _norm(raw)
    if _YEAR.fullmatch(text):
        return _in_range(int(text)), None
    born = _ddmmyyyy(text, "date of birth")
    return _in_range(born.year), born


def _national_birth_year(raw: str) -> int:
    """NgaySinh in any form Decision 1405 or its issuers write; masked parts are unknown."""
    text = _norm(raw)
    if _YEAR.fullmatch(text):
        return _in_range(int(text))
    found = _ISO.fullmatch(text) or _YMD.fullmatch(text) or _DMY.fullmatch(text)
    if found is None:
        raise CodeRejected(
            Reason.MALFORMED, "date of birth is not YYYY-MM-DD, YYYY/M/D, DDMMYYYY or YYYY"
        )
    year, month, day = found["y"], found["m"], found["d"]
    if month == "**" and day != "**":
        raise CodeRejected(Reason.MALFORMED, "date of birth masks the month but not the day")
    if month != "**":
        # A masked day is any day: the first is always real.
        _real_date(int(year), int(month), 1 if day == "**" else int(day), "date of birth")
    return _in_range(int(year))


def _expiry(born: date | None, issued: date, trailing: list[str]) -> int | None:
    """The end (epoch seconds) of the expiry day a 2024 card carries, if it carries one."""
    if born is None:
        return None
    for raw in trailing:
        found = _DMY.fullmatch(_norm(raw))
        if found is None:
            continue
        try:
            day = date(int(found["y"]), int(found["m"]), int(found["d"]))
        except ValueError:
            continue
        birthday = (day.month, day.day) == (born.month, born.day)
        if birthday and day.year - born.year in _RENEWAL_AGES and day > issued:
            end = datetime(day.year, day.month, day.day, tzinfo=_VIETNAM) + timedelta(days=1)
            return int(end.timestamp())
    return None


def identity_kind(fields: list[str]) -> CodeKind | None:
    """Which identity layout a payload's fields have, by their shape; None for neither.

    Both may start with a 12-digit number: Decision 1405 lets SoGiayTo be written whole. A
    national QR has a name second and a one- or two-digit type fourth; a chip card has its
    old ID (empty or digits) second, or, without that field, its sex fourth.
    """
    if len(fields) < 4:
        return None
    first = _norm(fields[0])
    national = (
        len(fields) >= 6
        and not _DIGITS.fullmatch(_norm(fields[1]))
        and bool(_TYPE.fullmatch(_norm(fields[3])))
    )
    if _ID12.fullmatch(first):
        return CodeKind.NATIONAL_QR if national else CodeKind.CCCD
    if len(fields) >= 6 and (
        _MASKED_ID.fullmatch(first) or (national and _DOC_ID.fullmatch(first))
    ):
        return CodeKind.NATIONAL_QR
    return None


def parse_cccd(fields: list[str], seal_key: X25519PublicKey | None) -> PersonalCode:
    """`id12|old_id|NAME|DDMMYYYY|sex|address|DDMMYYYY[|…]` (old id may be absent or empty).

    The leading fields are read; trailing ones (the 2024 card's household members, cancelled
    number, expiry) are ignored and not kept, except that an expiry is recognised. Sex is
    not read: a door has no use for it. The address has commas in it; fields are split on
    `|` only. The record's subject is the number sealed to the registry (`seal_key`), a new
    ciphertext each scan; without a registry there is none. The number itself stays in
    memory for the deny list only.
    """
    if len(fields) < 6:
        raise CodeRejected(Reason.MALFORMED, f"ID card code of {len(fields)} fields, not 7")
    if _DIGITS.fullmatch(_norm(fields[1])):  # the old-ID slot
        if len(fields) < 7:
            raise CodeRejected(Reason.MALFORMED, f"ID card code of {len(fields)} fields, not 7")
        raw_id, old, name, dob, _sex, address, issued = fields[:7]
        trailing = fields[7:]
        if _norm(old) and ascii_id_number(old, 9) is None and ascii_id_number(old, 12) is None:
            raise CodeRejected(Reason.MALFORMED, "old ID number is not 9 or 12 digits")
    else:
        raw_id, name, dob, _sex, address, issued = fields[:6]
        trailing = fields[6:]
    # ASCII digits only: the same number written with look-alike digits or trailing
    # whitespace must hit the same deny-list entry and open to the same registry subject.
    id12 = ascii_id_number(raw_id, 12)
    if id12 is None:
        raise CodeRejected(Reason.MALFORMED, "ID number does not normalise to 12 ASCII digits")
    if not address.strip() or len(address) > MAX_ADDRESS:
        raise CodeRejected(Reason.MALFORMED, "address field is empty or too long")
    masked = mask_name(_name(name))
    year, born = _card_birth(dob)
    issue_date = _ddmmyyyy(issued, "issue date")
    return PersonalCode(
        kind=CodeKind.CCCD,
        verified=False,
        subject=seal_id_number(seal_key, id12) if seal_key is not None else None,
        masked_name=masked,
        birth_year=year,
        expires_at=_expiry(born, issue_date, trailing),
        id_number=IdNumber(id12),
    )


def parse_national(fields: list[str]) -> PersonalCode:
    """`SoGiayTo|HoTen|NgaySinh|LoaiDinhDanh|QID|EXT` (Decision 1405/QĐ-BTTTT, v1.1).

    EXT (`<`-separated: the declarant's QID, sex, health-insurance number, masked phone, a
    signature) is checked for its shape only and nothing of it kept: the door needs none of
    it, and with no published key for the signature the code stays unverified. EXT is
    free-form and may itself contain `|`. A SoGiayTo written whole as a 12-digit ID is held
    in memory for the deny list, as a chip card's is.
    """
    raw_id, name, dob, id_type, raw_qid = fields[:5]
    ext = "|".join(fields[5:])
    if not _TYPE.fullmatch(_norm(id_type)):
        raise CodeRejected(Reason.MALFORMED, "declaration type is not a number")
    # The QID is the subject key itself: normalised first, so "Q1\n" or a fullwidth "Ｑ1"
    # is the same subject as "Q1", and only then checked to be plain ASCII.
    qid = _norm(raw_qid)
    if not _QID.fullmatch(qid):
        raise CodeRejected(Reason.MALFORMED, "QID is missing or malformed")
    if len(ext) > MAX_EXT or not printable(ext):
        raise CodeRejected(Reason.MALFORMED, "EXT field has control characters or is too long")
    id12 = ascii_id_number(raw_id, 12)
    return PersonalCode(
        kind=CodeKind.NATIONAL_QR,
        verified=False,
        subject=Subject(SubjectKind.QID, qid),
        masked_name=mask_name(_name(name)),
        birth_year=_national_birth_year(dob),
        id_number=IdNumber(id12) if id12 is not None else None,
    )


def read_identity(fields: list[str], seal_key: X25519PublicKey | None) -> PersonalCode | None:
    """The identity code these fields lay out, None if they are neither layout.

    A payload shaped as one that then fails keeps its kind on the CodeRejected, so staff see
    "ID card" and the visitor the hint for that code.
    """
    kind = identity_kind(fields)
    if kind is None:
        return None
    try:
        if kind is CodeKind.CCCD:
            return parse_cccd(fields, seal_key)
        return parse_national(fields)
    except CodeRejected as err:
        raise CodeRejected(err.reason, err.detail, kind) from None
