"""The registry's data map for a venue's impact assessment, from its settings and database."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from registry.core.consent import CURRENT as CONSENT_VERSION
from registry.db.models import Kiosk, Principal, Venue
from registry.settings import Settings

HEADER = (
    "| Dữ liệu / Data | Ở đâu / Where | Ai xem / Who sees it | Lưu bao lâu / Kept | "
    "Cơ sở / Basis | Biện pháp bảo vệ / Safeguards |"
)


def _store(engine: Engine) -> str:
    url = engine.url
    if engine.dialect.name == "postgresql":
        return f"PostgreSQL {url.host or 'local'}/{url.database}"
    return f"SQLite {url.database} (0600, folder 0700)"


def rows(settings: Settings, engine: Engine) -> list[tuple[str, ...]]:
    """One row per kind of data the registry keeps, as its settings make it."""
    store = _store(engine)
    days, audit = settings.retention_days, settings.audit_retention_days
    replica = " and its read replica" if settings.replica_url else ""
    return [
        (
            "Check-in records: masked name, subject (pass id, QID, keyed ID hash), venue, "
            "kiosk, direction, verdict, reason, time",
            store + replica,
            "venue controllers (their venues, masked); health officers (traces, audited with "
            "a reason)",
            f"{days} days (REGISTRY_RETENTION_DAYS)",
            "the venue's legal duty / legitimate task of entry control",
            "ID numbers only as a keyed HMAC under a secret outside the database; sealed IDs "
            "opened at ingest and never stored",
        ),
        (
            "Health declarations: full name, phone, keyed ID hash, symptoms and contact "
            "answers, pass issued, consent (version, time)",
            store,
            "health officers through traces; the person (export)",
            f"{days} days",
            f"explicit consent (text version {CONSENT_VERSION}, unticked box)",
            "in clear only the masked name; full name, phone and answers sealed "
            "(ChaCha20-Poly1305) under keys/declarations.key, never in the database; the ID "
            "number never stored; erased on request with its consent evidence",
        ),
        (
            "Issued passes: pass id, keyed ID hash, validity, device secret's hash",
            store,
            "the registry (revocation, deny list)",
            f"until {days} days after they expire",
            "as the declaration",
            "signed (ES256); the device secret stored as SHA-256 only",
        ),
        (
            "Deny entries: pass ids, keyed ID hashes (with the ID sealed), reason, expiry",
            store + "; signed lists sent to every kiosk",
            "health officers (list, lift); kiosks learn only 'refuse privately'",
            f"until they expire (ID bars default {settings.deny_id_days} days)",
            "public-health order of the competent authority",
            "kiosks get scrypt keys salted per list version, no reason",
        ),
        (
            "Self check-ins by phone: pass id, venue, in/out times",
            store,
            "the registry (occupancy)",
            "2 days",
            "as check-in records",
            "a pass checks in only from the phone that holds its secret",
        ),
        (
            "Audit log: who traced, barred, exported or erased, when, why, the subject as a "
            "keyed hash",
            store,
            "admins",
            f"{audit} days (REGISTRY_AUDIT_RETENTION_DAYS)",
            "the controller's duty to show lawful processing",
            "after an erasure the subject is replaced by erased:request-N",
        ),
        (
            "Data subjects' requests: kind, when asked, deadlines, when answered, rows done",
            store,
            "admins",
            f"{audit} days",
            "the controller's duty to answer requests (Nghị định 356/2025/NĐ-CP)",
            "nothing that names or keys the person",
        ),
        (
            "Staff accounts and browser sessions: name, role, venues, token hash",
            store,
            "admins",
            f"accounts until disabled; sessions {settings.session_lifetime // 3600} hours",
            "the controller's legitimate interest (access control)",
            "tokens stored as SHA-256 only; HttpOnly, SameSite=Strict cookies",
        ),
        (
            "Sign-in limits: keyed hash of the client address, failures",
            store,
            "nobody (counted by the server)",
            "1 day",
            "security of processing",
            "addresses keyed, never stored in clear; no access log",
        ),
        (
            "Day counts per venue and district: entries, exits, refusals",
            store,
            "admins, statistics",
            f"{audit} days",
            "not personal data (counts only)",
            "no subject, no name",
        ),
    ]


def markdown(settings: Settings, engine: Engine, controller: str, now: datetime) -> str:
    with Session(engine) as s:
        venues = s.scalar(select(func.count()).select_from(Venue)) or 0
        kiosks = s.scalar(select(func.count()).select_from(Kiosk)) or 0
        staff = (
            s.scalar(
                select(func.count())
                .select_from(Principal)
                .where(Principal.role != "kiosk", Principal.revoked_ms.is_(None))
            )
            or 0
        )
    purge = (
        f"every {settings.purge_interval} s inside `serve`"
        if settings.purge_interval
        else "only by `kiosk-registry retention purge` (REGISTRY_PURGE_INTERVAL=0)"
    )
    lines = [
        "# Sơ đồ dữ liệu / Data map: check-in registry",
        "",
        f"Generated {now.astimezone(UTC):%Y-%m-%d %H:%M} UTC from this registry's settings and "
        f"database ({_store(engine)}): {venues} venues, {kiosks} kiosks, {staff} staff "
        f"accounts. Controller: {controller}. For the venue's impact assessment (Nghị định "
        "356/2025/NĐ-CP); a starting point, not legal advice.",
        "",
        HEADER,
        "|---|---|---|---|---|---|",
    ]
    lines += [
        "| " + " | ".join(c.replace("|", "\\|") for c in r) + " |" for r in rows(settings, engine)
    ]
    lines += [
        "",
        f"Deletion: {purge}; after a purge or an erasure SQLite's WAL is checkpointed and freed "
        "pages are zeroed (secure_delete). Keys: {0} (subject secret, sealing key, list and "
        "issuer keys; never in the database). Requests: `kiosk-registry subject`, "
        "/admin/subjects. Backups and PostgreSQL's WAL archive keep what they hold for as long "
        "as they are kept: see docs/privacy.md.".format(settings.keys_dir),
    ]
    return "\n".join(lines) + "\n"
