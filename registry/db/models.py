"""The registry's tables; times are epoch milliseconds (BIGINT): portable, cheap to range-scan."""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, Text, false
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Venue(Base):
    __tablename__ = "venues"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    district: Mapped[str] = mapped_column(String(100), default="")
    province: Mapped[str] = mapped_column(String(100), default="")
    created_ms: Mapped[int] = mapped_column(BigInteger)
    timezone: Mapped[str] = mapped_column(String(64), server_default="Asia/Ho_Chi_Minh")
    # Whether the phones' self check-ins count in the occupancy the venue's kiosks enforce.
    # Off unless the venue asks: a phone is not a door, and anyone may hold a pass.
    phone_occupancy: Mapped[bool] = mapped_column(Boolean, server_default=false(), default=False)


class Kiosk(Base):
    __tablename__ = "kiosks"
    venue_id: Mapped[str] = mapped_column(ForeignKey("venues.id"), primary_key=True)
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    created_ms: Mapped[int] = mapped_column(BigInteger)
    last_seen_ms: Mapped[int | None] = mapped_column(BigInteger)
    version: Mapped[str | None] = mapped_column(String(32))
    queue_depth: Mapped[int | None] = mapped_column(Integer)
    last_decision: Mapped[str | None] = mapped_column(String(32))
    clock_offset_ms: Mapped[int | None] = mapped_column(BigInteger)
    trust_version: Mapped[int | None] = mapped_column(Integer)
    deny_version: Mapped[int | None] = mapped_column(Integer)


class Principal(Base):
    """Whoever holds a token: an admin, a venue controller, a health officer or a kiosk."""

    __tablename__ = "principals"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    role: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(100), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)  # SHA-256 hex, never the token
    venues: Mapped[str] = mapped_column(Text, default="")  # controller: comma-separated venue ids
    kiosk_venue: Mapped[str | None] = mapped_column(String(64))
    kiosk_id: Mapped[str | None] = mapped_column(String(64))
    created_ms: Mapped[int] = mapped_column(BigInteger)
    revoked_ms: Mapped[int | None] = mapped_column(BigInteger)


class Record(Base):
    __tablename__ = "records"
    # Unique per kiosk, not globally: a kiosk's UUID cannot deny another kiosk's record.
    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # the kiosk's UUID
    venue_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    kiosk_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger)
    direction: Mapped[str] = mapped_column(String(8))
    code_kind: Mapped[str] = mapped_column(String(16))
    subject: Mapped[str | None] = mapped_column(String(80))
    masked_name: Mapped[str | None] = mapped_column(String(100))
    verified: Mapped[bool] = mapped_column(Boolean)
    verdict: Mapped[str] = mapped_column(String(4))
    reason: Mapped[str | None] = mapped_column(String(32))
    manual: Mapped[bool] = mapped_column(Boolean, default=False)
    source: Mapped[str] = mapped_column(String(16), default="camera", server_default="camera")
    # The kiosk's time corrected by the batch's clock offset; the kiosk's own is this minus it.
    created_ms: Mapped[int] = mapped_column(BigInteger)
    created_mono_ns: Mapped[int] = mapped_column(BigInteger)
    boot_id: Mapped[str] = mapped_column(String(64))
    clock_offset_ms: Mapped[int | None] = mapped_column(BigInteger)
    received_ms: Mapped[int] = mapped_column(BigInteger)
    # The kiosk's own time, as sent: stable when a record is resent, unlike created_ms. On
    # PostgreSQL, records are partitioned by its UTC day and it is part of the primary key
    # (a partitioned table's must hold the partition key): migration 0012, db.partitions.
    kiosk_ms: Mapped[int | None] = mapped_column(BigInteger)

    __table_args__ = (
        Index("records_created", "created_ms"),
        # Covering: tracing reads a subject's visits and the others at each venue around them
        # from these alone, never the table; the live view's latest records come in order.
        # kiosk_ms last: PostgreSQL checks the partition bound on it (db.pruning) without
        # leaving the index (migration 0020).
        Index(
            "records_venue_trace",
            "venue_id",
            "created_ms",
            "verdict",
            "subject",
            "masked_name",
            "kiosk_ms",
        ),
        Index(
            "records_subject_trace",
            "subject",
            "created_ms",
            "verdict",
            "venue_id",
            "kiosk_id",
            "direction",
            "kiosk_ms",
        ),
    )


class SkewedDay(Base):
    """A (registry day, kiosk day) that records from a kiosk whose clock was off by more than
    the routed offset fall on: how tracing and the live view find them without visiting every
    day's partition (db.pruning). Day numbers only, nothing personal."""

    __tablename__ = "skewed_days"
    created_day: Mapped[int] = mapped_column(Integer, primary_key=True)  # of created_ms, UTC
    kiosk_day: Mapped[int] = mapped_column(Integer, primary_key=True)  # of kiosk_ms, UTC


class RoutedOffset(Base):
    """One row: the largest clock offset any registry process has left to the day partitions
    alone (not listed in skewed_days). Only ever raised, so a bound on it misses nothing
    ingested before."""

    __tablename__ = "routed_offset"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    offset_ms: Mapped[int] = mapped_column(BigInteger)


class SelfCheckin(Base):
    """Where a pass stands at a venue's self check-in: inside or not, since when. One row per
    pass and venue, so a phone checks in once, out only after an entry, and again only after
    a cooldown; the phones' count, kept apart from the doors' day counts."""

    __tablename__ = "self_checkins"
    venue_id: Mapped[str] = mapped_column(ForeignKey("venues.id"), primary_key=True)
    pass_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    inside: Mapped[bool] = mapped_column(Boolean)
    # The entry's verdict was PASS (not barred): only those count, where a venue opts in.
    admitted: Mapped[bool] = mapped_column(Boolean)
    entered_ms: Mapped[int] = mapped_column(BigInteger, index=True)
    left_ms: Mapped[int | None] = mapped_column(BigInteger)


class RecordDay(Base):
    """Records counted per local day of their venue, kept current at ingest: statistics read
    this, not millions of records. Counts only, nothing personal: kept as long as the audit log."""

    __tablename__ = "record_days"
    day: Mapped[str] = mapped_column(String(10), primary_key=True)  # YYYY-MM-DD, venue's zone
    venue_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    direction: Mapped[str] = mapped_column(String(8), primary_key=True)
    verdict: Mapped[str] = mapped_column(String(4), primary_key=True)
    count: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (Index("record_days_venue_day", "venue_id", "day"),)


class AreaDay(Base):
    """Records counted per district and local day, kept current at ingest with the day counts:
    statistics sum a few thousand of these, not a row per venue and day. Counts only."""

    __tablename__ = "area_days"
    day: Mapped[str] = mapped_column(String(10), primary_key=True)  # YYYY-MM-DD, venue's zone
    # The zone is part of the key: each venue's window is its own zone's last days.
    timezone: Mapped[str] = mapped_column(String(64), primary_key=True)
    province: Mapped[str] = mapped_column(String(100), primary_key=True)
    district: Mapped[str] = mapped_column(String(100), primary_key=True)
    direction: Mapped[str] = mapped_column(String(8), primary_key=True)
    verdict: Mapped[str] = mapped_column(String(4), primary_key=True)
    count: Mapped[int] = mapped_column(BigInteger)


class ListVersion(Base):
    __tablename__ = "list_versions"
    name: Mapped[str] = mapped_column(String(16), primary_key=True)
    version: Mapped[int] = mapped_column(Integer)


class SignedList(Base):
    """A list document as signed and served: every process of the registry serves these
    bytes for this version (a signature is random: each signing gives other bytes)."""

    __tablename__ = "signed_lists"
    name: Mapped[str] = mapped_column(String(16), primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    issued_s: Mapped[int] = mapped_column(BigInteger)  # the document's issued_at
    body: Mapped[str] = mapped_column(Text)


class DenyEntry(Base):
    __tablename__ = "deny_entries"
    subject: Mapped[str] = mapped_column(String(80), primary_key=True)
    reason_code: Mapped[str] = mapped_column(String(32))
    public: Mapped[bool] = mapped_column(Boolean, default=False)
    created_ms: Mapped[int] = mapped_column(BigInteger)
    # Every entry ends: a pass's when the pass would have expired, an ID number's when the
    # health officer said. Expired entries leave the list and the table.
    expires_ms: Mapped[int] = mapped_column(BigInteger, index=True)
    created_by: Mapped[str | None] = mapped_column(String(100))  # None: the registry itself
    # An ID entry's number sealed to the registry's own key (checkin_protocol.sealing): the
    # deny list gives kiosks a scrypt key of it, salted anew for each list version.
    sealed_id: Mapped[str | None] = mapped_column(String(80))
    # An entry an anonymous declaration made (a risk declared, a pass superseded): the keyed
    # hash of the client address, so the declarations' share of the budget is capped per
    # address. None: the health officers' share (their bars, and the passes those reach).
    requested_by: Mapped[str | None] = mapped_column(String(80), index=True)


class IssuerKey(Base):
    __tablename__ = "issuer_keys"
    kid: Mapped[str] = mapped_column(String(16), primary_key=True)
    alg: Mapped[str] = mapped_column(String(8))
    public_pem: Mapped[str] = mapped_column(Text)
    created_ms: Mapped[int] = mapped_column(BigInteger)
    retired_ms: Mapped[int | None] = mapped_column(BigInteger)
    # Once retired, trusted until the last pass it signed has expired.
    trusted_until_ms: Mapped[int | None] = mapped_column(BigInteger)


class DccSigner(Base):
    """A Document Signer Certificate trusted to sign EU Digital COVID Certificates (DCCs)."""

    __tablename__ = "dcc_signers"
    # SHA-256 of the DER, hex: two DSCs may share a kid (8 bytes), never a fingerprint.
    fingerprint: Mapped[str] = mapped_column(String(64), primary_key=True)
    kid: Mapped[str] = mapped_column(String(16), index=True)  # hex
    der: Mapped[str] = mapped_column(Text)  # base64
    country: Mapped[str | None] = mapped_column(String(8))
    not_after_ms: Mapped[int] = mapped_column(BigInteger, index=True)
    created_ms: Mapped[int] = mapped_column(BigInteger)


class IssuedPass(Base):
    __tablename__ = "issued_passes"
    pass_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    kid: Mapped[str] = mapped_column(ForeignKey("issuer_keys.kid"))
    issued_ms: Mapped[int] = mapped_column(BigInteger)
    valid_until_ms: Mapped[int] = mapped_column(BigInteger, index=True)
    revoked_ms: Mapped[int | None] = mapped_column(BigInteger)
    # A declaration's pass: the keyed hash of the ID number (an ID bar reaches its passes).
    id_hash: Mapped[str | None] = mapped_column(String(80), index=True)
    # SHA-256 of the secret the declaring device keeps: shown with the pass, it proves the
    # holder (a new declaration supersedes the pass, a phone checks in with it).
    device_hash: Mapped[str | None] = mapped_column(String(64))


class Declaration(Base):
    __tablename__ = "declarations"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    created_ms: Mapped[int] = mapped_column(BigInteger, index=True)
    # The masked name (`Trần T** H`); the full name, phone and answers are in `sealed`
    # (registry.core.sealed_fields). The three columns below hold them in clear only for
    # declarations made before migration 0023.
    name: Mapped[str] = mapped_column(String(100))
    id_hash: Mapped[str] = mapped_column(String(80), index=True)  # keyed hash, never the number
    phone: Mapped[str | None] = mapped_column(String(20))
    symptoms: Mapped[bool | None] = mapped_column(Boolean)
    contact: Mapped[bool | None] = mapped_column(Boolean)
    sealed: Mapped[str | None] = mapped_column(Text)
    pass_id: Mapped[str] = mapped_column(String(32))
    # The evidence of consent (registry.core.consent): the text's version ticked, and when.
    consent_version: Mapped[str | None] = mapped_column(String(16))
    consent_ms: Mapped[int | None] = mapped_column(BigInteger)


class AuditEntry(Base):
    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at_ms: Mapped[int] = mapped_column(BigInteger, index=True)
    principal: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(32))
    params: Mapped[str] = mapped_column(Text)
    results: Mapped[int] = mapped_column(Integer)


class WebSession(Base):
    """A browser's sign-in: its own random secret (stored hashed), never the API token."""

    __tablename__ = "web_sessions"
    secret_hash: Mapped[str] = mapped_column(String(64), primary_key=True)  # SHA-256 hex
    principal_id: Mapped[int] = mapped_column(ForeignKey("principals.id"), index=True)
    csrf: Mapped[str] = mapped_column(String(64))  # the forms' token for this session
    created_ms: Mapped[int] = mapped_column(BigInteger)
    expires_ms: Mapped[int] = mapped_column(BigInteger, index=True)


class LoginLimit(Base):
    """Failed sign-ins in the current window, per address or per account: in the database, so
    every worker process counts the same, and a restart forgets nothing."""

    __tablename__ = "login_limits"
    # "address:<keyed hash of the address or its /64>" or "account:<principal id>".
    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    window_ms: Mapped[int] = mapped_column(BigInteger, index=True)  # when the window began
    failures: Mapped[int] = mapped_column(Integer)


class SigninDevice(Base):
    """A browser that signed in to an account before (its cookie's secret, hashed): it is
    counted apart from its address, so someone else's failures there never lock it out."""

    __tablename__ = "signin_devices"
    secret_hash: Mapped[str] = mapped_column(String(64), primary_key=True)  # SHA-256 hex
    principal_id: Mapped[int] = mapped_column(ForeignKey("principals.id"), index=True)
    expires_ms: Mapped[int] = mapped_column(BigInteger, index=True)


class SubjectRequest(Base):
    """A person's request about their data (find, export, erase), as the law wants it kept:
    when it came, who recorded it, its deadlines, when it was answered and what was done.
    Nothing in it names or keys the person: it outlives what it erased."""

    __tablename__ = "subject_requests"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    asked_ms: Mapped[int] = mapped_column(BigInteger, index=True)  # when the person asked
    recorded_by: Mapped[str] = mapped_column(String(100))  # the operator or admin
    kind: Mapped[str] = mapped_column(String(16))  # find | export | erase
    lookup: Mapped[str] = mapped_column(String(16))  # id_number | pass | declaration
    reply_due_ms: Mapped[int] = mapped_column(BigInteger)
    done_due_ms: Mapped[int] = mapped_column(BigInteger)
    answered_ms: Mapped[int | None] = mapped_column(BigInteger)
    outcome: Mapped[str] = mapped_column(Text, server_default="{}")  # JSON: rows per kind


class Erasure(Base):
    """What a person's erasure removes on kiosks, as digests (checkin_protocol.erasure) carried
    by the deny list until no kiosk can still hold it; ingest drops records that match (a
    kiosk offline during the erasure uploads them later)."""

    __tablename__ = "erasures"
    digest: Mapped[str] = mapped_column(String(32), primary_key=True)
    request_id: Mapped[int] = mapped_column(Integer)
    created_ms: Mapped[int] = mapped_column(BigInteger)
    expires_ms: Mapped[int] = mapped_column(BigInteger, index=True)


class ProofCode(Base):
    """A one-time code sent to the phone declared with a pass (its keyed hash only): shown
    with a new declaration, it supersedes that pass, as the pass and its device's secret do."""

    __tablename__ = "proof_codes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    id_hash: Mapped[str] = mapped_column(String(80), index=True)
    pass_id: Mapped[str] = mapped_column(String(32), index=True)
    code_hash: Mapped[str] = mapped_column(String(80))
    created_ms: Mapped[int] = mapped_column(BigInteger)
    expires_ms: Mapped[int] = mapped_column(BigInteger, index=True)
    attempts: Mapped[int] = mapped_column(Integer)
    used_ms: Mapped[int | None] = mapped_column(BigInteger)
