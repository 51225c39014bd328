"""kiosk.cli.preflight: what `kiosk run` needs at start, reported at the config's FILE:LINE."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from checkin_protocol.keys import generate_key, write_public_key
from kiosk.cli.preflight import check_config, preflight
from kiosk.config import load_config


def issues(path: Path, **kw: object) -> list[str]:
    return [str(i) for i in preflight(load_config(path), path, **kw)]  # type: ignore[arg-type]


def test_a_good_config_has_no_issues(write_config: Callable[..., Path]) -> None:
    assert issues(write_config()) == []
    assert check_config(write_config()) == []


def test_load_errors_come_back_as_issues(write_config: Callable[..., Path]) -> None:
    path = write_config("log_level: loud\n")
    (issue,) = check_config(path)
    assert (issue.file, issue.line, issue.key) == (str(path), 7, "log_level")


def test_storage_folder_must_be_creatable(
    write_config: Callable[..., Path], venue_dir: Path
) -> None:
    (venue_dir / "plain").write_text("x")
    path = write_config()
    path.write_text(path.read_text().replace("path: kiosk.db", "path: plain/sub/kiosk.db"))
    found = issues(path)
    assert found == [f"{path}:6: storage.path: {venue_dir / 'plain'} is not a folder"]


def test_storage_folder_that_does_not_exist_yet_is_fine(
    write_config: Callable[..., Path],
) -> None:
    path = write_config()
    path.write_text(path.read_text().replace("path: kiosk.db", "path: new/deeper/kiosk.db"))
    assert issues(path) == []


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write anywhere")
def test_read_only_storage_folder(write_config: Callable[..., Path], venue_dir: Path) -> None:
    ro = venue_dir / "ro"
    ro.mkdir(mode=0o555)
    path = write_config()
    path.write_text(path.read_text().replace("path: kiosk.db", "path: ro/kiosk.db"))
    assert any(":6: storage.path: cannot create files in" in i for i in issues(path))


def test_storage_free_space(write_config: Callable[..., Path]) -> None:
    path = write_config("")
    path.write_text(
        path.read_text().replace("path: kiosk.db}", "path: kiosk.db, min_free_mb: 100000}")
    )
    free = issues(path)
    # Only a disk with 100 GB free passes; either way no other issue is reported.
    assert all(":6: storage.min_free_mb: only " in i for i in free)


def test_key_files_changed_after_loading(
    write_config: Callable[..., Path], venue_dir: Path
) -> None:
    path = write_config()
    cfg = load_config(path)
    (venue_dir / "issuer.pub").unlink()
    os.mkfifo(venue_dir / "issuer.pub")  # must not block
    found = [str(i) for i in preflight(cfg, path)]
    assert any(i.startswith(f"{path}:5: trust.issuer_keys[0]: ") for i in found), found
    assert any("not a regular file" in i for i in found), found


def test_registry_token_and_list_key(write_config: Callable[..., Path], venue_dir: Path) -> None:
    token = venue_dir / "token"
    token.write_text("secret\n")
    token.chmod(0o600)
    write_public_key(venue_dir / "lists.pub", generate_key().public_key())
    path = write_config(
        "registry:\n  url: http://registry.local\n  token_file: token\n  list_key: lists.pub\n"
    )
    cfg = load_config(path)
    assert preflight(cfg, path) == []
    token.write_text("  \n")
    (venue_dir / "lists.pub").write_text("garbage")
    found = [str(i) for i in preflight(cfg, path)]
    assert f"{path}:9: registry.token_file: {token} is empty" in found
    assert any(i.startswith(f"{path}:10: registry.list_key: ") for i in found), found


def test_devices(
    write_config: Callable[..., Path], tmp_path_factory: pytest.TempPathFactory
) -> None:
    dev = tmp_path_factory.mktemp("dev")
    path = write_config("door: {relay: {pin: 17}}\n", camera="{type: opencv, device: 2}")
    path.write_text(path.read_text().replace("mode: headless", "mode: fullscreen"))
    found = issues(path, devices=True, dev=dev)
    assert f"{path}:3: camera.device: no camera at {dev / 'video2'}" in found
    assert any(i.startswith(f"{path}:7: door.relay: no GPIO chip") for i in found), found
    assert any(i.startswith(f"{path}:4: display.mode: full screen needs") for i in found), found
    assert issues(path) == []  # without --devices none of this is looked at
    for name in ("video2", "gpiochip0", "dri/card0"):
        (dev / name).parent.mkdir(exist_ok=True)
        (dev / name).touch()
    assert issues(path, devices=True, dev=dev) == []


def test_picamera2_device(write_config: Callable[..., Path], tmp_path: Path) -> None:
    path = write_config(camera="{type: picamera2, camera_num: 1}")
    found = issues(path, devices=True, dev=tmp_path)
    try:
        import picamera2  # noqa: F401
    except ImportError:
        assert any(":3: camera.type: picamera2 is not installed" in i for i in found), found


def test_replay_path_that_is_a_fifo(write_config: Callable[..., Path], venue_dir: Path) -> None:
    os.mkfifo(venue_dir / "pipe")
    path = write_config(camera="{type: replay, path: pipe}")
    # Refused as the config loads, before the preflight (which would refuse it too).
    assert [str(i) for i in check_config(path)] == [
        f"{path}:3: camera.path: {venue_dir / 'pipe'} is not a folder or a regular file"
    ]
