"""The pages' catalogue: every string in both languages, NFC, with the same placeholders."""

from __future__ import annotations

import string
import unicodedata

from registry.web.i18n import CATALOGUE, REASONS


def fields(text: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(text) if f}


def test_every_string_is_in_both_languages_with_the_same_placeholders() -> None:
    for key, (vi, en) in {**CATALOGUE, **REASONS}.items():
        assert vi.strip() and en.strip(), key
        assert unicodedata.normalize("NFC", vi) == vi and unicodedata.normalize("NFC", en) == en, (
            key
        )
        assert fields(vi) == fields(en), key
