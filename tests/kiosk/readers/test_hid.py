"""Keyboard wedges: the US key table, recorded evdev sequences, lost letters, and evdev itself."""

from __future__ import annotations

import os
import re
import string
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk.config import HidReaderConfig
from kiosk.readers import SWITCH_TO_SERIAL, ReaderWorker, Scan, ScanQueue, build_reader
from kiosk.readers import keymap as km
from kiosk.readers.hid import HidReader, WedgeFramer, lossy_id_card
from kiosk.runtime.service import State

DATA = Path(__file__).parent / "data"
MS = 1_000_000


def _type(wedge: WedgeFramer, events: list[km.Event], start_ns: int = 0) -> list[Scan]:
    scans: list[Scan] = []
    for i, (type_, code, value) in enumerate(events):
        scans += wedge.feed(type_, code, value, start_ns + i * 1000)
    return scans


def _replay(path: Path, silence: float = 0.05) -> list[Scan]:
    """Feed a recording to the decoder at its recorded times, silences included."""
    wedge = WedgeFramer("rec", silence)
    scans: list[Scan] = []
    t0: float | None = None
    for line in path.read_text().splitlines():
        if line.startswith("#"):
            continue
        stamp, type_, code, value = line.split()
        t0 = float(stamp) if t0 is None else t0
        now = int((float(stamp) - t0) * 1e9)
        scans += wedge.expire(now)
        scans += wedge.feed(int(type_), int(code), int(value), now)
    return scans + wedge.expire(10**18)


# ---------------------------------------------------------------- the key table


KERNEL_CODES = Path("/usr/include/linux/input-event-codes.h")


def kernel_codes() -> dict[str, int]:
    """The kernel's own key and event numbers, from its header (what evdev's ecodes is made of)."""
    if not KERNEL_CODES.exists():
        pytest.skip(f"{KERNEL_CODES} not here (Debian package linux-libc-dev)")
    found = re.findall(r"^#define\s+((?:KEY|EV)_\w+)\s+(0x[0-9a-fA-F]+|\d+)\b",
                       KERNEL_CODES.read_text(), re.MULTILINE)  # fmt: skip
    return {name: int(value, 0) for name, value in found}


def test_key_codes_match_the_kernels() -> None:
    codes = kernel_codes()
    for char in string.ascii_lowercase + string.digits:
        code, shifted = km._TYPING[char]
        assert codes[f"KEY_{char.upper()}"] == code and not shifted
    for name in ("TAB", "ENTER", "LEFTSHIFT", "RIGHTSHIFT", "LEFTALT", "CAPSLOCK", "KPENTER"):
        assert codes[f"KEY_{name}"] == getattr(km, f"KEY_{name}")
    assert (codes["EV_KEY"], codes["EV_SYN"]) == (km.EV_KEY, km.EV_SYN)


@given(st.text(st.characters(min_codepoint=32, max_codepoint=126), min_size=1, max_size=300))
def test_any_ascii_text_typed_as_key_events_decodes_to_itself(text: str) -> None:
    (scan,) = _type(WedgeFramer("h", 0.05), list(km.key_events(text)))
    assert scan.payload.decode("ascii") == text
    assert scan.source == "hid"
    assert (scan.unreadable_hint is not None) == lossy_id_card(text)


def test_tab_ends_a_code_like_enter() -> None:
    assert [
        s.payload for s in _type(WedgeFramer("h", 1), list(km.key_events("A", km.KEY_TAB)))
    ] == [b"A"]


def test_caps_lock_inverts_letters_only() -> None:
    caps = [(km.EV_KEY, km.KEY_CAPSLOCK, 1), (km.EV_KEY, km.KEY_CAPSLOCK, 0)]
    (scan,) = _type(WedgeFramer("h", 1), caps + list(km.key_events("aB1!")))
    assert scan.payload == b"Ab1!"


def test_autorepeat_is_not_a_second_character() -> None:
    events = [(km.EV_KEY, 30, 1), (km.EV_KEY, 30, 2), (km.EV_KEY, 30, 0)]
    (scan,) = _type(WedgeFramer("h", 1), [*events, *km.key_events("")])
    assert scan.payload == b"a"


def test_keypad_digits() -> None:
    events = [(km.EV_KEY, 79, 1), (km.EV_KEY, 79, 0), (km.EV_KEY, km.KEY_KPENTER, 1)]
    assert [s.payload for s in _type(WedgeFramer("h", 1), events)] == [b"1"]


def test_silence_ends_a_code_without_enter() -> None:
    wedge = WedgeFramer("h", 0.05)
    assert _type(wedge, list(km.key_events("abc", end=None)), 0) == []
    last = wedge.deadline_ns()
    assert last is not None
    assert wedge.expire(last - 1) == []
    (scan,) = wedge.expire(last)
    assert scan.payload == b"abc"


def test_a_character_a_wedge_cannot_type_is_refused_by_the_encoder() -> None:
    with pytest.raises(ValueError, match="cannot type"):
        list(km.key_events("Nguyễn"))


# ---------------------------------------------------------------- recorded sequences


def test_recorded_two_ascii_codes() -> None:
    scans = _replay(DATA / "wedge-two-ascii-codes.events")
    assert [s.payload for s in scans] == [
        b"KP1:eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJQLTEyMyJ9.MEUCIQ-x_Y~{|}",
        b"SECOND-code 2",
    ]
    assert all(s.unreadable_hint is None for s in scans)
    assert scans[1].at_mono_ns - scans[0].at_mono_ns > 700 * MS


@pytest.mark.parametrize("name", ["wedge-cccd-altcodes.events", "wedge-cccd-dropped.events"])
def test_recorded_id_card_with_lost_letters_is_unreadable_with_a_hint(name: str) -> None:
    (scan,) = _replay(DATA / name)
    assert scan.payload.startswith(b"001099012345|123456789|Nguy")
    assert scan.unreadable_hint == SWITCH_TO_SERIAL == "switch the reader to USB serial (CDC) mode"


# ---------------------------------------------------------------- lost letters


@pytest.mark.parametrize(
    "text",
    [
        "001099012345|123456789|Nguy?n V?n A|01011990|Nam|S? 1, Ph??ng 2|01012021",
        "001099012345|Nguyn Vn Bnh|01011990|Nam|So 1 Pho Hue|01012021",  # no old id
        "001099012345||Nguyn  Anh|01011990|Nam|So 1|01012021",  # a gap where a letter was
        "001099012345||L Anh|01011990|Nam|So 1, Ha Noi|01012021",  # "Lê" → "L"
        "001099012345||Hoa Anh|01011990|Nam|S\ufffd 1|01012021",
    ],
)
def test_id_card_codes_with_lost_letters(text: str) -> None:
    assert lossy_id_card(text)


@pytest.mark.parametrize(
    "text",
    [
        "001099012345||Hoa Anh|01011990|Nam|So 1, Ha Noi|01012021",  # ASCII, nothing lost
        "KP1:abc|def",
        "00109901234|Nguyn|x|y|z|w",  # 11 digits: not an ID card
        "001099012345|Nguyn|a|b",  # too few fields
    ],
)
def test_codes_that_are_not_lossy_id_cards(text: str) -> None:
    assert not lossy_id_card(text)


def test_a_dropped_key_in_an_id_card_code_is_enough() -> None:
    assert lossy_id_card("001099012345||Hoa Anh|01011990|Nam|So 1|01012021", dropped=1)
    assert not lossy_id_card("KP1:x", dropped=3)


def test_dropped_keys_count_per_code() -> None:
    wedge = WedgeFramer("h", 1)
    alt = [(km.EV_KEY, km.KEY_LEFTALT, 1), (km.EV_KEY, 79, 1), (km.EV_KEY, km.KEY_LEFTALT, 0)]
    first = "001099012345||Hoa Anh|01011990|Nam|So 1|01012021"
    scans = _type(wedge, [*alt, *km.key_events(first), *km.key_events(first)])
    assert [s.unreadable_hint for s in scans] == [SWITCH_TO_SERIAL, None]


# ---------------------------------------------------------------- the device


def test_a_device_that_is_not_an_input_device_cannot_be_opened(
    tmp_path: Path, wait: Callable[..., bool]
) -> None:
    fake = tmp_path / "event-kbd"
    fake.write_bytes(b"")
    reader = build_reader(HidReaderConfig(type="hid", device=str(fake)), "wedge")
    assert isinstance(reader, HidReader)
    with pytest.raises(OSError):  # noqa: PT011  what evdev raises depends on the file
        reader.open()
    worker = ReaderWorker(reader, ScanQueue(), reopen_interval=0.2)
    with worker:
        assert wait(lambda: "cannot open" in worker.status.message)
    stopped = worker.health
    assert stopped.state is State.STOPPED


UINPUT = Path("/dev/uinput")


@pytest.mark.skipif(
    not (UINPUT.exists() and os.access(UINPUT, os.W_OK)), reason="no writable /dev/uinput here"
)
def test_through_uinput(wait: Callable[..., bool]) -> None:  # pragma: no cover - not in CI
    evdev = pytest.importorskip("evdev", reason="evdev is Debian's python3-evdev on a Pi")
    UInput, ecodes = evdev.UInput, evdev.ecodes

    keys = sorted(set(km.PLAIN) | {km.KEY_ENTER, km.KEY_LEFTSHIFT})
    with UInput({ecodes.EV_KEY: keys}, name="qr-wedge-test") as ui:
        assert wait(lambda: ui.device is not None)
        queue = ScanQueue()
        worker = ReaderWorker(HidReader("wedge", Path(str(ui.device.path))), queue)
        with worker:
            assert wait(lambda: worker.status.ok)  # reported once grabbed: no key is lost
            for type_, code, value in km.key_events("Hello, World! 123"):
                ui.write(type_, code, value)
            scan = queue.get(10)
        assert scan is not None and scan.payload == b"Hello, World! 123"
