"""The `kiosk` command line."""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import sys
import threading
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

# Only the standard library at the top: `kiosk run` catches signals from its first line, and
# until then a SIGTERM kills it. The config's imports (pydantic) alone take half a second.
if TYPE_CHECKING:
    from kiosk.config import Config
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
    try:
        dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO date/time: {value!r}") from None
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)  # a time without a zone is UTC


def _duration(value: str) -> float:
    from kiosk.config import parse_duration

    try:
        return parse_duration(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


# ------------------------------------------------------------------ commands


def cmd_check_config(args: argparse.Namespace) -> int:
    from kiosk.preflight import preflight

    cfg = _load(args.file)
    # What `run` needs at start, checked here so that a config that passes cannot crash-loop.
    issues = preflight(cfg, args.file, devices=args.devices)
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
    now = args.at.timestamp() if args.at else time.time()
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


def cmd_issue(args: argparse.Namespace) -> int:
    from checkin_protocol.keys import load_private_key
    from checkin_protocol.kp1 import issue_pass
    from checkin_protocol.privacy import mask_name

    try:
        key = load_private_key(args.key)
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return EXIT_FAIL
    now = time.time()
    start = args.valid_from.timestamp() if args.valid_from else now
    if args.valid_until:
        until = args.valid_until.timestamp()
    else:
        until = start + (args.valid_for if args.valid_for is not None else 30 * 86400)
    if until <= start:
        print("the pass would expire before it is valid", file=sys.stderr)
        return EXIT_USAGE
    text = issue_pass(
        key,
        issuer=args.issuer,
        masked_name=mask_name(args.name),
        valid_until=int(until),
        valid_from=int(args.valid_from.timestamp()) if args.valid_from else None,
        birth_year=args.birth_year,
        category=args.category,
        declared_at=int(args.declared_at.timestamp()) if args.declared_at else None,
    )
    print(text)
    if args.png:
        import segno

        segno.make(text, error="m").save(str(args.png), scale=8, border=4)
    return EXIT_OK


def cmd_status(args: argparse.Namespace) -> int:
    from kiosk.app import open_store
    from kiosk.store import StorageError

    cfg = _load(args.config)
    try:
        with open_store(cfg.storage) as store:
            status = store.status()
            rejected = store.rejected(5)
    except StorageError as exc:
        print(exc, file=sys.stderr)
        return EXIT_FAIL
    status["rejected_examples"] = [
        {"id": rid, "time": created, "reason": reason} for rid, created, reason in rejected
    ]
    if args.json:
        print(json.dumps(status))
        return EXIT_OK
    last = status["last_decision"]
    print(f"database        {status['path']} ({status['storage_bytes'] / 1e6:.2f} MB)")
    print(f"records         {status['records']}")
    print(f"queued for sync {status['queued']}")
    print(f"oldest unsynced {status['oldest_unsynced'] or '-'}")
    print(f"rejected        {status['rejected']}")
    for r in status["rejected_examples"]:
        print(f"  {r['time']} {r['id']}: {r['reason']}")
    for name, info in sorted(status["lists"].items()):
        print(f"{name:15} version {info['version']}, fetched {info['fetched']}")
    if cfg.registry is not None:
        print(f"last sync ok    {status['last_sync_ok'] or '-'}")
        print(f"clock offset    {status['clock_offset_ms'] or '-'} ms")
    if last:
        print(
            f"last decision   {last['time']} {last['verdict']} {last['code_kind']} "
            f"{last['reason'] or ''}"
        )
    else:
        print("last decision   -")
    return EXIT_OK


def cmd_sync(args: argparse.Namespace) -> int:
    from kiosk.app import build_core, build_sync, open_store
    from kiosk.store import StorageError

    cfg = _load(args.config)
    _setup_logging("warning")
    if cfg.registry is None:
        print(f"{args.config}: no registry configured", file=sys.stderr)
        return EXIT_USAGE

    def bar(done: int, total: int) -> None:
        width = 30
        filled = width * done // total if total else width
        sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} records")
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
            f"sync incomplete: {worker.state.message}; {left} records still queued", file=sys.stderr
        )
        return EXIT_FAIL
    print(f"synced; {left} records queued")
    return EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    from kiosk.app import open_store
    from kiosk.store import StorageError, utc_iso
    from kiosk.store.export import write_csv

    cfg = _load(args.config)
    since = utc_iso(args.since.timestamp()) if args.since else None
    until = utc_iso(args.until.timestamp()) if args.until else None
    try:
        with open_store(cfg.storage) as store:
            count = write_csv(store.records(since, until), sys.stdout)
    except StorageError as exc:
        print(exc, file=sys.stderr)
        return EXIT_FAIL
    print(f"{count} records", file=sys.stderr)
    return EXIT_OK


def cmd_hash_pin(args: argparse.Namespace) -> int:
    import getpass

    from kiosk.guard import hash_pin

    pin = sys.stdin.readline().strip() if not sys.stdin.isatty() else getpass.getpass("Guard PIN: ")
    if not pin.isdigit() or not 4 <= len(pin) <= 12:
        print("a PIN is 4 to 12 digits", file=sys.stderr)
        return EXIT_USAGE
    print(hash_pin(pin))
    return EXIT_OK


def cmd_demo(args: argparse.Namespace) -> int:
    from kiosk.demo import run_demo

    _setup_logging("warning")
    return run_demo(args.out, headless=args.headless, keep_serving=args.keep_serving)


# ------------------------------------------------------------------ parser


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="kiosk", description="QR check-in kiosk")
    sub = p.add_subparsers(dest="command", required=True)

    c = sub.add_parser("check-config", help="validate a venue config and what `run` needs at start")
    c.add_argument("file", type=Path)
    c.add_argument(
        "--devices", action="store_true", help="also check the camera, GPIO and display devices"
    )
    c.set_defaults(func=cmd_check_config)

    c = sub.add_parser("run", help="run the kiosk (exit 1 after a crash, for systemd to restart)")
    c.add_argument("--config", type=Path, required=True)
    c.add_argument("--events", type=Path, help="append one JSON line per decision")
    c.set_defaults(func=cmd_run)

    c = sub.add_parser(
        "camera-check", help="live preview and read rate of a code held to the camera"
    )
    c.add_argument("--config", type=Path, required=True)
    c.add_argument("--seconds", type=float, default=10.0, help="how long to decode (default 10)")
    c.set_defaults(func=cmd_camera_check)

    from kiosk.enroll import add_command as add_enroll_command

    add_enroll_command(sub)

    c = sub.add_parser(
        "scan",
        help="decide on still images or QR payload texts as the door would; records nothing; "
        "exit 1 if any code FAILs",
    )
    c.add_argument("--config", type=Path, required=True, help="the venue config")
    c.add_argument(
        "--at",
        type=_iso,
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

    pas = sub.add_parser("pass", help="issuer keys and passes").add_subparsers(
        dest="pass_command", required=True
    )
    c = pas.add_parser("keygen", help="make an issuer key pair")
    c.add_argument("--out", type=Path, required=True)
    c.add_argument("--alg", choices=["ES256", "Ed25519"], default="ES256")
    c.set_defaults(func=cmd_keygen)
    c = pas.add_parser("issue", help="sign a personal pass")
    c.add_argument("--key", type=Path, required=True)
    c.add_argument("--name", required=True, help="full name; the pass holds it masked")
    c.add_argument("--issuer", default="local")
    c.add_argument("--birth-year", type=int)
    c.add_argument("--category")
    c.add_argument("--declared-at", type=_iso)
    c.add_argument("--valid-from", type=_iso)
    v = c.add_mutually_exclusive_group()
    v.add_argument("--valid-until", type=_iso)
    v.add_argument("--valid-for", type=_duration, help="e.g. 30d (default)")
    c.add_argument("--png", type=Path, help="also write the QR code as PNG")
    c.set_defaults(func=cmd_issue)

    c = sub.add_parser("status", help="records queued, last decision, storage size")
    c.add_argument("--config", type=Path, required=True)
    c.add_argument("--json", action="store_true")
    c.set_defaults(func=cmd_status)

    c = sub.add_parser("sync", help="upload queued records now, with a progress bar")
    c.add_argument("--config", type=Path, required=True)
    c.add_argument("--timeout", type=float, default=120.0, help="give up after this many seconds")
    c.set_defaults(func=cmd_sync)

    c = sub.add_parser("export", help="records as CSV on stdout")
    c.add_argument("--config", type=Path, required=True)
    c.add_argument("--since", type=_iso)
    c.add_argument("--until", type=_iso)
    c.set_defaults(func=cmd_export)

    guard = sub.add_parser("guard", help="the guard's keypad").add_subparsers(
        dest="guard_command", required=True
    )
    c = guard.add_parser("hash-pin", help="read a PIN (prompt or stdin), print guard.pin_hash")
    c.set_defaults(func=cmd_hash_pin)

    c = sub.add_parser("demo", help="run the kiosk on generated passes and camera frames")
    c.add_argument("--out", type=Path, default=Path("demo-out"))
    c.add_argument("--headless", action="store_true", help="no window even if a display is present")
    c.add_argument(
        "--keep-serving", action="store_true", help="keep the registry's dashboard up afterwards"
    )
    c.set_defaults(func=cmd_demo)
    return p


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
