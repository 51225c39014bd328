"""Hostile config files: `kiosk check-config` answers FILE:LINE: key: message and exits 2, fast."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable
from datetime import time
from pathlib import Path

import pytest

from kiosk.config import load_config
from kiosk.config.yamlfile import ConfigError, FileRefused, read_limited
from support.cli import run_kiosk

# A hang must fail the test, not stall the suite; the limit says nothing about speed.
TIMEOUT = 60


def check_config(path: Path | str) -> subprocess.CompletedProcess[str]:
    """`kiosk check-config PATH` through the command line's own entry point, in this process:
    the same answer as the program's, without a second of start-up per hostile file."""
    return run_kiosk("check-config", str(path))


def check_config_program(path: Path | str) -> subprocess.CompletedProcess[str]:
    """The same, as the installed program runs it: `python -m kiosk check-config PATH`."""
    return subprocess.run(
        [sys.executable, "-m", "kiosk", "check-config", str(path)],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
    )


def refused(
    path: Path | str,
    *,
    file: Path | str | None = None,
    says: str = "",
    program: bool = False,
) -> str:
    """Run check-config on `path`; assert exit 2 and a `FILE:LINE: ` line (FILE: `file`)."""
    proc = (check_config_program if program else check_config)(path)
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr, proc.stderr
    where = re.escape(str(file or path))
    lines = [ln for ln in proc.stderr.splitlines() if re.match(rf"^{where}:[1-9][0-9]*: ", ln)]
    assert lines, proc.stderr
    assert says in proc.stderr, proc.stderr
    return proc.stderr


def bomb(levels: int) -> str:
    """An alias bomb of 10**levels nodes, under a top-level key."""
    out = ["bomb:", "  a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, levels):
        out.append(f"  a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]")
    return "\n".join(out) + "\n"


# ------------------------------------------------------------------ YAML structure


@pytest.mark.parametrize("levels", [5, 9])  # 10⁵ nodes, and 10⁹ (ran past 60 s before)
def test_alias_bombs(write_config: Callable[..., Path], levels: int) -> None:
    refused(write_config(bomb(levels)), says="too large")


@pytest.mark.parametrize(
    "extra",
    ["loop: &a [*a]\n", "loop: &a {b: *a}\n", "loop: &a\n  b:\n    c: [1, *a]\n"],
)
def test_recursive_aliases(write_config: Callable[..., Path], extra: str) -> None:
    refused(write_config(extra), says="refers to itself")


@pytest.mark.parametrize(
    "extra",
    [
        "deep: " + "[" * 10_000 + "]" * 10_000 + "\n",
        "deep: " + "{a: " * 10_000 + "1" + "}" * 10_000 + "\n",
        "deep:\n  " + "- " * 10_000 + "x\n",
    ],
    ids=["flow-seq", "flow-map", "block-seq"],
)
def test_deep_nesting(write_config: Callable[..., Path], extra: str) -> None:
    refused(write_config(extra), says="nested deeper")


def test_multiple_documents(write_config: Callable[..., Path]) -> None:
    path = write_config("---\nlog_level: debug\n")
    assert f"{path}:7: " in refused(path)


@pytest.mark.parametrize(
    "tag", ["!!python/object:os.system {}", "!!python/name:os.system", "!!python/tuple [1]"]
)
def test_python_tags(write_config: Callable[..., Path], tag: str) -> None:
    path = write_config(f"log_level: {tag}\n")
    assert f"{path}:7: " in refused(path)


def test_huge_integer_has_a_line(write_config: Callable[..., Path]) -> None:
    path = write_config("display: {fps: " + "9" * 5000 + "}\n")
    assert f"{path}:7: " in refused(path)


def test_keys_must_be_text(write_config: Callable[..., Path]) -> None:
    path = write_config("1: x\ntrue: y\n")
    err = refused(path, says="a key must be text")
    assert f"{path}:7: " in err and f"{path}:8: " in err


# ------------------------------------------------------------------ encodings and characters


def test_utf8_bom_is_accepted(write_config: Callable[..., Path]) -> None:
    path = write_config()
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    proc = check_config(path)
    assert proc.returncode == 0, proc.stderr


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-32"])
def test_utf16_and_utf32_are_refused_clearly(
    write_config: Callable[..., Path], encoding: str
) -> None:
    path = write_config()
    path.write_bytes(path.read_text(encoding="utf-8").encode(encoding))
    assert f"{path}:1: " in refused(path, says="save it as UTF-8")


@pytest.mark.parametrize("char", ["\x00", "\x07", "\x1b", "\x7f", "\x9b"])
def test_control_characters(write_config: Callable[..., Path], char: str) -> None:
    path = write_config(f"log_level: in{char}fo\n")
    assert f"{path}:7: " in refused(path, says="control character")


def test_latin1_is_refused_at_its_line(write_config: Callable[..., Path]) -> None:
    path = write_config()
    path.write_bytes(path.read_bytes() + b"log_level: caf\xe9\n")
    assert f"{path}:7: " in refused(path, says="not UTF-8")


@pytest.mark.parametrize("escaped", ['"a\\0b"', '"a\\x07b"', '"a\\x85b"'])
def test_control_characters_written_as_escapes(
    write_config: Callable[..., Path], escaped: str
) -> None:
    path = write_config()
    path.write_text(path.read_text().replace("name: Test Venue", f"name: {escaped}"))
    assert f"{path}:1: venue.name: " in refused(path)


# ------------------------------------------------------------------ special files


@pytest.fixture
def fifo(tmp_path: Path) -> Path:
    path = tmp_path / "pipe"
    os.mkfifo(path)
    return path


def test_dev_zero_and_fifo_and_folder_as_the_config(fifo: Path, tmp_path: Path) -> None:
    # As the program: a special file must not hang the process that reads it.
    refused("/dev/zero", says="not a regular file", program=True)
    refused(fifo, says="not a regular file", program=True)
    refused(tmp_path, says="a folder")
    big = tmp_path / "big.yaml"
    big.write_bytes(b"# " + b"x" * (3 * 1024 * 1024) + b"\n")
    refused(big, says="larger than")


def _point_trust_at(path: Path, issuer: str = "issuer.pub", subject: str = "subject.key") -> None:
    text = path.read_text().replace(
        "trust: {issuer_keys: [issuer.pub], subject_key: subject.key}",
        f"trust: {{issuer_keys: [{issuer}], subject_key: {subject}}}",
    )
    path.write_text(text)


@pytest.mark.parametrize("special", ["fifo", "/dev/zero", "folder"])
@pytest.mark.parametrize("which", ["issuer"])
def test_special_files_as_key_files(
    write_config: Callable[..., Path], fifo: Path, venue_dir: Path, special: str, which: str
) -> None:
    target = {"fifo": str(fifo), "/dev/zero": "/dev/zero", "folder": str(venue_dir / "frames")}
    path = write_config()
    _point_trust_at(path, **{which: target[special]})
    says = "a folder" if special == "folder" else "not a regular file"
    assert f"{path}:5: trust." in refused(path, says=says)


def test_special_file_as_deny_list(write_config: Callable[..., Path], fifo: Path) -> None:
    for deny in (fifo, "/dev/zero"):
        path = write_config()
        path.write_text(
            path.read_text().replace(
                "subject_key: subject.key", f"subject_key: s.key, deny_list: {deny}"
            )
        )
        assert f"{path}:5: trust.deny_list: " in refused(path)


def test_storage_path_that_is_a_folder(write_config: Callable[..., Path]) -> None:
    path = write_config()
    path.write_text(
        path.read_text().replace("storage: {path: kiosk.db}", "storage: {path: frames}")
    )
    assert f"{path}:6: storage.path: " in refused(path, says="is a folder")


def test_read_limited_reads_no_further_than_the_limit(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"x" * 10)
    assert read_limited(path, 10) == b"x" * 10
    with pytest.raises(FileRefused, match="larger than 9"):
        read_limited(path, 9)
    with pytest.raises(FileRefused, match="cannot read"):
        read_limited(tmp_path / "a\0b", 9)


# ------------------------------------------------------------------ numbers and YAML 1.1


@pytest.mark.parametrize("value", [".nan", ".NaN", ".inf", "-.inf", "1e400", "-1e400"])
@pytest.mark.parametrize("key", ["display: {sound: {volume: %s}}", "camera: {fps: %s}"])
def test_non_finite_numbers(write_config: Callable[..., Path], key: str, value: str) -> None:
    if key.startswith("camera"):
        path = write_config(camera=f"{{type: opencv, fps: {value}}}")
        line = 3
    else:
        path = write_config(key % value + "\n")
        line = 7
    assert f"{path}:{line}: " in refused(path)


@pytest.mark.parametrize(
    ("extra", "line", "says"),
    [
        ("policy:\n  opening_hours:\n    - {days: mon, open: 450, close: '19:00'}\n", 9, "HH:MM"),
        ("policy:\n  opening_hours:\n    - {days: mon, open: 7.30, close: '19:00'}\n", 9, "HH:MM"),
        ("policy:\n  opening_hours:\n    - {days: mon, open: 25:00, close: 26:00}\n", 9, "HH:MM"),
        ("door: {relay: {pin: 17, pulse: 1}}\n", 7, "needs a unit"),
        ("log_level: off\n", 7, "log_level"),
        ("policy: {exit_checks: no}\n", 7, "policy.exit_checks"),
        ("decoder: {type: zxing-cpp, try_invert: maybe}\n", 7, "decoder.try_invert"),
        ("policy: {clock_skew: 1e400s}\n", 7, "policy.clock_skew"),
        ("policy: {max_declaration_age: " + "9" * 400 + "d}\n", 7, "max_declaration_age"),
        ("camera2: {<<: {a: 1}}\n", 7, "unknown key"),
    ],
)
def test_wrong_yaml_types_are_file_line_errors(
    write_config: Callable[..., Path], extra: str, line: int, says: str
) -> None:
    path = write_config(extra)
    assert f"{path}:{line}: " in refused(path, says=says)


def test_leading_zero_is_decimal_never_octal(write_config: Callable[..., Path]) -> None:
    path = write_config(camera="{type: opencv, fps: 0755}")
    assert f"{path}:3: camera.fps: " in refused(path, says="must be at most 120")


def test_yaml_1_1_surprises_read_as_written(write_config: Callable[..., Path]) -> None:
    """Unquoted 7:30, 19:00, yes/no/on/off and 0755 mean what a venue admin wrote."""
    path = write_config(
        "policy:\n  opening_hours:\n    - {days: mon-fri, open: 7:30, close: 19:00}\n"
        "    - {days: sat, open: 07:00, close: '12:00'}\n"
        "  admit_categories: [yes, no, on, off]\n"
        "door:\n  hook: {url: 'http://10.0.0.5/door', on: [PASS]}\n"
    )
    path.write_text(
        path.read_text()
        .replace("name: Test Venue", "name: no")
        .replace("id: k1", "id: 0755")
        .replace("mode: headless,", "mode: headless, preview: off, mirror: yes,")
    )
    cfg = load_config(path)
    hours = cfg.policy.opening_hours or []
    assert (hours[0].open, hours[0].close) == (time(7, 30), time(19, 0))
    assert hours[1].open == time(7, 0)
    assert cfg.policy.admit_categories == ["yes", "no", "on", "off"]
    assert cfg.door.hook is not None and cfg.door.hook.on == ["PASS"]
    assert cfg.venue.name == "no" and cfg.kiosk.id == "0755"
    assert cfg.display.preview is False and cfg.display.mirror is True


def test_errors_in_process_have_lines(write_config: Callable[..., Path]) -> None:
    """The same loader in-process: no exception but ConfigError, with a line."""
    with pytest.raises(ConfigError) as exc:
        load_config(write_config(bomb(9)))
    assert all(i.line >= 1 for i in exc.value.issues)
