"""A venue controller's pages: their venues, the live view, a day's history and its CSV."""

import io
import re
from datetime import date, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse
from markupsafe import Markup

from checkin_protocol.documents import DENY_LIST, TRUST_LIST
from checkin_protocol.records import IDENTIFIER_PATTERN
from checkin_protocol.spreadsheet import SafeWriter
from registry.auth import Caller, Role
from registry.core.audit import record_read
from registry.core.common import now_ms
from registry.core.pagedata import VenueRow, today_at
from registry.web import i18n
from registry.web.charts import Series, bar_chart
from registry.web.deps import RegistryDep
from registry.web.render import message, page, pagedata, staff, texts

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 50


@router.get("/venues")
def venues(request: Request, registry: RegistryDep) -> Response:
    got = staff(request, registry, Role.CONTROLLER, Role.ADMIN)
    if isinstance(got, Response):
        return got
    c, _ = got
    rows = pagedata(registry).venues(None if c.role is Role.ADMIN else c.venues)
    return page(request, "venues.html", title=texts(request).venues_title, venues=rows, user=got)


def _venue(
    request: Request, registry: RegistryDep, venue_id: str
) -> tuple[tuple[Caller, str], VenueRow] | Response:
    """The signed-in controller (or admin) and the venue, if it exists and is theirs."""
    got = staff(request, registry, Role.CONTROLLER, Role.ADMIN)
    if isinstance(got, Response):
        return got
    if not got[0].may_see_venue(venue_id):
        return message(request, 403, "forbidden_title", "forbidden", user=got)
    venue = (
        pagedata(registry).venue(venue_id) if re.fullmatch(IDENTIFIER_PATTERN, venue_id) else None
    )
    if venue is None:
        return message(request, 404, "not_found_title", "not_found", user=got)
    return got, venue


def hourly_chart(t: i18n.Texts, registry: RegistryDep, venue: VenueRow, now: int) -> Markup:
    """Entries per hour today against the same weekday a week ago, in the venue's hours."""
    today = today_at(venue.timezone, now)
    data = pagedata(registry)
    counts = data.hourly_entries(venue, today)
    before = data.hourly_entries(venue, today - timedelta(days=7))
    hour = i18n.local(now, venue.timezone).hour
    weekday = t(f"weekday_{today.weekday()}")
    summary = t(
        "hourly_summary",
        time=i18n.clock(now, venue.timezone)[:5],
        today=sum(counts[: hour + 1]),
        day=weekday,
        before=sum(before[: hour + 1]),
        whole=sum(before),
    )
    return bar_chart(
        "hourly",
        t.hourly_title,
        summary,
        [f"{h}" for h in range(24)],
        [
            Series(t.hourly_today, counts, "today"),
            Series(t("hourly_before", day=weekday), before, "before"),
        ],
        t.hourly_hour,
        t.chart_table,
        label_every=3,
    )


@router.get("/venues/{venue_id}")
def dashboard(venue_id: str, request: Request, registry: RegistryDep) -> Response:
    got = _venue(request, registry, venue_id)
    if isinstance(got, Response):
        return got
    user, venue = got
    t = texts(request)
    now = now_ms()
    return page(
        request,
        "dashboard.html",
        title=t("live_title", venue=venue.name),
        venue=venue,
        user=user,
        tz_label=t.tz_label(venue.timezone, now),
        chart=hourly_chart(t, registry, venue, now),
    )


def _row(t: i18n.Texts, r: dict[str, Any], tz: str) -> dict[str, str]:
    """A record as a screen or a CSV shows it: local time, words, masked name and code."""
    reason = t.reason(r["reason"])
    if r["manual"]:
        reason = f"{reason} ({t.manual})" if reason else t.manual
    return {
        "time": i18n.date_time(r["time_ms"], tz),
        "clock": i18n.clock(r["time_ms"], tz),
        "kiosk": r["kiosk_id"],
        "direction": t(r["direction"]) if r["direction"] in ("entry", "exit") else r["direction"],
        "verdict": r["verdict"],
        "result": t(r["verdict"]) if r["verdict"] in ("PASS", "FAIL") else r["verdict"],
        "reason": reason,
        "name": r["masked_name"],
        "code": r["subject"],
    }


def _lists_state(t: i18n.Texts, kiosk: dict[str, Any], current: dict[str, int]) -> str:
    """Whether the kiosk's trust and deny lists, as it last reported, are the registry's
    latest ("" before its first report): an old deny list lets a barred pass through."""
    have = {TRUST_LIST: kiosk["trust_version"], DENY_LIST: kiosk["deny_version"]}
    if any(v is None for v in have.values()):
        return ""
    old = any(v < current.get(name, 0) for name, v in have.items())
    return t.kiosk_lists_old if old else t.kiosk_lists_ok


@router.get("/venues/{venue_id}/live.json")
def live(
    venue_id: str,
    request: Request,
    registry: RegistryDep,
    chart: Annotated[int, Query(ge=0, le=1)] = 0,
) -> Response:
    """The live page's numbers and rows, already in the reader's words and time zone; with
    ?chart=1 also the hourly chart, redrawn (the page asks for it once a minute)."""
    got = _venue(request, registry, venue_id)
    if isinstance(got, Response):
        return JSONResponse({"detail": "forbidden"}, got.status_code)
    _, venue = got
    t = texts(request)
    d = pagedata(registry).live(venue)
    now = d["now_ms"]
    drawn = {"chart": str(hourly_chart(t, registry, venue, now))} if chart else {}
    current = pagedata(registry).list_versions()
    return JSONResponse(
        {
            **drawn,
            "status": t("updated", time=i18n.clock(now, venue.timezone)),
            "counts": {k: d[k] for k in ("entries", "exits", "inside", "refused")},
            "refusals": [_row(t, r, venue.timezone) for r in d["refusals"]],
            "recent": [
                {
                    **_row(t, r, venue.timezone),
                    "clock": i18n.clock_or_date(r["time_ms"], now, venue.timezone),
                }
                for r in d["recent"]
            ],
            "kiosks": [
                {
                    "id": k["id"],
                    "online": k["online"],
                    "state": t.online if k["online"] else t.offline,
                    "seen": t.ago(k["last_seen_ms"], now),
                    "queue": "" if k["queue_depth"] is None else str(k["queue_depth"]),
                    "lists": _lists_state(t, k, current),
                    "lists_old": _lists_state(t, k, current) == t.kiosk_lists_old,
                }
                for k in d["kiosks"]
            ],
        },
        headers={"Cache-Control": "no-store"},
    )


def _day(value: str, venue: VenueRow) -> date:
    try:
        return date.fromisoformat(value) if value else today_at(venue.timezone)
    except ValueError:
        return today_at(venue.timezone)


@router.get("/venues/{venue_id}/history")
def history(
    venue_id: str,
    request: Request,
    registry: RegistryDep,
    day: Annotated[str, Query(max_length=10)] = "",
    page_no: Annotated[int, Query(alias="page", ge=1, le=100_000)] = 1,
) -> Response:
    got = _venue(request, registry, venue_id)
    if isinstance(got, Response):
        return got
    user, venue = got
    t = texts(request)
    when = _day(day, venue)
    total, rows = pagedata(registry).history(venue, when, (page_no - 1) * PAGE_SIZE, PAGE_SIZE)
    shown = {"venue": venue.id, "day": when.isoformat(), "page": page_no}
    record_read(registry.db, user[0].name, "history_read", shown, len(rows))
    pages = max(1, -(-total // PAGE_SIZE))
    return page(
        request,
        "history.html",
        title=t("history_title", venue=venue.name),
        venue=venue,
        user=user,
        day=when.isoformat(),
        day_shown=when.strftime("%d/%m/%Y"),
        rows=[_row(t, r, venue.timezone) for r in rows],
        total=total,
        page_no=min(page_no, pages),
        pages=pages,
        tz_label=t.tz_label(venue.timezone, now_ms()),
    )


@router.get("/venues/{venue_id}/history.csv")
def history_csv(
    venue_id: str,
    request: Request,
    registry: RegistryDep,
    day: Annotated[str, Query(max_length=10)] = "",
) -> Response:
    got = _venue(request, registry, venue_id)
    if isinstance(got, Response):
        return got
    user, venue = got
    t = texts(request)
    when = _day(day, venue)
    _, rows = pagedata(registry).history(venue, when, 0, None)
    shown = {"venue": venue.id, "day": when.isoformat()}
    record_read(registry.db, user[0].name, "history_export", shown, len(rows))
    out = io.StringIO()
    # A name, a kiosk's reason or a manual admit's words come from outside: no cell of them
    # may open as a formula in the controller's spreadsheet.
    w = SafeWriter(out)
    w.writerow(
        [
            t("csv_time", tz=t.tz_label(venue.timezone, now_ms())),
            t.csv_kiosk,
            t.col_direction,
            t.col_result,
            t.col_reason,
            t.col_name,
            t.col_code,
        ]
    )
    for r in rows:
        x = _row(t, r, venue.timezone)
        w.writerow(
            [x["time"], x["kiosk"], x["direction"], x["result"], x["reason"], x["name"], x["code"]]
        )
    # UTF-8 with a byte-order mark: without it, Excel reads Vietnamese as mojibake.
    return Response(
        ("\ufeff" + out.getvalue()).encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{venue.id}-{when.isoformat()}.csv"',
            "Cache-Control": "no-store",
        },
    )


@router.get("/venues/{venue_id}/roll-call.csv")
def roll_call_csv(
    venue_id: str,
    request: Request,
    registry: RegistryDep,
    assume_left_after: Annotated[float, Query(gt=0, le=168)] = 12.0,
) -> Response:
    """Who is inside now (today's PASS entries with no exit since, at every kiosk), with a
    column to tick off in an evacuation; entries older than `assume_left_after` hours, or
    with no code to match an exit, are marked as maybe gone."""
    from registry.core.rollcall import inside_now

    got = _venue(request, registry, venue_id)
    if isinstance(got, Response):
        return got
    user, venue = got
    t = texts(request)
    now = now_ms()
    people = inside_now(registry.db, venue, now, assume_left_after)
    record_read(registry.db, user[0].name, "roll_call_export", {"venue": venue.id}, len(people))
    out = io.StringIO()
    w = SafeWriter(out)  # names come from outside: never a formula in the spreadsheet
    w.writerow(
        [t("csv_time", tz=t.tz_label(venue.timezone, now)), t.csv_kiosk, t.col_name,
         t.col_may_have_left, t.col_tick]
    )  # fmt: skip
    for p in people:
        w.writerow(
            [i18n.date_time(p.entered_ms, venue.timezone), p.kiosk_id, p.masked_name,
             t.yes if p.unsure else "", ""]
        )  # fmt: skip
    return Response(
        ("\ufeff" + out.getvalue()).encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{venue.id}-roll-call.csv"',
            "Cache-Control": "no-store",
        },
    )
