"""The venue configuration: typed, strict models loaded from YAML (config/venue.example.yaml)."""

from __future__ import annotations

import re
import zoneinfo
from datetime import time as dtime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
)

from kiosk.passes.model import CodeKind
from kiosk.yamlfile import load_model

_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)\s*$")


def parse_duration(value: Any) -> float:
    """`30s`, `24h`, `21d`, `500ms` → seconds. Bare numbers are refused: the unit must be said."""
    if isinstance(value, bool) or not isinstance(value, str):
        raise ValueError("a duration needs a unit, e.g. '30s', '5m', '24h', '21d'")
    match = _DURATION.match(value)
    if not match:
        raise ValueError(f"not a duration: {value!r} (use e.g. '500ms', '30s', '5m', '24h', '21d')")
    return float(match.group(1)) * _UNITS[match.group(2)]


Duration = Annotated[float, BeforeValidator(parse_duration)]


def _resolve_path(value: Path, info: ValidationInfo) -> Path:
    base = (info.context or {}).get("base_dir")
    value = value.expanduser()
    if base is not None and not value.is_absolute():
        value = Path(base) / value
    return value


# Relative paths in a config file are relative to that file, not to the working directory.
ConfigPath = Annotated[Path, AfterValidator(_resolve_path)]
Identifier = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")]


def _empty_is_default(value: Any) -> Any:
    return {} if value is None else value


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Direction(StrEnum):
    ENTRY = "entry"
    EXIT = "exit"


# ---------------------------------------------------------------- venue and kiosk


class VenueConfig(Strict):
    id: Identifier = Field(description="Venue id as registered with the check-in registry.")
    name: str = Field(min_length=1, max_length=80, description="Shown on the idle screen.")
    timezone: str = Field(
        "Asia/Ho_Chi_Minh", description="IANA time zone for opening hours and 'today'."
    )

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value


class KioskConfig(Strict):
    id: Identifier = Field(description="This kiosk's id, unique within the venue.")
    direction: Direction = Field(
        Direction.ENTRY, description="Whether this door records entries or exits."
    )


# ---------------------------------------------------------------- camera


class CameraBase(Strict):
    frame_timeout: Duration = Field(
        3.0, gt=0, le=60, description="No frame for this long means the camera has failed."
    )
    reopen_interval: Duration = Field(
        2.0, gt=0, le=300, description="Wait between attempts to reopen a failed camera."
    )


class ReplayCameraConfig(CameraBase):
    type: Literal["replay"]
    path: ConfigPath = Field(
        description="A folder of images (played in name order) or a video file."
    )
    fps: float = Field(10.0, gt=0, le=240, description="Frames per second to play at.")
    loop: bool = Field(True, description="Start again after the last frame; if false `run` ends.")

    @field_validator("path")
    @classmethod
    def _exists(cls, value: Path) -> Path:
        if not value.exists():
            raise ValueError(f"no such file or folder: {value}")
        return value


class OpenCVCameraConfig(CameraBase):
    type: Literal["opencv"]
    device: int | str = Field(0, description="V4L2 index (0 = /dev/video0) or a device path.")
    width: int = Field(640, ge=160, le=3840)
    height: int = Field(480, ge=120, le=2160)
    fps: float = Field(30.0, gt=0, le=120)


class Picamera2CameraConfig(CameraBase):
    type: Literal["picamera2"]
    camera_num: int = Field(0, ge=0, le=7, description="Which libcamera camera.")
    main_size: tuple[int, int] = Field((1280, 960), description="Main stream size (preview).")
    lores_size: tuple[int, int] = Field(
        (640, 480), description="Low-resolution YUV stream whose luma plane is decoded."
    )
    fps: float = Field(30.0, gt=0, le=120)
    autofocus: bool = Field(True, description="Continuous autofocus where the camera has it.")


CameraConfig = Annotated[
    ReplayCameraConfig | OpenCVCameraConfig | Picamera2CameraConfig, Field(discriminator="type")
]


# ---------------------------------------------------------------- decoder


class DecoderBase(Strict):
    repeat_window: Duration = Field(
        5.0,
        ge=0,
        le=3600,
        description="The same code seen again within this time of its last sighting is one scan.",
    )


class ZxingDecoderConfig(DecoderBase):
    type: Literal["zxing-cpp"]
    try_invert: bool = Field(True, description="Also read light-on-dark (dark mode) codes.")
    try_downscale: bool = Field(True, description="Also search downscaled images (large codes).")


class PyzbarDecoderConfig(DecoderBase):
    type: Literal["pyzbar"]


DecoderConfig = Annotated[ZxingDecoderConfig | PyzbarDecoderConfig, Field(discriminator="type")]


# ---------------------------------------------------------------- display


class QuietHours(Strict):
    start: dtime = Field(description="From this time (HH:MM) no sounds are played...")
    end: dtime = Field(description="...until this time; before `start` means past midnight.")


class SoundConfig(Strict):
    enabled: bool = Field(True, description="Short tones on PASS and FAIL (silent without audio).")
    volume: float = Field(0.6, ge=0, le=1, description="0 = silent, 1 = full.")
    quiet_hours: QuietHours | None = Field(None, description="When to stay silent.")


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


# ---------------------------------------------------------------- the door and the guard


class RelayConfig(Strict):
    pin: int | str = Field(
        description="GPIO pin of the door or turnstile relay (BCM number or name)."
    )
    active_high: bool = Field(True, description="False for relay boards that switch on a low pin.")
    pulse: Duration = Field(1.0, gt=0, le=30, description="How long the relay opens on PASS.")
    pin_factory: Literal["default", "mock"] = Field(
        "default", description="mock: gpiozero's mock pins (demo and tests off the Pi)."
    )


class HookConfig(Strict):
    url: str = Field(pattern=r"^https?://", description="POSTed one JSON object per decision.")
    timeout: Duration = Field(2.0, gt=0, le=30)
    on: list[Literal["PASS", "FAIL"]] = Field(
        default_factory=lambda: ["PASS", "FAIL"],  # type: ignore[arg-type]
        min_length=1,
    )


class DoorConfig(Strict):
    relay: RelayConfig | None = Field(
        None, description="Open a door relay on PASS (never on FAIL)."
    )
    hook: HookConfig | None = Field(None, description="Tell a building system about decisions.")


class GuardKeys(Strict):
    """pygame key names (https://pyga.me/docs/ref/key.html), e.g. a, d, m, h, escape, f1."""

    admit: str = "a"
    direction: str = "d"
    mute: str = "m"
    history: str = "h"
    cancel: str = "escape"


class GuardConfig(Strict):
    pin_hash: str | None = Field(
        None,
        pattern=r"^pbkdf2_sha256\$\d+\$[0-9a-f]+\$[0-9a-f]{64}$",
        description="Hash of the guard PIN (`kiosk guard hash-pin`); manual admit needs it.",
    )
    keys: GuardKeys = Field(default_factory=dict, validate_default=True)
    admit_reasons: list[str] = Field(
        default_factory=lambda: ["no_smartphone", "code_unreadable", "known_staff", "delivery"],
        min_length=1,
        max_length=9,
        description="Reasons a guard picks from (keys 1-9) for a manual admit.",
    )


# ---------------------------------------------------------------- trust and deny list


class TrustConfig(Strict):
    issuer_keys: list[ConfigPath] = Field(
        default_factory=list, description="PEM public keys of pass issuers trusted here."
    )
    deny_list: ConfigPath | None = Field(None, description="Local deny list (YAML), optional.")
    subject_key: ConfigPath = Field(
        Path("subject.key"),
        validate_default=True,  # a relative default is relative to the config file too
        description="Secret for keyed hashes of ID numbers; created (mode 0600) if missing.",
    )

    @field_validator("issuer_keys")
    @classmethod
    def _keys_load(cls, value: list[Path]) -> list[Path]:
        from kiosk.passes.keys import load_public_key

        for path in value:
            load_public_key(path)  # raises ValueError with a readable reason
        return value

    @field_validator("subject_key")
    @classmethod
    def _secret_ok(cls, value: Path) -> Path:
        if value.exists():
            from kiosk.passes.privacy import read_secret

            read_secret(value)  # raises ValueError with a readable reason
        elif not value.parent.is_dir():
            raise ValueError(f"folder {value.parent} does not exist")
        return value

    @field_validator("deny_list")
    @classmethod
    def _deny_exists(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_file():
            raise ValueError(f"no such file: {value}")
        return value


# ---------------------------------------------------------------- policy

_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _parse_days(value: Any) -> Any:
    if isinstance(value, str):
        value = value.strip().lower()
        if "-" in value:
            start, _, end = value.partition("-")
            if start not in _DAYS or end not in _DAYS:
                raise ValueError(f"days range must be like 'mon-fri', got {value!r}")
            i, j = _DAYS.index(start), _DAYS.index(end)
            return [_DAYS[k % 7] for k in range(i, i + ((j - i) % 7) + 1)]
        return [value]
    return value


class OpeningHours(Strict):
    days: Annotated[
        list[Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]], BeforeValidator(_parse_days)
    ] = Field(description="'mon-fri', 'sat', or a list of day names.")
    open: dtime = Field(description="Opening time, HH:MM, venue time zone.")
    close: dtime = Field(description="Closing time, HH:MM; before `open` means past midnight.")


class PolicyConfig(Strict):
    admit_kinds: list[CodeKind] = Field(
        default_factory=lambda: [CodeKind.SIGNED_PASS],
        min_length=1,
        description="Code kinds admitted. national_qr and cccd are identity codes (unsigned).",
    )
    admit_categories: list[str] | None = Field(
        None, description="Pass categories admitted (e.g. staff, visitor); absent = all."
    )
    clock_skew: Duration = Field(300.0, ge=0, le=3600, description="Tolerance for pass times.")
    max_declaration_age: Duration | None = Field(
        None, gt=0, description="Refuse passes whose last health declaration is older."
    )
    opening_hours: list[OpeningHours] | None = Field(
        None, description="When entries are admitted; absent = always."
    )
    max_occupancy: int | None = Field(
        None, ge=1, le=1_000_000, description="Entries minus exits today at this kiosk."
    )
    max_list_age: Duration | None = Field(
        None, gt=0, description="Trust and deny lists older than this are stale (needs registry)."
    )
    stale_lists: Literal["warn", "refuse"] = Field(
        "warn", description="With stale lists: warn (log, status) or refuse to PASS."
    )
    exit_checks: Literal["record_only", "full"] = Field(
        "record_only",
        description="At an exit door: record any recognised code and let people out "
        "(record_only), or apply every check (full).",
    )


# ---------------------------------------------------------------- registry


class RegistryConfig(Strict):
    url: str = Field(pattern=r"^https?://[^\s/]+(/.*)?$", description="The registry's base URL.")
    token_file: ConfigPath = Field(
        description="This kiosk's token; must not be readable by others."
    )
    list_key: ConfigPath = Field(description="The registry's list-signing public key (lists.pub).")
    ca_file: ConfigPath | None = Field(
        None, description="CA bundle for the registry's TLS certificate."
    )
    batch_size: int = Field(200, ge=1, le=1000, description="Records per upload.")
    connect_timeout: Duration = Field(5.0, gt=0, le=60)
    read_timeout: Duration = Field(15.0, gt=0, le=300)
    sync_interval: Duration = Field(5.0, gt=0, le=3600, description="Upload pause when idle.")
    heartbeat_interval: Duration = Field(60.0, gt=0, le=3600)
    list_refresh: Duration = Field(300.0, gt=0, le=86400, description="How often to fetch lists.")
    backoff_max: Duration = Field(300.0, gt=0, le=3600, description="Longest wait between retries.")

    @field_validator("token_file")
    @classmethod
    def _token_private(cls, value: Path) -> Path:
        try:
            mode = value.stat().st_mode
        except OSError as exc:
            raise ValueError(f"cannot read {value}: {exc.strerror}") from exc
        if mode & 0o077:
            raise ValueError(
                f"{value} is readable by others (mode {mode & 0o777:o}); run: chmod 600 {value}"
            )
        return value

    @field_validator("list_key")
    @classmethod
    def _list_key_loads(cls, value: Path) -> Path:
        from kiosk.passes.keys import load_public_key

        load_public_key(value)
        return value


# ---------------------------------------------------------------- storage


class StorageConfig(Strict):
    path: ConfigPath = Field(
        Path("kiosk.db"), validate_default=True, description="SQLite database file."
    )
    retention: Duration = Field(
        21 * 86400.0, ge=3600, le=3650 * 86400, description="Records older than this are purged."
    )
    min_free_mb: int = Field(
        20,
        ge=0,
        le=100_000,
        description="Below this much free disk, refuse to decide (error screen).",
    )
    busy_timeout: Duration = Field(2.0, gt=0, le=60, description="Wait for a locked database.")


class Config(Strict):
    venue: VenueConfig
    kiosk: KioskConfig
    camera: CameraConfig = Field(description="Frame source; `type` chooses the implementation.")
    # Section defaults are dicts validated like written ones, so that their relative paths
    # resolve against the config file's folder (pydantic passes the context only then).
    decoder: DecoderConfig = Field(
        default_factory=lambda: {"type": "zxing-cpp"},
        validate_default=True,
        description="QR decoder; `type` chooses the implementation.",
    )
    display: DisplayConfig = Field(default_factory=dict, validate_default=True)
    trust: TrustConfig = Field(default_factory=dict, validate_default=True)
    policy: PolicyConfig = Field(default_factory=dict, validate_default=True)
    storage: StorageConfig = Field(default_factory=dict, validate_default=True)
    registry: RegistryConfig | None = Field(
        None, description="Where records sync to; absent = none."
    )
    # An empty section (only comments under it) reads as null: it means "nothing set".
    door: Annotated[DoorConfig, BeforeValidator(_empty_is_default)] = Field(
        default_factory=dict, validate_default=True
    )
    guard: Annotated[GuardConfig, BeforeValidator(_empty_is_default)] = Field(
        default_factory=dict, validate_default=True
    )
    log_level: Literal["debug", "info", "warning", "error"] = "info"

    def cross_check(self) -> list[tuple[tuple[str | int, ...], str]]:
        """Rules that span sections, reported at the key that has to change."""
        issues: list[tuple[tuple[str | int, ...], str]] = []
        if CodeKind.SIGNED_PASS in self.policy.admit_kinds and not self.trust.issuer_keys:
            issues.append(
                (("trust", "issuer_keys"), "signed_pass is admitted but no issuer key is trusted")
            )
        if self.policy.max_list_age is not None and self.registry is None:
            issues.append(
                (("policy", "max_list_age"), "lists come from a registry, and none is set")
            )
        return issues


def load_config(path: Path) -> Config:
    """Load a venue config and the files it names; raises ConfigError with FILE:LINE issues."""
    cfg = load_model(path, Config)
    if cfg.trust.deny_list is not None:
        from kiosk.policy.denylist import DenyFile

        load_model(cfg.trust.deny_list, DenyFile)  # its own FILE:LINE issues
    return cfg
