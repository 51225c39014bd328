"""What every page shares: the templates, the visitor's language, the staff's session."""

import re
from importlib import resources
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from jinja2 import Environment, FunctionLoader

from registry.auth import Caller, Role
from registry.core import consent
from registry.core.pagedata import PageData
from registry.service import Registry
from registry.web import i18n
from registry.web.deps import session_of

LANG_COOKIE = "lang"


def _load(name: str) -> str:
    return resources.files("registry").joinpath("templates", name).read_text("utf-8")


# Autoescaped: whatever a request carries (a `next` URL, a venue id) is text, never markup.
templates = Environment(loader=FunctionLoader(_load), autoescape=True, auto_reload=False)
templates.globals.update(date_time=i18n.date_time, clock=i18n.clock, consent=consent.words)


def lang_of(request: Request) -> i18n.Lang:
    """?lang= first (a link the visitor clicked), then their cookie, then Vietnamese."""
    asked = request.query_params.get("lang")
    if asked in i18n.LANGS:
        return i18n.lang_or_default(asked)
    return i18n.lang_or_default(request.cookies.get(LANG_COOKIE))


def texts(request: Request) -> i18n.Texts:
    return i18n.Texts(lang_of(request))


def page(
    request: Request,
    name: str,
    status: int = 200,
    headers: dict[str, str] | None = None,
    **context: Any,
) -> HTMLResponse:
    lang = lang_of(request)
    other = "en" if lang == "vi" else "vi"
    context.setdefault("user", None)
    resp = HTMLResponse(
        templates.get_template(name).render(
            t=i18n.Texts(lang),
            lang=lang,
            other_lang=other,
            # The toggle goes to this page's address (a GET), in the other language.
            switch_href=f"{request.url.path}?lang={other}",
            **context,
        ),
        status,
        headers,
    )
    if request.query_params.get("lang") in i18n.LANGS:
        # Remembered, so the next page is in the language the visitor chose.
        resp.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, samesite="lax", path="/")
    return resp


def pagedata(registry: Registry) -> PageData:
    return PageData(
        registry.db,
        registry.settings.online_window,
        retention_days=registry.settings.retention_days,
        max_future_ms=registry.settings.max_future_ms,
    )


def message(
    request: Request, status: int, title_key: str, body_key: str, **ctx: Any
) -> HTMLResponse:
    t = texts(request)
    return page(
        request,
        "message.html",
        status,
        title=getattr(t, title_key),
        body=getattr(t, body_key),
        **ctx,
    )


def staff(
    request: Request, registry: Registry, *roles: Role
) -> tuple[Caller, str] | HTMLResponse | RedirectResponse:
    """The signed-in (caller, CSRF token) if their role is one of `roles`; else the sign-in
    page (not signed in) or a page saying no (another role)."""
    session = session_of(request, registry)
    if session is None:
        target = request.url.path
        if not re.fullmatch(r"/[A-Za-z0-9_./-]*", target):
            target = "/"
        return RedirectResponse(f"/login?next={target}", status_code=303)
    if session[0].role not in roles:
        return message(request, 403, "forbidden_title", "forbidden", user=session)
    return session
