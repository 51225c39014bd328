"""`kiosk-registry` as an operator runs it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from kiosk.decode.zxing import ZxingDecoder
from registry.cli import main


def reg(data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "registry", "--data", str(data), *args],
                          capture_output=True, text=True, timeout=60)  # fmt: skip


def test_operator_commands(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "reg"
    # The first command as an operator types it; the rest through the same main(), in-process,
    # which spares a second of interpreter start-up per command.
    init = reg(data, "init")
    assert init.returncode == 0 and "admin token (shown once): " in init.stdout

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        code = main(["--data", str(data), *args])
        out = capsys.readouterr()
        return subprocess.CompletedProcess(args, code, out.out, out.err)

    assert (data / "keys").stat().st_mode & 0o777 == 0o700
    assert run("venue", "add", "hq", "--name", "HQ", "--province", "Hà Nội").returncode == 0
    assert run("venue", "add", "hq", "--name", "HQ").returncode == 1  # exists
    token_file = tmp_path / "k1.token"
    added = run("kiosk", "add", "hq", "k1", "--token-file", str(token_file))
    assert added.returncode == 0 and token_file.stat().st_mode & 0o777 == 0o600
    assert token_file.read_text().strip() not in added.stdout  # written, not printed
    assert (
        "token (shown once)"
        in run("user", "add", "lan", "--role", "controller", "--venue", "hq").stdout
    )
    assert run("user", "add", "x", "--role", "controller").returncode == 1  # needs a venue
    png = tmp_path / "p.png"
    issued = run("pass", "issue", "--name", "Lê Văn Bình", "--valid-for", "7d", "--png", str(png))
    assert issued.returncode == 0 and issued.stdout.startswith("KP1:")
    img = cv2.imread(str(png), cv2.IMREAD_GRAYSCALE)
    assert img is not None
    assert ZxingDecoder().decode(np.asarray(img, np.uint8))[0].payload.decode() == (
        issued.stdout.strip()
    )
    pass_id = issued.stderr.split("pass id ")[1].strip()
    assert run("pass", "revoke", pass_id).returncode == 0
    assert run("pass", "revoke", "00" * 16).returncode == 1
    assert "new signing key" in run("keys", "rotate").stdout
    assert run("kiosk", "revoke", "hq", "k1").returncode == 0
    assert run("kiosk", "revoke", "hq", "k1").returncode == 1  # already revoked
    assert json.loads(run("retention", "purge").stdout)["records"] == 0
    assert json.loads(run("openapi").stdout)["info"]["title"] == "QR check-in registry"


def test_every_command_has_a_handler() -> None:
    from registry.cli import build_parser

    with pytest.raises(SystemExit):
        build_parser().parse_args(["venue"])  # a group alone is not a command
    args = build_parser().parse_args(["keys", "rotate"])
    assert args.handler.__name__ == "cmd_keys_rotate"


def test_security_commands(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "reg"

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        code = main(["--data", str(data), *args])
        out = capsys.readouterr()
        return subprocess.CompletedProcess(args, code, out.out, out.err)

    umask = os.umask(0o022)
    try:
        assert run("init").returncode == 0
        assert os.umask(0o022) == 0o022  # the command put the caller's mask back
    finally:
        os.umask(umask)
    assert run("venue", "add", "a,b", "--name", "Bad").returncode == 1
    added = json.loads(run("deny", "add", "001090012345", "--days", "3").stdout)
    assert added["subject"].startswith("idh:")
    listed = json.loads(run("deny", "list").stdout)
    assert [e["subject"] for e in listed] == [added["subject"]]
    assert listed[0]["created_by"].startswith("cli:")
    assert run("deny", "add", "12").returncode == 1
    assert run("deny", "lift", "001090012345").returncode == 0
    assert json.loads(run("deny", "list").stdout) == []
    assert run("user", "add", "doc", "--role", "health_officer").returncode == 0
    assert json.loads(run("user", "list").stdout)[1]["name"] == "doc"
    assert run("user", "disable", "doc").returncode == 0
    assert json.loads(run("user", "list").stdout)[1]["disabled"] is True
    assert "token (shown once)" in run("user", "reset-token", "doc").stdout
    [key] = json.loads(run("keys", "list").stdout)
    revoked = run("keys", "revoke", key["kid"])
    assert revoked.returncode == 0 and "new signing key" in revoked.stdout
    assert not (data / "keys" / f"issuer-{key['kid']}.key").exists()
    status = run("status")
    assert json.loads(status.stdout)["rows"]["deny_entries"] == 0
