"""The door outputs: the relay, the HTTP hook, and the building's panel (Wiegand, OSDP)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal, Self

from pydantic import (
    Field,
    field_validator,
    model_validator,
)

from checkin_protocol.records import SUBJECT_PATTERN
from kiosk.config.base import (
    ConfigPath,
    Duration,
    Label,
    Strict,
    small_file,
)
from kiosk.config.readers import DevicePath

CardNumber = Annotated[int, Field(ge=0, le=0xFFFF)]  # 16 bits in both Wiegand formats
SubjectText = Annotated[str, Field(pattern=SUBJECT_PATTERN)]


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


class CredentialConfig(Strict):
    """The card number the building's panel is sent for a decision: the panel knows cards,
    not QR codes, so the venue maps its passes onto numbers the panel was enrolled with."""

    facility: int = Field(
        0,
        ge=0,
        le=0xFFFF,
        description="Facility (site) code sent with every number (26 bit: 0-255; 34 bit: 0-65535).",
    )
    by_pass: dict[SubjectText, CardNumber] = Field(
        default_factory=dict,
        max_length=100_000,
        description="A card number per pass, by its subject as recorded (e.g. `pass:3f2a…`); "
        "looked up first.",
    )
    by_category: dict[Label, CardNumber] = Field(
        default_factory=dict,
        max_length=1000,
        description="A card number per pass category (staff, visitor, …); looked up second.",
    )
    fixed: CardNumber | None = Field(
        None,
        description="The card number for any other PASS; without it, a PASS that no mapping "
        "names sends nothing (the panel does not open).",
    )
    denied: CardNumber | None = Field(
        None,
        description="A card number sent on FAIL, for panels that log refusals; "
        "without it a FAIL sends nothing.",
    )

    def numbers(self) -> list[int]:
        listed = [*self.by_pass.values(), *self.by_category.values()]
        return listed + [n for n in (self.fixed, self.denied) if n is not None]


class WiegandConfig(Strict):
    """Wiegand out on two GPIO lines. Timing bounds are SIA AC-01-1996.10's: a pulse of
    20-100 µs, 200 µs to 20 ms between pulses."""

    data0: int | str = Field(description="GPIO pin driving the DATA0 line (BCM number or name).")
    data1: int | str = Field(description="GPIO pin driving the DATA1 line (BCM number or name).")
    bits: Literal[26, 34] = Field(
        26, description="26 (HID H10301: 8-bit facility) or 34 (H10306: 16-bit facility)."
    )
    pulse_us: int = Field(50, ge=20, le=100, description="Pulse width in microseconds.")
    interval_us: int = Field(
        2000,
        ge=200,
        le=20_000,
        description="From the start of one pulse to the start of the next, in microseconds.",
    )
    inverted: bool = Field(
        False,
        description="True when each pin drives a transistor that pulls its line low when the "
        "pin is high (open collector); False for a direct drive through a level shifter, "
        "where a pulse is the pin going low.",
    )

    @model_validator(mode="after")
    def _distinct_pins(self) -> Self:
        if str(self.data0) == str(self.data1):
            raise ValueError("data0 and data1 must be different pins")
        return self


class OsdpConfig(Strict):
    """The kiosk as an OSDP v2 reader (a peripheral device) that the building's panel polls
    over RS-485 or a serial line; card reads carry the mapped credential as Wiegand bits."""

    port: DevicePath = Field(
        description="Serial device of the RS-485 adapter or UART, e.g. /dev/ttyUSB0 "
        "(or a stable /dev/serial/by-id/… path)."
    )
    baud: Literal[9600, 19200, 38400, 57600, 115200, 230400] = Field(
        9600, description="The line speed the panel uses for this reader (OSDP's rates)."
    )
    address: int = Field(
        0, ge=0, le=126, description="The reader's address on the bus, as set in the panel."
    )
    scbk_file: ConfigPath | None = Field(
        None,
        description="File holding the secure channel base key, 32 hex digits (mode 0600), "
        "as installed in the panel; without it the channel is not encrypted.",
    )
    bits: Literal[26, 34] = Field(
        26, description="The Wiegand format of the card data sent (26: H10301, 34: H10306)."
    )
    queue: int = Field(
        10_000,
        ge=1,
        le=1_000_000,
        description="Card reads kept while the panel is away, sent in order when it returns; "
        "beyond this the oldest are dropped (and logged).",
    )

    @field_validator("scbk_file")
    @classmethod
    def _key_private(cls, value: Path | None) -> Path | None:
        if value is not None:
            read_scbk(value)
        return value


def read_scbk(path: Path) -> bytes:
    """The 16-byte key in `path` (32 hex digits); ValueError naming the file otherwise."""
    text = small_file(path, 1024).decode("ascii", "replace").strip()
    mode = path.stat().st_mode
    if mode & 0o077:
        raise ValueError(f"{path} is readable by others (mode {mode & 0o777:o}); chmod 600 {path}")
    if len(text) != 32 or any(c not in "0123456789abcdefABCDEF" for c in text):
        raise ValueError(f"{path}: the secure channel key is 32 hex digits")
    return bytes.fromhex(text)


DoorOutput = Literal["relay", "hook", "wiegand", "osdp"]
OPENERS: tuple[DoorOutput, ...] = ("relay", "wiegand", "osdp")


class DoorConfig(Strict):
    output: DoorOutput | None = Field(
        None,
        description="Which output the door's decisions go to: relay, hook (the building "
        "system opens), wiegand or osdp (the access-control panel). Without it, the one of "
        "relay, wiegand and osdp that is set; with several set, this chooses and the others "
        "stay unused. A hook that is set always hears of decisions too.",
    )
    relay: RelayConfig | None = Field(
        None, description="Open a door relay on PASS (never on FAIL)."
    )
    hook: HookConfig | None = Field(None, description="Tell a building system about decisions.")
    wiegand: WiegandConfig | None = Field(
        None, description="Send the mapped card number to an access-control panel by Wiegand."
    )
    osdp: OsdpConfig | None = Field(
        None,
        description="Answer the building's panel as an OSDP reader: card reads on PASS, "
        "its LED and buzzer commands shown and sounded.",
    )
    credential: CredentialConfig = Field(
        default_factory=CredentialConfig,
        description="The card number sent to the panel (Wiegand, OSDP) for a decision.",
    )

    def opener(self) -> DoorOutput | None:
        """The output wired to open the door: the chosen one, or the only one set."""
        if self.output is not None:
            return self.output
        present = [name for name in OPENERS if getattr(self, name) is not None]
        return present[0] if present else None

    def unused(self) -> list[DoorOutput]:
        """Sections set but not wired, because `output` chose another."""
        chosen = self.opener()
        return [n for n in OPENERS if n != chosen and getattr(self, n) is not None]

    @model_validator(mode="after")
    def _one_output(self) -> Self:
        present = [name for name in OPENERS if getattr(self, name) is not None]
        if self.output is not None and getattr(self, self.output) is None:
            raise ValueError(f"output is {self.output} but there is no door.{self.output} section")
        if self.output is None and len(present) > 1:
            raise ValueError(
                f"{', '.join(present)} are set: choose the door's output with "
                f"door.output (one of {', '.join(present)})"
            )
        return self

    @model_validator(mode="after")
    def _credential_fits(self) -> Self:
        for name, out in (("wiegand", self.wiegand), ("osdp", self.osdp)):
            wired = out is not None and self.opener() == name
            if wired and out is not None and out.bits == 26 and self.credential.facility > 0xFF:
                raise ValueError(
                    f"credential.facility {self.credential.facility} does not fit Wiegand 26 "
                    f"(0-255); use {name}.bits: 34"
                )
        return self
