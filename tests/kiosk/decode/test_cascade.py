"""The retries for a located, unread code: where they run, in what order, within what budget."""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt
import pytest
from pydantic import ValidationError

from kiosk.camera.scenes import Pose, frame, qr_image
from kiosk.config.decoder import ZxingDecoderConfig
from kiosk.decode import Symbol, build_decoder
from kiosk.decode.cascade import Cascade, decode_frame, sharpness
from kiosk.decode.finder import CnnFinder
from kiosk.decode.retries import Filtered, WeChat, measured, unsharp
from kiosk.decode.zxing import ZxingDecoder

Image = npt.NDArray[np.uint8]
PAYLOAD = "KP1:" + "B" * 180


def blurred(seed: int = 0, blur: float = 2.2, center: tuple[float, float] = (0.5, 0.5)) -> Image:
    """A focus-blurred code that zxing-cpp locates but cannot read (checked in each test)."""
    return frame(
        qr_image(PAYLOAD, module_px=4), Pose(blur=blur, size=0.5, center=center), seed=seed
    )


class Clock:
    """Time that passes only while a retry works."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class Recording:
    """A retry that reads nothing, takes `cost` seconds of `clock`, and notes its regions."""

    def __init__(self, name: str = "recording", clock: Clock | None = None, cost: float = 0.0):
        self.name = name
        self.regions: list[Image] = []
        self._clock = clock
        self._cost = cost

    def read(self, region: Image) -> list[Symbol]:
        self.regions.append(region)
        if self._clock is not None:
            self._clock.now += self._cost
        return []


@pytest.fixture(scope="module")
def zxing() -> ZxingDecoder:
    return ZxingDecoder()


def test_a_focus_blurred_code_zxing_locates_but_cannot_read_is_read(zxing: ZxingDecoder) -> None:
    cascade = Cascade(zxing, measured(zxing, wechat=False), budget=1.0)
    for seed in (0, 2, 3):
        img = blurred(seed)
        first = zxing.decode(img)
        assert first and all(s.error is not None for s in first)  # located, not read
        read = [s for s in cascade.decode(img) if s.error is None]
        assert [s.text for s in read] == [PAYLOAD]
        # Reported where the code is, in the frame's pixels (the preview outlines it there).
        xs = [x for x, _ in read[0].corners]
        assert 150 < min(xs) < 320 < max(xs) < 490


def test_no_retry_runs_on_frames_without_a_code(zxing: ZxingDecoder) -> None:
    spy = Recording()
    cascade = Cascade(zxing, [spy], budget=1.0)
    for seed in range(40):
        assert cascade.decode(frame(None, seed=seed)) == []
    assert spy.regions == []


def test_no_retry_runs_on_a_code_read_at_once(zxing: ZxingDecoder) -> None:
    spy = Recording()
    cascade = Cascade(zxing, [spy], budget=1.0)
    sharp = frame(qr_image(PAYLOAD), Pose(angle=10), seed=1)
    assert [s.text for s in cascade.decode(sharp)] == [PAYLOAD]
    assert spy.regions == []


def test_retries_run_in_order_and_stop_at_the_first_read(zxing: ZxingDecoder) -> None:
    before, after = Recording("before"), Recording("after")
    sharpen = Filtered("unsharp", unsharp(2.0, 5.0), zxing)
    cascade = Cascade(zxing, [before, sharpen, after], budget=1.0)
    assert [s.text for s in cascade.decode(blurred()) if s.error is None] == [PAYLOAD]
    assert len(before.regions) == 1
    assert after.regions == []


def test_a_frames_retries_stop_at_its_budget(zxing: ZxingDecoder) -> None:
    clock = Clock()
    spies = [Recording(str(i), clock, cost=0.010) for i in range(6)]
    cascade = Cascade(zxing, spies, budget=0.025, clock=clock)
    cascade.decode(blurred())
    # Their cost not known yet, each starts while budget is left: at 0, 10 and 20 ms.
    assert [len(s.regions) for s in spies] == [1, 1, 1, 0, 0, 0]
    # The next frame of the same code takes up where this one stopped.
    cascade.decode(blurred(seed=2))
    assert [len(s.regions) for s in spies] == [1, 1, 1, 1, 1, 1]
    # Then the second look's retries; now known to cost 10 ms, the third (20 to 30) does
    # not fit in 25 and is left for the frame after.
    cascade.decode(blurred(seed=3))
    assert [len(s.regions) for s in spies] == [2, 2, 1, 1, 1, 1]


def test_a_retry_too_slow_for_any_frame_is_skipped_after_its_first_run(
    zxing: ZxingDecoder,
) -> None:
    clock = Clock()
    slow, cheap = Recording("slow", clock, cost=0.100), Recording("cheap", clock, cost=0.001)
    cascade = Cascade(zxing, [slow, cheap], budget=0.040, clock=clock, window=0.0)
    cascade.decode(blurred())
    assert len(slow.regions) == 1 and cheap.regions == []  # its cost was not known yet
    for seed in (2, 3):
        cascade.decode(blurred(seed))
    assert len(slow.regions) == 1  # 100 ms never fits 40
    assert len(cheap.regions) == 2  # and does not hold up the ones after it
    # Passed over, its estimate fades (a slow run may have been a load spike): it is tried
    # again, once, when the estimate fits the budget.
    for k in range(40):
        cascade.decode(blurred((0, 2, 3)[k % 3]))
    assert len(slow.regions) == 2


def test_the_sharpest_recent_sighting_gets_the_retries(zxing: ZxingDecoder) -> None:
    clock = Clock()
    spies = [Recording(str(i), clock, cost=0.010) for i in range(3)]
    cascade = Cascade(zxing, spies, budget=0.015, clock=clock, window=10.0)
    crisp, soft = blurred(0, blur=2.2), blurred(3, blur=2.4)
    assert sharpness(soft) < sharpness(crisp)
    cascade.decode(crisp)  # two retries fit
    cascade.decode(soft)  # a blurrier look at the same code: the crisp one gets the third
    assert [len(s.regions) for s in spies] == [1, 1, 1]
    looks = [sharpness(s.regions[0]) for s in spies]
    assert looks[0] == looks[1] == looks[2]
    # Retries left only on the blurred looks now: they get the next frames.
    cascade.decode(soft)
    assert sharpness(spies[0].regions[-1]) < looks[0]


def test_a_code_elsewhere_is_not_mixed_with_the_last_one(zxing: ZxingDecoder) -> None:
    spy = Recording()
    cascade = Cascade(zxing, [spy], budget=1.0, window=10.0)
    cascade.decode(blurred(0, center=(0.3, 0.5)))
    cascade.decode(blurred(0, center=(0.72, 0.5)))
    # One retry each: the first code's region is not taken up again for the second.
    assert len(spy.regions) == 2


def test_wechat_reads_a_sharp_code_from_the_models_shipped_with_the_kiosk() -> None:
    region = frame(qr_image(PAYLOAD), Pose(), seed=3)[60:420, 140:500]
    (read,) = WeChat().read(np.ascontiguousarray(region))
    assert read.text == PAYLOAD and read.payload == PAYLOAD.encode()
    assert len(read.corners) == 4


def test_the_kiosk_decoder_retries_within_the_configured_budget() -> None:
    cfg = ZxingDecoderConfig.model_validate({"type": "zxing-cpp", "retry_budget": "15ms"})
    decoder = build_decoder(cfg)
    assert isinstance(decoder, Cascade)
    # Held up for a second (12 frames): a budget spent on one frame goes on with the next,
    # so the read does not depend on how fast this machine is at the moment.
    image = blurred()
    reads = ([s.text for s in decoder.decode(image) if s.error is None] for _ in range(12))
    assert next((r for r in reads if r), []) == [PAYLOAD]
    assert ZxingDecoderConfig(type="zxing-cpp").retry_budget == 0.04
    # WeChat's CNN (~50 ms a region here, ~0.5 s on a Pi) only where the budget has room.
    assert "wechat" not in [r.name for r in decoder.retries]
    roomy = build_decoder(
        ZxingDecoderConfig.model_validate({"type": "zxing-cpp", "retry_budget": "150ms"})
    )
    assert isinstance(roomy, Cascade) and roomy.retries[-1].name == "wechat"
    plain = build_decoder(ZxingDecoderConfig(type="zxing-cpp", retries=False))
    assert isinstance(plain, ZxingDecoder)
    assert [s for s in plain.decode(blurred()) if s.error is None] == []
    with pytest.raises(ValidationError):
        ZxingDecoderConfig.model_validate({"type": "zxing-cpp", "retry_budget": "2s"})


def test_a_frame_reads_a_small_code_from_the_full_frame_before_any_retry(
    zxing: ZxingDecoder,
) -> None:
    far = "KP1:" + "A" * 150
    full = frame(qr_image(far), Pose(size=0.12), size=(1920, 1440), seed=1)
    small = cv2.resize(full, (640, 480), interpolation=cv2.INTER_AREA)
    lores: Image = np.ascontiguousarray(small, dtype=np.uint8)
    first = zxing.decode(lores)
    assert first and all(s.error is not None for s in first)  # located, not read
    spy = Recording()
    cascade = Cascade(zxing, [spy], budget=1.0)
    assert [s.text for s in decode_frame(cascade, lores, full)] == [far]
    assert spy.regions == []
    # Without the full frame, the retries get the code.
    decode_frame(cascade, lores, None)
    assert len(spy.regions) == 1


def test_a_code_too_blurred_to_locate_is_found_by_the_cnn_and_read(zxing: ZxingDecoder) -> None:
    cascade = Cascade(zxing, measured(zxing, wechat=False), budget=1.0)
    finder = CnnFinder()
    for seed in (0, 1, 2):
        img = blurred(seed, blur=2.5)
        assert zxing.decode(img) == []  # not even located by its finder patterns
        assert [s for s in decode_frame(cascade, img, None) if s.error is None] == []
        read = [s for s in decode_frame(cascade, img, None, finder) if s.error is None]
        assert [s.text for s in read] == [PAYLOAD]


def test_an_empty_doorway_runs_no_retry_with_the_cnn_looking(zxing: ZxingDecoder) -> None:
    spy = Recording()
    cascade = Cascade(zxing, [spy], budget=1.0)
    finder = CnnFinder()
    looked = 0

    def locate(luma: Image) -> tuple[tuple[int, int], ...] | None:
        nonlocal looked
        looked += 1
        return finder(luma)

    for seed in range(30):
        assert decode_frame(cascade, frame(None, seed=seed), None, locate) == []
    assert looked == 30 and spy.regions == []
