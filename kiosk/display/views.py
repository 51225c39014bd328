"""What the screen shows, and for how long: a pure state machine the render loop polls."""

from __future__ import annotations

from dataclasses import dataclass

from checkin_protocol.reasons import Reason
from checkin_protocol.records import CodeKind
from kiosk.display.messages import keys
from kiosk.policy.engine import Decision, Verdict

# What a door admits unless told (policy.admit_kinds' default): the venue's own pass.
DEFAULT_ADMITS: tuple[CodeKind, ...] = (CodeKind.SIGNED_PASS,)


@dataclass(frozen=True)
class IdleView:
    hint: str | None = None  # a `help.*` key while a code is seen but cannot be read
    # The code kinds the venue admits (policy.admit_kinds): the screen names these only.
    admits: tuple[CodeKind, ...] = DEFAULT_ADMITS


@dataclass(frozen=True)
class VerdictView:
    verdict: Verdict
    reason: Reason | None = None
    masked_name: str | None = None
    birth_year: int | None = None
    category: str | None = None
    verified: bool = True
    manual_reason: str | None = None  # set for a guard's manual admit
    code_kind: CodeKind = CodeKind.UNKNOWN
    # What the venue admits: a refused visitor's hint names what to show instead.
    admits: tuple[CodeKind, ...] = DEFAULT_ADMITS

    @classmethod
    def of(cls, decision: Decision, admits: tuple[CodeKind, ...] = DEFAULT_ADMITS) -> VerdictView:
        code = decision.code
        return cls(
            verdict=decision.verdict,
            reason=decision.reason,
            masked_name=code.masked_name if code else None,
            birth_year=code.birth_year if code else None,
            category=code.category if code else None,
            verified=code.verified if code else False,
            code_kind=decision.code_kind,
            admits=admits,
        )

    @property
    def hint(self) -> str | None:
        """The hint's catalogue key: the code kind's own where it has one (`hint.dcc.expired`:
        "declare again" is wrong advice for a COVID certificate), else the reason's."""
        if self.reason is None:
            return None
        own = f"hint.{self.code_kind.value}.{self.reason.value}"
        return own if own in keys() else f"hint.{self.reason.value}"


# A refusal is titled by whose problem it is: the code's, the venue's rules (for now, or for
# this person here), or the kiosk's own. A private reason reads like "not now, see the
# staff", the same as no reason at all.
# A refusal's title says whose problem it is: the code's ("invalid code": get a new one), the
# venue's rules ("not now" / "not admitted": the code is fine) or the kiosk's own. Only the
# reasons listed as the code's are called invalid: a visitor told "invalid" re-opens their app.
_CODE_PROBLEMS = frozenset(
    {
        Reason.NOT_PERSONAL_CODE,
        Reason.MALFORMED,
        Reason.BAD_SIGNATURE,
        Reason.UNKNOWN_ISSUER,
        Reason.EXPIRED,
        Reason.NOT_YET_VALID,
        Reason.KEY_USAGE,
    }
)
_TITLES = {
    # The person is welcome; the code they showed is not one this door reads.
    Reason.KIND_NOT_ADMITTED: "fail.title.kind",
    Reason.CATEGORY_NOT_ADMITTED: "fail.title.refused",
    Reason.LISTS_STALE: "fail.title.kiosk",
}


def fail_title(reason: Reason | None) -> str:
    if reason is not None and reason in _CODE_PROBLEMS:
        return "fail.title.code"
    if reason is None or not reason.public:
        return "fail.title.not_now"
    return _TITLES.get(reason, "fail.title.not_now")


@dataclass(frozen=True)
class ErrorView:
    key: str  # "error.camera", "error.storage" or "error.clock"
    detail: str = ""


@dataclass(frozen=True)
class GuardPinView:
    digits: int = 0
    wrong: bool = False
    checking: bool = False  # entered, being checked: the dots stay until the answer
    max_digits: int = 8
    cancel: str = "Esc"  # the cancel key(s), as the guard's screen names them
    locked_for: int = 0  # seconds until a PIN is taken again (after too many wrong ones)


@dataclass(frozen=True)
class GuardReasonView:
    reasons: tuple[str, ...]
    cancel: str = "Esc"


@dataclass(frozen=True)
class GuardNameView:
    """The guard types who they admitted (optional): letters, digits and spaces."""

    text: str = ""
    cancel: str = "Esc"
    vietnamese: bool = True  # typed as Telex or VNI (guard.vietnamese_input): the screen says so


@dataclass(frozen=True)
class HistoryRow:
    time: str  # HH:MM:SS local
    direction: str  # "entry", "exit" or "" (not recorded)
    verdict: str  # "PASS", "FAIL" or "ERROR"
    masked_name: str
    reason: str  # a Reason value, a manual admit's reason, or ""
    manual: bool = False
    # The deny list's note for the staff (a local entry's `reason`): after the PIN only.
    staff_note: str = ""


@dataclass(frozen=True)
class HistoryView:
    rows: tuple[HistoryRow, ...]
    unlocked: bool = False  # the guard entered the PIN: private reasons are shown
    cancel: str = "Esc"


@dataclass(frozen=True)
class NoticeView:
    key: str
    value: str = ""


View = (
    IdleView
    | VerdictView
    | ErrorView
    | GuardPinView
    | GuardReasonView
    | GuardNameView
    | HistoryView
    | NoticeView
)
GuardView = GuardPinView | GuardReasonView | GuardNameView | HistoryView | NoticeView


@dataclass(frozen=True)
class StatusBar:
    """The strip along the top: what the guard glances at."""

    direction: str = "entry"
    occupancy: int | None = None
    # The venue-wide count lacks a recent registry answer: other doors may be missing from it.
    occupancy_stale: bool = False
    queued: int | None = None  # records waiting for the registry; None without a registry
    online: bool | None = None  # None without a registry
    lists_stale: bool = False
    reader_down: bool = False  # a dedicated QR reader is unplugged or cannot be opened
    # The camera is unplugged or broken; the door decides on its readers (and keypad) alone.
    camera_missing: bool = False
    muted: bool = False
    # The registry measured this clock off by more than display.max_clock_offset: seconds.
    clock_offset: int | None = None
    # Syncing through the n-th registry URL (2 or more): the first did not answer.
    registry_backup: int | None = None


class Presenter:
    """Holds a verdict for its time, then falls back to idle or to an error that is current.

    A new verdict replaces the one on screen at once (the next person should not wait).
    """

    def __init__(self, pass_hold: float, fail_hold: float) -> None:
        self._holds = {Verdict.PASS: pass_hold, Verdict.FAIL: fail_hold}
        self._view: View | None = None
        self._until = 0.0

    def show(self, view: View, now: float, hold: float | None = None) -> None:
        self._view = view
        if hold is None:
            hold = (
                self._holds[view.verdict]
                if isinstance(view, VerdictView)
                else self._holds[Verdict.FAIL]
            )
        self._until = now + hold

    def clear(self) -> None:
        self._view = None

    def current(self, now: float, fault: ErrorView | None, idle: IdleView | None = None) -> View:
        if self._view is not None and now < self._until:
            return self._view
        self._view = None
        return fault if fault is not None else (idle or IdleView())
