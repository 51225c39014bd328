"""Ways to read a located code region again: sharpen, equalise, enlarge, deconvolve, WeChat."""

from __future__ import annotations

from collections.abc import Callable
from importlib import resources

import cv2
import numpy as np
import numpy.typing as npt

from kiosk.decode import Decoder, Symbol
from kiosk.decode.cascade import Retry

Image = npt.NDArray[np.uint8]


def unsharp(sigma: float, amount: float) -> Callable[[Image], Image]:
    """Unsharp mask: a focus-blurred edge gets back its step, so the binariser finds modules."""

    def apply(img: Image) -> Image:
        soft = cv2.GaussianBlur(img, (0, 0), sigma)
        return np.asarray(cv2.addWeighted(img, 1 + amount, soft, -amount, 0), np.uint8)

    return apply


def equalise(img: Image) -> Image:
    """Local contrast (CLAHE): modules next to a glare patch or in shadow get their contrast."""
    return np.asarray(cv2.createCLAHE(2.0, (4, 4)).apply(img), np.uint8)


def then(*steps: Callable[[Image], Image]) -> Callable[[Image], Image]:
    def apply(img: Image) -> Image:
        for step in steps:
            img = step(img)
        return img

    return apply


def disc(radius: float) -> npt.NDArray[np.float32]:
    """A defocused lens's blur: a uniform disc, its rim anti-aliased."""
    r = int(np.ceil(radius))
    yy, xx = np.mgrid[-r : r + 1, -r : r + 1].astype(np.float32)
    k = np.clip(radius + 0.5 - np.hypot(xx, yy), 0, 1).astype(np.float32)
    return np.asarray(k / k.sum(), np.float32)


def deconvolve(radius: float, nsr: float = 0.01, half: int = 14) -> Callable[[Image], Image]:
    """Wiener deconvolution for a blur disc of `radius` px: undoes a focus blur an unsharp mask
    cannot (the disc's zeros wipe out whole module frequencies); `nsr` keeps noise down.

    The filter is computed once, as a (2·half+1)² kernel in pixel space: OpenCV applies it in
    ~2 ms a region where a per-region FFT took 5 to 12 (and a 29-pixel kernel read more of the
    focus-blurred bench regions than the exact FFT filter: 9 of 15 against 7).
    """
    size = 64
    k = disc(radius)
    psf = np.zeros((size, size), np.float64)
    psf[: k.shape[0], : k.shape[1]] = k
    psf = np.roll(psf, (-(k.shape[0] // 2), -(k.shape[1] // 2)), (0, 1))
    h = np.fft.fft2(psf)
    inverse = np.fft.fftshift(np.real(np.fft.ifft2(np.conj(h) / (np.abs(h) ** 2 + nsr))))
    c = size // 2
    kernel = inverse[c - half : c + half + 1, c - half : c + half + 1]
    kernel = (kernel / kernel.sum()).astype(np.float32)  # keep the grey level where it was

    def apply(img: Image) -> Image:
        out = cv2.filter2D(img.astype(np.float32), -1, kernel, borderType=cv2.BORDER_REPLICATE)
        return np.asarray(np.clip(out, 0, 255).astype(np.uint8))

    return apply


def enlarge(factor: float) -> Callable[[Image], Image]:
    """Bicubic scale-up: a small code's 2-pixel modules become 4, which the sampler can hit."""

    def apply(img: Image) -> Image:
        big = cv2.resize(img, None, fx=factor, fy=factor, interpolation=cv2.INTER_CUBIC)
        return np.asarray(big, np.uint8)

    return apply


class Filtered:
    """A filter over the region, then `decoder` (zxing-cpp) on the result."""

    def __init__(
        self, name: str, apply: Callable[[Image], Image], decoder: Decoder, scale: float = 1.0
    ) -> None:
        self.name = name
        self._apply = apply
        self._decoder = decoder
        self._scale = scale  # how much `apply` enlarges, to give corners in the region's pixels

    def read(self, region: Image) -> list[Symbol]:
        out = np.ascontiguousarray(self._apply(region))
        return [
            Symbol(
                s.payload,
                s.text,
                tuple((int(x / self._scale), int(y / self._scale)) for x, y in s.corners),
            )
            for s in self._decoder.decode(out)
            if s.error is None
        ]


MODELS = ("detect.prototxt", "detect.caffemodel", "sr.prototxt", "sr.caffemodel")


class WeChat:
    """OpenCV's WeChat reader: a CNN finds the code, a CNN enlarges it, its own decoder reads.

    It reads some codes behind glare and some small ones that zxing-cpp does not, at ~50 ms a
    region on the development machine, so it is the last retry and runs only where the budget
    allows. The models ship in kiosk/decode/wechat (Apache-2.0). Text comes back as UTF-8, so
    a code whose bytes are not UTF-8 is not read by this retry.
    """

    name = "wechat"

    def __init__(self) -> None:
        folder = resources.files("kiosk.decode").joinpath("wechat")
        with resources.as_file(folder) as path:
            self._reader = cv2.wechat_qrcode.WeChatQRCode(*(str(path / m) for m in MODELS))

    def read(self, region: Image) -> list[Symbol]:
        try:
            texts, points = self._reader.detectAndDecode(region)
        except (UnicodeDecodeError, cv2.error):
            return []
        out = []
        for text, pts in zip(texts, points, strict=False):
            if not text:
                continue
            corners = tuple((int(x), int(y)) for x, y in np.asarray(pts).reshape(-1, 2))
            out.append(Symbol(text.encode("utf-8"), text, corners))
        return out


def measured(decoder: Decoder, *, wechat: bool = True) -> list[Retry]:
    """The retries in the order measured on door frames (bench/doorframes.py, seeds apart from
    the bench's), on the regions the kiosk retries: 151 codes zxing-cpp located but could not
    read, or the Locator's CNN found where it located nothing. Greedily, most codes read per ms
    first: an unsharp mask (σ 2, amount 5) read 13; a 2× scale-up 6 more; Wiener deconvolution
    of a 3 px blur disc 4 more; local equalisation and a milder unsharp mask 2 more; local
    equalisation alone none more there (2 in an earlier set of zxing-located regions), so it
    is last. WeChat's reader read 13 of them alone, but only 2 that the others did not, at
    ~50 ms a region here (the others 0.5 to 2 ms).
    """
    retries: list[Retry] = [
        Filtered("unsharp", unsharp(2.0, 5.0), decoder),
        Filtered("enlarge", enlarge(2.0), decoder, scale=2.0),
        Filtered("deconvolve", deconvolve(3.0), decoder),
        Filtered("equalise+unsharp", then(equalise, unsharp(2.0, 3.0)), decoder),
        Filtered("equalise", equalise, decoder),
    ]
    if wechat:
        retries.append(WeChat())
    return retries
