"""Whom the kiosk trusts: issuer keys, DSCs and the local deny list."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    RootModel,
    field_validator,
    model_validator,
)

from checkin_protocol.dcc import HashType
from checkin_protocol.records import SUBJECT_PATTERN
from kiosk.config.base import (
    ConfigPath,
    Strict,
    regular_file,
    small_file,
)


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
                # A certificate the kiosk cannot use is skipped (check-config warns of it):
                # one bad DSC must not stop the door. Validity is judged at each scan (at the
                # time `kiosk scan --at` gives, too), so an expired DSC loads and signs nothing.
                DccTrust().add_usable(path, now=0)
            except (DccTrustError, OSError) as exc:
                raise ValueError(str(exc)) from exc
        return value

    @field_validator("deny_list")
    @classmethod
    def _deny_exists(cls, value: Path | None) -> Path | None:
        return None if value is None else regular_file(value)


# ---- the deny list file (trust.deny_list): its format, loaded with the config


def _digits_as_text(value: Any) -> Any:
    # An unquoted 123456789 is a YAML number; the loader keeps leading zeros as text, so
    # turning a number back into text loses nothing.
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


Digits = Annotated[str | None, BeforeValidator(_digits_as_text)]
# 16 bytes in standard base64 (the EU revocation list's form): 22 characters and "==".
DCC_HASH_PATTERN = r"^[A-Za-z0-9+/]{22}==$"


class DenyEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    pass_id: str | None = Field(
        None, pattern=r"^[0-9a-fA-F]{32}$", description="A KP1 pass id (hex)."
    )
    qid: Digits = Field(None, pattern=r"^[A-Za-z0-9_-]{4,64}$", description="A national QR's QID.")
    id_number: Digits = Field(
        None,
        # [0-9], not \d: pydantic's regex engine counts other scripts' digits as \d.
        pattern=r"^[0-9]{9,12}$",
        description="An ID number; kept only as an HMAC under a per-run key in memory.",
    )
    subject: str | None = Field(
        None, pattern=SUBJECT_PATTERN, description="A subject key as exported."
    )
    dcc_hash: str | None = Field(
        None,
        pattern=DCC_HASH_PATTERN,
        description="A revoked DCC, as the EU revocation list names it: SHA-256 (first 16 "
        "bytes, base64) of what `hash_type` says.",
    )
    hash_type: HashType = Field(
        HashType.UCI,
        description="With dcc_hash: UCI (the UVCI), COUNTRYCODEUCI (issuer country + UVCI) "
        "or SIGNATURE (the COSE signature; for ES256 its r half).",
    )
    reason: str = Field(min_length=1, max_length=200, description="Why (staff only, never shown).")

    @model_validator(mode="after")
    def _exactly_one(self) -> DenyEntry:
        kinds = ("pass_id", "qid", "id_number", "subject", "dcc_hash")
        given = [f for f in kinds if getattr(self, f)]
        if len(given) != 1:
            raise ValueError("give exactly one of pass_id, qid, id_number, subject, dcc_hash")
        return self


class DenyFile(RootModel[list[DenyEntry]]):
    pass
