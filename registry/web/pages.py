"""The public and sign-in pages (not in the API schema): index, sign-in and out, declaration."""

import hmac
import re
from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Query, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError

from checkin_protocol.privacy import mask_name, normalize_id_number
from registry.auth import Role, new_token
from registry.core.common import RegistryError, now_ms
from registry.core.consent import consent_problem
from registry.core.consent import words as consent_words
from registry.core.declarations import DeclaredShareFull, requester_key
from registry.core.idnumbers import id_number_problem
from registry.web import i18n
from registry.web.declarations import DeclarationIn, declare, send_code
from registry.web.deps import (
    COOKIE,
    CSRF_COOKIE,
    RegistryDep,
    client_address,
    session_of,
)
from registry.web.render import message, page, texts

router = APIRouter(include_in_schema=False)
# A browser known to an account (it signed in to it before): its own sign-in limit.
DEVICE_COOKIE = "registry_signin_device"

# Where each role lands after signing in, unless the sign-in was for a given page.
HOME = {
    Role.CONTROLLER: "/venues",
    Role.HEALTH_OFFICER: "/trace",
    Role.ADMIN: "/admin",
}


def _safe_next(target: str) -> str:
    # Only a path on this site: "//evil.example" would be another site.
    return target if target.startswith("/") and not target.startswith("//") else "/"


@router.get("/")
def index(request: Request, registry: RegistryDep) -> HTMLResponse:
    t = texts(request)
    user = session_of(request, registry)
    return page(
        request, "index.html", title=t.index_title, docs=registry.settings.api_docs, user=user
    )


def _https(request: Request) -> bool:
    return request.url.scheme == "https"


def _form_token(request: Request) -> str:
    """The CSRF token for a form shown before sign-in: the browser's cookie's, or a new one."""
    have = request.cookies.get(CSRF_COOKIE, "")
    return have if re.fullmatch(r"[A-Za-z0-9_-]{43}", have) else new_token()


def _with_form_token(resp: Response, request: Request, token: str) -> Response:
    resp.set_cookie(
        CSRF_COOKIE, token, httponly=True, samesite="strict", secure=_https(request), path="/"
    )
    return resp


def _form_token_ok(request: Request, submitted: str) -> bool:
    # Double submit: another site can make the browser post the form, but cannot read the
    # cookie to put the same value in the form (and SameSite keeps the cookie home anyway).
    cookie = request.cookies.get(CSRF_COOKIE, "")
    return bool(cookie) and hmac.compare_digest(cookie.encode(), submitted.encode())


def refused_form(request: Request) -> HTMLResponse:
    return message(request, 403, "forbidden_title", "form_expired")


@router.get("/login")
def login_page(request: Request, next: Annotated[str, Query(max_length=2000)] = "") -> Response:
    token = _form_token(request)
    title = texts(request).login_title
    resp = page(request, "login.html", next=next, csrf=token, title=title)
    return _with_form_token(resp, request, token)


def _wait_page(request: Request, seconds: int, next: str) -> HTMLResponse:
    """The sign-in page again, saying in the reader's language when to try once more."""
    t = texts(request)
    token = _form_token(request)
    at = i18n.clock(now_ms() + seconds * 1000, i18n.DEFAULT_TZ)
    resp = page(
        request,
        "login.html",
        429,
        {"Retry-After": str(seconds)},
        next=next,
        csrf=token,
        title=t.login_title,
        wait=t("login_wait", seconds=seconds, time=at),
    )
    _with_form_token(resp, request, token)
    return resp


@router.post("/login")
def login(
    request: Request,
    registry: RegistryDep,
    token: Annotated[str, Form(max_length=200)],
    csrf: Annotated[str, Form(max_length=100)] = "",
    next: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    # Tokens carry 256 bits, so guessing is hopeless anyway; the limit keeps it cheap too.
    # A browser that signed in to an account before is counted by that account, which only
    # its own browsers can spend; any other by its address (an IPv6 /64).
    known = registry.signins.device_account(request.cookies.get(DEVICE_COOKIE, ""))
    if known is not None:
        key = f"account:{known}"
    else:
        where = registry.keys.hasher()(f"login:{requester_key(client_address(request))}")
        key = f"address:{where.value}"
    wait = registry.signins.wait(key)
    if wait:
        return _wait_page(request, wait, next)
    if not _form_token_ok(request, csrf):
        return refused_form(request)
    opened = registry.accounts.open_session(token, registry.settings.session_lifetime)
    if opened is None:
        registry.signins.failed(key)
        title = texts(request).login_title
        return page(request, "login.html", 401, next=next, csrf=csrf, failed=True, title=title)
    secret, _ = opened
    caller = registry.accounts.session_caller(secret)
    home = HOME.get(caller[0].role, "/") if caller else "/"
    resp = RedirectResponse(_safe_next(next) if next else home, status_code=303)
    resp.set_cookie(
        COOKIE,
        secret,
        httponly=True,
        samesite="strict",
        max_age=registry.settings.session_lifetime,
        secure=_https(request),
        path="/",
    )
    if caller is not None and known != caller[0].id:
        resp.set_cookie(
            DEVICE_COOKIE,
            registry.signins.trust_device(caller[0].id),
            httponly=True,
            samesite="strict",
            max_age=registry.settings.signin_device_days * 86400,
            secure=_https(request),
            path="/login",
        )
    return resp


@router.post("/logout")
def logout(
    request: Request, registry: RegistryDep, csrf: Annotated[str, Form(max_length=100)] = ""
) -> Response:
    session = session_of(request, registry)
    if session is None or not hmac.compare_digest(session[1].encode(), csrf.encode()):
        return refused_form(request)
    registry.accounts.close_session(request.cookies.get(COOKIE, ""))
    resp = RedirectResponse("/login", status_code=303)
    resp.delete_cookie(COOKIE, path="/")
    return resp


@router.get("/declare")
def declare_page(request: Request) -> Response:
    token = _form_token(request)
    resp = page(
        request,
        "declare.html",
        csrf=token,
        title=texts(request).declare_title,
        errors={},
        values={"name": "", "id_number": "", "phone": "", "symptoms": "", "contact": ""},
    )
    return _with_form_token(resp, request, token)


FIELDS = ("name", "id_number", "phone", "symptoms", "contact", "code")


@router.post("/declare/code")
def declare_code_form(
    request: Request,
    registry: RegistryDep,
    name: Annotated[str, Form(max_length=200)] = "",
    id_number: Annotated[str, Form(max_length=40)] = "",
    phone: Annotated[str, Form(max_length=40)] = "",
    symptoms: Annotated[str, Form(max_length=8)] = "",
    contact: Annotated[str, Form(max_length=8)] = "",
    csrf: Annotated[str, Form(max_length=100)] = "",
) -> HTMLResponse:
    """The form's "send a code" button: a code to the phone declared with each pass in force
    of the number typed, and the form back as it was, saying so (whatever the number)."""
    if not _form_token_ok(request, csrf):
        return refused_form(request)
    t = texts(request)
    values = {"name": name, "id_number": id_number, "phone": phone}
    values |= {"symptoms": symptoms, "contact": contact, "code": ""}
    number = normalize_id_number(id_number)

    def again(status: int, headers: dict[str, str] | None = None, **ctx: object) -> HTMLResponse:
        ctx.setdefault("errors", {})
        return page(
            request, "declare.html", status, headers, csrf=csrf, values=values,
            title=t.declare_title, **ctx,
        )  # fmt: skip

    if id_number_problem(number):
        return again(422, errors={"id_number": t.err_id_number})
    try:
        send_code(registry, request, number)
    except HTTPException as exc:
        return again(429, dict(exc.headers or {}), problem=t.err_busy)
    return again(200, code_sent=True)


@router.post("/declare")
def declare_form(
    request: Request,
    registry: RegistryDep,
    name: Annotated[str, Form(max_length=200)] = "",
    id_number: Annotated[str, Form(max_length=40)] = "",
    phone: Annotated[str, Form(max_length=40)] = "",
    # No default answer: a health question left unanswered is asked again, never assumed.
    symptoms: Annotated[str, Form(max_length=8)] = "",
    contact: Annotated[str, Form(max_length=8)] = "",
    # The consent box: unticked, it sends nothing; ticked, its text's version.
    consent: Annotated[str, Form(max_length=16)] = "",
    csrf: Annotated[str, Form(max_length=100)] = "",
    # What declare.js adds from this phone's storage: its secret, and the pass it holds.
    device_secret: Annotated[str, Form(max_length=100)] = "",
    previous_pass: Annotated[str, Form(max_length=2000)] = "",
    # The one-time code sent to the phone on file, for a phone that no longer keeps the pass.
    code: Annotated[str, Form(max_length=16)] = "",
) -> HTMLResponse:
    if not _form_token_ok(request, csrf):
        return refused_form(request)
    t = texts(request)
    values = {"name": name, "id_number": id_number, "phone": phone, "code": code}
    values |= {"symptoms": symptoms, "contact": contact, "consent": consent}

    def again(status: int, headers: dict[str, str] | None = None, **ctx: object) -> HTMLResponse:
        # The form comes back with what was typed, so nobody types it all again.
        ctx.setdefault("errors", {})
        return page(
            request,
            "declare.html",
            status,
            headers,
            csrf=csrf,
            values=values,
            title=t.declare_title,
            **ctx,
        )

    errors = {q: t(f"err_{q}") for q in ("symptoms", "contact") if values[q] not in ("yes", "no")}
    if consent_problem(consent):
        errors["consent"] = consent_words(t.lang).error
    try:
        d = DeclarationIn(
            name=name.strip(),
            # A phone's keyboard may type fullwidth or other digits: the same number.
            id_number=normalize_id_number(id_number),
            phone=phone.strip(),
            symptoms=symptoms == "yes",
            contact=contact == "yes",
            consent=consent or None,
            device_secret=device_secret or None,
            previous_pass=previous_pass or None,
            code=code.strip() or None,
        )
    except ValidationError as exc:
        # A device field the script filled is no fault of the person: it is dropped below.
        errors |= {
            str(e["loc"][0]): t(f"err_{e['loc'][0]}") for e in exc.errors() if e["loc"][0] in FIELDS
        }
        d = None
    if d is None and not errors:
        d = DeclarationIn(
            name=name.strip(),
            # A phone's keyboard may type fullwidth or other digits: the same number.
            id_number=normalize_id_number(id_number),
            phone=phone.strip(),
            symptoms=symptoms == "yes",
            contact=contact == "yes",
            consent=consent or None,
            code=code.strip() or None,
        )
    if errors or d is None:
        return again(422, errors=errors)
    try:
        result = declare(registry, request, d)
    except HTTPException as exc:
        problem = t.err_busy if exc.status_code == 429 else t.err_unavailable
        return again(exc.status_code, dict(exc.headers or {}), problem=problem)
    except DeclaredShareFull:
        # The advice is what matters to someone at risk; a pass would open no door anyway.
        return page(request, "declare.html", 503, title=t.risk_title, risk_only=True)
    except RegistryError:
        return again(503, problem=t.err_unavailable)
    now = now_ms()
    return page(
        request,
        "declare.html",
        title=t.pass_title,
        result=result,
        at_risk=d.symptoms or d.contact,
        # A previous pass shown and not superseded is still valid: the page says which.
        kept_previous=bool(d.previous_pass) and not result.superseded,
        masked=mask_name(d.name),
        valid_until=i18n.date_time(now + registry.settings.declaration_pass_validity * 1000),
        declared=i18n.date_time(now),
        tz_label=t.tz_label(i18n.DEFAULT_TZ, now),
    )
