"""The roll call's marks: kept once by id, sealed for the LAN like records, refused malformed."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from kiosk.peers.marks import MarkBook
from kiosk.peers.wire import Mark, Marks, Refused, VenueKeys

KEYS = VenueKeys(b"a-venue-secret-of-enough-bytes", "v1")
TAG = "tag:" + "ab" * 16


def test_a_mark_heard_twice_is_one_mark(tmp_path: Path) -> None:
    book = MarkBook(tmp_path / "marks.db")
    try:
        made = book.mark(TAG, "a1", "Hùng", time.time())
        assert book.add([made, made]) == 0  # heard again from two doors: nothing new
        assert book.since(0) == [made]
        assert book.purge(time.time() + 1) == 1 and book.since(0) == []
    finally:
        book.close()


def test_marks_cross_the_lan_sealed_and_whole() -> None:
    mark = Mark(id="0" * 8 + "-0000-4000-8000-" + "0" * 12, person=TAG, kiosk="c1",
                time="2026-12-08T01:02:03.004Z", by="Lan")  # fmt: skip
    message = Marks(kind="marks", sender="c1", epoch="0" * 16, sent=1.0, counter=1, marks=[mark])
    datagram = KEYS.seal(message)
    assert b"Lan" not in datagram and TAG.encode() not in datagram
    assert KEYS.open(datagram) == message
    with pytest.raises(Refused):
        VenueKeys(b"another-secret-of-enough-bytes", "v1").open(datagram)


@given(person=st.text(max_size=80), by=st.text(max_size=80))
def test_a_mark_of_anyone_but_a_tag_or_record_or_by_no_printable_name_is_refused(
    person: str, by: str
) -> None:
    try:
        Mark(id="0" * 8 + "-0000-4000-8000-" + "0" * 12, person=person, kiosk="a1",
             time="2026-12-08T01:02:03.004Z", by=by)  # fmt: skip
    except ValidationError:
        return
    assert person.startswith(("tag:", "record:"))
    assert 1 <= len(by) <= 64 and all(c.isprintable() or ord(c) > 0x9F for c in by)
