"""Schema migrations for the kiosk's SQLite database; PRAGMA user_version is the version."""

# Each entry moves the schema one version up; never edit one that has shipped, add another.
MIGRATIONS: list[list[str]] = [
    [
        """CREATE TABLE records (
            id TEXT PRIMARY KEY,               -- UUID4
            seq INTEGER NOT NULL UNIQUE,       -- per-kiosk sequence number, never reused
            venue_id TEXT NOT NULL,
            kiosk_id TEXT NOT NULL,
            direction TEXT NOT NULL CHECK (direction IN ('entry', 'exit')),
            code_kind TEXT NOT NULL,
            subject TEXT,                      -- pass id, QID or keyed hash; never an ID number
            masked_name TEXT,
            verified INTEGER NOT NULL CHECK (verified IN (0, 1)),
            verdict TEXT NOT NULL CHECK (verdict IN ('PASS', 'FAIL')),
            reason TEXT,
            manual INTEGER NOT NULL DEFAULT 0 CHECK (manual IN (0, 1)),
            created_utc TEXT NOT NULL,         -- ISO 8601, millisecond, 'Z'
            created_mono_ns INTEGER NOT NULL,  -- time.monotonic_ns() at frame capture
            boot_id TEXT NOT NULL,             -- which boot the monotonic reading is from
            sync_state TEXT NOT NULL DEFAULT 'pending'
        )""",
        "CREATE INDEX records_sync ON records (sync_state, seq)",
        "CREATE INDEX records_time ON records (created_utc)",
        "CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL)",
        "INSERT INTO counters (name, value) VALUES ('seq', 0)",
    ],
    [
        # Sync with the registry: why a record was rejected, when it was acknowledged.
        "ALTER TABLE records ADD COLUMN sync_error TEXT",
        "ALTER TABLE records ADD COLUMN synced_utc TEXT",
        """CREATE TABLE lists (
            name TEXT PRIMARY KEY,             -- trust-list | deny-list
            version INTEGER NOT NULL,
            envelope TEXT NOT NULL,            -- the signed document as received
            etag TEXT,
            fetched_utc TEXT NOT NULL          -- last time the registry confirmed it current
        )""",
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    ],
    [
        # Dedicated readers: how each code was read (camera, serial, hid, manual).
        "ALTER TABLE records ADD COLUMN source TEXT NOT NULL DEFAULT 'camera'",
    ],
]
