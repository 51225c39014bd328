"""`kiosk guard hash-pin`: a PIN asked twice (or piped), its hash for the config."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kiosk.cli import main
from support.cli import run_kiosk

# In this process, answering as the program would. A pipe closed under the command is tested
# on the program itself (`python -m kiosk`): only a process has a real pipe to close.
kiosk = run_kiosk


@pytest.fixture
def terminal(monkeypatch: pytest.MonkeyPatch) -> Callable[..., None]:
    """Make stdin a terminal that answers the prompts with `answers`."""

    def answer(*answers: str) -> None:
        replies = iter(answers)
        monkeypatch.setattr(sys.stdin, "isatty", lambda: True)
        monkeypatch.setattr("getpass.getpass", lambda prompt="": next(replies))

    return answer


def test_hash_pin_asks_twice_and_says_where_the_hash_goes(
    terminal: Callable[..., None], capsys: pytest.CaptureFixture[str]
) -> None:
    from kiosk.display.guard import verify_pin

    terminal("4711", "4711")
    assert main(["guard", "hash-pin"]) == 0
    out = capsys.readouterr()
    assert verify_pin("4711", out.out.strip())
    assert "guard:" in out.err and "pin_hash:" in out.err and "venue config" in out.err


def test_hash_pin_refuses_two_different_pins(
    terminal: Callable[..., None], capsys: pytest.CaptureFixture[str]
) -> None:
    terminal("4711", "4712")
    assert main(["guard", "hash-pin"]) == 2
    out = capsys.readouterr()
    assert out.out == "" and "differ" in out.err


@pytest.mark.parametrize(
    ("stdin", "status"),
    [("1234\n", 0), ("1234\n1234\n", 0), ("1234\n9999\n", 2), ("12\n", 2), ("", 2)],
)
def test_hash_pin_from_a_pipe(stdin: str, status: int) -> None:
    out = kiosk("guard", "hash-pin", stdin=stdin)
    assert out.returncode == status, out.stderr
    assert out.stdout.startswith("pbkdf2_sha256$") == (status == 0)


@given(
    pin=st.one_of(
        st.text(alphabet=st.characters(categories=["Nd"]), min_size=4, max_size=8).filter(
            lambda t: not t.isascii()
        ),  # fullwidth, Arabic-Indic, … digits: no keypad types them
        st.text(alphabet="0123456789", max_size=3),
        st.text(alphabet="0123456789", min_size=9, max_size=20),
        st.text(alphabet="0123456789abc -", min_size=4, max_size=8).filter(
            lambda t: not t.isdigit()
        ),
    )
)
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_hash_pin_takes_4_to_8_ascii_digits_only(
    pin: str, terminal: Callable[..., None], capsys: pytest.CaptureFixture[str]
) -> None:
    terminal(pin, pin)
    assert main(["guard", "hash-pin"]) == 2
    out = capsys.readouterr()
    assert out.out == "" and "4 to 8 digits 0-9" in out.err


def test_hash_pin_length_follows_max_digits_or_the_config(
    terminal: Callable[..., None],
    capsys: pytest.CaptureFixture[str],
    write_config: Callable[..., Path],
) -> None:
    terminal("1234567890", "1234567890")
    assert main(["guard", "hash-pin", "--max-digits", "10"]) == 0
    terminal("1234567890", "1234567890")
    assert (
        main(["guard", "hash-pin", "--config", str(write_config("guard: {max_pin_digits: 6}\n"))])
        == 2
    )
    assert "4 to 6 digits" in capsys.readouterr().err
