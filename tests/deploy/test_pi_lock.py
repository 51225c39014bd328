"""The lockfile installs on a Pi: wheels only for Python 3.11 on aarch64, numpy below 2.

Raspberry Pi OS bookworm's picamera2 stack (python3-picamera2, simplejpeg, python3-kms++...)
is built against its numpy 1.24; the kiosk's venv sees those system packages, so numpy 2 in
the venv would break them at import. And a source build on a Pi takes hours and a compiler.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
# Pi OS bookworm: Python 3.11, glibc 2.36, 64-bit.
PI = ["--python-platform", "aarch64-manylinux_2_36", "--python-version", "3.11"]
OFFLINE = ("dns error", "failed to fetch", "connect error", "network", "timed out", "offline")


def _uv() -> str:
    found = shutil.which("uv") or (
        str(REPO / ".tools/bin/uv") if (REPO / ".tools/bin/uv").exists() else None
    )
    if found is None:
        pytest.skip("no uv: neither on PATH nor .tools/bin/uv (./dev test bootstraps it)")
    return found


def test_the_kiosk_lock_resolves_to_aarch64_wheels_with_numpy_1(tmp_path: Path) -> None:
    uv = _uv()
    # The workspace's own packages are pure Python, built into wheels by the installer's uv
    # from the source tree: left out here, where only binary distributions may be used.
    exported = subprocess.run(
        [
            uv, "export", "--frozen", "--package", "qr-checkin-kiosk", "--no-dev",
            "--no-hashes", "--no-emit-workspace", "--no-header",
        ],
        cwd=REPO, capture_output=True, text=True, check=True,
    )  # fmt: skip
    requirements = tmp_path / "kiosk.txt"
    requirements.write_text(exported.stdout, encoding="utf-8")
    done = subprocess.run(
        [uv, "pip", "compile", str(requirements), *PI, "--only-binary", ":all:", "--no-header"],
        cwd=tmp_path, capture_output=True, text=True, check=False,
    )  # fmt: skip
    if done.returncode != 0 and any(word in done.stderr.lower() for word in OFFLINE):
        pytest.skip(f"the package index is unreachable: {done.stderr.strip().splitlines()[-1]}")
    # A failure here names the package with no aarch64 / cp311 wheel at its locked version.
    assert done.returncode == 0, done.stderr
    pins = dict(re.findall(r"^([A-Za-z0-9_.-]+)==(\S+)", done.stdout, re.M))
    assert int(pins["numpy"].split(".")[0]) < 2, pins["numpy"]
    major, minor = (int(x) for x in pins["opencv-contrib-python-headless"].split(".")[:2])
    assert (major, minor) < (4, 12), pins["opencv-contrib-python-headless"]
    # The resolution is the lock's: nothing moved on the way.
    locked = dict(
        re.findall(
            r"^([A-Za-z0-9_.-]+)==(\S+) ; python_full_version < '3.13'", exported.stdout, re.M
        )
    )
    assert pins["numpy"] == locked["numpy"]
    for name in ("pygame-ce", "zxing-cpp", "cryptography", "pydantic-core"):
        assert name in pins
