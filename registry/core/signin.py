"""Sign-in limits: failures counted per address and per account, in the database, with the
browsers an account signed in from before kept apart from their address."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from registry.auth import hash_token, new_token
from registry.core.common import Database, now_ms
from registry.db.models import LoginLimit, Principal, SigninDevice


class SignIns:
    """`failures` wrong tokens per `window_s` seconds, per key; then the key waits the window
    out. A key is an address (anyone there spends it) or an account (only its own browsers,
    those holding the account's device cookie, spend that one): a browser that signed in to
    an account before is counted by its account, so nobody else's failures at its address,
    an office's NAT say, keep it out."""

    def __init__(self, db: Database, failures: int, window_s: int, device_days: int) -> None:
        self.db = db
        self.failures = failures
        self.window_ms = window_s * 1000
        self.device_ms = device_days * 86400 * 1000

    def wait(self, key: str) -> int:
        """Seconds until `key` may try again; 0: now."""
        now = now_ms()
        with self.db.session() as s:
            row = s.get(LoginLimit, key)
        if row is None or row.failures < self.failures or row.window_ms + self.window_ms <= now:
            return 0
        return max(1, -(-(row.window_ms + self.window_ms - now) // 1000))

    def failed(self, key: str) -> None:
        """Count a wrong token against `key` (a window begins at its first failure)."""
        for _ in range(2):  # a first failure at two workers at once: one inserts, one updates
            try:
                with self.db.session.begin() as s:
                    now = now_ms()
                    row = s.get(LoginLimit, key, with_for_update=True)
                    if row is None:
                        s.add(LoginLimit(key=key, window_ms=now, failures=1))
                    elif row.window_ms + self.window_ms <= now:
                        row.window_ms, row.failures = now, 1
                    else:
                        row.failures += 1
                return
            except IntegrityError:
                continue

    def device_account(self, secret: str) -> int | None:
        """The account a browser's device cookie names, if it is one of ours and current."""
        if not secret or len(secret) > 100:
            return None
        with self.db.session() as s:
            row = s.get(SigninDevice, hash_token(secret))
            if row is None or row.expires_ms <= now_ms():
                return None
            active = s.scalar(
                select(Principal.id).where(
                    Principal.id == row.principal_id, Principal.revoked_ms.is_(None)
                )
            )
        return active

    def trust_device(self, principal_id: int) -> str:
        """A new device cookie's secret for a browser that just signed in to the account."""
        secret = new_token()
        with self.db.session.begin() as s:
            s.add(
                SigninDevice(
                    secret_hash=hash_token(secret),
                    principal_id=principal_id,
                    expires_ms=now_ms() + self.device_ms,
                )
            )
        return secret
