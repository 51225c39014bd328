"""Every path-valued config key, given hostile values: one `FILE:LINE: key: message`, exit 2."""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import types
import typing
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import AfterValidator, BaseModel

from checkin_protocol.keys import generate_key, write_public_key
from kiosk.cli import main
from kiosk.config import Config
from kiosk.config.base import NAME_MAX_BYTES, PATH_MAX_BYTES, _resolve_path
from support.dcc_cases import make_signer
from support.registry import free_port

REPO = Path(__file__).resolve().parents[3]


# ------------------------------------------------------------------ the keys, found


def _in_type(tp: Any, metadata: list[Any], key: str, seen: set[type]) -> set[str]:
    if any(isinstance(m, AfterValidator) and m.func is _resolve_path for m in metadata):
        return {key}
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin is typing.Annotated:
        return _in_type(args[0], list(args[1:]), key, seen)
    if origin in (list, tuple):
        return set().union(*(_in_type(a, [], f"{key}[0]", seen) for a in args))
    if origin in (typing.Union, types.UnionType):
        return set().union(*(_in_type(a, [], key, seen) for a in args))
    if isinstance(tp, type) and issubclass(tp, BaseModel) and tp not in seen:
        return path_keys(tp, f"{key}.", seen | {tp})
    return set()


def path_keys(model: type[BaseModel], prefix: str = "", seen: set[type] | None = None) -> set[str]:
    """Every key whose value is a `ConfigPath`, dotted as issues name them."""
    found: set[str] = set()
    for name, field in model.model_fields.items():
        found |= _in_type(field.annotation, list(field.metadata), prefix + name, seen or set())
    return found


# What each key's value must be; storage.path may be missing (it is created), subject_key is no
# longer read (only a path that cannot be one is refused).
FILES = {
    "display.font",
    "door.osdp.scbk_file",
    "display.logo",
    "peers.secret_file",
    "readers[0].path",
    "registry.ca_file",
    "registry.list_key",
    "registry.token_file",
    "storage.path",
    "trust.deny_list",
    "trust.issuer_keys[0]",
}
FOLDERS = {"display.speech_clips"}
EITHER = {"camera.path", "trust.dcc_signers[0]"}
UNREAD = {"trust.subject_key"}
KEYS = sorted(FILES | FOLDERS | EITHER | UNREAD)


def test_the_keys_are_found_by_their_annotation() -> None:
    # A new path-valued key fails here until the tests below know what it must be.
    assert path_keys(Config) == set(KEYS)


# ------------------------------------------------------------------ a venue where all are valid


def make_venue(root: Path) -> Path:
    """A folder where every path key names something valid; returns it."""
    root.mkdir(parents=True, exist_ok=True)
    write_public_key(root / "issuer.pub", generate_key("ES256").public_key())
    write_public_key(root / "lists.pub", generate_key("ES256").public_key())
    (root / "frames").mkdir(exist_ok=True)
    (root / "clips").mkdir(exist_ok=True)
    (root / "dscs").mkdir(exist_ok=True)
    (root / "dscs" / "dsc.der").write_bytes(make_signer("ES256").der)
    (root / "codes.txt").write_text("hello\n")
    (root / "deny.yaml").write_text("[]\n")
    shutil.copy(REPO / "kiosk/display/fonts/DejaVuSans.ttf", root / "font.ttf")
    (root / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(32))
    (root / "ca.pem").write_text("-----BEGIN CERTIFICATE-----\n")
    for name in ("kiosk.token", "venue.secret"):
        (root / name).write_text("a-secret-of-more-than-sixteen-bytes\n")
        (root / name).chmod(0o600)
    (root / "scbk.hex").write_text("00112233445566778899aabbccddeeff\n")
    (root / "scbk.hex").chmod(0o600)
    return root


def config_data(port: int) -> dict[str, Any]:
    return {
        "venue": {"id": "test-venue", "name": "Test Venue"},
        "kiosk": {"id": "k1", "direction": "entry"},
        "camera": {"type": "replay", "path": "frames", "fps": 25, "loop": False},
        "readers": [{"type": "replay", "path": "codes.txt"}],
        "display": {
            "mode": "headless",
            "width": 640,
            "height": 400,
            "font": "font.ttf",
            "logo": "logo.png",
            "speech_clips": "clips",
        },
        "trust": {
            "issuer_keys": ["issuer.pub"],
            "deny_list": "deny.yaml",
            "dcc_signers": ["dscs"],
            "subject_key": "subject.key",
        },
        "storage": {"path": "kiosk.db"},
        "door": {"osdp": {"port": "/dev/ttyUSB0", "scbk_file": "scbk.hex"}},
        "registry": {
            "url": "http://127.0.0.1:9",
            "token_file": "kiosk.token",
            "list_key": "lists.pub",
            "ca_file": "ca.pem",
        },
        "peers": {
            "listen": f"127.0.0.1:{port}",
            "addresses": ["127.0.0.1:9"],
            "secret_file": "venue.secret",
        },
    }


def _emit(data: dict[str, Any], indent: str = "", prefix: str = "") -> list[tuple[str, str]]:
    """YAML lines, each with the dotted key it holds: block mappings (a key per line, so an
    issue's line is its key's), flow lists of scalars, and JSON strings, which are YAML
    double-quoted scalars (a surrogate is written \\udcff)."""
    out: list[tuple[str, str]] = []
    for key, value in data.items():
        dotted = prefix + key
        if isinstance(value, dict):
            out += [(f"{indent}{key}:", dotted), *_emit(value, indent + "  ", dotted + ".")]
        elif isinstance(value, list) and value and isinstance(value[0], dict):
            out.append((f"{indent}{key}:", dotted))
            for i, item in enumerate(value):
                (first, first_key), *rest = _emit(item, indent + "    ", f"{dotted}[{i}].")
                out += [(f"{indent}  - {first.lstrip()}", first_key), *rest]
        elif isinstance(value, list):
            out.append((f"{indent}{key}: {json.dumps(value)}", f"{dotted}[0]"))
        else:
            out.append((f"{indent}{key}: {json.dumps(value)}", dotted))
    return out


def write_with(venue: Path, key: str, value: str, port: int) -> tuple[Path, int]:
    """The valid config with `key` set to `value`; (its file, the line of that key)."""
    data = config_data(port)
    parts = [p for p in re.split(r"\.|\[(\d+)\]", key) if p]
    node: Any = data
    for part in parts[:-1]:
        node = node[int(part)] if part.isdigit() else node[part]
    last = parts[-1]
    if last.isdigit():
        node[int(last)] = value
    else:
        node[last] = value
    lines = _emit(data)
    path = venue / "venue.yaml"
    path.write_text("\n".join(text for text, _ in lines) + "\n", encoding="utf-8")
    return path, next(i for i, (_, held) in enumerate(lines, 1) if held == key)


def check_config(path: Path) -> tuple[int, str]:
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            status = main(["check-config", str(path)])
        except SystemExit as exc:  # how `load` ends the program with its status
            status = int(exc.code or 0)
    return status, err.getvalue()


def assert_one_line(status: int, err: str, path: Path, line: int, key: str) -> str:
    assert "Traceback" not in err and status == 2, err
    lines = err.splitlines()
    assert len(lines) == 1, err
    # A list's item is named by its index where its own check failed, else by the list's key
    # (the check of the whole list: does each key load?).
    keys = "|".join(re.escape(k) for k in {key, key.removesuffix("[0]")})
    match = re.fullmatch(rf"{re.escape(str(path))}:(\d+): (?:{keys}): (.+)", lines[0])
    assert match, lines[0]
    assert int(match.group(1)) == line, lines[0]
    assert len(lines[0]) < 400, lines[0]  # the value is shortened, the line stays readable
    return match.group(2)


@pytest.fixture(scope="module")
def venue(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_venue(tmp_path_factory.mktemp("paths") / "venue")


@pytest.fixture(scope="module")
def port() -> int:
    return free_port()


def test_the_valid_venue_passes(venue: Path, port: int) -> None:
    # Else every refusal below could be for another reason than the value under test.
    path, _ = write_with(venue, "storage.path", "kiosk.db", port)
    assert check_config(path) == (0, "")


# ------------------------------------------------------------------ generated hostile paths

NAME_LETTERS = st.sampled_from("abcxyz019_-.ễđươ")


@st.composite
def too_long(draw: st.DrawFn) -> str:
    """A path longer than PATH_MAX in bytes, of names each within NAME_MAX."""
    target = draw(st.integers(PATH_MAX_BYTES + 1, 3 * PATH_MAX_BYTES))
    names: list[str] = []
    while len(("/" + "/".join(names)).encode()) <= target:
        names.append(draw(st.text(NAME_LETTERS, min_size=1, max_size=80)).replace(".", "d"))
    return "/" + "/".join(names)


@st.composite
def long_name(draw: st.DrawFn) -> str:
    """A name over NAME_MAX bytes (in letters of two or three bytes, too), absolute or not."""
    name = draw(st.text(NAME_LETTERS, min_size=1, max_size=1200))
    while len(name.encode()) <= NAME_MAX_BYTES:
        name += draw(st.text(NAME_LETTERS, min_size=30, max_size=300))
    head = draw(st.sampled_from(["", "/tmp/", "sub/", "~/"]))
    return head + name


@st.composite
def not_utf8(draw: st.DrawFn) -> str:
    """A name holding a byte that is not UTF-8 (a surrogate escape, as Python reads one)."""
    byte = draw(st.integers(0x80, 0xFF))
    before = draw(st.text(NAME_LETTERS, max_size=20))
    return f"{before}{chr(0xDC00 + byte)}.pem"


HOSTILE = {"too long": too_long(), "a long name": long_name(), "not UTF-8": not_utf8()}


@settings(max_examples=150)
@given(key=st.sampled_from(KEYS), kind=st.sampled_from(sorted(HOSTILE)), data=st.data())
def test_a_path_that_cannot_be_one_is_one_line_naming_the_key(
    venue: Path, port: int, key: str, kind: str, data: st.DataObject
) -> None:
    value = data.draw(HOSTILE[kind], label=kind)
    path, line = write_with(venue, key, value, port)
    message = assert_one_line(*check_config(path), path, line, key)
    expected = {"too long": "over Linux's limit of 4,095", "a long name": "a name in the path is"}
    assert expected.get(kind, "not UTF-8 text") in message


# ------------------------------------------------------------------ missing, and the wrong kind


CASES = [(key, "missing") for key in KEYS if key not in UNREAD | {"storage.path"}]
CASES += [(key, "a folder") for key in sorted(FILES)]
CASES += [(key, "a file") for key in sorted(FOLDERS)]


@pytest.mark.parametrize(("key", "case"), CASES)
def test_a_missing_path_or_one_of_the_wrong_kind_is_one_line(
    venue: Path, port: int, key: str, case: str
) -> None:
    value = {"missing": "nowhere/nothing", "a folder": "frames", "a file": "codes.txt"}[case]
    path, line = write_with(venue, key, value, port)
    message = assert_one_line(*check_config(path), path, line, key)
    assert "nothing" in message or "frames" in message or "codes.txt" in message


def test_a_config_file_that_is_not_utf8_is_one_line(venue: Path) -> None:
    path = venue / "latin1.yaml"
    path.write_bytes(b"venue: {id: v, name: Caf\xe9}\n")
    status, err = check_config(path)
    assert status == 2 and len(err.splitlines()) == 1 and err.startswith(f"{path}:1: ")


# ------------------------------------------------------------------ permission denied, for real

# Run in a child whose root (if it is root) has lost the right to ignore file modes, as the
# kiosk's own user never had it; it prints what check-config and run answered for each case.
CHILD = r"""
import contextlib, io, json, sys
from pathlib import Path
from kiosk.cli import main

answers = {}
for name, config in json.loads(sys.argv[1]).items():
    for command in ("check-config", "run"):
        err = io.StringIO()
        args = [command, config] if command == "check-config" else [command, "--config", config]
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            try:
                status = main(args)
            except SystemExit as exc:
                status = exc.code
        answers[f"{name} {command}"] = [status, err.getvalue()]
print(json.dumps(answers))
"""


def _without_root_overrides() -> None:
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    for cap in (1, 2):  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH
        if libc.prctl(24, cap, 0, 0, 0) != 0:  # PR_CAPBSET_DROP
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


@pytest.mark.slow
def test_permission_denied_on_each_path_is_one_line_from_check_config_and_run(
    tmp_path: Path, port: int
) -> None:
    venue = make_venue(tmp_path / "venue")
    locked = venue / "locked"
    locked.mkdir()
    (locked / "inside").write_text("")
    unreadable = {"file": venue / "unreadable", "folder": venue / "unreadable-folder"}
    unreadable["file"].write_text("x" * 40)
    unreadable["folder"].mkdir()
    cases: dict[str, tuple[Path, int, str]] = {}
    for key in KEYS:
        # A folder on the way that cannot be entered: every key refuses it.
        configs = {"behind a locked folder": str(locked / "inside")}
        if key in FILES and key != "storage.path":
            configs["unreadable"] = str(unreadable["file"])
        elif key in FOLDERS | EITHER:
            configs["unreadable"] = str(unreadable["folder"])
        for case, value in configs.items():
            name = f"{key} {case}"
            # One file per case: the child reads them after they are all written.
            path, line = write_with(venue, key, value, port)
            own = path.with_name(f"case{len(cases)}.yaml")
            path.rename(own)
            cases[name] = (own, line, key)
    locked.chmod(0)
    unreadable["file"].chmod(0)
    unreadable["folder"].chmod(0)
    try:
        proc = subprocess.run(
            [sys.executable, "-c", CHILD, json.dumps({n: str(c[0]) for n, c in cases.items()})],
            capture_output=True,
            text=True,
            timeout=600,
            preexec_fn=_without_root_overrides if os.geteuid() == 0 else None,
            env={**os.environ, "SDL_VIDEODRIVER": "dummy", "SDL_AUDIODRIVER": "dummy"},
        )
    finally:
        locked.chmod(0o755)
        unreadable["file"].chmod(0o644)
        unreadable["folder"].chmod(0o755)
    assert proc.returncode == 0, proc.stderr
    answers = json.loads(proc.stdout)
    assert len(answers) == 2 * len(cases)
    for name, (path, line, key) in cases.items():
        for command in ("check-config", "run"):
            status, err = answers[f"{name} {command}"]
            message = assert_one_line(status, err, path, line, key)
            assert "permission" in message, (name, command, message)
