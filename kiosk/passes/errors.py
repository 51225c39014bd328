"""Why a scanned payload is not an acceptable personal code."""

from __future__ import annotations

from checkin_protocol.reasons import Reason
from kiosk.passes.model import CodeKind


class CodeRejected(Exception):
    """A payload that cannot be used; `reason` is what the visitor and the record get."""

    def __init__(self, reason: Reason, detail: str, kind: CodeKind | None = None) -> None:
        super().__init__(f"{reason.value}: {detail}")
        self.reason = reason
        self.detail = detail
        self.kind = kind  # set once the payload is known to be of a format
