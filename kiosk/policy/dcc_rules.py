"""A venue's health rules for EU Digital COVID Certificates (policy.dcc), judged at a time."""

from __future__ import annotations

from datetime import UTC, date, datetime, tzinfo

from checkin_protocol.dcc import DccCertificate, Recovery, Test, Vaccination
from checkin_protocol.reasons import Reason
from checkin_protocol.times import parse_iso_datetime
from kiosk.config import DccRules

Failure = tuple[Reason, str]
_KIND = {"v": "vaccination", "t": "test", "r": "recovery"}
# The value sets of the DCC specification (test type, test result).
_TEST_TYPE = {"LP6464-4": "NAAT", "LP217198-3": "RAT"}
NOT_DETECTED = "260415000"


def _date(text: str) -> date | None:
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        return None


def _instant(text: str) -> datetime | None:
    try:
        return parse_iso_datetime(text, UTC)
    except ValueError:
        return None


def _vaccination(rules: DccRules, v: Vaccination, now: datetime) -> Failure | None:
    r = rules.vaccination
    if r.complete_course and v.dn < v.sd:
        return Reason.VACCINATION_INCOMPLETE, f"dose {v.dn} of {v.sd}"
    if r.products is not None and v.mp not in r.products:
        return Reason.PRODUCT_NOT_ACCEPTED, f"product {v.mp}"
    given = _date(v.dt)
    if given is None:
        return Reason.MALFORMED, "v.dt is not a date"
    days = (now.date() - given).days
    if days < r.min_days:
        return Reason.VACCINATION_TOO_RECENT, f"{days} days since the last dose"
    if r.max_days is not None and days > r.max_days:
        return Reason.VACCINATION_TOO_OLD, f"{days} days since the last dose"
    return None


def _test(rules: DccRules, t: Test, now: datetime) -> Failure | None:
    kind = _TEST_TYPE.get(t.tt)
    if kind is None or kind not in rules.test.types:
        return Reason.TEST_TYPE_NOT_ACCEPTED, f"test type {t.tt}"
    if t.tr != NOT_DETECTED:
        return Reason.TEST_POSITIVE, "result is not 'not detected'"
    sampled = _instant(t.sc)
    if sampled is None:
        return Reason.MALFORMED, "t.sc is not a date and time"
    hours = (now - sampled).total_seconds() / 3600
    # A sample dated in the future is no more a test result than one too old.
    if hours < -1:
        return Reason.TEST_TOO_OLD, f"sample collected in the future ({-hours:.0f} h ahead)"
    if hours > rules.test.max_hours:
        return Reason.TEST_TOO_OLD, f"sample collected {hours:.0f} h ago"
    return None


def _recovery(rules: DccRules, r: Recovery, now: datetime) -> Failure | None:
    start, end = _date(r.df), _date(r.du)
    if start is None or end is None:
        return Reason.MALFORMED, "r.df or r.du is not a date"
    if rules.recovery_window and not start <= now.date() <= end:
        return Reason.RECOVERY_NOT_VALID, f"valid from {start} to {end}"
    return None


def _local(now: float, zone: tzinfo) -> datetime:
    try:
        return datetime.fromtimestamp(now, zone)
    except (OverflowError, ValueError, OSError):
        return datetime.fromtimestamp(now, UTC)  # the venue's date would be after 9999-12-31


def dcc_failure(
    rules: DccRules, cert: DccCertificate, now: float, zone: tzinfo = UTC
) -> Failure | None:
    """The first rule a certificate breaks at `now` (epoch seconds), or None.

    Days (since the last dose, a recovery's df–du) are counted in the venue's time zone:
    "14 days after the dose" begins at the venue's midnight, not at UTC's.
    """
    if _KIND[cert.kind] not in rules.accept:
        return Reason.DCC_TYPE_NOT_ACCEPTED, f"{_KIND[cert.kind]} not accepted"
    moment = _local(now, zone)
    entry = cert.entry
    if isinstance(entry, Vaccination):
        return _vaccination(rules, entry, moment)
    if isinstance(entry, Test):
        return _test(rules, entry, moment)
    return _recovery(rules, entry, moment)
