"""Install, upgrade or remove the kiosk on Raspberry Pi OS bookworm: `sudo ./dev install`.

Python, standard library only, run by the system's python3: it is there on every Pi OS image
before anything is installed, and this way the steps (which file, which mode, which owner, which
command) are plain data that tests check off a Pi. A shell script would need the same logic
twice: once to do it and once to tell a test what it would have done.

With --root DIR nothing on the machine changes: files and folders are laid out under DIR with
their modes, and every command that needs root (apt-get, useradd, chown, systemctl) is written
to DIR/.install-plan instead, one shell-quoted line each, in order.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shlex
import shutil
import struct
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

SOURCE = Path(__file__).resolve().parents[1]  # the workspace: uv.lock, kiosk/, config/
USER = "qr-kiosk"
# Exactly what the kiosk touches: camera (video), DRM/KMS (render, video), keypads and barcode
# wedges (input), the door relay (gpio), the chime (audio), serial readers (dialout).
GROUPS = ("video", "render", "input", "gpio", "audio", "dialout")
PREFIX = Path("/opt/qr-kiosk")
VENV = PREFIX / "venv"
CONFIG_DIR = Path("/etc/qr-kiosk")
CONFIG = CONFIG_DIR / "venue.yaml"
STATE = Path("/var/lib/qr-kiosk")
UNIT = Path("/etc/systemd/system/qr-kiosk.service")
SERVICE = "qr-kiosk.service"
SYSTEM_PYTHON = "/usr/bin/python3"  # the one Pi OS's python3-picamera2 is built for
# What the SDL bundled in pygame-ce's wheel opens at run time for its KMS/DRM video, by these
# names (dlopen; `strings libSDL2-*.so` lists them), and the Debian package of each. libEGL
# and libGLESv2 are glvnd's dispatchers: Mesa's EGL and its DRI drivers (vc4 and v3d, the Pi's
# GPUs) do the drawing. Without them SDL cannot open its window under SDL_VIDEODRIVER=kmsdrm
# and the door stays black; a Lite image installed with --no-install-recommends lacks some.
SDL_KMSDRM = {
    "libdrm.so.2": "libdrm2",
    "libgbm.so.1": "libgbm1",
    "libEGL.so.1": "libegl1",
    "libGLESv2.so.2": "libgles2",
    "libudev.so.1": "libudev1",  # input devices and displays coming and going
}
MESA = ("libegl-mesa0", "libgl1-mesa-dri")
# picamera2 and libcamera's Python binding come from Pi OS (built against its libcamera and
# numpy 1.24); the venv sees them. DejaVu is the fallback font with Vietnamese glyphs;
# python3-lgpio is gpiozero's pin driver on a Pi 5.
PACKAGES = (
    "python3-picamera2",
    "python3-libcamera",
    "python3-venv",
    "python3-lgpio",
    "python3-evdev",  # keyboard-wedge readers; PyPI has no wheels for it
    "fonts-dejavu-core",
    "espeak-ng",  # spoken prompts (display.speech) where the venue recorded no clip
    *SDL_KMSDRM.values(),
    *MESA,
)
PYZBAR_PACKAGES = ("libzbar0",)
PLAN = ".install-plan"
# The Pi's own UART, where a reader wired to the GPIO header is: the PL011 (ttyAMA*), the mini
# UART (ttyS0), and serial0/serial1, the links Pi OS points at whichever the model uses.
UART = re.compile(r"/dev/(?:serial[01]|ttyAMA[0-9]+|ttyS[0-9]+)\b")
UART_DROPIN = Path("/etc/systemd/system/qr-kiosk.service.d/uart.conf")
DISPLAY_MANAGER = Path("/etc/systemd/system/display-manager.service")
DEFAULT_TARGET = Path("/etc/systemd/system/default.target")
EXIT_REFUSED = 2


@dataclass
class Installer:
    """Does each step, or with `root` set lays files under it and records the commands."""

    root: Path | None
    uv: str = "uv"
    plan: list[str] = field(default_factory=list)

    @property
    def dry(self) -> bool:
        return self.root is not None

    def path(self, target: Path) -> Path:
        """Where a system path lands: itself, or under the dry-run root."""
        return self.root / target.relative_to("/") if self.root is not None else target

    def run(self, *cmd: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> None:
        line = shlex.join([*(f"{k}={v}" for k, v in (env or {}).items()), *cmd])
        self.plan.append(line)
        if self.dry:
            return
        print(f"+ {line}", flush=True)
        subprocess.run(cmd, check=True, env={**os.environ, **(env or {})}, cwd=cwd)  # noqa: S603

    def ok(self, *cmd: str) -> bool:
        """A question to the system (is the service active?): False in a dry run."""
        self.plan.append(shlex.join(cmd))
        if self.dry:
            return False
        return subprocess.run(cmd, check=False, capture_output=True).returncode == 0  # noqa: S603

    def mkdir(self, target: Path, mode: int, owner: str = "root") -> None:
        real = self.path(target)
        real.mkdir(parents=True, exist_ok=True)
        os.chmod(real, mode)
        self.chown(target, owner)

    def write(self, target: Path, text: str, mode: int, owner: str = "root") -> None:
        real = self.path(target)
        real.parent.mkdir(parents=True, exist_ok=True)
        # Written aside and renamed: a crash leaves the old file or the new, never half of one.
        tmp = real.with_name(real.name + ".new")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.chmod(tmp, mode)
        os.replace(tmp, real)
        self.chown(target, owner)

    def chown(self, target: Path, owner: str) -> None:
        user, _, group = owner.partition(":")
        self.plan.append(shlex.join(["chown", f"{user}:{group or user}", str(target)]))
        if not self.dry:
            shutil.chown(target, user, group or user)

    def remove(self, target: Path) -> None:
        self.plan.append(shlex.join(["rm", "-rf", str(target)]))
        real = self.path(target)
        if real.is_dir() and not real.is_symlink():
            shutil.rmtree(real)
        elif real.exists() or real.is_symlink():
            real.unlink()

    def save_plan(self) -> None:
        if self.root is not None:
            (self.root / PLAN).write_text("\n".join(self.plan) + "\n", encoding="utf-8")


# ------------------------------------------------------------------ what exists on the machine


def _names(file: Path) -> set[str]:
    """First fields of /etc/passwd or /etc/group."""
    try:
        lines = file.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return set()
    return {line.split(":", 1)[0] for line in lines if line and not line.startswith("#")}


def existing_groups(inst: Installer) -> list[str]:
    """The kiosk's groups this machine has (gpio exists on Pi OS only, render on newer kernels)."""
    group = inst.path(Path("/etc/group"))
    # A dry run into an empty folder answers for the machine it runs on.
    have = _names(group if group.exists() else Path("/etc/group"))
    return [g for g in GROUPS if g in have]


def uses_pyzbar(config_text: str) -> bool:
    """Whether a venue config picks the pyzbar decoder (it needs the system's libzbar0)."""
    in_decoder = False
    for line in config_text.splitlines():
        if re.match(r"^decoder:", line):
            in_decoder = True
        elif re.match(r"^\S", line):
            in_decoder = False
        elif in_decoder and re.match(r"^\s+type:\s*['\"]?pyzbar\b", line):
            return True
    return bool(re.search(r"^decoder:\s*\{[^}]*type:\s*['\"]?pyzbar", config_text, re.M))


def installed_config(example: str) -> str:
    """The example venue config with every path where the appliance keeps it.

    Everything the kiosk writes (database, lists, token, list key) lives under
    /var/lib/qr-kiosk, the only place the unit lets it write; keys an operator brings (issuer
    public keys) stay beside the config in /etc/qr-kiosk/keys.
    """
    text = example.replace(
        "# Venue configuration for one kiosk. Check it with:  kiosk check-config "
        "config/venue.example.yaml",
        "# Venue configuration of this kiosk, written by `./dev install` (never overwritten).\n"
        f"# Check it with:  sudo -u {USER} {VENV}/bin/kiosk check-config {CONFIG}",
    )
    text = re.sub(
        r"^(\s*-\s*)keys/issuer\.pub", rf"\g<1>{CONFIG_DIR}/keys/issuer.pub", text, flags=re.M
    )
    text = re.sub(
        r"^(\s*path:\s*)/var/lib/qr-kiosk/kiosk\.db", rf"\g<1>{STATE}/kiosk.db", text, flags=re.M
    )
    return text


def userland_bits() -> int:
    """This Python's pointer size in bits: the userland's, which is what wheels are built for.
    A 32-bit Pi OS on a 64-bit kernel (the default kernel on a Pi 4 since 2023) answers
    aarch64 to uname, so uname cannot tell."""
    return struct.calcsize("P") * 8


def desktop(inst: Installer) -> str | None:
    """The display manager that takes the screen at boot (lightdm on the desktop image), or
    None on the Lite image or one set to boot to the console."""
    manager = inst.path(DISPLAY_MANAGER)
    if not (manager.exists() or manager.is_symlink()):
        return None
    target = inst.path(DEFAULT_TARGET)
    # Without an override systemd boots graphical.target, Debian's default.
    if target.is_symlink() and Path(os.readlink(target)).name != "graphical.target":
        return None
    return Path(os.readlink(manager)).stem if manager.is_symlink() else manager.stem


def refusal(inst: Installer, boot_to_console: bool) -> str | None:
    """Why this machine cannot take the kiosk as it is, before anything is changed."""
    bits = userland_bits()
    if bits != 64:
        return (
            f"this is a {bits}-bit Raspberry Pi OS (its programs are {bits}-bit, whatever "
            "the kernel says): the kiosk's compiled packages (OpenCV, zxing-cpp, pygame-ce, "
            "cryptography) have no wheels for it and would be built on the Pi for hours, some "
            "not at all. Install Raspberry Pi OS Lite (64-bit) with Raspberry Pi Imager (a Pi "
            "3, 4, 5 or Zero 2 W runs it) and run ./dev install there. Nothing was changed."
        )
    manager = desktop(inst)
    if manager is not None and not boot_to_console:
        return (
            f"this is the desktop image: its display manager ({manager}) holds the screen, and "
            "the kiosk, which draws on the console through KMS/DRM, would stay black. Use "
            "Raspberry Pi OS Lite, or run again with --boot-to-console (the Pi then boots to "
            "the console; the desktop stays installed, `sudo systemctl set-default "
            "graphical.target` brings it back) and reboot. Nothing was changed."
        )
    return None


def uart_devices(config_text: str) -> list[str]:
    """The Pi's own UART devices the venue config names (a serial reader on the header)."""
    lines = (line.split("#", 1)[0] for line in config_text.splitlines())
    return sorted({m.group(0) for line in lines for m in UART.finditer(line)})


def uart_dropin(devices: list[str]) -> str:
    # The unit allows USB serial adapters (ttyUSB, ttyACM); the header's UART is a class of
    # its own (ttyAMA), and serial0 may point at the mini UART (ttyS0) instead: each named
    # device too, resolved by systemd when the unit starts.
    allow = "".join(f"DeviceAllow={device} rw\n" for device in devices)
    return (
        "# Written by `./dev install`: the venue config names the Pi's UART for a serial\n"
        f"# reader ({', '.join(devices)}). Installed again, it follows the config.\n"
        f"[Service]\nDeviceAllow=char-ttyAMA rw\n{allow}"
    )


# ------------------------------------------------------------------ install and uninstall


def install(inst: Installer, pyzbar: bool | None, start: bool, boot_to_console: bool) -> None:
    example = (SOURCE / "config" / "venue.example.yaml").read_text(encoding="utf-8")
    config = inst.path(CONFIG)
    kept = config.exists()
    if pyzbar is None:
        pyzbar = uses_pyzbar(config.read_text(encoding="utf-8")) if kept else False

    packages = [*PACKAGES, *(PYZBAR_PACKAGES if pyzbar else ())]
    inst.run("apt-get", "update", "-qq")
    inst.run(
        "apt-get", "install", "-y", "-qq", "--no-install-recommends", *packages,
        env={"DEBIAN_FRONTEND": "noninteractive"},
    )  # fmt: skip

    groups = existing_groups(inst)
    if USER not in _names(inst.path(Path("/etc/passwd"))):
        inst.run(
            "useradd", "--system", "--user-group", "--home-dir", str(STATE), "--no-create-home",
            "--shell", "/usr/sbin/nologin", "--comment", "QR check-in kiosk", USER,
        )  # fmt: skip
    # Exactly these groups, also on an upgrade: one added by hand is taken away again.
    inst.run("usermod", "--groups", ",".join(groups), USER)

    # The program: a venv that sees the system's picamera2, filled from the lockfile.
    inst.mkdir(PREFIX, 0o755)
    if not inst.path(VENV / "pyvenv.cfg").exists():
        inst.run(inst.uv, "venv", "--system-site-packages", "--python", SYSTEM_PYTHON, str(VENV))
    sync = [inst.uv, "sync", "--locked", "--no-dev", "--package", "qr-checkin-kiosk"]
    sync += ["--no-editable", "--python", SYSTEM_PYTHON]
    if pyzbar:
        sync += ["--extra", "pyzbar"]
    inst.run(
        *sync, cwd=SOURCE,
        env={"UV_PROJECT_ENVIRONMENT": str(VENV), "UV_PYTHON_DOWNLOADS": "never"},
    )  # fmt: skip

    # State: the kiosk's alone (database, list cache, keys it makes, registry token).
    inst.mkdir(STATE, 0o700, USER)
    inst.mkdir(STATE / "keys", 0o700, USER)
    # Configuration: root's, readable by the kiosk's group only (it may carry a PIN hash).
    inst.mkdir(CONFIG_DIR, 0o755)
    inst.mkdir(CONFIG_DIR / "keys", 0o755)
    if not kept:
        inst.write(CONFIG, installed_config(example), 0o640, f"root:{USER}")

    unit = (SOURCE / "systemd" / SERVICE).read_text(encoding="utf-8")
    inst.write(UNIT, unit, 0o644)
    uart = uart_devices(config.read_text(encoding="utf-8") if kept else "")
    if uart:
        inst.write(UART_DROPIN, uart_dropin(uart), 0o644)
    elif inst.path(UART_DROPIN).exists():
        inst.remove(UART_DROPIN)  # the config no longer names one
    if boot_to_console and desktop(inst) is not None:
        inst.run("systemctl", "set-default", "multi-user.target")
        print("qr-kiosk: the Pi now boots to the console (the desktop stays installed); reboot")
    inst.run("systemctl", "daemon-reload")
    inst.run("systemctl", "enable", SERVICE)
    # A config that does not pass would only exit 2 at start: say what to do instead.
    check = ["runuser", "-u", USER, "--", str(VENV / "bin" / "kiosk"), "check-config", str(CONFIG)]
    if start and inst.ok(*check):
        inst.run("systemctl", "restart", SERVICE)
        print(f"qr-kiosk: installed and (re)started; follow it with: journalctl -fu {SERVICE}")
    else:
        print(
            f"qr-kiosk: installed, not started. Edit {CONFIG} (or enrol: sudo {VENV}/bin/kiosk "
            f"enroll CODE --registry URL), check it with: sudo {shlex.join(check)}, then: "
            f"sudo systemctl restart {SERVICE}"
        )


def uninstall(inst: Installer, purge: bool) -> None:
    inst.run("systemctl", "disable", "--now", SERVICE)
    inst.remove(UNIT)
    if inst.path(UART_DROPIN).exists():
        inst.remove(UART_DROPIN.parent)
    inst.run("systemctl", "daemon-reload")
    inst.remove(PREFIX)
    if purge:
        # Records not yet uploaded go with the state: purge is for a kiosk leaving service.
        inst.remove(CONFIG_DIR)
        inst.remove(STATE)
        inst.run("userdel", USER)
        print("qr-kiosk: removed, with its configuration, data and user")
    else:
        print(f"qr-kiosk: removed; kept {CONFIG_DIR} and {STATE} (--purge removes them)")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="./dev install",
        description="Install (or upgrade in place) the kiosk as a systemd service.",
    )
    p.add_argument("--root", type=Path, help="lay everything under this folder; change nothing")
    p.add_argument("--uv", default=os.environ.get("UV", "uv"), help="the uv program to use")
    p.add_argument("--uninstall", action="store_true", help="remove program and unit; keep data")
    p.add_argument("--purge", action="store_true", help="with --uninstall: data and config too")
    z = p.add_mutually_exclusive_group()
    z.add_argument("--pyzbar", dest="pyzbar", action="store_true", default=None)
    z.add_argument("--no-pyzbar", dest="pyzbar", action="store_false")
    p.add_argument("--no-start", dest="start", action="store_false", help="enable, do not start")
    p.add_argument(
        "--boot-to-console",
        action="store_true",
        help="on the desktop image: boot to the console from now on, where the kiosk draws",
    )
    p.add_argument(
        "--preflight",
        action="store_true",
        help="only check that this machine can take the kiosk (./dev runs it before anything)",
    )
    args = p.parse_args(argv)
    if args.purge and not args.uninstall:
        p.error("--purge goes with --uninstall")

    root: Path | None = args.root.resolve() if args.root else None
    # First of all, before anything on the machine changes.
    why = None if args.uninstall else refusal(Installer(root), args.boot_to_console)
    if why is not None:
        print(f"./dev install: {why}", file=sys.stderr)
        return EXIT_REFUSED
    if args.preflight:
        return 0
    if root is None:
        if os.geteuid() != 0:
            print(
                "./dev install: run as root (sudo ./dev install), or try --root DIR",
                file=sys.stderr,
            )
            return 2
        if not shutil.which("apt-get") or not shutil.which("systemctl"):
            print("./dev install: needs Debian (apt-get) with systemd", file=sys.stderr)
            return 2
        if platform.machine() != "aarch64":
            print(
                f"./dev install: note: {platform.machine()} is not a Raspberry Pi", file=sys.stderr
            )
    else:
        root.mkdir(parents=True, exist_ok=True)

    inst = Installer(root, uv=args.uv)
    try:
        if args.uninstall:
            uninstall(inst, args.purge)
        else:
            install(inst, args.pyzbar, args.start, args.boot_to_console)
    except subprocess.CalledProcessError as exc:
        print(f"./dev install: failed: {shlex.join(map(str, exc.cmd))}", file=sys.stderr)
        return 1
    finally:
        inst.save_plan()
    return 0


if __name__ == "__main__":
    sys.exit(main())
