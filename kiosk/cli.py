"""The `kiosk` command line."""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import logging
import os
import sys
import threading
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

# Only the standard library at the top: `kiosk run` catches signals from its first line, and
# until then a SIGTERM kills it. The config's imports (pydantic) alone take half a second.
if TYPE_CHECKING:
    from collections.abc import Callable
    from zoneinfo import ZoneInfo

    from kiosk.config import Config
    from kiosk.issuing import PassRequest
    from kiosk.store import Record, RecordStore
    from kiosk.yamlfile import ConfigError

log = logging.getLogger("kiosk")

EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2


def _setup_logging(level: str = "info") -> None:
    logging.basicConfig(
        level=getattr(logging, level.upper()),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )


def _load(path: Path) -> Config:
    """Load a config or exit 2 with FILE:LINE: key: message lines on stderr."""
    from kiosk.config import load_config
    from kiosk.yamlfile import ConfigError

    try:
        return load_config(path)
    except ConfigError as exc:
        for issue in exc.issues:
            print(issue, file=sys.stderr)
        raise SystemExit(EXIT_USAGE) from None


def _iso(value: str) -> datetime:
    """An ISO date/time; one without a zone is given `--timezone` later (`_epoch`)."""
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO date/time: {value!r}") from None


def _scan_at(value: str) -> float:
    """`scan --at`: an ISO time as epoch seconds (UTC without a zone), in kiosk.scan's range."""
    from kiosk.scan import iso_time

    try:
        return iso_time(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not an ISO date/time: {exc}") from None


def _n(count: int, noun: str) -> str:
    """`1 record`, `2 records`, `0 records`."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _iso_text(value: str) -> str:
    """`_iso`, kept as written: a date alone means a whole day to `--valid-until`."""
    _iso(value)
    return value


def _epoch(value: datetime | None, zone: ZoneInfo) -> float | None:
    """Epoch seconds; a time without a zone is the venue's local time, as in a CSV file."""
    if value is None:
        return None
    return (value if value.tzinfo else value.replace(tzinfo=zone)).timestamp()


def _zone(value: str) -> str:
    import zoneinfo

    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        raise argparse.ArgumentTypeError(f"unknown time zone {value!r}") from None
    return value


def _duration(value: str) -> float:
    from kiosk.config import parse_duration

    try:
        return parse_duration(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


# ------------------------------------------------------------------ commands


def cmd_check_config(args: argparse.Namespace) -> int:
    from kiosk.preflight import config_warnings, preflight

    cfg = _load(args.file)
    # Warnings do not fail the check: `run` can start, but the admin should know.
    for warning in config_warnings(cfg, args.file, time.time()):
        print(warning, file=sys.stderr)
    # What `run` needs at start, checked here so that a config that passes cannot crash-loop.
    issues = preflight(cfg, args.file, devices=args.devices, bind=True)
    if issues:
        print(*issues, sep="\n", file=sys.stderr)
        return EXIT_USAGE
    print(f"{args.file}: OK (venue {cfg.venue.id}, kiosk {cfg.kiosk.id}, camera {cfg.camera.type})")
    return EXIT_OK


def cmd_run(args: argparse.Namespace) -> int:
    """0 when stopped (or a non-looping replay is done), 1 when a worker crashed (the screen
    said out of order first), 3 when another kiosk runs on the same database."""
    # First of all: from here on a signal asks for a stop, which each step of the start-up
    # sees. Kept installed to the very end: a signal as the interpreter exits must not turn
    # a clean stop into a death by signal.
    from kiosk.signals import catch_stop_signals

    stop = threading.Event()
    catch_stop_signals(stop)
    cfg = _load(args.config)
    _setup_logging(cfg.log_level)
    # check-config's preflight, in this process: the unit has no ExecStartPre (one Python
    # start-up, not two), and a config that cannot run exits 2, which systemd does not retry.
    from kiosk.preflight import preflight

    issues = preflight(cfg, args.config)
    if issues:
        print(*issues, sep="\n", file=sys.stderr)
        return EXIT_USAGE
    if stop.is_set():
        log.info("stopped while starting")
        return EXIT_OK
    from kiosk.app import Kiosk, RunOptions

    return Kiosk(cfg, RunOptions(events=args.events), stop=stop).run()


def cmd_camera_check(args: argparse.Namespace) -> int:
    """Open the configured camera, show its live preview and print the read rate of a code
    held up to it: 0 when frames came, 1 when the camera gave none."""
    import os

    cfg = _load(args.config)
    _setup_logging("warning")
    # A window where there is a display to put it on; otherwise the preview is drawn headless.
    windowed = bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    t0 = time.monotonic()
    frames, read, camera = _camera_check(cfg, args.seconds, windowed=windowed)
    took = time.monotonic() - t0
    if not frames:
        print(f"camera {camera}: no frames in {took:.1f} s", file=sys.stderr)
        return EXIT_FAIL
    print(
        f"{frames} frames in {took:.1f} s ({frames / took:.1f} fps); "
        f"code read in {read} ({100 * read / frames:.0f} %)"
    )
    return EXIT_OK


def _camera_check(cfg: Config, seconds: float, *, windowed: bool) -> tuple[int, int, str]:
    """Frames decoded, frames with a code read, and the camera's last state."""
    from kiosk.camera import build_source
    from kiosk.camera.capture import CaptureThread, FrameSlot
    from kiosk.config import ReplayCameraConfig
    from kiosk.decode import build_decoder
    from kiosk.display.messages import Messages
    from kiosk.display.screen import PreviewFrame, Screen
    from kiosk.display.views import IdleView, StatusBar

    camera = cfg.camera
    slot = FrameSlot(lockstep=isinstance(camera, ReplayCameraConfig) and camera.pace == "lockstep")
    capture = CaptureThread(
        build_source(camera),
        slot,
        frame_timeout=camera.frame_timeout,
        reopen_interval=camera.reopen_interval,
    )
    decoder = build_decoder(cfg.decoder)
    display = cfg.display.model_copy(update={"mode": "windowed" if windowed else "headless"})
    messages = Messages(cfg.display.language)
    frames = read = 0
    with Screen(display, venue_name=cfg.venue.name, messages=messages) as screen, capture:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and not slot.ended:
            screen.events()  # a window that is not serviced is greyed out as hung
            frame = slot.take(timeout=0.2)
            if frame is None:
                continue
            codes = [s for s in decoder.decode(frame.luma) if s.error is None]
            frames += 1
            read += bool(codes)
            corners = codes[0].corners if codes else ()
            preview = PreviewFrame(frame.luma, corners, bool(codes), frame.seq)
            screen.render(IdleView(), StatusBar(), datetime.now(UTC), preview)
        state = capture.camera.message
    return frames, read, f"{camera.type}: {state}"


def cmd_scan(args: argparse.Namespace) -> int:
    """One line per input (human, or JSON with --json), in order; 1 if any code FAILed."""
    if bool(args.images) == bool(args.text):
        print("kiosk scan: give image files or --text payloads (not both)", file=sys.stderr)
        return EXIT_USAGE
    if args.timed and "-" not in args.text:
        print("kiosk scan: --timed needs --text - (times come with the lines)", file=sys.stderr)
        return EXIT_USAGE
    cfg = _load(args.config)
    from kiosk.core import build_core, open_store
    from kiosk.scan import Input, Scanner, run_scan, text_inputs

    # The kiosk's stored lists take part when there are any; scan never creates a database.
    with contextlib.ExitStack() as stack:
        store = open_store(cfg.storage) if cfg.storage.path.exists() else None
        if store is not None:
            stack.enter_context(store)
        core = build_core(cfg, store)
    decoder = None
    if args.images:
        from kiosk.decode import build_decoder

        decoder = build_decoder(cfg.decoder)
    now = args.at if args.at is not None else time.time()
    inputs = (
        text_inputs(args.text, sys.stdin, timed=args.timed)
        if args.text
        else (Input(str(p), image=p) for p in args.images)
    )
    return run_scan(Scanner(core, decoder, now), inputs, as_json=args.json)


def cmd_keygen(args: argparse.Namespace) -> int:
    from checkin_protocol.keys import generate_key, key_id, write_private_key, write_public_key

    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    private, public = out / "issuer.key", out / "issuer.pub"
    if private.exists():
        print(f"{private} exists; refusing to overwrite a signing key", file=sys.stderr)
        return EXIT_FAIL
    key = generate_key(args.alg)
    write_private_key(private, key)
    write_public_key(public, key.public_key())
    print(f"key id {key_id(key.public_key()).hex()}")
    print(f"private key {private} (mode 0600), public key {public}")
    return EXIT_OK


def _writable(path: Path, what: str) -> str | None:
    """Why `path` cannot be written, checked before anything is signed; None if it can."""
    if path.is_dir():
        return f"{what} {path} is a folder; name a file"
    parent = path.parent if str(path.parent) else Path()
    if not parent.is_dir():
        return f"{what} {path}: no folder {parent}"
    if not os.access(parent, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        return f"{what} {path}: not writable"
    return None


def _label(category: str | None) -> str | None:
    """The category in people's words, Vietnamese and English, for the badge."""
    if category is None:
        return None
    from kiosk.display.messages import Messages

    return Messages("both").joined(f"category.{category}")


def cmd_issue(args: argparse.Namespace) -> int:
    from zoneinfo import ZoneInfo

    from checkin_protocol.keys import load_private_key
    from kiosk.issuing import CsvRefused, Invalid, check_issuer, read_requests

    now = time.time()
    if (args.csv is None) == (args.name is None):
        print("kiosk pass issue: give --name, or --csv FILE for many", file=sys.stderr)
        return EXIT_USAGE
    if args.csv is not None and (args.pdf is None or args.png is not None):
        print(
            "kiosk pass issue: --csv writes a PDF: give --pdf FILE (and no --png)", file=sys.stderr
        )
        return EXIT_USAGE
    out = args.pdf if args.csv is not None else args.png
    problem = _writable(out, "output") if out is not None else None
    if problem:
        print(problem, file=sys.stderr)
        return EXIT_FAIL
    try:
        zone = ZoneInfo(args.timezone)
        args.issuer = check_issuer(args.issuer)
        requests = read_requests(args.csv, now, zone) if args.csv else [_request(args, now)]
    except CsvRefused as exc:
        print(*exc.issues, sep="\n", file=sys.stderr)
        return EXIT_USAGE
    except Invalid as exc:
        print(f"kiosk pass issue: --{exc.field.replace('_', '-')}: {exc.message}", file=sys.stderr)
        return EXIT_USAGE
    try:
        key = load_private_key(args.key)
    except (ValueError, OSError) as exc:
        print(exc, file=sys.stderr)
        return EXIT_FAIL
    return _issue_all(args, key, requests, out, zone, now)


def _request(args: argparse.Namespace, now: float) -> PassRequest:
    from zoneinfo import ZoneInfo

    from kiosk.issuing import (
        PassRequest,
        check_birth_year,
        check_category,
        check_name,
        parse_time,
        validity,
    )

    zone = ZoneInfo(args.timezone)
    start = _epoch(args.valid_from, zone)
    # A date alone is valid all that day: "--valid-until 2026-11-30" ends at local midnight.
    until = parse_time("valid_until", args.valid_until or "", zone, end_of_day=True)
    return PassRequest(
        name=check_name(args.name),
        birth_year=check_birth_year(args.birth_year, now),
        category=check_category(args.category),
        valid_from=start,
        valid_until=validity(now, start, until, args.valid_for),
        declared_at=_epoch(args.declared_at, zone),
    )


def _issue_all(
    args: argparse.Namespace,
    key: Any,
    requests: list[PassRequest],
    out: Path | None,
    zone: ZoneInfo,
    now: float,
) -> int:
    from checkin_protocol.kp1 import issue_pass
    from kiosk.badges import Badge, badge_png, badges_pdf
    from kiosk.issuing import as_fields, warnings

    badges = []
    for n, req in enumerate(requests, start=1):
        for warning in warnings(req, now):
            print(f"warning: pass {n} ({req.masked_name}): {warning}", file=sys.stderr)
        text = issue_pass(key, issuer=args.issuer, **as_fields(req))
        print(text)
        badges.append(
            Badge(text, req.masked_name, req.valid_until, req.birth_year, _label(req.category))
        )
    if out is None:
        return EXIT_OK
    try:
        if args.csv is not None:
            pages = badges_pdf(badges, out, zone)
            print(f"{_n(len(badges), 'badge')} on {_n(pages, 'A4 page')}: {out}", file=sys.stderr)
        else:
            badge_png(badges[0], out, zone)
    except OSError as exc:
        print(f"cannot write {out}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_FAIL
    return EXIT_OK


def _existing_store(cfg: Config) -> RecordStore | None:
    """The kiosk's database, read-only and only if it exists: an admin's typo in a config path
    must not leave an empty database behind, nor add tables to someone else's."""
    from kiosk.store.export import ReadOnlyStore

    if not cfg.storage.path.is_file():
        print(
            f"no database at {cfg.storage.path} (has this kiosk run yet? is storage.path right?)",
            file=sys.stderr,
        )
        return None
    return ReadOnlyStore(cfg.storage.path)


def cmd_status(args: argparse.Namespace) -> int:
    from zoneinfo import ZoneInfo

    from checkin_protocol.times import utc_iso
    from kiosk.core import build_count
    from kiosk.localtime import today_bounds
    from kiosk.occupancy import load_snapshot
    from kiosk.store import StorageError

    cfg = _load(args.config)
    zone = ZoneInfo(cfg.venue.timezone)
    store = _existing_store(cfg)
    if store is None:
        return EXIT_FAIL
    now = time.time()
    try:
        with store:
            status = store.status()
            rejected = store.rejected(5)
            entries, exits, refused = store.day_counts(*today_bounds(now, zone))
            snap = load_snapshot(store)
            stale = build_count(cfg, store).stale(now)  # as the door judges it
    except StorageError as exc:
        print(exc, file=sys.stderr)
        return EXIT_FAIL
    status["rejected_examples"] = [
        {"id": rid, "time": created, "reason": reason} for rid, created, reason in rejected
    ]
    status["timezone"] = cfg.venue.timezone
    status["today"] = {"entries": entries, "exits": exits, "refused": refused}
    status["registry"] = cfg.registry.url if cfg.registry is not None else None
    status["venue_inside"] = (
        {"inside": snap.inside, "as_of": utc_iso(snap.as_of),
         "age_s": round(max(0.0, now - snap.received)), "stale": stale}
        if snap is not None else None
    )  # fmt: skip
    try:
        if args.json:
            print(json.dumps(status, ensure_ascii=False))
        else:
            print(*_status_lines(status, zone), sep="\n")
        sys.stdout.flush()
    except BrokenPipeError:
        # `kiosk status | head -2`: the reader has what it wanted (as with export).
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return EXIT_OK


def _age(seconds: int) -> str:
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    if seconds < 2 * 86400:
        return f"{seconds // 3600} h"
    return f"{seconds // 86400} days"


def _status_lines(status: dict[str, Any], zone: ZoneInfo) -> list[str]:
    """`kiosk status` for people: times on the venue's clock, in its zone."""
    from kiosk.localtime import local

    today = status["today"]
    lines = [
        f"database        {status['path']} ({status['storage_bytes'] / 1e6:.2f} MB)",
        f"times           {status['timezone']}",
        f"today           entries {today['entries']} / exits {today['exits']} / "
        f"refused {today['refused']}",
        f"records         {status['records']}",
    ]
    if status["registry"] is None:
        lines.append("registry        no registry configured")
    else:
        lines += [
            f"registry        {status['registry']}",
            f"queued for sync {status['queued']}",
            f"oldest unsynced {local(status['oldest_unsynced'], zone)}",
            f"rejected        {status['rejected']}",
            *(
                f"  {local(r['time'], zone)} {r['id']}: {r['reason']}"
                for r in status["rejected_examples"]
            ),
            f"last sync ok    {local(status['last_sync_ok'], zone)}",
            f"clock offset    {status['clock_offset_ms'] or '-'} ms",
        ]
        venue = status["venue_inside"]
        if venue is not None:
            mark = ", STALE: the door shows it as stale" if venue["stale"] else ""
            lines.append(
                f"venue inside    {venue['inside']} (registry, {local(venue['as_of'], zone)}; "
                f"received {_age(venue['age_s'])} ago{mark})"
            )
    for name, info in sorted(status["lists"].items()):
        lines.append(f"{name:15} version {info['version']}, fetched {local(info['fetched'], zone)}")
    last = status["last_decision"]
    if last:
        lines.append(
            f"last decision   {local(last['time'], zone)} {last['verdict']} {last['code_kind']} "
            f"{last['reason'] or ''}".rstrip()
        )
    else:
        lines.append("last decision   -")
    return lines


def cmd_sync(args: argparse.Namespace) -> int:
    from kiosk.core import build_core, build_sync, open_store
    from kiosk.store import StorageError

    cfg = _load(args.config)
    _setup_logging("warning")
    if cfg.registry is None:
        print(f"{args.config}: no registry configured", file=sys.stderr)
        return EXIT_USAGE

    def bar(done: int, total: int) -> None:
        width = 30
        filled = width * done // total if total else width
        sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{_n(total, 'record')}")
        sys.stderr.flush()

    try:
        with open_store(cfg.storage) as store:
            core = build_core(cfg, store)
            assert core.lists is not None
            worker = build_sync(cfg.registry, store, core.lists)
            try:
                ok = worker.drain(bar, time.monotonic() + args.timeout)
            finally:
                worker.close()
            sys.stderr.write("\n")
            left = store.queued()
    except StorageError as exc:
        print(exc, file=sys.stderr)
        return EXIT_FAIL
    if not ok:
        print(
            f"sync incomplete: {worker.state.message}; {_n(left, 'record')} still queued",
            file=sys.stderr,
        )
        return EXIT_FAIL
    print(f"synced; {_n(left, 'record')} queued")
    return EXIT_OK


def _staff_notes(cfg: Config) -> Callable[[Record], str | None] | None:
    """The venue deny list's note for each refusal it caused (None without a deny list).

    Only the venue's own file has notes, and only entries by pass or subject can be matched
    to a record: ID numbers are kept there as a keyed hash, never next to a record.
    """
    from checkin_protocol.reasons import Reason
    from checkin_protocol.records import Verdict
    from kiosk.policy.denylist import DenyList
    from kiosk.yamlfile import ConfigError

    if cfg.trust.deny_list is None:
        return None
    try:
        deny = DenyList.load(cfg.trust.deny_list)
    except ConfigError as exc:
        print(f"kiosk export: deny list not read, no staff notes: {exc}", file=sys.stderr)
        return None

    def note(r: Record) -> str | None:
        if r.verdict is not Verdict.FAIL or r.reason != Reason.DENIED or r.subject is None:
            return None
        return deny.reason_for(r.subject)

    return note


def cmd_export(args: argparse.Namespace) -> int:
    from zoneinfo import ZoneInfo

    from checkin_protocol.times import utc_iso
    from kiosk.localtime import resolve
    from kiosk.store import StorageError
    from kiosk.store.export import write_csv

    cfg = _load(args.config)
    zone = ZoneInfo(cfg.venue.timezone)
    now = time.time()
    try:
        since = utc_iso(resolve(args.since, zone, now)) if args.since else None
        until = utc_iso(resolve(args.until, zone, now, end=True)) if args.until else None
    except (ValueError, OverflowError) as exc:
        print(f"kiosk export: a date out of range: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if since is not None and until is not None and until <= since:
        print(
            f"kiosk export: --until {args.until} is not after --since {args.since}: "
            "no record could be in between",
            file=sys.stderr,
        )
        return EXIT_USAGE
    store = _existing_store(cfg)
    if store is None:
        return EXIT_FAIL
    staff_note = _staff_notes(cfg)
    # Excel opens a CSV as UTF-8 only with a BOM; the stream is UTF-8 whatever the locale.
    out = io.TextIOWrapper(sys.stdout.buffer, encoding="utf-8", newline="", write_through=True)
    try:
        with store:
            count = write_csv(
                store.records(since, until), out, zone=zone, all_columns=args.all_columns,
                bom=not args.no_bom, staff_note=staff_note,
            )  # fmt: skip
    except StorageError as exc:
        print(exc, file=sys.stderr)
        return EXIT_FAIL
    except BrokenPipeError:
        # `kiosk export … | head`: the reader has what it wanted; no traceback, and the
        # interpreter's last flush must not fail on the closed pipe either.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    finally:
        with contextlib.suppress(ValueError):
            out.detach()  # sys.stdout keeps its buffer
    print(f"{_n(count, 'record')}, times in {cfg.venue.timezone}", file=sys.stderr)
    return EXIT_OK


def _read_pin() -> tuple[str, str | None]:
    """The PIN and its confirmation: asked twice at a terminal; from a pipe one line, or two
    that must match (`printf '1234\\n1234\\n' | kiosk guard hash-pin`)."""
    import getpass

    if sys.stdin.isatty():
        return getpass.getpass("Guard PIN: "), getpass.getpass("Same PIN again: ")
    first = sys.stdin.readline(100).strip()
    second = sys.stdin.readline(100).strip()
    return first, second or None


def cmd_hash_pin(args: argparse.Namespace) -> int:
    import re

    from kiosk.guard import hash_pin

    most = args.max_digits
    if most is None:
        most = _load(args.config).guard.max_pin_digits if args.config else 8
    pin, again = _read_pin()
    # ASCII digits only: the keypad types 0-9, and "１２３４" or "١٢٣٤" pass isdigit().
    if not re.fullmatch(rf"[0-9]{{4,{most}}}", pin):
        print(
            f"a guard PIN is 4 to {most} digits 0-9 (the PIN screen takes at most "
            f"guard.max_pin_digits = {most}); nothing was changed",
            file=sys.stderr,
        )
        return EXIT_USAGE
    if again is not None and again != pin:
        print("the two PINs differ; nothing was changed", file=sys.stderr)
        return EXIT_USAGE
    print(hash_pin(pin))
    print(
        "Put this in the venue config (e.g. /etc/qr-kiosk/venue.yaml), quoted, then restart "
        "the kiosk:\n  guard:\n    pin_hash: '<the line above>'",
        file=sys.stderr,
    )
    return EXIT_OK


def _size(value: str) -> tuple[int, int]:
    from kiosk.display.gallery import RESOLUTIONS

    try:
        w, h = (int(n) for n in value.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r}: give WIDTHxHEIGHT, e.g. 800x480") from None
    if (w, h) not in RESOLUTIONS:
        known = ", ".join(f"{a}x{b}" for a, b in RESOLUTIONS)
        raise argparse.ArgumentTypeError(f"{value}: not a supported size ({known})")
    return w, h


def cmd_gallery(args: argparse.Namespace) -> int:
    from kiosk.display.gallery import LANGUAGES, RESOLUTIONS, write_gallery

    sizes = args.size or RESOLUTIONS
    languages = args.language or LANGUAGES
    try:
        shots = write_gallery(args.out, sizes=sizes, languages=languages)
    except OSError as exc:
        print(f"kiosk gallery: cannot write {args.out}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_FAIL
    print(f"{_n(len(shots), 'screen')} ({_n(len(sizes), 'size')} × {_n(len(languages), 'language')}"
          f" × every state) in {args.out}")  # fmt: skip
    return EXIT_OK


def cmd_demo(args: argparse.Namespace) -> int:
    from kiosk.demo import run_demo

    _setup_logging("warning")
    return run_demo(args.out, headless=args.headless, keep_serving=args.keep_serving)


# ------------------------------------------------------------------ parser


CONFIG_HELP = "the venue config (YAML), e.g. /etc/qr-kiosk/venue.yaml"


def _add_config(c: argparse.ArgumentParser) -> None:
    c.add_argument("--config", type=Path, required=True, metavar="FILE", help=CONFIG_HELP)


def build_parser() -> argparse.ArgumentParser:
    from kiosk import __version__
    from kiosk.localtime import WHEN_HELP, check_when

    p = argparse.ArgumentParser(
        prog="kiosk",
        description="QR check-in kiosk: the door (run), its checks, and the admin's tools.",
        epilog="`kiosk COMMAND --help` tells more about each command.",
    )
    p.add_argument("--version", action="version", version=f"kiosk {__version__}")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    c = sub.add_parser(
        "check-config",
        help="validate a venue config and what `run` needs at start",
        description="Validate a venue config, then check what `kiosk run` needs at start: the "
        "database's folder and free space, key and token files, the peers' port and addresses "
        "(and with --devices the camera, GPIO and display). Every problem is printed as "
        "FILE:LINE: key: message; exit 2 if there is any, 0 when `run` can start.",
    )
    c.add_argument("file", type=Path, help=CONFIG_HELP)
    c.add_argument(
        "--devices", action="store_true", help="also check the camera, GPIO and display devices"
    )
    c.set_defaults(func=cmd_check_config)

    c = sub.add_parser(
        "run",
        help="run the kiosk (exit 1 after a crash, for systemd to restart)",
        description="Run the kiosk: camera and readers, decisions, the screen, the door relay, "
        "sync with the registry and the LAN peers. Checks what check-config checks first (exit "
        "2); exit 0 when stopped, 1 after a crash (systemd restarts it), 3 when another kiosk "
        "runs on the same database.",
    )
    _add_config(c)
    c.add_argument("--events", type=Path, metavar="FILE", help="append one JSON line per decision")
    c.set_defaults(func=cmd_run)

    c = sub.add_parser(
        "camera-check",
        help="live preview and read rate of a code held to the camera",
        description="Open the config's camera, decode for --seconds and print how many frames "
        "read a code held in front of it: for placing the camera and its light.",
    )
    _add_config(c)
    c.add_argument("--seconds", type=float, default=10.0, help="how long to decode (default 10)")
    c.set_defaults(func=cmd_camera_check)

    from kiosk.enroll import add_command as add_enroll_command

    add_enroll_command(sub)
    sub.choices["enroll"].description = (
        "Join a registry with the enrolment code `kiosk-registry` printed: the kiosk gets its "
        "token and the registry's list key, and the config its registry section."
    )

    c = sub.add_parser(
        "scan",
        help="decide on still images or QR payload texts as the door would; records nothing; "
        "exit 1 if any code FAILs",
    )
    c.add_argument("--config", type=Path, required=True, help="the venue config")
    c.add_argument(
        "--at",
        type=_scan_at,
        help="judge as if the clock showed this ISO time (certificates, passes, lists, hours)",
    )
    c.add_argument(
        "--text",
        action="append",
        default=[],
        metavar="PAYLOAD",
        help="a QR payload text instead of an image (repeatable); '-' reads one per line "
        "from standard input",
    )
    c.add_argument(
        "--timed",
        action="store_true",
        help="with --text -: each line is ISO-TIME<TAB>PAYLOAD, judged at its own time "
        "(batch runs over cases with different clocks)",
    )
    c.add_argument("--json", action="store_true", help="one JSON line per input")
    c.add_argument("images", type=Path, nargs="*", help="image files holding QR codes")
    c.set_defaults(func=cmd_scan)
    # Here rather than above: the scan command's own lines are another change's.
    c.description = (
        "Decide on still images (or QR payload texts) as the door would, with the venue "
        "config's keys, lists and rules, and print a line per input (--json: one JSON object). "
        "Records nothing; exit 1 if any code FAILs."
    )

    pas = sub.add_parser(
        "pass",
        help="issuer keys and passes",
        description="A venue's own passes: make an issuer key pair (keygen), sign passes and "
        "print badges (issue).",
    ).add_subparsers(dest="pass_command", required=True, metavar="SUBCOMMAND")
    c = pas.add_parser(
        "keygen",
        help="make an issuer key pair",
        description="Make an issuer key pair in --out: issuer.key (private, mode 600: keep it "
        "off the kiosks) signs passes; issuer.pub goes into trust.issuer_keys.",
    )
    c.add_argument("--out", type=Path, required=True, metavar="DIR", help="folder for the keys")
    c.add_argument(
        "--alg", choices=["ES256", "Ed25519"], default="ES256", help="signature (default ES256)"
    )
    c.set_defaults(func=cmd_keygen)
    _add_issue(pas)

    c = sub.add_parser(
        "status",
        help="today's counts, records queued, last decision, storage (local time)",
        description="Read the kiosk's database (read-only) and print, in the venue's local "
        "time: today's entries, exits and refusals, records, the registry's queue and its "
        "venue-wide count with its age, lists, the last decision. Exit 1 without a database.",
    )
    _add_config(c)
    c.add_argument("--json", action="store_true", help="one JSON object, times in UTC")
    c.set_defaults(func=cmd_status)

    c = sub.add_parser(
        "sync",
        help="upload queued records now, with a progress bar",
        description="Upload the records queued for the registry now, with a progress bar, and "
        "fetch its lists. Exit 0 when all went, 1 (with the cause) when the registry could not "
        "take them before --timeout, 2 without a registry in the config.",
    )
    _add_config(c)
    c.add_argument("--timeout", type=float, default=120.0, help="give up after this many seconds")
    c.set_defaults(func=cmd_sync)

    c = sub.add_parser(
        "export",
        help="records as CSV on stdout (UTF-8 for Excel), in the venue's local time",
        description="Records as CSV on stdout: a local date/time column first, UTF-8 with a "
        "byte order mark so that Excel shows Vietnamese names, cells safe from formula "
        "injection. Dates are the venue's local dates (its time zone in the config).",
    )
    _add_config(c)
    c.add_argument("--since", type=check_when, metavar="WHEN", help=f"from: {WHEN_HELP}")
    c.add_argument(
        "--until", type=check_when, metavar="WHEN", help=f"up to and including: {WHEN_HELP}"
    )
    c.add_argument("--no-bom", action="store_true", help="leave out the byte order mark")
    c.add_argument(
        "--all-columns",
        action="store_true",
        help="also the internal columns (ids, sequence, clocks, sync state) and full subjects",
    )
    c.set_defaults(func=cmd_export)

    guard = sub.add_parser(
        "guard",
        help="the guard's keypad",
        description="The guard's keypad at the kiosk: hash-pin makes the guard.pin_hash that "
        "manual admits, switching entry/exit and the private history ask for.",
    ).add_subparsers(dest="guard_command", required=True, metavar="SUBCOMMAND")
    c = guard.add_parser(
        "hash-pin",
        help="ask for a guard PIN twice, print the guard.pin_hash for the config",
        description="Ask for a guard PIN twice (or read it from a pipe) and print its hash for "
        "guard.pin_hash in the venue config. A PIN is 4 to guard.max_pin_digits digits 0-9.",
    )
    g = c.add_mutually_exclusive_group()
    g.add_argument(
        "--max-digits", type=int, choices=range(4, 13), metavar="4-12",
        help="the longest PIN the kiosk's PIN screen takes (default 8, as guard.max_pin_digits)",
    )  # fmt: skip
    g.add_argument("--config", type=Path, help="read guard.max_pin_digits from this venue config")
    c.set_defaults(func=cmd_hash_pin)

    c = sub.add_parser(
        "demo",
        help="run the kiosk on generated passes and camera frames",
        description="Run the kiosk with an embedded registry on generated passes and camera "
        "frames (no hardware), and write screenshots and a summary to --out.",
    )
    c.add_argument("--out", type=Path, default=Path("demo-out"), help="output folder")
    c.add_argument("--headless", action="store_true", help="no window even if a display is present")
    c.add_argument(
        "--keep-serving", action="store_true", help="keep the registry's dashboard up afterwards"
    )
    c.set_defaults(func=cmd_demo)

    c = sub.add_parser(
        "gallery",
        help="every screen state as PNGs, for review",
        description="Draw every screen state (idle, help hints, PASS, FAIL, guard screens) in "
        "every language at every supported size, as a visitor would see it, into PNG files.",
    )
    c.add_argument("out", type=Path, nargs="?", default=Path("gallery"), help="output folder")
    c.add_argument("--size", type=_size, action="append", metavar="WxH",
                   help="only this size (repeatable; default: every supported size)")  # fmt: skip
    c.add_argument("--language", action="append", choices=["vi", "en", "both"],
                   help="only this language (repeatable; default: vi, en and both)")  # fmt: skip
    c.set_defaults(func=cmd_gallery)
    return p


def _add_issue(pas: Any) -> None:
    c = pas.add_parser(
        "issue",
        help="sign a personal pass (or many from a CSV file), with a printable badge",
        description="Sign a personal pass: prints its QR text; --png writes a printable badge "
        "(masked name, validity, QR). With --csv, one pass per row, laid out on A4 (--pdf).",
    )
    c.add_argument("--key", type=Path, required=True, metavar="FILE", help="issuer private key")
    c.add_argument("--name", help="full name; the pass holds it masked")
    c.add_argument(
        "--issuer",
        default="local",
        help="issuer name in the pass, 1-64 printable characters (default local)",
    )
    c.add_argument("--birth-year", type=int, metavar="YYYY", help="for the guard to compare")
    c.add_argument("--category", metavar="NAME", help="staff, visitor, contractor, …")
    c.add_argument("--declared-at", type=_iso, metavar="ISO", help="last health declaration")
    c.add_argument("--valid-from", type=_iso, metavar="ISO", help="not valid before (default now)")
    v = c.add_mutually_exclusive_group()
    v.add_argument(
        "--valid-until", type=_iso_text, metavar="ISO",
        help="not valid from then on; a date alone: valid to the end of that local day",
    )  # fmt: skip
    v.add_argument("--valid-for", type=_duration, metavar="DURATION", help="e.g. 30d (default)")
    c.add_argument("--png", type=Path, metavar="FILE", help="write a printable badge as PNG")
    c.add_argument(
        "--csv",
        type=Path,
        metavar="FILE",
        help="issue one pass per row (columns: name, birth_year, category, valid_until)",
    )
    c.add_argument("--pdf", type=Path, metavar="FILE", help="with --csv: the badges on A4 pages")
    c.add_argument(
        "--timezone",
        type=_zone,
        default="Asia/Ho_Chi_Minh",
        metavar="ZONE",
        help="the zone of times given without one and of the validity printed on badges "
        "(default Asia/Ho_Chi_Minh)",
    )
    c.set_defaults(func=cmd_issue)


def _config_error() -> type[ConfigError]:
    from kiosk.yamlfile import ConfigError  # lazily: see the imports at the top

    return ConfigError


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    # e.g. a file the config names changed after it was checked; the class is looked up
    # only when something was raised
    except _config_error() as exc:
        for issue in exc.issues:
            print(issue, file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
