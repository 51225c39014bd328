"""`kiosk demo`: the embedded default runs the real loop and checks its own outcome."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from kiosk.cli.demo import run_demo


@pytest.mark.slow
def test_demo_runs_headless_and_leaves_records_and_screenshots(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    out = tmp_path / "demo"
    # What an earlier demo left behind is replaced, not added to.
    (out / "frames").mkdir(parents=True)
    (out / "frames" / "9999.png").write_bytes(b"stale")
    stale = sqlite3.connect(out / "kiosk.db")
    stale.execute("CREATE TABLE leftover (x)")
    stale.commit()
    stale.close()
    assert run_demo(out, fps=20) == 0
    printed = capsys.readouterr().out
    assert "summary: 6 PASS, 6 FAIL, 12 records" in printed
    assert "registry: all records synced; today at the venue 6 entries, 6 refused" in printed
    assert "/venues/demo-tower" in printed
    assert not (out / "gallery").exists()  # `kiosk gallery` draws every screen, on request
    shots = sorted(p.name for p in (out / "screens").glob("*.png"))
    assert len(shots) == 12 and shots[0] == "001-PASS-signed_pass.png"
    con = sqlite3.connect(out / "kiosk.db")
    kinds = {r[0] for r in con.execute("SELECT code_kind FROM records")}
    assert kinds == {"signed_pass", "cccd", "national_qr", "dcc", "unknown"}
    # The DCC scenarios: a valid vaccination certificate, an expired test certificate.
    query = "SELECT verdict, reason, masked_name FROM records WHERE code_kind='dcc' ORDER BY seq"
    assert list(con.execute(query)) == [
        ("PASS", None, "Nguyễn V** M"),
        ("FAIL", "dcc_expired", None),
    ]
    # Nothing identifying in clear: no ID number and no full name in the database.
    dump = "\n".join(con.iterdump())
    assert (
        "001090012345" not in dump and "NGUYỄN VĂN AN" not in dump and "Nguyễn Văn An" not in dump
    )
    assert "Văn Minh" not in dump and "VAN<MINH" not in dump and "1985-07-14" not in dump
    assert "leftover" not in dump and not (out / "frames" / "9999.png").exists()
    assert (out / "issuer" / "issuer.key").stat().st_mode & 0o777 == 0o600
