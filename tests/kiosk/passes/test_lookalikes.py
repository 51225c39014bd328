"""Look-alike digits and letters: one ID number or QID is one subject, however it is written."""

from __future__ import annotations

import time
import unicodedata

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from checkin_protocol.keys import TrustStore, generate_key
from checkin_protocol.privacy import SubjectHasher
from checkin_protocol.reasons import Reason
from checkin_protocol.records import Subject, SubjectKind
from checkin_protocol.sealing import open_sealed
from kiosk.passes import CodeReader, CodeRejected
from kiosk.passes.model import CodeKind
from support.lookalikes import NFKC_FORMS, OTHER_DECIMALS, WHITESPACE, written_as

HASHER = SubjectHasher(b"k" * 32)
SEAL = X25519PrivateKey.generate()


class Registry:
    def sealing_key(self) -> X25519PublicKey:
        return SEAL.public_key()


READER = CodeReader(trust=TrustStore([generate_key().public_key()]), sealing=Registry())


def opened(payload: bytes) -> str:
    """The number the registry finds in the code's sealed subject."""
    subject = READER.read(payload, time.time()).subject
    assert subject is not None and subject.kind is SubjectKind.SEALED
    return open_sealed([SEAL], subject)


ADDRESS = "Số 1, Phố Huế, Hà Nội"
PROVEN = settings(deadline=None)
# Every decimal digit form there is, by the ASCII digit it stands for.
ALL_FORMS = {
    d: [d, *NFKC_FORMS[d], *(c for c in OTHER_DECIMALS if unicodedata.decimal(c) == int(d))]
    for d in "0123456789"
}

id12 = st.text(alphabet="0123456789", min_size=12, max_size=12)
QID_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"
qids = st.text(alphabet=QID_CHARS, min_size=4, max_size=64)
# Not a digit in any form: letters, punctuation, fractions, zero-width and control characters.
not_digits = st.characters(exclude_categories=("Nd", "Cs"), exclude_characters="|").filter(
    lambda ch: not ch.isspace() and not unicodedata.normalize("NFKC", ch).strip().isdecimal()
)


def cccd(number: str, old: str = "123456789") -> bytes:
    return f"{number}|{old}|NGUYỄN VĂN AN|01011990|Nam|{ADDRESS}|01012021".encode()


def national(qid: str) -> bytes:
    return f"******012345|Phạm Thị Hoa|15/03/1985|1|{qid}|".encode()


@PROVEN
@given(data=st.data(), number=id12)
def test_cccd_number_in_any_digit_form_is_the_same_subject(
    data: st.DataObject, number: str
) -> None:
    written = data.draw(written_as(number))
    code = READER.read(cccd(written), time.time())
    assert code.kind is CodeKind.CCCD
    assert opened(cccd(written)) == number == opened(cccd(number))


@PROVEN
@given(data=st.data(), number=id12, at=st.integers(0, 12), bad=not_digits)
def test_cccd_number_with_a_non_digit_is_refused(
    data: st.DataObject, number: str, at: int, bad: str
) -> None:
    written = data.draw(written_as(number))
    # Inside the number, after any leading whitespace: strip() cannot remove it.
    core = written.strip()
    lead = written[: len(written) - len(written.lstrip())]
    pos = min(at, len(core))
    with pytest.raises(CodeRejected):
        READER.read(cccd(lead + core[:pos] + bad + core[pos:]), time.time())


@PROVEN
@given(number=id12, at=st.integers(0, 11), digit=st.sampled_from(OTHER_DECIMALS))
def test_cccd_digits_nfkc_leaves_alone_are_malformed(number: str, at: int, digit: str) -> None:
    """An Arabic-Indic or Devanagari digit is a digit, so the code is a CCCD; but one that
    cannot be brought to ASCII is refused, never hashed to a second subject."""
    with pytest.raises(CodeRejected) as exc:
        READER.read(cccd(number[:at] + digit + number[at + 1 :]), time.time())
    assert (exc.value.reason, exc.value.kind) == (Reason.MALFORMED, CodeKind.CCCD)


@pytest.mark.parametrize("suffix", ["\n", " ", "\u3000", "\t", "\u00a0"])
def test_cccd_number_with_trailing_whitespace_is_the_same_subject(suffix: str) -> None:
    assert opened(cccd("001090012345" + suffix)) == "001090012345"


@PROVEN
@given(data=st.data(), qid=qids)
def test_national_qid_in_any_form_is_the_same_subject(data: st.DataObject, qid: str) -> None:
    code = READER.read(national(data.draw(written_as(qid))), time.time())
    assert code.kind is CodeKind.NATIONAL_QR
    assert code.subject == Subject(SubjectKind.QID, qid)


def test_national_qid_with_a_trailing_newline_is_the_same_subject() -> None:
    # "Q8F3K2M9\n" used to match `^...$` and become a subject of its own.
    code = READER.read(national("Q8F3K2M9\n"), time.time())
    assert code.subject == Subject(SubjectKind.QID, "Q8F3K2M9")


@PROVEN
@given(data=st.data(), qid=qids, at=st.integers(0, 64), bad=not_digits)
def test_national_qid_with_a_foreign_character_is_refused(
    data: st.DataObject, qid: str, at: int, bad: str
) -> None:
    # A character that folds to ones a QID may hold (`ª` is `a`, `㎏` is `kg`) is no foreign one.
    assume(not all(c in QID_CHARS for c in unicodedata.normalize("NFKC", bad).strip()))
    pos = min(at, len(qid))
    with pytest.raises(CodeRejected):
        READER.read(national(qid[:pos] + bad + qid[pos:]), time.time())


@PROVEN
@given(data=st.data(), number=id12)
def test_hasher_gives_one_subject_per_number(data: st.DataObject, number: str) -> None:
    """The registry and deny files hash typed-in numbers: all decimal forms agree there too."""
    mixed = "".join(
        data.draw(
            st.sampled_from(
                [
                    d,
                    *NFKC_FORMS[d],
                    *(c for c in OTHER_DECIMALS if c.isdecimal() and int(c) == int(d)),
                ]
            )
        )
        for d in number
    )
    pad = data.draw(st.text(alphabet=st.sampled_from(WHITESPACE), max_size=2))
    assert HASHER(pad + mixed + pad) == HASHER(number)


# Whitespace controls (\t, \x1f) are stripped at the ends and are no hazard there.
control = st.characters(categories=("Cc", "Cf", "Co", "Cn"), exclude_characters="|").filter(
    lambda ch: not ch.isspace()
)


@PROVEN
@given(at=st.integers(0, 20), bad=control)
def test_names_with_control_or_invisible_characters_are_refused(at: int, bad: str) -> None:
    """The family name is shown whole: a NUL in it stopped the screen's font rendering."""
    name = "NGUYỄN VĂN AN"
    written = name[:at] + bad + name[at:]
    for payload in (
        cccd("001090012345").replace(name.encode(), written.encode()),
        national("Q8F3K2M9").replace("Phạm Thị Hoa".encode(), written.encode()),
    ):
        with pytest.raises(CodeRejected) as exc:
            READER.read(payload, time.time())
        assert exc.value.reason is Reason.MALFORMED
