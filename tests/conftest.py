"""Shared fixtures: real keys, real passes, a venue config written to a temp folder."""

from __future__ import annotations

import os
import subprocess
import textwrap
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

# Every test that draws does so headless, through SDL's dummy video driver.
os.environ["SDL_VIDEODRIVER"] = "dummy"
os.environ["SDL_AUDIODRIVER"] = "dummy"

from checkin_protocol.keys import PrivateKey, TrustStore, generate_key, write_public_key
from checkin_protocol.kp1 import issue_pass
from checkin_protocol.privacy import mask_name

# Generated inputs: enough in the suite to find a class of bug, many more on demand
# (HYPOTHESIS_PROFILE=long ./dev test). No deadline: a loaded machine is not a failure.
settings.register_profile("suite", max_examples=100, deadline=None)
settings.register_profile("long", max_examples=3000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "suite"))

DAY = 86400


# ------------------------------------------------------------------ the fast tier

# Fixtures that start a registry server or a browser: their tests are for the full suite.
PROCESS_FIXTURES = frozenset({"server", "own_server", "browser", "_chromium"})
# What ctypes.util.find_library runs to find a shared library (pyzbar, SDL): not a program
# under test, so the fast tier lets it through.
LIBRARY_LOOKUPS = frozenset({"ldconfig", "gcc", "cc", "ld", "objdump"})


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--fast",
        action="store_true",
        help="the unit tier (./dev test --fast): leave out slow tests and every test that "
        "starts a program, a registry server or a browser",
    )


def _starts_processes(item: pytest.Item) -> bool:
    fixtures = set(getattr(item, "fixturenames", ()))
    marked = item.get_closest_marker("slow") or item.get_closest_marker("process")
    return bool(marked) or bool(fixtures & PROCESS_FIXTURES)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The tests marked slow first, each in the order it had. The workers take tests two at
    a time (./dev test), so the long ones start at once, side by side, and short ones fill
    in around them: a long test collected last would run alone at the end.

    With --fast, the tests that start programs are deselected (see `_no_child_processes` for
    those that start one without saying so)."""
    if config.getoption("--fast"):
        dropped = [item for item in items if _starts_processes(item)]
        if dropped:
            config.hook.pytest_deselected(items=dropped)
            items[:] = [item for item in items if not _starts_processes(item)]
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


@pytest.fixture(autouse=True)
def _no_child_processes(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Under --fast, a test that starts a program (a kiosk, a registry, a CLI) is skipped at
    that moment: it belongs to the full suite. Only this test's Popen is patched."""
    if not request.config.getoption("--fast"):
        return
    real_init = subprocess.Popen.__init__

    def guarded(self: subprocess.Popen[Any], args: Any, *rest: Any, **kw: Any) -> None:
        first = args if isinstance(args, str | bytes | os.PathLike) else next(iter(args), "")
        program = os.path.basename(os.fsdecode(first)).split()[0] if first else ""
        if program not in LIBRARY_LOOKUPS:
            pytest.skip("starts a program: in the full suite only (./dev test)")
        real_init(self, args, *rest, **kw)

    monkeypatch.setattr(subprocess.Popen, "__init__", guarded)


@pytest.fixture(scope="session")
def issuer_key() -> PrivateKey:
    return generate_key("ES256")


@pytest.fixture(scope="session")
def other_key() -> PrivateKey:
    return generate_key("ES256")


@pytest.fixture(scope="session")
def trust(issuer_key: PrivateKey) -> TrustStore:
    return TrustStore([issuer_key.public_key()])


@pytest.fixture
def make_pass(issuer_key: PrivateKey) -> Callable[..., str]:
    def make(name: str = "Nguyễn Văn An", key: PrivateKey | None = None, **kw: object) -> str:
        now = int(time.time())
        args: dict[str, object] = {
            "issuer": "test",
            "masked_name": mask_name(name),
            "valid_until": now + 30 * DAY,
            "declared_at": now - DAY,
        }
        args.update(kw)
        return issue_pass(key or issuer_key, **args)  # type: ignore[arg-type]

    return make


@pytest.fixture
def venue_dir(tmp_path: Path, issuer_key: PrivateKey) -> Path:
    write_public_key(tmp_path / "issuer.pub", issuer_key.public_key())
    (tmp_path / "frames").mkdir()
    return tmp_path


@pytest.fixture
def write_config(venue_dir: Path) -> Callable[..., Path]:
    """Write a venue config; `extra` is YAML appended at the top level."""

    def write(extra: str = "", *, camera: str | None = None, name: str = "venue.yaml") -> Path:
        cam = camera or "{type: replay, path: frames, fps: 25, loop: false}"
        text = textwrap.dedent(
            f"""\
            venue: {{id: test-venue, name: Test Venue}}
            kiosk: {{id: k1, direction: entry}}
            camera: {cam}
            display: {{mode: headless, width: 640, height: 400, pass_hold: 1s, fail_hold: 1s}}
            trust: {{issuer_keys: [issuer.pub], subject_key: subject.key}}
            storage: {{path: kiosk.db}}
            """
        )
        path = venue_dir / name
        path.write_text(text + textwrap.dedent(extra), encoding="utf-8")
        return path

    return write


# ------------------------------------------------------------------ the registry

from collections.abc import Iterator  # noqa: E402

from support.registry import (  # noqa: E402
    RegistryServer,
    SharedRegistries,
    database_url,
    reset_registry,
)


@pytest.fixture(scope="session")
def _registries(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SharedRegistries]:
    """One data folder, database and server per database kind, for the whole session."""
    shared = SharedRegistries(tmp_path_factory.mktemp("registries"))
    yield shared
    shared.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def registry_db(request: pytest.FixtureRequest, _registries: SharedRegistries) -> str:
    """The same registry tests on the embedded default and on PostgreSQL: the database URL."""
    return database_url(request.param, _registries)


@pytest.fixture
def registry(registry_db: str, _registries: SharedRegistries) -> Iterator[object]:
    """The session's registry for this database kind, emptied and set up afresh: venue v1."""
    from registry.service import Registry
    from registry.settings import Settings

    shared = _registries.by_url(registry_db)
    reg = Registry(Settings(data_dir=shared.data, database_url=registry_db))
    reset_registry(reg)
    reg.add_venue("v1", "Venue One", district="Hoàn Kiếm", province="Hà Nội")
    yield reg
    reg.engine.dispose()


@pytest.fixture
def server(registry: object, _registries: SharedRegistries) -> RegistryServer:
    """The session's server for this database kind (restarted if an earlier test stopped it)."""
    return _registries.by_url(registry.settings.database_url).running_server()  # type: ignore[attr-defined]


@pytest.fixture
def own_server(registry: object) -> Iterator[RegistryServer]:
    """A server of this test's own on the same registry: to stop, kill and restart at will."""
    srv = RegistryServer(registry.settings.data_dir, registry.settings.database_url)  # type: ignore[attr-defined]
    srv.start()
    yield srv
    srv.stop()
