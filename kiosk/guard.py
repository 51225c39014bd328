"""The guard's keypad: manual admit (PIN, then a reason), entry/exit, mute, last decisions."""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from kiosk.config import GuardConfig
from kiosk.display.views import (
    GuardPinView,
    GuardReasonView,
    HistoryRow,
    HistoryView,
    NoticeView,
    View,
)

PBKDF2_ROUNDS = 200_000


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


@dataclass
class GuardActions:
    admit: Callable[[str], object]
    switch_direction: Callable[[], str]
    toggle_mute: Callable[[], bool]
    history: Callable[[], list[HistoryRow]]


class GuardConsole:
    """Turns key presses into actions and into the guard views the screen shows.

    The PIN check (PBKDF2, ~140 ms on a Pi 4) runs on a worker thread so the screen keeps
    drawing; the UI calls `poll()` each frame and shows the result when it is there.
    Use as a context manager, or call `close()`.
    """

    def __init__(self, cfg: GuardConfig, actions: GuardActions) -> None:
        self._cfg = cfg
        self._actions = actions
        self._keys = cfg.keys
        self._pin = ""
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
        self._check = None  # a result still on its way is ignored
        self.view = None

    def poll(self) -> View | None:
        """The view to show now that a PIN check has finished; None while nothing changed."""
        check = self._check
        if check is None or not check.done():
            return None
        self._check = None
        if check.result():
            self.view = GuardReasonView(tuple(self._cfg.admit_reasons))
        else:
            self.view = GuardPinView(digits=0, wrong=True)
        return self.view

    def key(self, raw: str) -> View | None:
        """Handle one key; returns the view to show now (None: back to the visitor's screen)."""
        name = key_name(raw)
        if name == self._keys.cancel:
            self._cancel()
            return None
        if self._check is not None:
            return self.view  # the PIN is being checked: only cancel counts
        if isinstance(self.view, GuardPinView):
            return self._pin_key(name)
        if isinstance(self.view, GuardReasonView):
            if name.isdigit() and 1 <= int(name) <= len(self.view.reasons):
                reason = self.view.reasons[int(name) - 1]
                self._cancel()
                self._actions.admit(reason)
            return self.view
        if name == self._keys.admit:
            if self._cfg.pin_hash is None:
                self.view = NoticeView("guard.no_pin")
            else:
                self.view = GuardPinView()
        elif name == self._keys.direction:
            mode = self._actions.switch_direction()
            self.view = NoticeView("guard.switched", f"direction.{mode}")
        elif name == self._keys.mute:
            muted = self._actions.toggle_mute()
            self.view = NoticeView("guard.muted" if muted else "guard.unmuted")
        elif name == self._keys.history:
            self.view = HistoryView(tuple(self._actions.history()[-10:]))
        else:
            return self.view
        return self.view

    def _pin_key(self, name: str) -> View | None:
        if name.isdigit() and len(self._pin) < 12:
            self._pin += name
            self.view = GuardPinView(digits=len(self._pin))
        elif name == "backspace":
            self._pin = self._pin[:-1]
            self.view = GuardPinView(digits=len(self._pin))
        elif name == "return":
            assert self._cfg.pin_hash is not None
            self._check = self._pool.submit(verify_pin, self._pin, self._cfg.pin_hash)
            self.view = GuardPinView(digits=len(self._pin), checking=True)
            self._pin = ""
        return self.view
