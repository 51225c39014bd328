"""A pass a phone shows the registry (to check in, or to prove whose declaration it is)."""

from cryptography.hazmat.primitives.asymmetric.ec import EllipticCurvePublicKey
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from checkin_protocol.keys import TrustStore
from checkin_protocol.kp1 import SignedPass, verify_pass
from registry.service import Registry
from registry.web.render import pagedata

# A device's secret, as the declaration page makes it: 32 random bytes, base64url.
DEVICE_PATTERN = r"^[A-Za-z0-9_-]{22,86}$"


def verified(registry: Registry, text: str) -> SignedPass:
    """The claims of a pass this registry signed with a key trusted now; PassRejected if not."""
    keys = [load_pem_public_key(p.encode()) for p in pagedata(registry).trusted_issuer_pems()]
    # Issuer keys are EC or Ed25519 (what the protocol signs with); nothing else is trusted.
    trust = TrustStore(
        [k for k in keys if isinstance(k, EllipticCurvePublicKey | Ed25519PublicKey)]
    )
    return verify_pass(text, trust)
