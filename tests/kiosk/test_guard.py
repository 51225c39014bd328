"""The guard's keypad console: PIN, reasons, direction, mute, history."""

from __future__ import annotations

import subprocess
import sys
import threading

import pytest

from kiosk import guard as guard_module
from kiosk.config import GuardConfig
from kiosk.display.views import (
    GuardPinView,
    GuardReasonView,
    HistoryRow,
    HistoryView,
    NoticeView,
    View,
)
from kiosk.guard import GuardActions, GuardConsole, hash_pin, key_name, verify_pin
from support.timing import wait_for


def console(pin: str | None = "2468") -> tuple[GuardConsole, dict[str, list[object]]]:
    calls: dict[str, list[object]] = {"admit": [], "switch": [], "mute": []}
    state = {"muted": False, "dir": "entry"}

    def switch() -> str:
        state["dir"] = "exit" if state["dir"] == "entry" else "entry"
        calls["switch"].append(state["dir"])
        return str(state["dir"])

    def mute() -> bool:
        state["muted"] = not state["muted"]
        calls["mute"].append(state["muted"])
        return bool(state["muted"])

    rows = [HistoryRow(f"09:00:{i:02d}", "entry", "PASS", "A**", "") for i in range(12)]
    actions = GuardActions(admit=lambda r: calls["admit"].append(r), switch_direction=switch,
                           toggle_mute=mute, history=lambda: rows)  # fmt: skip
    cfg = GuardConfig(pin_hash=hash_pin(pin, rounds=1000) if pin else None)
    return GuardConsole(cfg, actions), calls


def answer(c: GuardConsole) -> View:
    """Poll as the render loop does until the PIN check has answered."""
    answers: list[View | None] = []

    def answered() -> bool:
        answers.append(c.poll())
        return answers[-1] is not None

    assert wait_for(answered)
    view = answers[-1]
    assert view is not None
    return view


def press(c: GuardConsole, *names: str) -> object:
    """Press keys as the render loop does: a key, then the PIN check's answer if one is due."""
    view = None
    for n in names:
        view = c.key(n)
        if isinstance(view, GuardPinView) and view.checking:
            view = answer(c)
    return view


def test_pin_hash_round_trip() -> None:
    stored = hash_pin("2468", rounds=1000)
    assert stored.startswith("pbkdf2_sha256$1000$") and "2468" not in stored
    assert verify_pin("2468", stored) and not verify_pin("2469", stored)
    assert GuardConfig(pin_hash=stored).pin_hash == stored


def test_manual_admit_needs_the_pin_then_a_reason() -> None:
    c, calls = console()
    assert press(c, "a") == GuardPinView()
    assert press(c, "[1]", "3") == GuardPinView(digits=2)  # keypad and main keys alike
    assert press(c, "enter") == GuardPinView(wrong=True)
    assert calls["admit"] == []
    view = press(c, "2", "4", "6", "8", "return")
    assert isinstance(view, GuardReasonView) and view.reasons[1] == "code_unreadable"
    assert press(c, "7") == view  # no 7th reason: nothing happens
    assert press(c, "2") is None
    assert calls["admit"] == ["code_unreadable"]


def test_the_pin_is_checked_off_the_calling_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    """PBKDF2 takes ~140 ms on a Pi: the screen must keep drawing while it runs."""
    release = threading.Event()
    checked_on: list[str] = []
    real = guard_module.verify_pin

    def slow_verify(pin: str, stored: str) -> bool:
        checked_on.append(threading.current_thread().name)
        release.wait(10)
        return real(pin, stored)

    monkeypatch.setattr(guard_module, "verify_pin", slow_verify)
    c, calls = console()
    c.key("a")
    for k in "2468":
        c.key(k)
    assert c.key("return") == GuardPinView(digits=4, checking=True)  # at once, not after
    assert c.poll() is None and c.key("1") == GuardPinView(digits=4, checking=True)
    release.set()
    assert isinstance(answer(c), GuardReasonView)
    assert checked_on and checked_on[0] != threading.current_thread().name
    assert calls["admit"] == []
    c.close()


def test_cancel_while_the_pin_is_checked_ignores_the_answer() -> None:
    c, _ = console()
    press(c, "a", "2", "4", "6", "8")
    c.key("return")
    assert c.key("escape") is None
    assert c.poll() is None and c.view is None
    c.close()


def test_cancel_at_any_step() -> None:
    c, calls = console()
    assert press(c, "a", "2", "escape") is None
    assert press(c, "a", "2", "4", "6", "8", "return", "escape") is None
    assert calls["admit"] == []


def test_no_pin_set_means_no_manual_admit() -> None:
    c, calls = console(pin=None)
    assert press(c, "a") == NoticeView("guard.no_pin")
    assert press(c, "1") == NoticeView("guard.no_pin")
    assert calls["admit"] == []


def test_direction_mute_and_history() -> None:
    c, calls = console()
    assert press(c, "d") == NoticeView("guard.switched", "direction.exit")
    assert press(c, "m") == NoticeView("guard.muted")
    assert press(c, "m") == NoticeView("guard.unmuted")
    history = press(c, "h")
    assert isinstance(history, HistoryView) and len(history.rows) == 10
    assert history.rows[-1].time == "09:00:11"
    assert calls["switch"] == ["exit"] and calls["mute"] == [True, False]


def test_key_names() -> None:
    assert (
        key_name("[5]") == "5" and key_name("enter") == "return" and key_name("Escape") == "escape"
    )


def test_hash_pin_command() -> None:
    out = subprocess.run([sys.executable, "-m", "kiosk", "guard", "hash-pin"], input="1357\n",
                         capture_output=True, text=True)  # fmt: skip
    assert out.returncode == 0 and verify_pin("1357", out.stdout.strip())
    bad = subprocess.run([sys.executable, "-m", "kiosk", "guard", "hash-pin"], input="12\n",
                         capture_output=True, text=True)  # fmt: skip
    assert bad.returncode == 2
