"""The guard's keypad: manual admit (PIN, reason, name), entry/exit (PIN), mute, last decisions."""

from __future__ import annotations

import hashlib
import hmac
import math
import os
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import tzinfo
from typing import TYPE_CHECKING, Literal

from checkin_protocol.reasons import Reason
from checkin_protocol.times import parse_iso_datetime
from kiosk.config import GuardConfig
from kiosk.display.vietnamese_input import compose
from kiosk.display.views import (
    GuardNameView,
    GuardPinView,
    GuardReasonView,
    HistoryRow,
    HistoryView,
    NoticeView,
    View,
)

if TYPE_CHECKING:
    from kiosk.decision.outcome import Outcome

PBKDF2_ROUNDS = 200_000
# After this many wrong PINs in a row the PIN screen waits, longer after each further one:
# 4-8 digits are few, and the keypad is in reach of anyone at the door.
FREE_TRIES = 5
LOCKOUT_FIRST = 30.0
LOCKOUT_MAX = 600.0


def lockout(wrong: int) -> float:
    """Seconds the PIN screen waits after `wrong` wrong PINs in a row: 30 s, doubling, ≤ 10 min."""
    if wrong < FREE_TRIES:
        return 0.0
    return min(LOCKOUT_FIRST * float(2 ** min(wrong - FREE_TRIES, 10)), LOCKOUT_MAX)


def hash_pin(pin: str, rounds: int = PBKDF2_ROUNDS) -> str:
    """`pbkdf2_sha256$ROUNDS$SALT$HASH`, for `guard.pin_hash` in the venue config."""
    salt = os.urandom(16)
    digest = hashlib.pbkdf2_hmac("sha256", pin.encode(), salt, rounds)
    return f"pbkdf2_sha256${rounds}${salt.hex()}${digest.hex()}"


def verify_pin(pin: str, stored: str) -> bool:
    _, rounds, salt, digest = stored.split("$")
    got = hashlib.pbkdf2_hmac("sha256", pin.encode(), bytes.fromhex(salt), int(rounds))
    return hmac.compare_digest(got.hex(), digest)


def key_name(raw: str) -> str:
    """pygame names keypad keys '[1]' and 'enter'; the console treats them like the main keys."""
    name = raw.lower().strip("[]")
    return {"enter": "return", "keypad enter": "return"}.get(name, name)


def key_label(names: list[str]) -> str:
    """How the guard's screen names a key: `Esc`, `.`."""
    pretty = {"escape": "Esc", "backspace": "Backspace", "delete": "Del"}
    return " / ".join(pretty.get(n, n.capitalize() if len(n) > 1 else n) for n in names)


# The name a guard types: letters, digits and spaces, as many as a name needs.
NAME_CHARS = 40
Purpose = Literal["admit", "direction", "history"]


@dataclass
class GuardActions:
    admit: Callable[[str, str | None], object]  # reason, the name the guard typed (or None)
    switch_direction: Callable[[], str]
    toggle_mute: Callable[[], bool]
    history: Callable[[], list[HistoryRow]]


class GuardConsole:
    """Turns key presses into actions and into the guard views the screen shows.

    Manual admit, switching entry/exit and the history's private reasons need the PIN;
    mute does not. The PIN check (PBKDF2, ~140 ms on a Pi 4) runs on a worker thread so the
    screen keeps drawing; the UI calls `poll()` each frame and shows the result when it is
    there. Use as a context manager, or call `close()`.
    """

    def __init__(
        self,
        cfg: GuardConfig,
        actions: GuardActions,
        clock: Callable[[], float] = time.monotonic,
        verify: Callable[[str, str], bool] = verify_pin,
    ) -> None:
        self._cfg = cfg
        self._clock = clock
        self._verify = verify  # PBKDF2 (verify_pin); slow on a Pi, so run off the UI thread
        self._wrong = 0  # wrong PINs in a row (a right one starts again)
        self._locked_until = 0.0
        self._actions = actions
        self._keys = cfg.keys
        self._cancel_label = key_label(cfg.keys.cancel)
        self._pin = ""
        self._purpose: Purpose = "admit"
        self._reason = ""
        self._typed = ""  # the keys typed for the name; shown composed (Telex/VNI)
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="guard-pin")
        self._check: Future[bool] | None = None
        self.view: View | None = None  # a guard view on screen, or None

    def __enter__(self) -> GuardConsole:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        # A check in progress finishes on its own (it is bounded by PBKDF2's rounds);
        # nothing waits for it.
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _cancel(self) -> None:
        self._pin = ""
        self._reason = ""
        self._typed = ""
        self._check = None  # a result still on its way is ignored
        self.view = None

    def poll(self) -> View | None:
        """The view to show now that a PIN check has finished, or the lockout's countdown
        moved on; None while nothing changed."""
        check = self._check
        view = self.view
        if check is None and isinstance(view, GuardPinView) and view.locked_for:
            fresh = self._pin_view(wrong=view.wrong)
            if fresh.locked_for != view.locked_for:
                self.view = fresh
                return fresh
            return None
        if check is None or not check.done():
            return None
        self._check = None
        if not check.result():
            self._wrong += 1
            self._locked_until = self._clock() + lockout(self._wrong)
            self.view = self._pin_view(wrong=True)
            return self.view
        self._wrong = 0
        if self._purpose == "admit":
            self.view = GuardReasonView(tuple(self._cfg.admit_reasons), self._cancel_label)
        elif self._purpose == "direction":
            mode = self._actions.switch_direction()
            self.view = NoticeView("guard.switched", f"direction.{mode}")
        else:
            self.view = self._history(unlocked=True)
        return self.view

    def key(self, raw: str) -> View | None:
        """Handle one key; returns the view to show now (None: back to the visitor's screen)."""
        name = key_name(raw)
        if name in self._keys.cancel or name == "escape":
            self._cancel()
            return None
        if self._check is not None:
            return self.view  # the PIN is being checked: only cancel counts
        view = self.view
        if isinstance(view, GuardPinView):
            return self._pin_key(name)
        if isinstance(view, GuardReasonView):
            return self._reason_key(view, name)
        if isinstance(view, GuardNameView):
            return self._name_key(view, name)
        if isinstance(view, HistoryView) and not view.unlocked and name == "return":
            return self._ask_pin("history")
        return self._action_key(name)

    def _action_key(self, name: str) -> View | None:
        keys = self._keys
        if name in keys.admit:
            return self._ask_pin("admit")
        if name in keys.direction:
            return self._ask_pin("direction")
        if name in keys.mute:
            muted = self._actions.toggle_mute()
            self.view = NoticeView("guard.muted" if muted else "guard.unmuted")
        elif name in keys.history:
            # Pressed again: the rows refreshed, still unlocked if the PIN was given.
            shown = self.view
            self.view = self._history(isinstance(shown, HistoryView) and shown.unlocked)
        return self.view

    def _history(self, unlocked: bool) -> HistoryView:
        rows = tuple(self._actions.history()[-10:])
        return HistoryView(rows, unlocked=unlocked, cancel=self._cancel_label)

    def _ask_pin(self, purpose: Purpose) -> View:
        if self._cfg.pin_hash is None:
            self.view = NoticeView("guard.no_pin")
        else:
            self._purpose = purpose
            self._pin = ""
            self.view = self._pin_view()
        return self.view

    def _pin_view(self, wrong: bool = False, checking: bool = False) -> GuardPinView:
        locked = math.ceil(max(0.0, self._locked_until - self._clock()))
        return GuardPinView(
            len(self._pin), wrong, checking, self._cfg.max_pin_digits, self._cancel_label, locked
        )

    def _pin_key(self, name: str) -> View | None:
        if self._clock() < self._locked_until:
            self.view = self._pin_view(wrong=True)  # no PIN is taken until the wait is over
        elif name.isdigit() and len(name) == 1 and len(self._pin) < self._cfg.max_pin_digits:
            self._pin += name
            self.view = self._pin_view()
        elif name == "backspace":
            self._pin = self._pin[:-1]
            self.view = self._pin_view()
        elif name == "return" and self._pin:
            assert self._cfg.pin_hash is not None
            self._check = self._pool.submit(self._verify, self._pin, self._cfg.pin_hash)
            self.view = self._pin_view(checking=True)
            self._pin = ""
        return self.view

    def _reason_key(self, view: GuardReasonView, name: str) -> View | None:
        if name.isdigit() and 1 <= int(name) <= len(view.reasons):
            reason = view.reasons[int(name) - 1]
            if self._cfg.ask_name:
                self._reason = reason
                self.view = GuardNameView("", self._cancel_label, self._cfg.vietnamese_input)
            else:
                self._cancel()
                self._actions.admit(reason, None)
        return self.view

    def _name_key(self, view: GuardNameView, name: str) -> View | None:
        typed = self._typed
        if name == "return":
            reason, text = self._reason, " ".join(view.text.split())
            self._cancel()
            self._actions.admit(reason, text.title() or None)
            return None
        # Backspace takes back the last key: after "Nguyeenx", the tone (x), then the
        # circumflex (the second e), as a Vietnamese keyboard's undo does.
        if name == "backspace":
            typed = typed[:-1]
        elif name == "space" and typed and not typed.endswith(" "):
            typed += " "
        elif len(name) == 1 and name.isalnum() and name.isascii():
            typed += name
        if len(self._render(typed)) <= NAME_CHARS:
            self._typed = typed
        self.view = GuardNameView(
            self._render(self._typed), self._cancel_label, self._cfg.vietnamese_input
        )
        return self.view

    def _render(self, typed: str) -> str:
        return compose(typed) if self._cfg.vietnamese_input else typed


def history_rows(outcomes: list[Outcome], tz: tzinfo) -> list[HistoryRow]:
    """The guard's history from the last outcomes: local times, the reason code (shown in
    the guard's language), and a deny-list entry's note for the staff (after the PIN)."""
    rows = []
    for o in outcomes[-10:]:
        d = o.decision
        when = o.record.created_utc if o.record else None
        local = parse_iso_datetime(when).astimezone(tz).strftime("%H:%M:%S") if when else "--:--:--"
        masked = (d.code.masked_name if d.code else None) or (
            o.record.masked_name if o.record else None
        )
        denied = d.reason is Reason.DENIED and d.detail != Reason.DENIED.value
        rows.append(
            HistoryRow(
                time=local,
                direction=o.record.direction if o.record else "",
                verdict="ERROR" if o.error else d.verdict.value,
                masked_name=masked or "",
                reason=o.manual_reason or (d.reason.value if d.reason else ""),
                manual=o.manual_reason is not None,
                staff_note=d.detail if denied else "",
            )
        )
    return rows
