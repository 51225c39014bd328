"""Unicode look-alikes of ASCII digits and letters, and whitespace, as hypothesis strategies."""

from __future__ import annotations

import unicodedata

from hypothesis import strategies as st


def _table() -> tuple[dict[str, list[str]], list[str], list[str]]:
    nfkc: dict[str, list[str]] = {}
    decimal: list[str] = []
    space: list[str] = []
    # Every compatibility form of an ASCII letter or digit lies below U+20000 (CJK beyond).
    for cp in range(0x20000):
        ch = chr(cp)
        folded = unicodedata.normalize("NFKC", ch)
        if len(folded) == 1 and folded.isascii() and folded.isalnum() and folded != ch:
            nfkc.setdefault(folded, []).append(ch)
        if ch.isdecimal() and not ch.isascii() and not folded.isascii():
            decimal.append(ch)  # a digit NFKC leaves alone, e.g. Arabic-Indic ٣
        if ch.isspace():
            space.append(ch)
    return nfkc, decimal, space


# Every character NFKC folds to an ASCII letter or digit (fullwidth, mathematical bold,
# superscript, circled, ...), by the ASCII character it folds to.
NFKC_FORMS, OTHER_DECIMALS, WHITESPACE = _table()


def lookalike(ch: str) -> st.SearchStrategy[str]:
    """`ch` itself or any character NFKC folds to it."""
    return st.sampled_from([ch, *NFKC_FORMS.get(ch, [])])


def written_as(text: str) -> st.SearchStrategy[str]:
    """`text` with each character in any of its NFKC forms, inside any Unicode whitespace."""
    pad = st.text(alphabet=st.sampled_from(WHITESPACE), max_size=3)
    body = st.tuples(*(lookalike(ch) for ch in text)).map("".join)
    return st.tuples(pad, body, pad).map("".join)
