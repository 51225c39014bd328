"""`kiosk-registry`: run and administer the check-in registry."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from checkin_protocol.times import parse_duration, utc_iso
from registry.auth import Role
from registry.backup_cli import add_backup_commands
from registry.settings import Settings
from registry.subject_cli import add_subject_commands

if TYPE_CHECKING:
    from registry.service import Registry

Handler = Callable[["Registry", argparse.Namespace], None]


def _duration(value: str) -> int:
    try:
        return int(parse_duration(value))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _workers(value: str) -> int:
    if not value.isdigit() or not 1 <= int(value) <= 64:
        raise argparse.ArgumentTypeError("a number of processes from 1 to 64")
    return int(value)


def _dcc_hash(value: str) -> str:
    import re

    from registry.core.dcc import DCC_HASH_PATTERN

    if not re.fullmatch(DCC_HASH_PATTERN, value):
        raise argparse.ArgumentTypeError(
            f"{value!r} is not a DCC hash: 16 bytes in base64 (22 characters and '==')"
        )
    return value


def _revoke_days(value: str) -> int:
    from registry.core.dcc import MAX_REVOKE_DAYS

    try:
        days = int(value)
    except ValueError:
        days = 0
    if not 1 <= days <= MAX_REVOKE_DAYS:
        raise argparse.ArgumentTypeError(
            f"{value!r}: a whole number of days, 1 to {MAX_REVOKE_DAYS}"
        )
    return days


def _write_token(path: Path, token: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(token + "\n")


# ------------------------------------------------------------------ one handler per command


def cmd_init(registry: Registry, args: argparse.Namespace) -> None:
    from registry.service import RegistryError

    registry.init()
    keys = registry.settings.keys_dir
    print(f"registry ready in {registry.settings.data_dir} ({registry.engine.dialect.name})")
    print(f"list-signing public key for kiosks: {keys / 'lists.pub'}")
    # subject.key stays here: kiosks seal ID numbers to the key the deny list carries.
    print(f"registry-only secrets, never copied to kiosks: {keys / 'subject.key'}, seal.key")
    try:
        print(f"admin token (shown once): {registry.add_user('admin', Role.ADMIN, by=_officer())}")
    except RegistryError:
        print("admin exists")


def cmd_migrate(registry: Registry, args: argparse.Namespace) -> None:
    registry.init()
    print(f"registry schema and keys up to date in {registry.settings.data_dir}")


def cmd_serve(registry: Registry, args: argparse.Namespace) -> None:
    import uvicorn

    app: Any
    if args.workers == 1:
        from registry.app import create_app

        registry.init()  # one process: it migrates, under the set-up lock
        app = create_app(registry)
    else:
        if registry.engine.dialect.name != "postgresql":
            # SQLite has one writer: more processes would only queue for it.
            print("kiosk-registry: --workers needs PostgreSQL (--db)", file=sys.stderr)
            raise SystemExit(2)
        # Workers never migrate: `kiosk-registry migrate` is its own step, run once.
        why = registry.not_ready()
        if why:
            print(f"kiosk-registry: {why}: run `kiosk-registry migrate` first", file=sys.stderr)
            raise SystemExit(2)
        registry.engine.dispose()  # the workers open their own
        # The workers' factory reads the same data folder and database from the environment.
        os.environ["REGISTRY_DATA"] = str(registry.settings.data_dir)
        os.environ["REGISTRY_DB"] = registry.settings.database_url
        app = "registry.app:factory"
    uvicorn.run(
        app,
        factory=args.workers > 1,
        workers=args.workers,
        host=args.host,
        port=args.port,
        log_level="warning",
        # No access log: its lines carry query strings (a traced subject) and addresses.
        access_log=False,
        # Whose X-Forwarded-For is believed (rate limits key on the client's address).
        forwarded_allow_ips=args.forwarded_allow_ips,
        proxy_headers=True,
        timeout_keep_alive=5,
    )


def cmd_openapi(registry: Registry, args: argparse.Namespace) -> None:
    from registry.app import create_app

    print(json.dumps(create_app(registry).openapi(), indent=2, sort_keys=True))


def cmd_venue_add(registry: Registry, args: argparse.Namespace) -> None:
    registry.add_venue(
        args.id,
        args.name,
        args.district,
        args.province,
        args.timezone,
        phone_occupancy=args.count_phones,
        by=_officer(),
    )
    print(f"venue {args.id} added")


def cmd_venue_phones(registry: Registry, args: argparse.Namespace) -> None:
    registry.accounts.set_phone_occupancy(args.id, args.count == "on")
    where = "door records and phones" if args.count == "on" else "door records only"
    print(f"venue {args.id}: its kiosks enforce max_occupancy from {where}")


def cmd_kiosk_add(registry: Registry, args: argparse.Namespace) -> None:
    token = registry.add_kiosk(args.venue, args.kiosk, by=_officer())
    if args.token_file:
        _write_token(args.token_file, token)
        print(f"kiosk {args.venue}/{args.kiosk} added; token in {args.token_file}")
    else:
        print(f"kiosk {args.venue}/{args.kiosk} token (shown once): {token}")
    _print_enrolment_code(registry, args.venue, args.kiosk)


def cmd_kiosk_enrol_code(registry: Registry, args: argparse.Namespace) -> None:
    _print_enrolment_code(registry, args.venue, args.kiosk)


def _print_enrolment_code(registry: Registry, venue: str, kiosk: str) -> None:
    """The code to type (or scan) at the kiosk: `sudo kiosk enroll CODE --registry URL`."""
    import segno

    from registry.core.common import iso_ms
    from registry.core.enrolment import Enrolments

    code, expires = Enrolments(registry.db, registry.keys).issue(venue, kiosk)
    print(f"enrolment code for {venue}/{kiosk}: {code} (single use, until {iso_ms(expires)})")
    print("on the kiosk: sudo /opt/qr-kiosk/venv/bin/kiosk enroll CODE --registry URL")
    print("(enrolling gives the kiosk a new token: any token printed before stops working)")
    # In the terminal too, for a phone held up to the screen; compact: two rows per line.
    segno.make(code, error="m").terminal(compact=True)


def cmd_kiosk_revoke(registry: Registry, args: argparse.Namespace) -> None:
    registry.revoke_kiosk(args.venue, args.kiosk, by=_officer())
    print(f"kiosk {args.venue}/{args.kiosk} revoked")


def cmd_user_add(registry: Registry, args: argparse.Namespace) -> None:
    token = registry.add_user(args.name, Role(args.role), args.venue, by=_officer())
    print(f"{args.role} {args.name} token (shown once): {token}")


def cmd_pass_issue(registry: Registry, args: argparse.Namespace) -> None:
    text, pass_id = registry.issue_pass(
        args.name, valid_for=args.valid_for, birth_year=args.birth_year, category=args.category
    )
    print(text)
    print(f"pass id {pass_id}", file=sys.stderr)
    if args.png:
        import segno

        segno.make(text, error="m").save(str(args.png), scale=8, border=4)


def cmd_pass_revoke(registry: Registry, args: argparse.Namespace) -> None:
    registry.revoke_pass(args.pass_id, args.reason)
    print(f"pass {args.pass_id} revoked")


def cmd_keys_rotate(registry: Registry, args: argparse.Namespace) -> None:
    print(f"new signing key {registry.rotate_keys()}")


def cmd_retention_purge(registry: Registry, args: argparse.Namespace) -> None:
    print(json.dumps(registry.purge()))


def cmd_status(registry: Registry, args: argparse.Namespace) -> None:
    status = registry.status()
    print(json.dumps(status, indent=2))
    for alarm in status["alarms"]:
        print(f"ALARM: {alarm}", file=sys.stderr)


def cmd_keys_revoke(registry: Registry, args: argparse.Namespace) -> None:
    new = registry.passes.revoke_key(args.kid)
    print(f"issuer key {args.kid} distrusted; its passes fail once kiosks fetch the trust list")
    if new:
        print(f"new signing key {new}")


def cmd_keys_list(registry: Registry, args: argparse.Namespace) -> None:
    print(json.dumps(registry.passes.keys_info(), indent=2))


def _officer() -> str:
    import getpass

    return f"cli:{getpass.getuser()}"


def cmd_deny_add(registry: Registry, args: argparse.Namespace) -> None:
    entry = registry.denials.deny_id(
        _officer(), args.id_number, reason_code=args.reason, days=args.days, public=args.public
    )
    print(json.dumps(entry))


def cmd_deny_list(registry: Registry, args: argparse.Namespace) -> None:
    from registry.core.audit import record_read

    found = registry.denials.entries()
    record_read(registry.db, _officer(), "deny_list_read", {}, len(found))
    print(json.dumps(found, indent=2))


def cmd_deny_lift(registry: Registry, args: argparse.Namespace) -> None:
    from checkin_protocol.records import Subject

    try:
        subject = (
            registry.keys.hasher()(args.subject)
            if args.subject.isdigit()
            else Subject.parse(args.subject)
        )
    except ValueError as exc:
        raise SystemExit(f"kiosk-registry: {exc}") from None
    registry.denials.lift(_officer(), subject)
    print(f"{subject.masked()} lifted")


def cmd_dcc_import(registry: Registry, args: argparse.Namespace) -> None:
    """DSCs from PEM/DER files or EU gateway trust lists (JSON); exit 2 on any refusal."""
    from registry.service import RegistryError

    try:
        result = registry.dcc.import_files(args.files, _officer())
    except RegistryError as exc:
        print(f"kiosk-registry: dcc import refused, nothing imported: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    for note in result.skipped:
        print(f"skipped (expired): {note}", file=sys.stderr)
    for dsc in result.added:
        until = utc_iso(dsc.not_after)
        print(f"imported DSC kid {dsc.kid.hex()} ({dsc.country or '?'}), valid until {until}")
    print(
        f"{len(result.added)} imported, {result.known} already known, "
        f"{len(result.skipped)} expired skipped; kiosks get them with the next trust list"
    )


def cmd_dcc_list(registry: Registry, args: argparse.Namespace) -> None:
    print(json.dumps(registry.dcc.listed(), indent=2))


def cmd_dcc_remove(registry: Registry, args: argparse.Namespace) -> None:
    removed = registry.dcc.remove(_officer(), args.kid)
    print(f"removed {removed} DSC{'s' * (removed > 1)} with kid {args.kid.lower()}; "
          "kiosks drop it with the next trust list")  # fmt: skip


def _kid(value: str) -> str:
    if len(value) != 16 or any(c not in "0123456789abcdefABCDEF" for c in value):
        raise argparse.ArgumentTypeError(
            f"{value!r} is not a DSC kid: 16 hex digits, as `dcc list` shows it"
        )
    return value


def cmd_dcc_revoke(registry: Registry, args: argparse.Namespace) -> None:
    from checkin_protocol.dcc import HashType

    kind = HashType(args.hash_type)
    if args.lift:
        registry.dcc.unrevoke(_officer(), args.hash, kind)
        print(f"revocation of {args.hash} lifted")
    else:
        print(json.dumps(registry.dcc.revoke(_officer(), args.hash, kind, args.days)))


def add_dcc_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    dcc = _group(sub, "dcc")
    c = _command(
        dcc,
        "import",
        cmd_dcc_import,
        "trust DCC signer certificates: PEM/DER files or an EU gateway trust list (JSON)",
    )
    c.add_argument("files", type=Path, nargs="+")
    _command(dcc, "list", cmd_dcc_list, "the DCC signer certificates kiosks are sent")
    c = _command(
        dcc, "remove", cmd_dcc_remove, "stop trusting an imported DSC (the next trust list)"
    )
    c.add_argument("kid", type=_kid, help="the DSC's kid, 16 hex digits, as `dcc list` shows it")
    c = _command(
        dcc, "revoke", cmd_dcc_revoke, "refuse a DCC at every kiosk by its revocation hash"
    )
    c.add_argument(
        "hash", type=_dcc_hash, help="SHA-256 of the hashed value, first 16 bytes, base64"
    )
    c.add_argument(
        "--hash-type",
        choices=["UCI", "COUNTRYCODEUCI", "SIGNATURE"],
        default="UCI",
        help="what was hashed: the UVCI, issuer country + UVCI, or the signature",
    )
    c.add_argument("--days", type=_revoke_days, default=366, help="how long the entry lasts")
    c.add_argument("--lift", action="store_true", help="take the revocation off instead")


def cmd_user_list(registry: Registry, args: argparse.Namespace) -> None:
    print(json.dumps(registry.accounts.users(), indent=2))


def cmd_user_disable(registry: Registry, args: argparse.Namespace) -> None:
    registry.accounts.disable_user(args.name, by=_officer())
    print(f"{args.name} disabled")


def cmd_user_reset_token(registry: Registry, args: argparse.Namespace) -> None:
    print(
        f"{args.name} token (shown once): {registry.accounts.reset_token(args.name, by=_officer())}"
    )


# ------------------------------------------------------------------ the command line


def _group(sub: argparse._SubParsersAction[argparse.ArgumentParser], name: str) -> Any:
    return sub.add_parser(name).add_subparsers(dest=f"{name}_command", required=True)


def _command(
    sub: argparse._SubParsersAction[argparse.ArgumentParser],
    name: str,
    handler: Handler,
    help: str | None = None,
) -> argparse.ArgumentParser:
    c = sub.add_parser(name, help=help)
    c.set_defaults(handler=handler)
    return c


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="kiosk-registry", description="QR check-in registry")
    p.add_argument("--data", type=Path, help="data folder (keys, SQLite); env REGISTRY_DATA")
    p.add_argument(
        "--db", help="SQLAlchemy URL, e.g. postgresql+psycopg://user@host/db; env REGISTRY_DB"
    )
    sub = p.add_subparsers(dest="command", required=True)

    _command(
        sub, "init", cmd_init, "create the database schema and keys; prints an admin token once"
    )
    c = _command(sub, "serve", cmd_serve, "serve the HTTP API and pages")
    c.add_argument("--host", default="127.0.0.1")
    c.add_argument("--port", type=int, default=8800)
    c.add_argument(
        "--forwarded-allow-ips",
        default="127.0.0.1",
        help="proxies whose X-Forwarded-For names the client (comma-separated, or '*')",
    )
    c.add_argument(
        "--workers",
        type=_workers,
        default=1,
        help="worker processes (1-64); more than one needs `kiosk-registry migrate` first",
    )
    _command(
        sub,
        "migrate",
        cmd_migrate,
        "bring the database schema to the newest migration and create missing keys (locked)",
    )
    _command(sub, "status", cmd_status, "row counts, deny-list size against its budget, alarms")
    _command(sub, "openapi", cmd_openapi, "print the OpenAPI document")

    venue = _group(sub, "venue")
    c = _command(venue, "add", cmd_venue_add)
    c.add_argument("id")
    c.add_argument("--name", required=True)
    c.add_argument("--district", default="")
    c.add_argument("--province", default="")
    c.add_argument("--timezone", default="Asia/Ho_Chi_Minh", help="IANA zone; 'today' starts here")
    c.add_argument(
        "--count-phones",
        action="store_true",
        help="self check-ins by phone count in the occupancy the kiosks enforce (default: "
        "door records only)",
    )
    c = _command(
        venue,
        "phones",
        cmd_venue_phones,
        "whether the venue's self check-ins by phone count in the occupancy its kiosks enforce",
    )
    c.add_argument("id")
    c.add_argument("count", choices=("on", "off"))

    kiosk = _group(sub, "kiosk")
    c = _command(
        kiosk, "add", cmd_kiosk_add, "register a kiosk; prints its token once and an enrolment code"
    )
    c.add_argument("venue")
    c.add_argument("kiosk")
    c.add_argument("--token-file", type=Path, help="write the token here (mode 0600) instead")
    c = _command(
        kiosk, "enrol-code", cmd_kiosk_enrol_code, "a new enrolment code (the older one stops)"
    )
    c.add_argument("venue")
    c.add_argument("kiosk")
    c = _command(kiosk, "revoke", cmd_kiosk_revoke)
    c.add_argument("venue")
    c.add_argument("kiosk")

    user = _group(sub, "user")
    c = _command(
        user,
        "add",
        cmd_user_add,
        "an admin, venue controller or health officer; prints a token once",
    )
    c.add_argument("name")
    c.add_argument("--role", choices=[r.value for r in Role if r is not Role.KIOSK], required=True)
    c.add_argument("--venue", action="append", default=[], help="a controller's venue (repeatable)")
    _command(user, "list", cmd_user_list, "users (not kiosks), their roles, whether disabled")
    c = _command(user, "disable", cmd_user_disable, "the user's token stops working at once")
    c.add_argument("name")
    c = _command(user, "reset-token", cmd_user_reset_token, "a new token; the old one stops")
    c.add_argument("name")

    pas = _group(sub, "pass")
    c = _command(pas, "issue", cmd_pass_issue)
    c.add_argument("--name", required=True)
    c.add_argument("--birth-year", type=int)
    c.add_argument("--category")
    c.add_argument("--valid-for", type=_duration, default=30 * 86400)
    c.add_argument("--png", type=Path)
    c = _command(pas, "revoke", cmd_pass_revoke)
    c.add_argument("pass_id")
    c.add_argument("--reason", default="revoked")

    keys = _group(sub, "keys")
    _command(
        keys,
        "rotate",
        cmd_keys_rotate,
        "new pass-signing key; the old one is trusted until the last pass it signed expires",
    )
    c = _command(keys, "revoke", cmd_keys_revoke, "distrust an issuer key at once (compromised)")
    c.add_argument("kid")
    _command(keys, "list", cmd_keys_list, "issuer keys: active, trusted, until when")

    deny = _group(sub, "deny")
    c = _command(deny, "add", cmd_deny_add, "bar an ID number at every kiosk for a time (audited)")
    c.add_argument("id_number")
    c.add_argument("--days", type=int, help="default: REGISTRY_DENY_ID_DAYS (14)")
    c.add_argument("--reason", default="health_order")
    c.add_argument("--public", action="store_true", help="the kiosk may show the reason")
    _command(deny, "list", cmd_deny_list, "deny entries in force")
    c = _command(deny, "lift", cmd_deny_lift, "take an entry off at once (audited)")
    c.add_argument("subject", help="pass:…/qid:…/idh:… or an ID number")

    add_dcc_commands(sub)
    add_subject_commands(sub)
    add_backup_commands(sub)

    ret = _group(sub, "retention")
    _command(
        ret,
        "purge",
        cmd_retention_purge,
        "delete what is past its retention (serve also does this every few minutes)",
    )
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from registry.service import Registry, RegistryError

    # Whatever this command creates (database, keys, token files) is the owner's alone; the
    # mask is put back after, for a caller running commands in-process.
    umask = os.umask(0o077)
    try:
        registry = Registry(Settings.load(args.data, args.db))
        try:
            args.handler(registry, args)
        except RegistryError as exc:
            print(f"kiosk-registry: {exc}", file=sys.stderr)
            return 1
        return 0
    finally:
        os.umask(umask)
