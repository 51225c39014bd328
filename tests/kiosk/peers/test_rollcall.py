"""Roll call: three doors on a LAN, one cut off, every door's list the same once the cut heals."""

from __future__ import annotations

import contextlib
import io
import json
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from checkin_protocol.records import Verdict
from kiosk.cli import main
from kiosk.cli.rollcall_print import numbered
from kiosk.peers.rollcall import RollCall, roll_call
from support.doors import Door
from support.lan import LAYOUT, Venue, close_venue, make_venue
from support.timing import wait_for


@pytest.fixture
def lan_venue(venue_dir: Path) -> Iterator[Venue]:
    made = make_venue(venue_dir)
    yield made
    close_venue(made)


def call_at(door: Door, now: float | None = None, assume_left_after: float = 12.0) -> RollCall:
    assert door.peers is not None
    return roll_call(
        door.store, door.cfg.kiosk.id, ZoneInfo(door.cfg.venue.timezone),
        time.time() if now is None else now, assume_left_after=assume_left_after,
        ledger=door.peers.ledger, keys=door.peers.keys, marks=door.peers.marks,
    )  # fmt: skip


def who(call: RollCall) -> list[tuple[str | None, str, str]]:
    return [(p.name, p.door, p.entered_utc) for p in call.inside]


def passed(door: Door, code: str) -> None:
    assert door.scan(code).decision.verdict is Verdict.PASS


def cli(*args: str) -> tuple[int, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        status = main(["roll-call", *args])
    return status, out.getvalue()


def mark(venue_dir: Path, door: Door, name: str, by: str) -> None:
    """A guard at `door` marks `name` accounted for, by its number on that door's list."""
    number = 1 + [p.name for p in numbered(call_at(door))].index(name)
    config = str(venue_dir / f"{door.cfg.kiosk.id}.yaml")
    assert cli("--config", config, "--mark", str(number), "--by", by)[0] == 0


def marks(call: RollCall) -> list[tuple[str | None, str, str]]:
    return [(p.name, p.mark.by, p.mark.kiosk) for p in call.inside if p.mark is not None]


def test_every_door_lists_the_same_people_once_a_cut_off_door_is_back(
    lan_venue: Venue, make_pass: Callable[..., str], venue_dir: Path
) -> None:
    venue = lan_venue
    a, b, c = (venue.doors[n] for n in LAYOUT)  # a1, b1 entries; c1 the exit
    names = ["Trần Thị Bình", "Lê Văn Cường", "Phạm Minh Dũng", "Võ Thị Em", "Bùi Văn Hải"]
    p1, p2, p3, p4, p5 = (make_pass(name=n) for n in names)
    passed(a, p1)
    passed(b, p2)
    passed(a, p3)
    passed(a, p5)
    assert wait_for(lambda: venue.known("c1") >= venue.known("a1") | venue.known("b1"))
    passed(c, p1)  # Trần leaves by the exit door
    assert wait_for(lambda: all(venue.known(n) >= venue.known("c1") for n in ("a1", "b1")))

    venue.cut_off("c1")
    passed(c, p2)  # Lê leaves while the exit door is cut off: the others do not hear of it
    passed(b, p4)  # Võ comes in: the exit door does not hear of it
    assert wait_for(lambda: venue.known("a1") >= venue.known("b1"))
    assert wait_for(lambda: venue.dropped("c1") > 0)
    # Who, not in which order: a door lists another door's entry at the time it heard of it,
    # so during the cut two doors may order people heard from each other differently.
    during = {name: sorted(p[0] or "" for p in who(call_at(d))) for name, d in venue.doors.items()}
    assert during["a1"] == during["b1"] == ["Bùi V** H", "Lê V** C", "Phạm M** D", "Võ T** E"]
    assert during["c1"] == ["Bùi V** H", "Phạm M** D"]
    # The fire alarm: two guards tick people off at two doors, one of them cut off.
    mark(venue_dir, a, "Phạm M** D", "Hùng")
    mark(venue_dir, c, "Bùi V** H", "Lan")
    assert marks(call_at(a)) == [("Phạm M** D", "Hùng", "a1")]
    assert wait_for(lambda: marks(call_at(b)) == marks(call_at(a)))  # b1 hears a1's mark
    assert marks(call_at(c)) == [("Bùi V** H", "Lan", "c1")]  # c1 hears nothing

    venue.heal()
    everything = venue.all_ids()
    assert wait_for(lambda: all(venue.known(n) == everything for n in LAYOUT), timeout=30)
    both = [("Phạm M** D", "Hùng", "a1"), ("Bùi V** H", "Lan", "c1")]
    assert wait_for(lambda: all(marks(call_at(d)) == both for d in (a, b, c)), timeout=30)
    calls = [call_at(d) for d in (a, b, c)]
    assert who(calls[0]) == who(calls[1]) == who(calls[2])
    assert [m.mark for m in calls[0].inside] == [m.mark for m in calls[2].inside]
    assert [(p[0], p[1]) for p in who(calls[0])] == [
        ("Phạm M** D", "a1"),
        ("Bùi V** H", "a1"),
        ("Võ T** E", "b1"),
    ]
    # Each list says which doors it holds records of, and when each other door was heard.
    assert all(set(call.doors) == {"a1", "b1", "c1"} for call in calls)
    assert [sorted(call.heard) for call in calls] == [["b1", "c1"], ["a1", "c1"], ["a1", "b1"]]
    # Two hours on, with exits assumed after one hour: the same people, listed as unsure.
    later = call_at(a, now=time.time() + 7200, assume_left_after=1.0)
    assert [p.name for p in later.unsure] == ["Phạm M** D", "Bùi V** H", "Võ T** E"]
    assert later.sure == []

    # The command line: the same list from the files, as JSON, and as a PDF to tick off.
    pdf = venue_dir / "roll-call.pdf"
    status, out = cli("--config", str(venue_dir / "b1.yaml"), "--json", "--pdf", str(pdf))
    assert status == 0
    listed = json.loads(out)
    assert [(p["name"], p["door"], (p["marked"] or {}).get("by")) for p in listed["inside"]] == [
        ("Phạm M** D", "a1", "Hùng"),
        ("Bùi V** H", "a1", "Lan"),
        ("Võ T** E", "b1", None),
    ]
    assert sorted(listed["doors"]) == ["a1", "b1", "c1"] and sorted(listed["heard"]) == ["a1", "c1"]
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, timeout=30
    )
    if text.returncode == 0:  # poppler-utils present: the PDF holds what the JSON said
        assert "Phạm M** D" in text.stdout and "Võ T** E" in text.stdout
        assert "✓ Hùng (a1" in text.stdout and "✓ Lan (c1" in text.stdout
        assert "Trần" not in text.stdout and "Lê V" not in text.stdout
        assert "Điểm danh / Roll call" in text.stdout


def test_entries_in_one_millisecond_are_listed_in_the_order_the_door_recorded_them(
    tmp_path: Path,
) -> None:
    """Found in a full run: two visitors let in within the same millisecond at one door
    were listed by name, not in the order they came."""
    from datetime import datetime

    from checkin_protocol.records import CodeKind, Direction, Subject, SubjectKind
    from kiosk.store import NewRecord, RecordStore

    zone = ZoneInfo("Asia/Ho_Chi_Minh")
    now = datetime.now(zone).replace(hour=12, minute=0, second=0, microsecond=0).timestamp()
    names = ["Phạm M** D", "Bùi V** H", "Anh T** A"]  # by name they would sort otherwise
    with RecordStore(tmp_path / "k.db", min_free_mb=0) as store:
        for i, name in enumerate(names):
            subject = Subject(SubjectKind.PASS, f"{i:032x}")
            new = NewRecord(
                "v", "a1", Direction.ENTRY, CodeKind.SIGNED_PASS, subject, name, True,
                Verdict.PASS, None,
            )  # fmt: skip
            store.add(new, now=now - 60, mono_ns=i)  # one and the same millisecond
        call = roll_call(store, "a1", zone, now, assume_left_after=12)
    assert [p.name for p in call.inside] == names
