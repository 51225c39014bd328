"""PASS and FAIL tones: distinct, generated, and silent when they should be."""

from __future__ import annotations

import shutil
import wave
from datetime import time
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from checkin_protocol.reasons import Reason
from kiosk.config import SoundConfig
from kiosk.display.messages import keys
from kiosk.display.sound import (
    FAIL_NOTES,
    PASS_NOTES,
    RATE,
    SPOKEN,
    Sounds,
    SpeechUnavailable,
    clip_path,
    in_quiet_hours,
    spoken_key,
    synthesise,
    tone,
)
from kiosk.display.views import VerdictView
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


def test_the_spoken_key_follows_the_screen_title() -> None:
    assert spoken_key(VerdictView(Verdict.PASS), "exit") == "pass.exit"
    assert spoken_key(VerdictView(Verdict.PASS, manual_reason="delivery"), "entry") == "pass.manual"
    assert spoken_key(VerdictView(Verdict.FAIL, Reason.BAD_SIGNATURE), "entry") == "fail.title.code"
    assert spoken_key(VerdictView(Verdict.FAIL, Reason.DENIED), "entry") == "fail.title.not_now"
    assert set(SPOKEN) <= set(keys())


def test_speech_plays_the_venues_clips_and_never_crashes_on_a_bad_one(tmp_path: Path) -> None:
    """A venue's own recording is used as it is; a broken file or a missing one is silence."""
    (tmp_path / "vi").mkdir()
    wav = clip_path(tmp_path, "vi", "pass.entry")
    with wave.open(str(wav), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(tone([(440.0, 0.2)], 0.5)[:, 0].tobytes())
    clip_path(tmp_path, "vi", "fail.title.code").write_bytes(b"RIFF\0\0\0\0WAVEjunk")
    s = Sounds(SoundConfig(), speech=tmp_path, languages=("vi",))
    assert s.say("pass.entry", time(12, 0)) is False  # not opened
    s.open()
    try:
        assert s.say("pass.entry", time(12, 0)) is True
        if shutil.which("espeak-ng") is None:
            assert s.say("fail.title.code", time(12, 0)) is False  # broken, not replaced
        s.toggle_mute()
        assert s.say("pass.entry", time(12, 0)) is False
    finally:
        s.close()
    # The venue's recording was kept, not overwritten by the synthesised default.
    with wave.open(str(wav), "rb") as w:
        assert w.getframerate() == RATE


def test_default_clips_are_synthesised_with_espeak_ng(tmp_path: Path) -> None:
    if shutil.which("espeak-ng") is None:
        with pytest.raises(SpeechUnavailable, match="espeak-ng is not installed"):
            synthesise(tmp_path)
        pytest.skip("espeak-ng is not installed: no default clips (the kiosk stays silent)")
    made = synthesise(tmp_path, ["vi", "en"])
    assert len(made) == 2 * len(SPOKEN)
    for path in made:
        with wave.open(str(path), "rb") as w:
            assert w.getnframes() / w.getframerate() > 0.3  # words, not an empty file
    assert synthesise(tmp_path, ["vi", "en"]) == []  # already there: kept


def test_without_espeak_ng_there_is_no_speech_and_no_crash(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))  # no espeak-ng on this PATH
    with pytest.raises(SpeechUnavailable, match="espeak-ng is not installed"):
        synthesise(tmp_path)
    s = Sounds(SoundConfig(), speech=tmp_path / "clips", languages=("vi", "en"))
    s.open()
    try:
        assert s.available and s.say("pass.entry", time(12, 0)) is False
    finally:
        s.close()
