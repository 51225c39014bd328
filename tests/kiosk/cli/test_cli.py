"""The `kiosk` command line, run as a user would run it."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import pytest

from kiosk.camera.scenes import Pose, frame, qr_image
from kiosk.cli import main
from kiosk.decode.zxing import ZxingDecoder
from support.cli import run_kiosk, run_kiosk_process

# In this process: a second of start-up saved per command. `kiosk run` and `kiosk scan` (whose
# output goes to the stdout of when kiosk.cli.scan was imported) are run as the program.
kiosk = run_kiosk


def test_keygen_and_issue(tmp_path: Path) -> None:
    out = kiosk("pass", "keygen", "--out", str(tmp_path / "keys"))
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "keys" / "issuer.key").stat().st_mode & 0o777 == 0o600
    assert out.stdout.startswith("key id ") and len(out.stdout.split()[2]) == 16
    again = kiosk("pass", "keygen", "--out", str(tmp_path / "keys"))
    assert again.returncode == 1 and "refusing to overwrite" in again.stderr

    png = tmp_path / "pass.png"
    issued = kiosk(
        "pass", "issue", "--key", str(tmp_path / "keys" / "issuer.key"), "--name", "Nguyễn Văn An",
        "--birth-year", "1990", "--category", "staff", "--declared-at", "2026-11-20T08:00:00+07:00",
        "--valid-for", "30d", "--png", str(png),
    )  # fmt: skip
    assert issued.returncode == 0, issued.stderr
    text = issued.stdout.strip()
    assert text.startswith("KP1:")
    img = cv2.imread(str(png), cv2.IMREAD_GRAYSCALE)
    assert img is not None
    assert [s.payload.decode() for s in ZxingDecoder().decode(np.asarray(img, np.uint8))] == [text]


def test_issue_refuses_an_empty_validity(tmp_path: Path) -> None:
    kiosk("pass", "keygen", "--out", str(tmp_path))
    bad = kiosk(
        "pass", "issue", "--key", str(tmp_path / "issuer.key"), "--name", "A B",
        "--valid-from", "2030-01-01", "--valid-until", "2029-01-01",
    )  # fmt: skip
    assert bad.returncode == 2 and "expire before" in bad.stderr


def test_scan_prints_payloads_and_decisions(
    write_config: Callable[..., Path], venue_dir: Path, make_pass: Callable[..., str]
) -> None:
    text = make_pass(birth_year=1990)
    cv2.imwrite(str(venue_dir / "pass.png"), frame(qr_image(text), Pose(angle=15), seed=1))
    cv2.imwrite(str(venue_dir / "menu.png"), frame(qr_image("https://example.com/menu"), seed=2))
    cv2.imwrite(str(venue_dir / "empty.png"), frame(None, seed=3))
    (venue_dir / "broken.png").write_bytes(b"not an image")
    glare = frame(qr_image(text), Pose(), seed=1).astype("float32")
    yy, xx = np.mgrid[0:480, 0:640]
    glare += np.exp(-((xx - 330) ** 2 + (yy - 230) ** 2) / (2 * 45**2)) * 400
    cv2.imwrite(str(venue_dir / "glare.png"), np.clip(glare, 0, 255).astype("uint8"))
    images = [str(venue_dir / f"{n}.png") for n in ("pass", "menu", "empty", "broken", "glare")]
    out = run_kiosk("scan", "--config", str(write_config()), "--json", *images)
    assert out.returncode == 1  # some inputs FAILed
    lines = [json.loads(line) for line in out.stdout.splitlines()]
    assert [(line["verdict"], line["reason"]) for line in lines] == [
        ("PASS", None), ("FAIL", "not_personal_code"), ("FAIL", "no_code"),
        ("FAIL", "unreadable_image"), ("FAIL", "no_code"),
    ]  # fmt: skip
    code = lines[0]["codes"][0]
    assert code["code_kind"] == "signed_pass" and code["verified"]
    assert code["masked_name"] == "Nguyễn V** A" and code["birth_year"] == 1990
    assert "text" not in code  # a personal code's content is never echoed
    assert code["expires"].endswith("Z") and lines[0]["at"].endswith("Z")  # ISO, not epoch
    assert lines[1]["codes"][0]["text"] == "https://example.com/menu"
    assert lines[2]["error"] == "no QR code found" and lines[2]["decode_ms"] > 0
    assert lines[3]["error"] == "cannot read image"
    assert lines[4]["unread"][0]["hint"] == "help.glare"
    human = run_kiosk_process("scan", "--config", str(write_config()), *images)
    assert human.returncode == 1
    said = human.stdout.splitlines()
    assert said[0].startswith(f"{images[0]}: PASS signed_pass Nguyễn V** A, born 1990")
    assert said[2] == f"{images[2]}: FAIL — no QR code found"
    assert "tilt your phone" in said[4]
    assert not (venue_dir / "kiosk.db").exists()  # scan records nothing


def test_status_and_export_after_a_run(
    write_config: Callable[..., Path], venue_dir: Path, make_pass: Callable[..., str]
) -> None:
    # Each code in view for several frames, as at a real door; played in lockstep, so every
    # frame is decided however busy the machine is.
    for i, payload in enumerate([make_pass(), None, "=cmd|' /C calc'!A0", None]):
        for j in range(4):
            img = frame(qr_image(payload) if payload else None, seed=10 * i + j)
            cv2.imwrite(str(venue_dir / "frames" / f"{4 * i + j:02d}.png"), img)
    cfg = str(
        write_config(camera="{type: replay, path: frames, fps: 25, loop: false, pace: lockstep}")
    )
    assert run_kiosk_process("run", "--config", cfg).returncode == 0
    status = kiosk("status", "--config", cfg, "--json")
    st = json.loads(status.stdout)
    assert st["records"] == 2 and st["queued"] == 2 and st["last_decision"]["verdict"] == "FAIL"
    human = kiosk("status", "--config", cfg)
    assert "today           entries 1 / exits 0 / refused 1" in human.stdout
    assert "no registry configured" in human.stdout
    # Retention is one setting, shown as the kiosk keeps by it.
    assert st["retention_days"] == 21 and "retention       21 days" in human.stdout
    exported = kiosk("export", "--config", cfg, "--since", "2000-01-01")
    rows = list(csv.DictReader(io.StringIO(exported.stdout.removeprefix("\ufeff"))))
    assert [r["verdict"] for r in rows] == ["PASS", "FAIL"]
    assert "2 records" in exported.stderr
    none = kiosk("export", "--config", cfg, "--until", "2000-01-01")
    assert none.stdout.strip().count("\n") == 0  # header only


def test_usage_errors_exit_2() -> None:
    assert kiosk("export").returncode == 2
    assert kiosk("pass", "issue", "--key", "k", "--name", "A", "--valid-for", "30").returncode == 2


def test_the_program_exits_2_on_a_usage_error_as_the_in_process_runs_say() -> None:
    # The process-level check: `python -m kiosk` itself, and the in-process runner the other
    # tests use answering exactly as it does.
    program = run_kiosk_process("pass", "issue", "--key", "k", "--name", "A", "--valid-for", "30")
    assert program.returncode == 2 and "--valid-for" in program.stderr
    in_process = run_kiosk("pass", "issue", "--key", "k", "--name", "A", "--valid-for", "30")
    assert (in_process.returncode, in_process.stdout, in_process.stderr) == (
        program.returncode, program.stdout, program.stderr,
    )  # fmt: skip


def test_in_process_main_reports_config_errors(tmp_path: Path) -> None:
    missing = tmp_path / "none.yaml"
    with pytest.raises(SystemExit) as exc:
        main(["check-config", str(missing)])
    assert exc.value.code == 2


def test_run_runs_the_preflight_and_exits_2_with_file_line(
    write_config: Callable[..., Path], venue_dir: Path
) -> None:
    # The unit has no ExecStartPre: `run` itself refuses what check-config would.
    os.mkfifo(venue_dir / "pipe")  # loads as a path; the camera thread would block on it
    path = write_config(camera="{type: replay, path: pipe, fps: 25, loop: false}")
    run = run_kiosk_process("run", "--config", str(path))
    check = kiosk("check-config", str(path))
    assert run.returncode == check.returncode == 2
    assert run.stderr.startswith(f"{path}:3: camera.path: ")
    assert run.stderr == check.stderr


def test_enroll_is_a_command() -> None:
    with pytest.raises(SystemExit) as exc:
        main(["enroll", "--help"])
    assert exc.value.code == 0


def test_camera_check_prints_the_read_rate_of_a_held_code(
    write_config: Callable[..., Path], venue_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = qr_image("held up to the camera")
    for i in range(12):  # held for 9 frames of 12, then taken away
        img = frame(code if i < 9 else None, Pose(angle=3 * i), seed=i)
        cv2.imwrite(str(venue_dir / "frames" / f"{i:03d}.png"), img)
    path = write_config(camera="{type: replay, path: frames, fps: 25, loop: false, pace: lockstep}")
    assert main(["camera-check", "--config", str(path), "--seconds", "60"]) == 0
    out = capsys.readouterr().out
    assert "12 frames in" in out and "code read in 9 (75 %)" in out


def test_camera_check_without_a_camera_fails(
    write_config: Callable[..., Path], venue_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_config(camera="{type: replay, path: frames, fps: 25, loop: false}")
    assert not any((venue_dir / "frames").iterdir())
    # An empty folder: a camera that opens on nothing.
    assert main(["camera-check", "--config", str(path), "--seconds", "1"]) == 1
    assert "no frames" in capsys.readouterr().err


def test_importing_the_whole_kiosk_prints_nothing_on_stdout() -> None:
    # Commands whose stdout is data (export's CSV, status --json) may import the display code
    # (through kiosk.app.kiosk): pygame's banner must not become the first line of that data.
    env = {k: v for k, v in os.environ.items() if k != "PYGAME_HIDE_SUPPORT_PROMPT"}
    done = subprocess.run(
        [sys.executable, "-c", "import kiosk.display.icons, kiosk.app.kiosk"],
        capture_output=True, text=True, env=env, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""
