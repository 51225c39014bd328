"""The guard's console: its keys, PIN and manual admits."""

from __future__ import annotations

from typing import Annotated

from pydantic import (
    Field,
    field_validator,
    model_validator,
)

from kiosk.config.base import (
    Label,
    Strict,
)

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
    vietnamese_input: bool = Field(
        True,
        description="The name is typed as Vietnamese on a plain keyboard, Telex or VNI "
        "(`Nguyeenx Thij Hoa` or `Nguye6n4 Thi5 Hoa` → Nguyễn Thị Hoa); false: letters as typed.",
    )
