"""systemd/qr-kiosk.service: what it says, and what systemd-analyze makes of it."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections import defaultdict
from pathlib import Path

import pytest

UNIT = Path(__file__).resolve().parents[2] / "systemd" / "qr-kiosk.service"
MAX_EXPOSURE = 2.5


def parse(text: str) -> dict[str, dict[str, list[str]]]:
    """Sections of key -> every value given (systemd keys repeat: DeviceAllow=, ...)."""
    out: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    section = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            section = line.strip("[]")
            continue
        key, _, value = line.partition("=")
        out[section][key.strip()].append(value.strip())
    return out


@pytest.fixture(scope="module")
def unit() -> dict[str, dict[str, list[str]]]:
    return parse(UNIT.read_text(encoding="utf-8"))


def test_the_kiosk_is_supervised_with_a_watchdog(unit: dict[str, dict[str, list[str]]]) -> None:
    s = unit["Service"]
    assert s["Type"] == ["notify"] and s["NotifyAccess"] == ["main"]
    assert s["WatchdogSec"] and s["WatchdogSec"][0] not in ("0", "infinity")
    assert s["Restart"] == ["on-failure"] and s["RestartPreventExitStatus"] == ["2"]
    assert s["User"] == ["qr-kiosk"]
    assert s["ExecStart"] == ["/opt/qr-kiosk/venv/bin/kiosk run --config /etc/qr-kiosk/venue.yaml"]
    # The kiosk checks its config itself, and works offline: neither is waited for.
    assert "ExecStartPre" not in s
    assert "network-online.target" not in " ".join(v for vs in unit["Unit"].values() for v in vs)
    assert s["StateDirectory"] == ["qr-kiosk"] and s["StateDirectoryMode"] == ["0700"]
    assert s["ConfigurationDirectory"] == ["qr-kiosk"]
    assert s["StandardOutput"] == ["journal"] and s["StandardError"] == ["journal"]
    assert unit["Install"]["WantedBy"] == ["multi-user.target"]


def test_hardening_leaves_the_kiosks_devices_reachable(
    unit: dict[str, dict[str, list[str]]],
) -> None:
    s = unit["Service"]
    assert s["ProtectSystem"] == ["strict"] and s["ProtectHome"] == ["yes"]
    assert s["PrivateTmp"] == ["yes"] and s["NoNewPrivileges"] == ["yes"]
    assert s["CapabilityBoundingSet"] == [""]
    assert s["DevicePolicy"] == ["closed"]
    assert "PrivateDevices" not in s  # it would hide the camera, screen and GPIO
    assert s["SystemCallFilter"][0] == "@system-service"
    assert set(s["RestrictAddressFamilies"][0].split()) <= {
        "AF_UNIX", "AF_INET", "AF_INET6", "AF_NETLINK",
    }  # fmt: skip
    allowed = {v.split()[0] for v in s["DeviceAllow"]}
    assert {
        "char-video4linux",  # /dev/video*: the camera (and a USB webcam)
        "char-media",  # /dev/media*: libcamera's media controller
        "char-dma_heap",  # /dev/dma_heap/*: the camera's frame buffers
        "char-drm",  # /dev/dri/*: the screen
        "char-input",  # keypad, barcode wedge
        "char-ttyACM",  # serial readers
        "char-ttyUSB",
        "char-gpiochip",  # the door relay (lgpio)
        "/dev/gpiomem",
        "char-alsa",  # /dev/snd/*: the chime
    } <= allowed
    # Everything the kiosk writes is in its state folder.
    assert s["ReadWritePaths"] == ["/var/lib/qr-kiosk"]


def _systemd_analyze() -> str:
    found = shutil.which("systemd-analyze")
    if found is None:
        pytest.skip("systemd-analyze is not installed (apt-get install systemd)")
    return found


def test_exposure_is_at_most_2_5() -> None:
    analyze = _systemd_analyze()
    done = subprocess.run(
        [analyze, "security", "--offline=yes", "--no-pager", str(UNIT)],
        capture_output=True,
        text=True,
        check=False,
    )
    found = re.search(r"Overall exposure level for qr-kiosk\.service: (\d+\.\d+)", done.stdout)
    if found is None and "--offline" in done.stderr:
        pytest.skip(f"this systemd-analyze cannot analyze offline: {done.stderr.strip()}")
    assert found is not None, done.stdout + done.stderr
    assert float(found.group(1)) <= MAX_EXPOSURE


def test_systemd_analyze_verify_is_clean(tmp_path: Path) -> None:
    analyze = _systemd_analyze()
    # The program is not installed here: everything else in the unit is checked against
    # an executable that exists.
    text = UNIT.read_text(encoding="utf-8")
    text = re.sub(r"^ExecStart=\S+", "ExecStart=/bin/true", text, flags=re.M)
    copy = tmp_path / "qr-kiosk.service"
    copy.write_text(text, encoding="utf-8")
    done = subprocess.run(
        [analyze, "verify", str(copy)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0 and done.stderr.strip() == "", done.stderr
