"""Vietnamese typed as Vietnamese users type it on a plain keyboard: Telex and VNI, combined.

Telex: `aa ee oo` → â ê ô, `aw ow uw` → ă ơ ư (`uow` → ươ), `dd` → đ, and the tones
`s f r x j` (sắc, huyền, hỏi, ngã, nặng), `z` to remove one. VNI: `6 7 8 9` → circumflex,
horn, breve, đ; `1 2 3 4 5` the tones, `0` to remove. A mark key typed twice is the letter
itself (`ass` → "as"), and a key applies only where the word stays a Vietnamese syllable,
so a name like "James" or "Smith" is left as typed. The tone is placed as the house style
has it (new style: "hoà", "thuỷ"), whatever key order the guard used.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

_TONES = {"s": 1, "f": 2, "r": 3, "x": 4, "j": 5, "1": 1, "2": 2, "3": 3, "4": 4, "5": 5}
_NO_TONE = ("z", "0")
# sắc, huyền, hỏi, ngã, nặng as combining marks (NFC composes them with the letter).
_TONE_MARKS = {1: "\u0301", 2: "\u0300", 3: "\u0309", 4: "\u0303", 5: "\u0323"}
_SHAPED = {
    ("a", "^"): "â", ("a", "("): "ă", ("e", "^"): "ê", ("o", "^"): "ô", ("o", "+"): "ơ",
    ("u", "+"): "ư", ("d", "-"): "đ",
}  # fmt: skip
_VOWELS = "aeiouy"
# A syllable's letters without marks: an initial, one to three vowels, a final. `gi` and `qu`
# are initials before another vowel ("gia", "quý"), and their vowel is not the syllable's.
_SYLLABLE = re.compile(
    r"(?P<initial>ngh|ng|gh|gi(?=[aeiouy])|kh|nh|ph|th|tr|ch|qu|[bcdghklmnprstvx])?"
    r"(?P<vowels>[aeiouy]{1,3})"
    r"(?P<final>ch|ng|nh|[cmnpt])?"
)


@dataclass
class _Letter:
    base: str
    mark: str | None = None  # "^" circumflex, "+" horn, "(" breve, "-" the stroke of đ
    key: str = ""  # the key that put the mark on, so that typing it again undoes it


@dataclass
class _Word:
    letters: list[_Letter] = field(default_factory=list)
    tone: int | None = None
    tone_key: str = ""

    def bases(self) -> str:
        return "".join(letter.base for letter in self.letters)

    def syllable(self, bases: str | None = None) -> re.Match[str] | None:
        return _SYLLABLE.fullmatch(self.bases() if bases is None else bases)

    def vowels(self) -> list[int]:
        found = self.syllable()
        if found is None:
            return []
        start, end = found.span("vowels")
        return list(range(start, end))

    def render(self) -> str:
        at = _tone_position(self) if self.tone is not None else None
        out = []
        for i, letter in enumerate(self.letters):
            ch = _SHAPED.get((letter.base, letter.mark or ""), letter.base)
            if i == at and self.tone is not None:
                ch += _TONE_MARKS[self.tone]
            out.append(ch)
        return unicodedata.normalize("NFC", "".join(out))


def _tone_position(word: _Word) -> int | None:
    vowels = word.vowels()
    if not vowels:
        return None
    marked = [i for i in vowels if word.letters[i].mark in ("^", "+", "(")]
    if marked:  # ươ: on the ơ; otherwise the one shaped vowel
        return marked[-1]
    found = word.syllable()
    has_final = found is not None and bool(found.group("final"))
    cluster = "".join(word.letters[i].base for i in vowels)
    if has_final or len(vowels) == 1:
        return vowels[-1]
    if len(vowels) == 2:
        return vowels[1] if cluster in ("oa", "oe", "uy") else vowels[0]
    return vowels[1]


def _tone(word: _Word, key: str) -> bool:
    """Apply a tone key; False when it is a letter here (no vowel yet, or not a syllable)."""
    if word.syllable() is None:
        return False
    tone = None if key in _NO_TONE else _TONES[key]
    if tone is not None and word.tone == tone and word.tone_key == key:
        word.tone, word.tone_key = None, ""  # typed twice: the letter itself
        return False
    if tone is None and word.tone is None:
        return False
    word.tone, word.tone_key = tone, key
    return True


def _last_vowel(word: _Word, bases: str) -> _Letter | None:
    vowels = word.vowels()
    for i in reversed(vowels):
        if word.letters[i].base in bases:
            return word.letters[i]
    return None


def _undo(letters: list[_Letter], key: str) -> bool:
    """A mark key typed again over its own mark: the marks go, and the key is a letter."""
    undone = [letter for letter in letters if letter.mark and letter.key == key]
    for letter in undone:
        letter.mark, letter.key = None, ""
    return bool(undone)


def _shape(word: _Word, key: str) -> bool:
    """Apply a shape key (circumflex, horn, breve, đ); False when it is a plain letter here."""
    if key in ("d", "9"):
        # đ is an initial: typed before the vowels ("dd…") or after ("dinhd").
        first = word.letters[0] if word.letters else None
        started = word.syllable() is not None or not any(c in _VOWELS for c in word.bases())
        if first is None or first.base != "d" or not started:
            return False
        if first.mark == "-":
            _undo([first], key)  # typed again: "dd" + "d" is "dd"
            return False
        first.mark, first.key = "-", key
        return True
    if word.syllable() is None:
        return False
    if key in ("a", "e", "o", "6"):
        target = _last_vowel(word, "aeo" if key == "6" else key)
        if target is None:
            return False
        if target.mark == "^":
            _undo([target], key)
            return False
        target.mark, target.key = "^", key
        return True
    # w / 7 / 8: horn on u and o (both in "uo": ươ), breve on a.
    vowels = [word.letters[i] for i in word.vowels()]
    bases = "".join(v.base for v in vowels)
    if key in ("w", "7") and "uo" in bases:
        at = bases.index("uo")
        targets = [vowels[at], vowels[at + 1]]
    else:
        own = "a" if key == "8" else ("ou" if key == "7" else "oua")
        last = _last_vowel(word, own)
        targets = [last] if last is not None else []
    bare = [letter for letter in targets if letter.mark is None]
    if not bare:  # nothing left to mark: typed again over its own marks, the letter itself
        _undo(targets, key)
        return False
    for letter in bare:
        letter.mark, letter.key = ("(" if letter.base == "a" else "+"), key
    return True


_SHAPE_KEYS = frozenset("aeowd6789")


def _type_key(word: _Word, key: str) -> None:
    if key in _TONES or key in _NO_TONE:
        if _tone(word, key):
            return
    elif key in _SHAPE_KEYS and word.letters and _shape(word, key):
        return
    if key.isalpha() or key.isdigit():
        word.letters.append(_Letter(key))


def compose(keys: str) -> str:
    """The text that `keys` (lower-case letters, digits and spaces, as typed) stands for."""
    words: list[str] = []
    for raw in keys.split(" "):
        word = _Word()
        for key in raw:
            _type_key(word, key)
        words.append(word.render())
    return " ".join(words)
