"""The registry's HTTP API (FastAPI, under /api/v1) and its web pages: the app factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles

from registry.core.common import RegistryError
from registry.core.declarations import DenyListFull
from registry.core.retention import PurgeJob
from registry.service import Registry
from registry.web import (
    admin,
    admin_pages,
    checkin_pages,
    consent,
    declarations,
    deny,
    enrolment,
    ingest,
    lists,
    live,
    officer_pages,
    openapi,
    pages,
    stats,
    subject_pages,
    tracing,
    venue_pages,
)
from registry.web.deps import known_query
from registry.web.guard import Guard, problems
from registry.web.ratelimit import TokenBuckets

# The API's routers (under /api/v1, in its schema), then the pages'.
API_ROUTERS = (
    ingest,
    lists,
    live,
    tracing,
    stats,
    declarations,
    consent,
    deny,
    enrolment,
    admin,
)
ROUTERS = (
    *API_ROUTERS,
    pages,
    venue_pages,
    officer_pages,
    admin_pages,
    checkin_pages,
    subject_pages,
)
STATIC = Path(__file__).parent / "static"


def factory() -> FastAPI:
    """The app of one worker process of `kiosk-registry serve --workers N`: its own engine
    and pool on the database and key folder that REGISTRY_DB and REGISTRY_DATA name."""
    from registry.settings import Settings

    return create_app(Registry(Settings.load()))


def create_app(registry: Registry) -> FastAPI:
    settings = registry.settings

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Retention runs inside the server, not only when someone remembers the command.
        job = None
        if settings.purge_interval > 0:
            job = PurgeJob(registry.retention, settings.purge_interval, settings.purge_time_budget)
            job.start()
        app.state.purge_job = job
        try:
            yield
        finally:
            if job is not None:
                job.stop()

    app = FastAPI(
        title="QR check-in registry",
        version="1.0.0",
        description="Kiosks upload check-in records and download signed trust and deny lists.",
        docs_url="/docs" if settings.api_docs else None,
        redoc_url="/redoc" if settings.api_docs else None,
        lifespan=lifespan,
    )
    app.state.registry = registry
    app.state.purge_job = None
    app.state.limits = {
        "declare_address": TokenBuckets(*settings.declare_per_address),
        "declare_id": TokenBuckets(*settings.declare_per_id),
    }
    for area in ROUTERS:
        strict = [Depends(known_query)] if area in API_ROUTERS else []
        app.include_router(area.router, dependencies=strict)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.add_middleware(Guard, registry=registry)
    openapi.install(app)

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        # The input is not echoed back: it may be large, personal, or not encodable.
        return JSONResponse({"detail": problems(exc.errors())}, 422)

    @app.exception_handler(DenyListFull)
    async def full(_: Request, exc: DenyListFull) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, 503, {"Retry-After": "3600"})

    @app.exception_handler(RegistryError)
    async def refused(_: Request, exc: RegistryError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, 422)

    return app
