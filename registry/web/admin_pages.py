"""The admin's pages: venues, kiosks, users and list versions, a daily overview by area as
charts; a venue's printable QR poster, and staff badges printed from a CSV."""

import hmac
import re
from pathlib import Path
from typing import Annotated, Any

import segno
from fastapi import APIRouter, File, Form, Query, Request, Response, UploadFile
from markupsafe import Markup

from checkin_protocol.documents import DENY_LIST, TRUST_LIST
from checkin_protocol.privacy import mask_name
from checkin_protocol.records import IDENTIFIER_PATTERN
from registry.auth import Caller, Role
from registry.core.common import RegistryError, now_ms, parse_iso_ms, text_problem
from registry.core.notice import full_notice
from registry.core.pagedata import today_at
from registry.web import i18n
from registry.web.badges import (
    MAX_BYTES,
    MAX_PEOPLE,
    Badge,
    BadgeWords,
    Person,
    Problem,
    badges_pdf,
    parse_people,
)
from registry.web.charts import Series, bar_chart
from registry.web.deps import RegistryDep
from registry.web.render import message, page, pagedata, staff, texts

router = APIRouter(include_in_schema=False)

# A font with Vietnamese letters: PDF's built-in fonts have Latin-1 only. Debian's
# fonts-dejavu-core (installed with fontconfig, so almost everywhere).
FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu"))
QR_MM = 160  # the poster's QR: 16 × 16 cm, readable by a phone from a couple of metres
OVERVIEW_DAYS = 14  # within the 21 days records are kept
AUDIT_ROWS = 50


def _area(value: str) -> tuple[str, str]:
    """(province, district) from the area choice "province|district" ("" for everywhere)."""
    province, _, district = value.partition("|")
    return province, district


def _overview_charts(t: i18n.Texts, registry: RegistryDep, area: str, now: int) -> list[Markup]:
    province, district = _area(area)
    days = pagedata(registry).overview(
        OVERVIEW_DAYS, today_at(i18n.DEFAULT_TZ, now), province, district, i18n.DEFAULT_TZ
    )
    labels = [d["day"].strftime("%d/%m") for d in days]
    charts = []
    for key in ("venues", "kiosks", "checkins", "declarations"):
        values = [d[key] for d in days]
        top = max(range(len(values)), key=lambda i: (values[i], i))
        # Venues registered is a running total: its story is growth, not a day's peak.
        summary = (
            t("ov_summary_total", last=values[-1], first=values[0], n=len(values) - 1)
            if key == "venues"
            else t(
                "ov_summary",
                last=values[-1],
                top=values[top],
                day=labels[top],
                total=sum(values),
                n=len(values),
            )
        )
        title = t(f"ov_{key}")
        charts.append(
            bar_chart(
                f"ov-{key}",
                title,
                summary,
                labels,
                [Series(title, values, "bar")],
                t.overview_day,
                t.chart_table,
                label_every=3,
                from_end=True,
            )
        )
    return charts


@router.get("/admin")
def admin(
    request: Request,
    registry: RegistryDep,
    area: Annotated[str, Query(max_length=210)] = "",
) -> Response:
    got = staff(request, registry, Role.ADMIN)
    if isinstance(got, Response):
        return got
    return _admin_page(request, registry, got, area)


def _kiosk_rows(t: i18n.Texts, registry: RegistryDep, now: int) -> list[dict[str, Any]]:
    data = pagedata(registry)
    kiosks = data.kiosks(None, now)
    current = data.list_versions()
    for k in kiosks:
        k["seen"] = t.ago(k["last_seen_ms"], now)
        # As the kiosk last reported them (trust/deny); older than the registry's: flagged.
        have = (k["trust_version"], k["deny_version"])
        k["lists"] = "/".join("–" if v is None else str(v) for v in have)
        k["lists_old"] = any(
            v is not None and v < current.get(name, 0)
            for v, name in zip(have, (TRUST_LIST, DENY_LIST), strict=True)
        )
    return kiosks


def _audit_rows(registry: RegistryDep, reader: str) -> list[dict[str, Any]]:
    """The latest audit entries (traces, account changes, exports, reads of this log): who,
    what, when, why, how much they saw (never the subject). This read is one of them."""
    return [
        {
            "time": i18n.date_time(parse_iso_ms(a["time"])),
            "who": a["principal"],
            "action": a["action"],
            "reason": str(a["params"].get("reason", "")) if isinstance(a["params"], dict) else "",
            "results": a["results"],
        }
        for a in registry.views.read_audit(reader, AUDIT_ROWS)
    ]


def _admin_page(
    request: Request,
    registry: RegistryDep,
    got: tuple[Caller, str],
    area: str = "",
    status: int = 200,
    **extra: Any,
) -> Response:
    t = texts(request)
    data = pagedata(registry)
    now = now_ms()
    kiosks = _kiosk_rows(t, registry, now)
    users = registry.accounts.users()
    for u in users:
        u["role_name"] = (
            t(f"role_{u['role']}") if u["role"] in (r.value for r in Role) else u["role"]
        )
    areas = data.areas()
    choices = [("", t.overview_all)]
    for province in dict.fromkeys(p for p, _ in areas):
        choices.append((province, province or t.none))
        choices += [(f"{p}|{d}", f"{p or t.none} › {d}") for p, d in areas if p == province and d]
    if area not in {c[0] for c in choices}:
        area = ""
    extra.setdefault("form", {"name": "", "role": "", "venues": ""})
    extra.setdefault("errors", {})
    return page(
        request,
        "admin.html",
        status,
        title=t.admin_title,
        user=got,
        venues=data.venues(),
        kiosks=kiosks,
        users=users,
        lists=sorted(data.list_versions().items()),
        area=area,
        areas=choices,
        charts=_overview_charts(t, registry, area, now),
        online=sum(k["online"] for k in kiosks),
        days=OVERVIEW_DAYS,
        audit=_audit_rows(registry, got[0].name),
        roles=[r for r in Role if r is not Role.KIOSK],
        **extra,
    )


def _admin_form(
    request: Request, registry: RegistryDep, csrf: str
) -> tuple[Caller, str] | Response:
    """A signed-in admin whose form carries their session's CSRF token, or the refusal."""
    got = staff(request, registry, Role.ADMIN)
    if isinstance(got, Response):
        return got
    if not hmac.compare_digest(got[1].encode(), csrf.encode()):
        return message(request, 403, "forbidden_title", "form_expired", user=got)
    return got


def _user_errors(
    registry: RegistryDep, name: str, role: str, venue_ids: list[str]
) -> dict[str, str]:
    """Catalogue keys of what is wrong with a new user, by field (empty: none)."""
    errors = {}
    taken = {u["name"] for u in registry.accounts.users()}
    bad_name = not 1 <= len(name) <= 100 or text_problem(name) or name.startswith("kiosk:")
    if bad_name or name in taken:
        errors["name"] = "err_user_name"
    if role not in {r.value for r in Role} or role == Role.KIOSK.value:
        errors["role"] = "err_user_role"
    known = all(
        re.fullmatch(IDENTIFIER_PATTERN, v) and pagedata(registry).venue(v) for v in venue_ids
    )
    if not known or (role == Role.CONTROLLER.value and not venue_ids):
        errors["venues"] = "err_user_venues"
    return errors


def _token_page(request: Request, got: tuple[Caller, str], name: str, token: str) -> Response:
    t = texts(request)
    resp = page(
        request, "user_token.html", title=t.user_token_title, user=got, who=name, token=token
    )
    resp.headers["Cache-Control"] = "no-store"  # a secret: never kept by a cache
    return resp


@router.post("/admin/users")
def add_user(
    request: Request,
    registry: RegistryDep,
    name: Annotated[str, Form(max_length=200)] = "",
    role: Annotated[str, Form(max_length=32)] = "",
    venues: Annotated[str, Form(max_length=2000)] = "",
    csrf: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    got = _admin_form(request, registry, csrf)
    if isinstance(got, Response):
        return got
    name = name.strip()
    venue_ids = sorted({v.strip() for v in venues.split(",") if v.strip()})
    errors = _user_errors(registry, name, role, venue_ids)
    if errors:
        t = texts(request)
        form = {"name": name, "role": role, "venues": venues}
        words = {k: t(v) for k, v in errors.items()}
        return _admin_page(request, registry, got, status=422, form=form, errors=words)
    try:
        token = registry.add_user(name, Role(role), venue_ids, by=got[0].name)
    except RegistryError:
        # Checked above; only a race (the same name added meanwhile) gets here.
        return message(request, 409, "forbidden_title", "err_user_name", user=got)
    return _token_page(request, got, name, token)


@router.post("/admin/users/disable")
def disable_user(
    request: Request,
    registry: RegistryDep,
    name: Annotated[str, Form(max_length=200)] = "",
    csrf: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    got = _admin_form(request, registry, csrf)
    if isinstance(got, Response):
        return got
    if name == got[0].name:
        return message(request, 409, "forbidden_title", "err_user_self", user=got)
    try:
        registry.accounts.disable_user(name, by=got[0].name)
    except RegistryError:
        return message(request, 404, "not_found_title", "err_user_none", user=got)
    t = texts(request)
    return page(
        request,
        "message.html",
        title=t.admin_users,
        body=t("user_disabled_done", name=name),
        back=("/admin", t.back_admin),
        user=got,
    )


@router.post("/admin/users/reset")
def reset_user(
    request: Request,
    registry: RegistryDep,
    name: Annotated[str, Form(max_length=200)] = "",
    csrf: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    got = _admin_form(request, registry, csrf)
    if isinstance(got, Response):
        return got
    try:
        token = registry.accounts.reset_token(name, by=got[0].name)
    except RegistryError:
        return message(request, 404, "not_found_title", "err_user_none", user=got)
    return _token_page(request, got, name, token)


def _font() -> Path | None:
    return next((d for d in FONT_DIRS if (d / "DejaVuSans.ttf").exists()), None)


def poster_pdf(venue_name: str, venue_id: str, base_url: str, t: i18n.Texts, *, days: int) -> bytes:
    """An A4 poster: the venue's name, how to check in, a 16 cm QR of its self check-in page;
    a second page with the full privacy notice (records kept `days` days)."""
    fonts = _font()
    if fonts is None:
        raise RuntimeError("no DejaVu fonts (apt-get install fonts-dejavu-core)")
    # Imported here: fpdf2 pulls in fontTools and numpy, the larger part of the server's
    # start-up time, for a page an admin prints once per venue.
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(False)
    pdf.add_font("dejavu", "", str(fonts / "DejaVuSans.ttf"))
    pdf.add_font("dejavu", "B", str(fonts / "DejaVuSans-Bold.ttf"))
    pdf.set_margins(18, 15, 18)
    pdf.add_page()
    pdf.set_text_color(11, 74, 139)
    pdf.set_font("dejavu", "B", 26)
    pdf.set_y(15)
    pdf.multi_cell(0, 12, t.poster_heading, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(27, 31, 36)
    pdf.set_font("dejavu", "B", 22)
    pdf.multi_cell(0, 11, venue_name, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    pdf.set_font("dejavu", "", 16)
    for step in (t("poster_step1", url=f"{base_url}/declare"), t.poster_step2, t.poster_step3):
        pdf.multi_cell(0, 8.5, step, align="L", new_x="LMARGIN", new_y="NEXT")
    # The QR drawn as squares (vector): sharp at any printer resolution.
    qr = segno.make(f"{base_url}/checkin/{venue_id}", error="m")
    rows = list(qr.matrix)
    module = QR_MM / len(rows)
    # Right under the steps (the eye goes there next), but never off the page.
    x0, y0 = (210 - QR_MM) / 2, min(pdf.get_y() + 8, 297 - 15 - QR_MM - 10)
    pdf.set_fill_color(0, 0, 0)
    for y, row in enumerate(rows):
        for x, dark in enumerate(row):
            if dark:
                pdf.rect(x0 + x * module, y0 + y * module, module + 0.01, module + 0.01, style="F")
    pdf.set_y(y0 + QR_MM + 3)  # the address under the code, for whoever cannot scan
    pdf.set_font("dejavu", "", 10)
    pdf.cell(0, 6, f"{base_url}/checkin/{venue_id}", align="C", new_x="LMARGIN", new_y="NEXT")
    _notice_page(pdf, venue_name, days)
    return bytes(pdf.output())


def _notice_page(pdf: Any, venue_name: str, days: int) -> None:
    """The poster's second page: the full privacy notice, Vietnamese then English (print it on
    the back, or beside the first page)."""
    pdf.add_page()
    for lang in ("vi", "en"):
        title, parts = full_notice(venue_name, days, lang)
        pdf.set_text_color(11, 74, 139)
        pdf.set_font("dejavu", "B", 16)
        pdf.multi_cell(0, 8, title, new_x="LMARGIN", new_y="NEXT")
        pdf.set_text_color(27, 31, 36)
        for heading, text in parts:
            # 11 pt: both languages on one page, a venue's name of 80 characters included.
            pdf.set_font("dejavu", "B", 11)
            pdf.multi_cell(0, 5.5, heading, align="L", new_x="LMARGIN", new_y="NEXT")
            pdf.set_font("dejavu", "", 11)
            pdf.multi_cell(0, 5.5, text, align="L", new_x="LMARGIN", new_y="NEXT")
            pdf.ln(1.2)
        pdf.ln(3)


@router.get("/admin/venues/{venue_id}/poster.pdf")
def poster(venue_id: str, request: Request, registry: RegistryDep) -> Response:
    got = staff(request, registry, Role.ADMIN)
    if isinstance(got, Response):
        return got
    venue = pagedata(registry).venue(venue_id)
    if venue is None:
        return message(request, 404, "not_found_title", "not_found", user=got)
    base = str(request.base_url).rstrip("/")
    body = poster_pdf(
        venue.name, venue.id, base, texts(request), days=registry.settings.retention_days
    )
    return Response(
        body,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="poster-{venue.id}.pdf"'},
    )


def _badges_form(
    request: Request, user: tuple[Caller, str], status: int = 200, problems: list[str] | None = None
) -> Response:
    t = texts(request)
    return page(
        request,
        "badges.html",
        status,
        title=t.badges_title,
        user=user,
        problems=problems or [],
        max_people=MAX_PEOPLE,
    )


@router.get("/admin/badges")
def badges_page(request: Request, registry: RegistryDep) -> Response:
    got = staff(request, registry, Role.ADMIN)
    if isinstance(got, Response):
        return got
    return _badges_form(request, got)


def _issue(registry: RegistryDep, people: list[Person]) -> list[Badge]:
    """A pass for each person, all in one transaction: a failure issues none."""
    out = []
    with registry.db.session.begin() as s:
        for p in people:
            text, _ = registry.passes.issue_in(
                s, p.name, valid_for=p.days * 86400, category=p.category
            )
            until = i18n.date_time(now_ms() + p.days * 86_400_000)
            out.append(Badge(text, mask_name(p.name), p.category, until))
    return out


@router.post("/admin/badges")
def badges(
    request: Request,
    registry: RegistryDep,
    people: Annotated[UploadFile, File()],
    csrf: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    got = _admin_form(request, registry, csrf)
    if isinstance(got, Response):
        return got
    t = texts(request)
    found = parse_people(people.file.read(MAX_BYTES + 1))
    if found and isinstance(found[0], Problem):
        problems: list[Any] = found
        words = [t(p.key, line=p.line, n=MAX_PEOPLE) for p in problems]
        return _badges_form(request, got, 422, words)
    fonts = _font()
    if fonts is None:
        raise RuntimeError("no DejaVu fonts (apt-get install fonts-dejavu-core)")
    made = _issue(registry, [p for p in found if isinstance(p, Person)])
    labels = BadgeWords(t.poster_heading, t.badge_valid, t.badge_category)
    return Response(
        badges_pdf(made, labels, fonts),
        media_type="application/pdf",
        headers={
            "Content-Disposition": 'attachment; filename="badges.pdf"',
            "Cache-Control": "no-store",
        },
    )
