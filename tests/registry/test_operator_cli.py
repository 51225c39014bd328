"""`kiosk-registry` as an operator runs it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import cv2

from kiosk.decode.zxing import ZxingDecoder


def reg(data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "registry", "--data", str(data), *args],
                          capture_output=True, text=True, timeout=60)  # fmt: skip


def test_operator_commands(tmp_path: Path) -> None:
    data = tmp_path / "reg"
    init = reg(data, "init")
    assert init.returncode == 0 and "admin token (shown once): " in init.stdout
    assert (data / "keys").stat().st_mode & 0o777 == 0o700
    assert reg(data, "venue", "add", "hq", "--name", "HQ", "--province", "Hà Nội").returncode == 0
    assert reg(data, "venue", "add", "hq", "--name", "HQ").returncode == 1  # exists
    token_file = tmp_path / "k1.token"
    added = reg(data, "kiosk", "add", "hq", "k1", "--token-file", str(token_file))
    assert added.returncode == 0 and token_file.stat().st_mode & 0o777 == 0o600
    assert token_file.read_text().strip() not in added.stdout  # written, not printed
    assert (
        "token (shown once)"
        in reg(data, "user", "add", "lan", "--role", "controller", "--venue", "hq").stdout
    )
    assert reg(data, "user", "add", "x", "--role", "controller").returncode == 1  # needs a venue
    png = tmp_path / "p.png"
    issued = reg(
        data, "pass", "issue", "--name", "Lê Văn Bình", "--valid-for", "7d", "--png", str(png)
    )
    assert issued.returncode == 0 and issued.stdout.startswith("KP1:")
    img = cv2.imread(str(png), cv2.IMREAD_GRAYSCALE)
    assert ZxingDecoder().decode(img)[0].payload.decode() == issued.stdout.strip()
    pass_id = issued.stderr.split("pass id ")[1].strip()
    assert reg(data, "pass", "revoke", pass_id).returncode == 0
    assert reg(data, "pass", "revoke", "00" * 16).returncode == 1
    assert "new signing key" in reg(data, "keys", "rotate").stdout
    assert reg(data, "kiosk", "revoke", "hq", "k1").returncode == 0
    assert reg(data, "kiosk", "revoke", "hq", "k1").returncode == 1  # already revoked
    assert json.loads(reg(data, "retention", "purge").stdout) == {"records": 0, "declarations": 0}
    assert json.loads(reg(data, "openapi").stdout)["info"]["title"] == "QR check-in registry"
