"""`kiosk-registry subject` (a person's requests, from the shell) and `kiosk-registry dpia`."""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from registry.core.subjects import Answer, Lookup
    from registry.service import Registry


def _lookup(args: argparse.Namespace) -> tuple[Lookup, str]:
    from registry.core.subjects import Lookup

    if args.id_number is not None:
        # "-": from standard input, so the number is in no shell history or process list.
        value = sys.stdin.readline() if args.id_number == "-" else args.id_number
        return Lookup.ID_NUMBER, value
    if args.pass_id is not None:
        return Lookup.PASS, args.pass_id
    return Lookup.DECLARATION, args.declaration


def _answer(registry: Registry, args: argparse.Namespace, kind: str) -> Answer:
    from registry.core.subjects import RequestKind

    lookup, value = _lookup(args)
    return registry.subjects.answer(
        f"cli:{getpass.getuser()}", RequestKind(kind), lookup, value, asked_ms=_asked(args)
    )


def _asked(args: argparse.Namespace) -> int | None:
    """--asked: when the person asked (epoch ms), if not now."""
    from registry.core.common import parse_iso_ms
    from registry.service import RegistryError

    if not args.asked:
        return None
    try:
        return parse_iso_ms(args.asked)
    except ValueError:
        raise RegistryError(f"--asked: not an ISO time: {args.asked[:40]!r}") from None


def _write_private(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
        fh.write(text)


def cmd_find(registry: Registry, args: argparse.Namespace) -> None:
    answer = _answer(registry, args, "find")
    print(json.dumps({"request": answer.request, "found": answer.held.counts()}, indent=2))


def cmd_export(registry: Registry, args: argparse.Namespace) -> None:
    from registry.core.subject_export import controller, export_csv, where_kept

    answer = _answer(registry, args, "export")
    where = where_kept(registry.engine)
    if args.out.suffix.lower() == ".pdf":
        from registry.core.subject_pdf import export_pdf

        fd = os.open(args.out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(export_pdf(answer, where, controller()))
    else:
        _write_private(args.out, export_csv(answer, where, controller()))
    print(json.dumps({"request": answer.request, "found": answer.held.counts()}, indent=2))
    print(f"export written to {args.out} (mode 0600): give it to the person", file=sys.stderr)


def cmd_erase(registry: Registry, args: argparse.Namespace) -> None:
    from registry.service import RegistryError

    if not args.yes:
        raise RegistryError("erasure cannot be undone: run `subject find` first, then add --yes")
    answer = _answer(registry, args, "erase")
    print(json.dumps({"request": answer.request, "erased": answer.erased}, indent=2))


def cmd_correct(registry: Registry, args: argparse.Namespace) -> None:
    asked = _asked(args)
    lookup, value = _lookup(args)
    answer = registry.subjects.correct(
        f"cli:{getpass.getuser()}", lookup, value, name=args.name, phone=args.phone, asked_ms=asked
    )
    print(json.dumps({"request": answer.request}, indent=2))


def cmd_withdraw(registry: Registry, args: argparse.Namespace) -> None:
    asked = _asked(args)
    lookup, value = _lookup(args)
    answer = registry.subjects.withdraw(f"cli:{getpass.getuser()}", lookup, value, asked_ms=asked)
    print(json.dumps({"request": answer.request}, indent=2))


def cmd_requests(registry: Registry, args: argparse.Namespace) -> None:
    print(json.dumps(registry.subjects.requests(args.limit), indent=2))


def cmd_dpia(registry: Registry, args: argparse.Namespace) -> None:
    from datetime import UTC, datetime

    from registry.core.dpia import markdown
    from registry.core.subject_export import controller

    sys.stdout.write(markdown(registry.settings, registry.engine, controller(), datetime.now(UTC)))


def _who(c: argparse.ArgumentParser) -> None:
    which = c.add_mutually_exclusive_group(required=True)
    which.add_argument(
        "--id-number", help="the person's ID number; '-' reads it from standard input (better)"
    )
    which.add_argument("--pass", dest="pass_id", help="a pass id (hex), as on the pass")
    which.add_argument("--declaration", help="a health declaration's number")
    c.add_argument(
        "--asked", help="when the person asked (ISO time; default now): the deadlines run from it"
    )


def add_subject_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    group = sub.add_parser(
        "subject", help="a person's requests about their data (recorded, with deadlines)"
    ).add_subparsers(dest="subject_command", required=True)
    c = group.add_parser("find", help="what is held about one person, by kind (audited)")
    _who(c)
    c.set_defaults(handler=cmd_find)
    c = group.add_parser(
        "export",
        help="the person's copy: a PDF or a CSV, a cover sheet in Vietnamese first (audited)",
    )
    _who(c)
    c.add_argument(
        "--out",
        type=Path,
        required=True,
        help="the file to write (mode 0600): FILE.pdf for a PDF to read, else a CSV",
    )
    c.set_defaults(handler=cmd_export)
    c = group.add_parser(
        "erase",
        help="delete one person's records, declarations, passes, deny entries; the audit log "
        "keeps its entries with the person's reference replaced (audited)",
    )
    _who(c)
    c.add_argument("--yes", action="store_true", help="yes, erase: it cannot be undone")
    c.set_defaults(handler=cmd_erase)
    c = group.add_parser(
        "correct",
        help="correct the name or phone a person declared, in each of their declarations (audited)",
    )
    _who(c)
    c.add_argument("--name", help="the name as it should be")
    c.add_argument("--phone", help="the phone number as it should be")
    c.set_defaults(handler=cmd_correct)
    c = group.add_parser(
        "withdraw",
        help="the person withdraws consent (or objects): their declarations deleted, the "
        "passes from them revoked; door records stay (another basis) (audited)",
    )
    _who(c)
    c.set_defaults(handler=cmd_withdraw)
    c = group.add_parser("requests", help="the requests recorded, with their deadlines")
    c.add_argument("--limit", type=int, default=100)
    c.set_defaults(handler=cmd_requests)
    c = sub.add_parser(
        "dpia",
        help="the registry's data map for the venue's impact assessment (Markdown)",
    )
    c.set_defaults(handler=cmd_dpia)
