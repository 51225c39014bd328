"""The screen's colours: one background per view family, and the text and mark colours on them."""

from __future__ import annotations

Color = tuple[int, int, int]

WHITE: Color = (255, 255, 255)
# Every text colour on its background has a contrast ratio of at least 7:1 (WCAG AAA);
# tests/kiosk/display checks the ratios.
IDLE_BG: Color = (16, 32, 56)
PASS_BG: Color = (0, 92, 40)
FAIL_BG: Color = (150, 0, 16)
ERROR_BG: Color = (40, 40, 40)
GUARD_BG: Color = (24, 24, 48)
STRIP_BG: Color = (8, 14, 26)
AMBER: Color = (255, 196, 0)
MUTED: Color = (200, 210, 225)
HINT_BG: Color = (255, 196, 0)
HINT_FG: Color = (20, 20, 20)
READ_OK: Color = (0, 230, 110)
ARROW: Color = (255, 214, 64)  # the idle arrow: warm like the hints, but not their amber
