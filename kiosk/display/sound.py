"""Short, distinct tones for PASS and FAIL, generated (no sound files); silent without audio."""

from __future__ import annotations

import logging
from datetime import time as dtime

import numpy as np
import numpy.typing as npt

from kiosk.config import SoundConfig
from kiosk.policy.engine import Verdict

log = logging.getLogger(__name__)
RATE = 22050


def tone(freqs: list[tuple[float, float]], volume: float) -> npt.NDArray[np.int16]:
    """Notes (Hz, seconds) one after another, 16-bit stereo, with 8 ms fades against clicks."""
    parts = []
    for freq, seconds in freqs:
        t = np.arange(int(RATE * seconds)) / RATE
        wave = np.sin(2 * np.pi * freq * t) + 0.3 * np.sin(4 * np.pi * freq * t)
        fade = min(len(t) // 2, int(RATE * 0.008))
        env = np.ones_like(t)
        env[:fade] = np.linspace(0, 1, fade)
        env[-fade:] = np.linspace(1, 0, fade)
        parts.append(wave * env)
    mono = np.concatenate(parts) / 1.3 * volume * 32767
    return np.repeat(mono.astype(np.int16)[:, None], 2, axis=1)


# Rising two-note chime for PASS; a low double buzz for FAIL: told apart without looking.
PASS_NOTES = [(880.0, 0.09), (1318.5, 0.14)]
FAIL_NOTES = [(220.0, 0.16), (0.0, 0.06), (196.0, 0.22)]


def in_quiet_hours(now: dtime, start: dtime, end: dtime) -> bool:
    if start <= end:
        return start <= now < end
    return now >= start or now < end


class Sounds:
    def __init__(self, cfg: SoundConfig) -> None:
        self._cfg = cfg
        self._sounds: dict[Verdict, object] = {}
        self.muted = False
        self.available = False

    def open(self) -> None:
        if not self._cfg.enabled:
            return
        try:
            import pygame

            pygame.mixer.init(frequency=RATE, size=-16, channels=2, buffer=512)
            self._sounds = {
                Verdict.PASS: pygame.sndarray.make_sound(tone(PASS_NOTES, self._cfg.volume)),
                Verdict.FAIL: pygame.sndarray.make_sound(tone(FAIL_NOTES, self._cfg.volume)),
            }
            self.available = True
        except Exception as exc:  # no audio device: the kiosk works silently
            log.info("no sound: %s", exc)

    def close(self) -> None:
        if self.available:
            import pygame

            pygame.mixer.quit()
            self.available = False

    def toggle_mute(self) -> bool:
        self.muted = not self.muted
        return self.muted

    def play(self, verdict: Verdict, now: dtime) -> bool:
        """Play the verdict's tone unless muted, in quiet hours or without audio; never blocks."""
        quiet = self._cfg.quiet_hours
        if (
            self.muted
            or not self.available
            or (quiet and in_quiet_hours(now, quiet.start, quiet.end))
        ):
            return False
        self._sounds[verdict].play()  # type: ignore[attr-defined]
        return True
