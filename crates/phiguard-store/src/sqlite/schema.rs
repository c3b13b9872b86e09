//! Schema and migrations of the two SQLite files.
//!
//! Each file records its schema version in `PRAGMA user_version`. The SQL is kept to what
//! PostgreSQL also accepts (apart from `WITHOUT ROWID` and `AUTOINCREMENT`), so that a second
//! backend can reuse the same shape.

/// The newest schema version of `vault.sqlite`.
pub(crate) const VAULT_VERSION: i64 = 4;

/// The newest schema version of `keyring.sqlite`.
pub(crate) const KEYRING_VERSION: i64 = 1;

pub(crate) const VAULT_V1: &str = r#"
CREATE TABLE tenants (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    time_zone   TEXT,
    created_at  INTEGER NOT NULL,
    -- Bumped with every change to the tenant's policies or record types, so that caches of
    -- compiled configuration in any process notice the change on their next request.
    config_version  INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE actors (
    tenant_id    TEXT NOT NULL REFERENCES tenants(id),
    id           TEXT NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('user', 'service', 'system')),
    display_name TEXT NOT NULL,
    roles        TEXT NOT NULL,
    attributes   TEXT NOT NULL,
    disabled     INTEGER NOT NULL DEFAULT 0,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id)
);

CREATE TABLE credentials (
    id           TEXT PRIMARY KEY,
    tenant_id    TEXT NOT NULL,
    actor_id     TEXT NOT NULL,
    secret_hash  BLOB NOT NULL,
    label        TEXT,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    revoked_at   INTEGER,
    FOREIGN KEY (tenant_id, actor_id) REFERENCES actors(tenant_id, id)
);
CREATE INDEX credentials_by_actor ON credentials (tenant_id, actor_id);

CREATE TABLE subjects (
    tenant_id    TEXT NOT NULL REFERENCES tenants(id),
    id           TEXT NOT NULL,
    restricted   INTEGER NOT NULL DEFAULT 0,
    created_at   INTEGER NOT NULL,
    disposed_at  INTEGER,
    PRIMARY KEY (tenant_id, id)
);

CREATE TABLE subject_links (
    tenant_id    TEXT NOT NULL,
    field        TEXT NOT NULL,
    digest       BLOB NOT NULL,
    subject_id   TEXT NOT NULL,
    PRIMARY KEY (tenant_id, field, digest),
    FOREIGN KEY (tenant_id, subject_id) REFERENCES subjects(tenant_id, id)
) WITHOUT ROWID;
CREATE INDEX subject_links_by_subject ON subject_links (tenant_id, subject_id);

CREATE TABLE records (
    tenant_id            TEXT NOT NULL,
    id                   TEXT NOT NULL,
    subject_id           TEXT NOT NULL,
    record_type          TEXT NOT NULL,
    subject_key_version  INTEGER NOT NULL,
    source_digest        BLOB,
    created_at           INTEGER NOT NULL,
    updated_at           INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, subject_id) REFERENCES subjects(tenant_id, id)
);
CREATE INDEX records_by_subject ON records (tenant_id, subject_id, created_at, id);
CREATE UNIQUE INDEX records_by_source ON records (tenant_id, source_digest)
    WHERE source_digest IS NOT NULL;

CREATE TABLE record_parts (
    tenant_id  TEXT NOT NULL,
    record_id  TEXT NOT NULL,
    part       TEXT NOT NULL,
    sealed     BLOB NOT NULL,
    PRIMARY KEY (tenant_id, record_id, part),
    FOREIGN KEY (tenant_id, record_id) REFERENCES records(tenant_id, id)
) WITHOUT ROWID;

CREATE TABLE search_index (
    tenant_id   TEXT NOT NULL,
    field       TEXT NOT NULL,
    digest      BLOB NOT NULL,
    record_id   TEXT NOT NULL,
    subject_id  TEXT NOT NULL,
    PRIMARY KEY (tenant_id, field, digest, record_id)
) WITHOUT ROWID;
CREATE INDEX search_index_by_record ON search_index (tenant_id, record_id);
CREATE INDEX search_index_by_subject ON search_index (tenant_id, subject_id);

CREATE TABLE policies (
    tenant_id   TEXT NOT NULL REFERENCES tenants(id),
    id          TEXT NOT NULL,
    text        TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id)
);

CREATE TABLE record_types (
    tenant_id   TEXT NOT NULL REFERENCES tenants(id),
    name        TEXT NOT NULL,
    definition  TEXT NOT NULL,
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, name)
);

CREATE TABLE break_glass (
    tenant_id   TEXT NOT NULL,
    actor_id    TEXT NOT NULL,
    subject_id  TEXT NOT NULL,
    reason      TEXT NOT NULL,
    granted_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL
);
CREATE INDEX break_glass_by_actor ON break_glass (tenant_id, actor_id, subject_id, expires_at);

CREATE TABLE audit_events (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id   TEXT NOT NULL,
    time        INTEGER NOT NULL,
    actor_id    TEXT NOT NULL,
    action      TEXT NOT NULL,
    subject_id  TEXT,
    record_id   TEXT,
    outcome     TEXT NOT NULL,
    event       TEXT NOT NULL
);
CREATE INDEX audit_by_tenant ON audit_events (tenant_id, seq);
CREATE INDEX audit_by_subject ON audit_events (tenant_id, subject_id, seq)
    WHERE subject_id IS NOT NULL;

-- The audit trail is append-only: no statement may change or remove an event.
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit events are append-only');
END;
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit events are append-only');
END;
"#;

/// Version 2 turns the audit trail into one Merkle log per tenant (RFC 6962 / RFC 9162).
///
/// Each audit row gains its leaf position in its tenant's log and its leaf hash, and its `event`
/// column holds the canonical ledger entry (the exact bytes the leaf hash covers). Interior nodes
/// of complete subtrees are kept in `ledger_nodes` so that roots and proofs take O(log n) reads;
/// signed checkpoints are kept for good in `ledger_checkpoints`. Rows written by version 1 are
/// re-encoded and hashed by the migration ([`super::ledger::backfill`]) before the triggers that
/// forbid changes are put back.
pub(crate) const VAULT_V2: &str = r#"
DROP TRIGGER audit_events_no_update;
DROP TRIGGER audit_events_no_delete;

ALTER TABLE audit_events ADD COLUMN leaf_index INTEGER;
ALTER TABLE audit_events ADD COLUMN leaf_hash BLOB;

CREATE TABLE ledger_nodes (
    tenant_id   TEXT NOT NULL,
    level       INTEGER NOT NULL CHECK (level >= 1),
    idx         INTEGER NOT NULL,
    hash        BLOB NOT NULL,
    PRIMARY KEY (tenant_id, level, idx)
) WITHOUT ROWID;

CREATE TABLE ledger_checkpoints (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id   TEXT NOT NULL,
    tree_size   INTEGER NOT NULL,
    root_hash   BLOB NOT NULL,
    note        TEXT NOT NULL,
    issued_at   INTEGER NOT NULL
);
CREATE INDEX ledger_checkpoints_by_tenant ON ledger_checkpoints (tenant_id, seq);

CREATE TRIGGER ledger_nodes_no_update BEFORE UPDATE ON ledger_nodes
BEGIN
    SELECT RAISE(ABORT, 'ledger nodes are append-only');
END;
CREATE TRIGGER ledger_nodes_no_delete BEFORE DELETE ON ledger_nodes
BEGIN
    SELECT RAISE(ABORT, 'ledger nodes are append-only');
END;
CREATE TRIGGER ledger_checkpoints_no_update BEFORE UPDATE ON ledger_checkpoints
BEGIN
    SELECT RAISE(ABORT, 'checkpoints are kept as issued');
END;
CREATE TRIGGER ledger_checkpoints_no_delete BEFORE DELETE ON ledger_checkpoints
BEGIN
    SELECT RAISE(ABORT, 'checkpoints are kept as issued');
END;
"#;

/// Runs after [`VAULT_V2`]'s backfill: every audit row now has its leaf, and none may change.
pub(crate) const VAULT_V2_SEAL: &str = r#"
CREATE UNIQUE INDEX audit_by_leaf ON audit_events (tenant_id, leaf_index);
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit events are append-only');
END;
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit events are append-only');
END;
CREATE TRIGGER audit_events_have_leaves BEFORE INSERT ON audit_events
WHEN NEW.leaf_index IS NULL OR NEW.leaf_hash IS NULL
BEGIN
    SELECT RAISE(ABORT, 'audit events are ledger leaves');
END;
"#;

/// Version 3 indexes what the vault's posture reads (`Vault::posture`, evidence for
/// `phiguard assess`), so that it stays a handful of index seeks on a log of millions of entries:
///
/// - `audit_by_actor`: each actor's newest event (refused credential checks aside, which anyone
///   holding a credential id can cause) is one seek, for dormant accounts.
/// - `audit_emergency`: only the events made under purpose `ETREAT`, for break-glass counts.
///   The condition matches the canonical entry's bytes (`"purpose":"ETREAT"`). Inside a string
///   value a quote is always escaped, so that text occurs only as the entry's own `purpose`
///   field; `LIKE` keeps the index valid PostgreSQL as well.
/// - `credentials_live`, `subjects_disposed`, `subjects_restricted`: the rows that are still
///   live, disposed of or restricted, so that counting them does not walk every row.
pub(crate) const VAULT_V3: &str = r#"
CREATE INDEX audit_by_actor ON audit_events (tenant_id, actor_id, time)
    WHERE action <> 'authenticate';
CREATE INDEX audit_emergency ON audit_events (tenant_id, time)
    WHERE event LIKE '%"purpose":"ETREAT"%';
CREATE INDEX credentials_live ON credentials (tenant_id, expires_at)
    WHERE revoked_at IS NULL;
CREATE INDEX subjects_disposed ON subjects (tenant_id)
    WHERE disposed_at IS NOT NULL;
CREATE INDEX subjects_restricted ON subjects (tenant_id)
    WHERE restricted = 1 AND disposed_at IS NULL;
"#;

/// Version 4 keeps what detection and incident response produce:
///
/// - `alerts`: each alert's latest state (a deduplicated alert is rewritten as repeats fold
///   in); raising and folding are also audit events, so the ledger proves the history. Alerts
///   are never deleted.
/// - `alert_dead_letters`: deliveries that failed for good, for an operator to replay by hand.
/// - `detector_cursor`: the last audit sequence number the server's detectors have seen, so a
///   restart neither misses events nor raises the same alert twice.
/// - `incidents`: one document per incident. Its `retain_until` is six years after its last
///   change (45 CFR 164.414(b) and 164.530(j)); a row may not be deleted before then, and the
///   date may only move later.
pub(crate) const VAULT_V4: &str = r#"
CREATE TABLE alerts (
    tenant_id   TEXT NOT NULL REFERENCES tenants(id),
    id          TEXT NOT NULL,
    rule        TEXT NOT NULL,
    severity    TEXT NOT NULL,
    actor_id    TEXT NOT NULL,
    first_seen  INTEGER NOT NULL,
    last_seen   INTEGER NOT NULL,
    alert       TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX alerts_by_time ON alerts (tenant_id, last_seen);
CREATE TRIGGER alerts_are_kept BEFORE DELETE ON alerts
BEGIN
    SELECT RAISE(ABORT, 'alerts are kept');
END;

CREATE TABLE alert_dead_letters (
    seq            INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id      TEXT NOT NULL,
    alert_id       TEXT NOT NULL,
    channel        TEXT NOT NULL,
    attempts       INTEGER NOT NULL,
    first_attempt  INTEGER NOT NULL,
    last_attempt   INTEGER NOT NULL,
    error          TEXT NOT NULL
);
CREATE INDEX dead_letters_by_tenant ON alert_dead_letters (tenant_id, seq);

CREATE TABLE detector_cursor (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    seq  INTEGER NOT NULL
);

CREATE TABLE incidents (
    tenant_id     TEXT NOT NULL REFERENCES tenants(id),
    id            TEXT NOT NULL,
    opened_at     INTEGER NOT NULL,
    retain_until  INTEGER NOT NULL,
    document      TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE TRIGGER incidents_are_kept BEFORE DELETE ON incidents
WHEN OLD.retain_until > CAST(strftime('%s', 'now') AS INTEGER) * 1000000
BEGIN
    SELECT RAISE(ABORT, 'incident records are kept for six years after their last change');
END;
CREATE TRIGGER incidents_keep_their_dates BEFORE UPDATE ON incidents
WHEN NEW.opened_at <> OLD.opened_at OR NEW.retain_until < OLD.retain_until
BEGIN
    SELECT RAISE(ABORT, 'an incident keeps its opening time and its retention only grows');
END;
"#;

pub(crate) const KEYRING_V1: &str = r#"
CREATE TABLE tenant_keys (
    tenant_id   TEXT NOT NULL,
    version     INTEGER NOT NULL,
    wrapped     BLOB NOT NULL,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, version)
);

CREATE TABLE index_keys (
    tenant_id           TEXT PRIMARY KEY,
    tenant_key_version  INTEGER NOT NULL,
    wrapped             BLOB NOT NULL
);

CREATE TABLE subject_keys (
    tenant_id           TEXT NOT NULL,
    subject_id          TEXT NOT NULL,
    version             INTEGER NOT NULL,
    tenant_key_version  INTEGER NOT NULL,
    wrapped             BLOB NOT NULL,
    PRIMARY KEY (tenant_id, subject_id)
) WITHOUT ROWID;
CREATE INDEX subject_keys_by_wrapping ON subject_keys (tenant_id, tenant_key_version);
"#;
