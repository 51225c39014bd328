"""Every decoder, one contract: real decoders on generated camera-like images."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pytest
import segno
import zxingcpp

from kiosk.camera.scenes import Pose, frame, qr_image
from kiosk.config import PyzbarDecoderConfig, ZxingDecoderConfig
from kiosk.decode import Decoder, DecoderUnavailable, build_decoder
from kiosk.decode.dedupe import RepeatSuppressor

CCCD = "001090012345|123456789|NGUYỄN VĂN AN|01011990|Nam|Số 1, Phố Huế, Hà Nội|01012021"


def _decoder(kind: str) -> Decoder:
    cfg = (
        ZxingDecoderConfig(type="zxing-cpp")
        if kind == "zxing-cpp"
        else PyzbarDecoderConfig(type="pyzbar")
    )
    try:
        return build_decoder(cfg)
    except DecoderUnavailable as exc:
        pytest.skip(f"{kind} unavailable here: {exc}")


@pytest.fixture(params=["zxing-cpp", "pyzbar"])
def decoder(request: pytest.FixtureRequest) -> Decoder:
    return _decoder(request.param)


POSES = {
    "flat": Pose(),
    "rotated 30°": Pose(angle=30),
    "upside down": Pose(angle=180),
    "perspective": Pose(tilt=0.08, angle=-10),
    "blurred": Pose(blur=1.2),
    "small (far away)": Pose(size=0.25),
    "low contrast": Pose(contrast=0.45, noise=4),
    "dark mode": Pose(invert=True),
}


@pytest.mark.parametrize("pose", POSES.values(), ids=POSES.keys())
def test_reads_utf8_payload_as_bytes(decoder: Decoder, pose: Pose) -> None:
    img = frame(qr_image(CCCD), pose, seed=7)
    found = decoder.decode(img)
    assert [s.payload for s in found] == [CCCD.encode("utf-8")]
    assert found[0].text == CCCD


def test_no_code_no_result(decoder: Decoder) -> None:
    for seed in range(5):
        assert decoder.decode(frame(None, seed=seed)) == []
    assert decoder.decode(np.zeros((480, 640), np.uint8)) == []
    assert decoder.decode(np.full((480, 640), 255, np.uint8)) == []


def test_two_codes_in_one_frame(decoder: Decoder) -> None:
    a, b = (
        frame(qr_image("first"), Pose(center=(0.25, 0.5), size=0.4), seed=1),
        frame(qr_image("second"), Pose(center=(0.75, 0.5), size=0.4), seed=1),
    )
    img = np.hstack([a[:, :320], b[:, 320:]])
    assert sorted(s.payload for s in decoder.decode(img)) == [b"first", b"second"]


def test_reports_corners(decoder: Decoder) -> None:
    (sym,) = decoder.decode(frame(qr_image("corner"), Pose(center=(0.5, 0.5), size=0.5), seed=2))
    assert len(sym.corners) == 4
    xs = [x for x, _ in sym.corners]
    assert 100 < min(xs) < 320 < max(xs) < 540


def test_zxing_reads_binary_payload_byte_exact() -> None:
    payload = bytes(range(256))
    (sym,) = _decoder("zxing-cpp").decode(
        frame(qr_image(payload, module_px=5), Pose(size=0.9), seed=3)
    )
    assert sym.payload == payload


def test_zxing_reads_strong_perspective_where_zbar_does_not() -> None:
    """One of the reasons zxing-cpp is the default (bench/decoders.py has the figures)."""
    img = frame(qr_image(CCCD), Pose(tilt=0.15, angle=-10), seed=7)
    assert [s.payload for s in _decoder("zxing-cpp").decode(img)] == [CCCD.encode()]


def test_zxing_without_invert_misses_dark_mode() -> None:
    """try_invert is what reads dark-mode codes: turning it off must lose them."""
    img = frame(qr_image("dark"), Pose(invert=True), seed=4)
    off = build_decoder(ZxingDecoderConfig(type="zxing-cpp", try_invert=False))
    assert off.decode(img) == []
    assert [s.payload for s in _decoder("zxing-cpp").decode(img)] == [b"dark"]


def test_repeats_are_one_scan_and_other_codes_pass_at_once() -> None:
    s = RepeatSuppressor(window=5.0)
    assert s.accept(b"A", 0.0)
    assert not s.accept(b"A", 0.1)
    assert s.accept(b"B", 0.2)  # a different code is handled at once
    assert not s.accept(b"A", 4.9)  # still in view: the window runs from the last sighting
    assert not s.accept(b"A", 9.8)
    assert s.accept(b"A", 15.0)  # shown again after a pause
    assert s.suppressed == 3


def test_forget_allows_an_immediate_retry() -> None:
    s = RepeatSuppressor(window=5.0)
    assert s.accept(b"A", 0.0)
    s.forget(b"A")
    assert s.accept(b"A", 0.1)


def test_suppressor_memory_is_bounded() -> None:
    s = RepeatSuppressor(window=1.0)
    for i in range(10_000):
        s.accept(str(i).encode(), i * 0.1)
    assert len(s._last_seen) < 100


def _micro_qr_frame(text: str) -> npt.NDArray[np.uint8]:
    """A clean image of a real Micro QR symbol (segno), as big and sharp as a code can be."""
    micro = segno.make_micro(text)
    assert micro.is_micro
    matrix = np.pad(np.array([list(row) for row in micro.matrix], dtype=np.uint8), 4)
    img = np.where(matrix > 0, 0, 255).astype(np.uint8)
    return np.ascontiguousarray(np.kron(img, np.ones((8, 8), dtype=np.uint8)))


@pytest.mark.parametrize("text", ["510384", "1", "HELLO", "KP1:X"])
def test_micro_qr_is_never_decoded(decoder: Decoder, text: str) -> None:
    """Micro QR is in zxing-cpp 3.x's `QRCode` family; a corner of a real pass once read as
    Micro QR "510384" and replaced the visitor's PASS with a FAIL. No pass is Micro QR."""
    assert decoder.decode(_micro_qr_frame(text)) == []
    assert decoder.decode(np.ascontiguousarray(255 - _micro_qr_frame(text))) == []


def test_micro_qr_beside_a_standard_code_leaves_only_the_standard_one(decoder: Decoder) -> None:
    img = frame(qr_image(CCCD), Pose(center=(0.3, 0.5), size=0.5), seed=5)
    micro = _micro_qr_frame("510384")
    h, w = micro.shape
    img[20 : 20 + h, 640 - 20 - w : 620] = micro
    assert [s.payload for s in decoder.decode(img)] == [CCCD.encode()]


def test_rmqr_is_never_decoded_by_zxing() -> None:
    zxing = _decoder("zxing-cpp")
    make = getattr(zxingcpp, "create_barcode", None)
    rmqr = getattr(zxingcpp.BarcodeFormat, "RMQRCode", None)
    if make is None or rmqr is None:
        pytest.skip("this zxing-cpp cannot write rMQR")
    try:
        code = make("510384", rmqr)
        img = np.asarray(code.to_image(scale=8), dtype=np.uint8)
    except Exception as exc:  # an older writer may lack rMQR; the reader side is the point
        pytest.skip(f"cannot write rMQR here: {exc}")
    if img.ndim == 3:
        img = img[..., 0]
    padded = np.ascontiguousarray(np.pad(img, 40, constant_values=255))
    assert zxingcpp.read_barcodes(padded), "the library itself reads it (test is meaningful)"
    assert zxing.decode(padded) == []
