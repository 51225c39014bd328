"""checkin_protocol.catalogue: one format for the kiosk's and the registry's visible strings."""

from __future__ import annotations

import unicodedata
from importlib import resources

import pytest
from hypothesis import given
from hypothesis import strategies as st

from checkin_protocol.catalogue import CatalogueError, load_catalogue

CATALOGUES = [("kiosk.display", "messages.yaml"), ("registry.web", "messages.yaml")]


@pytest.mark.parametrize(("package", "name"), CATALOGUES)
def test_both_programs_catalogues_load_in_the_one_format(package: str, name: str) -> None:
    text = resources.files(package).joinpath(name).read_text("utf-8")
    entries = load_catalogue(text, f"{package}/{name}")
    assert len(entries) > 100
    assert all(set(texts) == {"vi", "en"} for texts in entries.values())


def test_texts_are_nfc_whatever_form_they_were_written_in() -> None:
    decomposed = unicodedata.normalize("NFD", "Nguyễn")
    entries = load_catalogue(f'name: {{vi: "{decomposed}", en: "Name"}}', "t")
    assert entries["name"]["vi"] == "Nguyễn" and len(entries["name"]["vi"]) == 6


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("- a list", "not a mapping"),
        ("k: just text", "not `key"),
        ('k: {vi: "Có"}', "exactly vi and en"),
        ('k: {vi: "Có", en: "Yes", fr: "Oui"}', "exactly vi and en"),
        ('k: {vi: "", en: "Yes"}', "empty"),
        ('k: {vi: "{n} người", en: "{count} people"}', "different placeholders"),
        ('k: {vi: "{n người", en: "{n} people"}', "k:"),
    ],
)
def test_what_is_not_a_catalogue_is_refused_naming_the_key(text: str, why: str) -> None:
    with pytest.raises(CatalogueError, match=why):
        load_catalogue(text, "t")


words = st.text(st.characters(categories=["L", "N", "Zs"]), min_size=1, max_size=20).filter(
    str.strip
)


@given(
    st.dictionaries(st.from_regex(r"[a-z][a-z_.]{0,15}", fullmatch=True), st.tuples(words, words))
)
def test_any_catalogue_written_in_the_format_reads_back(pairs: dict[str, tuple[str, str]]) -> None:
    import json

    def quoted(s: str) -> str:
        return json.dumps(s, ensure_ascii=False)

    text = "\n".join(
        f"{quoted(k)}: {{vi: {quoted(vi)}, en: {quoted(en)}}}" for k, (vi, en) in pairs.items()
    )
    entries = load_catalogue(text or "{}", "t")
    assert entries == {
        k: {"vi": unicodedata.normalize("NFC", vi), "en": unicodedata.normalize("NFC", en)}
        for k, (vi, en) in pairs.items()
    }
