"""`kiosk export`: records as CSV in the venue's local time, safe in spreadsheets."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from checkin_protocol.records import CodeKind, Direction, Subject, SubjectKind, Verdict
from kiosk.store import NewRecord, RecordStore
from kiosk.store.export import PUBLIC
from support.cli import run_kiosk
from support.venue_records import ZONE, ZONE_NAME, add, rows

# In this process, answering as the program would. A pipe closed under the command is tested
# on the program itself (`python -m kiosk`): only a process has a real pipe to close.
kiosk = run_kiosk


def test_export_is_local_time_with_a_bom_and_public_columns(venue_db: tuple[str, float]) -> None:
    cfg, today = venue_db
    out = kiosk("export", "--config", cfg, "--since", "yesterday")
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("\ufefflocal_time,")
    got = rows(out.stdout)
    assert list(got[0]) == ["local_time", *PUBLIC]
    day = datetime.fromtimestamp(today, ZONE)
    yesterday = (day - timedelta(days=1)).strftime("%Y-%m-%d")
    assert [r["local_time"] for r in got] == [
        f"{yesterday} 23:30:00", f"{day:%Y-%m-%d} 00:01:00", f"{day:%Y-%m-%d} 00:02:00",
    ]  # fmt: skip
    assert all(r["subject"] == "pass:001122…" and r["masked_name"] == "Nguyễn V** A" for r in got)
    assert f"times in {ZONE_NAME}" in out.stderr
    everything = kiosk("export", "--config", cfg, "--no-bom", "--all-columns")
    assert everything.stdout.startswith("local_time,id,seq,")
    full = rows(everything.stdout)
    assert len(full) == 4 and full[0]["subject"] == "pass:00112233445566778899aabbccddeeff"


@pytest.mark.parametrize(
    ("since", "until", "count"),
    [("today", None, 2), ("yesterday", "yesterday", 1), (None, "yesterday", 2), ("DAY-2", None, 4)],
)
def test_export_since_and_until_are_local_days(
    venue_db: tuple[str, float], since: str | None, until: str | None, count: int
) -> None:
    cfg, today = venue_db
    day2 = datetime.fromtimestamp(today, ZONE) - timedelta(days=2)
    args = ["export", "--config", cfg]
    for name, value in (("--since", since), ("--until", until)):
        if value is not None:
            args += [name, value.replace("DAY-2", f"{day2:%Y-%m-%d}")]
    out = kiosk(*args)
    assert len(rows(out.stdout)) == count, out.stdout


@pytest.mark.parametrize("bad", ["tomorrow", "2026-13-01", "23/11/2026", "'; DROP"])
def test_export_refuses_a_bad_date_with_exit_2(venue_db: tuple[str, float], bad: str) -> None:
    out = kiosk("export", "--config", venue_db[0], "--since", bad)
    assert out.returncode == 2 and "--since" in out.stderr and "Traceback" not in out.stderr


def test_export_to_the_end_of_time_is_refused_cleanly(venue_db: tuple[str, float]) -> None:
    out = kiosk("export", "--config", venue_db[0], "--until", "9999-12-31")
    assert out.returncode == 2 and "Traceback" not in out.stderr


def test_export_until_before_since_is_refused(venue_db: tuple[str, float]) -> None:
    out = kiosk("export", "--config", venue_db[0], "--since", "today", "--until", "yesterday")
    assert out.returncode == 2 and "is not after --since" in out.stderr
    assert out.stdout == "" and "Traceback" not in out.stderr


def test_export_into_a_pipe_closed_early_is_no_error(
    write_config: Callable[..., Path], venue_dir: Path
) -> None:
    cfg = write_config()
    with RecordStore(venue_dir / "kiosk.db", min_free_mb=0) as store:
        for i in range(3000):  # more than a pipe's buffer holds
            add(store, time.time() - i)
    proc = subprocess.Popen(
        [sys.executable, "-m", "kiosk", "export", "--config", str(cfg)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.readline()
    proc.stdout.close()  # `| head -1`
    assert proc.wait(timeout=60) == 0
    assert b"Traceback" not in proc.stderr.read()


def test_export_carries_the_venue_deny_lists_note_on_the_refusals_it_caused(
    write_config: Callable[..., Path], venue_dir: Path
) -> None:
    barred, other = "00112233445566778899aabbccddeeff", "ffeeddccbbaa99887766554433221100"
    (venue_dir / "deny.yaml").write_text(
        f"- pass_id: {barred}\n  reason: 'trộm cắp 03/2026, báo bảo vệ'\n", encoding="utf-8"
    )
    cfg = write_config()
    text = cfg.read_text(encoding="utf-8")
    cfg.write_text(text.replace("subject_key: subject.key}", "deny_list: deny.yaml}"))
    now = time.time()
    with RecordStore(venue_dir / "kiosk.db", min_free_mb=0) as store:
        for i, (pass_id, verdict, reason) in enumerate(
            [(barred, "FAIL", "denied"), (other, "FAIL", "denied"), (barred, "PASS", None),
             (barred, "FAIL", "expired")]
        ):  # fmt: skip
            new = NewRecord(
                "test-venue", "k1", Direction.ENTRY, CodeKind.SIGNED_PASS,
                Subject(SubjectKind.PASS, pass_id), "Nguyễn V** A", True, Verdict(verdict), reason,
            )  # fmt: skip
            store.add(new, now=now - 60 + i, mono_ns=time.monotonic_ns())
    out = kiosk("export", "--config", str(cfg), "--since", "today")
    assert out.returncode == 0, out.stderr
    got = rows(out.stdout)
    assert list(got[0])[-1] == "staff_note"
    # Only the refusal the list caused carries its words; the record keeps the public code.
    assert [(r["reason"], r["staff_note"]) for r in got] == [
        ("denied", "trộm cắp 03/2026, báo bảo vệ"), ("denied", ""), ("", ""), ("expired", ""),
    ]  # fmt: skip
    plain = kiosk("export", "--config", str(write_config(name="plain.yaml")), "--since", "today")
    assert "staff_note" not in plain.stdout.splitlines()[0]


def test_export_opens_no_cell_as_a_formula(
    write_config: Callable[..., Path], venue_dir: Path
) -> None:
    """A name comes from a code anyone can print: `kiosk export` writes every OWASP payload as
    text (behind an apostrophe)."""
    from support.spreadsheets import PRINTABLE

    cfg = write_config()
    with RecordStore(venue_dir / "kiosk.db", min_free_mb=0) as store:
        for n, payload in enumerate(PRINTABLE):
            new = NewRecord(
                "test-venue", "k1", Direction.ENTRY, CodeKind.SIGNED_PASS,
                Subject(SubjectKind.PASS, f"{n:032x}"), payload, True, Verdict.FAIL, "expired",
            )  # fmt: skip
            store.add(new, now=time.time() - 60, mono_ns=time.monotonic_ns())
    out = kiosk("export", "--config", str(cfg), "--all-columns")
    assert out.returncode == 0, out.stderr
    got = rows(out.stdout)
    assert sorted(r["masked_name"] for r in got) == sorted("'" + p for p in PRINTABLE)
