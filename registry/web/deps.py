"""What the routers share: the registry behind the app, who is calling, and role checks."""

# No `from __future__ import annotations`: FastAPI reads these annotations at run time.

from typing import Annotated, Any

from fastapi import Depends, HTTPException, Path, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from checkin_protocol.records import IDENTIFIER_PATTERN
from registry.auth import Caller, Role
from registry.service import Registry

API = "/api/v1"
COOKIE = "registry_session"  # a browser session's secret, never an API token
CSRF_COOKIE = "registry_csrf"  # the forms' token before sign-in (double-submit)


def registry_of(request: Request) -> Registry:
    registry: Registry = request.app.state.registry
    return registry


RegistryDep = Annotated[Registry, Depends(registry_of)]


# A venue id in a path: the protocol's identifier, nothing else reaches a query.
VenueId = Annotated[str, Path(pattern=IDENTIFIER_PATTERN, max_length=64)]


def known_query(request: Request) -> None:
    """422 for a query parameter the operation does not take: a misspelt one would be
    ignored, and the caller would believe it asked for something it did not."""
    route = request.scope.get("route")
    dependant = getattr(route, "dependant", None)
    if dependant is None:
        return
    allowed: set[str] = set()
    todo = [dependant]
    while todo:  # the operation's own parameters, and its dependencies'
        d = todo.pop()
        allowed |= {p.alias for p in d.query_params}
        todo += d.dependencies
    unknown = sorted(set(request.query_params) - allowed)
    if unknown:
        raise HTTPException(422, f"unknown query parameter {unknown[0][:40]!r}")


def client_address(request: Request) -> str:
    """The caller's address: the peer's, or the X-Forwarded-For of a trusted proxy (uvicorn's
    --forwarded-allow-ips decides which proxies are trusted)."""
    return request.client.host if request.client else "unknown"


def limited(request: Request, bucket: str, key: str) -> None:
    """429 with Retry-After once `key` has used its share of `bucket`."""
    wait: float = request.app.state.limits[bucket].take(key)
    if wait:
        raise HTTPException(
            429, "too many requests; try again later", {"Retry-After": str(max(1, int(wait + 1)))}
        )


def session_of(request: Request, registry: Registry) -> tuple[Caller, str] | None:
    """The browser session's (caller, CSRF token), if its cookie names a live one."""
    secret = request.cookies.get(COOKIE)
    if not secret or len(secret) > 200:
        return None
    return registry.accounts.session_caller(secret)


# Documented as the API's security scheme; a missing or other header is ours to answer (401).
BEARER = HTTPBearer(auto_error=False, description="A token from `kiosk-registry user add`")


def caller(
    request: Request,
    registry: RegistryDep,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(BEARER)] = None,
) -> Caller:
    """A bearer token's holder; or, for reading only, a browser session's.

    API writes take a bearer token only: a session cookie rides along on any request the
    browser makes, so it is no proof that the person meant this one.
    """
    found = None
    if bearer is not None:
        token = bearer.credentials.strip()
        found = registry.caller(token) if token and len(token) <= 200 else None
    elif request.method in ("GET", "HEAD"):
        session = session_of(request, registry)
        found = session[0] if session else None
    if found is None:
        raise HTTPException(
            401, "missing, unknown or revoked token", {"WWW-Authenticate": "Bearer"}
        )
    return found


def require(*allowed: Role) -> Any:
    """A dependency: the caller, if their role is one of these; 403 otherwise."""

    def check(c: Annotated[Caller, Depends(caller)]) -> Caller:
        if c.role not in allowed:
            raise HTTPException(403, f"{c.role.value} may not do this")
        return c

    return Depends(check)


def check_venue(c: Caller, venue_id: str) -> None:
    if not c.may_see_venue(venue_id):
        raise HTTPException(403, "not your venue")
