"""Least-data helpers: masked names for screens and keyed hashes instead of ID numbers."""

from __future__ import annotations

import hashlib
import hmac
import os
import unicodedata
from pathlib import Path

from checkin_protocol.records import Subject, SubjectKind


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

    def __call__(self, id_number: str) -> Subject:
        key = normalize_id_number(id_number)
        digest = hmac.new(self._secret, key.encode(), hashlib.sha256).digest()
        return Subject(SubjectKind.ID_HASH, digest[:16].hex())


def normalize_id_number(raw: str) -> str:
    """The form of an ID number that is hashed: one number, one subject key.

    A fullwidth `００１…`, a trailing newline or an Arabic-Indic `٠٠١…` is the same number
    to a person, and must not slip past a deny-list entry written in ASCII. NFKC folds
    compatibility forms (fullwidth, mathematical digits), strip() drops Unicode whitespace,
    and any remaining decimal digit becomes its ASCII digit. ASCII input is unchanged, so
    keys hashed before this normalisation still match.
    """
    text = unicodedata.normalize("NFKC", raw).strip()
    return "".join(str(unicodedata.decimal(ch)) if ch.isdecimal() else ch for ch in text)


def ascii_id_number(raw: str, length: int) -> str | None:
    """`raw` as exactly `length` ASCII digits after NFKC and strip, or None.

    For numbers read from a code: NFKC turns every look-alike a printer or phone keyboard
    produces into ASCII; what is still not ASCII digits afterwards is not an ID number.
    """
    text = unicodedata.normalize("NFKC", raw).strip()
    if len(text) != length or not all("0" <= ch <= "9" for ch in text):
        return None
    return text
