"""Key codes to characters by a fixed US layout, whatever the system's keyboard layout is."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

# Linux input event types and key codes (linux/input-event-codes.h). Written out, not taken
# from evdev.ecodes, so decoding needs no evdev (tests check the numbers against it).
EV_SYN = 0
EV_KEY = 1
KEY_TAB = 15
KEY_ENTER = 28
KEY_LEFTCTRL = 29
KEY_LEFTSHIFT = 42
KEY_RIGHTSHIFT = 54
KEY_LEFTALT = 56
KEY_CAPSLOCK = 58
KEY_KPENTER = 96
KEY_RIGHTCTRL = 97
KEY_RIGHTALT = 100

# Scanners type as if on a US keyboard (their factory default). Reading the codes by that
# table, not through the console's keymap, means a Vietnamese or French system layout on the
# kiosk never turns a scanned "Q" into an "A".
_ROWS: tuple[tuple[int, str, str], ...] = (
    (2, "1234567890-=", "!@#$%^&*()_+"),
    (16, "qwertyuiop[]", "QWERTYUIOP{}"),
    (30, "asdfghjkl;'`", 'ASDFGHJKL:"~'),
    (43, "\\zxcvbnm,./", "|ZXCVBNM<>?"),
    (57, " ", " "),
)
# The keypad, as scanners use it with Num Lock on (shift does not change it here).
_KEYPAD: dict[int, str] = {
    71: "7", 72: "8", 73: "9", 74: "-", 75: "4", 76: "5", 77: "6", 78: "+",
    79: "1", 80: "2", 81: "3", 82: "0", 83: ".", 55: "*", 98: "/",
}  # fmt: skip

PLAIN: dict[int, str] = {}
SHIFTED: dict[int, str] = {}
for _first, _plain, _shifted in _ROWS:
    for _i, (_p, _s) in enumerate(zip(_plain, _shifted, strict=True)):
        PLAIN[_first + _i] = _p
        SHIFTED[_first + _i] = _s

_SHIFTS = frozenset({KEY_LEFTSHIFT, KEY_RIGHTSHIFT})
_CTRLS = frozenset({KEY_LEFTCTRL, KEY_RIGHTCTRL})
_ALTS = frozenset({KEY_LEFTALT, KEY_RIGHTALT})
ENDS = frozenset({KEY_ENTER, KEY_KPENTER, KEY_TAB})


@dataclass
class KeyDecoder:
    """Turns one device's EV_KEY events into characters, tracking its own modifier state.

    `feed` returns a character, END (Enter, keypad Enter, Tab), or None. A key that types no
    ASCII character here (an Alt+keypad code, a Ctrl combination, a key outside the table) is
    counted in `dropped`: that is how a wedge loses the letters of a Vietnamese name.
    """

    shift: int = 0  # shift keys held (both may be)
    ctrl: int = 0
    alt: int = 0
    caps: bool = False
    dropped: int = 0

    END = "\n"

    def feed(self, type_: int, code: int, value: int) -> str | None:
        if type_ != EV_KEY:
            return None  # SYN and MSC_SCAN frame the key events; they carry no character
        if code in _SHIFTS or code in _CTRLS or code in _ALTS:
            self._modifier(code, value)
            return None
        # 1 = press. 0 = release, 2 = autorepeat: a scanner never holds a key, so a repeat
        # would be a stuck key, not a character it meant to send twice.
        if value != 1:
            return None
        if code == KEY_CAPSLOCK:
            self.caps = not self.caps
            return None
        if self.ctrl or self.alt:
            self.dropped += 1  # Alt+keypad code or a control character: not typeable here
            return None
        if code in ENDS:
            return self.END
        return self._char(code)

    def _modifier(self, code: int, value: int) -> None:
        if value == 2:
            return
        step = 1 if value == 1 else -1
        if code in _SHIFTS:
            self.shift = max(0, self.shift + step)
        elif code in _CTRLS:
            self.ctrl = max(0, self.ctrl + step)
        else:
            self.alt = max(0, self.alt + step)

    def _char(self, code: int) -> str | None:
        if code in _KEYPAD:
            return _KEYPAD[code]
        plain = PLAIN.get(code)
        if plain is None:
            self.dropped += 1
            return None
        shifted = bool(self.shift)
        if self.caps and plain.isalpha():
            shifted = not shifted  # Caps Lock inverts letters only, as on a keyboard
        return SHIFTED[code] if shifted else plain


_TYPING: dict[str, tuple[int, bool]] = {c: (k, False) for k, c in PLAIN.items()}
_TYPING.update({c: (k, True) for k, c in SHIFTED.items() if c not in _TYPING})

Event = tuple[int, int, int]  # (type, code, value) as evdev reports them


def key_events(text: str, end: int | None = KEY_ENTER) -> Iterator[Event]:
    """The events a US-layout wedge sends to type `text` (then `end`): for tests, benchmarks
    and a UInput device. Raises ValueError for a character a wedge cannot type."""
    for char in text:
        try:
            code, shifted = _TYPING[char]
        except KeyError:
            raise ValueError(f"a keyboard wedge cannot type {char!r}") from None
        if shifted:
            yield (EV_KEY, KEY_LEFTSHIFT, 1)
        yield (EV_KEY, code, 1)
        yield (EV_SYN, 0, 0)
        yield (EV_KEY, code, 0)
        if shifted:
            yield (EV_KEY, KEY_LEFTSHIFT, 0)
        yield (EV_SYN, 0, 0)
    if end is not None:
        yield from ((EV_KEY, end, 1), (EV_SYN, 0, 0), (EV_KEY, end, 0), (EV_SYN, 0, 0))
