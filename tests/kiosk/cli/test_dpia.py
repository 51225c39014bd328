"""`kiosk dpia`: the door's data map is read from its configuration, not written by hand."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from checkin_protocol.keys import generate_key, write_public_key
from support.cli import run_kiosk

REPO = Path(__file__).resolve().parents[3]


def table(markdown: str) -> list[list[str]]:
    """The data map's rows (header and rule left out), cell by cell."""
    lines = [line for line in markdown.splitlines() if line.startswith("| ")]
    return [[c.strip() for c in re.split(r"(?<!\\)\|", line)[1:-1]] for line in lines[1:]]


def test_the_example_config_gives_its_data_map(tmp_path: Path) -> None:
    text = (REPO / "config" / "venue.example.yaml").read_text(encoding="utf-8")
    text = text.replace("/var/lib/qr-kiosk/kiosk.db", "kiosk.db")
    (tmp_path / "keys").mkdir()
    write_public_key(tmp_path / "keys" / "issuer.pub", generate_key().public_key())
    (tmp_path / "venue.yaml").write_text(text, encoding="utf-8")
    done = run_kiosk("dpia", "--config", str(tmp_path / "venue.yaml"))
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert out.startswith("# Sơ đồ dữ liệu / Data map: HQ Tower · Toà nhà HQ — kiosk lobby-1")
    rows = table(out)
    assert [r[0].split(" (")[0].split(":")[0] for r in rows][:5] == [
        "Camera frames", "Codes read", "Check-in records", "Screen", "Signed lists",
    ]  # fmt: skip
    assert all(len(r) == 5 and all(r) for r in rows)
    records = rows[2]
    assert records[1] == f"SQLite {tmp_path / 'kiosk.db'} (not created yet)"
    assert records[3].startswith("21 days (storage.retention)")
    assert "never written to disk" in rows[0][3]
    assert "not legal advice" in out


def test_the_map_follows_what_the_config_turns_on(write_config: Callable[..., Path]) -> None:
    plain = write_config(name="plain.yaml")
    text = plain.read_text(encoding="utf-8")
    plain.write_text(text.replace("{path: kiosk.db}", "{path: kiosk.db, retention: 7d}"))
    done = run_kiosk("dpia", "--config", str(plain))
    rows = table(done.stdout)
    assert done.returncode == 0 and len(rows) == 5  # no registry, peers, hook or guard PIN
    assert rows[2][3].startswith("7 days")
    # What the map says of the file is what is on disk.
    database = plain.parent / "kiosk.db"
    database.write_bytes(b"")
    database.chmod(0o644)
    assert "READABLE BY OTHERS" in table(run_kiosk("dpia", "--config", str(plain)).stdout)[2][1]
    database.chmod(0o600)
    assert table(run_kiosk("dpia", "--config", str(plain)).stdout)[2][1].endswith("(mode 600)")
    folder = plain.parent
    (folder / "kiosk.token").write_text("t\n")
    (folder / "peers.key").write_text("ab" * 32)
    for secret in ("kiosk.token", "peers.key"):
        (folder / secret).chmod(0o600)
    write_public_key(folder / "lists.pub", generate_key().public_key())
    wide = write_config(
        "registry: {url: 'http://10.0.0.5:8800', token_file: kiosk.token, list_key: lists.pub}\n"
        "door: {hook: {url: 'https://bms.example/in'}}\n"
        "peers: {listen: '0.0.0.0:7700', addresses: ['10.0.0.7:7700'], secret_file: peers.key}\n",
        name="wide.yaml",
    )
    done = run_kiosk("dpia", "--config", str(wide))
    assert done.returncode == 0, done.stderr
    rows = table(done.stdout)
    kinds = [r[0] for r in rows]
    assert any(k.startswith("Records sent to the registry") for k in kinds)
    assert any(k.startswith("Peers' records") for k in kinds)
    assert any(k.startswith("Decision notices") for k in kinds)
    sent = next(r for r in rows if r[0].startswith("Records sent"))
    assert sent[1] == "http://10.0.0.5:8800" and "PLAIN HTTP" in sent[4]
    assert next(r for r in rows if r[0].startswith("Peers"))[1].startswith(
        "the venue's LAN (1 peers)"
    )


def test_a_bad_config_is_refused_with_its_line(write_config: Callable[..., Path]) -> None:
    bad = write_config(name="bad.yaml")
    text = bad.read_text(encoding="utf-8")
    bad.write_text(text.replace("{path: kiosk.db}", "{path: kiosk.db, retention: soon}"))
    done = run_kiosk("dpia", "--config", str(bad))
    assert done.returncode == 2 and re.search(r"bad\.yaml:\d+: storage", done.stderr)
    assert done.stdout == ""
