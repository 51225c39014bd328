"""The screen's string catalogue (messages.yaml), NFC-normalised, in one language."""

from __future__ import annotations

import unicodedata
from functools import cache
from importlib import resources
from typing import Literal

import yaml

Language = Literal["vi", "en"]


@cache
def _catalogue() -> dict[str, dict[str, str]]:
    text = resources.files("kiosk.display").joinpath("messages.yaml").read_text("utf-8")
    raw = yaml.safe_load(text)
    # NFC: Vietnamese has letters that can be written precomposed or with combining marks;
    # fonts and comparisons want one form.
    return {
        k: {lang: unicodedata.normalize("NFC", s) for lang, s in v.items()} for k, v in raw.items()
    }


def keys() -> list[str]:
    return list(_catalogue())


class Messages:
    def __init__(self, language: Language) -> None:
        self.language = language
        self._table = _catalogue()

    def __call__(self, key: str, **values: object) -> str:
        entry = self._table.get(key)
        if entry is None:
            return key
        text = entry.get(self.language) or entry["en"]
        return text.format(**values) if values else text

    def has(self, key: str) -> bool:
        return key in self._table
