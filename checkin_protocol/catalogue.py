"""Catalogues of visible strings, one format for both programs: YAML, `key: {vi: …, en: …}`."""

from __future__ import annotations

import string
import unicodedata
from typing import Any

import yaml

LANGUAGES = ("vi", "en")


class CatalogueError(ValueError):
    """A catalogue that is not one: the key, and what is wrong with it."""


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def load_catalogue(text: str, source: str) -> dict[str, dict[str, str]]:
    """Every entry of a catalogue, NFC-normalised (Vietnamese letters can be written
    precomposed or with combining marks; fonts and comparisons want one form).

    Each key has exactly a Vietnamese and an English text, neither empty, with the same
    `str.format` placeholders: a page or screen in one language can never show a key, the
    other language, or a field the other language fills. CatalogueError otherwise."""
    raw: Any = yaml.safe_load(text)
    if not isinstance(raw, dict):
        raise CatalogueError(f"{source}: not a mapping of keys to texts")
    out: dict[str, dict[str, str]] = {}
    for key, entry in raw.items():
        if not isinstance(key, str) or not isinstance(entry, dict):
            raise CatalogueError(f"{source}: {key!r}: not `key: {{vi: …, en: …}}`")
        if set(entry) != set(LANGUAGES):
            raise CatalogueError(f"{source}: {key}: needs exactly vi and en, has {sorted(entry)}")
        texts = {lang: entry[lang] for lang in LANGUAGES}
        if not all(isinstance(t, str) and t.strip() for t in texts.values()):
            raise CatalogueError(f"{source}: {key}: an empty or non-text entry")
        try:
            same = _fields(texts["vi"]) == _fields(texts["en"])
        except ValueError as exc:  # an unbalanced brace
            raise CatalogueError(f"{source}: {key}: {exc}") from None
        if not same:
            raise CatalogueError(f"{source}: {key}: vi and en have different placeholders")
        out[key] = {lang: unicodedata.normalize("NFC", t) for lang, t in texts.items()}
    return out
