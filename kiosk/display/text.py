"""Where a paragraph breaks: balanced lines, compounds kept whole, no line led by a comma."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache

# Joins two words the wrapper must not part; rendered as a plain space.
GLUE = "\u00a0"

# Two-syllable Vietnamese words (and a few English pairs) a line break would split into
# two other words ("dữ / liệu" reads as "data" cut in half). A break is still allowed when
# nothing else fits: a compound wider than the line is broken rather than cut off.
NO_BREAK = (
    "dữ liệu", "gắn chip", "căn cước", "nhân viên", "hợp lệ", "mã QR", "mã PIN", "điện thoại",
    "hiệu lực", "khai báo", "ứng dụng", "mở cửa", "ra vào", "khu vực", "xác thực", "công nhận",
    "đơn vị", "độ sáng", "màn hình", "sự cố", "bất tiện", "danh sách", "số người", "toà nhà",
    "tải lại", "quay lại", "một chút", "cá nhân", "thủ công", "giao hàng", "năm sinh",
    "mã định danh", "định danh", "lối vào", "lối ra", "tạm biệt", "xin mời", "vui lòng",
    "hết hạn", "kết nối",
    "quen mặt", "nhà thầu", "lý do", "y tế", "cập nhật", "trên VNeID",
    "mặt sau", "giấy tờ", "đối chiếu", "chứng nhận", "thẩm quyền", "ra ngoài",
    "QR code", "ID card", "entry pass", "VNeID app", "identity code",
)  # fmt: skip

# Marks that end a phrase: a break after them is preferred, a line never starts with them.
PUNCTUATION = "·,.:;!?—–)"
_PREFERRED = ("·", ",", "—", "–", ":")


@cache
def _no_break_re() -> re.Pattern[str]:
    pairs = "|".join(re.escape(p).replace(r"\ ", " ") for p in sorted(NO_BREAK, key=len)[::-1])
    # A compound may open a parenthesis: "(mặt sau …".
    return re.compile(rf"(?<![^\s(])(?:{pairs})(?=$|[\s{re.escape(PUNCTUATION)}])", re.IGNORECASE)


def glue(text: str) -> str:
    """The text with unbreakable spaces inside compounds and before a lone punctuation mark."""
    for _ in range(2):  # twice: overlapping compounds ("thẻ căn cước") both hold
        text = _no_break_re().sub(lambda m: m.group(0).replace(" ", GLUE), text)
    text = re.sub(rf" (?=[{re.escape(PUNCTUATION)}](?:\s|$))", GLUE, text)
    # A number stays with its word: "Tầng 1", "Năm sinh 1990".
    return re.sub(r"(?<=\w) (?=\d+(?:\s|$|[,.:;·]))", GLUE, text)


def tokens(text: str) -> list[str]:
    """The pieces a line may break between."""
    return [t for t in glue(text).split(" ") if t]


def balanced_lines(
    text: str, width: Callable[[str], int], max_w: int, split_glued: bool = True
) -> list[str] | None:
    """The text in as few lines as fit `max_w`, as even in length as possible, preferring
    breaks after "·" and ","; None when a single word is wider than `max_w`.

    Compounds joined by GLUE are split only when one is wider than the line by itself.
    Lines come back with plain spaces.
    """
    parts = tokens(text)
    if not parts:
        return [""]
    if split_glued and any(width(p) > max_w for p in parts):
        parts = [w for p in parts for w in (p.split(GLUE) if width(p) > max_w else [p])]
    widths = [width(p) for p in parts]
    if max(widths) > max_w:
        return None
    space = width(" ")
    n = len(parts)
    prefix = [0]
    for w in widths:
        prefix.append(prefix[-1] + w)

    def line_w(i: int, j: int) -> int:
        return prefix[j] - prefix[i] + space * (j - i - 1)

    count = _greedy_count(n, line_w, max_w)
    starts = _best_breaks(parts, line_w, max_w, count)
    ends = [*starts[1:], n]
    return [" ".join(parts[i:j]).replace(GLUE, " ") for i, j in zip(starts, ends, strict=True)]


def _best_breaks(
    parts: list[str], line_w: Callable[[int, int], int], max_w: int, count: int
) -> list[int]:
    """Where each of `count` lines starts: the least sum of squared slack, less a bonus for
    each break after a preferred mark."""
    n = len(parts)
    bonus = (0.6 * max_w) ** 2  # a phrase kept whole is worth some raggedness
    inf = float("inf")
    # best[k][j]: the least cost of the first j pieces in k lines; how[k][j] the last break.
    best = [[inf] * (n + 1) for _ in range(count + 1)]
    how = [[0] * (n + 1) for _ in range(count + 1)]
    best[0][0] = 0.0
    for k in range(1, count + 1):
        for j in range(1, n + 1):
            preferred = j < n and parts[j - 1].endswith(_PREFERRED)
            i = j - 1
            while i >= 0 and line_w(i, j) <= max_w:
                cost = best[k - 1][i] + (max_w - line_w(i, j)) ** 2 - (bonus if preferred else 0)
                if cost < best[k][j]:
                    best[k][j], how[k][j] = cost, i
                i -= 1
    starts, j = [], n
    for k in range(count, 0, -1):
        j = how[k][j]
        starts.append(j)
    return starts[::-1]


def _greedy_count(n: int, line_w: Callable[[int, int], int], max_w: int) -> int:
    count, i = 0, 0
    while i < n:
        j = i + 1
        while j < n and line_w(i, j + 1) <= max_w:
            j += 1
        count, i = count + 1, j
    return count
