"""The screen's string catalogue (messages.yaml), NFC-normalised: Vietnamese, English or both."""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Literal

from checkin_protocol.catalogue import load_catalogue

Language = Literal["vi", "en", "both"]


@cache
def _catalogue() -> dict[str, dict[str, str]]:
    # The registry's pages read theirs with the same loader, in the same format.
    text = resources.files("kiosk.display").joinpath("messages.yaml").read_text("utf-8")
    return load_catalogue(text, "kiosk/display/messages.yaml")


def keys() -> list[str]:
    return list(_catalogue())


class Messages:
    def __init__(self, language: Language) -> None:
        self.language = language
        self._table = _catalogue()
        self._order: tuple[Literal["vi", "en"], ...] = (
            ("vi", "en") if language == "both" else (language,)
        )

    @property
    def languages(self) -> tuple[Literal["vi", "en"], ...]:
        """The languages shown, first language first."""
        return self._order

    def lines(self, key: str, **values: object) -> list[str]:
        """The text in each language shown, first language first (bilingual: vi then en).

        `admits`, if given, is the code kinds the venue admits (their values): `{admits}` is
        each language's list of them ("thẻ ra vào hoặc thẻ căn cước …").
        """
        entry = self._table.get(key)
        if entry is None:
            return [key]
        out = []
        kinds = values.get("admits")
        names = [str(k) for k in kinds] if isinstance(kinds, list | tuple) else []
        for lang in self._order:
            text = entry[lang]
            if "{admits}" in text:  # without a list: the venue's own pass, the default
                text = text.format(**{**values, "admits": self._admits(names, lang)})
            elif values:
                text = text.format(**values)
            out.append(text)
        return out

    def _admits(self, kinds: list[str], lang: Literal["vi", "en"]) -> str:
        # A list of three or more names each kind shortly: it must fit an idle screen.
        form = ".short" if len(kinds) > 2 else ""
        names = [
            self._table.get(f"admit.{k}{form}", self._table[f"admit.{k}"])[lang]
            for k in kinds
            if f"admit.{k}" in self._table
        ]
        if not names:  # no kind the catalogue names: the venue's own pass
            names = [self._table["admit.signed_pass"][lang]]
        if len(names) == 1:
            return names[0]
        return f"{', '.join(names[:-1])} {self._table['admit.or'][lang]} {names[-1]}"

    def __call__(self, key: str, **values: object) -> str:
        """The text in the first language shown."""
        return self.lines(key, **values)[0]

    def joined(self, key: str, **values: object) -> str:
        """All languages on one line: `Lối vào / Entrance`."""
        return " / ".join(self.lines(key, **values))

    def has(self, key: str) -> bool:
        return key in self._table
