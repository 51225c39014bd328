"""Vietnamese ID numbers by their published structure: the 12-digit CCCD, the 9-digit CMND."""

from __future__ import annotations

import re

from checkin_protocol.privacy import normalize_id_number

# Thông tư 07/2016/TT-BCA (số định danh cá nhân), Điều 7 and its Phụ lục: the CCCD number is
# the 3-digit code of the province where the birth was registered, one digit for century and
# sex (0/1: the 20th century, man/woman; 2/3 the 21st; 4/5 the 22nd; 6/7 the 23rd; 8/9 the
# 24th), the last two digits of the birth year, then 6 random digits. The 63 provinces' codes:
CCCD_PROVINCES = frozenset(f"{n:03d}" for n in (
    1, 2, 4, 6, 8, 10, 11, 12, 14, 15, 17, 19, 20, 22, 24, 25, 26, 27, 30, 31, 33, 34, 35, 36,
    37, 38, 40, 42, 44, 45, 46, 48, 49, 51, 52, 54, 56, 58, 60, 62, 64, 66, 67, 68, 70, 72, 74,
    75, 77, 79, 80, 82, 83, 84, 86, 87, 89, 91, 92, 93, 94, 95, 96,
))  # fmt: skip
# The CMND (Nghị định 05/1999/NĐ-CP): 9 digits, the first two the issuing province's 01-38.
CMND_PROVINCES = range(1, 39)
# The same rules as a pattern, for the API's schema (ASCII digits: the form folds others).
# Century digits 0-3 only: the 20th and 21st centuries, the births there can be yet. Spaces
# or a newline around it (a number pasted) are the same number.
ID_NUMBER_PATTERN = (
    "^\\s*(?:(?:"
    + "|".join(sorted(CCCD_PROVINCES))
    + ")[0-3][0-9]{8}|(?:0[1-9]|[12][0-9]|3[0-8])[0-9]{7})\\s*$"
)


def id_number_problem(raw: str) -> str | None:
    """What is wrong with an ID number as typed (None: it is one), in English for the API."""
    number = normalize_id_number(raw)
    if not re.fullmatch(r"[0-9]{9}|[0-9]{12}", number):
        return "an ID number is 12 digits (CCCD) or 9 digits (CMND)"
    if len(number) == 9:
        if int(number[:2]) not in CMND_PROVINCES:
            return "a 9-digit CMND number starts with a province code 01-38"
        return None
    if number[:3] not in CCCD_PROVINCES:
        return "a CCCD number starts with a province code (Thông tư 07/2016/TT-BCA)"
    if number[3] not in "0123":
        # 4-9 are the 22nd to 24th centuries: nobody born then holds a card yet.
        return "a CCCD number's 4th digit (century and sex) is 0-3 for anyone born yet"
    return None
