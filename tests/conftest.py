"""Shared fixtures: real keys, real passes, a venue config written to a temp folder."""

from __future__ import annotations

import os
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import pytest

# Every test that draws does so headless, through SDL's dummy video driver.
os.environ["SDL_VIDEODRIVER"] = "dummy"
os.environ["SDL_AUDIODRIVER"] = "dummy"

from kiosk.passes.keys import PrivateKey, TrustStore, generate_key, write_public_key
from kiosk.passes.privacy import mask_name
from kiosk.passes.signed import issue_pass

DAY = 86400


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

from support.registry import RegistryServer, postgres_available, postgres_database  # noqa: E402


def _database(kind: str, folder: Path) -> Iterator[str]:
    if kind == "sqlite":
        yield f"sqlite:///{folder / 'registry.db'}"
        return
    why = postgres_available()
    if why:
        pytest.skip(why)
    with postgres_database() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def registry_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The same registry tests on the embedded default and on PostgreSQL."""
    yield from _database(request.param, tmp_path)


@pytest.fixture
def registry(tmp_path: Path, registry_db: str) -> Iterator[object]:
    from registry.service import Registry
    from registry.settings import Settings

    reg = Registry(Settings(data_dir=tmp_path / "registry", database_url=registry_db))
    reg.init()
    reg.add_venue("v1", "Venue One", district="Hoàn Kiếm", province="Hà Nội")
    yield reg
    reg.engine.dispose()


@pytest.fixture
def server(registry: object) -> Iterator[RegistryServer]:
    srv = RegistryServer(registry.settings.data_dir, registry.settings.database_url)  # type: ignore[attr-defined]
    srv.start()
    yield srv
    srv.stop()
