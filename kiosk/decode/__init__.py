"""QR decoders behind one small interface, chosen by the config's `decoder.type`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt

from kiosk.config import DecoderConfig, PyzbarDecoderConfig, ZxingDecoderConfig


@dataclass(frozen=True)
class Symbol:
    """One decoded QR code: its raw bytes, a plain-text rendering, and where it was."""

    payload: bytes
    text: str
    corners: tuple[tuple[int, int], ...] = ()
    error: str | None = None  # set when the code was found but could not be read


class Decoder(Protocol):
    name: str

    def decode(self, luma: npt.NDArray[np.uint8]) -> list[Symbol]:
        """Every QR code in an 8-bit greyscale image (H×W, C-contiguous).

        Codes found but not readable come back with `error` set, where the decoder says so.
        """
        ...


# The retry budget (seconds a frame) from which WeChat's CNN is among the retries.
WECHAT_BUDGET = 0.1


class DecoderUnavailable(RuntimeError):
    """The chosen decoder's library is not installed on this machine."""


def build_decoder(cfg: DecoderConfig) -> Decoder:
    if isinstance(cfg, ZxingDecoderConfig):
        from kiosk.decode.zxing import ZxingDecoder

        first = ZxingDecoder(try_invert=cfg.try_invert, try_downscale=cfg.try_downscale)
        if not cfg.retries:
            return first
        from kiosk.decode.cascade import Cascade
        from kiosk.decode.retries import measured

        # WeChat's CNN takes ~50 ms a region on a desktop core and ~0.5 s on a Pi 4 (instruction
        # counts, bench/decode_instructions.py), and 13 MB or more while it runs: only a kiosk
        # given the time for it loads it, rather than stalling once on a Pi to learn it never
        # fits.
        wechat = cfg.retry_budget >= WECHAT_BUDGET
        return Cascade(first, measured(first, wechat=wechat), budget=cfg.retry_budget)
    if isinstance(cfg, PyzbarDecoderConfig):
        from kiosk.decode.zbar import ZbarDecoder

        return ZbarDecoder()
    raise AssertionError(f"unhandled decoder config {cfg!r}")
