"""The registry's OpenAPI schema, fuzzed by schemathesis against the real server, as two roles.

Bounded (15 requests per operation, mode and role): a suite's worth, not an audit's.
Every answer must be one the schema documents, shaped as it says; no server error; valid
requests taken and invalid ones refused.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, assume, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.core.failures import FailureGroup
from schemathesis.core.result import Ok

from registry.auth import Role
from registry.service import Registry
from support.registry import RegistryServer, own_address

SCHEMA = Path(__file__).parents[2] / "registry" / "openapi.json"
# Per operation, generation mode and role: 15 in the suite's profile (about 900 requests on
# each database), 450 with HYPOTHESIS_PROFILE=long.
EXAMPLES = max(5, settings().max_examples * 15 // 100)


def run_operation(op: Any, mode: GenerationMode, base: str, token: str) -> list[str]:
    """What schemathesis found wrong on one operation: its failures, as text."""
    found: list[str] = []

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=op.as_strategy(generation_mode=mode))
    def fuzz(case: Any) -> None:
        # A one-element list in a query is sent as its value alone: the very request a valid
        # one is, nothing for the server to refuse.
        assume(
            mode is GenerationMode.POSITIVE
            or not any(isinstance(v, list) and len(v) <= 1 for v in (case.query or {}).values())
        )
        # An address per request: the public routes' rate limits are met by other tests.
        headers = {k: v for k, v in (case.headers or {}).items() if k.lower() != "authorization"}
        headers |= {"Authorization": f"Bearer {token}", **own_address()}
        response = case.call(base_url=base, headers=headers, timeout=30)
        try:
            case.validate_response(response)
        except FailureGroup as group:
            for failure in group.exceptions:
                found.append(
                    f"{op.label} [{mode.value}] {response.status_code}: {failure}\n"
                    f"answer: {response.text[:300]}"
                )

    try:
        fuzz()
    except Unsatisfiable:
        # Nothing to make invalid (an operation without parameters or body).
        assert mode is GenerationMode.NEGATIVE, op.label
    return found


@pytest.mark.slow
def test_the_api_answers_as_its_schema_says_for_two_roles(
    registry: Registry, server: RegistryServer
) -> None:
    kiosk = registry.add_kiosk("v1", "k1")
    officer = registry.add_user("doc", Role.HEALTH_OFFICER)
    schema = schemathesis.openapi.from_dict(json.loads(SCHEMA.read_text()))
    failures: list[str] = []
    for token in (kiosk, officer):
        for result in schema.get_all_operations():
            assert isinstance(result, Ok), result
            op = result.ok()
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                failures += run_operation(op, mode, server.url, token)
    assert failures == [], "\n".join(failures[:40])
