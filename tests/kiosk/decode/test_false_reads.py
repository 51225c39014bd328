"""No payload that was not in the picture: the decoder with its retries on frames without a code."""

from __future__ import annotations

import csv
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from kiosk.camera.scenes import background
from kiosk.decode.cascade import Cascade
from kiosk.decode.retries import WeChat, measured
from kiosk.decode.zxing import ZxingDecoder

Image = npt.NDArray[np.uint8]
PHOTOS = Path(__file__).resolve().parents[4] / "shared" / "data" / "qr-photos"


def fake_symbol(rng: np.random.Generator, modules: int) -> npt.NDArray[np.float32]:
    """A QR-like square: three real finder patterns and random modules between them.

    The hardest thing a door camera can show a decoder besides a real code (a logo, a
    halftone print): everything locates, nothing should read.
    """
    m = (rng.random((modules, modules)) > 0.5).astype(np.float32)
    finder = np.ones((7, 7), np.float32)
    finder[1:6, 1:6] = 0
    finder[2:5, 2:5] = 1
    for y, x in ((0, 0), (0, modules - 7), (modules - 7, 0)):
        m[y : y + 7, x : x + 7] = finder
    return np.pad(m, 4)


def clutter(seed: int) -> Image:
    """A 640×480 doorway frame full of code-like clutter and no code."""
    rng = np.random.default_rng(seed)
    img = background((640, 480), rng)
    for _ in range(int(rng.integers(3, 12))):
        x, y = int(rng.integers(0, 560)), int(rng.integers(0, 400))
        kind = int(rng.integers(0, 4))
        if kind == 0:
            sym = fake_symbol(rng, int(rng.choice([21, 25, 29, 33, 41])))
            px = int(rng.integers(2, 6))
            patch = 235 - 215 * np.kron(sym, np.ones((px, px), np.float32))
        elif kind == 1:  # halftone / random blocks
            n, px = int(rng.integers(8, 40)), int(rng.integers(2, 6))
            blocks = (rng.random((n, n)) > 0.5).astype(np.float32)
            patch = 235 - 215 * np.kron(blocks, np.ones((px, px), np.float32))
        elif kind == 2:  # stripes: a 1D barcode, a shirt
            w = int(rng.integers(2, 6))
            bars = rng.integers(0, 2, 30).astype(np.float32) * 215 + 20
            patch = np.tile(np.repeat(bars, w), (60, 1)).astype(np.float32)
        else:  # text
            patch = np.full((40, 200), 230.0, np.float32)
            cv2.putText(patch, str(rng.integers(10**8)), (5, 30), cv2.FONT_HERSHEY_SIMPLEX,
                        1.0, (20.0,), 2)  # fmt: skip
        patch = patch.astype(np.float32)
        if rng.random() < 0.5:  # angled, and blurred as the camera would see it
            h, w = patch.shape
            rot = cv2.getRotationMatrix2D((w / 2, h / 2), float(rng.uniform(-40, 40)), 1.0)
            fill = (float(img[y, x]),)
            patch = np.asarray(cv2.warpAffine(patch, rot, (w, h), borderValue=fill), np.float32)
        if rng.random() < 0.5:
            sigma = float(rng.uniform(0.5, 2.5))
            patch = np.asarray(cv2.GaussianBlur(patch, (0, 0), sigma), np.float32)
        h, w = min(patch.shape[0], 480 - y), min(patch.shape[1], 640 - x)
        img[y : y + h, x : x + w] = patch[:h, :w]
    noise = np.empty(img.shape, np.float32)
    cv2.setRNGSeed(seed)
    cv2.randn(noise, np.zeros(1), np.full(1, rng.uniform(1, 10)))
    return np.asarray(np.clip(img + noise, 0, 255).astype(np.uint8))


@pytest.fixture(scope="module")
def cascade() -> Cascade:
    zxing = ZxingDecoder()
    # A generous budget: every retry, WeChat's CNN included, gets its chance to misread.
    return Cascade(zxing, measured(zxing), budget=1.0, window=0.0)


@pytest.mark.slow
def test_no_payload_from_thousands_of_code_like_clutter_frames() -> None:
    zxing = ZxingDecoder()
    # Every retry but WeChat's (~40 ms a region here, so taken on fewer frames below): all of
    # them run on each region located and not read.
    cascade = Cascade(zxing, measured(zxing, wechat=False), budget=1.0, window=0.0)
    located = 0
    for seed in range(1200):
        symbols = cascade.decode(clutter(seed))
        assert [s.payload for s in symbols if s.error is None] == [], seed
        located += bool(symbols)
    # The frames did reach the retries: code-shaped regions were located and not read.
    assert located > 100


@pytest.mark.slow
def test_no_payload_from_clutter_with_every_retry(cascade: Cascade) -> None:
    for seed in range(2000, 2200):
        symbols = cascade.decode(clutter(seed))
        assert [s.payload for s in symbols if s.error is None] == [], seed
    # WeChat on whole frames too, where its CNN detector does the looking.
    wechat = WeChat()
    for seed in range(2200, 2210):
        assert wechat.read(clutter(seed)) == [], seed


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(arrays(np.uint8, st.tuples(st.integers(21, 200), st.integers(21, 200))))
def test_no_payload_from_arbitrary_pixels(cascade: Cascade, img: Image) -> None:
    symbols = cascade.decode(np.ascontiguousarray(img))
    assert [s for s in symbols if s.error is None] == []


@pytest.mark.skipif(
    not (PHOTOS / "manifest.csv").exists(), reason=f"the photo set is not at {PHOTOS}"
)
def test_no_payload_from_the_photographs_without_a_code(cascade: Cascade) -> None:
    rows = list(csv.DictReader((PHOTOS / "manifest.csv").open(encoding="utf-8")))
    empty = [r["image"] for r in rows if not r["expected_text_file"]]
    assert len(empty) >= 20
    for name in empty:
        img = cv2.imread(str(PHOTOS / name), cv2.IMREAD_GRAYSCALE)
        assert img is not None, name
        symbols = cascade.decode(np.ascontiguousarray(img, dtype=np.uint8))
        assert [s.payload for s in symbols if s.error is None] == [], name
