"""Every string a visitor, citizen or officer reads on the pages: Vietnamese first, English.

One catalogue, so a reviewer reads each Vietnamese sentence beside its English one, and a
page in one language cannot leak a string of the other. Times are formatted here too: in the
venue's own time zone, labelled, dates as Vietnamese write them (dd/mm/yyyy).
"""

from __future__ import annotations

from datetime import datetime
from importlib import resources
from typing import Literal
from zoneinfo import ZoneInfo

from checkin_protocol.catalogue import load_catalogue
from checkin_protocol.reasons import Reason
from registry.core.common import moment

Lang = Literal["vi", "en"]
LANGS: tuple[Lang, ...] = ("vi", "en")
DEFAULT_TZ = "Asia/Ho_Chi_Minh"

# key: (Vietnamese, English), from messages.yaml beside this module: the same format, read by
# the same loader (checkin_protocol.catalogue), as the kiosk's screen catalogue.
_ENTRIES = load_catalogue(
    resources.files("registry.web").joinpath("messages.yaml").read_text("utf-8"),
    "registry/web/messages.yaml",
)
CATALOGUE: dict[str, tuple[str, str]] = {
    key: (texts["vi"], texts["en"])
    for key, texts in _ENTRIES.items()
    if not key.startswith("reason.")
}
# Kiosk reason codes (checkin_protocol.reasons) a controller may read (`reason.<code>` in the
# catalogue); the private ones (a declaration, a bar, a certificate's health rules) are never
# named on a screen: "riêng tư", as the kiosk says "please see the staff" and never why.
REASONS: dict[str, tuple[str, str]] = {
    key.removeprefix("reason."): (texts["vi"], texts["en"])
    for key, texts in _ENTRIES.items()
    if key.startswith("reason.")
}
PRIVATE_REASONS = frozenset(r.value for r in Reason if not r.public)


def lang_or_default(value: str | None) -> Lang:
    return "en" if value == "en" else "vi"


class Texts:
    """The catalogue in one language: `t.key` or `t("key", n=2)` in templates and code."""

    def __init__(self, lang: Lang) -> None:
        self.lang: Lang = lang
        self._i = LANGS.index(lang)

    def __getattr__(self, key: str) -> str:
        try:
            return CATALOGUE[key][self._i]
        except KeyError:
            raise AttributeError(key) from None

    def __call__(self, key: str, **fields: object) -> str:
        return CATALOGUE[key][self._i].format(**fields)

    def reason(self, code: str | None) -> str:
        if not code:
            return ""
        if code in PRIVATE_REASONS:
            return self.private
        pair = REASONS.get(code)
        # An unknown code (a manual admit's own words, a newer kiosk) is shown as it came.
        return pair[self._i] if pair else code

    def tz_label(self, tz: str, at_ms: int) -> str:
        offset = local(at_ms, tz).strftime("%z")
        pretty = "Việt Nam" if tz == DEFAULT_TZ and self.lang == "vi" else tz
        if tz == DEFAULT_TZ and self.lang == "en":
            pretty = "Vietnam"
        return self("tz_label", tz=pretty, offset=f"{offset[:3]}:{offset[3:]}")

    def ago(self, then_ms: int | None, now_ms: int) -> str:
        if then_ms is None:
            return self.never
        minutes = max(0, (now_ms - then_ms) // 60_000)
        if minutes < 1:
            return self.ago_now
        if minutes < 60:
            return self("ago_min", n=minutes)
        if minutes < 48 * 60:
            return self("ago_hour", n=minutes // 60)
        return self("ago_day", n=minutes // (24 * 60))


def local(at_ms: int, tz: str = DEFAULT_TZ) -> datetime:
    return moment(at_ms).astimezone(ZoneInfo(tz))


def date_time(at_ms: int, tz: str = DEFAULT_TZ) -> str:
    """dd/mm/yyyy HH:MM, as written in Vietnam (and readable to an English reader too)."""
    d = local(at_ms, tz)
    # Not strftime's %Y: glibc writes year 1 as "1" (a kiosk's clock may say so).
    return f"{d.day:02d}/{d.month:02d}/{d.year:04d} {d.hour:02d}:{d.minute:02d}"


def clock(at_ms: int, tz: str = DEFAULT_TZ) -> str:
    return local(at_ms, tz).strftime("%H:%M:%S")


def clock_or_date(at_ms: int, now_ms: int, tz: str = DEFAULT_TZ) -> str:
    """The time alone for today's records, with the date (dd/mm) for older ones: a list that
    reaches back past midnight must not read as out of order."""
    when = local(at_ms, tz)
    if when.date() == local(now_ms, tz).date():
        return when.strftime("%H:%M:%S")
    return when.strftime("%d/%m %H:%M:%S")
