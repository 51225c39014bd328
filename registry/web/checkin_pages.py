"""Self check-in by a visitor's phone: the venue poster's QR opens /checkin/<venue>, where the
registry pass kept on that phone (by the declaration page) checks in or out with one tap.

The registry decides as a kiosk would for a signed pass (signature, expiry, deny list) and
records it under the venue's pseudo-kiosk "self-checkin", so the live view, history and
tracing see it like any other record. A phone proves it holds the pass (the secret of the
device it was declared on); a pass checks in once, out only after an entry, in again only
after a cooldown; and its count is kept apart from the doors', which alone move the
occupancy kiosks enforce unless the venue opts in. The phone is told only whether the pass is one to
record (signed here, not expired), never what the deny list says: a bar is a health order,
and anyone may declare with someone's ID number and show that pass here. The holder of a
barred pass hears it from a kiosk at the door. A venue's own policy (opening hours, capacity,
categories, declaration age) lives in its kiosks' config files, which the registry never
sees: it cannot apply it, and the page says so, leaving those rules to the staff at the door.
"""

import re
import time
import uuid
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Request, Response

from checkin_protocol.kp1 import PassRejected
from checkin_protocol.records import Subject
from registry.auth import Caller, Role
from registry.core.common import now_ms
from registry.core.ingest import local_midnight_ms
from registry.core.selfcheckin import Step
from registry.web import i18n
from registry.web.deps import RegistryDep, client_address, limited
from registry.web.pages import _form_token, _form_token_ok, _with_form_token, refused_form
from registry.web.render import message, page, pagedata, texts
from registry.web.shown import DEVICE_PATTERN, verified

router = APIRouter(include_in_schema=False)
SELF_KIOSK = "self-checkin"


def _decide(registry: RegistryDep, text: str) -> tuple[str, str | None, Subject | None, str]:
    """(verdict, reason, subject, masked name) for a pass shown by a phone."""
    try:
        p = verified(registry, text)
    except PassRejected as exc:
        return "FAIL", exc.reason.value, None, ""
    subject = Subject.of_pass(p.pass_id)
    if p.expires_at < time.time():
        return "FAIL", "expired", subject, p.masked_name
    if pagedata(registry).denied(str(subject)):
        return "FAIL", "denied", subject, p.masked_name
    return "PASS", None, subject, p.masked_name


@router.get("/checkin/{venue_id}")
def checkin_page(venue_id: str, request: Request, registry: RegistryDep) -> Response:
    venue = pagedata(registry).venue(venue_id)
    if venue is None:
        return message(request, 404, "not_found_title", "not_found")
    token = _form_token(request)
    t = texts(request)
    resp = page(request, "checkin.html", title=t.checkin_title, venue=venue, csrf=token)
    return _with_form_token(resp, request, token)


@router.post("/checkin/{venue_id}")
def checkin(
    venue_id: str,
    request: Request,
    registry: RegistryDep,
    pass_text: Annotated[str, Form(max_length=2000)] = "",
    direction: Annotated[str, Form(max_length=8)] = "entry",
    csrf: Annotated[str, Form(max_length=100)] = "",
    device_secret: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    if not _form_token_ok(request, csrf):
        return refused_form(request)
    venue = pagedata(registry).venue(venue_id)
    if venue is None or direction not in ("entry", "exit"):
        return message(request, 404, "not_found_title", "not_found")
    limited(request, "declare_address", client_address(request))
    t = texts(request)
    verdict, reason, subject, masked = _decide(registry, pass_text.strip())

    def answer(outcome: str, ok: bool) -> Response:
        return page(
            request,
            "checkin.html",
            title=t.checkin_title,
            venue=venue,
            csrf=csrf,
            outcome=outcome,
            ok=ok,
        )

    # Not a pass to record (not signed here, expired): nothing is recorded, so posting
    # garbage moves no figure of the venue's.
    if subject is None or reason == "expired":
        return answer(t.checkin_refused, False)
    # The phone proves it holds the pass: the secret of the device it was declared on. A
    # photo of someone's QR creates no visit for them.
    if not (
        re.fullmatch(DEVICE_PATTERN, device_secret)
        and registry.self_checkins.holds(subject.value, device_secret)
    ):
        return answer(t.checkin_not_this_phone, False)
    now = now_ms()
    zone = ZoneInfo(venue.timezone)
    step = registry.self_checkins.step(
        venue.id,
        subject.value,
        direction,
        admitted=verdict == "PASS",
        now=now,
        day_start_ms=local_midnight_ms(now, zone),
    )
    when = i18n.date_time(step.at_ms, venue.timezone)
    if step.step is Step.ALREADY_INSIDE:
        return answer(t("checkin_already_inside", time=when), False)
    if step.step is Step.NOT_INSIDE:
        return answer(t.checkin_not_inside, False)
    if step.step is Step.TOO_SOON:
        return answer(t("checkin_too_soon", time=when), False)
    record = {
        "id": str(uuid.uuid4()),
        "seq": now,  # one pseudo-kiosk for many phones: time orders them, ids keep them apart
        "venue_id": venue.id,
        "kiosk_id": SELF_KIOSK,
        "direction": direction,
        "code_kind": "signed_pass",
        "subject": str(subject),
        "masked_name": masked or None,
        "verified": True,
        "verdict": verdict,
        "reason": reason,
        "created_utc": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(now / 1000)),
        "created_mono_ns": time.monotonic_ns(),
        "boot_id": SELF_KIOSK,
        "source": "phone",
    }
    me = Caller(0, Role.KIOSK, SELF_KIOSK, frozenset(), venue.id, SELF_KIOSK)
    # Not in the doors' counts: the occupancy kiosks enforce moves with doors only, unless
    # the venue opted in to its phones' count (registry.core.selfcheckin).
    registry.ingest(me, [record], 0, counted=False)
    # Recorded as the deny list decides, answered alike (see the module's docstring).
    return answer(t(f"checkin_done_{direction}", time=when), True)
