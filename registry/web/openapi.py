"""The API's schema, complete: every answer an operation can give (the guard's and the
token check's included), each error body as it is sent."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

# Every error the registry sends is {"detail": ...}: a sentence, or (a body or parameter
# that failed validation) the list of what failed, without the input.
PROBLEM = {
    "title": "Problem",
    "type": "object",
    "properties": {
        "detail": {
            "anyOf": [
                {"type": "string"},
                {"type": "array", "items": {"$ref": "#/components/schemas/ValidationError"}},
            ]
        }
    },
    "required": ["detail"],
}
PROBLEM_REF = {"application/json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
# What the guard (registry.web.guard) answers before an operation runs, and the token check.
GUARD = {
    "400": "Content-Length is not a number",
    "408": "The body did not arrive in time",
    "413": "The body is over this operation's size limit",
}
SECURED = {
    "401": "Missing, unknown or revoked token",
    "403": "This token's role may not do this, or not for this venue",
}


def complete(doc: dict[str, Any]) -> dict[str, Any]:
    """The generated document with the answers FastAPI cannot see: in place, and returned."""
    schemas = doc.setdefault("components", {}).setdefault("schemas", {})
    schemas["Problem"] = PROBLEM
    for ops in doc.get("paths", {}).values():
        for op in ops.values():
            responses = op.setdefault("responses", {})
            extra = dict(GUARD) if "requestBody" in op else {"400": GUARD["400"]}
            if op.get("security"):
                extra |= SECURED
            for code, text in extra.items():
                responses.setdefault(code, {"description": text})
            for code, answer in responses.items():
                if code[0] in "45":
                    answer["content"] = PROBLEM_REF
    schemas.pop("HTTPValidationError", None)
    return doc


def install(app: FastAPI) -> None:
    """Serve (and print, `kiosk-registry openapi`) the completed document."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = complete(
                get_openapi(
                    title=app.title,
                    version=app.version,
                    description=app.description,
                    routes=app.routes,
                )
            )
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
