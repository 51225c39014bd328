"""Several codes in one frame: the visitor's code is decided first, a stray one never first."""

from __future__ import annotations

import itertools
from collections.abc import Callable

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.camera.scenes import Pose, frame, qr_image
from kiosk.decode import Symbol
from kiosk.decode.order import order_symbols
from kiosk.decode.zxing import ZxingDecoder
from kiosk.passes import looks_personal

CCCD = "001090012345|123456789|NGUYỄN VĂN AN|01011990|Nam|Số 1, Phố Huế, Hà Nội|01012021"


def square(x: int, y: int, side: int) -> tuple[tuple[int, int], ...]:
    return ((x, y), (x + side, y), (x + side, y + side), (x, y + side))


payloads = st.one_of(
    st.sampled_from([b"510384", b"https://example.org", CCCD.encode(), b"KP1:ABC", b"KP2:X"]),
    st.binary(max_size=40),
)
symbols = st.builds(
    lambda payload, side, unreadable: Symbol(
        payload=b"" if unreadable else payload,
        text="",
        corners=square(10, 10, side) if side else (),
        error="checksum" if unreadable else None,
    ),
    payloads,
    st.integers(0, 400),
    st.booleans(),
)


def side(s: Symbol) -> int:
    return s.corners[1][0] - s.corners[0][0] if s.corners else 0


def group(s: Symbol) -> int:
    if s.error is not None or not s.payload:
        return 2
    return 0 if looks_personal(s.payload) else 1


@settings(deadline=None)
@given(found=st.lists(symbols, max_size=6))
def test_personal_codes_first_then_others_then_unreadable(found: list[Symbol]) -> None:
    ordered = order_symbols(found, looks_personal)
    assert sorted(map(id, ordered)) == sorted(map(id, found))  # a permutation, nothing lost
    groups = [group(s) for s in ordered]
    assert groups == sorted(groups)


@settings(deadline=None)
@given(found=st.lists(symbols, min_size=1, max_size=6))
def test_within_a_group_the_nearest_code_is_first(found: list[Symbol]) -> None:
    ordered = order_symbols(found, looks_personal)
    for a, b in itertools.pairwise(ordered):
        if group(a) == group(b):
            assert side(a) >= side(b)


def test_a_pass_beside_a_larger_stray_code_comes_first(make_pass: Callable[..., str]) -> None:
    """Real decoder, real frame: the stray code is bigger and nearer, the pass still leads."""
    text = make_pass()
    left = frame(qr_image(text, module_px=4), Pose(center=(0.25, 0.5), size=0.35), seed=1)
    right = frame(qr_image("510384", module_px=8), Pose(center=(0.75, 0.5), size=0.45), seed=1)
    img = np.ascontiguousarray(np.hstack([left[:, :320], right[:, 320:]]))
    found = ZxingDecoder().decode(img)
    assert sorted(s.payload for s in found) == sorted([text.encode(), b"510384"])
    assert [s.payload for s in order_symbols(found, looks_personal)] == [
        text.encode(),
        b"510384",
    ]


def test_looks_personal_knows_our_formats_only() -> None:
    assert looks_personal(b"KP1:anything") and looks_personal(b"KP2:later")
    assert looks_personal(CCCD.encode())
    assert looks_personal(b"******012345|Ho Ten|15/03/1985|1|Q8F3K2M9|")
    for other in (b"510384", b"https://example.org", b"\xff\xfe", b"a|b|c", b"KP1" * 1000):
        assert not looks_personal(other)
