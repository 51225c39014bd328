"""The guard's keypad console: PIN, reasons, direction, mute, history."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from checkin_protocol.privacy import mask_name
from checkin_protocol.reasons import Reason
from kiosk.config import GuardConfig
from kiosk.decision.outcome import Outcome
from kiosk.display import guard as guard_module
from kiosk.display.guard import (
    GuardActions,
    GuardConsole,
    hash_pin,
    history_rows,
    key_name,
    verify_pin,
)
from kiosk.display.views import (
    GuardNameView,
    GuardPinView,
    GuardReasonView,
    HistoryRow,
    HistoryView,
    NoticeView,
    View,
)
from kiosk.policy.engine import Decision, Verdict
from support.cli import run_kiosk, run_kiosk_process
from support.timing import wait_for

_OPENED: list[GuardConsole] = []


@pytest.fixture(autouse=True)
def _close_consoles() -> Iterator[None]:
    """Each console a test made is closed after it, as the kiosk closes its own: its PIN
    thread ends with the test."""
    yield
    while _OPENED:
        _OPENED.pop().close()


def opened(c: GuardConsole) -> GuardConsole:
    _OPENED.append(c)
    return c


def console(
    pin: str | None = "2468", ask_name: bool = True, verify: Callable[[str, str], bool] = verify_pin
) -> tuple[GuardConsole, dict[str, list[object]]]:
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

    def admit(reason: str, name: str | None) -> None:
        calls["admit"].append((reason, name))

    rows = [HistoryRow(f"09:00:{i:02d}", "entry", "PASS", "A**", "") for i in range(12)]
    actions = GuardActions(admit=admit, switch_direction=switch, toggle_mute=mute,
                           history=lambda: rows)  # fmt: skip
    cfg = GuardConfig(pin_hash=hash_pin(pin, rounds=1000) if pin else None, ask_name=ask_name)
    return opened(GuardConsole(cfg, actions, verify=verify)), calls


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


def pin_state(view: object) -> tuple[int, bool, bool]:
    assert isinstance(view, GuardPinView), view
    return view.digits, view.wrong, view.checking


def test_manual_admit_needs_the_pin_then_a_reason_then_an_optional_name() -> None:
    c, calls = console()
    assert pin_state(press(c, "+")) == (0, False, False)  # the keypad's +
    assert pin_state(press(c, "[1]", "3")) == (2, False, False)  # keypad and main keys alike
    assert pin_state(press(c, "enter")) == (0, True, False)
    assert calls["admit"] == []
    view = press(c, "2", "4", "6", "8", "return")
    assert isinstance(view, GuardReasonView) and view.reasons[1] == "code_unreadable"
    assert press(c, "7") == view  # no 7th reason: nothing happens
    named = press(c, "2")
    assert isinstance(named, GuardNameView) and named.text == ""
    named = press(c, "n", "g", "space", "space", "v", "a", "n", "space", "a", "backspace", "b")
    assert isinstance(named, GuardNameView) and named.text == "ng van b"
    assert press(c, "return") is None
    assert calls["admit"] == [("code_unreadable", "Ng Van B")]
    # Enter at once: no name.
    press(c, "a", "2", "4", "6", "8", "return", "1", "return")
    assert calls["admit"][-1] == ("no_smartphone", None)


def test_the_guard_types_a_vietnamese_name_in_telex_or_vni() -> None:
    """Recorded today as `Nguyn T** H`: the name must be typed as Vietnamese users type it."""
    c, calls = console()
    for keys in ("nguyeenx thij hoa", "nguye6n4 thi5 hoa"):
        press(c, "+", "2", "4", "6", "8", "return", "2")
        named = press(c, *("space" if k == " " else k for k in keys))
        assert isinstance(named, GuardNameView) and named.text == "nguyễn thị hoa"
        assert named.vietnamese  # the screen tells the guard to type Telex or VNI
        press(c, "return")
    assert calls["admit"][-2:] == [("code_unreadable", "Nguyễn Thị Hoa")] * 2
    assert mask_name("Nguyễn Thị Hoa") == "Nguyễn T** H"
    # Backspace takes back the last key pressed: the tone first, then the circumflex.
    press(c, "+", "2", "4", "6", "8", "return", "2", *"nguyeenx")
    assert isinstance(v := press(c, "backspace"), GuardNameView) and v.text == "nguyên"
    assert isinstance(v := press(c, "backspace"), GuardNameView) and v.text == "nguyê"
    assert isinstance(v := press(c, "backspace"), GuardNameView) and v.text == "nguye"


def test_plain_letters_where_the_venue_turns_vietnamese_input_off() -> None:
    calls: list[tuple[str, str | None]] = []
    actions = GuardActions(
        admit=lambda r, n: calls.append((r, n)), switch_direction=lambda: "entry",
        toggle_mute=lambda: False, history=list,
    )  # fmt: skip
    cfg = GuardConfig(pin_hash=hash_pin("2468", rounds=1000), vietnamese_input=False)
    c = opened(GuardConsole(cfg, actions))
    named = press(c, "+", "2", "4", "6", "8", "return", "1", *"hoaf")
    assert isinstance(named, GuardNameView) and not named.vietnamese and named.text == "hoaf"
    press(c, "return")
    assert calls == [("no_smartphone", "Hoaf")]


def test_without_the_name_step_the_reason_admits() -> None:
    c, calls = console(ask_name=False)
    assert press(c, "a", "2", "4", "6", "8", "return", "4") is None
    assert calls["admit"] == [("delivery", None)]


def test_the_pin_screen_limits_the_digits_and_ignores_an_empty_enter() -> None:
    c, _ = console()
    press(c, "a")
    assert pin_state(press(c, "return")) == (0, False, False)  # nothing typed: nothing checked
    view = press(c, *"1234567890123")
    assert isinstance(view, GuardPinView) and view.digits == view.max_digits == 8
    assert view.cancel == ". / Esc"


@settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(
        st.sampled_from(
            [
                *"0123456789abc+-*/.",
                "space",
                "backspace",
                "return",
                "escape",
                "[5]",
                "enter",
                "f1",
                "é",
                "",
            ]
        ),
        max_size=30,
    )
)
def test_any_key_sequence_leaves_the_console_in_a_known_state(keys: list[str]) -> None:
    """Every outside key sequence: no exception, PIN never longer than the limit, the admit
    only after the right PIN (the PIN is 2468; the keys drawn here cannot type it in order
    often, and when they do the reason and name steps follow)."""
    c, calls = console()
    try:
        for k in keys:
            view = press(c, k)
            if isinstance(view, GuardPinView):
                assert view.digits <= view.max_digits
            if isinstance(view, GuardNameView):
                assert len(view.text) <= 40
    finally:
        c.close()
    for call in calls["admit"]:
        assert isinstance(call, tuple)
        reason, name = call
        assert reason in GuardConfig().admit_reasons and (name is None or name.strip())


def test_the_pin_is_checked_off_the_calling_thread() -> None:
    """PBKDF2 takes ~140 ms on a Pi: the screen must keep drawing while it runs."""
    release = threading.Event()
    checked_on: list[str] = []

    def slow_verify(pin: str, stored: str) -> bool:
        checked_on.append(threading.current_thread().name)
        release.wait(10)
        return verify_pin(pin, stored)

    c, calls = console(verify=slow_verify)
    c.key("a")
    for k in "2468":
        c.key(k)
    assert pin_state(c.key("return")) == (4, False, True)  # at once, not after
    assert c.poll() is None and pin_state(c.key("1")) == (4, False, True)
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
    assert press(c, "a", "2", "4", "6", "8", "return", "1", "x", ".") is None
    assert calls["admit"] == []


def test_no_pin_set_means_no_manual_admit() -> None:
    c, calls = console(pin=None)
    assert press(c, "a") == NoticeView("guard.no_pin")
    assert press(c, "1") == NoticeView("guard.no_pin")
    assert calls["admit"] == []


def test_switching_direction_needs_the_pin_and_mute_does_not() -> None:
    c, calls = console()
    assert pin_state(press(c, "*")) == (0, False, False)
    assert pin_state(press(c, "1", "1", "1", "1", "return")) == (0, True, False)
    assert calls["switch"] == []
    assert press(c, "2", "4", "6", "8", "return") == NoticeView("guard.switched", "direction.exit")
    assert calls["switch"] == ["exit"]
    assert press(c, "escape") is None
    assert press(c, "-") == NoticeView("guard.muted")
    assert press(c, "m") == NoticeView("guard.unmuted")
    assert calls["mute"] == [True, False]
    c2, calls2 = console(pin=None)
    assert press(c2, "d") == NoticeView("guard.no_pin") and calls2["switch"] == []


def test_history_shows_private_reasons_only_after_the_pin() -> None:
    c, _ = console()
    history = press(c, "/")
    assert isinstance(history, HistoryView) and len(history.rows) == 10
    assert not history.unlocked and history.rows[-1].time == "09:00:11"
    assert pin_state(press(c, "return")) == (0, False, False)
    unlocked = press(c, "2", "4", "6", "8", "return")
    assert isinstance(unlocked, HistoryView) and unlocked.unlocked
    assert press(c, "h") == unlocked  # already open: nothing changes
    assert press(c, ".") is None


def test_the_default_keys_are_on_a_numeric_keypad() -> None:
    keypad = {"+", "-", "*", "/", ".", "return", "backspace", *"0123456789"}
    keys = GuardConfig().keys
    for action in (keys.admit, keys.direction, keys.mute, keys.history, keys.cancel):
        assert action[0] in keypad
    with pytest.raises(ValueError, match="own keys"):
        GuardConfig.model_validate({"keys": {"admit": "m"}})
    with pytest.raises(ValueError, match="type the PIN"):
        GuardConfig.model_validate({"keys": {"admit": "return"}})
    assert GuardConfig.model_validate({"keys": {"admit": "f1"}}).keys.admit == ["f1"]


def test_key_names() -> None:
    assert (
        key_name("[5]") == "5" and key_name("enter") == "return" and key_name("Escape") == "escape"
    )


def test_hash_pin_command_as_the_program() -> None:
    # The process-level check: the PIN through a real pipe into `python -m kiosk`.
    out = run_kiosk_process("guard", "hash-pin", stdin="1357\n")
    assert out.returncode == 0 and verify_pin("1357", out.stdout.strip())
    bad = run_kiosk("guard", "hash-pin", stdin="12\n")  # in this process: the same answer
    assert bad.returncode == 2


def test_history_rows_keep_the_reason_code_and_the_deny_lists_note_for_the_staff() -> None:
    """The record keeps the public code (`denied`); the guard's history carries the local
    deny list's note for after the PIN; a registry entry (no note, only "denied") has none."""
    local = Outcome(Decision(Verdict.FAIL, Reason.DENIED, None, "trộm cắp 03/2026"), None, 1.0)
    remote = Outcome(Decision(Verdict.FAIL, Reason.DENIED, None, "denied"), None, 1.0)
    manual = Outcome(Decision(Verdict.PASS, None, None, "manual: delivery"), None, 1.0,
                     manual_reason="delivery")  # fmt: skip
    failed = Outcome(Decision(Verdict.PASS, None, None), None, 1.0, error="disk full")
    rows = history_rows([local, remote, manual, failed], ZoneInfo("Asia/Ho_Chi_Minh"))
    assert [(r.verdict, r.reason, r.staff_note, r.manual) for r in rows] == [
        ("FAIL", "denied", "trộm cắp 03/2026", False),
        ("FAIL", "denied", "", False),
        ("PASS", "delivery", "", True),
        ("ERROR", "", "", False),
    ]
    assert all(r.time == "--:--:--" for r in rows)  # no record: no time to show


def test_wrong_pins_lock_the_pin_screen_for_longer_each_time() -> None:
    now = [1000.0]
    c, calls = console()
    c = opened(GuardConsole(c._cfg, c._actions, clock=lambda: now[0]))
    for _ in range(guard_module.FREE_TRIES - 1):
        view = press(c, "a", "1", "1", "1", "1", "return")
        assert isinstance(view, GuardPinView) and view.wrong and view.locked_for == 0
    view = press(c, "1", "1", "1", "1", "return")  # the fifth: 30 s
    assert isinstance(view, GuardPinView) and view.locked_for == 30
    view = press(c, "escape", "a", "2", "4", "6", "8", "return")
    # Cancelling does not lift it, nor is the right PIN taken meanwhile.
    assert isinstance(view, GuardPinView) and (view.digits, view.locked_for) == (0, 30)
    now[0] += 10
    view = c.poll()  # the countdown on screen
    assert isinstance(view, GuardPinView) and view.locked_for == 20
    assert c.poll() is None
    now[0] += 20
    assert press(c, "1", "1", "1", "1", "return").locked_for == 60  # type: ignore[attr-defined]
    assert [guard_module.lockout(n) for n in range(4, 12)] == [0, 30, 60, 120, 240, 480, 600, 600]
    now[0] += 60
    view = press(c, "2", "4", "6", "8", "return")
    assert isinstance(view, GuardReasonView) and calls["admit"] == []
    now[0] += 1  # right once: the count starts again
    view = press(c, "escape", "a", "1", "1", "1", "1", "return")
    assert isinstance(view, GuardPinView) and view.locked_for == 0
