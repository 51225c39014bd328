"""The screen and sounds: mode, size, language, holds, font, preview."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import (
    Field,
    field_validator,
)

from kiosk.config.base import (
    FONT_FILE_BYTES,
    FONT_MAGIC,
    LOGO_FILE_BYTES,
    LOGO_MAGIC,
    PRINTABLE,
    Clock,
    ConfigPath,
    Duration,
    Strict,
    readable_folder,
    small_file,
)


class QuietHours(Strict):
    start: Clock = Field(description="From this time (HH:MM) no sounds are played...")
    end: Clock = Field(description="...until this time; before `start` means past midnight.")


class SoundConfig(Strict):
    enabled: bool = Field(True, description="Short tones on PASS and FAIL (silent without audio).")
    volume: float = Field(0.6, ge=0, le=1, description="0 = silent, 1 = full.")
    quiet_hours: QuietHours | None = Field(None, description="When to stay silent.")


class NoticeText(Strict):
    """The idle screen's short privacy notice, in both languages (Luật 91/2025/QH15: people
    are told before their data is processed); the poster carries the full notice."""

    vi: str = Field(
        min_length=1,
        max_length=160,
        pattern=PRINTABLE,
        description="In Vietnamese: who records (the venue), why, for how long, where to ask.",
    )
    en: str = Field(min_length=1, max_length=160, pattern=PRINTABLE, description="In English.")


class DisplayConfig(Strict):
    mode: Literal["fullscreen", "windowed", "headless"] = Field(
        "fullscreen", description="headless uses SDL's dummy driver (tests, demo without a screen)."
    )
    width: int = Field(1024, ge=320, le=7680, description="Window size when not full screen.")
    height: int = Field(600, ge=240, le=4320)
    language: Literal["vi", "en", "both"] = Field(
        "vi", description="vi, en, or both (bilingual, Vietnamese first)."
    )
    pass_hold: Duration = Field(1.5, gt=0, le=60, description="How long PASS stays up.")
    fail_hold: Duration = Field(4.0, gt=0, le=60, description="How long FAIL stays up.")
    fps: int = Field(30, ge=1, le=120, description="Screen refresh rate cap.")
    font: ConfigPath | None = Field(None, description="A TTF font with Vietnamese glyphs.")
    preview: bool = Field(True, description="Show the camera's view on the idle screen.")
    mirror: bool = Field(True, description="Mirror the preview, as people expect of a camera.")
    help_after: Duration = Field(
        0.6, ge=0, le=10, description="A code seen but unread this long gets a hint on screen."
    )
    sound: SoundConfig = Field(default_factory=dict, validate_default=True)
    max_clock_offset: Duration = Field(
        120.0,
        gt=0,
        le=86400,
        description="Warn staff on the status strip when the registry measures the clock "
        "off by more than this.",
    )

    guard_language: Literal["vi", "en", "both"] | None = Field(
        None, description="Language of the guard's screens; default: the display's language."
    )
    camera_at: Literal["above", "below", "left", "right"] = Field(
        "above",
        description="Where the camera is, seen from the visitor: the idle screen's arrow "
        "points there.",
    )
    logo: ConfigPath | None = Field(
        None, description="The venue's logo (PNG or JPEG, at most 4 MiB) on the idle screen."
    )
    notice: NoticeText | None = Field(
        None,
        description="A line on the idle screen saying who records entries, why, for how "
        "long and where to ask (e.g. vi: 'Toà nhà HQ ghi lượt ra vào để kiểm soát an ninh, "
        "giữ 21 ngày. Hỏi tại quầy lễ tân.'); shown in the screen's languages.",
    )
    speech: bool = Field(
        False,
        description='Speak the verdict ("Xin mời vào", "Mã không hợp lệ", ...) for '
        "visitors who cannot read the screen; needs sound.",
    )
    speech_clips: ConfigPath | None = Field(
        None,
        description="Folder of WAV clips named after the message keys (pass.entry.wav, "
        "fail.title.code.wav, ...); the venue may record its own. Default: the clips "
        "`kiosk/display/clips` synthesises; a missing clip is silence.",
    )

    @field_validator("font")
    @classmethod
    def _font_readable(cls, value: Path | None) -> Path | None:
        if value is not None and not small_file(value, FONT_FILE_BYTES).startswith(FONT_MAGIC):
            raise ValueError(f"{value} is not a TrueType or OpenType font")
        return value

    @field_validator("speech_clips")
    @classmethod
    def _clips_folder(cls, value: Path | None) -> Path | None:
        return None if value is None else readable_folder(value)

    @field_validator("logo")
    @classmethod
    def _logo_readable(cls, value: Path | None) -> Path | None:
        if value is not None and not small_file(value, LOGO_FILE_BYTES).startswith(LOGO_MAGIC):
            raise ValueError(f"{value} is not a PNG or JPEG image")
        return value
