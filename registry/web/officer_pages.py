"""The health officer's tracing page: search by ID card number or pass id, with a reason.

The ID card number is hashed here with the registry's subject key (as the kiosks do) and
then forgotten: it is neither stored nor logged, and the search itself is audited by the
facade's trace.
"""

import hmac
import re
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request, Response

from checkin_protocol.records import Subject, SubjectKind, mask_subject
from registry.auth import Role
from registry.core.common import now_ms, parse_iso_ms
from registry.core.idnumbers import id_number_problem
from registry.web import i18n
from registry.web.deps import RegistryDep
from registry.web.render import message, page, pagedata, staff, texts

router = APIRouter(include_in_schema=False)
VISITS_PER_PAGE = 10


def _subject(registry: RegistryDep, id_number: str, pass_id: str) -> Subject | str:
    """The subject searched for, or the catalogue key of what is wrong with the form."""
    if bool(id_number) == bool(pass_id):
        return "err_trace_one"
    if pass_id:
        if not re.fullmatch(r"[0-9a-fA-F]{32}", pass_id):
            return "err_trace_pass"
        return Subject(SubjectKind.PASS, pass_id.lower())
    if id_number_problem(id_number):
        return "err_id_number"
    return registry.keys.hasher()(id_number)


def _timeline(
    registry: RegistryDep, found: dict[str, Any], window: int, page_no: int
) -> tuple[list[dict[str, Any]], int]:
    """Visits newest first, each with the people recorded at its venue within ±window."""
    visits = sorted(found["visits"], key=lambda v: v["time"], reverse=True)
    pages = max(1, -(-len(visits) // VISITS_PER_PAGE))
    page_no = min(page_no, pages)
    shown = visits[(page_no - 1) * VISITS_PER_PAGE : page_no * VISITS_PER_PAGE]
    names = pagedata(registry).venue_names({v["venue_id"] for v in shown})
    out = []
    for v in shown:
        at = parse_iso_ms(v["time"])
        near = [
            {
                "name": c["masked_name"] or "",
                "code": mask_subject(c["subject"]) or "",
                "minutes": abs(parse_iso_ms(c["time"]) - at) // 60_000,
            }
            for c in found["contacts"]
            if c["venue_id"] == v["venue_id"]
            and abs(parse_iso_ms(c["time"]) - at) <= window * 60_000
        ]
        out.append(
            {
                "venue": names.get(v["venue_id"], v["venue_id"]),
                "venue_id": v["venue_id"],
                "time": i18n.date_time(at),
                "direction": v["direction"],
                "near": sorted(near, key=lambda n: n["minutes"]),
            }
        )
    return out, pages


@router.get("/trace")
def trace_page(request: Request, registry: RegistryDep) -> Response:
    got = staff(request, registry, Role.HEALTH_OFFICER)
    if isinstance(got, Response):
        return got
    values = {"id_number": "", "pass_id": "", "reason": "", "window": "30"}
    return page(
        request, "trace.html", title=texts(request).trace_title, user=got, values=values, errors={}
    )


@router.post("/trace")
def trace_search(
    request: Request,
    registry: RegistryDep,
    csrf: Annotated[str, Form(max_length=100)] = "",
    id_number: Annotated[str, Form(max_length=40)] = "",
    pass_id: Annotated[str, Form(max_length=40)] = "",
    reason: Annotated[str, Form(max_length=200)] = "",
    window: Annotated[str, Form(max_length=6)] = "30",
    page_no: Annotated[int, Form(alias="page", ge=1, le=10_000)] = 1,
) -> Response:
    got = staff(request, registry, Role.HEALTH_OFFICER)
    if isinstance(got, Response):
        return got
    caller, token = got
    if not hmac.compare_digest(token.encode(), csrf.encode()):
        return message(request, 403, "forbidden_title", "form_expired", user=got)
    t = texts(request)
    id_number, pass_id, reason = id_number.strip(), pass_id.strip(), reason.strip()
    values = {"id_number": id_number, "pass_id": pass_id, "reason": reason, "window": window}
    errors: dict[str, str] = {}
    subject = _subject(registry, id_number, pass_id)
    if isinstance(subject, str):
        errors["pass_id" if subject == "err_trace_pass" else "id_number"] = t(subject)
    if len(reason) < 5:
        errors["reason"] = t.err_trace_reason
    minutes = int(window) if window.isdigit() else 0
    if not 1 <= minutes <= 24 * 60:
        errors["window"] = t.err_trace_window
    if errors or isinstance(subject, str):
        return page(
            request, "trace.html", 422, title=t.trace_title, user=got, values=values, errors=errors
        )
    # Audited by the facade, with the officer's reason (capped: it is free text).
    found = registry.trace(caller, subject, minutes, None, reason[:200])
    visits, pages = _timeline(registry, found, minutes, page_no)
    return page(
        request,
        "trace.html",
        title=t.trace_title,
        user=got,
        values=values,
        errors={},
        searched=True,
        total=len(found["visits"]),
        visits=visits,
        page_no=min(page_no, pages),
        pages=pages,
        minutes=minutes,
        tz_label=t.tz_label(i18n.DEFAULT_TZ, now_ms()),
    )
