"""The venue configuration: typed, strict models loaded from YAML (config/venue.example.yaml)."""

from __future__ import annotations

import re
import zoneinfo
from datetime import time as dtime
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
    model_validator,
)

from checkin_protocol.records import IDENTIFIER_PATTERN, CodeKind
from checkin_protocol.records import Direction as Direction  # re-exported for config users
from checkin_protocol.times import parse_duration as parse_duration  # re-exported (the CLI)
from kiosk.yamlfile import FileRefused, load_model, read_limited

Duration = Annotated[float, BeforeValidator(parse_duration)]


def _resolve_path(value: Path, info: ValidationInfo) -> Path:
    base = (info.context or {}).get("base_dir")
    value = value.expanduser()
    if base is not None and not value.is_absolute():
        value = Path(base) / value
    return value


# Relative paths in a config file are relative to that file, not to the working directory.
ConfigPath = Annotated[Path, AfterValidator(_resolve_path)]
Identifier = Annotated[str, Field(pattern=IDENTIFIER_PATTERN)]
# Text shown on screen: a control character (a NUL written as "\0") makes pygame's render fail.
_PRINTABLE = r"^[^\x00-\x1f\x7f-\x9f]+$"
Label = Annotated[str, Field(min_length=1, max_length=64, pattern=_PRINTABLE)]


# Key files are a few hundred bytes; a font a few megabytes. Reading is bounded and refuses
# anything but a regular file, so /dev/zero or a FIFO named here cannot hang `check-config`.
KEY_FILE_BYTES = 64 * 1024
FONT_FILE_BYTES = 32 * 1024 * 1024
_FONT_MAGIC = (b"\x00\x01\x00\x00", b"OTTO", b"true", b"ttcf", b"wOFF", b"wOF2")
# A venue logo is a small PNG or JPEG; anything else is refused when the config loads.
LOGO_FILE_BYTES = 4 * 1024 * 1024
_LOGO_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff")


def small_file(path: Path, limit: int = KEY_FILE_BYTES) -> bytes:
    """The bytes of a regular file of at most `limit` bytes; ValueError naming the file."""
    try:
        return read_limited(path, limit)
    except FileRefused as exc:
        raise ValueError(f"{path}: {exc}") from exc


_CLOCK = re.compile(r"^\s*([0-9]{1,2}):([0-5][0-9])(?::([0-5][0-9]))?\s*$")


def _clock(value: Any) -> Any:
    # Unquoted 19:00 was the integer 1140 in YAML 1.1, which pydantic reads as 00:19 (seconds);
    # the loader now keeps it as text, and a number here is refused, never taken as seconds.
    if isinstance(value, bool | int | float):
        raise ValueError('a time of day is written HH:MM, e.g. "07:30"')
    if isinstance(value, str):
        match = _CLOCK.match(value)
        if not match or int(match.group(1)) > 23:
            raise ValueError(f'not a time of day: {value!r} (use HH:MM, e.g. "07:30")')
        hour, minute, second = match.groups()
        return dtime(int(hour), int(minute), int(second or 0))
    return value


Clock = Annotated[dtime, BeforeValidator(_clock)]


def _empty_is_default(value: Any) -> Any:
    return {} if value is None else value


class Strict(BaseModel):
    # NaN and infinity pass no bound check a reader would expect (.nan <= 60 is not False).
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


# ---------------------------------------------------------------- venue and kiosk


class VenueConfig(Strict):
    id: Identifier = Field(description="Venue id as registered with the check-in registry.")
    name: str = Field(
        min_length=1, max_length=80, pattern=_PRINTABLE, description="Shown on the idle screen."
    )
    timezone: str = Field(
        "Asia/Ho_Chi_Minh", description="IANA time zone for opening hours and 'today'."
    )

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError) as exc:
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
    pace: Literal["realtime", "lockstep"] = Field(
        "realtime",
        description="realtime: play at `fps` by the clock, and a busy decoder misses frames as "
        "with a real camera (benchmarks). lockstep: hand each frame over only once the "
        "decoder has taken the last, so every frame is decided, none dropped (tests, demo).",
    )

    @field_validator("path")
    @classmethod
    def _exists(cls, value: Path) -> Path:
        if not value.exists():
            raise ValueError(f"no such file or folder: {value}")
        return value


class OpenCVCameraConfig(CameraBase):
    type: Literal["opencv"]
    device: (
        Annotated[int, Field(ge=0, le=63)] | Annotated[str, Field(min_length=1, max_length=255)]
    ) = Field(0, description="V4L2 index (0 = /dev/video0) or a device path.")
    width: int = Field(640, ge=160, le=3840)
    height: int = Field(480, ge=120, le=2160)
    fps: float = Field(30.0, gt=0, le=120)


# Width and height in pixels: an unbounded int would reach libcamera as a crash, not an error.
Size = tuple[Annotated[int, Field(ge=16, le=9152)], Annotated[int, Field(ge=16, le=6944)]]


class Picamera2CameraConfig(CameraBase):
    type: Literal["picamera2"]
    camera_num: int = Field(0, ge=0, le=7, description="Which libcamera camera.")
    main_size: Size = Field((1280, 960), description="Main stream size (preview).")
    lores_size: Size = Field(
        (640, 480), description="Low-resolution YUV stream whose luma plane is decoded."
    )
    fps: float = Field(30.0, gt=0, le=120)
    autofocus: bool = Field(True, description="Continuous autofocus where the camera has it.")


class NoCameraConfig(CameraBase):
    """A kiosk that reads codes with dedicated readers only (`readers:`), no camera.

    It keeps the camera timings (unused) so code written for any camera type still types.
    """

    type: Literal["none"]


CameraConfig = Annotated[
    ReplayCameraConfig | OpenCVCameraConfig | Picamera2CameraConfig | NoCameraConfig,
    Field(discriminator="type"),
]


# ---------------------------------------------------------------- dedicated QR readers

# A device path: /dev/ttyACM0, /dev/input/by-id/usb-...-event-kbd (udev keeps by-id paths
# stable across replugging, so a reader that comes back is found at the same path).
DevicePath = Annotated[str, Field(min_length=1, max_length=255, pattern=r"^/\S+$")]
# Past ~1 s a person would wait visibly; under 10 ms a slow scanner's pauses would split codes.
Silence = Annotated[float, BeforeValidator(parse_duration), Field(ge=0.01, le=1.0)]


class SerialReaderConfig(Strict):
    """A USB-CDC (virtual serial port) scanner: raw bytes, so UTF-8 names arrive intact."""

    type: Literal["serial"]
    device: DevicePath = Field(description="The serial device, e.g. /dev/ttyACM0.")
    baud: int = Field(115200, ge=1200, le=4_000_000, description="Ignored by true USB-CDC.")
    terminator: Literal["crlf", "cr", "lf", "none"] = Field(
        "crlf", description="What the scanner sends after each code; none = silence only."
    )
    silence: Silence = Field(0.05, description="A pause this long also ends a code.")


class HidReaderConfig(Strict):
    """A keyboard-wedge scanner, grabbed through evdev so its keys never reach the screen."""

    type: Literal["hid"]
    device: DevicePath = Field(description="The evdev device, e.g. /dev/input/by-id/...-kbd.")
    silence: Silence = Field(0.05, description="A pause this long ends a code (besides Enter).")


class ReplayReaderConfig(Strict):
    """The readers' fake: plays codes from a UTF-8 text file, one per line (tests, demo)."""

    type: Literal["replay"]
    path: ConfigPath = Field(description="A text file of codes, one per line.")
    source: Literal["serial", "hid"] = Field("serial", description="Which reader it plays.")
    interval: Duration = Field(2.0, gt=0, le=3600, description="Time between codes.")
    loop: bool = Field(False, description="Start again after the last code.")

    @field_validator("path")
    @classmethod
    def _is_file(cls, value: Path) -> Path:
        if not value.is_file():
            raise ValueError(f"no such file: {value}")
        return value


ReaderConfig = Annotated[
    SerialReaderConfig | HidReaderConfig | ReplayReaderConfig, Field(discriminator="type")
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
    start: Clock = Field(description="From this time (HH:MM) no sounds are played...")
    end: Clock = Field(description="...until this time; before `start` means past midnight.")


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
        if value is not None and not small_file(value, FONT_FILE_BYTES).startswith(_FONT_MAGIC):
            raise ValueError(f"{value} is not a TrueType or OpenType font")
        return value

    @field_validator("logo")
    @classmethod
    def _logo_readable(cls, value: Path | None) -> Path | None:
        if value is not None and not small_file(value, LOGO_FILE_BYTES).startswith(_LOGO_MAGIC):
            raise ValueError(f"{value} is not a PNG or JPEG image")
        return value


# ---------------------------------------------------------------- the door and the guard


class RelayConfig(Strict):
    pin: int | str = Field(
        description="GPIO pin of the door or turnstile relay (BCM number or name)."
    )
    active_high: bool = Field(True, description="False for relay boards that switch on a low pin.")
    pulse: Duration = Field(1.0, gt=0, le=30, description="How long the relay opens on PASS.")


class HookConfig(Strict):
    url: str = Field(
        pattern=r"^https?://[^\s/]+(/\S*)?$",
        max_length=2000,
        description="POSTed one JSON object per decision.",
    )
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


# A pygame key name (pygame.key.name), compared with the name of the key pressed.
KeyName = Annotated[str, Field(min_length=1, max_length=32)]


KeyNames = Annotated[list[KeyName], Field(min_length=1, max_length=4)]


class GuardKeys(Strict):
    """pygame key names (https://pyga.me/docs/ref/key.html), a name or a list of names per
    action. The defaults work on a plain numeric keypad (its keys read like their main-keyboard
    twins: keypad `+` is `+`) and on a full keyboard (the letters)."""

    admit: KeyNames = Field(
        default_factory=lambda: ["+", "a"], description="Manual admit (PIN, reason, name)."
    )
    direction: KeyNames = Field(
        default_factory=lambda: ["*", "d"], description="Switch entry/exit (needs the PIN)."
    )
    mute: KeyNames = Field(default_factory=lambda: ["-", "m"], description="Sound on/off.")
    history: KeyNames = Field(default_factory=lambda: ["/", "h"], description="The last decisions.")
    cancel: KeyNames = Field(
        default_factory=lambda: [".", "escape"], description="Back to the visitor's screen."
    )

    @field_validator("admit", "direction", "mute", "history", "cancel", mode="before")
    @classmethod
    def _one_or_many(cls, value: object) -> object:
        return [value] if isinstance(value, str) else value

    @model_validator(mode="after")
    def _distinct(self) -> GuardKeys:
        names = [*self.admit, *self.direction, *self.mute, *self.history, *self.cancel]
        if len(set(names)) != len(names):
            raise ValueError("each guard action needs its own keys")
        # Digits type the PIN and choose reasons; Enter and Backspace edit what is typed.
        if any(n in (*"0123456789", "return", "enter", "backspace") for n in names):
            raise ValueError("digits, Enter and Backspace type the PIN; pick other keys")
        return self


class GuardConfig(Strict):
    pin_hash: str | None = Field(
        None,
        pattern=r"^pbkdf2_sha256\$[0-9]+\$[0-9a-f]+\$[0-9a-f]{64}$",
        description="Hash of the guard PIN (`kiosk guard hash-pin`); manual admit needs it.",
    )
    keys: GuardKeys = Field(default_factory=dict, validate_default=True)
    admit_reasons: list[Label] = Field(
        default_factory=lambda: ["no_smartphone", "code_unreadable", "known_staff", "delivery"],
        min_length=1,
        max_length=9,
        description="Reasons a guard picks from (keys 1-9) for a manual admit.",
    )
    max_pin_digits: int = Field(
        8, ge=4, le=12, description="The PIN screen takes no more digits than this."
    )
    ask_name: bool = Field(
        True,
        description="After the reason, the guard may type who was admitted (stored masked, "
        "like a scanned name) so a manual admit can be traced; Enter skips it.",
    )


# ---------------------------------------------------------------- trust and deny list


class TrustConfig(Strict):
    issuer_keys: list[ConfigPath] = Field(
        default_factory=list, description="PEM public keys of pass issuers trusted here."
    )
    deny_list: ConfigPath | None = Field(None, description="Local deny list (YAML), optional.")
    dcc_signers: list[ConfigPath] = Field(
        default_factory=list,
        max_length=64,
        description="Files or folders of Document Signer Certificates (PEM or DER) trusted to "
        "sign EU Digital COVID Certificates here; the registry's trust list adds its own.",
    )
    subject_key: ConfigPath | None = Field(
        None,
        description="No longer used: a kiosk keeps no key for ID numbers (it seals them to the "
        "registry). Accepted so that older configs load; delete the file it names.",
    )

    @field_validator("issuer_keys")
    @classmethod
    def _keys_load(cls, value: list[Path]) -> list[Path]:
        from checkin_protocol.keys import load_public_key

        for path in value:
            small_file(path)  # a device or FIFO would hang the read below
            load_public_key(path)  # raises ValueError with a readable reason
        return value

    @field_validator("dcc_signers")
    @classmethod
    def _dscs_load(cls, value: list[Path]) -> list[Path]:
        from checkin_protocol.dcc_trust import DccTrust, DccTrustError

        for path in value:
            if not path.exists():
                raise ValueError(f"no such file or folder: {path}")
            try:
                # Malformed certificates are refused; validity is judged at each scan (at the
                # time `kiosk scan --at` gives, too), so an expired DSC loads and signs nothing.
                DccTrust().add_path(path, now=0)
            except (DccTrustError, OSError) as exc:
                raise ValueError(str(exc)) from exc
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
        list[Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]],
        BeforeValidator(_parse_days),
        Field(min_length=1),
    ] = Field(description="'mon-fri', 'sat', or a list of day names.")
    open: Clock = Field(description="Opening time, HH:MM, venue time zone.")
    close: Clock = Field(description="Closing time, HH:MM; before `open` means past midnight.")


def _scannable_kind(kind: CodeKind) -> CodeKind:
    if kind in (CodeKind.MANUAL, CodeKind.UNKNOWN):
        raise ValueError(
            f"{kind.value} is not a code format; use signed_pass, national_qr, cccd, dcc"
        )
    return kind


TestType = Literal["NAAT", "RAT"]
TEST_TYPES: tuple[TestType, ...] = ("NAAT", "RAT")
DccType = Literal["vaccination", "test", "recovery"]
DCC_TYPES: tuple[DccType, ...] = ("vaccination", "test", "recovery")


class DccVaccinationRules(Strict):
    complete_course: bool = Field(
        True, description="Require the last dose of the course: dose number dn >= total sd."
    )
    min_days: int = Field(
        0, ge=0, le=3650, description="Days that must have passed since the last dose (dt)."
    )
    max_days: int | None = Field(
        None, ge=1, le=3650, description="Days after the last dose that it stops counting."
    )
    products: list[Annotated[str, Field(min_length=1, max_length=64)]] | None = Field(
        None, description="Accepted vaccine products (mp, e.g. EU/1/20/1528); absent = all."
    )

    @model_validator(mode="after")
    def _window(self) -> DccVaccinationRules:
        if self.max_days is not None and self.max_days < self.min_days:
            raise ValueError("max_days is before min_days")
        return self


class DccTestRules(Strict):
    types: list[TestType] = Field(
        default_factory=lambda: list(TEST_TYPES),
        min_length=1,
        description="Accepted test types: NAAT (PCR, LP6464-4), RAT (rapid antigen, LP217198-3).",
    )
    max_hours: float = Field(
        72, gt=0, le=24 * 30, description="Hours after sample collection (sc) a test counts."
    )


class DccRules(Strict):
    """The venue's health rules for DCCs; without this block only technical checks apply."""

    accept: list[DccType] = Field(
        default_factory=lambda: list(DCC_TYPES),
        min_length=1,
        description="Certificate types accepted.",
    )
    vaccination: DccVaccinationRules = Field(
        default_factory=DccVaccinationRules, description="Rules for vaccination certificates."
    )
    test: DccTestRules = Field(
        default_factory=DccTestRules,
        description="Rules for test certificates; the result must be 'not detected'.",
    )
    recovery_window: bool = Field(
        True, description="Admit recovery certificates only from df to du (their own window)."
    )


ScannableKind = Annotated[CodeKind, AfterValidator(_scannable_kind)]


class AntiPassbackConfig(Strict):
    """A pass already inside cannot enter again, at any door of the venue, until it exits
    (until_exit) or for `minutes` after its entry (minutes). Other doors' records come from
    the LAN peers (`peers:`); alone, a kiosk applies it to its own records."""

    mode: Literal["until_exit", "minutes"] = Field(
        description="until_exit: refused until an exit is recorded; minutes: for `minutes` "
        "after the entry (or until an exit, if sooner)."
    )
    minutes: int | None = Field(
        None, ge=1, le=24 * 60, description="With mode: minutes, how long an entry blocks."
    )

    @model_validator(mode="after")
    def _minutes_with_mode(self) -> AntiPassbackConfig:
        if (self.mode == "minutes") != (self.minutes is not None):
            raise ValueError("minutes is set exactly when mode is minutes")
        return self


class PolicyConfig(Strict):
    admit_kinds: list[ScannableKind] = Field(
        default_factory=lambda: [CodeKind.SIGNED_PASS],
        min_length=1,
        description="Code kinds admitted. national_qr and cccd are identity codes (unsigned); "
        "dcc is the EU Digital COVID Certificate.",
    )
    dcc: DccRules | None = Field(
        None,
        description="Health rules for DCCs; absent = only the technical checks (signed by a "
        "trusted DSC, valid now, key usage).",
    )
    admit_categories: list[Label] | None = Field(
        None, description="Pass categories admitted (e.g. staff, visitor); absent = all."
    )
    clock_skew: Duration = Field(300.0, ge=0, le=3600, description="Tolerance for pass times.")
    max_declaration_age: Duration | None = Field(
        None,
        gt=0,
        le=3650 * 86400,
        description="Refuse passes whose last health declaration is older.",
    )
    opening_hours: list[OpeningHours] | None = Field(
        None, description="When entries are admitted; absent = always."
    )
    max_occupancy: int | None = Field(
        None,
        ge=1,
        le=1_000_000,
        description="Entries minus exits today at every door of the venue, as far as this "
        "kiosk knows (the registry's count, its own and its LAN peers' records).",
    )
    max_list_age: Duration | None = Field(
        None,
        gt=0,
        le=365 * 86400,
        description="Trust and deny lists older than this are stale (needs registry).",
    )
    stale_lists: Literal["warn", "refuse"] = Field(
        "warn", description="With stale lists: warn (log, status) or refuse to PASS."
    )
    anti_passback: AntiPassbackConfig | None = Field(
        None, description="Refuse a second entry of a pass that has not left; absent = off."
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
        small_file(value)  # `run` reads it whole: a device or FIFO must not get that far
        mode = value.stat().st_mode
        if mode & 0o077:
            raise ValueError(
                f"{value} is readable by others (mode {mode & 0o777:o}); run: chmod 600 {value}"
            )
        return value

    @field_validator("list_key")
    @classmethod
    def _list_key_loads(cls, value: Path) -> Path:
        from checkin_protocol.keys import load_public_key

        small_file(value)
        load_public_key(value)
        return value

    @field_validator("ca_file")
    @classmethod
    def _ca_readable(cls, value: Path | None) -> Path | None:
        if value is not None:
            small_file(value, 16 * 1024 * 1024)
        return value


# ---------------------------------------------------------------- LAN peers

_HOST_PORT = re.compile(r"^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9.-]{1,253})):([0-9]{1,5})$")


def split_host_port(value: str) -> tuple[str, int]:
    """`host:port` or `[v6]:port` → (host, port); ValueError otherwise."""
    match = _HOST_PORT.match(value)
    if not match or not 1 <= int(match.group(3)) <= 65535:
        raise ValueError(f"not host:port (port 1-65535): {value!r}")
    return match.group(1) or match.group(2), int(match.group(3))


def _host_port(value: Any) -> Any:
    if isinstance(value, str):
        split_host_port(value)
    return value


HostPort = Annotated[str, Field(max_length=300), AfterValidator(_host_port)]
# A venue secret shorter than this is guessable offline from one captured message.
MIN_SECRET_BYTES = 16


class PeersConfig(Strict):
    """Kiosks of one venue tell each other their decisions over the LAN (UDP), encrypted and
    authenticated with a secret the venue's kiosks share, so that they keep one count and
    anti-passback while the registry cannot be reached."""

    listen: HostPort = Field(description="Where this kiosk receives its peers, e.g. 0.0.0.0:7700.")
    addresses: list[HostPort] = Field(
        min_length=1, max_length=32, description="The other kiosks of the venue, host:port each."
    )
    secret_file: ConfigPath = Field(
        description="The venue's shared secret (the same file on each of its kiosks, mode 600, "
        "at least 16 bytes, e.g. `head -c 32 /dev/urandom | base64`)."
    )
    interval: Duration = Field(
        2.0, ge=0.01, le=300, description="How often each peer is told what this kiosk has."
    )

    @field_validator("secret_file")
    @classmethod
    def _secret_private(cls, value: Path) -> Path:
        data = small_file(value).strip()
        if len(data) < MIN_SECRET_BYTES:
            raise ValueError(f"{value}: the venue secret needs at least {MIN_SECRET_BYTES} bytes")
        mode = value.stat().st_mode
        if mode & 0o077:
            raise ValueError(
                f"{value} is readable by others (mode {mode & 0o777:o}); run: chmod 600 {value}"
            )
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

    @field_validator("path")
    @classmethod
    def _not_a_folder(cls, value: Path) -> Path:
        if value.is_dir():
            raise ValueError(f"{value} is a folder; name the database file in it")
        return value


class Config(Strict):
    venue: VenueConfig
    kiosk: KioskConfig
    camera: CameraConfig = Field(description="Frame source; `type` chooses the implementation.")
    readers: list[ReaderConfig] = Field(
        default_factory=list,
        max_length=8,
        description="Dedicated QR readers beside (or instead of) the camera.",
    )
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
    peers: PeersConfig | None = Field(
        None, description="The venue's other kiosks on the LAN; absent = this kiosk alone."
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
        # With a registry, the signed trust list brings the issuer keys: none need be local.
        if (
            CodeKind.SIGNED_PASS in self.policy.admit_kinds
            and not self.trust.issuer_keys
            and self.registry is None
        ):
            issues.append(
                (("trust", "issuer_keys"), "signed_pass is admitted but no issuer key is trusted")
            )
        if (
            CodeKind.DCC in self.policy.admit_kinds
            and not self.trust.dcc_signers
            and self.registry is None
        ):
            issues.append((("trust", "dcc_signers"), "dcc is admitted but no DSC is trusted"))
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
