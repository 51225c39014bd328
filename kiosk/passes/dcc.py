"""EU Digital COVID Certificates at the door: the trusted signers and the PersonalCode of a DCC."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey

from checkin_protocol.dcc import DEFAULT_SKEW, DccCertificate, DccRejected, verify_dcc
from checkin_protocol.dcc_trust import DccTrust, Dsc
from checkin_protocol.privacy import mask_name
from checkin_protocol.reasons import Reason
from checkin_protocol.sealing import seal_identity
from kiosk.passes.errors import CodeRejected
from kiosk.passes.model import CodeKind, PersonalCode

log = logging.getLogger(__name__)


class DccSigners:
    """The DSCs this kiosk trusts: the venue's files (trust.dcc_signers) and the registry's.

    The registry's part is replaced whole by the sync thread, and the merged DccTrust with it:
    a reader sees either the old set or the new one, never half of each.
    """

    def __init__(self, local: Iterable[Dsc] = ()) -> None:
        self._local = tuple(local)
        self.trust = DccTrust(self._local)

    @classmethod
    def from_paths(cls, paths: Iterable[Path], now: int) -> DccSigners:
        """The venue's DSCs; one the kiosk cannot use is logged, naming its file and why, and
        skipped. Raises DccTrustError only for a folder with no certificate file at all."""
        trust = DccTrust()
        for path in paths:
            for problem in trust.add_usable(path, now=now)[1]:
                log.warning("DSC skipped: %s", problem)
        return cls(trust)

    def set_remote(self, dscs: Iterable[Dsc]) -> None:
        self.trust = DccTrust((*self._local, *dscs))

    def __len__(self) -> int:
        return len(self.trust)


def _masked(cert: DccCertificate) -> str:
    names = cert.names
    # Family name first, as Vietnamese names are written and KP1 masks them; the ICAO forms
    # stand in for a certificate that carries no free-form name.
    family = names.fn or names.fnt.replace("<", " ")
    given = names.gn if names.gn is not None else (names.gnt or "").replace("<", " ")
    return mask_name(f"{family} {given}")[:100]


def read_dcc(
    text: str,
    trust: DccTrust,
    now: float,
    seal_key: X25519PublicKey | None,
    skew: float = DEFAULT_SKEW,
) -> PersonalCode:
    """A verified DCC as a PersonalCode; raises CodeRejected with the DCC's reason.

    The subject follows the rule for ID numbers: the identity (standardised name and birth
    date) sealed to the registry, new ciphertext each scan, none without a registry.
    """
    try:
        cert = verify_dcc(text, trust, int(now), int(skew))
    except DccRejected as err:
        raise CodeRejected(Reason(err.reason.value), err.detail, CodeKind.DCC) from None
    subject = seal_identity(seal_key, cert.identity_key_material()) if seal_key else None
    return PersonalCode(
        kind=CodeKind.DCC,
        verified=True,
        subject=subject,
        masked_name=_masked(cert),
        birth_year=cert.birth_year,
        issued_at=cert.issued_at,
        expires_at=cert.expires_at,
        dcc=cert,
    )
