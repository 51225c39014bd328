"""What `kiosk run` needs at start, checked by `kiosk check-config` and reported as FILE:LINE."""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

from checkin_protocol.records import CodeKind
from kiosk.config import Config, Picamera2CameraConfig, small_file
from kiosk.config.yamlfile import ConfigError, ConfigIssue, Path_, _dotted, read_yaml

# The folders `run` creates files in (the database, its WAL and SHM files, its lock)
# must let us create entries; os.access answers for this process's user, which is the point.
_WRITE = os.W_OK | os.X_OK


class _Report:
    """Issues at the line of the key they concern (or of its nearest parent in the file)."""

    def __init__(self, config_file: Path) -> None:
        self.file = str(config_file)
        try:
            self._lines = read_yaml(config_file)[1]
        except ConfigError:
            self._lines = {}
        self.issues: list[ConfigIssue] = []

    def add(self, key: Path_, message: str) -> None:
        probe = key
        while probe and probe not in self._lines:
            probe = probe[:-1]
        line = self._lines.get(probe, 1)
        self.issues.append(ConfigIssue(self.file, line, _dotted(key), message))


def _existing_ancestor(path: Path) -> Path:
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def _creatable_in(folder: Path) -> str | None:
    """Why files cannot be created in `folder` (made first if missing), or None."""
    base = _existing_ancestor(folder)
    if not base.is_dir():
        return f"{base} is not a folder"
    if not os.access(base, _WRITE):
        return f"cannot create files in {base} (no write permission)"
    return None


def _check_storage(cfg: Config, report: _Report) -> None:
    path = cfg.storage.path
    if path.exists():
        if not path.is_file():
            report.add(("storage", "path"), f"{path} is not a regular file")
        elif not os.access(path, os.R_OK | os.W_OK):
            report.add(("storage", "path"), f"cannot write {path} (no permission)")
    # SQLite in WAL mode creates -wal and -shm files next to the database.
    why = _creatable_in(path.parent)
    if why:
        report.add(("storage", "path"), why)
        return
    free_mb = shutil.disk_usage(_existing_ancestor(path.parent)).free // (1024 * 1024)
    if free_mb < cfg.storage.min_free_mb:
        report.add(
            ("storage", "min_free_mb"),
            f"only {free_mb} MB free where the database is; the kiosk would refuse to decide",
        )


def _check_keys(cfg: Config, report: _Report) -> None:
    from checkin_protocol.keys import load_public_key

    for i, key in enumerate(cfg.trust.issuer_keys):
        try:
            small_file(key)
            load_public_key(key)
        except ValueError as exc:
            report.add(("trust", "issuer_keys", i), str(exc))


def _check_replay(cfg: Config, report: _Report) -> None:
    # The camera thread opens this at start: a FIFO or a device would block or never end.
    cam = cfg.camera
    if cam.type == "replay" and not (cam.path.is_dir() or cam.path.is_file()):
        report.add(("camera", "path"), f"{cam.path} is not a folder or a regular file")


def _check_registry(cfg: Config, report: _Report) -> None:
    from checkin_protocol.keys import load_public_key

    reg = cfg.registry
    if reg is None:
        return
    try:
        if not small_file(reg.token_file).decode("utf-8").strip():
            report.add(("registry", "token_file"), f"{reg.token_file} is empty")
    except (ValueError, UnicodeDecodeError) as exc:
        report.add(("registry", "token_file"), str(exc))
    try:
        small_file(reg.list_key)
        load_public_key(reg.list_key)
    except ValueError as exc:
        report.add(("registry", "list_key"), str(exc))


def _check_camera(cfg: Config, report: _Report, dev: Path) -> None:
    cam = cfg.camera
    if cam.type == "opencv":
        device = dev / f"video{cam.device}" if isinstance(cam.device, int) else Path(cam.device)
        if not device.exists():
            report.add(("camera", "device"), f"no camera at {device}")
    elif isinstance(cam, Picamera2CameraConfig):
        try:
            from picamera2 import Picamera2
        except ImportError:
            report.add(
                ("camera", "type"), "picamera2 is not installed (apt install python3-picamera2)"
            )
            return
        found = len(Picamera2.global_camera_info())
        if cam.camera_num >= found:
            report.add(
                ("camera", "camera_num"), f"camera {cam.camera_num} not found ({found} found)"
            )


def _check_devices(cfg: Config, report: _Report, dev: Path) -> None:
    _check_camera(cfg, report, dev)
    _check_door_devices(cfg, report, dev)
    if cfg.display.mode == "fullscreen" and not any((dev / "dri").glob("card*")):
        report.add(("display", "mode"), f"full screen needs a KMS/DRM display; none in {dev}/dri")


def _check_door(cfg: Config, report: _Report) -> None:
    """The door's output shares no device with the code readers."""
    osdp = cfg.door.osdp
    if osdp is None or cfg.door.opener() != "osdp":
        return
    for reader in cfg.readers:
        device = getattr(reader, "device", None)
        if device is not None and Path(device) == Path(osdp.port):
            report.add(("door", "osdp", "port"), f"{osdp.port} is also a code reader's device")


def _check_door_devices(cfg: Config, report: _Report, dev: Path) -> None:
    opener = cfg.door.opener()
    if opener in ("relay", "wiegand") and not any(dev.glob("gpiochip*")):
        report.add(("door", opener), f"no GPIO chip in {dev} (is this a Raspberry Pi?)")
    osdp = cfg.door.osdp
    if opener == "osdp" and osdp is not None:
        port = Path(osdp.port)
        try:
            is_char = stat.S_ISCHR(port.stat().st_mode)
        except OSError:
            report.add(("door", "osdp", "port"), f"no serial device at {osdp.port}")
            return
        if not is_char:
            report.add(("door", "osdp", "port"), f"{osdp.port} is not a serial device")
        elif not os.access(port, os.R_OK | os.W_OK):
            report.add(
                ("door", "osdp", "port"),
                f"cannot open {osdp.port} (no permission; add the user to the dialout group)",
            )


def door_warnings(cfg: Config, report: _Report) -> None:
    """Door outputs set but not used, and a panel link without encryption."""
    door = cfg.door
    for name in door.unused():
        report.add(("door", name), f"warning: not used: door.output is {door.opener()}")
    if door.opener() == "osdp" and door.osdp is not None and door.osdp.scbk_file is None:
        report.add(
            ("door", "osdp"),
            "warning: no scbk_file: the panel's link is not encrypted (OSDP secure channel off)",
        )


def preflight(
    cfg: Config,
    config_file: Path,
    *,
    devices: bool = False,
    dev: Path = Path("/dev"),
    bind: bool | None = None,
) -> list[ConfigIssue]:
    """Every problem `kiosk run` would meet at start with this loaded config, as FILE:LINE issues.

    Files named by the config are read (bounded) and folders probed for write permission;
    with `devices`, the camera, GPIO chip and display named by the config must exist under `dev`.
    With `bind` (default: with `devices`), the peers' port is taken and let go again.
    """
    report = _Report(config_file)
    _check_storage(cfg, report)
    _check_keys(cfg, report)
    _check_registry(cfg, report)
    _check_replay(cfg, report)
    _check_door(cfg, report)
    if devices:
        _check_devices(cfg, report, dev)
    _check_peers(cfg, report, bind=devices if bind is None else bind)
    return report.issues


def config_warnings(cfg: Config, config_file: Path, now: float) -> list[ConfigIssue]:
    """What `run` starts with but the admin should hear of: DSCs it cannot use (skipped),
    trusted DSCs past their validity, which verify no certificate (they load, as `kiosk scan
    --at` may judge an earlier time), and categories no pass is likely to carry."""
    import datetime as dt

    from checkin_protocol.dcc_trust import DccTrust, DccTrustError

    report = _Report(config_file)
    _unknown_categories(cfg, report)
    door_warnings(cfg, report)
    usable = 0
    for i, path in enumerate(cfg.trust.dcc_signers):
        try:
            dscs, skipped = DccTrust().add_usable(path, now=0)
        except (DccTrustError, OSError):
            continue  # loading the config reported it
        usable += len(dscs)
        for problem in skipped:
            report.add(
                ("trust", "dcc_signers", i),
                f"warning: {problem}; skipped, the other DSCs are used",
            )
        for dsc in dscs:
            if dsc.not_after < now:
                when = dt.datetime.fromtimestamp(dsc.not_after, dt.UTC).date().isoformat()
                report.add(
                    ("trust", "dcc_signers", i),
                    f"warning: DSC {dsc.kid.hex()} in {path} expired on {when}; "
                    "it verifies no certificate",
                )
    # The registry's trust list may bring DSCs; without one, none usable refuses every DCC.
    admits_dcc = CodeKind.DCC in cfg.policy.admit_kinds
    if admits_dcc and cfg.trust.dcc_signers and not usable and cfg.registry is None:
        report.add(
            ("trust", "dcc_signers"),
            "warning: no DSC can be used: every DCC will be refused (unknown issuer)",
        )
    return report.issues


def _unknown_categories(cfg: Config, report: _Report) -> None:
    """A category the screen has no name for is most likely misspelt (`vistor`): passes of
    the category meant would all be refused. Categories are the issuer's, so only warned of."""
    import difflib

    from kiosk.display.messages import keys

    known = [k.removeprefix("category.") for k in keys() if k.startswith("category.")]
    for i, category in enumerate(cfg.policy.admit_categories or []):
        if category in known:
            continue
        close = difflib.get_close_matches(category, known, n=1, cutoff=0.6)
        hint = f"; did you mean {close[0]}?" if close else ""
        report.add(
            ("policy", "admit_categories", i),
            f"warning: {category!r} is not a category the kiosk knows ({', '.join(known)}): "
            f"only passes issued with exactly this category are admitted{hint}",
        )


def _check_peers(cfg: Config, report: _Report, *, bind: bool) -> None:
    """The peers' addresses resolve, in the listening address's family, and (with `bind`) the
    port can be taken. `check-config` binds; `run`'s own start does not: a kiosk still
    stopping may hold the port, and exit 2 (not retried by systemd) would be wrong then —
    the peers thread logs it once and retries."""
    import socket

    from kiosk.config import split_host_port

    if cfg.peers is None:
        return
    host, port = split_host_port(cfg.peers.listen)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    for i, address in enumerate(cfg.peers.addresses):
        peer_host, peer_port = split_host_port(address)
        try:
            socket.getaddrinfo(peer_host, peer_port, family, socket.SOCK_DGRAM)
        except (OSError, UnicodeError) as exc:
            why = getattr(exc, "strerror", None) or exc
            report.add(("peers", "addresses", i), f"cannot resolve {address}: {why}")
    if not bind:
        return
    try:
        with socket.socket(family, socket.SOCK_DGRAM) as sock:
            sock.bind((host, port))
    except (OSError, OverflowError, UnicodeError) as exc:
        why = getattr(exc, "strerror", None) or exc
        report.add(("peers", "listen"), f"cannot listen on {cfg.peers.listen}: {why}")


def check_config(config_file: Path, *, devices: bool = False) -> list[ConfigIssue]:
    """Load the config and run the preflight: every issue, or [] when `run` can start."""
    from kiosk.config import load_config

    try:
        cfg = load_config(config_file)
    except ConfigError as exc:
        return list(exc.issues)
    return preflight(cfg, config_file, devices=devices)
