"""The admin's page for a person's requests: find, export (CSV) or erase one person's data."""

import hmac
import re
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request, Response

from checkin_protocol.records import IDENTIFIER_PATTERN
from registry.auth import Caller, Role
from registry.core.common import RegistryError, parse_iso_ms
from registry.core.notice import full_notice
from registry.core.subject_export import controller, export_csv, local, where_kept
from registry.core.subject_pdf import export_pdf
from registry.core.subjects import Answer, Lookup, RequestKind
from registry.service import Registry
from registry.web.deps import RegistryDep
from registry.web.render import lang_of, message, page, pagedata, staff

router = APIRouter(include_in_schema=False)

# This page's words, Vietnamese then English.
WORDS: dict[str, tuple[str, str]] = {
    "title": ("Yêu cầu của chủ thể dữ liệu", "Data subjects' requests"),
    "lead": (
        "Một người hỏi dữ liệu gì về họ đang được lưu, xin bản sao, hoặc yêu cầu xóa. Tìm họ "
        "theo số định danh, mã thẻ hoặc số tờ khai. Mọi yêu cầu đều được ghi lại cùng thời hạn.",
        "Someone asks what is held about them, wants a copy, or asks for it to be erased. Find "
        "them by ID number, pass id or declaration number. Every request is recorded with its "
        "deadlines.",
    ),
    "deadlines": (
        "Phản hồi trong 2 ngày làm việc; thực hiện trong 15 ngày (Nghị định 356/2025/NĐ-CP).",
        "Reply within 2 working days; carry it out within 15 days (Decree 356/2025/NĐ-CP).",
    ),
    "lookup": ("Tìm theo", "Find by"),
    "id_number": ("Số định danh (CCCD/CMND)", "ID number (CCCD/CMND)"),
    "pass": ("Mã thẻ", "Pass id"),
    "declaration": ("Số tờ khai", "Declaration number"),
    "value": ("Giá trị", "Value"),
    "asked": ("Người đó hỏi lúc (để trống: bây giờ)", "When they asked (empty: now)"),
    "confirm": (
        "Tôi đã kiểm tra: xóa toàn bộ dữ liệu của người này (không thể hoàn tác)",
        "I have checked: erase all of this person's data (cannot be undone)",
    ),
    "find": ("Tìm", "Find"),
    "export": ("Tải bản sao (CSV)", "Download the copy (CSV)"),
    "export_pdf": ("Tải bản sao (PDF)", "Download the copy (PDF)"),
    "erase": ("Xóa", "Erase"),
    "correct": ("Sửa tên, số điện thoại đã khai", "Correct the declared name, phone"),
    "withdraw": ("Rút lại sự đồng ý", "Withdraw consent"),
    "new_name": ("Họ tên đúng (để trống: giữ nguyên)", "Correct name (empty: unchanged)"),
    "new_phone": ("Số điện thoại đúng (để trống: giữ nguyên)", "Correct phone (empty: unchanged)"),
    "done_correct": (
        "Đã sửa các tờ khai của người này.",
        "This person's declarations were corrected.",
    ),
    "done_withdraw": (
        "Đã xóa tờ khai và thu hồi thẻ cấp từ tờ khai; lượt ra vào vẫn giữ đến hết thời hạn.",
        "Declarations deleted and their passes revoked; door records stay until retention.",
    ),
    "found": ("Đang lưu về người này", "Held about this person"),
    "erased": ("Đã xóa", "Erased"),
    "requests": ("Các yêu cầu đã ghi", "Requests recorded"),
    "no": ("Số", "No."),
    "kind": ("Loại", "Kind"),
    "asked_at": ("Nhận lúc", "Received"),
    "reply_due": ("Hạn phản hồi", "Reply due"),
    "done_due": ("Hạn thực hiện", "To be done by"),
    "answered": ("Trả lời lúc", "Answered"),
    "by": ("Người xử lý", "Handled by"),
    "err_confirm": (
        "Đánh dấu ô xác nhận để xóa.",
        "Tick the confirmation box to erase.",
    ),
    "err_asked": ("Thời điểm không hợp lệ.", "Not a valid time."),
    "err_refused": ("Không thực hiện được: {why}", "Could not be done: {why}"),
    "records": ("Lượt ra vào", "Check-ins"),
    "declarations": ("Tờ khai y tế", "Health declarations"),
    "issued_passes": ("Thẻ đã cấp", "Passes issued"),
    "deny_entries": ("Danh sách từ chối", "Deny entries"),
    "self_checkins": ("Tự khai báo bằng điện thoại", "Self check-ins by phone"),
    "audit_entries": ("Mục nhật ký về người này", "Audit entries about them"),
    "audit_entries_anonymised": ("Mục nhật ký đã ẩn danh", "Audit entries anonymised"),
}


class Words:
    """WORDS in the reader's language: `w.key`, or `w("key", why=...)`."""

    def __init__(self, lang: str) -> None:
        self._i = 0 if lang == "vi" else 1

    def __getattr__(self, key: str) -> str:
        try:
            return WORDS[key][self._i]
        except KeyError:
            raise AttributeError(key) from None

    def __call__(self, key: str, **fields: object) -> str:
        return WORDS[key][self._i].format(**fields)


def _page(
    request: Request,
    registry: Registry,
    user: tuple[Caller, str],
    status: int = 200,
    **context: Any,
) -> Response:
    w = Words(lang_of(request))
    rows = [
        {**r, **{k: local(r[k]) for k in ("asked", "reply_due", "done_due", "answered")}}
        for r in registry.subjects.requests(50)
    ]
    context.setdefault("problem", None)
    context.setdefault("counts", None)
    context.setdefault("done", None)
    context.setdefault("form", {"lookup": "id_number", "asked": ""})
    return page(
        request, "subjects.html", status, title=w.title, user=user, w=w, requests=rows, **context
    )


@router.get("/privacy/{venue_id}")
def privacy_notice(venue_id: str, request: Request, registry: RegistryDep) -> Response:
    """The venue's full privacy notice, public, in the reader's language (the poster's back
    page, for whoever scans or types its address)."""
    if not re.fullmatch(IDENTIFIER_PATTERN, venue_id):
        return message(request, 404, "not_found_title", "not_found")
    venue = pagedata(registry).venue(venue_id)
    if venue is None:
        return message(request, 404, "not_found_title", "not_found")
    title, parts = full_notice(venue.name, registry.settings.retention_days, lang_of(request))
    return page(request, "privacy.html", title=title, parts=parts)


@router.get("/admin/subjects")
def subjects_page(request: Request, registry: RegistryDep) -> Response:
    got = staff(request, registry, Role.ADMIN)
    if isinstance(got, Response):
        return got
    return _page(request, registry, got)


@router.post("/admin/subjects")
def subject_request(
    request: Request,
    registry: RegistryDep,
    lookup: Annotated[str, Form(max_length=16)] = "",
    value: Annotated[str, Form(max_length=64)] = "",
    action: Annotated[str, Form(max_length=16)] = "",
    asked: Annotated[str, Form(max_length=40)] = "",
    confirm: Annotated[str, Form(max_length=8)] = "",
    new_name: Annotated[str, Form(max_length=100)] = "",
    new_phone: Annotated[str, Form(max_length=20)] = "",
    csrf: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    """Find, export or erase; the request recorded and audited under the admin's name."""
    got = staff(request, registry, Role.ADMIN)
    if isinstance(got, Response):
        return got
    if not hmac.compare_digest(got[1].encode(), csrf.encode()):
        return message(request, 403, "forbidden_title", "form_expired", user=got)
    w = Words(lang_of(request))
    # The value is never shown back: it may be an ID number.
    form = {"lookup": lookup if lookup in Lookup.__members__.values() else "id_number"}
    form["asked"] = asked
    as_pdf = action == "export_pdf"
    try:
        kind, how = RequestKind("export" if as_pdf else action), Lookup(lookup)
    except ValueError:
        return _page(request, registry, got, 422, problem=w("err_refused", why="?"), form=form)
    if kind in (RequestKind.ERASE, RequestKind.WITHDRAW) and confirm != "yes":
        return _page(request, registry, got, 422, problem=w.err_confirm, form=form)
    asked_ms = None
    if asked.strip():
        try:
            # A browser's datetime-local has no zone: it is the time in Vietnam.
            asked_ms = parse_iso_ms(asked.strip() + ("" if "+" in asked else "+07:00"))
        except ValueError:
            return _page(request, registry, got, 422, problem=w.err_asked, form=form)
    try:
        answer = _act(registry, got[0].name, kind, how, value, asked_ms, new_name, new_phone)
    except RegistryError as exc:
        return _page(request, registry, got, 422, problem=w("err_refused", why=exc), form=form)
    if kind is RequestKind.EXPORT:
        return _file(registry, answer, as_pdf)
    if kind in (RequestKind.CORRECT, RequestKind.WITHDRAW):
        return _page(request, registry, got, done=w(f"done_{kind.value}"), form=form)
    counts = answer.erased if answer.erased is not None else answer.held.counts()
    return _page(
        request,
        registry,
        got,
        counts=[(w(k) if k in WORDS else k, n) for k, n in counts.items()],
        erased=answer.erased is not None,
        form=form,
    )


def _act(
    registry: Registry,
    who: str,
    kind: RequestKind,
    how: Lookup,
    value: str,
    asked_ms: int | None,
    new_name: str,
    new_phone: str,
) -> Answer:
    """The request done, recorded and audited under the admin's name."""
    if kind is RequestKind.CORRECT:
        name, phone = new_name.strip() or None, new_phone.strip() or None
        return registry.subjects.correct(who, how, value, name=name, phone=phone, asked_ms=asked_ms)
    if kind is RequestKind.WITHDRAW:
        return registry.subjects.withdraw(who, how, value, asked_ms=asked_ms)
    return registry.subjects.answer(who, kind, how, value, asked_ms=asked_ms)


def _file(registry: Registry, answer: Answer, as_pdf: bool) -> Response:
    """The person's copy to download: the PDF to read, or the CSV."""
    where, by = where_kept(registry.engine), controller()
    number = answer.request["id"]
    if as_pdf:
        body, kind, name = export_pdf(answer, where, by), "application/pdf", f"request-{number}.pdf"
    else:
        body = export_csv(answer, where, by).encode("utf-8")
        kind, name = "text/csv; charset=utf-8", f"request-{number}.csv"
    return Response(
        body,
        media_type=kind,
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )
