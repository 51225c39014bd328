"""`kiosk pass keygen|issue`: a venue's own issuer keys, passes and printable badges."""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kiosk.cli.options import (
    EXIT_FAIL,
    EXIT_OK,
    EXIT_USAGE,
    duration,
    epoch,
    iso,
    iso_text,
    plural,
    zone,
)

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from kiosk.cli.issuing import PassRequest

log = logging.getLogger("kiosk")


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
    from kiosk.cli.issuing import CsvRefused, Invalid, check_issuer, read_requests

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

    from kiosk.cli.issuing import (
        PassRequest,
        check_birth_year,
        check_category,
        check_name,
        parse_time,
        validity,
    )

    zone = ZoneInfo(args.timezone)
    start = epoch(args.valid_from, zone)
    # A date alone is valid all that day: "--valid-until 2026-11-30" ends at local midnight.
    until = parse_time("valid_until", args.valid_until or "", zone, end_of_day=True)
    return PassRequest(
        name=check_name(args.name),
        birth_year=check_birth_year(args.birth_year, now),
        category=check_category(args.category),
        valid_from=start,
        valid_until=validity(now, start, until, args.valid_for),
        declared_at=epoch(args.declared_at, zone),
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
    from kiosk.cli.badges import Badge, badge_png, badges_pdf
    from kiosk.cli.issuing import as_fields, warnings

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
            print(
                f"{plural(len(badges), 'badge')} on {plural(pages, 'A4 page')}: {out}",
                file=sys.stderr,
            )
        else:
            badge_png(badges[0], out, zone)
    except OSError as exc:
        print(f"cannot write {out}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_FAIL
    return EXIT_OK


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
    c.add_argument("--declared-at", type=iso, metavar="ISO", help="last health declaration")
    c.add_argument("--valid-from", type=iso, metavar="ISO", help="not valid before (default now)")
    v = c.add_mutually_exclusive_group()
    v.add_argument(
        "--valid-until", type=iso_text, metavar="ISO",
        help="not valid from then on; a date alone: valid to the end of that local day",
    )  # fmt: skip
    v.add_argument("--valid-for", type=duration, metavar="DURATION", help="e.g. 30d (default)")
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
        type=zone,
        default="Asia/Ho_Chi_Minh",
        metavar="ZONE",
        help="the zone of times given without one and of the validity printed on badges "
        "(default Asia/Ho_Chi_Minh)",
    )
    c.set_defaults(func=cmd_issue)


def register(sub: Any) -> None:
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
