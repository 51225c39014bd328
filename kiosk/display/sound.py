"""PASS and FAIL tones (generated) and spoken verdicts (replaceable clips); silent without audio."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
from collections.abc import Sequence
from datetime import time as dtime
from pathlib import Path

import numpy as np
import numpy.typing as npt

from kiosk.config import SoundConfig
from kiosk.display.messages import Messages
from kiosk.display.views import VerdictView, fail_title
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
BEEP_HZ = 2000.0  # a reader's buzzer: one high tone, told apart from the verdicts' two notes


# What is spoken: the verdict's title, the words a visitor who cannot read needs most.
SPOKEN = (
    "pass.entry", "pass.exit", "pass.manual",
    "fail.title.code", "fail.title.not_now", "fail.title.refused", "fail.title.kiosk",
)  # fmt: skip
# espeak-ng's voices for the catalogue's languages.
_VOICES = {"vi": "vi", "en": "en-gb"}
CLIP_BYTES = 8 * 1024 * 1024


class SpeechUnavailable(Exception):
    """No default clips can be made here (the reason says why); the kiosk stays silent."""


def default_clips() -> Path:
    """Where the default clips are made when the config names no folder."""
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "kiosk" / "speech"


def spoken_key(view: VerdictView, direction: str) -> str:
    if view.verdict is Verdict.PASS:
        return "pass.manual" if view.manual_reason else f"pass.{direction}"
    return fail_title(view.reason)


def clip_path(folder: Path, lang: str, key: str) -> Path:
    """Where a clip lives: `FOLDER/vi/pass.entry.wav`; a venue replaces any file it likes."""
    return folder / lang / f"{key}.wav"


def synthesise(folder: Path, languages: Sequence[str] = ("vi", "en")) -> list[Path]:
    """The default clips, spoken by espeak-ng from the catalogue; clips already there (the
    venue's own recordings) are kept. Raises SpeechUnavailable without espeak-ng."""
    exe = shutil.which("espeak-ng")
    if exe is None:
        raise SpeechUnavailable("espeak-ng is not installed (apt-get install espeak-ng)")
    made = []
    for lang in languages:
        text = Messages(lang)  # type: ignore[arg-type]
        for key in SPOKEN:
            path = clip_path(folder, lang, key)
            if path.exists():
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
            try:
                subprocess.run(  # noqa: S603 (the program found above, our own words)
                    [exe, "-v", _VOICES[lang], "-s", "150", "-w", str(path), text(key)],
                    check=True, capture_output=True, timeout=30,
                )  # fmt: skip
            except (OSError, subprocess.SubprocessError) as exc:
                raise SpeechUnavailable(f"espeak-ng failed: {exc}") from exc
            made.append(path)
    return made


def in_quiet_hours(now: dtime, start: dtime, end: dtime) -> bool:
    if start <= end:
        return start <= now < end
    return now >= start or now < end


class Sounds:
    """The tones, and (with `speech`) the spoken verdict in each language shown, from clips in
    `speech` (made with espeak-ng where missing and possible). Without audio, clips or
    espeak-ng the kiosk is silent and works as before."""

    def __init__(
        self, cfg: SoundConfig, speech: Path | None = None, languages: Sequence[str] = ("vi",)
    ) -> None:
        self._cfg = cfg
        self._sounds: dict[Verdict, object] = {}
        self._speech_dir = speech
        self._languages = tuple(languages)
        self._clips: dict[str, list[object]] = {}
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
            return
        if self._speech_dir is not None:
            self._clips = self._load_clips(self._speech_dir)

    def _load_clips(self, folder: Path) -> dict[str, list[object]]:
        import pygame

        try:
            synthesise(folder, self._languages)
        except (SpeechUnavailable, OSError) as exc:
            log.info("default speech clips not made: %s", exc)
        clips: dict[str, list[object]] = {}
        for key in SPOKEN:
            for lang in self._languages:
                path = clip_path(folder, lang, key)
                try:
                    if path.is_file() and path.stat().st_size <= CLIP_BYTES:
                        clips.setdefault(key, []).append(pygame.mixer.Sound(str(path)))
                except (OSError, pygame.error) as exc:  # a broken clip is silence, not a crash
                    log.warning("speech clip %s not loaded: %s", path, exc)
        return clips

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

    def beep(self, on_ms: int, off_ms: int, count: int, now: dtime) -> bool:
        """The building panel's buzzer (OSDP): `count` beeps of `on_ms` with `off_ms` between
        (at most ten; 0 is one), unless muted, in quiet hours or without audio; never blocks."""
        quiet = self._cfg.quiet_hours
        if (
            on_ms <= 0
            or self.muted
            or not self.available
            or (quiet and in_quiet_hours(now, quiet.start, quiet.end))
        ):
            return False
        import pygame

        on = tone([(BEEP_HZ, min(on_ms, 5000) / 1000)], self._cfg.volume)
        gap = np.zeros((int(RATE * min(off_ms, 5000) / 1000), 2), dtype=np.int16)
        parts = [on]
        for _ in range(min(max(count, 1), 10) - 1):
            parts += [gap, on]
        pygame.mixer.Channel(2).play(pygame.sndarray.make_sound(np.concatenate(parts)))
        return True

    def say(self, key: str, now: dtime) -> bool:
        """Speak a verdict's clips (each language, one after the other) after its tone, unless
        muted, in quiet hours, or there is no clip; never blocks."""
        quiet = self._cfg.quiet_hours
        clips = self._clips.get(key)
        if (
            not clips
            or self.muted
            or not self.available
            or (quiet and in_quiet_hours(now, quiet.start, quiet.end))
        ):
            return False
        import pygame

        channel = pygame.mixer.Channel(1)
        channel.play(clips[0])  # type: ignore[arg-type]
        for clip in clips[1:]:
            channel.queue(clip)  # type: ignore[arg-type]
        return True
