"""SD-card wear: bytes written to storage per decision through the real RecordStore.

    .venv/bin/python bench/sd_wear.py [--decisions 1000] [--dir FOLDER-ON-A-REAL-DISK]

Each variant opens a fresh database with `kiosk.store.RecordStore` (WAL, synchronous=FULL, its
migrations), applies its PRAGMAs on top, and commits `--decisions` decisions with
`RecordStore.add`, one transaction each, as the kiosk does. The figure is the growth of
/proc/self/io `write_bytes`: what this process sent towards the block layer, counted by the
kernel in pages as they are dirtied (a page rewritten after each fsync counts each time). It
leaves out the file system's own journal (written by jbd2, not us) and what the card's
controller does with it (erase blocks): a lower bound of the card's wear, good for comparing.
On tmpfs nothing reaches a block device and every figure is 0: run it on a real disk.

Durability is the constraint: a decision's commit must be on disk before its verdict shows.
With synchronous=FULL in WAL mode each commit fsyncs the WAL, so checkpoint settings
(wal_autocheckpoint, journal_size_limit) move writes around without weakening that; the
synchronous=NORMAL row is there to show what durability costs, not as a choice.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import tempfile
import time
from pathlib import Path

from checkin_protocol.records import CodeKind, Direction, Subject, Verdict
from kiosk.store import NewRecord, RecordStore

# (label, PRAGMAs after the store's own, durable: a commit is on disk when add() returns)
VARIANTS: list[tuple[str, list[str], bool]] = [
    ("current: WAL, synchronous=FULL, wal_autocheckpoint=1000", [], True),
    ("wal_autocheckpoint=100", ["PRAGMA wal_autocheckpoint=100"], True),
    ("wal_autocheckpoint=10000", ["PRAGMA wal_autocheckpoint=10000"], True),
    ("journal_size_limit=1 MiB", ["PRAGMA journal_size_limit=1048576"], True),
    (
        "wal_autocheckpoint=10000 + journal_size_limit=1 MiB",
        ["PRAGMA wal_autocheckpoint=10000", "PRAGMA journal_size_limit=1048576"],
        True,
    ),
    ("journal_mode=DELETE (rollback journal), FULL", ["PRAGMA journal_mode=DELETE"], True),
    ("journal_mode=TRUNCATE, FULL", ["PRAGMA journal_mode=TRUNCATE"], True),
    ("synchronous=NORMAL (reference: NOT durable)", ["PRAGMA synchronous=NORMAL"], False),
    # page_size is fixed when the database is made: see `measure`.
    ("page_size=1024 (new database), otherwise current", ["page_size=1024"], True),
    (
        "page_size=1024 + wal_autocheckpoint=10000",
        ["page_size=1024", "PRAGMA wal_autocheckpoint=10000"],
        True,
    ),
]


def write_bytes() -> int:
    for line in Path("/proc/self/io").read_text().splitlines():
        if line.startswith("write_bytes:"):
            return int(line.split()[1])
    raise RuntimeError("no write_bytes in /proc/self/io")


def decision(i: int) -> NewRecord:
    return NewRecord(
        venue_id="hq-tower",
        kiosk_id="lobby-1",
        direction=Direction("entry"),
        code_kind=CodeKind("signed_pass"),
        subject=Subject.parse(f"pass:{i:032x}"),
        masked_name="Nguyễn V** A",
        verified=True,
        verdict=Verdict("PASS"),
        reason=None,
    )


def measure(folder: Path, pragmas: list[str], n: int) -> tuple[float, float, float]:
    """(bytes per decision while running, including the checkpoint at close, ms per decision)."""
    path = folder / "kiosk.db"
    for size in [s.split("=")[1] for s in pragmas if s.startswith("page_size=")]:
        # A page size holds only if set before the first table (WAL makes the file).
        made = sqlite3.connect(path)
        made.execute(f"PRAGMA page_size={int(size)}")
        made.execute("PRAGMA journal_mode=WAL")
        made.close()
    store = RecordStore(path, min_free_mb=0)
    store.open()
    for statement in pragmas:
        if statement.startswith("PRAGMA"):
            store.db.execute(statement)
    for i in range(20):  # the first pages of each table and index exist: steady state
        store.add(decision(i), now=time.time(), mono_ns=time.monotonic_ns())
    os.sync()
    before = write_bytes()
    started = time.perf_counter()
    for i in range(n):
        store.add(decision(100 + i), now=time.time(), mono_ns=time.monotonic_ns())
    elapsed = time.perf_counter() - started
    running = write_bytes() - before
    store.close()  # the last connection's close checkpoints the WAL into the database
    closed = write_bytes() - before
    return running / n, closed / n, 1000 * elapsed / n


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    p.add_argument("--decisions", type=int, default=1000)
    p.add_argument("--dir", type=Path, default=Path(__file__).resolve().parents[1])
    args = p.parse_args()
    if write_bytes() == 0:
        write_bytes()  # a process that wrote nothing yet: fine
    print(f"{args.decisions} decisions per variant, database under {args.dir}")
    print(f"{'variant':<55} {'B/decision':>11} {'+close':>9} {'ms/dec':>7}  durable")
    for label, pragmas, durable in VARIANTS:
        folder = Path(tempfile.mkdtemp(prefix=".sd-wear-", dir=args.dir))
        try:
            running, closed, ms = measure(folder, pragmas, args.decisions)
        finally:
            shutil.rmtree(folder)
        print(
            f"{label:<55} {running:>11.0f} {closed:>9.0f} {ms:>7.2f}  {'yes' if durable else 'NO'}"
        )


if __name__ == "__main__":
    main()
