"""Migrations on a registry with data in it, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import text

from registry.db import alembic_config, make_engine
from support.registry import postgres_available, postgres_database


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with ExitStack() as stack:
        if request.param == "postgresql":
            why = postgres_available()
            if why:
                pytest.skip(why)
            yield stack.enter_context(postgres_database())
        else:
            yield f"sqlite:///{tmp_path / 'old.db'}"


def test_0003_keeps_records_and_drops_declared_id_entries(empty_db: str) -> None:
    engine = make_engine(empty_db)
    cfg = alembic_config(engine)
    command.upgrade(cfg, "0002")
    insert = text("INSERT INTO records VALUES (:id, 'v1', :kiosk, 1, 'entry', 'signed_pass', "
                  "NULL, NULL, true, 'PASS', NULL, false, 1000, 1, 'b', NULL, 1000)")  # fmt: skip
    with engine.begin() as c:
        c.execute(text("INSERT INTO venues (id, name, district, province, created_ms) "
                       "VALUES ('v1', 'V', '', '', 1)"))  # fmt: skip
        c.execute(insert, {"id": "r1", "kiosk": "k1"})
        c.execute(text("INSERT INTO deny_entries (subject, reason_code, public, created_ms) "
                       "VALUES ('idh:aa', 'health_risk', false, 5), "
                       "('pass:bb', 'revoked', false, 5)"))  # fmt: skip
        before = c.execute(text("SELECT version FROM list_versions WHERE name = 'deny-list'"))
        version = before.scalar_one()
    command.upgrade(cfg, "0003")  # what 0003 does; later ones have tests of their own
    with engine.begin() as c:
        # Another kiosk's record with the same id is a record of its own now.
        c.execute(insert, {"id": "r1", "kiosk": "k2"})
        assert c.execute(text("SELECT count(*) FROM records")).scalar_one() == 2
        entries = c.execute(text("SELECT subject, expires_ms FROM deny_entries")).all()
        assert entries == [("pass:bb", 5 + 14 * 86400 * 1000)]
        after = c.execute(text("SELECT version FROM list_versions WHERE name = 'deny-list'"))
        assert after.scalar_one() == version + 1
    command.downgrade(cfg, "0002")
    with engine.begin() as c:
        assert c.execute(text("SELECT kiosk_id FROM records")).scalars().all() == ["k1"]
    engine.dispose()


def test_0007_gives_earlier_records_the_camera_as_their_source(empty_db: str) -> None:
    engine = make_engine(empty_db)
    cfg = alembic_config(engine)
    command.upgrade(cfg, "0006")
    with engine.begin() as c:
        c.execute(text("INSERT INTO venues (id, name, district, province, created_ms) "
                       "VALUES ('v1', 'V', '', '', 1)"))  # fmt: skip
        c.execute(text("INSERT INTO records (id, venue_id, kiosk_id, seq, direction, code_kind, "
                       "verified, verdict, manual, created_ms, created_mono_ns, boot_id, "
                       "received_ms) VALUES ('r1', 'v1', 'k1', 1, 'entry', 'signed_pass', "
                       "true, 'PASS', false, 1, 1, 'b', 1)"))  # fmt: skip
    command.upgrade(cfg, "0007")
    with engine.begin() as c:
        assert c.execute(text("SELECT source FROM records")).scalars().all() == ["camera"]
    command.downgrade(cfg, "0006")
    engine.dispose()


def test_0008_counts_the_records_already_there_by_their_venues_local_day(empty_db: str) -> None:
    engine = make_engine(empty_db)
    cfg = alembic_config(engine)
    command.upgrade(cfg, "0007")
    day = 1_767_225_600_000  # 2026-01-01T00:00Z
    hour = 3_600_000
    with engine.begin() as c:
        c.execute(text("INSERT INTO venues (id, name, district, province, created_ms, timezone) "
                       "VALUES ('v1', 'V', '', '', 1, 'Asia/Ho_Chi_Minh'), "
                       "('v2', 'W', '', '', 1, 'UTC')"))  # fmt: skip
        for n, (venue, at, verdict) in enumerate([
            ("v1", day + 16 * hour + 59 * 60_000, "PASS"),  # 23:59 local on the 1st
            ("v1", day + 23 * hour + 30 * 60_000, "PASS"),  # 06:30 local on the 2nd
            ("v1", day + 23 * hour + 31 * 60_000, "FAIL"),
            ("v2", day + 23 * hour + 30 * 60_000, "PASS"),  # the 1st in UTC
        ]):  # fmt: skip
            c.execute(text("INSERT INTO records (id, venue_id, kiosk_id, seq, direction, "
                           "code_kind, verified, verdict, manual, created_ms, created_mono_ns, "
                           "boot_id, received_ms) VALUES (:id, :venue, 'k1', 1, 'entry', "
                           "'signed_pass', true, :verdict, false, :at, 1, 'b', 1)"),
                      {"id": f"r{n}", "venue": venue, "verdict": verdict, "at": at})  # fmt: skip
    command.upgrade(cfg, "0008")
    with engine.begin() as c:
        rows = c.execute(text("SELECT day, venue_id, verdict, count FROM record_days "
                              "ORDER BY venue_id, day, verdict")).all()  # fmt: skip
    assert [tuple(r) for r in rows] == [
        ("2026-01-01", "v1", "PASS", 1),
        ("2026-01-02", "v1", "FAIL", 1),
        ("2026-01-02", "v1", "PASS", 1),
        ("2026-01-01", "v2", "PASS", 1),
    ]
    command.downgrade(cfg, "0007")
    engine.dispose()


def test_0012_keeps_records_and_partitions_them_by_the_kiosks_day(empty_db: str) -> None:
    engine = make_engine(empty_db)
    cfg = alembic_config(engine)
    command.upgrade(cfg, "0011")
    day = 86_400_000
    today = int(time.time() * 1000) // day * day
    with engine.begin() as c:
        c.execute(text("INSERT INTO venues (id, name, district, province, created_ms) "
                       "VALUES ('v1', 'V', '', '', 1)"))  # fmt: skip
        for rid, created, offset in [
            ("r1", today - 3 * day + 5, 2 * day),  # the kiosk's clock two days behind
            ("r2", today + 5, None),
            ("r3", 5, 0),  # 1970: far past, the DEFAULT partition's
        ]:  # fmt: skip
            c.execute(text("INSERT INTO records (id, venue_id, kiosk_id, seq, direction, "
                           "code_kind, verified, verdict, manual, created_ms, created_mono_ns, "
                           "boot_id, clock_offset_ms, received_ms) VALUES (:id, 'v1', 'k1', 1, "
                           "'entry', 'signed_pass', true, 'PASS', false, :at, 1, 'b', :off, 1)"),
                      {"id": rid, "at": created, "off": offset})  # fmt: skip
    command.upgrade(cfg, "0012")
    postgresql = engine.dialect.name == "postgresql"
    where = "tableoid::regclass::text" if postgresql else "'records'"
    with engine.begin() as c:
        rows = c.execute(text(f"SELECT id, kiosk_ms, {where} FROM records ORDER BY id")).all()  # noqa: S608
    stamp = time.strftime("%Y%m%d", time.gmtime((today - 5 * day) / 1000))
    assert [tuple(r) for r in rows] == [
        ("r1", today - 5 * day + 5, f"records_{stamp}" if postgresql else "records"),
        ("r2", today + 5, f"records_{time.strftime('%Y%m%d', time.gmtime(today / 1000))}"
         if postgresql else "records"),
        ("r3", 5, "records_default" if postgresql else "records"),
    ]  # fmt: skip
    command.downgrade(cfg, "0011")
    with engine.begin() as c:
        assert c.execute(text("SELECT id FROM records ORDER BY id")).scalars().all() == [
            "r1", "r2", "r3",
        ]  # fmt: skip
    command.upgrade(cfg, "head")  # and up again, as a registry would after a rollback
    with engine.begin() as c:
        assert c.execute(text("SELECT count(*) FROM records")).scalar_one() == 3
    engine.dispose()


def test_0013_sums_the_day_counts_already_there_by_district(empty_db: str) -> None:
    engine = make_engine(empty_db)
    cfg = alembic_config(engine)
    command.upgrade(cfg, "0012")
    with engine.begin() as c:
        c.execute(text("INSERT INTO venues (id, name, district, province, created_ms, timezone) "
                       "VALUES ('v1', 'V', 'D1', 'P', 1, 'UTC'), ('v2', 'W', 'D1', 'P', 1, 'UTC'), "
                       "('v3', 'X', 'D2', 'P', 1, 'UTC')"))  # fmt: skip
        c.execute(text("INSERT INTO record_days (day, venue_id, direction, verdict, count) "
                       "VALUES ('2026-01-01', 'v1', 'entry', 'PASS', 2), "
                       "('2026-01-01', 'v2', 'entry', 'PASS', 3), "
                       "('2026-01-01', 'v3', 'exit', 'FAIL', 1)"))  # fmt: skip
    command.upgrade(cfg, "0013")
    with engine.begin() as c:
        rows = c.execute(text("SELECT district, direction, verdict, count FROM area_days "
                              "ORDER BY district")).all()  # fmt: skip
    assert [tuple(r) for r in rows] == [("D1", "entry", "PASS", 5), ("D2", "exit", "FAIL", 1)]
    command.downgrade(cfg, "0012")
    engine.dispose()
