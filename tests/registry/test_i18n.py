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


def test_a_record_from_another_day_shows_its_date_in_the_venues_zone() -> None:
    from registry.web.i18n import clock_or_date

    now = 1_763_870_400_000  # 2025-11-23 04:00 UTC: 11:00 in Hồ Chí Minh City
    assert clock_or_date(now - 3_600_000, now, "Asia/Ho_Chi_Minh") == "10:00:00"
    # 16:59 UTC the day before is 23:59 local, yesterday; 17:00 UTC is today's midnight.
    assert clock_or_date(now - 11 * 3_600_000 - 60_000, now, "Asia/Ho_Chi_Minh") == "22/11 23:59:00"
    assert clock_or_date(now - 11 * 3_600_000, now, "Asia/Ho_Chi_Minh") == "00:00:00"
    assert clock_or_date(now - 7 * 86_400_000, now, "Asia/Ho_Chi_Minh") == "16/11 11:00:00"
