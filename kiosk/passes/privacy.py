"""Least-data helpers: masked names for screens and keyed hashes instead of ID numbers."""

from __future__ import annotations

import hashlib
import hmac
import os
import unicodedata
from pathlib import Path


def mask_name(full_name: str) -> str:
    """`Nguyễn Văn An` → `Nguyễn V** A`: family name, then initials only.

    Enough for a guard to compare with the person; not enough to identify them from a
    photo of the screen. ALL-CAPS names (as printed on ID cards) are title-cased first.
    """
    name = unicodedata.normalize("NFC", " ".join(full_name.split()))
    if name.isupper():
        name = name.title()
    words = name.split(" ")
    if not words or not words[0]:
        return ""
    if len(words) == 1:
        return words[0][0] + "**"
    middle = [w[0] + "**" for w in words[1:-1]]
    return " ".join([words[0], *middle, words[-1][0]])


def mask_subject(subject: str | None) -> str | None:
    """`pass:3f2a9c…`: enough to match a line with a record, not to identify anyone."""
    if subject is None:
        return None
    kind, _, value = subject.partition(":")
    return f"{kind}:{value[:6]}…"


def read_secret(path: Path) -> bytes:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ValueError(f"cannot read {path}: {exc.strerror}") from exc
    try:
        secret = bytes.fromhex(data.decode().strip())
    except (UnicodeDecodeError, ValueError) as exc:
        raise ValueError(f"{path}: subject key must be hex") from exc
    if len(secret) < 16:
        raise ValueError(f"{path}: subject key must be at least 16 bytes")
    return secret


def ensure_secret(path: Path) -> bytes:
    """Read the deployment's subject-hash secret, creating it (mode 0600) if absent."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        secret = os.urandom(32)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return ensure_secret(path)  # another process created it first
        with os.fdopen(fd, "wb") as fh:
            fh.write(secret.hex().encode())
        return secret
    return read_secret(path)


class SubjectHasher:
    """Keyed hash of an ID number: the same person gets the same subject key across this
    deployment's kiosks (so records can be traced), but the number cannot be read back
    or brute-forced from a leaked database without the secret."""

    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    def __call__(self, id_number: str) -> str:
        digest = hmac.new(self._secret, id_number.strip().encode(), hashlib.sha256).digest()
        return "idh:" + digest[:16].hex()
