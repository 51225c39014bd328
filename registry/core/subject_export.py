"""A person's copy of their data: one CSV, a cover sheet in Vietnamese (and English) first."""

from __future__ import annotations

import io
import os
from datetime import datetime
from typing import Any

from sqlalchemy import Engine

from checkin_protocol.spreadsheet import SafeWriter
from checkin_protocol.times import parse_iso_datetime
from registry.core.subjects import LEGAL_ZONE, Answer, Held

# Each section of the export: its key in Held, its heading (vi / en) and its columns.
SECTIONS: tuple[tuple[str, str, tuple[tuple[str, str], ...]], ...] = (
    (
        "records",
        "Lượt ra vào được ghi lại / Check-ins recorded",
        (
            ("time", "Thời gian / Time"),
            ("venue", "Địa điểm / Venue"),
            ("kiosk", "Máy / Kiosk"),
            ("direction", "Chiều / Direction"),
            ("verdict", "Kết quả / Result"),
            ("reason", "Lý do / Reason"),
            ("code_kind", "Loại mã / Code"),
            ("masked_name", "Tên (che) / Name (masked)"),
            ("subject", "Mã chủ thể (rút gọn) / Subject (shortened)"),
            ("kept_until", "Lưu đến / Kept until"),
        ),
    ),
    (
        "declarations",
        "Tờ khai y tế / Health declarations",
        (
            ("id", "Số tờ khai / No."),
            ("time", "Thời gian / Time"),
            ("name", "Họ tên / Name"),
            ("phone", "Điện thoại / Phone"),
            ("symptoms", "Có triệu chứng / Symptoms"),
            ("contact", "Có tiếp xúc / Contact"),
            ("pass_id", "Mã thẻ / Pass"),
            ("kept_until", "Lưu đến / Kept until"),
        ),
    ),
    (
        "passes",
        "Thẻ ra vào đã cấp / Passes issued",
        (
            ("pass_id", "Mã thẻ / Pass"),
            ("issued", "Cấp lúc / Issued"),
            ("valid_until", "Hiệu lực đến / Valid until"),
            ("revoked", "Thu hồi lúc / Revoked"),
            ("kept_until", "Lưu đến / Kept until"),
        ),
    ),
    (
        "deny_entries",
        "Danh sách từ chối / Deny list",
        (
            ("subject", "Mã chủ thể (rút gọn) / Subject (shortened)"),
            ("reason_code", "Lý do / Reason"),
            ("since", "Từ / Since"),
            ("by", "Người đặt / Placed by"),
            ("kept_until", "Lưu đến / Kept until"),
        ),
    ),
    (
        "self_checkins",
        "Tự khai báo ra vào bằng điện thoại / Self check-ins by phone",
        (
            ("venue", "Địa điểm / Venue"),
            ("inside", "Đang ở trong / Inside"),
            ("entered", "Vào lúc / Entered"),
            ("left", "Ra lúc / Left"),
            ("kept_until", "Lưu đến / Kept until"),
        ),
    ),
    (
        "seen_by",
        "Ai đã xem hoặc xử lý dữ liệu của bạn / Who saw or acted on your data",
        (
            ("time", "Thời gian / Time"),
            ("who", "Người / Who"),
            ("action", "Việc làm / Action"),
            ("reason", "Lý do nêu ra / Reason given"),
            ("kept_until", "Nhật ký lưu đến / Log kept until"),
        ),
    ),
)
# A section's rows as Held.counts names them.
COUNTED_AS = {"passes": "issued_passes", "seen_by": "audit_entries"}
TIME_KEYS = frozenset({"time", "kept_until", "issued", "valid_until", "revoked", "since"})
TIME_KEYS |= {"entered", "left"}
KINDS = {
    "find": "tra cứu / find",
    "export": "bản sao / export",
    "erase": "xóa / erasure",
}
LOOKUPS = {
    "id_number": "số định danh (CCCD/CMND) / ID number",
    "pass": "mã thẻ / pass id",
    "declaration": "số tờ khai / declaration no.",
}


CONTROLLER_ENV = "REGISTRY_CONTROLLER"


def controller() -> str:
    """Who the data controller is, as the venue's operator sets it (env REGISTRY_CONTROLLER)."""
    return os.environ.get(CONTROLLER_ENV) or (
        "Đơn vị vận hành hệ thống này (đặt REGISTRY_CONTROLLER) / "
        "The operator of this registry (set REGISTRY_CONTROLLER)"
    )


def where_kept(engine: Engine) -> str:
    """Where the registry keeps what it holds, in words for the person."""
    url = engine.url
    store = (
        f"PostgreSQL ({url.host or 'local'}/{url.database})"
        if engine.dialect.name == "postgresql"
        else f"SQLite ({url.database})"
    )
    return (
        f"Máy chủ đăng ký, cơ sở dữ liệu {store}; bản sao tạm trên máy kiểm soát ra vào của "
        f"địa điểm / The registry server, database {store}; a short-lived copy on the "
        "venue's check-in kiosks"
    )


def local(iso: str | None) -> str:
    """An ISO UTC time as a person in Vietnam reads it: `07/12/2026 09:30 (giờ VN)`."""
    if not iso:
        return ""
    at = parse_iso_datetime(iso).astimezone(LEGAL_ZONE)
    return at.strftime("%d/%m/%Y %H:%M") + " (giờ Việt Nam / ICT)"


def _span(held: Held) -> tuple[str | None, str | None]:
    """The first time anything held was written, and the last day any of it is kept."""
    starts: list[str] = []
    ends: list[str] = []
    for key, _, _ in SECTIONS:
        for row in getattr(held, key):
            for k in ("time", "issued", "since", "entered"):
                if row.get(k):
                    starts.append(row[k])
            if row.get("kept_until"):
                ends.append(row["kept_until"])

    def moment(iso: str) -> datetime:
        return parse_iso_datetime(iso)

    return (
        min(starts, key=moment) if starts else None,
        max(ends, key=moment) if ends else None,
    )


def cover(answer: Answer, where: str, controller: str) -> list[list[Any]]:
    """The cover sheet's rows: the request, who holds what where, since and until when."""
    r, held = answer.request, answer.held
    first, last = _span(held)
    counts = held.counts()
    venues = sorted({row["venue"] for row in held.records + held.self_checkins})
    rows: list[list[Any]] = [
        ["BẢN SAO DỮ LIỆU CÁ NHÂN / COPY OF YOUR PERSONAL DATA"],
        ["Theo Luật Bảo vệ dữ liệu cá nhân số 91/2025/QH15 và Nghị định 356/2025/NĐ-CP"],
        ["Under the Personal Data Protection Law 91/2025/QH15 and Decree 356/2025/NĐ-CP"],
        [],
        ["Yêu cầu số / Request no.", r["id"]],
        ["Loại yêu cầu / Request", KINDS.get(r["kind"], r["kind"])],
        ["Tìm theo / Found by", LOOKUPS.get(r["lookup"], r["lookup"])],
        ["Nhận yêu cầu lúc / Received", local(r["asked"])],
        ["Hạn phản hồi (2 ngày làm việc) / Reply due (2 working days)", local(r["reply_due"])],
        ["Hạn thực hiện / To be done by", local(r["done_due"])],
        ["Trả lời lúc / Answered", local(r["answered"])],
        ["Người xử lý / Handled by", r["recorded_by"]],
        [],
        ["Bên kiểm soát dữ liệu / Data controller", controller],
        ["Địa điểm có dữ liệu của bạn / Venues holding your data", "; ".join(venues) or "—"],
        ["Nơi lưu / Where it is kept", where],
        [
            "Mục đích / Purpose",
            "Kiểm soát ra vào và truy vết y tế / Entry control and health tracing",
        ],
        ["Dữ liệu sớm nhất từ / Held since", local(first) or "—"],
        ["Xóa muộn nhất lúc / Deleted at the latest by", local(last) or "—"],
        [],
        ["Đang lưu / What is held", "Số dòng / Rows"],
    ]
    for key, title, _ in SECTIONS:
        rows.append([title, counts[COUNTED_AS.get(key, key)]])
    rows += [
        [],
        [
            "Không lưu / Never kept",
            "Số CCCD/CMND (chỉ lưu mã băm có khóa), ảnh khuôn mặt, ảnh thẻ / "
            "The ID number itself (only a keyed hash), face images, card images",
        ],
        [
            "Quyền của bạn / Your rights",
            "Xem, sao chép, sửa, xóa, phản đối hoặc hạn chế xử lý; hỏi bên kiểm soát dữ "
            "liệu / See, copy, correct, erase, object to or restrict processing; ask the "
            "data controller",
        ],
    ]
    if answer.erased is not None:
        rows += [[], ["Đã xóa / Erased", "Số dòng / Rows"]]
        rows += [[k, v] for k, v in answer.erased.items()]
    return rows


def export_csv(answer: Answer, where: str, controller: str) -> str:
    """The whole export as CSV text (with a BOM, so spreadsheets read it as UTF-8)."""
    out = io.StringIO()
    out.write("\ufeff")
    w = SafeWriter(out)
    w.writerows(cover(answer, where, controller))
    for key, title, columns in SECTIONS:
        w.writerow([])
        w.writerow([title])
        w.writerow([label for _, label in columns])
        for row in getattr(answer.held, key):
            w.writerow([shown_value(k, row.get(k)) for k, _ in columns])
    return out.getvalue()


def shown_value(key: str, value: Any) -> Any:
    if key in TIME_KEYS:
        return local(value)
    if isinstance(value, bool):
        return "có / yes" if value else "không / no"
    return value
