"""PASS and FAIL tones: distinct, generated, and silent when they should be."""

from __future__ import annotations

from datetime import time

import numpy as np
import numpy.typing as npt

from kiosk.config import SoundConfig
from kiosk.display.sound import FAIL_NOTES, PASS_NOTES, RATE, Sounds, in_quiet_hours, tone
from kiosk.policy.engine import Verdict


def dominant_hz(samples: npt.NDArray[np.int16]) -> float:
    mono = samples[:, 0].astype(float)
    spectrum = np.abs(np.fft.rfft(mono))
    return float(np.fft.rfftfreq(len(mono), 1 / RATE)[np.argmax(spectrum)])


def test_tones_are_short_distinct_and_scaled_by_volume() -> None:
    ok, bad = tone(PASS_NOTES, 1.0), tone(FAIL_NOTES, 1.0)
    assert ok.dtype == np.int16 and ok.shape[1] == 2
    assert len(ok) / RATE < 0.3 and len(bad) / RATE < 0.5
    assert dominant_hz(ok) > 800 and dominant_hz(bad) < 300
    assert np.abs(tone(PASS_NOTES, 0.25)).max() < 0.3 * np.abs(ok).max()
    assert abs(int(ok[0, 0])) < 200 and abs(int(ok[-1, 0])) < 200  # faded: no click


def test_quiet_hours_across_midnight() -> None:
    assert in_quiet_hours(time(23, 0), time(22, 0), time(6, 0))
    assert in_quiet_hours(time(5, 59), time(22, 0), time(6, 0))
    assert not in_quiet_hours(time(12, 0), time(22, 0), time(6, 0))
    assert in_quiet_hours(time(13, 0), time(12, 0), time(14, 0))


def test_play_respects_mute_quiet_hours_and_a_missing_device() -> None:
    cfg = SoundConfig(quiet_hours={"start": "22:00", "end": "06:00"})
    s = Sounds(cfg)
    assert s.play(Verdict.PASS, time(12, 0)) is False  # not opened: no device
    s.open()  # SDL's dummy audio driver (conftest) stands in for a sound card
    try:
        assert s.available
        assert s.play(Verdict.PASS, time(12, 0)) is True
        assert s.play(Verdict.FAIL, time(23, 30)) is False
        s.toggle_mute()
        assert s.play(Verdict.FAIL, time(12, 0)) is False
    finally:
        s.close()
    assert Sounds(SoundConfig(enabled=False)).play(Verdict.PASS, time(12, 0)) is False
