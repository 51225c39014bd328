"""Scan help: a code in view that does not read gets the right hint, after a moment."""

from __future__ import annotations

import time
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt
import pytest

from checkin_protocol.keys import TrustStore
from kiosk.camera import Frame
from kiosk.camera.scenes import Pose, frame, qr_image
from kiosk.config.decoder import ZxingDecoderConfig
from kiosk.decode import Decoder, build_decoder
from kiosk.decode.diagnose import Locator, ScanFeedback, diagnose
from kiosk.decode.zxing import ZxingDecoder

CODE = qr_image("KP1:" + "X" * 240)


def corners_of(pose: Pose, w: int = 640, h: int = 480) -> tuple[tuple[int, int], ...]:
    half = pose.size * h / 2
    cx, cy = pose.center[0] * w, pose.center[1] * h
    return tuple(
        (int(cx + dx * half), int(cy + dy * half))
        for dx, dy in ((-1, -1), (1, -1), (1, 1), (-1, 1))
    )


def glare(img: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
    yy, xx = np.mgrid[0 : img.shape[0], 0 : img.shape[1]]
    blob = np.exp(-((xx - 330) ** 2 + (yy - 230) ** 2) / (2 * 45**2)) * 400
    return np.asarray(np.clip(img.astype(np.float32) + blob, 0, 255), dtype=np.uint8)


def test_glare_is_found_by_the_decoder_and_named() -> None:
    img = glare(frame(CODE, Pose(), seed=1))
    (found,) = ZxingDecoder().decode(img)
    assert found.error is not None and len(found.corners) == 4  # located, not read
    assert diagnose(img, found.corners) == "help.glare"


def test_a_dim_phone_screen_is_located_and_named() -> None:
    img = (frame(CODE, Pose(contrast=0.12, noise=3), seed=1) * 0.3).astype(np.uint8)
    assert ZxingDecoder().decode(img) == []
    corners = Locator(interval=0).locate(img, 0.0)
    assert corners is not None
    assert diagnose(img, corners) == "help.dark"


@pytest.mark.parametrize(
    ("pose", "hint"),
    [
        (Pose(size=0.1), "help.far"),
        (Pose(size=1.2), "help.close"),
        (Pose(center=(0.1, 0.5), size=0.4), "help.close"),  # cut off at the edge
        (Pose(blur=4.0), "help.blur"),
        (Pose(), "help.generic"),
    ],
)
def test_hints_from_where_the_code_is(pose: Pose, hint: str) -> None:
    img = frame(CODE, pose, seed=2)
    assert diagnose(img, corners_of(pose)) == hint


def test_locator_runs_at_a_bounded_rate_and_seldom_on_an_empty_doorway() -> None:
    loc = Locator(interval=0.3, idle_interval=1.2)
    empty = frame(None, seed=1)
    for i in range(300):
        loc.locate(empty, i * 0.033)  # ten seconds of frames at 30 fps, no code
    assert 8 <= loc.runs <= 11  # about once a second, not every 0.3 s (33) nor per frame
    dim = (frame(CODE, Pose(contrast=0.12, noise=3), seed=1) * 0.3).astype(np.uint8)
    runs, found = loc.runs, 0
    for i in range(300, 330):  # then a second with a code it can find
        found += loc.locate(dim, i * 0.033) is not None
    assert found >= 2 and loc.runs - runs <= 4  # back to every 0.3 s while it finds one


def test_hint_appears_only_after_the_code_stayed_unread() -> None:
    fb = ScanFeedback()
    c = ((1, 1), (2, 1), (2, 2))
    fb.seen(c, read=False, hint="help.glare")
    now = time.monotonic()
    assert fb.hint(now, after=0.6) is None
    assert fb.hint(now + 0.3, after=0.25) == "help.glare"
    assert fb.hint(now + 5, after=0.25) is None  # the code has gone
    fb.seen(c, read=True)
    assert fb.hint(time.monotonic(), after=0.0) is None


def decision_loop(tmp_path, trust, decoder: Decoder, fb: ScanFeedback):  # type: ignore[no-untyped-def]
    from checkin_protocol.records import Direction
    from kiosk.camera.capture import FrameSlot
    from kiosk.config import PolicyConfig
    from kiosk.decision.loop import DecisionLoop, Judgement, Recognition, Recording
    from kiosk.decode.dedupe import RepeatSuppressor
    from kiosk.passes import CodeReader
    from kiosk.policy.denylist import DenyList
    from kiosk.policy.engine import VenuePolicy
    from kiosk.store import RecordStore

    store = RecordStore(tmp_path / "k.db", min_free_mb=0)
    store.open()
    loop = DecisionLoop(
        Recognition(
            FrameSlot(), decoder, RepeatSuppressor(5), feedback=fb, locator=Locator(interval=0),
        ),
        Judgement(
            CodeReader(trust=trust, sealing=DenyList()),
            VenuePolicy(PolicyConfig(), Direction.ENTRY, "Asia/Ho_Chi_Minh", DenyList()),
        ),
        Recording(store, "v", "k", lambda o: None),
    )  # fmt: skip
    return loop, store


def test_the_decision_loop_feeds_the_screen(tmp_path, trust) -> None:  # type: ignore[no-untyped-def]
    fb = ScanFeedback()
    loop, store = decision_loop(tmp_path, trust, ZxingDecoder(), fb)
    img = glare(frame(CODE, Pose(), seed=1))
    for _ in range(3):
        loop.process(Frame(img, 1, time.monotonic_ns()))
    seen = fb.snapshot()
    assert seen is not None and not seen.read and seen.hint == "help.glare"
    assert list(store.records()) == []  # an unread code is not a decision
    loop.process(Frame(frame(CODE, Pose(), seed=1), 2, time.monotonic_ns()))
    assert fb.snapshot().read  # type: ignore[union-attr]
    store.close()


def test_the_kiosk_reads_a_blurred_code_and_asks_a_shaking_hand_to_hold_still(
    tmp_path: Path, trust: TrustStore
) -> None:
    fb = ScanFeedback()
    kiosk = build_decoder(ZxingDecoderConfig(type="zxing-cpp"))
    loop, store = decision_loop(tmp_path, trust, kiosk, fb)
    for seq in range(3):  # waved past the camera: found, not read, the hint is to hold still
        img = shaken(frame(CODE, Pose(size=0.5), seed=seq))
        assert loop.process(Frame(img, seq, time.monotonic_ns())) == []
        seen = fb.snapshot()
        assert seen is not None and not seen.read and seen.hint == "help.blur"
    assert list(store.records()) == []
    # Held still but out of focus: too blurred for zxing-cpp to find, read by the retries.
    soft = frame(qr_image("KP1:" + "B" * 180, module_px=4), Pose(blur=2.5, size=0.5), seed=0)
    assert ZxingDecoder().decode(soft) == []
    (outcome,) = loop.process(Frame(soft, 9, time.monotonic_ns()))
    assert outcome.record is not None  # decided (refused: it is no pass) and recorded
    assert fb.snapshot().read  # type: ignore[union-attr]
    store.close()


def shaken(img: npt.NDArray[np.uint8], length: int = 13) -> npt.NDArray[np.uint8]:
    """The frame smeared sideways, as a code waved past the camera is."""
    k = np.zeros((length, length), np.float32)
    k[length // 2, :] = 1 / length
    return np.asarray(cv2.filter2D(img, -1, k), np.uint8)


def test_a_shaken_code_is_found_and_the_visitor_asked_to_hold_still() -> None:
    loc = Locator(interval=0)
    for seed in range(3):
        img = shaken(frame(CODE, Pose(size=0.5), seed=seed))
        assert ZxingDecoder().decode(img) == []  # its finder patterns are smeared away
        corners = loc.locate(img, float(seed))
        assert corners is not None
        assert diagnose(img, corners) == "help.blur"  # "Please hold the code still"
