"""`./dev install --root DIR`: the files, modes, owners and commands of an install, off a Pi."""

from __future__ import annotations

import importlib.util
import os
import re
import shlex
import shutil
import subprocess
import sys
import types
from pathlib import Path

import pygame
import pytest

REPO = Path(__file__).resolve().parents[2]
INSTALLER = REPO / "deploy" / "install.py"
UNIT = REPO / "systemd" / "qr-kiosk.service"


def install(root: Path, *args: str) -> list[str]:
    """Run the installer as `./dev install` does; the commands it would have run."""
    subprocess.run(
        [sys.executable, str(INSTALLER), "--root", str(root), "--uv", "uv", *args],
        check=True,
        capture_output=True,
    )
    return (root / ".install-plan").read_text(encoding="utf-8").splitlines()


def mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


def owners(plan: list[str]) -> dict[str, str]:
    return {line.split()[2]: line.split()[1] for line in plan if line.startswith("chown ")}


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """A machine with some of the kiosk's groups (no gpio: not a Pi)."""
    etc = tmp_path / "root" / "etc"
    etc.mkdir(parents=True)
    (etc / "group").write_text("root:x:0:\naudio:x:29:\nvideo:x:44:\ninput:x:101:\n")
    (etc / "passwd").write_text("root:x:0:0:root:/root:/bin/bash\n")
    return tmp_path / "root"


def test_an_install_lays_out_program_config_state_and_unit(root: Path) -> None:
    plan = install(root)
    assert mode(root / "var/lib/qr-kiosk") == 0o700
    assert mode(root / "var/lib/qr-kiosk/keys") == 0o700
    assert mode(root / "etc/qr-kiosk/venue.yaml") == 0o640
    assert mode(root / "etc/systemd/system/qr-kiosk.service") == 0o644
    assert (root / "etc/systemd/system/qr-kiosk.service").read_text() == UNIT.read_text()
    assert owners(plan) == {
        "/opt/qr-kiosk": "root:root",
        "/var/lib/qr-kiosk": "qr-kiosk:qr-kiosk",
        "/var/lib/qr-kiosk/keys": "qr-kiosk:qr-kiosk",
        "/etc/qr-kiosk": "root:root",
        "/etc/qr-kiosk/keys": "root:root",
        "/etc/qr-kiosk/venue.yaml": "root:qr-kiosk",
        "/etc/systemd/system/qr-kiosk.service": "root:root",
    }
    # Only the groups this machine has, in the installer's order; the user is a system one.
    assert "usermod --groups video,input,audio qr-kiosk" in plan
    useradd = next(line for line in plan if line.startswith("useradd "))
    assert "--system" in useradd and "/usr/sbin/nologin" in useradd
    apt = next(line for line in plan if "apt-get install" in line)
    assert {"python3-picamera2", "python3-venv", "python3-lgpio", "fonts-dejavu-core"} <= set(
        shlex.split(apt)
    )
    assert "libzbar0" not in apt  # the default decoder is zxing-cpp
    # The venv sees the system's picamera2 and is filled from the lockfile, not editable.
    assert "uv venv --system-site-packages --python /usr/bin/python3 /opt/qr-kiosk/venv" in plan
    sync = next(line for line in plan if " sync " in line)
    assert sync.startswith("UV_PROJECT_ENVIRONMENT=/opt/qr-kiosk/venv ")
    assert "--locked --no-dev --package qr-checkin-kiosk --no-editable" in sync
    order = [line.split()[0:2] for line in plan if line.startswith("systemctl")]
    assert order == [["systemctl", "daemon-reload"], ["systemctl", "enable"]]


def test_the_installed_config_keeps_everything_written_under_var_lib(root: Path) -> None:
    install(root)
    text = (root / "etc/qr-kiosk/venue.yaml").read_text()
    assert re.search(r"^\s*path: /var/lib/qr-kiosk/kiosk\.db", text, re.M)
    assert "subject_key" not in text  # the kiosk keeps no key that could check an ID number
    assert re.search(r"^\s*- /etc/qr-kiosk/keys/issuer\.pub", text, re.M)
    # Nothing else changed: the comments that explain each setting are all there.
    example = (REPO / "config" / "venue.example.yaml").read_text()
    assert len(text.splitlines()) == len(example.splitlines()) + 1


def test_running_again_upgrades_and_keeps_config_and_data(root: Path) -> None:
    install(root)
    config = root / "etc/qr-kiosk/venue.yaml"
    config.write_text("decoder:\n  type: pyzbar\n")
    (root / "var/lib/qr-kiosk/kiosk.db").write_bytes(b"records")
    (root / "opt/qr-kiosk/venv").mkdir()
    (root / "opt/qr-kiosk/venv/pyvenv.cfg").write_text("include-system-site-packages = true\n")
    (root / "etc/passwd").write_text("qr-kiosk:x:999:999::/var/lib/qr-kiosk:/usr/sbin/nologin\n")
    plan = install(root)
    assert config.read_text() == "decoder:\n  type: pyzbar\n"
    assert (root / "var/lib/qr-kiosk/kiosk.db").read_bytes() == b"records"
    assert not any(line.startswith(("useradd", "uv venv")) for line in plan)
    # The config picks pyzbar: its library and the extra come with it.
    assert "libzbar0" in next(line for line in plan if "apt-get install" in line)
    assert "--extra pyzbar" in next(line for line in plan if " sync " in line)
    assert "/etc/qr-kiosk/venue.yaml" not in owners(plan)


def test_uninstall_keeps_config_and_data_unless_purged(root: Path) -> None:
    install(root)
    plan = install(root, "--uninstall")
    assert plan[0] == "systemctl disable --now qr-kiosk.service"
    assert not (root / "opt/qr-kiosk").exists()
    assert not (root / "etc/systemd/system/qr-kiosk.service").exists()
    assert (root / "etc/qr-kiosk/venue.yaml").exists() and (root / "var/lib/qr-kiosk").is_dir()
    plan = install(root, "--uninstall", "--purge")
    assert not (root / "etc/qr-kiosk").exists() and not (root / "var/lib/qr-kiosk").exists()
    assert "userdel qr-kiosk" in plan


def test_dev_install_dry_run_needs_no_root(tmp_path: Path) -> None:
    if shutil.which("uv") is None and not (REPO / ".tools/bin/uv").exists():
        pytest.skip("./dev would download uv first: neither uv on PATH nor .tools/bin/uv")
    done = subprocess.run(
        [str(REPO / "dev"), "install", "--root", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "installed, not started" in done.stdout
    assert (tmp_path / "etc/systemd/system/qr-kiosk.service").exists()


def test_a_real_install_refuses_without_root(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("running as root: the refusal is for everyone else")
    done = subprocess.run(
        [sys.executable, str(INSTALLER)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 2 and "sudo ./dev install" in done.stderr


def test_the_planned_venv_commands_build_a_kiosk_that_sees_system_packages(
    root: Path, tmp_path: Path
) -> None:
    """The venv and sync lines of the plan, run for real into a folder (from uv's cache only)."""
    uv = shutil.which("uv") or str(REPO / ".tools/bin/uv")
    if not Path(uv).exists():
        pytest.skip("no uv: neither on PATH nor .tools/bin/uv")
    if not Path("/usr/bin/python3").exists():
        pytest.skip("no system python3 at /usr/bin/python3")
    venv = tmp_path / "venv"
    plan = install(root)
    steps = [line for line in plan if " venv " in line or " sync " in line]
    assert len(steps) == 2
    for line in steps:
        words = shlex.split(line.replace("/opt/qr-kiosk/venv", str(venv)))
        env = dict(w.split("=", 1) for w in words if re.match(r"^[A-Z_]+=", w))
        cmd = [
            uv if w == "uv" else w for w in words if w not in {f"{k}={v}" for k, v in env.items()}
        ]
        if " sync " in line:
            cmd.append("--offline")  # the workspace's own sync filled the cache
        done = subprocess.run(
            cmd, cwd=REPO, env={**os.environ, **env}, capture_output=True, text=True, check=False
        )
        if done.returncode != 0 and "offline" in done.stderr.lower():
            pytest.skip(f"uv's cache lacks a locked package: {done.stderr.strip()[-200:]}")
        assert done.returncode == 0, done.stderr
    assert "include-system-site-packages = true" in (venv / "pyvenv.cfg").read_text()
    probe = subprocess.run(
        [
            str(venv / "bin/python"), "-c",
            "import kiosk, numpy, sys; print(kiosk.__file__); print(numpy.__version__); "
            "print(any(p.startswith('/usr/lib/python3') for p in sys.path))",
        ],
        cwd=tmp_path, capture_output=True, text=True, check=True,
    )  # fmt: skip
    where, numpy_version, system = probe.stdout.split()
    assert where.startswith(str(venv))  # installed, not a link back to the source tree
    assert int(numpy_version.split(".")[0]) < 2 and system == "True"
    assert (venv / "bin/kiosk").exists()


# ------------------------------------------------------------------ the Pi it meets


def installer_module() -> types.ModuleType:
    spec = importlib.util.spec_from_file_location("pi_installer", INSTALLER)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_the_packages_cover_what_the_bundled_sdl_opens_for_kms_drm(root: Path) -> None:
    apt = shlex.split(next(line for line in install(root) if "apt-get install" in line))
    module = installer_module()
    assert set(module.SDL_KMSDRM.values()) | {"libegl-mesa0", "libgl1-mesa-dri"} <= set(apt)
    assert {"libgles2", "libgl1-mesa-dri"} <= set(apt)
    # The names are the ones SDL itself asks for (it dlopens them; none is linked).
    libs = Path(pygame.__file__).parent.parent / "pygame_ce.libs"
    sdl = next(libs.glob("libSDL2-*.so*"), None) if libs.is_dir() else None
    if sdl is None:
        pytest.skip("this pygame-ce wheel bundles no SDL (a system SDL is used)")
    text = sdl.read_bytes()
    assert all(name.encode() + b"\0" in text for name in module.SDL_KMSDRM), module.SDL_KMSDRM


def test_a_32_bit_userland_is_refused_before_anything_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    module = installer_module()
    # What struct says on armhf Pi OS, whose uname says aarch64 under a 64-bit kernel.
    monkeypatch.setattr(module, "userland_bits", lambda: 32)
    root = tmp_path / "root"
    assert module.main(["--root", str(root)]) == 2
    err = capsys.readouterr().err
    assert (
        "32-bit" in err and "Raspberry Pi OS Lite (64-bit)" in err and "Nothing was changed" in err
    )
    assert not root.exists()  # not even the dry run's folder
    assert module.userland_bits() == 32 and installer_module().userland_bits() == 64


def test_the_desktop_image_is_refused_with_what_to_do_or_set_to_boot_to_the_console(
    root: Path,
) -> None:
    systemd = root / "etc/systemd/system"
    systemd.mkdir(parents=True)
    (systemd / "display-manager.service").symlink_to("/lib/systemd/system/lightdm.service")
    proc = subprocess.run(
        [sys.executable, str(INSTALLER), "--root", str(root), "--uv", "uv"],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2
    assert "desktop image" in proc.stderr and "lightdm" in proc.stderr
    assert "--boot-to-console" in proc.stderr and "Nothing was changed" in proc.stderr
    assert not (root / ".install-plan").exists() and not (root / "opt").exists()
    plan = install(root, "--boot-to-console")
    assert "systemctl set-default multi-user.target" in plan
    # Booting to the console already: nothing to refuse, nothing to set.
    (systemd / "default.target").symlink_to("/lib/systemd/system/multi-user.target")
    assert "systemctl set-default multi-user.target" not in install(root)


def test_a_reader_on_the_pis_uart_gets_it_allowed_in_the_unit_and_only_then(root: Path) -> None:
    install(root)
    dropin = root / "etc/systemd/system/qr-kiosk.service.d/uart.conf"
    assert not dropin.exists()  # the example config names no UART
    config = root / "etc/qr-kiosk/venue.yaml"
    text = config.read_text()
    config.write_text(
        text + "readers:\n  - {type: serial, device: /dev/serial0}  # the GPIO header\n"
    )
    install(root)
    lines = dropin.read_text().splitlines()
    assert "[Service]" in lines
    assert {"DeviceAllow=char-ttyAMA rw", "DeviceAllow=/dev/serial0 rw"} <= set(lines)
    config.write_text(text + "# readers: [{type: serial, device: /dev/ttyAMA0}]\n")
    install(root)
    assert not dropin.exists()  # commented out: the allowance goes with it
