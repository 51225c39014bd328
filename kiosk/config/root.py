"""The whole venue config: its sections, the rules across them, and loading it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import (
    BeforeValidator,
    Field,
)

from checkin_protocol.records import CodeKind
from kiosk.config.base import (
    Strict,
    empty_is_default,
)
from kiosk.config.camera import CameraConfig
from kiosk.config.decoder import DecoderConfig
from kiosk.config.display import DisplayConfig
from kiosk.config.door import DoorConfig
from kiosk.config.guard import GuardConfig
from kiosk.config.peers import PeersConfig
from kiosk.config.policy import PolicyConfig
from kiosk.config.readers import ReaderConfig
from kiosk.config.registry import RegistryConfig
from kiosk.config.storage import StorageConfig
from kiosk.config.trust import DenyFile, TrustConfig
from kiosk.config.venue import KioskConfig, VenueConfig
from kiosk.config.yamlfile import load_model


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
    door: Annotated[DoorConfig, BeforeValidator(empty_is_default)] = Field(
        default_factory=dict, validate_default=True
    )
    guard: Annotated[GuardConfig, BeforeValidator(empty_is_default)] = Field(
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
        # Only a signed pass carries a category: with admit_categories set, every other
        # kind admitted would be refused, always ("category None").
        uncategorised = [k.value for k in self.policy.admit_kinds if k is not CodeKind.SIGNED_PASS]
        if self.policy.admit_categories is not None and uncategorised:
            names = ", ".join(uncategorised)
            issues.append(
                (
                    ("policy", "admit_categories"),
                    f"{names} codes carry no category, so with admit_categories set none would "
                    f"ever be admitted: remove admit_categories, or {names} from admit_kinds",
                )
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
        load_model(cfg.trust.deny_list, DenyFile)  # its own FILE:LINE issues
    return cfg
