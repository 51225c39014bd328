"""Enrolment: `kiosk-registry kiosk add` prints a code; `kiosk enroll` trades it, once."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
import requests
from sqlalchemy import update

from checkin_protocol.documents import DENY_LIST, TRUST_LIST
from kiosk.cli.enroll import EnrolError, enroll, first_sync, with_registry
from kiosk.cli.preflight import check_config
from kiosk.config import load_config
from kiosk.store import RecordStore
from registry.cli import main as registry_cli
from registry.core.enrolment import EnrolmentCode, Enrolments, normalise
from registry.service import Registry
from support.registry import RegistryServer, own_address

REPO = Path(__file__).resolve().parents[2]
CODE = re.compile(r"enrolment code for \S+: ([0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4})")


@pytest.fixture
def state(tmp_path: Path) -> Path:
    folder = tmp_path / "state"
    folder.mkdir(mode=0o700)
    return folder


def add_kiosk(registry: Registry, capsys: pytest.CaptureFixture[str], kiosk: str = "k1") -> str:
    """`kiosk-registry kiosk add v1 KIOSK`, as an operator runs it: the code it printed."""
    data = str(registry.settings.data_dir)
    db = registry.settings.database_url
    assert registry_cli(["--data", data, "--db", db, "kiosk", "add", "v1", kiosk]) == 0
    out = capsys.readouterr().out
    found = CODE.search(out)
    assert found is not None, out
    assert "▀" in out or "█" in out  # the QR of it, drawn in the terminal
    return found.group(1)


@pytest.mark.slow
def test_a_code_enrols_a_kiosk_once(
    registry: Registry,
    server: RegistryServer,
    write_config: Callable[..., Path],
    state: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    config = write_config()
    code = add_kiosk(registry, capsys)
    done = enroll(code.lower(), server.url, config, state)  # typed in lower case: still good
    assert (done.venue_id, done.kiosk_id, done.venue_name) == ("v1", "k1", "Venue One")
    assert done.issues == []
    assert done.token_file.stat().st_mode & 0o777 == 0o600
    token = done.token_file.read_text().strip()
    # The config names the registry, token and key, under the ids the registry knows.
    cfg = load_config(config)
    assert cfg.registry is not None and cfg.registry.url == [server.url]
    assert cfg.registry.token_file == done.token_file and cfg.registry.list_key == done.list_key
    assert (cfg.venue.id, cfg.kiosk.id) == ("v1", "k1")
    assert check_config(config) == []
    assert done.list_key.read_text() == (registry.settings.keys_dir / "lists.pub").read_text()
    # The token works: the kiosk reads its lists with it.
    r = requests.get(
        f"{server.url}/api/v1/lists/trust", headers={"Authorization": f"Bearer {token}"}, timeout=10
    )
    assert r.status_code == 200
    # Once: the same code again is refused, and the token stays the one given.
    with pytest.raises(EnrolError, match="already used"):
        enroll(code, server.url, config, state)
    assert done.token_file.read_text().strip() == token


def test_the_token_printed_at_add_is_replaced_by_the_enrolled_one(
    registry: Registry,
    server: RegistryServer,
    write_config: Callable[..., Path],
    state: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    data, db = str(registry.settings.data_dir), registry.settings.database_url
    assert registry_cli(["--data", data, "--db", db, "kiosk", "add", "v1", "k2"]) == 0
    out = capsys.readouterr().out
    printed = re.search(r"token \(shown once\): (\S+)", out)
    code = CODE.search(out)
    assert printed is not None and code is not None
    assert registry.caller(printed.group(1)) is not None
    done = enroll(code.group(1), server.url, write_config(), state)
    assert registry.caller(printed.group(1)) is None
    caller = registry.caller(done.token_file.read_text().strip())
    assert caller is not None and (caller.kiosk_venue, caller.kiosk_id) == ("v1", "k2")


def test_an_expired_code_is_refused(
    registry: Registry,
    server: RegistryServer,
    write_config: Callable[..., Path],
    state: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = add_kiosk(registry, capsys)
    with registry.session.begin() as s:  # half an hour later
        s.execute(update(EnrolmentCode).values(expires_ms=EnrolmentCode.expires_ms - 1_800_001))
    config = write_config()
    before = config.read_text()
    with pytest.raises(EnrolError, match="expired"):
        enroll(code, server.url, config, state)
    assert config.read_text() == before and not (state / "registry.token").exists()


def test_a_new_code_replaces_the_old_one(
    registry: Registry,
    server: RegistryServer,
    write_config: Callable[..., Path],
    state: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    first = add_kiosk(registry, capsys)
    data, db = str(registry.settings.data_dir), registry.settings.database_url
    assert registry_cli(["--data", data, "--db", db, "kiosk", "enrol-code", "v1", "k1"]) == 0
    second = CODE.search(capsys.readouterr().out)
    assert second is not None
    with pytest.raises(EnrolError):
        enroll(first, server.url, write_config(), state)
    assert enroll(second.group(1), server.url, write_config(), state).kiosk_id == "k1"


def test_wrong_codes_get_one_answer_then_a_rate_limit(
    registry: Registry, server: RegistryServer
) -> None:
    address = own_address()
    answers = [
        requests.post(
            f"{server.url}/api/v1/enrol", json={"code": code}, headers=address, timeout=10
        )
        for code in ["AAAA-BBBB-CCCC", "not a code", "0" * 12, *["ZZZZ-ZZZZ-ZZZZ"] * 12]
    ]
    codes = [r.status_code for r in answers]
    assert codes[:10] == [403] * 10, codes
    assert {r.json()["detail"] for r in answers[:10]} == {"unknown, used or expired enrolment code"}
    assert 429 in codes[10:] and "Retry-After" in answers[-1].headers
    # Without a body or with a huge one: refused before any lookup.
    r = requests.post(f"{server.url}/api/v1/enrol", json={"code": "A" * 100}, timeout=10)
    assert r.status_code == 422


def test_a_revoked_kiosk_cannot_enrol(
    registry: Registry,
    server: RegistryServer,
    write_config: Callable[..., Path],
    state: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = add_kiosk(registry, capsys)
    registry.revoke_kiosk("v1", "k1")
    with pytest.raises(EnrolError, match="refused"):
        enroll(code, server.url, write_config(), state)


def test_codes_are_short_typable_and_forgiving() -> None:
    assert normalise("abcd-efgh-jkmn") == "ABCDEFGHJKMN"
    assert normalise(" ABCD EFGH JKMO ") == "ABCDEFGHJKM0"  # O is read as zero
    assert normalise("ABCD-EFGH-JKMU") is None  # U is not in the alphabet
    assert normalise("ABCD-EFGH") is None


def test_enrolment_codes_are_stored_hashed(registry: Registry) -> None:
    registry.add_kiosk("v1", "k9")
    code, _ = Enrolments(registry.db, registry.keys).issue("v1", "k9")
    with registry.session() as s:
        stored = [row.code_hash for row in s.query(EnrolmentCode).all()]
    plain = normalise(code)
    assert plain is not None and len(stored) == 1 and len(stored[0]) == 64
    assert plain not in stored[0] and code not in stored[0]


def test_the_registry_block_is_added_or_replaced_keeping_comments_and_other_keys() -> None:
    settings = {"url": "https://reg.example", "token_file": "/s/t", "list_key": "/s/k"}
    example = (REPO / "config" / "venue.example.yaml").read_text()
    added = with_registry(example, settings)
    assert added.startswith(example.rstrip("\n"))
    assert added.endswith('  list_key: "/s/k"\n')

    text = (
        "venue: {id: a, name: A}  # the venue\n"
        "registry:   # where records go\n"
        "  url: http://old   # old\n"
        "  batch_size: 50\n"
        "  # a note\n"
        "\n"
        "# storage settings\n"
        "storage: {path: kiosk.db}\n"
    )
    out = with_registry(text, settings)
    assert "http://old" not in out and "batch_size: 50" in out and "# a note" in out
    assert "# storage settings\nstorage: {path: kiosk.db}\n" in out
    assert out.startswith("venue: {id: a, name: A}  # the venue\nregistry:   # where records go\n")
    flow = with_registry("registry: {url: http://x}\nlog_level: info\n", settings)
    assert "http://x" not in flow and flow.endswith("log_level: info\n")


def test_the_enroll_command_reports_and_exits(
    registry: Registry,
    server: RegistryServer,
    write_config: Callable[..., Path],
    state: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`kiosk enroll`, as kiosk.cli wires it: register(sub) and args.func(args)."""
    import argparse

    from kiosk.cli.commands.enroll import register

    parser = argparse.ArgumentParser(prog="kiosk")
    register(parser.add_subparsers(dest="command", required=True))
    config = write_config()
    base = ["--registry", server.url, "--config", str(config), "--state-dir", str(state)]
    args = parser.parse_args(["enroll", "AAAA-BBBB-CCCC", *base])
    assert args.func(args) == 1
    assert "refused the code" in capsys.readouterr().err
    code = add_kiosk(registry, capsys)
    args = parser.parse_args(["enroll", code, *base])
    assert args.func(args) == 0
    assert "enrolled as v1/k1 (Venue One)" in capsys.readouterr().out


def test_enrolment_ends_with_a_first_sync_that_installs_the_lists(
    registry: Registry,
    server: RegistryServer,
    write_config: Callable[..., Path],
    state: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    config = write_config()
    done = enroll(add_kiosk(registry, capsys), server.url, config, state)
    assert done.issues == []
    # As the state folder's owner (here this user): the database is the service's to write.
    assert first_sync(done.config, state, timeout=60) == 0
    cfg = load_config(config)
    with RecordStore(cfg.storage.path) as store:
        assert set(store.lists()) == {TRUST_LIST, DENY_LIST}
    assert cfg.storage.path.stat().st_uid == state.stat().st_uid
