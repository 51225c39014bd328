"""Why a scanned payload is not an acceptable personal code."""

from __future__ import annotations

from kiosk.passes.model import CodeKind
from kiosk.policy.reasons import Reason


class CodeRejected(Exception):
    """A payload that cannot be used; `reason` is what the visitor and the record get."""

    def __init__(self, reason: Reason, detail: str, kind: CodeKind | None = None) -> None:
        super().__init__(f"{reason.value}: {detail}")
        self.reason = reason
        self.detail = detail
        self.kind = kind  # set once the payload is known to be of a format
