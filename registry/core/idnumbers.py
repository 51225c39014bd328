"""Vietnamese ID numbers by their published structure: the 12-digit CCCD, the 9-digit CMND."""

from __future__ import annotations

import re
import time

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


def id_number_problem(raw: str, year: int | None = None) -> str | None:
    """What is wrong with an ID number as typed (None: it is one), in English for the API.

    `year` is this year: a birth year after it cannot be on a card.
    """
    number = normalize_id_number(raw)
    if not re.fullmatch(r"[0-9]{9}|[0-9]{12}", number):
        return "an ID number is 12 digits (CCCD) or 9 digits (CMND)"
    if len(number) == 9:
        if int(number[:2]) not in CMND_PROVINCES:
            return "a 9-digit CMND number starts with a province code 01-38"
        return None
    if number[:3] not in CCCD_PROVINCES:
        return "a CCCD number starts with a province code (Thông tư 07/2016/TT-BCA)"
    born = 1900 + 100 * (int(number[3]) // 2) + int(number[4:6])
    if born > (year or time.gmtime().tm_year):
        return "a CCCD number's century digit and birth year give a year to come"
    return None
