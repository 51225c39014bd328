"""`kiosk pass issue`: what a pass may say, checked before anything is signed; CSV batches."""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from checkin_protocol.privacy import mask_name
from checkin_protocol.times import parse_duration, parse_iso_datetime
from kiosk.config.yamlfile import FileRefused, read_limited

T = TypeVar("T")
MAX_NAME = 80
MAX_ISSUER = 64
LONG_VALIDITY = 2 * 365 * 86400.0  # a pass valid longer than this is most likely a typo
MAX_ROWS = 5000
CSV_BYTES = 4 * 1024 * 1024
DEFAULT_VALID_FOR = 30 * 86400.0
COLUMNS = ("name", "birth_year", "category", "valid_from", "valid_until", "valid_for",
           "declared_at")  # fmt: skip


def known_categories() -> list[str]:
    """The categories the kiosk's screen has words for (a pass with another shows raw text)."""
    from kiosk.display.messages import keys

    return sorted(k.removeprefix("category.") for k in keys() if k.startswith("category."))


class Invalid(ValueError):
    """What is wrong with one value, and which option or column it came from."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class PassRequest:
    name: str
    birth_year: int | None
    category: str | None
    valid_from: float | None
    valid_until: float
    declared_at: float | None

    @property
    def masked_name(self) -> str:
        return mask_name(self.name)


def check_name(name: str | None) -> str:
    text = unicodedata.normalize("NFC", " ".join((name or "").split()))
    if not text:
        raise Invalid("name", "a name is needed")
    if len(text) > MAX_NAME:
        raise Invalid("name", f"longer than {MAX_NAME} characters")
    if any(unicodedata.category(ch)[0] in "CZ" and ch != " " for ch in text):
        raise Invalid("name", "control or invisible characters")
    if not any(ch.isalpha() for ch in text):
        raise Invalid("name", "no letters")
    return text


def check_birth_year(year: int | None, now: float) -> int | None:
    this_year = datetime.fromtimestamp(now, UTC).year
    if year is not None and not 1900 <= year <= this_year:
        raise Invalid("birth_year", f"not a plausible birth year (1900-{this_year}): {year}")
    return year


def check_issuer(issuer: str) -> str:
    """The issuer's name as a pass carries it: printable, 1 to 64 characters."""
    text = unicodedata.normalize("NFC", issuer.strip())
    if not text:
        raise Invalid("issuer", "an issuer name is needed")
    if len(text) > MAX_ISSUER:
        raise Invalid("issuer", f"longer than {MAX_ISSUER} characters")
    if not text.isprintable():
        raise Invalid("issuer", "control or invisible characters")
    return text


def check_category(category: str | None) -> str | None:
    if category is None or category == "":
        return None
    known = known_categories()
    if category not in known:
        raise Invalid("category", f"unknown {category!r}; known: {', '.join(known)}")
    return category


def validity(
    now: float, valid_from: float | None, valid_until: float | None, valid_for: float | None
) -> float:
    if valid_for is not None and valid_for <= 0:
        raise Invalid("valid_for", "a pass must be valid for some time (e.g. 30d)")
    start = valid_from if valid_from is not None else now
    if valid_for is None:
        valid_for = DEFAULT_VALID_FOR
    until = valid_until if valid_until is not None else start + valid_for
    if until <= start:
        raise Invalid("valid_until", "the pass would expire before it is valid")
    return until


def warnings(req: PassRequest, now: float) -> list[str]:
    found = []
    if req.valid_until <= now:
        found.append("the pass is no longer valid: its validity ended in the past")
    start = req.valid_from if req.valid_from is not None else now
    if req.valid_until - start > LONG_VALIDITY:
        days = (req.valid_until - start) / 86400
        found.append(f"valid for {days:.0f} days, more than 2 years: is that meant?")
    if req.declared_at is not None and req.declared_at > now:
        found.append("its health declaration is dated in the future")
    return found


# ---------------------------------------------------------------- CSV


def parse_time(field: str, value: str, zone: ZoneInfo, *, end_of_day: bool = False) -> float | None:
    """An ISO date or date and time; without a zone it is the venue's local time. A date
    alone is the start of that local day, or with `end_of_day` its end (a pass "valid until
    30 November" is valid all that day)."""
    if not value:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        day = None
    if day is not None and end_of_day:
        try:
            return datetime.combine(day + timedelta(days=1), dtime(0), tzinfo=zone).timestamp()
        except OverflowError:
            raise Invalid(field, f"not a usable date: {value[:40]!r}") from None
    try:
        return parse_iso_datetime(value, zone).timestamp()
    except (ValueError, OverflowError):
        raise Invalid(field, f"not an ISO date/time: {value[:40]!r}") from None


class RowInvalid(ValueError):
    """Everything wrong with one row, one Invalid per column."""

    def __init__(self, problems: list[Invalid]) -> None:
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = problems


class _Checks:
    """Runs each column's check, keeping every problem rather than stopping at the first."""

    def __init__(self) -> None:
        self.problems: list[Invalid] = []

    def __call__(self, check: Callable[..., T], *args: Any, **kw: Any) -> T | None:
        try:
            return check(*args, **kw)
        except Invalid as exc:
            self.problems.append(exc)
            return None


def _year(text: str) -> int | None:
    try:
        return int(text) if text else None
    except ValueError:
        raise Invalid("birth_year", f"not a year: {text[:20]!r}") from None


def _duration(text: str) -> float | None:
    try:
        return parse_duration(text) if text else None
    except ValueError as exc:
        raise Invalid("valid_for", str(exc)) from None


def _row(row: dict[str, str], now: float, zone: ZoneInfo) -> PassRequest:
    check = _Checks()
    name = check(check_name, row.get("name"))
    year = check(_year, row.get("birth_year", ""))
    birth_year = check(check_birth_year, year, now) if year is not None else None
    category = check(check_category, row.get("category") or None)
    valid_for = check(_duration, row.get("valid_for", ""))
    valid_from = check(parse_time, "valid_from", row.get("valid_from", ""), zone)
    until = check(parse_time, "valid_until", row.get("valid_until", ""), zone, end_of_day=True)
    declared_at = check(parse_time, "declared_at", row.get("declared_at", ""), zone)
    bad = {p.field for p in check.problems}
    valid_until = None
    if not bad & {"valid_for", "valid_from", "valid_until"}:
        valid_until = check(validity, now, valid_from, until, valid_for)
    if check.problems or name is None or valid_until is None:
        raise RowInvalid(check.problems)
    return PassRequest(name, birth_year, category, valid_from, valid_until, declared_at)


class CsvRefused(Exception):
    """Every problem in the file, as `FILE:LINE: column: message` lines; nothing was signed."""

    def __init__(self, issues: list[str]) -> None:
        super().__init__("\n".join(issues))
        self.issues = issues


def _decode(path: Path) -> str:
    """The file's text: bounded, UTF-8 (a BOM from Excel is dropped)."""
    try:
        return read_limited(path, CSV_BYTES).decode("utf-8-sig")
    except FileRefused as exc:
        raise CsvRefused([f"{path}: {exc}"]) from None
    except UnicodeDecodeError as exc:
        raise CsvRefused([f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})"]) from None


def _header(path: Path, text: str) -> csv.DictReader[str]:
    """A reader over the rows, its columns checked: known, each once, a name among them."""
    first = text.split("\n", 1)[0]
    # Excel in a Vietnamese (or European) locale saves CSV with semicolons.
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.DictReader(io.StringIO(text, newline=""), restkey="\0extra", delimiter=delimiter)
    try:
        header = [h.strip().lower() for h in reader.fieldnames or []]
    except csv.Error as exc:
        raise CsvRefused([f"{path}:1: header: {exc}"]) from None
    reader.fieldnames = header  # "Name ", "NAME" and "name" are one column
    unknown = [h for h in header if h not in COLUMNS]
    twice = sorted({h for h in header if header.count(h) > 1})
    if "name" not in header or unknown or twice:
        why = (
            f"unknown columns {unknown}" if unknown
            else f"columns named twice {twice}" if twice
            else "no name column"
        )  # fmt: skip
        raise CsvRefused([f"{path}:1: header: {why}; columns are {', '.join(COLUMNS)}"])
    return reader


def _rows(
    path: Path, reader: csv.DictReader[str], now: float, zone: ZoneInfo
) -> tuple[list[PassRequest], list[str]]:
    """Each row as a request, or its problems as `FILE:LINE: column: message` lines."""
    requests: list[PassRequest] = []
    issues: list[str] = []
    try:
        for row in reader:
            line = reader.line_num
            if len(requests) + len(issues) >= MAX_ROWS:
                issues.append(f"{path}:{line}: more than {MAX_ROWS} rows")
                break
            if "\0extra" in row:
                issues.append(f"{path}:{line}: row: more cells than columns")
                continue
            try:
                requests.append(_row({k: (v or "").strip() for k, v in row.items()}, now, zone))
            except RowInvalid as exc:
                issues += [f"{path}:{line}: {p.field}: {p.message}" for p in exc.problems]
    except csv.Error as exc:
        issues.append(f"{path}:{reader.line_num}: row: {exc}")
    return requests, issues


def read_requests(path: Path, now: float, zone: ZoneInfo) -> list[PassRequest]:
    """Every row of a CSV of passes to issue; CsvRefused with every problem, signing none."""
    requests, issues = _rows(path, _header(path, _decode(path)), now, zone)
    if issues:
        raise CsvRefused(issues)
    if not requests:
        raise CsvRefused([f"{path}: no rows"])
    return requests


def as_fields(req: PassRequest) -> dict[str, Any]:
    """The keyword arguments of checkin_protocol.kp1.issue_pass for this request."""
    return {
        "masked_name": req.masked_name,
        "valid_until": int(req.valid_until),
        "valid_from": int(req.valid_from) if req.valid_from is not None else None,
        "birth_year": req.birth_year,
        "category": req.category,
        "declared_at": int(req.declared_at) if req.declared_at is not None else None,
    }
