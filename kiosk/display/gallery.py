"""Every screen state in every language at every supported size, as PNGs (demo and tests)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from checkin_protocol.reasons import Reason
from checkin_protocol.records import CodeKind
from kiosk.camera.scenes import Pose, frame, qr_image
from kiosk.config import DisplayConfig
from kiosk.display.messages import Language, Messages
from kiosk.display.screen import PreviewFrame, Screen
from kiosk.display.views import (
    ErrorView,
    GuardNameView,
    GuardPinView,
    GuardReasonView,
    HistoryRow,
    HistoryView,
    IdleView,
    NoticeView,
    StatusBar,
    VerdictView,
    View,
)
from kiosk.policy.engine import Verdict

RESOLUTIONS = [(800, 480), (1024, 600), (1280, 720), (1920, 1080), (480, 800), (1080, 1920)]
LANGUAGES: list[Language] = ["vi", "en", "both"]
VENUE = "Toà nhà Bitexco Financial Tower · Tầng 1"
NOW = datetime(2026, 11, 22, 9, 41)
# The sample venue admits its own pass and ID cards; one idle screen shows a venue with all.
ADMITS = (CodeKind.SIGNED_PASS, CodeKind.CCCD)
EVERY_KIND = (CodeKind.SIGNED_PASS, CodeKind.NATIONAL_QR, CodeKind.CCCD, CodeKind.DCC)
# Every reason a DCC can be refused for that is not also a pass's (the DCC's own screens).
DCC_REASONS = (
    Reason.KEY_USAGE, Reason.DCC_EXPIRED, Reason.REVOKED, Reason.DCC_TYPE_NOT_ACCEPTED,
    Reason.VACCINATION_INCOMPLETE, Reason.VACCINATION_TOO_RECENT, Reason.VACCINATION_TOO_OLD,
    Reason.PRODUCT_NOT_ACCEPTED, Reason.TEST_TYPE_NOT_ACCEPTED, Reason.TEST_TOO_OLD,
    Reason.TEST_POSITIVE, Reason.RECOVERY_NOT_VALID, Reason.EXPIRED, Reason.NOT_YET_VALID,
    Reason.UNKNOWN_ISSUER, Reason.BAD_SIGNATURE, Reason.MALFORMED,
)  # fmt: skip


def sample_views() -> dict[str, View]:
    reasons = [
        ("", False, ""),
        ("expired", False, ""),
        ("denied", False, "trộm cắp 03/2026"),
        ("no_smartphone", True, ""),
        ("declaration_missing", False, ""),
    ]
    history = tuple(
        HistoryRow(f"09:{30 + i:02d}:1{i}", "exit" if i % 4 == 3 else "entry",
                   "FAIL" if reasons[i % 5][0] and not reasons[i % 5][1] else "PASS",
                   "Nguyễn V** A" if i % 5 != 3 else "", reasons[i % 5][0],
                   manual=reasons[i % 5][1], staff_note=reasons[i % 5][2])
        for i in range(10)
    )  # fmt: skip
    dcc = {
        f"fail-dcc-{r.value}": VerdictView(
            Verdict.FAIL, r, code_kind=CodeKind.DCC, admits=EVERY_KIND
        )
        for r in DCC_REASONS
    }
    return {
        "idle": IdleView(admits=ADMITS),
        "idle-pass-only": IdleView(),
        "idle-every-kind": IdleView(admits=EVERY_KIND),
        "idle-help-glare": IdleView(hint="help.glare"),
        "idle-help-far": IdleView(hint="help.far"),
        "pass-staff": VerdictView(Verdict.PASS, None, "Nguyễn V** A", 1990, "staff", True),
        "pass-identity-code": VerdictView(Verdict.PASS, None, "Trần T** M** K", 1985, None, False),
        "pass-manual": VerdictView(Verdict.PASS, manual_reason="no_smartphone"),
        "fail-expired": VerdictView(Verdict.FAIL, Reason.EXPIRED),
        "fail-not-personal": VerdictView(Verdict.FAIL, Reason.NOT_PERSONAL_CODE, admits=ADMITS),
        "fail-kind": VerdictView(
            Verdict.FAIL, Reason.KIND_NOT_ADMITTED, code_kind=CodeKind.DCC, admits=ADMITS
        ),
        "fail-already-inside": VerdictView(
            Verdict.FAIL, Reason.ALREADY_INSIDE, code_kind=CodeKind.CCCD
        ),
        "fail-full": VerdictView(Verdict.FAIL, Reason.FULL),
        "fail-malformed-card": VerdictView(Verdict.FAIL, Reason.MALFORMED, code_kind=CodeKind.CCCD),
        "fail-card-expired": VerdictView(Verdict.FAIL, Reason.EXPIRED, code_kind=CodeKind.CCCD),
        "clock-not-set": ErrorView("error.clock"),
        "guard-pin-locked": GuardPinView(locked_for=45),
        "fail-private": VerdictView(Verdict.FAIL, Reason.DENIED),
        "out-of-order": ErrorView("error.camera"),
        "cannot-record": ErrorView("error.storage"),
        "guard-pin": GuardPinView(digits=2, wrong=True),
        "guard-reasons": GuardReasonView(
            ("no_smartphone", "code_unreadable", "known_staff", "delivery")
        ),
        "guard-history": HistoryView(history),
        "guard-history-unlocked": HistoryView(history, unlocked=True),
        "guard-name": GuardNameView("nguyễn thị hoa"),
        "fail-closed": VerdictView(Verdict.FAIL, Reason.CLOSED),
        "fail-stale": VerdictView(Verdict.FAIL, Reason.LISTS_STALE),
        "guard-switched": NoticeView("guard.switched", "direction.exit"),
        **dcc,
    }


SAMPLE_STATUS = StatusBar(
    direction="entry", occupancy=137, queued=12, online=False, lists_stale=True, muted=True
)


def sample_preview() -> PreviewFrame:
    luma = frame(
        qr_image("KP1:" + "X" * 200), Pose(angle=12, tilt=0.06, center=(0.55, 0.5)), seed=3
    )
    from kiosk.decode.zxing import ZxingDecoder

    (sym,) = ZxingDecoder().decode(luma)
    return PreviewFrame(luma, sym.corners, read=True)


def screens(
    sizes: list[tuple[int, int]] = RESOLUTIONS, languages: list[Language] = LANGUAGES
) -> Iterator[tuple[tuple[int, int], Language, Screen]]:
    """An open headless Screen for each size × language."""
    for w, h in sizes:
        cfg = DisplayConfig.model_validate({"mode": "headless", "width": w, "height": h})
        with Screen(cfg, venue_name=VENUE, messages=Messages("vi")) as screen:
            for lang in languages:
                screen.set_messages(Messages(lang))
                yield (w, h), lang, screen


def write_gallery(
    out: Path,
    sizes: list[tuple[int, int]] = RESOLUTIONS,
    languages: list[Language] = LANGUAGES,
) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    preview = sample_preview()
    # A help hint shows while a code is seen but not read: its outline amber, as on the kiosk.
    unread = PreviewFrame(preview.luma, preview.corners, read=False)
    written = []
    for (w, h), lang, screen in screens(sizes, languages):
        for name, view in sample_views().items():
            hinted = isinstance(view, IdleView) and view.hint is not None
            screen.render(view, SAMPLE_STATUS, NOW, unread if hinted else preview)
            path = out / f"{w}x{h}-{lang}-{name}.png"
            screen.save(path)
            written.append(path)
    return written
