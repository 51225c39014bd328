"""The venue admin's commands: export, status, pass issue, guard hash-pin, help."""

from __future__ import annotations

import argparse
import contextlib
import csv
import io
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import cv2
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from checkin_protocol import __version__
from checkin_protocol.keys import generate_key, write_private_key, write_public_key
from checkin_protocol.records import CodeKind, Direction, Subject, SubjectKind, Verdict
from kiosk.cli import build_parser, main
from kiosk.decode.zxing import ZxingDecoder
from kiosk.store import NewRecord, RecordStore
from kiosk.store.export import PUBLIC
from support.cli import run_kiosk
from support.doors import NOON

# "today" and "yesterday" stay the same days for the whole run, whenever it runs.
ZONE_NAME = NOON
ZONE = ZoneInfo(ZONE_NAME)


# In this process, answering as the program would. A pipe closed under the command is tested
# on the program itself (`python -m kiosk` below): only a process has a real pipe to close.
kiosk = run_kiosk


def add(store: RecordStore, at: float, verdict: str = "PASS", direction: str = "entry") -> None:
    new = NewRecord(
        "test-venue", "k1", Direction(direction), CodeKind.SIGNED_PASS,
        Subject(SubjectKind.PASS, "00112233445566778899aabbccddeeff"), "Nguyễn V** A", True,
        Verdict(verdict), None if verdict == "PASS" else "expired",
    )  # fmt: skip
    store.add(new, now=at, mono_ns=time.monotonic_ns())


@pytest.fixture
def venue_db(write_config: Callable[..., Path], venue_dir: Path) -> tuple[str, float]:
    """A config and a database with records yesterday, today, and two days ago (local)."""
    cfg = write_config()
    text = cfg.read_text(encoding="utf-8")
    cfg.write_text(text.replace("name: Test Venue}", f"name: Test Venue, timezone: {ZONE_NAME}}}"))
    midnight = datetime.now(ZONE).replace(hour=0, minute=0, second=0, microsecond=0)
    today = midnight.timestamp()
    with RecordStore(venue_dir / "kiosk.db", min_free_mb=0) as store:
        add(store, (midnight - timedelta(days=2)).timestamp() + 3600)
        add(store, today - 1800)  # yesterday 23:30
        add(store, today + 60, "FAIL")
        add(store, today + 120, "PASS", "exit")
    return str(cfg), today


@pytest.fixture
def unreachable_registry(
    write_config: Callable[..., Path], venue_dir: Path, venue_db: tuple[str, float]
) -> Path:
    """The venue's kiosk (with its records) configured for a registry nobody answers at."""
    write_public_key(venue_dir / "lists.pub", generate_key().public_key())
    (venue_dir / "kiosk.token").write_text("t" * 40)
    (venue_dir / "kiosk.token").chmod(0o600)
    return write_config(
        "registry: {url: 'http://127.0.0.1:9', token_file: kiosk.token, list_key: lists.pub}\n",
        name="with-registry.yaml",
    )


def rows(out: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(out.removeprefix("\ufeff"))))


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


def test_status_today_line_local_times_and_no_registry(venue_db: tuple[str, float]) -> None:
    cfg, today = venue_db
    out = kiosk("status", "--config", cfg)
    assert out.returncode == 0, out.stderr
    assert "today           entries 0 / exits 1 / refused 1" in out.stdout
    assert "registry        no registry configured" in out.stdout
    assert "queued for sync" not in out.stdout
    day = datetime.fromtimestamp(today, ZONE)
    assert f"last decision   {day:%Y-%m-%d} 00:02:00 PASS signed_pass" in out.stdout


def test_status_with_a_registry(unreachable_registry: Path) -> None:
    cfg = unreachable_registry
    out = kiosk("status", "--config", str(cfg))
    assert "registry        http://127.0.0.1:9" in out.stdout
    assert "queued for sync 4" in out.stdout and "oldest unsynced " in out.stdout


def test_status_never_creates_a_database(
    write_config: Callable[..., Path], venue_dir: Path
) -> None:
    out = kiosk("status", "--config", str(write_config()))
    assert out.returncode == 1 and "no database at" in out.stderr
    assert not (venue_dir / "kiosk.db").exists()
    assert kiosk("export", "--config", str(write_config())).returncode == 1
    assert not (venue_dir / "kiosk.db").exists()


def test_status_and_export_never_touch_a_database_that_is_not_a_kiosks(
    write_config: Callable[..., Path], venue_dir: Path
) -> None:
    import hashlib
    import sqlite3

    other = venue_dir / "kiosk.db"  # storage.path points at someone else's database
    with contextlib.closing(sqlite3.connect(other)) as db:
        db.execute("CREATE TABLE t (x)")
        db.commit()
    before = hashlib.sha256(other.read_bytes()).hexdigest()
    cfg = str(write_config())
    for args in (["status", "--config", cfg], ["export", "--config", cfg]):
        out = kiosk(*args)
        assert out.returncode == 1 and "not a kiosk's database" in out.stderr, out.stderr
        assert "Traceback" not in out.stderr and out.stdout == ""
    assert hashlib.sha256(other.read_bytes()).hexdigest() == before
    with contextlib.closing(sqlite3.connect(other)) as db:
        assert [r[0] for r in db.execute("SELECT name FROM sqlite_master")] == ["t"]
    other.write_bytes(b"hello")  # not SQLite at all
    out = kiosk("status", "--config", cfg)
    assert out.returncode == 1 and "not a database" in out.stderr and "Traceback" not in out.stderr


def test_status_into_a_closed_pipe_is_no_error(venue_db: tuple[str, float]) -> None:
    read, write = os.pipe()
    os.close(read)  # `| head -2` that has already read its lines and gone
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "kiosk", "status", "--config", venue_db[0]],
            stdout=write, stderr=subprocess.PIPE, timeout=60,
        )  # fmt: skip
    finally:
        os.close(write)
    assert proc.returncode == 0 and proc.stderr == b""


def test_status_says_how_old_the_venue_count_is_and_when_the_door_calls_it_stale(
    unreachable_registry: Path, venue_dir: Path
) -> None:
    from kiosk.decision.occupancy import Snapshot, save_snapshot

    cfg = unreachable_registry
    now = time.time()
    for received, stale in ((now - 10, False), (now - 3 * 3600, True)):
        with RecordStore(venue_dir / "kiosk.db", min_free_mb=0) as store:
            save_snapshot(store, Snapshot(7, received - 1, received))
        out = kiosk("status", "--config", str(cfg))
        line = next(x for x in out.stdout.splitlines() if x.startswith("venue inside"))
        assert line.startswith("venue inside    7 (registry, ") and "received " in line
        assert ("STALE" in line) == stale, line
        assert ("3 h ago" in line) == stale, line
        status = json.loads(kiosk("status", "--config", str(cfg), "--json").stdout)
        assert status["venue_inside"]["stale"] is stale


def test_export_until_before_since_is_refused(venue_db: tuple[str, float]) -> None:
    out = kiosk("export", "--config", venue_db[0], "--since", "today", "--until", "yesterday")
    assert out.returncode == 2 and "is not after --since" in out.stderr
    assert out.stdout == "" and "Traceback" not in out.stderr


# ------------------------------------------------------------------ hash-pin


@pytest.fixture
def terminal(monkeypatch: pytest.MonkeyPatch) -> Callable[..., None]:
    """Make stdin a terminal that answers the prompts with `answers`."""

    def answer(*answers: str) -> None:
        replies = iter(answers)
        monkeypatch.setattr(sys.stdin, "isatty", lambda: True)
        monkeypatch.setattr("getpass.getpass", lambda prompt="": next(replies))

    return answer


def test_hash_pin_asks_twice_and_says_where_the_hash_goes(
    terminal: Callable[..., None], capsys: pytest.CaptureFixture[str]
) -> None:
    from kiosk.display.guard import verify_pin

    terminal("4711", "4711")
    assert main(["guard", "hash-pin"]) == 0
    out = capsys.readouterr()
    assert verify_pin("4711", out.out.strip())
    assert "guard:" in out.err and "pin_hash:" in out.err and "venue config" in out.err


def test_hash_pin_refuses_two_different_pins(
    terminal: Callable[..., None], capsys: pytest.CaptureFixture[str]
) -> None:
    terminal("4711", "4712")
    assert main(["guard", "hash-pin"]) == 2
    out = capsys.readouterr()
    assert out.out == "" and "differ" in out.err


@pytest.mark.parametrize(
    ("stdin", "status"),
    [("1234\n", 0), ("1234\n1234\n", 0), ("1234\n9999\n", 2), ("12\n", 2), ("", 2)],
)
def test_hash_pin_from_a_pipe(stdin: str, status: int) -> None:
    out = kiosk("guard", "hash-pin", stdin=stdin)
    assert out.returncode == status, out.stderr
    assert out.stdout.startswith("pbkdf2_sha256$") == (status == 0)


@given(
    pin=st.one_of(
        st.text(alphabet=st.characters(categories=["Nd"]), min_size=4, max_size=8).filter(
            lambda t: not t.isascii()
        ),  # fullwidth, Arabic-Indic, … digits: no keypad types them
        st.text(alphabet="0123456789", max_size=3),
        st.text(alphabet="0123456789", min_size=9, max_size=20),
        st.text(alphabet="0123456789abc -", min_size=4, max_size=8).filter(
            lambda t: not t.isdigit()
        ),
    )
)
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_hash_pin_takes_4_to_8_ascii_digits_only(
    pin: str, terminal: Callable[..., None], capsys: pytest.CaptureFixture[str]
) -> None:
    terminal(pin, pin)
    assert main(["guard", "hash-pin"]) == 2
    out = capsys.readouterr()
    assert out.out == "" and "4 to 8 digits 0-9" in out.err


def test_hash_pin_length_follows_max_digits_or_the_config(
    terminal: Callable[..., None],
    capsys: pytest.CaptureFixture[str],
    write_config: Callable[..., Path],
) -> None:
    terminal("1234567890", "1234567890")
    assert main(["guard", "hash-pin", "--max-digits", "10"]) == 0
    terminal("1234567890", "1234567890")
    assert (
        main(["guard", "hash-pin", "--config", str(write_config("guard: {max_pin_digits: 6}\n"))])
        == 2
    )
    assert "4 to 6 digits" in capsys.readouterr().err


# ------------------------------------------------------------------ help and version


def _actions(parser: argparse.ArgumentParser, path: str) -> Iterator[tuple[str, argparse.Action]]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {a.dest: a.help for a in action._choices_actions}
            for name, sub in action.choices.items():
                assert helps.get(name), f"{path} {name}: no help"
                # What `kiosk COMMAND --help` says first: what the command does.
                assert sub.description, f"{path} {name}: no description"
                yield from _actions(sub, f"{path} {name}")
        else:
            yield path, action


def test_every_command_has_a_description_in_its_help(capsys: pytest.CaptureFixture[str]) -> None:
    paths = {p for p, _ in _actions(build_parser(), "kiosk")}
    assert {"kiosk status", "kiosk scan", "kiosk pass keygen", "kiosk guard hash-pin"} <= paths
    for path in sorted(paths - {"kiosk"}):
        parser = build_parser()
        with pytest.raises(SystemExit):
            parser.parse_args([*path.split()[1:], "--help"])
        _, _, rest = capsys.readouterr().out.partition("\n\n")
        assert rest.strip() and not rest.startswith(("positional", "options")), path


def test_every_command_and_option_has_help_text() -> None:
    missing = [
        f"{path}: {action.option_strings or action.dest}"
        for path, action in _actions(build_parser(), "kiosk")
        # `kiosk scan` is another helper's (dcc) to document.
        if not action.help and not path.startswith("kiosk scan")
    ]
    assert missing == []


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0 and capsys.readouterr().out.strip() == f"kiosk {__version__}"


# ------------------------------------------------------------------ pass issue


@pytest.fixture(scope="module")
def issuer(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("issuer") / "issuer.key"
    write_private_key(path, generate_key())
    return path


def issue(issuer: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return kiosk("pass", "issue", "--key", str(issuer), *args)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--name", "   "], "--name: a name is needed"),
        (["--name", "\u200b\u200b"], "--name: "),
        (["--name", "A B", "--category", "vip"], "--category: unknown 'vip'; known: contractor"),
        (["--name", "A B", "--birth-year", "1850"], "--birth-year: not a plausible birth year"),
        (["--name", "A B", "--birth-year", "2999"], "--birth-year: not a plausible birth year"),
        (["--csv", "x.csv"], "--csv writes a PDF"),
        ([], "give --name, or --csv"),
        (["--name", "A B", "--valid-for", "0s"], "--valid-for: a pass must be valid for some"),
        (["--name", "A B", "--issuer", ""], "--issuer: an issuer name is needed"),
        (["--name", "A B", "--issuer", "  "], "--issuer: an issuer name is needed"),
        (["--name", "A B", "--issuer", "a\x07b"], "--issuer: control or invisible"),
        (["--name", "A B", "--issuer", "a\u200bb"], "--issuer: control or invisible"),
        (["--name", "A B", "--issuer", "x" * 65], "--issuer: longer than 64 characters"),
    ],
)
def test_issue_refuses_bad_input_before_signing(
    issuer: Path, args: list[str], message: str
) -> None:
    out = issue(issuer, *args)
    assert out.returncode == 2 and message in out.stderr, out.stderr
    assert out.stdout == "" and "Traceback" not in out.stderr


def test_issue_warns_of_a_validity_in_the_past(issuer: Path) -> None:
    out = issue(
        issuer, "--name", "Nguyễn Văn An", "--valid-from", "2020-01-01", "--valid-until",
        "2020-02-01",
    )  # fmt: skip
    assert out.returncode == 0 and out.stdout.startswith("KP1:")
    assert "warning:" in out.stderr and "no longer valid" in out.stderr


def test_issue_a_date_alone_is_valid_all_that_day_and_odd_dates_are_warned_of(
    issuer: Path,
) -> None:
    from checkin_protocol.keys import TrustStore, load_private_key
    from checkin_protocol.kp1 import verify_pass

    out = issue(
        issuer, "--name", "Nguyễn Văn An", "--timezone", "Etc/GMT-7", "--issuer", "Tòa nhà HQ",
        "--valid-until", "2099-01-01", "--declared-at", "2098-11-30",
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    claims = verify_pass(out.stdout.strip(), TrustStore([load_private_key(issuer).public_key()]))
    assert claims.expires_at == datetime(2099, 1, 2, tzinfo=ZoneInfo("Etc/GMT-7")).timestamp()
    assert "more than 2 years" in out.stderr and "dated in the future" in out.stderr


@pytest.mark.parametrize("where", ["missing/badge.png", "folder"])
def test_issue_fails_cleanly_on_a_bad_path(issuer: Path, tmp_path: Path, where: str) -> None:
    (tmp_path / "folder").mkdir()
    out = issue(issuer, "--name", "Nguyễn Văn An", "--png", str(tmp_path / where))
    assert out.returncode == 1 and str(tmp_path / where) in out.stderr
    assert out.stdout == "" and "Traceback" not in out.stderr  # nothing signed


def test_issue_writes_a_printable_badge(issuer: Path, tmp_path: Path) -> None:
    png = tmp_path / "badge.png"
    out = issue(issuer, "--name", "Nguyễn Văn An", "--category", "staff", "--png", str(png))
    assert out.returncode == 0, out.stderr
    img = cv2.imread(str(png), cv2.IMREAD_GRAYSCALE)
    assert img.shape == (638, 1011)  # 85.6 × 54 mm at 300 dpi: a badge holder's card
    decoded = ZxingDecoder().decode(np.asarray(img, np.uint8))
    assert [s.payload.decode() for s in decoded] == [out.stdout.strip()]


def test_issue_many_from_csv_onto_a4(issuer: Path, tmp_path: Path) -> None:
    sheet = tmp_path / "people.csv"
    lines = ["name,birth_year,category,valid_until"]
    lines += [f"Nguyễn Văn {i},{1960 + i},visitor,2099-01-01" for i in range(12)]
    sheet.write_text("\ufeff" + "\n".join(lines) + "\n", encoding="utf-8")  # as Excel saves it
    pdf = tmp_path / "badges.pdf"
    out = issue(issuer, "--csv", str(sheet), "--pdf", str(pdf))
    assert out.returncode == 0, out.stderr
    texts = out.stdout.splitlines()
    assert len(texts) == 12 and "12 badges on 2 A4 pages" in out.stderr
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm (poppler-utils) is not installed: the PDF is not decoded")
    subprocess.run(
        ["pdftoppm", "-r", "200", "-f", "1", "-l", "1", "-png", "-gray", str(pdf),
         str(tmp_path / "page")], check=True, timeout=60,
    )  # fmt: skip
    page = cv2.imread(str(next(tmp_path.glob("page*.png"))), cv2.IMREAD_GRAYSCALE)
    found = {s.payload.decode() for s in ZxingDecoder().decode(np.asarray(page, np.uint8))}
    assert texts[0] in found


def test_issue_one_from_a_semicolon_csv_says_1_badge_on_1_page(
    issuer: Path, tmp_path: Path
) -> None:
    sheet = tmp_path / "people.csv"
    sheet.write_text(" Name ;Birth_Year;CATEGORY\nNguyễn Văn An;1990;staff\n", encoding="utf-8")
    out = issue(issuer, "--csv", str(sheet), "--pdf", str(tmp_path / "b.pdf"))
    assert out.returncode == 0, out.stderr
    assert "1 badge on 1 A4 page:" in out.stderr and len(out.stdout.splitlines()) == 1


def test_sync_with_a_registry_out_of_reach_says_why(unreachable_registry: Path) -> None:
    cfg = unreachable_registry
    out = kiosk("sync", "--config", str(cfg), "--timeout", "1")
    assert out.returncode == 1
    last = out.stderr.strip().splitlines()[-1]
    assert last.startswith("sync incomplete: registry unavailable: ") and "refused" in last
    assert last.endswith("; 4 records still queued") and "not started" not in last


def test_issue_csv_problems_are_listed_by_line_and_nothing_is_written(
    issuer: Path, tmp_path: Path
) -> None:
    sheet = tmp_path / "people.csv"
    sheet.write_text(
        "name,birth_year,category\nNguyễn Văn An,1990,staff\n,1990,\nB C,18x,\nD E,1990,vip\n",
        encoding="utf-8",
    )
    pdf = tmp_path / "badges.pdf"
    out = issue(issuer, "--csv", str(sheet), "--pdf", str(pdf))
    assert out.returncode == 2 and out.stdout == ""
    assert out.stderr.splitlines() == [
        f"{sheet}:3: name: a name is needed",
        f"{sheet}:4: birth_year: not a year: '18x'",
        f"{sheet}:5: category: unknown 'vip'; known: contractor, staff, visitor",
    ]
    assert not pdf.exists()


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


def test_issue_times_without_a_zone_are_the_venue_s(issuer: Path) -> None:
    from checkin_protocol.keys import TrustStore, load_private_key
    from checkin_protocol.kp1 import verify_pass

    out = issue(
        issuer, "--name", "Nguyễn Văn An", "--timezone", "Etc/GMT-7",
        "--valid-from", "2098-12-01", "--valid-until", "2099-01-01T00:00",
        "--declared-at", "2098-11-30T08:00Z",
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    claims = verify_pass(out.stdout.strip(), TrustStore([load_private_key(issuer).public_key()]))
    plus7 = ZoneInfo("Etc/GMT-7")
    assert claims.expires_at == datetime(2099, 1, 1, tzinfo=plus7).timestamp()
    assert claims.not_before == datetime(2098, 12, 1, tzinfo=plus7).timestamp()
    assert claims.declared_at == datetime(2098, 11, 30, 8, tzinfo=ZoneInfo("UTC")).timestamp()
    bad = issue(issuer, "--name", "A B", "--timezone", "Mars/Olympus")
    assert bad.returncode == 2 and "unknown time zone" in bad.stderr


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
