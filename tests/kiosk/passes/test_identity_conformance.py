"""Identity codes read as their published layouts lay them out, from payload to the door's verdict.

The oracle here is the source, not the parser: every payload is assembled field by field from
the layout its source publishes, and its expected reading is what that source says it means.

Sources
- Q1405: Decision 1405/QĐ-BTTTT of 11 September 2021 (Ministry of Information and
  Communications), "Quy định về mã QR cá nhân" v1.1, §3: the national personal QR is
  `SoGiayTo|HoTen|NgaySinh|LoaiDinhDanh|QID|EXT`. SoGiayTo may be masked to its last digits
  (`******1234`) or written whole; HoTen is upper case without diacritics; NgaySinh is
  written `YYYY-MM-DD`, with day and month maskable (`YYYY-**-**`), and issuers in the field
  also write `YYYY/M/D`, `DDMMYYYY` or the bare year; LoaiDinhDanh is a small type number;
  QID the code's own identifier; EXT `<`-separated fields (the declarant's QID, sex 0/1/2,
  health-insurance number, masked phone, a signature), possibly empty.
- CCCD2021: the chip ID card (căn cước công dân) whose form is set by Circular 06/2021/TT-BCA.
  The circular prints a QR code on the card's back but not its field list; the layout below is
  the one the cards carry, `ID12|oldID9|NAME|DDMMYYYY|Sex|Address|IssueDDMMYYYY`, with the old
  ID empty (or the field absent, six fields) when the holder had none, and dates written with
  `/` by some readers.
- CC2024: the thẻ căn cước issued since 1 July 2024 (Law 26/2023/QH15 on Identification,
  Art. 18; form by Circular 16/2024/TT-BCA). Neither text publishes the QR's exact field list.
  What is documented: the seven leading fields keep the 2021 order; the draft rules list
  further trailing fields (household members' names and IDs, the cancelled ID number, the
  expiry). The kiosk's documented tolerance: the leading fields are read, every trailing field
  is ignored and not kept, a trailing separator is tolerated, and a trailing date that is the
  holder's birthday at 14, 25, 40 or 60 (the ages at which Art. 21 of Law 26/2023 has the card
  renewed, so the only date such a card expires on) is taken as its expiry.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from checkin_protocol.keys import TrustStore
from checkin_protocol.reasons import Reason
from checkin_protocol.records import CheckinRecord, CodeKind, Direction, Verdict
from kiosk.config import PolicyConfig
from kiosk.passes import CodeReader, CodeRejected, PersonalCode
from kiosk.policy.denylist import DenyList
from kiosk.policy.engine import Decision, VenuePolicy

NOW = datetime(2026, 12, 8, 3, 0, tzinfo=UTC).timestamp()
READER = CodeReader(trust=TrustStore([]))
POLICY = VenuePolicy(
    PolicyConfig(admit_kinds=[CodeKind.NATIONAL_QR, CodeKind.CCCD]),
    Direction.ENTRY,
    "Asia/Ho_Chi_Minh",
    DenyList(),
)
PROVEN = settings(deadline=None, max_examples=200)


def q1405(
    so: str = "******1234",
    name: str = "NGUYEN VAN AN",
    born: str = "1990-05-17",
    kind: str = "1",
    qid: str = "QV5T8K2M9",
    ext: str | None = None,
) -> str:
    """A national personal QR, field by field as Decision 1405 §3 orders them."""
    if ext is None:
        ext = "<".join(["QV5T8K2M9", "1", "HS4010123456789", "*******789", "MEUCIQDx"])
    return "|".join([so, name, born, kind, qid, ext])


ADDRESS = "Thôn Đông, Xã Yên Sở, Huyện Hoài Đức, Hà Nội"


def cccd(
    id12: str = "001090012345",
    old: str | None = "123456789",
    name: str = "NGUYỄN VĂN AN",
    born: str = "17051990",
    sex: str = "Nam",
    address: str = ADDRESS,
    issued: str = "10082021",
    extra: tuple[str, ...] = (),
) -> str:
    """A chip card's QR in the 2021 order; `old=None` leaves the old-ID field out (six)."""
    leading = [id12, *([] if old is None else [old]), name, born, sex, address, issued]
    return "|".join([*leading, *extra])


# The 2024 card's trailing fields as the draft lists them: a household member's name and ID,
# the cancelled ID number, the expiry (birthday at 40 for someone born 17/05/1990).
HOUSEHOLD = ("TRẦN THỊ BÌNH", "001190054321", "001090099999")


@dataclass(frozen=True)
class Row:
    source: str
    payload: str
    kind: CodeKind
    masked: str | None
    year: int | None
    verdict: Verdict
    reason: Reason | None
    note: str


def ok(source: str, payload: str, kind: CodeKind, masked: str, year: int, note: str) -> Row:
    return Row(source, payload, kind, masked, year, Verdict.PASS, None, note)


def bad(source: str, payload: str, kind: CodeKind, reason: Reason, note: str) -> Row:
    return Row(source, payload, kind, None, None, Verdict.FAIL, reason, note)


NQ, CC = CodeKind.NATIONAL_QR, CodeKind.CCCD
AN_ASCII = "Nguyen V** A"
AN = "Nguyễn V** A"
CORPUS = [
    # Q1405: the variants the decision and its issuers write.
    ok("Q1405", q1405(), NQ, AN_ASCII, 1990, "YYYY-MM-DD, masked ID, EXT with < fields"),
    ok("Q1405", q1405(born="1990-**-**"), NQ, AN_ASCII, 1990, "day and month masked"),
    ok("Q1405", q1405(born="1990-05-**"), NQ, AN_ASCII, 1990, "day masked"),
    ok("Q1405", q1405(born="1990/5/7"), NQ, AN_ASCII, 1990, "YYYY/M/D"),
    ok("Q1405", q1405(born="1990/05/17"), NQ, AN_ASCII, 1990, "YYYY/MM/DD"),
    ok("Q1405", q1405(born="17051990"), NQ, AN_ASCII, 1990, "DDMMYYYY"),
    ok("Q1405", q1405(born="1990"), NQ, AN_ASCII, 1990, "bare year"),
    ok("Q1405", q1405(so="001090012345"), NQ, AN_ASCII, 1990, "whole 12-digit ID first"),
    ok(
        "Q1405", q1405(so="001090012345", born="17051990"), NQ, AN_ASCII, 1990, "whole ID, DDMMYYYY"
    ),
    ok("Q1405", q1405(so="********2345"), NQ, AN_ASCII, 1990, "eight stars"),
    ok("Q1405", q1405(so="***1234"), NQ, AN_ASCII, 1990, "three stars"),
    ok("Q1405", q1405(ext=""), NQ, AN_ASCII, 1990, "empty EXT"),
    ok("Q1405", q1405(ext="QV5T8K2M9<2<<<"), NQ, AN_ASCII, 1990, "EXT with empty parts"),
    ok("Q1405", q1405(name="TRAN THI BINH", kind="2"), NQ, "Tran T** B", 1990, "type 2"),
    ok("Q1405", q1405() + "\r\n", NQ, AN_ASCII, 1990, "trailing CR LF"),
    bad("Q1405", q1405(born="1990-02-30"), NQ, Reason.MALFORMED, "no 30 February"),
    bad("Q1405", q1405(born="1990-13-**"), NQ, Reason.MALFORMED, "month 13"),
    bad("Q1405", q1405(born="17/05/90"), NQ, Reason.MALFORMED, "two-digit year"),
    bad("Q1405", q1405(born="1850-01-01"), NQ, Reason.MALFORMED, "born before 1900"),
    bad("Q1405", q1405(born=""), NQ, Reason.MALFORMED, "no birth date"),
    bad("Q1405", q1405(qid=""), NQ, Reason.MALFORMED, "no QID"),
    bad("Q1405", q1405(qid="Q 1"), NQ, Reason.MALFORMED, "QID with a space"),
    bad("Q1405", q1405(kind=""), NQ, Reason.MALFORMED, "no type"),
    bad("Q1405", q1405(name=""), NQ, Reason.MALFORMED, "no name"),
    bad("Q1405", q1405(name="NGUYEN 2 AN"), NQ, Reason.MALFORMED, "digit in the name"),
    # CCCD2021: every published shape of the 2021 card.
    ok("CCCD2021", cccd(), CC, AN, 1990, "seven fields"),
    ok("CCCD2021", cccd(old=""), CC, AN, 1990, "empty old ID"),
    ok("CCCD2021", cccd(old=None), CC, AN, 1990, "six fields, no old-ID field"),
    ok("CCCD2021", cccd(name="Nguyễn Văn An"), CC, AN, 1990, "mixed case"),
    ok("CCCD2021", cccd(born="17/05/1990", issued="10/08/2021"), CC, AN, 1990, "/ dates"),
    ok("CCCD2021", cccd() + "\r", CC, AN, 1990, "trailing CR"),
    ok("CCCD2021", cccd() + "\n", CC, AN, 1990, "trailing LF"),
    ok("CCCD2021", cccd() + "|", CC, AN, 1990, "trailing separator from a scanner"),
    ok("CCCD2021", cccd() + "|\r\n", CC, AN, 1990, "trailing separator and CR LF"),
    ok("CCCD2021", cccd(old=None) + "|", CC, AN, 1990, "six fields and a trailing separator"),
    ok("CCCD2021", cccd(sex="Nữ", name="TRẦN THỊ BÌNH"), CC, "Trần T** B", 1990, "Nữ"),
    bad("CCCD2021", cccd(born="31021990"), CC, Reason.MALFORMED, "no 31 February"),
    bad("CCCD2021", cccd(old="12345"), CC, Reason.MALFORMED, "old ID of five digits"),
    bad("CCCD2021", cccd(address=""), CC, Reason.MALFORMED, "no address"),
    bad("CCCD2021", cccd(name=""), CC, Reason.MALFORMED, "no name"),
    bad("CCCD2021", cccd(issued="2021"), CC, Reason.MALFORMED, "issue date a year only"),
    bad("CCCD2021", cccd(born="1990-05-17"), CC, Reason.MALFORMED, "ISO date on a card"),
    bad("CCCD2021", "001090012345|123456789|NGUYỄN VĂN AN|17051990", CC, Reason.MALFORMED, "cut"),
    # CC2024: the new card, tolerated as documented above.
    ok("CC2024", cccd(issued="15072024", extra=HOUSEHOLD), CC, AN, 1990, "household fields"),
    ok("CC2024", cccd(issued="15072024", extra=(*HOUSEHOLD, "17052030")), CC, AN, 1990, "expiry"),
    ok("CC2024", cccd(issued="15072024", extra=("17052030", "")), CC, AN, 1990, "expiry and |"),
    ok("CC2024", cccd(issued="15072024", extra=("",) * 4), CC, AN, 1990, "empty trailing fields"),
    ok("CC2024", cccd(old="", issued="15072024", extra=("",)), CC, AN, 1990, "no old ID, |"),
    ok("CC2024", cccd(old="001090099999", issued="15072024"), CC, AN, 1990, "cancelled 12-digit"),
    ok("CC2024", cccd(issued="15072024", extra=("01012020",)), CC, AN, 1990, "not a birthday"),
    ok("CC2024", cccd(issued="15072024", extra=("17052015",)), CC, AN, 1990, "before its issue"),
    ok(
        "CC2024",
        cccd(born="1990", issued="15072024", extra=("17052015",)),
        CC,
        "Nguyễn V** A",
        1990,
        "year only",
    ),
    bad("CC2024", cccd(issued="10082012", extra=("17052015",)), CC, Reason.EXPIRED, "expired"),
    bad(
        "CC2024",
        cccd(born="32051990", issued="15072024", extra=HOUSEHOLD),
        CC,
        Reason.MALFORMED,
        "day 32",
    ),
]


def decide(payload: str) -> tuple[Decision, CodeKind]:
    try:
        code = READER.read(payload.encode(), NOW)
    except CodeRejected as err:
        decision = POLICY.rejected(err)
    else:
        decision = POLICY.decide(code, NOW, 0)
    return decision, decision.code_kind


@pytest.mark.parametrize("row", CORPUS, ids=[f"{r.source}:{r.note}" for r in CORPUS])
def test_published_layouts_are_decided_as_their_source_says(row: Row) -> None:
    decision, kind = decide(row.payload)
    assert (kind, decision.verdict, decision.reason) == (row.kind, row.verdict, row.reason), (
        decision.detail
    )
    if row.verdict is Verdict.PASS:
        assert decision.code is not None
        assert (decision.code.masked_name, decision.code.birth_year) == (row.masked, row.year)


def test_the_corpus_covers_every_source() -> None:
    by_source = {s: sum(r.source == s for r in CORPUS) for s in ("Q1405", "CCCD2021", "CC2024")}
    assert all(n >= 8 for n in by_source.values()), by_source


def test_a_whole_id_on_a_national_qr_is_kept_for_the_deny_list_only() -> None:
    code = READER.read(q1405(so="001090012345").encode(), NOW)
    assert code.id_number is not None and code.id_number.reveal() == "001090012345"
    assert code.subject is not None and code.subject.value == "QV5T8K2M9"
    assert "001090012345" not in repr(code)


def test_trailing_card_fields_are_not_kept() -> None:
    code = READER.read(cccd(issued="15072024", extra=HOUSEHOLD).encode(), NOW)
    assert all(h not in repr(code) for h in ("TRẦN", "Trần", "001190054321", "001090099999"))
    assert code.id_number is not None and code.id_number.reveal() == "001090012345"


def test_an_expired_card_is_admitted_with_a_warning_where_the_venue_says_so() -> None:
    warn = VenuePolicy(
        PolicyConfig.model_validate(
            {"admit_kinds": ["cccd"], "identity": {"expired_cards": "warn"}}
        ),
        Direction.ENTRY,
        "Asia/Ho_Chi_Minh",
        DenyList(),
    )
    code = READER.read(cccd(issued="10082012", extra=("17052015",)).encode(), NOW)
    decision = warn.decide(code, NOW, 0)
    assert (decision.verdict, decision.reason) == (Verdict.PASS, None)
    assert "expired" in decision.detail
    assert POLICY.decide(code, NOW, 0).reason is Reason.EXPIRED


def test_a_card_valid_through_its_expiry_day() -> None:
    code = READER.read(cccd(issued="10082012", extra=("17052015",)).encode(), NOW)
    day = datetime(2015, 5, 17, 16, 0, tzinfo=UTC).timestamp()  # 23:00 in Hà Nội
    assert POLICY.decide(code, day, 0).verdict is Verdict.PASS
    assert POLICY.decide(code, day + 2 * 3600, 0).reason is Reason.EXPIRED


def test_no_new_personal_field_is_kept_or_recorded() -> None:
    """Sex, address, household members and EXT are read past, never held nor recorded."""
    assert {f.name for f in fields(PersonalCode)} == {
        "kind", "verified", "subject", "masked_name", "birth_year", "category", "issued_at",
        "expires_at", "not_before", "declared_at", "id_number", "dcc",
    }  # fmt: skip
    assert set(CheckinRecord.model_fields) == {
        "id", "seq", "venue_id", "kiosk_id", "direction", "code_kind", "subject",
        "masked_name", "verified", "verdict", "reason", "manual", "source", "created_utc",
        "created_mono_ns", "boot_id",
    }  # fmt: skip


# Hypothesis: every variation the sources allow is read; anything else FAILs with a reason.
stars = st.integers(1, 9).map("*".__mul__)
tails = st.text(alphabet="0123456789", min_size=2, max_size=6)
masked_ids = st.one_of(st.builds(str.__add__, stars, tails), st.just("001090012345"))
years = st.integers(1900, 2025)


@st.composite
def birth_dates(draw: st.DrawFn) -> tuple[str, int]:
    y, m, d = draw(years), draw(st.integers(1, 12)), draw(st.integers(1, 28))
    form = draw(st.sampled_from(["iso", "masked", "daymask", "slash", "ddmmyyyy", "year"]))
    text = {
        "iso": f"{y}-{m:02}-{d:02}",
        "masked": f"{y}-**-**",
        "daymask": f"{y}-{m:02}-**",
        "slash": f"{y}/{m}/{d}",
        "ddmmyyyy": f"{d:02}{m:02}{y}",
        "year": str(y),
    }[form]
    return text, y


names = st.sampled_from(["NGUYEN VAN AN", "Nguyen Van An", "nguyễn văn an", "LE BINH"])
trailing = st.sampled_from(["", "\r", "\n", "\r\n", " ", "\t\r\n"])
qids = st.text(alphabet="ABCDEFGHJKLMNPQRSTUVWXYZ0123456789", min_size=4, max_size=16)
ext_parts = st.text(alphabet="ABCXYZ0123456789*", max_size=12)


@PROVEN
@given(
    so=masked_ids,
    name=names,
    born=birth_dates(),
    kind=st.integers(1, 99).map(str),
    qid=qids,
    ext=st.lists(ext_parts, max_size=6).map("<".join),
    end=trailing,
)
def test_any_allowed_national_qr_is_read(
    so: str, name: str, born: tuple[str, int], kind: str, qid: str, ext: str, end: str
) -> None:
    payload = q1405(so=so, name=name, born=born[0], kind=kind, qid=qid, ext=ext) + end
    code = READER.read(payload.encode(), NOW)
    assert (code.kind, code.birth_year, code.verified) == (NQ, born[1], False)
    assert code.subject is not None and code.subject.value == qid


@PROVEN
@given(
    old=st.sampled_from([None, "", "123456789", "001090099999"]),
    name=names,
    y=years,
    m=st.integers(1, 12),
    d=st.integers(1, 28),
    slash=st.booleans(),
    extra=st.lists(st.sampled_from(["", *HOUSEHOLD, "01012020"]), max_size=5),
    end=trailing,
)
def test_any_allowed_card_is_read(
    old: str | None,
    name: str,
    y: int,
    m: int,
    d: int,
    slash: bool,
    extra: list[str],
    end: str,
) -> None:
    born = f"{d:02}/{m:02}/{y}" if slash else f"{d:02}{m:02}{y}"
    payload = cccd(old=old, name=name, born=born, issued="15072024", extra=tuple(extra)) + end
    code = READER.read(payload.encode(), NOW)
    assert (code.kind, code.birth_year, code.verified) == (CC, y, False)


junk = st.text(
    st.characters(exclude_characters="|", categories=("L", "M", "N", "P", "S", "Z", "Cc")),
    min_size=1,
    max_size=12,
)


@PROVEN
@given(junk=junk)
def test_a_national_qr_with_a_broken_birth_date_fails_as_one(junk: str) -> None:
    payload = q1405(born=junk)
    try:
        code = READER.read(payload.encode(), NOW)
    except CodeRejected as err:
        assert (err.kind, err.reason) == (NQ, Reason.MALFORMED)
    else:  # the junk happened to be a date form the decision allows
        assert code.kind is NQ and code.birth_year is not None


@PROVEN
@given(junk=junk, position=st.sampled_from(["born", "issued"]))
def test_a_card_with_a_broken_date_fails_as_a_card(junk: str, position: str) -> None:
    payload = cccd(born=junk) if position == "born" else cccd(issued=junk)
    try:
        code = READER.read(payload.encode(), NOW)
    except CodeRejected as err:
        assert (err.kind, err.reason) == (CC, Reason.MALFORMED)
    else:
        assert code.kind is CC
