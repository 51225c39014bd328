"""ASGI guard in front of every route: body limits, authentication before the body, headers."""

from __future__ import annotations

import json
from typing import Any

import anyio
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from registry.service import Registry
from registry.settings import MIB

# Bytes a request body may have, per path; anything else gets DEFAULT_BODY. A full batch of
# 1000 records is about 450 KB of JSON.
BODY_LIMITS = {"/api/v1/records": 2 * MIB}
DEFAULT_BODY = 64 * 1024
BODY_SECONDS = 30  # a body trickled slower than this holds a worker: 408
# API paths anyone may send a body to; every other one needs a valid token first.
PUBLIC_WRITES = {"/api/v1/declarations", "/api/v1/declarations/code", "/api/v1/enrol"}
WRITES = {"POST", "PUT", "PATCH", "DELETE"}

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
# FastAPI's /docs and /redoc (when turned on) load their scripts from a CDN, inline-started.
DOCS_CSP = (
    "default-src 'none'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net https://fonts.googleapis.com; "
    "font-src https://fonts.gstatic.com; img-src 'self' data: https://fastapi.tiangolo.com "
    "https://cdn.redoc.ly; connect-src 'self'; worker-src blob:; frame-ancestors 'none'"
)


def _headers(scope: Scope) -> dict[bytes, bytes]:
    return {k.lower(): v for k, v in scope.get("headers", [])}


class Guard:
    def __init__(self, app: ASGIApp, registry: Registry) -> None:
        self.app = app
        self.registry = registry

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        send = self._secured(scope, send)
        path: str = scope["path"]
        headers = _headers(scope)
        if (
            scope["method"] in WRITES
            and path.startswith("/api/")
            and path not in PUBLIC_WRITES
            and not await self._authenticated(headers)
        ):
            # Before a byte of the body is read: an unknown caller costs one hash lookup.
            await _reply(
                send, 401, "missing, unknown or revoked token", {"www-authenticate": "Bearer"}
            )
            return
        limit = BODY_LIMITS.get(path, DEFAULT_BODY)
        length = headers.get(b"content-length")
        if length is not None:
            if not length.isdigit():
                await _reply(send, 400, "Content-Length is not a number")
                return
            if int(length) > limit:
                await _reply(send, 413, f"body over {limit} bytes for {path[:64]}")
                return
        chunks: list[bytes] = []
        size = 0
        try:
            with anyio.fail_after(BODY_SECONDS):
                while True:
                    message = await receive()
                    if message["type"] == "http.disconnect":
                        return
                    body = message.get("body", b"")
                    size += len(body)
                    if size > limit:
                        await _reply(send, 413, f"body over {limit} bytes for {path[:64]}")
                        return
                    chunks.append(body)
                    if not message.get("more_body", False):
                        break
        except TimeoutError:
            await _reply(send, 408, f"body not received within {BODY_SECONDS} s")
            return
        await self._run(scope, _replay(b"".join(chunks), receive), send)

    async def _run(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = False

        async def tracked(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracked)
        except Exception:
            # Starlette's own 500 is sent outside this guard, without the security headers:
            # this one is sent through them. The error goes on up to be logged.
            if not started:
                await _reply(send, 500, "internal error")
            raise

    async def _authenticated(self, headers: dict[bytes, bytes]) -> bool:
        # A bearer token only: API writes never ride on a browser's session cookie.
        auth = headers.get(b"authorization", b"").decode("latin-1")
        token = auth[7:].strip() if auth.lower().startswith("bearer ") else None
        if not token or len(token) > 200:
            return False
        return await anyio.to_thread.run_sync(self.registry.caller, token) is not None

    def _secured(self, scope: Scope, send: Send) -> Send:
        path: str = scope["path"]
        docs = path in ("/docs", "/redoc", "/docs/oauth2-redirect")
        https = scope.get("scheme") == "https"

        async def secured(message: Message) -> None:
            if message["type"] == "http.response.start":
                have = {k.lower() for k, _ in message.get("headers", [])}
                extra = [
                    (b"content-security-policy", (DOCS_CSP if docs else CSP).encode()),
                    (b"x-content-type-options", b"nosniff"),
                    (b"x-frame-options", b"DENY"),
                    (b"referrer-policy", b"no-referrer"),
                    (b"cross-origin-opener-policy", b"same-origin"),
                ]
                if not path.startswith("/static/"):
                    # Personal data everywhere else: no browser or proxy keeps a copy.
                    extra.append((b"cache-control", b"no-store"))
                if https:
                    extra.append((b"strict-transport-security", b"max-age=31536000"))
                message["headers"] = list(message.get("headers", [])) + [
                    (k, v) for k, v in extra if k not in have
                ]
            await send(message)

        return secured


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()  # after the body: the disconnect, when it comes

    return replay


async def _reply(
    send: Send, status: int, detail: str, headers: dict[str, str] | None = None
) -> None:
    body = json.dumps({"detail": detail}).encode()
    raw: list[tuple[bytes, bytes]] = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),
    ]
    raw += [(k.encode(), v.encode()) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})


def problems(errors: Any) -> list[dict[str, Any]]:
    """A validation error's list without the input echoed: where, what kind, why; at most 10."""
    out = []
    for e in list(errors)[:10]:
        out.append(
            {
                "type": str(e.get("type", ""))[:50],
                "loc": [x if isinstance(x, int) else _safe(str(x)) for x in e.get("loc", ())][:8],
                "msg": _safe(str(e.get("msg", "")), 200),
            }
        )
    return out


def _safe(text: str, limit: int = 64) -> str:
    from registry.core.common import printable

    return printable(text, limit)
