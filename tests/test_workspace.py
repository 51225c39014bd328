"""The three distributions: each installs only what it needs, all carry one version."""

from __future__ import annotations

import re
from importlib import metadata

import pytest

import checkin_protocol
import kiosk

DISTS = ("qr-checkin-protocol", "qr-checkin-kiosk", "qr-checkin-registry")
# What only the door needs, and what only the central service needs.
KIOSK_ONLY = {
    "pygame-ce",
    "opencv-contrib-python-headless",
    "zxing-cpp",
    "gpiozero",
    "numpy",
    "pyzbar",
}
REGISTRY_ONLY = {"fastapi", "sqlalchemy", "alembic", "psycopg", "uvicorn", "jinja2", "starlette"}


def _name(requirement: str) -> str:
    return re.split(r"[ ;<>=!~\[(]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def closure(dist: str) -> set[str]:
    """Every distribution `dist` pulls in when installed without extras, as installed here."""
    seen: set[str] = set()
    todo = [dist]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        try:
            requires = metadata.requires(name) or []
        except metadata.PackageNotFoundError:
            continue  # a dependency for another platform or Python
        for req in requires:
            if "extra ==" in req:
                continue
            todo.append(_name(req))
    return seen - {dist}


@pytest.mark.parametrize("dist", DISTS)
def test_one_version_for_all(dist: str) -> None:
    assert metadata.version(dist) == checkin_protocol.__version__ == kiosk.__version__


def test_the_registry_installs_nothing_of_the_door() -> None:
    assert closure("qr-checkin-registry") & KIOSK_ONLY == set()
    assert "qr-checkin-protocol" in closure("qr-checkin-registry")


def test_the_kiosk_installs_nothing_of_the_central_service() -> None:
    assert closure("qr-checkin-kiosk") & REGISTRY_ONLY == set()
    assert "qr-checkin-protocol" in closure("qr-checkin-kiosk")


def test_the_protocol_installs_neither_program() -> None:
    deps = closure("qr-checkin-protocol")
    assert (
        deps & (KIOSK_ONLY | REGISTRY_ONLY | {"qr-checkin-kiosk", "qr-checkin-registry"}) == set()
    )


def test_lint_and_type_tools_are_not_published_extras() -> None:
    for dist in DISTS:
        extras = metadata.metadata(dist).get_all("Provides-Extra") or []
        assert not {"test", "dev", "lint"} & set(extras), dist
