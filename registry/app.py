"""The registry's HTTP API (FastAPI, under /api/v1) and its two web pages."""

# No `from __future__ import annotations` here: FastAPI reads the route annotations at run time,
# and they name dependencies that are local to create_app.

import html
from importlib import resources
from typing import Annotated, Any

import segno
from fastapi import Depends, FastAPI, Form, Header, HTTPException, Query, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import BaseModel, Field, ValidationError

from kiosk.sync.documents import DENY_LIST, TRUST_LIST
from registry.auth import Caller, Role
from registry.service import Registry, RegistryError, iso_ms, now_ms, parse_iso_ms

API = "/api/v1"
COOKIE = "registry_token"


class UploadIn(BaseModel):
    clock_offset_ms: int | None = Field(None, description="Registry time minus kiosk time, ms.")
    records: list[dict[str, Any]] = Field(description="Records as the kiosk stores them.")


class ResultOut(BaseModel):
    id: str | None
    status: str = Field(description="accepted | duplicate | rejected")
    reason: str | None = None


class UploadOut(BaseModel):
    server_time: str
    results: list[ResultOut]


class HeartbeatIn(BaseModel):
    version: str | None = Field(None, max_length=32)
    queue_depth: int | None = Field(None, ge=0)
    last_decision: str | None = Field(None, max_length=32)
    clock_offset_ms: int | None = None
    trust_version: int | None = None
    deny_version: int | None = None


class ServerTime(BaseModel):
    server_time: str


class DeclarationIn(BaseModel):
    name: str = Field(min_length=2, max_length=100)
    id_number: str = Field(pattern=r"^\d{9,12}$")
    phone: str = Field(pattern=r"^\+?[0-9 ]{8,16}$")
    symptoms: bool
    contact: bool


class DeclarationOut(BaseModel):
    pass_text: str
    pass_id: str
    png_base64: str
    declared_at: str


def _template(name: str) -> str:
    return resources.files("registry").joinpath("templates", name).read_text("utf-8")


def create_app(registry: Registry) -> FastAPI:
    app = FastAPI(
        title="QR check-in registry",
        version="1.0.0",
        description="Kiosks upload check-in records and download signed trust and deny lists.",
    )

    def caller(request: Request, authorization: Annotated[str | None, Header()] = None) -> Caller:
        token = None
        if authorization and authorization.lower().startswith("bearer "):
            token = authorization[7:].strip()
        elif COOKIE in request.cookies:
            token = request.cookies[COOKIE]
        found = registry.caller(token) if token else None
        if found is None:
            raise HTTPException(
                401, "missing, unknown or revoked token", {"WWW-Authenticate": "Bearer"}
            )
        return found

    def role(*allowed: Role) -> Any:
        def check(c: Annotated[Caller, Depends(caller)]) -> Caller:
            if c.role not in allowed:
                raise HTTPException(403, f"{c.role.value} may not do this")
            return c

        return Depends(check)

    kiosk_only = role(Role.KIOSK)

    @app.post(f"{API}/records", response_model=UploadOut, tags=["kiosk"])
    def upload(body: UploadIn, c: Annotated[Caller, kiosk_only]) -> UploadOut:
        """Store a batch of records; idempotent by record id (a resent batch adds nothing)."""
        if len(body.records) > registry.settings.max_batch:
            raise HTTPException(413, f"at most {registry.settings.max_batch} records per batch")
        results = registry.ingest(c, body.records, body.clock_offset_ms)
        return UploadOut(
            server_time=iso_ms(now_ms()),
            results=[ResultOut(id=r.id, status=r.status, reason=r.reason) for r in results],
        )

    def _list(name: str, if_none_match: str | None) -> Response:
        version, doc = registry.document(name)
        etag = f'"{name}-{version}"'
        if if_none_match == etag:
            return Response(status_code=304, headers={"ETag": etag})
        return Response(doc, media_type="application/json", headers={"ETag": etag})

    @app.get(
        f"{API}/lists/trust", tags=["kiosk"], responses={200: {"description": "Signed trust list"}}
    )
    def trust_list(
        _: Annotated[Caller, role(Role.KIOSK, Role.ADMIN)],
        if_none_match: Annotated[str | None, Header()] = None,
    ) -> Response:
        """Issuer public keys, as a signed, versioned document (ETag = version)."""
        return _list(TRUST_LIST, if_none_match)

    @app.get(
        f"{API}/lists/deny", tags=["kiosk"], responses={200: {"description": "Signed deny list"}}
    )
    def deny_list(
        _: Annotated[Caller, role(Role.KIOSK, Role.ADMIN)],
        if_none_match: Annotated[str | None, Header()] = None,
    ) -> Response:
        """Revoked passes and barred subjects, as a signed, versioned document (ETag = version)."""
        return _list(DENY_LIST, if_none_match)

    @app.post(f"{API}/heartbeat", response_model=ServerTime, tags=["kiosk"])
    def heartbeat(body: HeartbeatIn, c: Annotated[Caller, kiosk_only]) -> ServerTime:
        registry.heartbeat(c, body.model_dump())
        return ServerTime(server_time=iso_ms(now_ms()))

    @app.get(f"{API}/venues/{{venue_id}}/live", tags=["venue"])
    def live(
        venue_id: str, c: Annotated[Caller, role(Role.ADMIN, Role.CONTROLLER)]
    ) -> dict[str, Any]:
        """Entries and exits as they arrive, names and identifiers masked; counts; kiosks."""
        if not c.may_see_venue(venue_id):
            raise HTTPException(403, "not your venue")
        try:
            return registry.live(venue_id)
        except RegistryError as exc:
            raise HTTPException(404, str(exc)) from None

    @app.get(f"{API}/tracing", tags=["health"])
    def tracing(
        c: Annotated[Caller, role(Role.HEALTH_OFFICER)],
        subject: Annotated[str, Query(pattern=r"^(pass|qid|idh):[0-9A-Za-z_-]+$")],
        window_minutes: Annotated[int, Query(ge=1, le=24 * 60)] = 30,
        since: Annotated[
            str | None, Query(description="ISO time; default: the retention period")
        ] = None,
    ) -> dict[str, Any]:
        """Where a subject was recorded and who else was there within ±window. Audited."""
        since_ms = None
        if since:
            try:
                since_ms = parse_iso_ms(since)
            except ValueError:
                raise HTTPException(422, "since: not an ISO time") from None
        return registry.trace(c, subject, window_minutes, since_ms)

    @app.get(f"{API}/audit", tags=["admin"])
    def audit(_: Annotated[Caller, role(Role.ADMIN)]) -> list[dict[str, Any]]:
        return registry.audit()

    @app.get(f"{API}/stats", tags=["health"])
    def stats(
        _: Annotated[Caller, role(Role.ADMIN, Role.HEALTH_OFFICER)],
        days: Annotated[int, Query(ge=1, le=60)] = 7,
    ) -> dict[str, Any]:
        """Entries and exits per venue and per district/province per day; kiosks online."""
        return registry.stats(days)

    def _declare(d: DeclarationIn) -> DeclarationOut:
        text, pass_id, _ = registry.declare(
            name=d.name,
            id_number=d.id_number,
            phone=d.phone,
            symptoms=d.symptoms,
            contact=d.contact,
        )
        png = segno.make(text, error="m").png_data_uri(scale=6, border=4)
        return DeclarationOut(
            pass_text=text,
            pass_id=pass_id,
            png_base64=png.split(",", 1)[1],
            declared_at=iso_ms(now_ms()),
        )

    @app.post(f"{API}/declarations", response_model=DeclarationOut, tags=["public"])
    def declaration(body: DeclarationIn) -> DeclarationOut:
        """A health declaration; returns a signed personal pass carrying its time."""
        return _declare(body)

    # ------------------------------------------------------------ pages (not in the API schema)

    @app.get("/", include_in_schema=False)
    def index() -> HTMLResponse:
        return HTMLResponse(_template("index.html"))

    @app.get("/login", include_in_schema=False)
    def login_page(next: str = "/") -> HTMLResponse:
        return HTMLResponse(_template("login.html").replace("{{next}}", html.escape(next)))

    @app.post("/login", include_in_schema=False)
    def login(token: Annotated[str, Form()], next: Annotated[str, Form()] = "/") -> Response:
        if registry.caller(token) is None:
            return HTMLResponse(_template("login.html").replace("{{next}}", html.escape(next)), 401)
        target = next if next.startswith("/") and not next.startswith("//") else "/"
        resp = RedirectResponse(target, status_code=303)
        resp.set_cookie(COOKIE, token, httponly=True, samesite="strict", max_age=12 * 3600)
        return resp

    @app.get("/venues/{venue_id}", include_in_schema=False)
    def dashboard(venue_id: str, request: Request) -> Response:
        token = request.cookies.get(COOKIE)
        c = registry.caller(token) if token else None
        if c is None:
            return RedirectResponse(f"/login?next=/venues/{venue_id}", status_code=303)
        if not c.may_see_venue(venue_id):
            raise HTTPException(403, "not your venue")
        page = _template("dashboard.html").replace("{{venue_id}}", html.escape(venue_id))
        return HTMLResponse(page)

    @app.get("/declare", include_in_schema=False)
    def declare_page() -> HTMLResponse:
        return HTMLResponse(_template("declare.html").replace("{{result}}", ""))

    @app.post("/declare", include_in_schema=False)
    def declare_form(
        name: Annotated[str, Form()],
        id_number: Annotated[str, Form()],
        phone: Annotated[str, Form()],
        symptoms: Annotated[str, Form()] = "no",
        contact: Annotated[str, Form()] = "no",
    ) -> HTMLResponse:
        try:
            d = DeclarationIn(
                name=name,
                id_number=id_number,
                phone=phone,
                symptoms=symptoms == "yes",
                contact=contact == "yes",
            )
        except ValidationError as exc:
            fields = ", ".join(str(e["loc"][0]) for e in exc.errors(include_url=False))
            msg = (
                '<p class="error" id="error">Vui lòng kiểm tra / please check: '
                f"{html.escape(fields)}</p>"
            )
            return HTMLResponse(_template("declare.html").replace("{{result}}", msg), 422)
        out = _declare(d)
        result = (
            '<section id="result"><h2>Mã QR của bạn / Your QR pass</h2>'
            f'<img id="qr" alt="QR pass" src="data:image/png;base64,{out.png_base64}">'
            f'<p><code id="pass-text">{html.escape(out.pass_text)}</code></p>'
            f"<p>Khai báo lúc / declared at {html.escape(out.declared_at)}</p></section>"
        )
        return HTMLResponse(_template("declare.html").replace("{{result}}", result))

    return app
