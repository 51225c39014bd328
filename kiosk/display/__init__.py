"""The visitor's screen: what to show (views, presenter) and drawing it with pygame."""

import os

# Before any module of this package imports pygame: its banner would go to stdout, the first
# line of a CSV export or a JSON status.
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
