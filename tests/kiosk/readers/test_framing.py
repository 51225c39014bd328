"""Framing: terminators, silences and oversize input, on a clock the test sets."""

from __future__ import annotations

import logging

import pytest

from kiosk.readers.framing import TERMINATORS, Framer

MS = 1_000_000


def test_crlf_ends_a_code_and_keeps_the_time_of_its_last_byte() -> None:
    f = Framer(b"\r\n", 50 * MS)
    assert f.feed(b"ABC", 1 * MS) == []
    assert f.feed(b"\r\nDE", 2 * MS) == [(b"ABC", 2 * MS)]
    assert f.pending


def test_two_codes_in_one_read() -> None:
    f = Framer(b"\r\n", 50 * MS)
    assert f.feed(b"ONE\r\nTWO\r\n", 5) == [(b"ONE", 5), (b"TWO", 5)]
    assert not f.pending


def test_silence_ends_a_code_only_once_it_has_passed() -> None:
    f = Framer(None, 50 * MS)
    f.feed(b"AB", 10 * MS)
    f.feed(b"C", 20 * MS)
    assert f.deadline_ns() == 70 * MS
    assert f.expire(69 * MS) == []
    assert f.expire(70 * MS) == [(b"ABC", 20 * MS)]
    assert f.deadline_ns() is None


def test_a_crlf_scanner_pausing_before_lf_leaves_no_cr_in_the_code() -> None:
    f = Framer(b"\r\n", 50 * MS)
    f.feed(b"ABC\r", 0)
    assert f.expire(50 * MS) == [(b"ABC", 0)]
    # The LF that follows late makes no empty code.
    assert f.feed(b"\n", 60 * MS) == []


def test_cr_terminator_with_a_scanner_that_sends_crlf() -> None:
    f = Framer(TERMINATORS["cr"], 50 * MS)
    assert f.feed(b"A\r\nB\r\n", 0) == [(b"A", 0), (b"B", 0)]


def test_bare_terminators_make_no_codes() -> None:
    assert Framer(b"\n", MS).feed(b"\n\n\n", 0) == []


def test_explicit_end() -> None:
    f = Framer(None, 50 * MS)
    f.feed(b"X", 0)
    assert f.end(3) == [(b"X", 3)]
    assert f.end(4) == []


@pytest.mark.parametrize("chunk", [100, 4097])
def test_oversize_input_is_discarded_up_to_its_end(
    chunk: int, caplog: pytest.LogCaptureFixture
) -> None:
    f = Framer(b"\r\n", 50 * MS, limit=4096)
    garbage = bytes(range(32, 127)) * 60  # 5700 bytes, no terminator
    done = []
    with caplog.at_level(logging.WARNING):
        for i in range(0, len(garbage), chunk):
            done += f.feed(garbage[i : i + chunk], i)
        done += f.feed(b"TAIL\r\nGOOD\r\n", 10**9)
    assert done == [(b"GOOD", 10**9)]
    assert f.discarded == 1
    assert "discarded" in caplog.text


def test_oversize_code_arriving_whole_is_discarded() -> None:
    f = Framer(b"\n", MS, limit=10)
    assert f.feed(b"x" * 11 + b"\nok\n", 0) == [(b"ok", 0)]
    assert f.discarded == 1


def test_oversize_then_silence_then_a_good_code() -> None:
    f = Framer(None, 50 * MS, limit=10)
    f.feed(b"x" * 20, 0)
    assert f.expire(50 * MS) == []
    f.feed(b"ok", 100 * MS)
    assert f.expire(150 * MS) == [(b"ok", 100 * MS)]
