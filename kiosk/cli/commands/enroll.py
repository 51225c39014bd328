"""`kiosk enroll`: join a registry with the code `kiosk-registry` printed."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from kiosk.cli.enroll import DEFAULT_CONFIG, DEFAULT_STATE


def run(args: argparse.Namespace) -> int:
    from kiosk.cli.enroll import EnrolError, enroll, first_sync

    try:
        done = enroll(args.code, args.registry, args.config, args.state_dir, ca_file=args.ca_file)
    except EnrolError as exc:
        print(f"kiosk enroll: {exc}", file=sys.stderr)
        return 1
    print(
        f"enrolled as {done.venue_id}/{done.kiosk_id} ({done.venue_name}); token in "
        f"{done.token_file}, list key in {done.list_key}, {done.config} updated"
    )
    if done.issues:
        print("the config still needs attention before the kiosk can start:", file=sys.stderr)
        print(*done.issues, sep="\n", file=sys.stderr)
        return 2
    if first_sync(done.config, args.state_dir) != 0:
        print("the first sync did not finish; the service retries it", file=sys.stderr)
    print("start it: sudo systemctl restart qr-kiosk")
    return 0


def register(sub: Any) -> None:
    c = sub.add_parser(
        "enroll",
        help="join a registry with the code `kiosk-registry` printed",
        description="Join a registry with the enrolment code `kiosk-registry` printed: the kiosk "
        "gets its token and the registry's list key, and the config its registry section.",
    )
    c.add_argument("code", help="the enrolment code, e.g. ABCD-EFGH-JKMN")
    c.add_argument("--registry", required=True, help="the registry's URL, e.g. https://reg.example")
    c.add_argument(
        "--config",
        type=Path,
        default=DEFAULT_CONFIG,
        help=f"config to write (default {DEFAULT_CONFIG})",
    )
    c.add_argument(
        "--state-dir",
        type=Path,
        default=DEFAULT_STATE,
        help=f"where the token and keys go (default {DEFAULT_STATE})",
    )
    c.add_argument("--ca-file", type=Path, help="CA bundle for the registry's TLS certificate")
    c.set_defaults(func=run)
