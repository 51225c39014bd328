"""The full privacy notice on a venue's A4 poster (its second page), in Vietnamese and English."""

from __future__ import annotations

# Luật Bảo vệ dữ liệu cá nhân 91/2025/QH15: a person is told, before their data is processed,
# who processes it, why, what, for how long, who sees it, and their rights. Wording for the
# venue to check with its own legal advice; the numbers come from the registry's settings.


def full_notice(venue: str, days: int, lang: str) -> tuple[str, list[tuple[str, str]]]:
    """(title, [(heading, text)]) of the notice for `venue`, records kept `days` days."""
    if lang == "vi":
        return "Thông báo về xử lý dữ liệu cá nhân", [
            ("Bên kiểm soát dữ liệu", f"{venue}, đơn vị quản lý địa điểm này."),
            (
                "Mục đích",
                "Kiểm soát ra vào và hỗ trợ cơ quan y tế truy vết tiếp xúc khi có yêu cầu.",
            ),
            (
                "Dữ liệu được ghi",
                "Khi bạn quét mã: tên đã che (ví dụ Nguyễn V** A), mã thẻ hoặc mã băm của số "
                "định danh (không lưu chính số), cửa, chiều vào/ra, thời gian và kết quả. Không "
                "lưu ảnh khuôn mặt hay ảnh thẻ. Tờ khai y tế chỉ khi bạn tự khai và đồng ý: họ "
                "tên, số điện thoại và câu trả lời về sức khỏe, được mã hóa khi lưu.",
            ),
            ("Thời hạn lưu", f"{days} ngày, sau đó tự động xóa, cả trên máy tại cửa."),
            (
                "Ai được xem",
                "Nhân viên kiểm soát của địa điểm (chỉ thấy tên đã che) và cán bộ y tế khi "
                "truy vết; mỗi lần xem đều được ghi lại kèm lý do.",
            ),
            (
                "Quyền của bạn",
                "Được biết, xem, nhận bản sao, yêu cầu sửa, xóa, phản đối hoặc hạn chế xử lý "
                "dữ liệu, và rút lại sự đồng ý. Chúng tôi phản hồi trong 2 ngày làm việc.",
            ),
            (
                "Liên hệ",
                "Hỏi nhân viên lễ tân hoặc ban quản lý; cho biết số định danh, mã thẻ hoặc số "
                "tờ khai để chúng tôi tìm dữ liệu của bạn.",
            ),
        ]
    return "How we process personal data", [
        ("Data controller", f"{venue}, which manages this place."),
        ("Purpose", "Entry control, and helping health officers trace contacts when asked."),
        (
            "What is recorded",
            "When you scan: your masked name (e.g. Nguyễn V** A), the pass id or a keyed hash of "
            "your ID number (never the number itself), the door, in or out, the time and the "
            "result. No face or card images. A health declaration only if you make one and "
            "agree: name, phone and health answers, encrypted when stored.",
        ),
        ("How long", f"{days} days, then deleted automatically, at the door too."),
        (
            "Who sees it",
            "The venue's staff (masked names only) and health officers when tracing; every "
            "look is recorded with its reason.",
        ),
        (
            "Your rights",
            "To know, see, get a copy, correct, erase, object to or restrict the processing, "
            "and withdraw your consent. We reply within 2 working days.",
        ),
        (
            "Contact",
            "Ask at reception or the management office; give your ID number, pass id or "
            "declaration number so we can find your data.",
        ),
    ]
