"""Anti-passback at one door (no peers): until an exit, or for N minutes; config refused clearly."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from checkin_protocol.reasons import Reason
from checkin_protocol.records import CodeKind, Direction, Subject, SubjectKind, Verdict
from kiosk.config import AntiPassbackConfig, load_config
from kiosk.config.yamlfile import ConfigError
from kiosk.passes import PersonalCode
from kiosk.peers.passback import AntiPassback
from kiosk.store import NewRecord, RecordStore

SUBJECT = Subject(SubjectKind.PASS, "00112233445566778899aabbccddeeff")
ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
NOON = 1_795_000_000.0  # some day, 13:46 in Hanoi


@pytest.fixture
def store(tmp_path: Path) -> Iterator[RecordStore]:
    with RecordStore(tmp_path / "k.db", min_free_mb=0) as s:
        yield s


def code(subject: Subject | None = SUBJECT) -> PersonalCode:
    return PersonalCode(kind=CodeKind.SIGNED_PASS, subject=subject, masked_name="A**",
                        verified=True)  # fmt: skip


def record(store: RecordStore, direction: Direction, at: float, subject: Subject = SUBJECT) -> None:
    new = NewRecord("v", "k", direction, CodeKind.SIGNED_PASS, subject, "A**", True,
                    Verdict.PASS, None)  # fmt: skip
    store.add(new, now=at, mono_ns=time.monotonic_ns())


def test_until_exit(store: RecordStore) -> None:
    rule = AntiPassback(AntiPassbackConfig(mode="until_exit"), store, ZONE)
    assert rule.check(code(), NOON) is None
    record(store, Direction.ENTRY, NOON)
    failed = rule.check(code(), NOON + 3600)
    assert failed is not None and failed[0] is Reason.ALREADY_INSIDE
    assert rule.check(code(Subject(SubjectKind.PASS, "ff" * 16)), NOON + 60) is None
    assert rule.check(code(None), NOON + 60) is None  # nothing to hold on to
    record(store, Direction.EXIT, NOON + 7200)
    assert rule.check(code(), NOON + 7201) is None
    # The rule holds within the venue's day: tomorrow starts afresh.
    record(store, Direction.ENTRY, NOON + 7300)
    assert rule.check(code(), NOON + 86400) is None


def test_minutes(store: RecordStore) -> None:
    rule = AntiPassback(AntiPassbackConfig(mode="minutes", minutes=10), store, ZONE)
    record(store, Direction.ENTRY, NOON)
    assert rule.check(code(), NOON + 9 * 60) is not None
    assert rule.check(code(), NOON + 10 * 60 + 1) is None


def test_sealed_id_numbers_are_not_linked(store: RecordStore) -> None:
    sealed = Subject(SubjectKind.SEALED, "A" * 72)
    rule = AntiPassback(AntiPassbackConfig(mode="until_exit"), store, ZONE)
    record(store, Direction.ENTRY, NOON, sealed)
    assert rule.check(code(sealed), NOON + 1) is None


@pytest.mark.parametrize(
    ("extra", "where"),
    [
        ("policy: {anti_passback: {mode: minutes}}", "policy.anti_passback"),
        ("policy: {anti_passback: {mode: until_exit, minutes: 5}}", "policy.anti_passback"),
        ("policy: {anti_passback: {mode: always}}", "policy.anti_passback.mode"),
        ("peers: {listen: 'nowhere', addresses: ['a:1'], secret_file: s}", "peers.listen"),
        ("peers: {listen: 'h:1', addresses: ['a:70000'], secret_file: s}", "peers.addresses[0]"),
        ("peers: {listen: 'h:1', addresses: [], secret_file: s}", "peers.addresses"),
        ("peers: {listen: 'h:1', addresses: ['a:1'], secret_file: short}", "peers.secret_file"),
        ("peers: {listen: 'h:1', addresses: ['a:1'], secret_file: open}", "peers.secret_file"),
        ("peers: {listen: 'h:1', addresses: ['a:1'], secret_file: s, port: 1}", "peers.port"),
    ],
)
def test_bad_peer_and_passback_settings_say_where(
    write_config: Callable[..., Path], venue_dir: Path, extra: str, where: str
) -> None:
    for name, text, mode in (("s", "x" * 32, 0o600), ("short", "x" * 8, 0o600),
                             ("open", "x" * 32, 0o644)):  # fmt: skip
        (venue_dir / name).write_text(text)
        (venue_dir / name).chmod(mode)
    with pytest.raises(ConfigError) as err:
        load_config(write_config(extra + "\n"))
    assert any(f": {where}: " in str(i) for i in err.value.issues), err.value.issues
