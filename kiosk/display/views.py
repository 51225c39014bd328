"""What the screen shows, and for how long: a pure state machine the render loop polls."""

from __future__ import annotations

from dataclasses import dataclass

from kiosk.policy.engine import Decision, Verdict
from kiosk.policy.reasons import Reason


@dataclass(frozen=True)
class IdleView:
    pass


@dataclass(frozen=True)
class VerdictView:
    verdict: Verdict
    reason: Reason | None = None
    masked_name: str | None = None
    birth_year: int | None = None
    category: str | None = None
    verified: bool = True

    @classmethod
    def of(cls, decision: Decision) -> VerdictView:
        code = decision.code
        return cls(
            verdict=decision.verdict,
            reason=decision.reason,
            masked_name=code.masked_name if code else None,
            birth_year=code.birth_year if code else None,
            category=code.category if code else None,
            verified=code.verified if code else False,
        )


@dataclass(frozen=True)
class ErrorView:
    key: str  # "error.camera" or "error.storage"
    detail: str = ""


View = IdleView | VerdictView | ErrorView


class Presenter:
    """Holds a verdict for its time, then falls back to idle or to an error that is current.

    A new verdict replaces the one on screen at once (the next person should not wait).
    """

    def __init__(self, pass_hold: float, fail_hold: float) -> None:
        self._holds = {Verdict.PASS: pass_hold, Verdict.FAIL: fail_hold}
        self._view: VerdictView | ErrorView | None = None
        self._until = 0.0

    def show(self, view: VerdictView | ErrorView, now: float) -> None:
        self._view = view
        hold = (
            self._holds[view.verdict]
            if isinstance(view, VerdictView)
            else self._holds[Verdict.FAIL]
        )
        self._until = now + hold

    def current(self, now: float, fault: ErrorView | None) -> View:
        if self._view is not None and now < self._until:
            return self._view
        self._view = None
        return fault if fault is not None else IdleView()
