"""`kiosk-registry`: run and administer the check-in registry."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from kiosk.config import parse_duration
from registry.auth import Role
from registry.settings import Settings


def _duration(value: str) -> int:
    try:
        return int(parse_duration(value))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="kiosk-registry", description="QR check-in registry")
    p.add_argument("--data", type=Path, help="data folder (keys, SQLite); env REGISTRY_DATA")
    p.add_argument(
        "--db", help="SQLAlchemy URL, e.g. postgresql+psycopg://user@host/db; env REGISTRY_DB"
    )
    sub = p.add_subparsers(dest="command", required=True)

    sub.add_parser("init", help="create the database schema and keys; prints an admin token once")
    c = sub.add_parser("serve", help="serve the HTTP API and pages")
    c.add_argument("--host", default="127.0.0.1")
    c.add_argument("--port", type=int, default=8800)
    sub.add_parser("openapi", help="print the OpenAPI document")

    venue = sub.add_parser("venue").add_subparsers(dest="venue_command", required=True)
    c = venue.add_parser("add")
    c.add_argument("id")
    c.add_argument("--name", required=True)
    c.add_argument("--district", default="")
    c.add_argument("--province", default="")
    c.add_argument("--timezone", default="Asia/Ho_Chi_Minh", help="IANA zone; 'today' starts here")

    kiosk = sub.add_parser("kiosk").add_subparsers(dest="kiosk_command", required=True)
    c = kiosk.add_parser("add", help="register a kiosk; prints its token once")
    c.add_argument("venue")
    c.add_argument("kiosk")
    c.add_argument("--token-file", type=Path, help="write the token here (mode 0600) instead")
    c = kiosk.add_parser("revoke")
    c.add_argument("venue")
    c.add_argument("kiosk")

    user = sub.add_parser("user").add_subparsers(dest="user_command", required=True)
    c = user.add_parser(
        "add", help="an admin, venue controller or health officer; prints a token once"
    )
    c.add_argument("name")
    c.add_argument("--role", choices=[r.value for r in Role if r is not Role.KIOSK], required=True)
    c.add_argument("--venue", action="append", default=[], help="a controller's venue (repeatable)")

    pas = sub.add_parser("pass").add_subparsers(dest="pass_command", required=True)
    c = pas.add_parser("issue")
    c.add_argument("--name", required=True)
    c.add_argument("--birth-year", type=int)
    c.add_argument("--category")
    c.add_argument("--valid-for", type=_duration, default=30 * 86400)
    c.add_argument("--png", type=Path)
    c = pas.add_parser("revoke")
    c.add_argument("pass_id")
    c.add_argument("--reason", default="revoked")

    keys = sub.add_parser("keys").add_subparsers(dest="keys_command", required=True)
    keys.add_parser("rotate", help="new pass-signing key; old passes stay valid until they expire")

    ret = sub.add_parser("retention").add_subparsers(dest="retention_command", required=True)
    ret.add_parser("purge", help="delete records and declarations past the retention period")
    return p


def _write_token(path: Path, token: str) -> None:
    import os

    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(token + "\n")


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from registry.service import Registry, RegistryError

    settings = Settings.load(args.data, args.db)
    registry = Registry(settings)
    try:
        if args.command == "init":
            registry.init()
            print(f"registry ready in {settings.data_dir} ({registry.engine.dialect.name})")
            print(f"list-signing public key for kiosks: {settings.keys_dir / 'lists.pub'}")
            print(f"subject key to copy to kiosks: {settings.keys_dir / 'subject.key'}")
            try:
                token = registry.add_user("admin", Role.ADMIN)
                print(f"admin token (shown once): {token}")
            except RegistryError:
                print("admin exists")
        elif args.command == "serve":
            import uvicorn

            from registry.app import create_app

            registry.init()
            uvicorn.run(create_app(registry), host=args.host, port=args.port, log_level="warning")
        elif args.command == "openapi":
            from registry.app import create_app

            print(json.dumps(create_app(registry).openapi(), indent=2, sort_keys=True))
        elif args.command == "venue":
            registry.add_venue(args.id, args.name, args.district, args.province, args.timezone)
            print(f"venue {args.id} added")
        elif args.command == "kiosk" and args.kiosk_command == "add":
            token = registry.add_kiosk(args.venue, args.kiosk)
            if args.token_file:
                _write_token(args.token_file, token)
                print(f"kiosk {args.venue}/{args.kiosk} added; token in {args.token_file}")
            else:
                print(f"kiosk {args.venue}/{args.kiosk} token (shown once): {token}")
        elif args.command == "kiosk":
            registry.revoke_kiosk(args.venue, args.kiosk)
            print(f"kiosk {args.venue}/{args.kiosk} revoked")
        elif args.command == "user":
            token = registry.add_user(args.name, Role(args.role), args.venue)
            print(f"{args.role} {args.name} token (shown once): {token}")
        elif args.command == "pass" and args.pass_command == "issue":
            text, pass_id = registry.issue_pass(
                args.name,
                valid_for=args.valid_for,
                birth_year=args.birth_year,
                category=args.category,
            )
            print(text)
            print(f"pass id {pass_id}", file=sys.stderr)
            if args.png:
                import segno

                segno.make(text, error="m").save(str(args.png), scale=8, border=4)
        elif args.command == "pass":
            registry.revoke_pass(args.pass_id, args.reason)
            print(f"pass {args.pass_id} revoked")
        elif args.command == "keys":
            print(f"new signing key {registry.rotate_keys()}")
        elif args.command == "retention":
            print(json.dumps(registry.purge()))
    except RegistryError as exc:
        print(f"kiosk-registry: {exc}", file=sys.stderr)
        return 1
    return 0
