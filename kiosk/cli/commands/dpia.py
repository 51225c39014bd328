"""`kiosk dpia --config FILE`: this door's data map, from its own configuration, as Markdown."""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kiosk.cli.options import EXIT_OK, add_config, load

if TYPE_CHECKING:
    from kiosk.config import Config

HEADER = (
    "| Dữ liệu / Data | Ở đâu / Where | Ai xem / Who sees it | Lưu bao lâu / Kept | "
    "Biện pháp bảo vệ / Safeguards |"
)


def _days(seconds: float) -> str:
    days = seconds / 86400
    return f"{days:g} days" if days >= 1 else f"{seconds / 3600:g} hours"


def _cell(text: str) -> str:
    # A config's words (a venue's name) must not break the table.
    return text.replace("|", "\\|").replace("\n", " ")


def _mode(path: Path) -> str:
    """The database file's mode as it is on disk: a claim the map can back."""
    try:
        mode = os.stat(path).st_mode & 0o777
    except OSError:
        return "not created yet"
    if mode & 0o077:
        return f"mode {mode:o}: READABLE BY OTHERS, run chmod 600 {path}"
    return f"mode {mode:o}"


def rows(cfg: Config) -> list[tuple[str, str, str, str, str]]:
    """The data this door processes, as its configuration makes it: one row per kind."""
    kept = _days(cfg.storage.retention)
    kinds = ", ".join(k.value for k in cfg.policy.admit_kinds)
    out = [
        (
            "Camera frames",
            f"memory only ({cfg.camera.type}); "
            + ("the idle screen shows the live view" if cfg.display.preview else "not shown"),
            "the decoder; people in front of the screen (preview)",
            "until the next frame (never written to disk)",
            "no frame, face or card image is stored or sent",
        ),
        (
            f"Codes read ({kinds})",
            "memory, while one decision is made",
            "the kiosk's policy",
            "the decision (well under a second)",
            "a full name becomes the masked form (Nguyễn V** A); a chip card's ID number is "
            "sealed to the registry's key (X25519 + ChaCha20-Poly1305, fresh each time) and "
            "never kept in clear; the card itself is never held",
        ),
        (
            "Check-in records: masked name, subject (pass id, QID or sealed ID), time, "
            "direction, verdict, reason",
            f"SQLite {cfg.storage.path} ({_mode(cfg.storage.path)})",
            "the venue's admin on the device; the registry once synced",
            f"{kept} (storage.retention), purged hourly",
            "no ID number and no key that could check one on the kiosk; logs show "
            "subjects truncated",
        ),
        (
            "Screen: masked name, birth year, category",
            f"the display ({cfg.display.mode})",
            "the guard and whoever stands by the door",
            f"{cfg.display.pass_hold:g} s (PASS), {cfg.display.fail_hold:g} s (FAIL)",
            "a FAIL that would reveal health status or a bar looks like 'please see the staff'",
        ),
        (
            "Signed lists: trust list, deny list (pass ids, scrypt keys of barred ID numbers)",
            f"SQLite {cfg.storage.path}",
            "the kiosk's policy",
            "until the next version replaces it",
            "signed by the registry; ID entries as scrypt keys salted per version, with no reason",
        ),
    ]
    if cfg.trust.deny_list is not None:
        out.append(
            (
                "The venue's own deny list: pass ids, QIDs, ID numbers and reasons the venue wrote",
                f"{cfg.trust.deny_list} (YAML, the venue's file)",
                "the venue's admin; the kiosk's policy",
                "until the venue removes an entry",
                "an ID number written there is in clear in that file: prefer a health "
                "officer's bar at the registry (sealed, expiring)",
            )
        )
    if cfg.registry is not None:
        secure = all(u.startswith("https://") for u in cfg.registry.url)
        out.append(
            (
                "Records sent to the registry (as above)",
                _cell(", ".join(cfg.registry.url)),
                "the registry's controllers (masked), health officers (traces, audited)",
                "the registry's own retention (`kiosk-registry dpia`)",
                ("TLS" if secure else "PLAIN HTTP: use https:// outside a closed network")
                + "; the kiosk's token stored hashed at the registry",
            )
        )
    if cfg.peers is not None:
        out.append(
            (
                "Peers' records: direction, verdict, time, masked name and a keyed tag of the "
                "subject (anti-passback, roll call); roll-call marks (who ticked whom)",
                f"the venue's LAN ({len(cfg.peers.addresses)} peers); a ledger beside "
                f"{cfg.storage.path}",
                "the venue's other kiosks; staff at the roll call",
                "2 days",
                "encrypted datagrams under the venue's peer secret; no subject in clear; an "
                "erasure deletes the copies of the records the registry received",
            )
        )
    if cfg.door.hook is not None:
        out.append(
            (
                "Decision notices: venue, kiosk, verdict, reason, direction, record id, time",
                _cell(cfg.door.hook.url),
                "the building system at that URL",
                "as that system keeps them (outside this project)",
                "no name and no subject are sent",
            )
        )
    if cfg.guard.pin_hash is not None:
        out.append(
            (
                "Manual admits: the guard's reason"
                + (", and the name typed (stored masked)" if cfg.guard.ask_name else ""),
                f"SQLite {cfg.storage.path}, as a check-in record",
                "as check-in records",
                kept,
                "behind the guard's PIN (PBKDF2 hash in the config)",
            )
        )
    return out


def markdown(cfg: Config, source: str, now: float) -> str:
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(now))
    lines = [
        f"# Sơ đồ dữ liệu / Data map: {_cell(cfg.venue.name)} — kiosk {cfg.kiosk.id}",
        "",
        f"From `{source}` on {when}. Controller: the venue ({_cell(cfg.venue.name)}, id "
        f"`{cfg.venue.id}`). Purpose: entry control at the {cfg.kiosk.direction.value} door, "
        "and contact tracing by health officers through the registry. For the venue's impact "
        "assessment (Nghị định 356/2025/NĐ-CP); a starting point, not legal advice.",
        "",
        HEADER,
        "|---|---|---|---|---|",
    ]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows(cfg)]
    lines += [
        "",
        f"Retention: one setting, `storage.retention` = {_days(cfg.storage.retention)}. "
        "A person's requests are answered at the registry (`kiosk-registry subject`).",
    ]
    return "\n".join(lines) + "\n"


def run(args: argparse.Namespace) -> int:
    cfg = load(args.config)
    sys.stdout.write(markdown(cfg, str(args.config), time.time()))
    return EXIT_OK


def register(sub: Any) -> None:
    c = sub.add_parser(
        "dpia",
        help="this door's data map for the venue's impact assessment (Markdown)",
        description="Print what this kiosk processes, where, who sees it, for how long and "
        "with which safeguards, from its configuration, as Markdown to attach to the venue's "
        "data protection impact assessment.",
    )
    add_config(c)
    c.set_defaults(func=run)
