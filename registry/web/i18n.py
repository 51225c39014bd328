"""Every string a visitor, citizen or officer reads on the pages: Vietnamese first, English.

One catalogue, so a reviewer reads each Vietnamese sentence beside its English one, and a
page in one language cannot leak a string of the other. Times are formatted here too: in the
venue's own time zone, labelled, dates as Vietnamese write them (dd/mm/yyyy).
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from zoneinfo import ZoneInfo

from checkin_protocol.reasons import Reason
from registry.core.common import moment

Lang = Literal["vi", "en"]
LANGS: tuple[Lang, ...] = ("vi", "en")
DEFAULT_TZ = "Asia/Ho_Chi_Minh"

# key: (Vietnamese, English). Placeholders are str.format fields.
CATALOGUE: dict[str, tuple[str, str]] = {
    "service": ("Hệ thống ghi nhận ra vào bằng mã QR", "QR check-in registry"),
    "service_short": ("Ghi nhận ra vào", "Check-in registry"),
    "switch_to": ("English", "Tiếng Việt"),
    "skip": ("Bỏ qua, đến nội dung chính", "Skip to main content"),
    "footer": (
        "Dữ liệu ra vào được giữ 21 ngày rồi tự động xoá.",
        "Check-in data is kept for 21 days, then deleted automatically.",
    ),
    # Index
    "index_title": ("Trang chủ", "Home"),
    "index_lead": (
        "Khai báo y tế để nhận mã QR cá nhân, rồi quét mã tại cửa ra vào.",
        "Declare your health to get a personal QR pass, then show it at the door.",
    ),
    "index_declare": ("Khai báo y tế", "Health declaration"),
    "index_staff": ("Dành cho cán bộ", "For staff"),
    "index_login": ("Đăng nhập", "Sign in"),
    "index_docs": ("Tài liệu giao diện lập trình (API)", "API documentation"),
    # Sign in and out
    "login_title": ("Đăng nhập", "Sign in"),
    "login_lead": (
        "Dành cho người quản lý địa điểm, cán bộ y tế và quản trị viên.",
        "For venue controllers, health officers and administrators.",
    ),
    "login_token": ("Mã truy cập", "Access token"),
    "login_token_hint": (
        "Mã do quản trị viên cấp cho bạn.",
        "The token your administrator gave you.",
    ),
    "login_submit": ("Đăng nhập", "Sign in"),
    "login_failed": (
        "Mã truy cập không đúng hoặc đã bị thu hồi. Vui lòng kiểm tra lại.",
        "That access token is wrong or has been revoked. Please check it.",
    ),
    "login_wait": (
        "Đã có quá nhiều lần đăng nhập từ đây. Vui lòng thử lại sau {seconds} giây (lúc "
        "{time}, giờ Việt Nam).",
        "Too many sign-in attempts from here. Please try again in {seconds} seconds (at "
        "{time}, Vietnam time).",
    ),
    "logout": ("Đăng xuất", "Sign out"),
    "signed_in_as": ("Đang đăng nhập: {name}", "Signed in as {name}"),
    "form_expired": (
        "Biểu mẫu đã hết hạn. Vui lòng tải lại trang và thử lại.",
        "The form has expired. Please reload the page and try again.",
    ),
    "forbidden_title": ("Không có quyền truy cập", "Access denied"),
    "forbidden": (
        "Tài khoản của bạn không được xem trang này.",
        "Your account may not see this page.",
    ),
    "not_found_title": ("Không tìm thấy", "Not found"),
    "not_found": ("Không có địa điểm này.", "There is no such venue."),
    "back_home": ("Về trang chủ", "Back to the home page"),
    # Declaration
    "declare_title": ("Khai báo y tế", "Health declaration"),
    "declare_lead": (
        "Điền thông tin dưới đây để nhận mã QR ra vào cá nhân.",
        "Fill in the form below to get your personal check-in QR pass.",
    ),
    "field_name": ("Họ và tên", "Full name"),
    "field_name_hint": ("Như trên thẻ căn cước.", "As on your ID card."),
    "field_id": ("Số thẻ căn cước", "ID card number"),
    "field_id_hint": ("9 hoặc 12 chữ số.", "9 or 12 digits."),
    "field_phone": ("Số điện thoại", "Phone number"),
    "q_symptoms": (
        "Trong 14 ngày qua, bạn có bị sốt, ho hoặc khó thở không?",
        "In the last 14 days, have you had a fever, a cough or difficulty breathing?",
    ),
    "q_contact": (
        "Trong 14 ngày qua, bạn có tiếp xúc gần với người mắc bệnh không?",
        "In the last 14 days, have you been in close contact with someone who has the disease?",
    ),
    "yes": ("Có", "Yes"),
    "no": ("Không", "No"),
    "declare_submit": ("Gửi khai báo", "Send declaration"),
    "privacy_title": ("Thông tin của bạn được dùng thế nào", "How your information is used"),
    "privacy_stored": (
        "Chúng tôi lưu họ tên, số điện thoại, câu trả lời của bạn và một mã băm có khoá "
        "của số thẻ căn cước (không lưu chính số thẻ).",
        "We store your full name, phone number, your answers and a keyed hash of your ID "
        "card number (not the number itself).",
    ),
    "privacy_days": (
        "Thông tin được giữ 21 ngày, sau đó tự động xoá.",
        "It is kept for 21 days, then deleted automatically.",
    ),
    "privacy_who": (
        "Chỉ cán bộ y tế được xem, khi truy vết tiếp xúc, và mỗi lần xem đều được ghi lại.",
        "Only health officers may see it, when tracing contacts, and every look is recorded.",
    ),
    "err_summary": (
        "Vui lòng sửa các mục được đánh dấu bên dưới.",
        "Please correct the fields marked below.",
    ),
    "err_name": (
        "Vui lòng nhập họ và tên (từ 2 đến 100 ký tự).",
        "Please enter your full name (2 to 100 characters).",
    ),
    "err_id_number": (
        "Vui lòng nhập đúng số căn cước công dân (12 chữ số) hoặc số chứng minh nhân dân "
        "(9 chữ số) như in trên thẻ.",
        "Please enter your citizen ID number (12 digits) or old ID card number (9 digits) "
        "exactly as printed on the card.",
    ),
    "err_phone": (
        "Vui lòng nhập số điện thoại gồm 8 đến 16 chữ số.",
        "Please enter a phone number of 8 to 16 digits.",
    ),
    "err_code": (
        "Mã xác nhận gồm 6 chữ số, như trong tin nhắn.",
        "The code is 6 digits, as in the message.",
    ),
    "code_summary": (
        "Điện thoại này không còn giữ mã QR cũ của bạn?",
        "This phone no longer holds your previous pass?",
    ),
    "code_hint": (
        "Nhập số định danh ở trên rồi bấm gửi: mã xác nhận đến số điện thoại đã khai cùng mã "
        "QR cũ. Nhập mã ở đây khi gửi tờ khai, mã QR cũ sẽ hết hiệu lực.",
        "Type your ID number above and press send: a code goes to the phone number declared "
        "with your previous pass. Enter it here when you send the declaration, and that pass "
        "stops working.",
    ),
    "code_label": ("Mã xác nhận (6 chữ số)", "Code (6 digits)"),
    "code_send": ("Gửi mã đến số điện thoại đã khai", "Send a code to the phone on file"),
    "code_sent": (
        "Nếu số định danh này có mã QR còn hiệu lực, mã xác nhận đã được gửi đến số điện thoại "
        "đã khai cùng nó (hiệu lực 10 phút).",
        "If a pass is in force for this ID number, a code went to the phone declared with it "
        "(valid 10 minutes).",
    ),
    "err_symptoms": ("Vui lòng chọn Có hoặc Không.", "Please choose Yes or No."),
    "err_contact": ("Vui lòng chọn Có hoặc Không.", "Please choose Yes or No."),
    "err_busy": (
        "Bạn đã khai báo quá nhiều lần. Vui lòng thử lại sau.",
        "Too many declarations. Please try again later.",
    ),
    "err_unavailable": (
        "Hệ thống đang bận. Vui lòng thử lại sau ít phút.",
        "The service is busy. Please try again in a few minutes.",
    ),
    "pass_title": ("Mã QR của bạn", "Your QR pass"),
    "pass_alt": ("Mã QR ra vào của {name}", "Check-in QR pass of {name}"),
    "pass_name": ("Họ tên trên mã", "Name on the pass"),
    "pass_valid": ("Có giá trị đến", "Valid until"),
    "pass_declared": ("Khai báo lúc", "Declared at"),
    "pass_show": (
        "Đưa mã này trước máy quét khi vào và khi ra.",
        "Hold this code in front of the scanner when you enter and when you leave.",
    ),
    "pass_save": ("Lưu ảnh mã QR", "Save the QR as an image"),
    "pass_print": ("In mã QR", "Print the QR"),
    "pass_saved_here": (
        "Mã cũng được lưu trên điện thoại này để tự ghi nhận ra vào.",
        "The pass is also kept on this phone for self check-in.",
    ),
    "pass_superseded": (
        "Mã QR trước đây của bạn trên điện thoại này không còn hiệu lực; hãy dùng mã mới này.",
        "Your previous QR pass on this phone no longer works; use this new one.",
    ),
    "pass_kept_previous": (
        "Mã QR trước đây vẫn còn hiệu lực đến khi hết hạn (không xác nhận được nó thuộc "
        "điện thoại này).",
        "Your previous QR pass stays valid until it expires (it could not be confirmed as "
        "this phone's).",
    ),
    "risk_title": (
        "Vui lòng ở nhà và gọi cho cơ quan y tế",
        "Please stay home and call the health service",
    ),
    "risk_body": (
        "Bạn đã khai báo có triệu chứng hoặc có tiếp xúc với người bệnh. Vui lòng ở nhà, "
        "hạn chế tiếp xúc và gọi đường dây nóng của Bộ Y tế để được hướng dẫn.",
        "You declared symptoms or contact with someone who is ill. Please stay home, avoid "
        "contact with others and call the Ministry of Health hotline for advice.",
    ),
    "risk_call": ("Gọi 1900 9095", "Call 1900 9095"),
    "risk_pass": (
        "Mã QR dưới đây vẫn được cấp nhưng sẽ không mở cửa ra vào cho đến khi bạn khai báo "
        "lại mà không còn nguy cơ.",
        "The QR pass below is still issued, but it will not open doors until you declare "
        "again without a risk.",
    ),
    "risk_no_pass": (
        "Lúc này không cấp được mã QR cho khai báo có nguy cơ. Vui lòng làm theo hướng dẫn "
        "trên và khai báo lại khi bạn không còn nguy cơ.",
        "A QR pass cannot be issued for a declared risk just now. Please follow the advice "
        "above, and declare again once you are no longer at risk.",
    ),
    # Venues
    "venues_title": ("Địa điểm của bạn", "Your venues"),
    "venues_none": (
        "Bạn chưa được giao quản lý địa điểm nào.",
        "You have not been given any venue to control.",
    ),
    "venue_id": ("Mã địa điểm", "Venue code"),
    "venue_name": ("Tên địa điểm", "Venue name"),
    "venue_area": ("Khu vực", "Area"),
    "venue_live": ("Theo dõi trực tiếp", "Live view"),
    "venue_history": ("Lịch sử", "History"),
    "venue_roll_call": ("Điểm danh: ai đang ở trong (CSV)", "Roll call: who is inside (CSV)"),
    "live_title": ("Trực tiếp: {venue}", "Live: {venue}"),
    "live_today": ("Hôm nay, toàn địa điểm", "Today, whole venue"),
    "entries": ("Lượt vào", "Entries"),
    "exits": ("Lượt ra", "Exits"),
    "inside": ("Đang ở trong", "Inside"),
    "refused": ("Bị từ chối", "Refused"),
    "loading": ("Đang tải…", "Loading…"),
    "updated": ("Cập nhật lúc {time}", "Updated at {time}"),
    "connection_lost": (
        "Mất kết nối, đang thử lại…",
        "Connection lost, trying again…",
    ),
    "kiosks": ("Máy quét", "Kiosks"),
    "kiosk": ("Máy quét", "Kiosk"),
    "kiosk_state": ("Trạng thái", "State"),
    "kiosk_seen": ("Tín hiệu gần nhất", "Last heartbeat"),
    "kiosk_queue": ("Chờ gửi", "Waiting to send"),
    "kiosk_version": ("Phiên bản", "Version"),
    "online": ("Đang hoạt động", "Online"),
    "offline": ("Mất kết nối", "Offline"),
    "never": ("Chưa bao giờ", "Never"),
    "no_kiosks": ("Chưa có máy quét nào.", "No kiosks yet."),
    "refusals": ("Lượt bị từ chối gần đây", "Recent refusals"),
    "no_refusals": ("Hôm nay chưa có lượt nào bị từ chối.", "No refusals today."),
    "recent": ("Lượt ra vào gần đây", "Recent check-ins"),
    "no_recent": ("Chưa có lượt ra vào nào.", "No check-ins yet."),
    "col_time": ("Thời gian", "Time"),
    "col_direction": ("Chiều", "Direction"),
    "col_result": ("Kết quả", "Result"),
    "col_reason": ("Lý do", "Reason"),
    "col_name": ("Họ tên (che bớt)", "Name (masked)"),
    "col_code": ("Mã (che bớt)", "Code (masked)"),
    "col_may_have_left": ("Có thể đã ra (không quét khi ra)", "May have left (no exit scanned)"),
    "col_tick": ("Đã điểm danh", "Accounted for"),
    "entry": ("Vào", "In"),
    "exit": ("Ra", "Out"),
    "PASS": ("Cho qua", "Admitted"),
    "FAIL": ("Từ chối", "Refused"),
    "manual": ("thủ công", "manual"),
    "private": ("riêng tư", "private"),
    "self_checkin": ("tự ghi nhận", "self check-in"),
    "tz_label": ("Giờ {tz} (UTC{offset})", "{tz} time (UTC{offset})"),
    "ago_now": ("vừa xong", "just now"),
    "ago_min": ("{n} phút trước", "{n} minutes ago"),
    "ago_hour": ("{n} giờ trước", "{n} hours ago"),
    "ago_day": ("{n} ngày trước", "{n} days ago"),
    # History
    "history_title": ("Lịch sử: {venue}", "History: {venue}"),
    "history_date": ("Ngày", "Date"),
    "history_show": ("Xem", "Show"),
    "history_csv": ("Tải tệp CSV của ngày này", "Download this day as CSV"),
    "history_none": ("Không có lượt ra vào nào trong ngày này.", "No check-ins on this day."),
    "history_count": ("{n} lượt, trang {page}/{pages}", "{n} check-ins, page {page} of {pages}"),
    "prev": ("Trang trước", "Previous page"),
    "next": ("Trang sau", "Next page"),
    "csv_time": ("Thời gian, {tz}", "Time, {tz}"),
    "csv_kiosk": ("Máy quét", "Kiosk"),
    # Tracing
    "trace_title": ("Truy vết tiếp xúc", "Contact tracing"),
    "trace_lead": (
        "Tìm theo số thẻ căn cước hoặc mã thẻ QR. Mỗi lần tìm đều được ghi vào nhật ký "
        "kiểm tra; số thẻ không được lưu.",
        "Search by ID card number or pass id. Every search is written to the audit log; "
        "the card number is not stored.",
    ),
    "trace_id": ("Số thẻ căn cước", "ID card number"),
    "trace_pass": ("Hoặc mã thẻ QR (32 ký tự)", "Or pass id (32 characters)"),
    "trace_reason": ("Lý do tìm kiếm", "Reason for the search"),
    "trace_reason_hint": (
        "Ví dụ: số hồ sơ ca bệnh. Bắt buộc.",
        "For example: the case file number. Required.",
    ),
    "trace_window": ("Khoảng thời gian tiếp xúc (± phút)", "Contact window (± minutes)"),
    "trace_submit": ("Tìm", "Search"),
    "err_trace_one": (
        "Vui lòng nhập số thẻ căn cước hoặc mã thẻ QR (chỉ một trong hai).",
        "Please enter an ID card number or a pass id (only one of them).",
    ),
    "err_trace_pass": (
        "Mã thẻ QR gồm 32 ký tự 0–9 và a–f.",
        "A pass id is 32 characters, 0–9 and a–f.",
    ),
    "err_trace_reason": (
        "Vui lòng nhập lý do tìm kiếm (ít nhất 5 ký tự).",
        "Please enter the reason for the search (at least 5 characters).",
    ),
    "err_trace_window": (
        "Vui lòng nhập số phút từ 1 đến 1440.",
        "Please enter a number of minutes from 1 to 1440.",
    ),
    "trace_result": ("Kết quả: {n} lượt ghi nhận", "Result: {n} visits"),
    "trace_none": (
        "Không có lượt ra vào nào trong 21 ngày qua.",
        "No visits in the last 21 days.",
    ),
    "trace_near": (
        "Người có mặt trong vòng ±{n} phút",
        "People present within ±{n} minutes",
    ),
    "trace_near_none": ("Không có ai khác.", "Nobody else."),
    "minutes_apart": ("cách {n} phút", "{n} minutes apart"),
    "trace_audited": (
        "Lần tìm này đã được ghi vào nhật ký kiểm tra.",
        "This search has been written to the audit log.",
    ),
    # Admin
    "admin_title": ("Quản trị", "Administration"),
    "admin_venues": ("Địa điểm", "Venues"),
    "admin_kiosks": ("Máy quét", "Kiosks"),
    "admin_users": ("Người dùng", "Users"),
    "admin_lists": ("Phiên bản danh sách đã ký", "Signed list versions"),
    "list_name": ("Danh sách", "List"),
    "list_version": ("Phiên bản", "Version"),
    "user_name": ("Tên", "Name"),
    "user_role": ("Vai trò", "Role"),
    "user_venues": ("Địa điểm", "Venues"),
    "user_state": ("Trạng thái", "State"),
    "user_active": ("Đang dùng", "Active"),
    "user_disabled": ("Đã khoá", "Disabled"),
    "role_admin": ("Quản trị viên", "Administrator"),
    "role_controller": ("Quản lý địa điểm", "Venue controller"),
    "role_health_officer": ("Cán bộ y tế", "Health officer"),
    "poster": ("Áp phích mã QR (PDF, A4)", "QR poster (PDF, A4)"),
    "venue_tz": ("Múi giờ", "Time zone"),
    "none": ("Không có", "None"),
    # The poster (PDF)
    "poster_heading": ("Ghi nhận ra vào bằng mã QR", "QR check-in"),
    "poster_step1": (
        "1. Khai báo y tế tại {url} để nhận mã QR cá nhân.",
        "1. Declare your health at {url} to get a personal QR pass.",
    ),
    "poster_step2": (
        "2. Khi vào và khi ra, đưa mã QR của bạn trước máy quét.",
        "2. When you enter and when you leave, hold your QR pass to the scanner.",
    ),
    "poster_step3": (
        "3. Hoặc quét mã dưới đây bằng điện thoại đã lưu mã QR của bạn.",
        "3. Or scan the code below with the phone that holds your pass.",
    ),
    # Self check-in
    "checkin_title": ("Tự ghi nhận ra vào", "Self check-in"),
    "checkin_at": ("Tại: {venue}", "At: {venue}"),
    "checkin_in": ("Tôi vào", "I am entering"),
    "checkin_out": ("Tôi ra", "I am leaving"),
    "checkin_nopass": (
        "Điện thoại này chưa lưu mã QR. Vui lòng khai báo y tế trước.",
        "This phone holds no QR pass. Please make a health declaration first.",
    ),
    # The same words whatever the deny list says of the pass: a bar is a health order, and a
    # phone's answer must not tell it (the door's kiosk gives the real one to its holder).
    "checkin_done_entry": (
        "Đã ghi nhận lượt vào lúc {time}. Nhân viên tại cửa có thể kiểm tra mã của bạn.",
        "Your entry at {time} is recorded. The staff at the door may check your pass.",
    ),
    "checkin_done_exit": (
        "Đã ghi nhận lượt ra lúc {time}.",
        "Your exit at {time} is recorded.",
    ),
    "checkin_already_inside": (
        "Lượt vào lúc {time} đã được ghi nhận; khi ra, hãy chọn “Tôi ra”.",
        "Your entry at {time} is already recorded; when leaving, choose “I am leaving”.",
    ),
    "checkin_not_inside": (
        "Chưa có lượt vào nào của mã này tại đây để ghi nhận ra.",
        "This pass has no entry here to check out of.",
    ),
    "checkin_too_soon": (
        "Bạn vừa ghi nhận ra. Có thể ghi nhận vào lại từ {time}.",
        "You have just checked out. You can check in again from {time}.",
    ),
    "checkin_not_this_phone": (
        "Mã QR này không được cấp trên điện thoại này. Vui lòng đưa mã trước máy quét tại "
        "cửa, hoặc khai báo y tế trên điện thoại này.",
        "This QR pass was not issued on this phone. Please show it to the scanner at the "
        "door, or make a health declaration on this phone.",
    ),
    "checkin_refused": (
        "Không ghi nhận được. Vui lòng gặp nhân viên tại cửa.",
        "Could not record it. Please see the staff at the door.",
    ),
    "checkin_rules": (
        "Trang này chỉ ghi nhận lượt ra vào với mã QR còn hạn. Quy định riêng của địa điểm "
        "(giờ mở cửa, số người tối đa, đối tượng được vào) do nhân viên tại cửa áp dụng.",
        "This page only records check-ins with a QR pass still valid. The venue's own rules "
        "(opening hours, capacity, who may enter) are applied by the staff at the door.",
    ),
    # Charts
    "chart_table": ("Xem số liệu dạng bảng", "Show the numbers as a table"),
    "hourly_title": ("Lượt vào theo giờ", "Entries per hour"),
    "hourly_hour": ("Giờ", "Hour"),
    "hourly_today": ("Hôm nay", "Today"),
    "hourly_before": ("{day} tuần trước", "Last week's {day}"),
    "hourly_summary": (
        "Đến {time} hôm nay có {today} lượt vào; cùng giờ {day} tuần trước có {before} lượt "
        "(cả ngày hôm đó: {whole}).",
        "By {time} today: {today} entries; by the same time last week's {day}: {before} "
        "(that whole day: {whole}).",
    ),
    "weekday_0": ("Thứ Hai", "Monday"),
    "weekday_1": ("Thứ Ba", "Tuesday"),
    "weekday_2": ("Thứ Tư", "Wednesday"),
    "weekday_3": ("Thứ Năm", "Thursday"),
    "weekday_4": ("Thứ Sáu", "Friday"),
    "weekday_5": ("Thứ Bảy", "Saturday"),
    "weekday_6": ("Chủ nhật", "Sunday"),
    # The admin's overview
    "overview_title": ("Tổng hợp theo ngày", "Daily overview"),
    "overview_area": ("Khu vực", "Area"),
    "overview_all": ("Toàn bộ", "Everywhere"),
    "overview_show": ("Xem", "Show"),
    "overview_days": (
        "{n} ngày gần nhất, theo giờ Việt Nam. Tờ khai y tế không gắn với địa điểm nên "
        "được tính trên toàn hệ thống.",
        "The last {n} days, Vietnam time. Health declarations are not tied to a place, so "
        "they are counted for the whole registry.",
    ),
    "overview_online_now": (
        "Máy quét đang hoạt động: {online}/{total}",
        "Kiosks online now: {online} of {total}",
    ),
    "overview_day": ("Ngày", "Day"),
    "ov_venues": ("Địa điểm đã đăng ký", "Venues registered"),
    "ov_kiosks": ("Máy quét có gửi dữ liệu", "Kiosks that sent records"),
    "ov_checkins": ("Lượt vào được cho qua", "Check-ins admitted"),
    "ov_declarations": ("Tờ khai y tế", "Health declarations"),
    "ov_summary": (
        "Hôm nay: {last}; cao nhất {top} ({day}); tổng {total} trong {n} ngày.",
        "Today: {last}; highest {top} ({day}); {total} in {n} days.",
    ),
    "ov_summary_total": (
        "Hôm nay: {last}; {n} ngày trước: {first}.",
        "Today: {last}; {n} days ago: {first}.",
    ),
    "kiosk_lists_old": ("cũ", "out of date"),
    "kiosk_lists_ok": ("mới nhất", "up to date"),
    "kiosk_lists_title": ("Danh sách chặn và tin cậy", "Block and trust lists"),
    # The admin's users and audit
    "user_add": ("Thêm người dùng", "Add a user"),
    "user_add_submit": ("Thêm và cấp mã truy cập", "Add and issue an access token"),
    "user_venues_hint": (
        "Mã địa điểm, cách nhau bằng dấu phẩy (bắt buộc với người quản lý địa điểm).",
        "Venue codes, separated by commas (required for a venue controller).",
    ),
    "user_actions": ("Thao tác", "Actions"),
    "user_disable": ("Khoá {name}", "Disable {name}"),
    "user_reset": ("Cấp mã mới cho {name}", "New token for {name}"),
    "user_token_title": ("Mã truy cập mới", "New access token"),
    "user_token_of": ("Mã truy cập của:", "The access token of:"),
    "user_token_body": (
        "Mã chỉ hiện một lần: hãy sao chép và trao tận tay người dùng. "
        "Mã cũ (nếu có) đã ngừng hoạt động.",
        "It is shown once only: copy it and hand it to the user yourself. "
        "The old token, if any, has stopped working.",
    ),
    "user_disable_short": ("Khoá", "Disable"),
    "user_reset_short": ("Cấp mã mới", "New token"),
    "user_disabled_done": (
        "Đã khoá {name}: mã truy cập và các phiên đăng nhập của người này ngừng hoạt động.",
        "{name} is disabled: their token and sign-ins have stopped working.",
    ),
    "back_admin": ("Về trang quản trị", "Back to administration"),
    "err_user_name": (
        "Tên người dùng gồm 1 đến 100 ký tự, không bắt đầu bằng kiosk:, và chưa có ai dùng.",
        "A user name has 1 to 100 characters, does not start with kiosk:, and is not taken.",
    ),
    "err_user_role": ("Vui lòng chọn vai trò.", "Please choose a role."),
    "err_user_venues": (
        "Vui lòng nhập mã địa điểm đã có (người quản lý địa điểm cần ít nhất một).",
        "Please enter existing venue codes (a venue controller needs at least one).",
    ),
    "err_user_self": (
        "Bạn không thể tự khoá tài khoản của mình.",
        "You cannot disable your own account.",
    ),
    "err_user_none": ("Không có người dùng này.", "There is no such user."),
    "audit_title": ("Nhật ký truy vết", "Tracing audit log"),
    "audit_none": ("Chưa có lần truy vết nào.", "No tracing searches yet."),
    "audit_who": ("Cán bộ", "Officer"),
    "audit_reason": ("Lý do", "Reason"),
    "audit_results": ("Số kết quả", "Results"),
    # Badges (PDF)
    "badges_title": ("In thẻ QR cho nhân viên", "Print QR badges for staff"),
    "badges_lead": (
        "Tải lên tệp CSV (UTF-8; dấu phẩy hoặc chấm phẩy), mỗi dòng một người: họ tên, "
        "đối tượng (không bắt buộc), số ngày có giá trị (không bắt buộc, mặc định 30). "
        "Mỗi người được cấp một mã QR; tệp PDF khổ A4 có 8 thẻ mỗi trang. "
        "Họ tên được che bớt; tệp CSV không được lưu.",
        "Upload a CSV file (UTF-8; commas or semicolons), one person a line: full name, "
        "category (optional), days valid (optional, 30 if empty). "
        "Each person gets a pass; the A4 PDF has 8 badges a page. "
        "Names are masked; the CSV is not kept.",
    ),
    "badges_file": ("Tệp CSV", "CSV file"),
    "badges_submit": ("Tạo tệp PDF để in", "Make the PDF to print"),
    "badges_example": ("Ví dụ một dòng:", "A line, for example:"),
    "badge_valid": ("Có giá trị đến {date}", "Valid until {date}"),
    "badge_category": ("Đối tượng: {c}", "Category: {c}"),
    "err_badges_title": ("Không tạo được thẻ", "No badges made"),
    "err_badges_empty": ("Tệp không có dòng nào.", "The file has no lines."),
    "err_badges_encoding": (
        "Tệp phải là văn bản UTF-8 (trong Excel: Lưu thành CSV UTF-8).",
        "The file must be UTF-8 text (in Excel: Save as CSV UTF-8).",
    ),
    "err_badges_too_many": (
        "Tối đa {n} người mỗi lần.",
        "At most {n} people at a time.",
    ),
    "err_badges_too_big": ("Tệp quá lớn (tối đa 64 KB).", "The file is too big (64 KB at most)."),
    "err_badge_name": (
        "dòng {line}: họ tên phải có từ 2 đến 100 ký tự",
        "line {line}: the name must have 2 to 100 characters",
    ),
    "err_badge_category": (
        "dòng {line}: đối tượng tối đa 32 chữ cái, chữ số, dấu - hoặc _",
        "line {line}: the category is at most 32 letters, digits, - or _",
    ),
    "err_badge_days": (
        "dòng {line}: số ngày phải từ 1 đến 365",
        "line {line}: the days must be from 1 to 365",
    ),
    "err_badge_columns": (
        "dòng {line}: tối đa 3 cột (họ tên, đối tượng, số ngày)",
        "line {line}: at most 3 columns (name, category, days)",
    ),
    "kiosk_lists": ("Danh sách (tin cậy/chặn)", "Lists (trust/block)"),
}

# Kiosk reason codes (checkin_protocol.reasons) a controller may read; the private ones
# (a declaration, a bar, a certificate's health rules) are never named on a screen:
# "riêng tư", as the kiosk says "please see the staff" and never why.
REASONS: dict[str, tuple[str, str]] = {
    "not_personal_code": ("Không phải mã cá nhân", "Not a personal code"),
    "malformed": ("Mã bị lỗi", "Malformed code"),
    "bad_signature": ("Chữ ký không hợp lệ", "Invalid signature"),
    "unknown_issuer": ("Nơi cấp không được tin cậy", "Unknown issuer"),
    "expired": ("Mã đã hết hạn", "Expired"),
    "not_yet_valid": ("Mã chưa có hiệu lực", "Not yet valid"),
    "kind_not_admitted": ("Loại mã không được nhận", "Kind not admitted"),
    "category_not_admitted": ("Đối tượng không được vào", "Category not admitted"),
    "closed": ("Ngoài giờ mở cửa", "Closed"),
    "full": ("Đã đủ người", "Full"),
    "lists_stale": ("Danh sách trên máy quét đã cũ", "Kiosk lists out of date"),
    "already_inside": ("Đã vào, chưa ra", "Already inside"),
    "key_usage": (
        "Khoá ký không được dùng cho loại chứng nhận này",
        "Signing key not for this kind of certificate",
    ),
}
PRIVATE_REASONS = frozenset(r.value for r in Reason if not r.public)


def lang_or_default(value: str | None) -> Lang:
    return "en" if value == "en" else "vi"


class Texts:
    """The catalogue in one language: `t.key` or `t("key", n=2)` in templates and code."""

    def __init__(self, lang: Lang) -> None:
        self.lang: Lang = lang
        self._i = LANGS.index(lang)

    def __getattr__(self, key: str) -> str:
        try:
            return CATALOGUE[key][self._i]
        except KeyError:
            raise AttributeError(key) from None

    def __call__(self, key: str, **fields: object) -> str:
        return CATALOGUE[key][self._i].format(**fields)

    def reason(self, code: str | None) -> str:
        if not code:
            return ""
        if code in PRIVATE_REASONS:
            return self.private
        pair = REASONS.get(code)
        # An unknown code (a manual admit's own words, a newer kiosk) is shown as it came.
        return pair[self._i] if pair else code

    def tz_label(self, tz: str, at_ms: int) -> str:
        offset = local(at_ms, tz).strftime("%z")
        pretty = "Việt Nam" if tz == DEFAULT_TZ and self.lang == "vi" else tz
        if tz == DEFAULT_TZ and self.lang == "en":
            pretty = "Vietnam"
        return self("tz_label", tz=pretty, offset=f"{offset[:3]}:{offset[3:]}")

    def ago(self, then_ms: int | None, now_ms: int) -> str:
        if then_ms is None:
            return self.never
        minutes = max(0, (now_ms - then_ms) // 60_000)
        if minutes < 1:
            return self.ago_now
        if minutes < 60:
            return self("ago_min", n=minutes)
        if minutes < 48 * 60:
            return self("ago_hour", n=minutes // 60)
        return self("ago_day", n=minutes // (24 * 60))


def local(at_ms: int, tz: str = DEFAULT_TZ) -> datetime:
    return moment(at_ms).astimezone(ZoneInfo(tz))


def date_time(at_ms: int, tz: str = DEFAULT_TZ) -> str:
    """dd/mm/yyyy HH:MM, as written in Vietnam (and readable to an English reader too)."""
    d = local(at_ms, tz)
    # Not strftime's %Y: glibc writes year 1 as "1" (a kiosk's clock may say so).
    return f"{d.day:02d}/{d.month:02d}/{d.year:04d} {d.hour:02d}:{d.minute:02d}"


def clock(at_ms: int, tz: str = DEFAULT_TZ) -> str:
    return local(at_ms, tz).strftime("%H:%M:%S")


def clock_or_date(at_ms: int, now_ms: int, tz: str = DEFAULT_TZ) -> str:
    """The time alone for today's records, with the date (dd/mm) for older ones: a list that
    reaches back past midnight must not read as out of order."""
    when = local(at_ms, tz)
    if when.date() == local(now_ms, tz).date():
        return when.strftime("%H:%M:%S")
    return when.strftime("%d/%m %H:%M:%S")
