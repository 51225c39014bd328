"""`kiosk scan`: decide on still images or QR payload texts as the door would, recording nothing."""

from __future__ import annotations

import json
import sys
import time
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, TextIO

from checkin_protocol import dcc as hc1
from checkin_protocol.records import mask_subject
from checkin_protocol.times import parse_iso_datetime, utc_iso
from kiosk.app.core import Core
from kiosk.decode import Decoder, Symbol
from kiosk.decode.order import order_symbols
from kiosk.display.messages import Messages
from kiosk.passes import CodeRejected, looks_personal, payload_text
from kiosk.policy.engine import Decision, Verdict

# Text of a code that is not a personal code (a menu's URL) is shown, shortened; a personal
# code's never is: a chip ID card's QR holds the full ID number, name and address.
SHOWN_TEXT = 80
NO_CODE = "no_code"
BAD_IMAGE = "unreadable_image"
BAD_INPUT = "bad_input"
# No QR payload the kiosk reads is longer than a DCC's (checkin_protocol.dcc.MAX_TEXT); a
# `--timed` line adds its ISO time and a tab. A longer line is not read whole: an endless
# line on standard input must not fill the memory.
MAX_LINE = hc1.MAX_TEXT
TIMED_PREFIX = 64
# An image larger than a phone camera's full-size photo is not a photo of a door's QR code;
# decoded, 20000×20000 would take GBs. Its size is read from the header, before decoding.
MAX_PIXELS = 24_000_000
# JSON leaves C1 controls and the Unicode line separators raw: escaped, a line stays one line
# for any reader, and a scanned CSI (U+009B) cannot drive the admin's terminal.
_JSON_ESCAPES = {c: f"\\u{c:04x}" for c in [*range(0x7F, 0xA0), 0x2028, 0x2029]}


def _printable(text: str) -> str:
    return "".join(ch if ch.isprintable() else "\ufffd" for ch in text)


@dataclass(frozen=True)
class Input:
    name: str
    payload: bytes | None = None  # a payload text given directly
    image: Path | None = None
    at: float | None = None  # this input's own clock (`--timed`), else the run's
    error: str | None = None  # a line that could not be read as an input


# Times `--at` may give: a venue's local date (and the day before it, for opening hours that
# run past midnight) must exist too, so two days short of Python's years 1 and 9999.
EARLIEST = datetime(1, 1, 3, tzinfo=UTC)
LATEST = datetime(9999, 12, 29, tzinfo=UTC)


def iso_time(text: str) -> float:
    """An ISO 8601 time as epoch seconds; without a zone it is UTC (as `--at` reads it).

    ValueError also for a time outside EARLIEST–LATEST (`0001-01-01T00:00:00+01:00` is in
    year 0 in UTC): every result line states its time in UTC, the rules in the venue's zone.
    """
    moment = parse_iso_datetime(text, UTC)
    if not EARLIEST <= moment <= LATEST:
        raise ValueError(f"{text!r} is outside the years 1 to 9999 (0001-01-03 to 9999-12-29 UTC)")
    return moment.timestamp()


def _timed(name: str, line: bytes) -> Input:
    stamp, tab, payload = line.partition(b"\t")
    try:
        if not tab:
            raise ValueError("no tab")
        return Input(name, payload=payload, at=iso_time(stamp.decode("ascii")))
    except (ValueError, UnicodeDecodeError, OverflowError):
        return Input(name, error="not ISO-TIME<TAB>PAYLOAD")


def _lines(stream: IO[bytes], limit: int) -> Iterator[bytes | None]:
    """Each line without its end, or None for a line longer than `limit` (the rest of it is
    read and dropped in pieces of `limit`, never held whole)."""
    while raw := stream.readline(limit + 2):  # the line and its end, CR LF included
        # Only the line end is dropped: base45 (HC1:) has a space in its alphabet.
        line = raw.rstrip(b"\r\n")
        if raw.endswith(b"\n") or len(raw) <= limit:
            yield line if len(line) <= limit else None
            continue
        while (rest := stream.readline(limit + 2)) and not rest.endswith(b"\n"):
            pass
        yield None


def text_inputs(texts: list[str], stdin: TextIO, *, timed: bool = False) -> Iterator[Input]:
    """`--text PAYLOAD` in order; `--text -` reads one payload per line from standard input,
    with `timed` each line `ISO-TIME<TAB>PAYLOAD`, judged at its own time."""
    n = 0
    for text in texts:
        if text != "-":
            n += 1
            yield Input(f"text {n}", payload=text.encode("utf-8", "surrogateescape"))
            continue
        limit = MAX_LINE + TIMED_PREFIX if timed else MAX_LINE
        for line in _lines(stdin.buffer, limit):
            n += 1
            if line is None:
                yield Input(f"text {n}", error=f"line longer than {limit} bytes")
            else:
                yield _timed(f"text {n}", line) if timed else Input(f"text {n}", payload=line)


def image_problem(path: Path) -> str | None:
    """Why an image file is not decoded, or None: a FIFO or a device could block the read for
    ever, and a huge image would fill the memory (its header says its size)."""
    from PIL import Image, UnidentifiedImageError

    if not path.is_file():
        return "not a regular file"
    too_large = f"image larger than {MAX_PIXELS // 1_000_000} megapixels"
    try:
        with warnings.catch_warnings():
            # Pillow warns of a large size; the limit below is the one that decides.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                width, height = image.size
    except Image.DecompressionBombError:  # Pillow's own, far higher limit
        return too_large
    except (OSError, UnidentifiedImageError, ValueError):
        return "cannot read image"
    return f"{too_large} ({width}×{height})" if width * height > MAX_PIXELS else None


def _iso(epoch: int | None) -> str | None:
    return utc_iso(epoch) if epoch is not None else None


class Scanner:
    def __init__(self, core: Core, decoder: Decoder | None, now: float) -> None:
        self.core = core
        self.decoder = decoder
        self.now = now
        self.messages = Messages("en")

    def decide(self, payload: bytes, now: float) -> Decision:
        try:
            code = self.core.reader.read(payload, now)
        except CodeRejected as err:
            return self.core.policy.rejected(err)
        return self.core.policy.decide(code, now, occupancy=0)

    def describe(self, payload: bytes, decision: Decision) -> dict[str, Any]:
        code = decision.code
        out: dict[str, Any] = {
            "verdict": decision.verdict.value,
            "reason": decision.reason.value if decision.reason else None,
            "detail": decision.detail or None,
            "code_kind": decision.code_kind.value,
            "verified": bool(code and code.verified),
            "masked_name": code.masked_name if code else None,
            "birth_year": code.birth_year if code else None,
            "subject": mask_subject(code.subject) if code else None,
            "valid_from": _iso(code.not_before) if code else None,
            "expires": _iso(code.expires_at) if code else None,
        }
        if decision.kind is None and code is None and not looks_personal(payload):
            text = payload_text(payload)
            out["text"] = None if text is None else text[:SHOWN_TEXT]
        return out

    def one(self, item: Input) -> dict[str, Any]:
        now = self.now if item.at is None else item.at
        head: dict[str, Any] = {"input": item.name, "at": utc_iso(now)}
        if item.error is not None:
            fail = {"verdict": Verdict.FAIL.value, "reason": BAD_INPUT, "error": item.error}
            return {**head, **fail, "codes": []}
        if item.payload is not None:
            code = self.describe(item.payload, self.decide(item.payload, now))
            return {**head, "verdict": code["verdict"], "reason": code["reason"], "codes": [code]}
        return {**head, **self._image(item)}

    def _image(self, item: Input) -> dict[str, Any]:
        import cv2
        import numpy as np

        from kiosk.decode.diagnose import diagnose

        assert item.image is not None
        assert self.decoder is not None
        problem = image_problem(item.image)
        read = cv2.imread(str(item.image), cv2.IMREAD_GRAYSCALE) if problem is None else None
        if read is None:
            fail = {"verdict": Verdict.FAIL.value, "reason": BAD_IMAGE}
            return {**fail, "error": problem or "cannot read image", "codes": []}
        luma = np.asarray(read, dtype=np.uint8)
        t0 = time.perf_counter()
        symbols: list[Symbol] = order_symbols(self.decoder.decode(luma), looks_personal)
        decode_ms = round((time.perf_counter() - t0) * 1000, 3)
        codes = [
            self.describe(s.payload, self.decide(s.payload, self.now))
            for s in symbols
            if s.error is None
        ]
        unread = [
            {"error": s.error, "hint": diagnose(luma, s.corners)}
            for s in symbols
            if s.error is not None and len(s.corners) >= 3
        ]
        out: dict[str, Any] = {"verdict": Verdict.FAIL.value, "reason": NO_CODE}
        if codes:
            out = {"verdict": codes[0]["verdict"], "reason": codes[0]["reason"]}
        else:
            out["error"] = "no QR code found" if not unread else "QR code found but not readable"
        out |= {"decode_ms": decode_ms, "codes": codes}
        if unread:
            out["unread"] = unread  # found but not readable, and what the kiosk would say
        return out

    def human(self, result: dict[str, Any]) -> str:
        """One line an admin reads: the input, the verdict, and why or who."""
        line = f"{result['input']}: {result['verdict']}"
        codes = result["codes"]
        if not codes:
            hints = [self.messages(u["hint"]) for u in result.get("unread", []) if u["hint"]]
            line += f" — {result.get('error', 'no QR code found')}"
            return line + (f" ({hints[0]})" if hints else "")
        first = codes[0]
        line += f" {first['code_kind']}"
        if first["masked_name"]:
            line += f" {first['masked_name']}"
        if first["birth_year"]:
            line += f", born {first['birth_year']}"
        if first["reason"]:
            text = self.messages(f"reason.{first['reason']}")
            line += f" — {first['reason']}: {first['detail'] or text}"
        elif first["expires"]:
            line += f", valid until {first['expires']}"
        if len(codes) > 1:
            line += f" (+{len(codes) - 1} other code{'s' * (len(codes) > 2)} in view)"
        return line


def run_scan(
    scanner: Scanner, inputs: Iterable[Input], *, as_json: bool, out: TextIO | None = None
) -> int:
    """Prints one line per input as it is decided (on stdout as it is now, not as it was when
    this module was imported); 1 if any FAILed, else 0."""
    out = sys.stdout if out is None else out
    status = 0
    for item in inputs:
        result = scanner.one(item)
        if result["verdict"] != Verdict.PASS.value:
            status = 1
        if as_json:
            line = json.dumps(result, ensure_ascii=False).translate(_JSON_ESCAPES)
        else:
            line = _printable(scanner.human(result))
        print(line, file=out, flush=True)
    return status
