"""The health declaration's consent: its versioned text (vi, en) and what counts as given."""

from __future__ import annotations

from dataclasses import dataclass

# Health data is sensitive (Nghị định 356/2025/NĐ-CP, Điều 4): processed on the person's
# explicit consent, which is never assumed (an unticked box, Điều 6) and whose evidence is
# kept (which text, when) with the declaration, and erased with it. A change of wording is a
# new version: a declaration is accepted only with the current one, as shown.
CURRENT = "2026-01"
TEXTS: dict[str, tuple[str, str]] = {
    "2026-01": (
        "Tôi đồng ý để thông tin sức khỏe tôi khai ở trên (triệu chứng, tiếp xúc), cùng họ "
        "tên, số điện thoại và mã băm của số định danh, được xử lý chỉ để cấp thẻ ra vào cho "
        "tôi và để cán bộ y tế truy vết khi cần. Dữ liệu được lưu trong thời hạn nêu ở trên "
        "rồi tự động xóa. Tôi có thể rút lại sự đồng ý, xem hoặc yêu cầu xóa dữ liệu của mình "
        "bất cứ lúc nào.",
        "I agree that the health information I gave above (symptoms, contact), with my name, "
        "phone number and a keyed hash of my ID number, is processed only to issue my entry "
        "pass and for health officers to trace contacts when needed. It is kept for the time "
        "stated above, then deleted. I can withdraw my consent, see my data or ask for it to "
        "be erased at any time.",
    ),
}
ERROR = (
    "Vui lòng đánh dấu ô đồng ý để gửi tờ khai: không có sự đồng ý thì không thể cấp thẻ.",
    "Please tick the consent box to send the declaration: without it no pass can be issued.",
)
VERSION_PATTERN = r"^[0-9]{4}-[0-9]{2}$"


@dataclass(frozen=True)
class ConsentWords:
    """What the form shows in one language: the box's text, its version, the error."""

    version: str
    text: str
    error: str


def words(lang: str) -> ConsentWords:
    i = 0 if lang == "vi" else 1
    return ConsentWords(CURRENT, TEXTS[CURRENT][i], ERROR[i])


def consent_problem(version: str | None) -> str | None:
    """Why `version` is not consent to the current text (None: it is), in English for the API."""
    if not version:
        return f"consent: the person must tick the consent box (text version {CURRENT})"
    if version != CURRENT:
        return (
            f"consent: version {version[:16]!r} is not the current text {CURRENT}: show "
            "GET /api/v1/consent and ask again"
        )
    return None
