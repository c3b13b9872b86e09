//! Reads, and the [`Store`] implementation that ties reads and writes together.

use std::collections::BTreeMap;

use phiguard_core::{
    ActorId, Alert, AlertId, CredentialId, IncidentId, RecordId, Role, SubjectId, TenantId,
    Timestamp,
};
use phiguard_ledger::{Hash, LedgerEntry, NodeId, NodeSource};
use rusqlite::{Connection, OptionalExtension, Row, params};

use super::SqliteStore;
use super::convert::{micros, opt_timestamp, parse, timestamp, version};
use crate::{
    Actor, AlertQuery, AuditQuery, BreakGlassGrant, Change, Credential, CredentialLookup,
    DeadLetter, Digest, EmergencyAccess, IndexHit, KeyChange, KeyReceipt, LedgerLeaf, Pending,
    Policy, Record, RecordPart, RecordTypeConfig, Store, StoreError, StoredAuditEvent,
    StoredCheckpoint, StoredIncident, Subject, SubjectStates, Tenant, TenantCounts,
    WrappedIndexKey, WrappedSubjectKey, WrappedTenantKey,
};

/// The most ledger leaves one query returns.
const LEDGER_PAGE_MAX: u32 = 10_000;

/// The most audit events one query returns.
const AUDIT_PAGE_MAX: u32 = 10_000;

const ACTOR_COLUMNS: &str = "a.tenant_id, a.id, a.kind, a.display_name, a.roles, a.attributes, a.disabled, \
     a.created_at, a.updated_at";

struct RawActor {
    tenant: String,
    id: String,
    kind: String,
    display_name: String,
    roles: String,
    attributes: String,
    disabled: bool,
    created_at: i64,
    updated_at: i64,
}

impl RawActor {
    fn read(row: &Row<'_>, offset: usize) -> rusqlite::Result<Self> {
        Ok(RawActor {
            tenant: row.get(offset)?,
            id: row.get(offset + 1)?,
            kind: row.get(offset + 2)?,
            display_name: row.get(offset + 3)?,
            roles: row.get(offset + 4)?,
            attributes: row.get(offset + 5)?,
            disabled: row.get(offset + 6)?,
            created_at: row.get(offset + 7)?,
            updated_at: row.get(offset + 8)?,
        })
    }

    fn into_actor(self) -> Result<Actor, StoreError> {
        let roles: Vec<String> = serde_json::from_str(&self.roles)
            .map_err(|_| StoreError::Corrupt("an actor's roles are not a JSON list".into()))?;
        let attributes: BTreeMap<String, String> = serde_json::from_str(&self.attributes)
            .map_err(|_| StoreError::Corrupt("an actor's attributes are not a JSON map".into()))?;
        Ok(Actor {
            tenant: parse(&self.tenant, "tenant id")?,
            id: parse(&self.id, "actor id")?,
            kind: parse(&self.kind, "actor kind")?,
            display_name: self.display_name,
            roles: roles
                .iter()
                .map(|r| parse::<Role>(r, "role"))
                .collect::<Result<_, _>>()?,
            attributes,
            disabled: self.disabled,
            created_at: timestamp(self.created_at)?,
            updated_at: timestamp(self.updated_at)?,
        })
    }
}

struct RawSubject {
    tenant: String,
    id: String,
    restricted: bool,
    created_at: i64,
    disposed_at: Option<i64>,
}

impl RawSubject {
    fn read(row: &Row<'_>, offset: usize) -> rusqlite::Result<Self> {
        Ok(RawSubject {
            tenant: row.get(offset)?,
            id: row.get(offset + 1)?,
            restricted: row.get(offset + 2)?,
            created_at: row.get(offset + 3)?,
            disposed_at: row.get(offset + 4)?,
        })
    }

    fn into_subject(self) -> Result<Subject, StoreError> {
        Ok(Subject {
            tenant: parse(&self.tenant, "tenant id")?,
            id: parse(&self.id, "subject id")?,
            restricted: self.restricted,
            created_at: timestamp(self.created_at)?,
            disposed_at: opt_timestamp(self.disposed_at)?,
        })
    }
}

struct RawRecord {
    tenant: String,
    id: String,
    subject: String,
    record_type: String,
    subject_key_version: i64,
    created_at: i64,
    updated_at: i64,
}

const RECORD_COLUMNS: &str = "r.tenant_id, r.id, r.subject_id, r.record_type, \
                              r.subject_key_version, r.created_at, r.updated_at";

impl RawRecord {
    fn read(row: &Row<'_>, offset: usize) -> rusqlite::Result<Self> {
        Ok(RawRecord {
            tenant: row.get(offset)?,
            id: row.get(offset + 1)?,
            subject: row.get(offset + 2)?,
            record_type: row.get(offset + 3)?,
            subject_key_version: row.get(offset + 4)?,
            created_at: row.get(offset + 5)?,
            updated_at: row.get(offset + 6)?,
        })
    }

    fn into_record(self) -> Result<Record, StoreError> {
        Ok(Record {
            tenant: parse(&self.tenant, "tenant id")?,
            id: parse(&self.id, "record id")?,
            subject: parse(&self.subject, "subject id")?,
            record_type: self.record_type,
            subject_key_version: version(self.subject_key_version)?,
            created_at: timestamp(self.created_at)?,
            updated_at: timestamp(self.updated_at)?,
        })
    }
}

fn tenant_from(row: &Row<'_>) -> rusqlite::Result<(String, String, Option<String>, i64)> {
    Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
}

fn into_tenant(raw: (String, String, Option<String>, i64)) -> Result<Tenant, StoreError> {
    Ok(Tenant {
        id: parse(&raw.0, "tenant id")?,
        name: raw.1,
        time_zone: raw.2,
        created_at: timestamp(raw.3)?,
    })
}

type RawCredential = (
    String,
    String,
    String,
    Vec<u8>,
    Option<String>,
    i64,
    i64,
    Option<i64>,
);

fn into_credential(raw: RawCredential) -> Result<Credential, StoreError> {
    Ok(Credential {
        id: parse(&raw.0, "credential id")?,
        tenant: parse(&raw.1, "tenant id")?,
        actor: parse(&raw.2, "actor id")?,
        secret_hash: raw
            .3
            .try_into()
            .map_err(|_| StoreError::Corrupt("a credential hash has the wrong length".into()))?,
        label: raw.4,
        created_at: timestamp(raw.5)?,
        expires_at: timestamp(raw.6)?,
        revoked_at: opt_timestamp(raw.7)?,
    })
}

fn credential_from(row: &Row<'_>) -> rusqlite::Result<RawCredential> {
    Ok((
        row.get(0)?,
        row.get(1)?,
        row.get(2)?,
        row.get(3)?,
        row.get(4)?,
        row.get(5)?,
        row.get(6)?,
        row.get(7)?,
    ))
}

fn collect<T, R>(
    rows: impl Iterator<Item = rusqlite::Result<R>>,
    convert: impl Fn(R) -> Result<T, StoreError>,
    context: &'static str,
) -> Result<Vec<T>, StoreError> {
    rows.map(|row| row.map_err(StoreError::db(context)).and_then(&convert))
        .collect()
}

fn audit_events(
    conn: &Connection,
    tenant: &TenantId,
    query: &AuditQuery,
) -> Result<Vec<StoredAuditEvent>, StoreError> {
    let context = "reading audit events";
    let limit = query.limit.clamp(1, AUDIT_PAGE_MAX);
    let mut statement = conn
        .prepare_cached(
            "SELECT seq, leaf_index, event FROM audit_events
             WHERE tenant_id = ?1
               AND (?2 IS NULL OR subject_id = ?2)
               AND (?3 IS NULL OR actor_id = ?3)
               AND (?4 IS NULL OR time >= ?4)
               AND (?5 IS NULL OR time < ?5)
               AND seq > ?6
             ORDER BY seq
             LIMIT ?7",
        )
        .map_err(StoreError::db(context))?;
    let after = i64::try_from(query.after_seq.unwrap_or(0)).unwrap_or(i64::MAX);
    let rows = statement
        .query_map(
            params![
                tenant.as_str(),
                query.subject.as_ref().map(|s| s.as_str()),
                query.actor.as_ref().map(|a| a.as_str()),
                query.since.map(micros),
                query.until.map(micros),
                after,
                limit,
            ],
            |row| {
                Ok((
                    row.get::<_, i64>(0)?,
                    row.get::<_, i64>(1)?,
                    row.get::<_, String>(2)?.into_bytes(),
                ))
            },
        )
        .map_err(StoreError::db(context))?;
    collect(
        rows,
        |(seq, leaf_index, entry)| {
            // Shape and version are checked here; whether the bytes are still those the
            // ledger committed to is the verifier's question (`phiguard ledger verify`).
            let event = LedgerEntry::decode_fields(&entry)
                .map_err(|e| {
                    StoreError::Corrupt(format!("audit event {seq} is not a ledger entry: {e}"))
                })?
                .into_event();
            Ok(StoredAuditEvent {
                seq: u64::try_from(seq).unwrap_or_default(),
                leaf_index: u64::try_from(leaf_index).unwrap_or_default(),
                event,
            })
        },
        context,
    )
}

fn checkpoints(
    conn: &Connection,
    tenant: &TenantId,
    latest_only: bool,
) -> Result<Vec<StoredCheckpoint>, StoreError> {
    let context = "reading checkpoints";
    let sql = if latest_only {
        "SELECT tree_size, root_hash, note, issued_at FROM ledger_checkpoints
         WHERE tenant_id = ?1 ORDER BY seq DESC LIMIT 1"
    } else {
        "SELECT tree_size, root_hash, note, issued_at FROM ledger_checkpoints
         WHERE tenant_id = ?1 ORDER BY seq"
    };
    let mut statement = conn.prepare_cached(sql).map_err(StoreError::db(context))?;
    let rows = statement
        .query_map(params![tenant.as_str()], |row| {
            Ok((
                row.get::<_, i64>(0)?,
                row.get::<_, Vec<u8>>(1)?,
                row.get::<_, String>(2)?,
                row.get::<_, i64>(3)?,
            ))
        })
        .map_err(StoreError::db(context))?;
    collect(
        rows,
        |(size, root, note, issued_at)| {
            let root = <[u8; 32]>::try_from(root.as_slice())
                .map_err(|_| StoreError::Corrupt("a checkpoint has no 32-byte root".into()))?;
            Ok(StoredCheckpoint {
                tenant: tenant.clone(),
                size: u64::try_from(size).unwrap_or_default(),
                root,
                note,
                issued_at: timestamp(issued_at)?,
            })
        },
        context,
    )
}

impl Store for SqliteStore {
    fn submit(&self, changes: Vec<Change>) -> Pending {
        self.submit_job(changes)
    }

    fn apply_keys(&self, changes: Vec<KeyChange>) -> Result<KeyReceipt, StoreError> {
        let mut conn = self.keyring_writer.lock();
        super::keyring::apply(&mut conn, &changes)
    }

    fn tenant(&self, id: &TenantId) -> Result<Option<Tenant>, StoreError> {
        self.vault_reads.with(|conn| {
            conn.prepare_cached("SELECT id, name, time_zone, created_at FROM tenants WHERE id = ?1")
                .and_then(|mut s| s.query_row(params![id.as_str()], tenant_from).optional())
                .map_err(StoreError::db("reading a tenant"))?
                .map(into_tenant)
                .transpose()
        })
    }

    fn tenants(&self) -> Result<Vec<Tenant>, StoreError> {
        self.vault_reads.with(|conn| {
            let context = "listing tenants";
            let mut statement = conn
                .prepare_cached("SELECT id, name, time_zone, created_at FROM tenants ORDER BY id")
                .map_err(StoreError::db(context))?;
            let rows = statement
                .query_map([], tenant_from)
                .map_err(StoreError::db(context))?;
            collect(rows, into_tenant, context)
        })
    }

    fn actor(&self, tenant: &TenantId, id: &ActorId) -> Result<Option<Actor>, StoreError> {
        self.vault_reads.with(|conn| {
            conn.prepare_cached(&format!(
                "SELECT {ACTOR_COLUMNS} FROM actors a WHERE a.tenant_id = ?1 AND a.id = ?2"
            ))
            .and_then(|mut s| {
                s.query_row(params![tenant.as_str(), id.as_str()], |row| {
                    RawActor::read(row, 0)
                })
                .optional()
            })
            .map_err(StoreError::db("reading an actor"))?
            .map(RawActor::into_actor)
            .transpose()
        })
    }

    fn actors(&self, tenant: &TenantId) -> Result<Vec<Actor>, StoreError> {
        self.vault_reads.with(|conn| {
            let context = "listing actors";
            let mut statement = conn
                .prepare_cached(&format!(
                    "SELECT {ACTOR_COLUMNS} FROM actors a WHERE a.tenant_id = ?1 ORDER BY a.id"
                ))
                .map_err(StoreError::db(context))?;
            let rows = statement
                .query_map(params![tenant.as_str()], |row| RawActor::read(row, 0))
                .map_err(StoreError::db(context))?;
            collect(rows, RawActor::into_actor, context)
        })
    }

    fn credential(&self, id: &CredentialId) -> Result<Option<CredentialLookup>, StoreError> {
        self.vault_reads.with(|conn| {
            let raw = conn
                .prepare_cached(&format!(
                    "SELECT c.id, c.tenant_id, c.actor_id, c.secret_hash, c.label, c.created_at,
                            c.expires_at, c.revoked_at, {ACTOR_COLUMNS}, t.config_version
                     FROM credentials c
                     JOIN actors a ON a.tenant_id = c.tenant_id AND a.id = c.actor_id
                     JOIN tenants t ON t.id = c.tenant_id
                     WHERE c.id = ?1"
                ))
                .and_then(|mut s| {
                    s.query_row(params![id.as_str()], |row| {
                        Ok((
                            credential_from(row)?,
                            RawActor::read(row, 8)?,
                            row.get::<_, i64>(17)?,
                        ))
                    })
                    .optional()
                })
                .map_err(StoreError::db("reading a credential"))?;
            raw.map(|(credential, actor, version)| {
                Ok(CredentialLookup {
                    credential: into_credential(credential)?,
                    actor: actor.into_actor()?,
                    config_version: u64::try_from(version).unwrap_or_default(),
                })
            })
            .transpose()
        })
    }

    fn config_version(&self, tenant: &TenantId) -> Result<Option<u64>, StoreError> {
        self.vault_reads.with(|conn| {
            conn.prepare_cached("SELECT config_version FROM tenants WHERE id = ?1")
                .and_then(|mut s| {
                    s.query_row(params![tenant.as_str()], |row| row.get::<_, i64>(0))
                        .optional()
                })
                .map(|v| v.map(|v| u64::try_from(v).unwrap_or_default()))
                .map_err(StoreError::db("reading a configuration version"))
        })
    }

    fn credentials(
        &self,
        tenant: &TenantId,
        actor: Option<&ActorId>,
    ) -> Result<Vec<Credential>, StoreError> {
        self.vault_reads.with(|conn| {
            let context = "listing credentials";
            let mut statement = conn
                .prepare_cached(
                    "SELECT id, tenant_id, actor_id, secret_hash, label, created_at, expires_at,
                            revoked_at
                     FROM credentials
                     WHERE tenant_id = ?1 AND (?2 IS NULL OR actor_id = ?2)
                     ORDER BY created_at DESC, id",
                )
                .map_err(StoreError::db(context))?;
            let rows = statement
                .query_map(
                    params![tenant.as_str(), actor.map(|a| a.as_str())],
                    credential_from,
                )
                .map_err(StoreError::db(context))?;
            collect(rows, into_credential, context)
        })
    }

    fn subject(&self, tenant: &TenantId, id: &SubjectId) -> Result<Option<Subject>, StoreError> {
        self.vault_reads.with(|conn| {
            conn.prepare_cached(
                "SELECT tenant_id, id, restricted, created_at, disposed_at
                 FROM subjects WHERE tenant_id = ?1 AND id = ?2",
            )
            .and_then(|mut s| {
                s.query_row(params![tenant.as_str(), id.as_str()], |row| {
                    RawSubject::read(row, 0)
                })
                .optional()
            })
            .map_err(StoreError::db("reading a subject"))?
            .map(RawSubject::into_subject)
            .transpose()
        })
    }

    fn linked_subject(
        &self,
        tenant: &TenantId,
        field: &str,
        digest: &Digest,
    ) -> Result<Option<SubjectId>, StoreError> {
        self.vault_reads.with(|conn| {
            conn.prepare_cached(
                "SELECT subject_id FROM subject_links
                 WHERE tenant_id = ?1 AND field = ?2 AND digest = ?3",
            )
            .and_then(|mut s| {
                s.query_row(params![tenant.as_str(), field, &digest[..]], |row| {
                    row.get::<_, String>(0)
                })
                .optional()
            })
            .map_err(StoreError::db("finding a linked subject"))?
            .map(|id| parse(&id, "subject id"))
            .transpose()
        })
    }

    fn record(
        &self,
        tenant: &TenantId,
        id: &RecordId,
    ) -> Result<Option<(Record, Subject)>, StoreError> {
        self.vault_reads.with(|conn| {
            let raw = conn
                .prepare_cached(&format!(
                    "SELECT {RECORD_COLUMNS}, s.tenant_id, s.id, s.restricted, s.created_at,
                            s.disposed_at
                     FROM records r
                     JOIN subjects s ON s.tenant_id = r.tenant_id AND s.id = r.subject_id
                     WHERE r.tenant_id = ?1 AND r.id = ?2"
                ))
                .and_then(|mut s| {
                    s.query_row(params![tenant.as_str(), id.as_str()], |row| {
                        Ok((RawRecord::read(row, 0)?, RawSubject::read(row, 7)?))
                    })
                    .optional()
                })
                .map_err(StoreError::db("reading a record"))?;
            raw.map(|(record, subject)| Ok((record.into_record()?, subject.into_subject()?)))
                .transpose()
        })
    }

    fn record_by_source(
        &self,
        tenant: &TenantId,
        source: &Digest,
    ) -> Result<Option<Record>, StoreError> {
        self.vault_reads.with(|conn| {
            conn.prepare_cached(&format!(
                "SELECT {RECORD_COLUMNS} FROM records r
                 WHERE r.tenant_id = ?1 AND r.source_digest = ?2"
            ))
            .and_then(|mut s| {
                s.query_row(params![tenant.as_str(), &source[..]], |row| {
                    RawRecord::read(row, 0)
                })
                .optional()
            })
            .map_err(StoreError::db("finding a record by source"))?
            .map(RawRecord::into_record)
            .transpose()
        })
    }

    fn record_parts(
        &self,
        tenant: &TenantId,
        id: &RecordId,
    ) -> Result<Vec<RecordPart>, StoreError> {
        self.vault_reads.with(|conn| {
            let context = "reading record parts";
            let mut statement = conn
                .prepare_cached(
                    "SELECT part, sealed FROM record_parts WHERE tenant_id = ?1 AND record_id = ?2",
                )
                .map_err(StoreError::db(context))?;
            let rows = statement
                .query_map(params![tenant.as_str(), id.as_str()], |row| {
                    Ok(RecordPart {
                        part: row.get(0)?,
                        sealed: row.get(1)?,
                    })
                })
                .map_err(StoreError::db(context))?;
            collect(rows, Ok, context)
        })
    }

    fn records_of_subject(
        &self,
        tenant: &TenantId,
        subject: &SubjectId,
        after: Option<&RecordId>,
        limit: u32,
    ) -> Result<Vec<Record>, StoreError> {
        self.vault_reads.with(|conn| {
            let context = "listing records";
            let mut statement = conn
                .prepare_cached(&format!(
                    "SELECT {RECORD_COLUMNS} FROM records r
                     WHERE r.tenant_id = ?1 AND r.subject_id = ?2
                       AND (?3 IS NULL OR (r.created_at, r.id) >
                           (SELECT created_at, id FROM records WHERE tenant_id = ?1 AND id = ?3))
                     ORDER BY r.created_at, r.id
                     LIMIT ?4"
                ))
                .map_err(StoreError::db(context))?;
            let rows = statement
                .query_map(
                    params![
                        tenant.as_str(),
                        subject.as_str(),
                        after.map(|a| a.as_str()),
                        limit
                    ],
                    |row| RawRecord::read(row, 0),
                )
                .map_err(StoreError::db(context))?;
            collect(rows, RawRecord::into_record, context)
        })
    }

    fn search(
        &self,
        tenant: &TenantId,
        field: &str,
        digest: &Digest,
        limit: u32,
    ) -> Result<Vec<IndexHit>, StoreError> {
        self.vault_reads.with(|conn| {
            let context = "searching";
            let mut statement = conn
                .prepare_cached(
                    "SELECT subject_id, record_id FROM search_index
                     WHERE tenant_id = ?1 AND field = ?2 AND digest = ?3
                     ORDER BY subject_id, record_id LIMIT ?4",
                )
                .map_err(StoreError::db(context))?;
            let rows = statement
                .query_map(params![tenant.as_str(), field, &digest[..], limit], |row| {
                    Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?))
                })
                .map_err(StoreError::db(context))?;
            collect(
                rows,
                |(subject, record)| {
                    Ok(IndexHit {
                        subject: parse(&subject, "subject id")?,
                        record: parse(&record, "record id")?,
                    })
                },
                context,
            )
        })
    }

    fn policies(&self, tenant: &TenantId) -> Result<Vec<Policy>, StoreError> {
        self.vault_reads.with(|conn| {
            let context = "listing policies";
            let mut statement = conn
                .prepare_cached(
                    "SELECT tenant_id, id, text, created_at, updated_at FROM policies
                     WHERE tenant_id = ?1 ORDER BY id",
                )
                .map_err(StoreError::db(context))?;
            let rows = statement
                .query_map(params![tenant.as_str()], |row| {
                    Ok((
                        row.get::<_, String>(0)?,
                        row.get::<_, String>(1)?,
                        row.get::<_, String>(2)?,
                        row.get::<_, i64>(3)?,
                        row.get::<_, i64>(4)?,
                    ))
                })
                .map_err(StoreError::db(context))?;
            collect(
                rows,
                |(tenant, id, text, created, updated)| {
                    Ok(Policy {
                        tenant: parse(&tenant, "tenant id")?,
                        id,
                        text,
                        created_at: timestamp(created)?,
                        updated_at: timestamp(updated)?,
                    })
                },
                context,
            )
        })
    }

    fn record_types(&self, tenant: &TenantId) -> Result<Vec<RecordTypeConfig>, StoreError> {
        self.vault_reads.with(|conn| {
            let context = "listing record types";
            let mut statement = conn
                .prepare_cached(
                    "SELECT tenant_id, name, definition, updated_at FROM record_types
                     WHERE tenant_id = ?1 ORDER BY name",
                )
                .map_err(StoreError::db(context))?;
            let rows = statement
                .query_map(params![tenant.as_str()], |row| {
                    Ok((
                        row.get::<_, String>(0)?,
                        row.get::<_, String>(1)?,
                        row.get::<_, String>(2)?,
                        row.get::<_, i64>(3)?,
                    ))
                })
                .map_err(StoreError::db(context))?;
            collect(
                rows,
                |(tenant, name, definition, updated)| {
                    Ok(RecordTypeConfig {
                        tenant: parse(&tenant, "tenant id")?,
                        name,
                        definition,
                        updated_at: timestamp(updated)?,
                    })
                },
                context,
            )
        })
    }

    fn active_break_glass(
        &self,
        tenant: &TenantId,
        actor: &ActorId,
        subject: &SubjectId,
        now: Timestamp,
    ) -> Result<Option<BreakGlassGrant>, StoreError> {
        self.vault_reads.with(|conn| {
            let raw = conn
                .prepare_cached(
                    "SELECT reason, granted_at, expires_at FROM break_glass
                     WHERE tenant_id = ?1 AND actor_id = ?2 AND subject_id = ?3
                       AND granted_at <= ?4 AND expires_at > ?4
                     ORDER BY expires_at DESC LIMIT 1",
                )
                .and_then(|mut s| {
                    s.query_row(
                        params![
                            tenant.as_str(),
                            actor.as_str(),
                            subject.as_str(),
                            micros(now)
                        ],
                        |row| {
                            Ok((
                                row.get::<_, String>(0)?,
                                row.get::<_, i64>(1)?,
                                row.get::<_, i64>(2)?,
                            ))
                        },
                    )
                    .optional()
                })
                .map_err(StoreError::db("reading break-glass grants"))?;
            raw.map(|(reason, granted, expires)| {
                Ok(BreakGlassGrant {
                    tenant: tenant.clone(),
                    actor: actor.clone(),
                    subject: subject.clone(),
                    reason,
                    granted_at: timestamp(granted)?,
                    expires_at: timestamp(expires)?,
                })
            })
            .transpose()
        })
    }

    fn audit_events(
        &self,
        tenant: &TenantId,
        query: &AuditQuery,
    ) -> Result<Vec<StoredAuditEvent>, StoreError> {
        self.vault_reads
            .with(|conn| audit_events(conn, tenant, query))
    }

    fn ledger_size(&self, tenant: &TenantId) -> Result<u64, StoreError> {
        self.vault_reads
            .with(|conn| super::ledger::size(conn, tenant.as_str()))
    }

    fn ledger_leaves(
        &self,
        tenant: &TenantId,
        from: u64,
        limit: u32,
    ) -> Result<Vec<LedgerLeaf>, StoreError> {
        let context = "reading ledger entries";
        let from = i64::try_from(from).unwrap_or(i64::MAX);
        let limit = limit.clamp(1, LEDGER_PAGE_MAX);
        self.vault_reads.with(|conn| {
            let mut statement = conn
                .prepare_cached(
                    "SELECT leaf_index, event, leaf_hash FROM audit_events
                     WHERE tenant_id = ?1 AND leaf_index >= ?2
                     ORDER BY leaf_index LIMIT ?3",
                )
                .map_err(StoreError::db(context))?;
            let rows = statement
                .query_map(params![tenant.as_str(), from, limit], |row| {
                    Ok((
                        row.get::<_, i64>(0)?,
                        row.get::<_, String>(1)?.into_bytes(),
                        row.get::<_, Vec<u8>>(2)?,
                    ))
                })
                .map_err(StoreError::db(context))?;
            collect(
                rows,
                |(index, entry, hash)| {
                    let leaf_hash = <[u8; 32]>::try_from(hash.as_slice()).map_err(|_| {
                        StoreError::Corrupt(format!("ledger leaf {index} has no 32-byte hash"))
                    })?;
                    Ok(LedgerLeaf {
                        index: u64::try_from(index).unwrap_or_default(),
                        entry,
                        leaf_hash,
                    })
                },
                context,
            )
        })
    }

    fn ledger_nodes(&self, tenant: &TenantId, nodes: &[NodeId]) -> Result<Vec<Hash>, StoreError> {
        self.vault_reads.with(|conn| {
            let source = super::ledger::SqlNodes {
                conn,
                tenant: tenant.as_str(),
            };
            nodes.iter().map(|id| source.node(*id)).collect()
        })
    }

    fn checkpoints(&self, tenant: &TenantId) -> Result<Vec<StoredCheckpoint>, StoreError> {
        self.vault_reads
            .with(|conn| checkpoints(conn, tenant, false))
    }

    fn latest_checkpoint(&self, tenant: &TenantId) -> Result<Option<StoredCheckpoint>, StoreError> {
        self.vault_reads
            .with(|conn| checkpoints(conn, tenant, true))
            .map(|mut found| found.pop())
    }

    fn audit_events_after(
        &self,
        after_seq: u64,
        limit: u32,
    ) -> Result<Vec<StoredAuditEvent>, StoreError> {
        self.vault_reads
            .with(|conn| super::response::audit_events_after(conn, after_seq, limit))
    }

    fn latest_audit_seq(&self) -> Result<u64, StoreError> {
        self.vault_reads.with(super::response::latest_audit_seq)
    }

    fn alerts(&self, tenant: &TenantId, query: &AlertQuery) -> Result<Vec<Alert>, StoreError> {
        self.vault_reads
            .with(|conn| super::response::alerts(conn, tenant, query))
    }

    fn alert(&self, tenant: &TenantId, id: &AlertId) -> Result<Option<Alert>, StoreError> {
        self.vault_reads
            .with(|conn| super::response::alert(conn, tenant, id))
    }

    fn dead_letters(&self, tenant: &TenantId) -> Result<Vec<DeadLetter>, StoreError> {
        self.vault_reads
            .with(|conn| super::response::dead_letters(conn, tenant))
    }

    fn detector_cursor(&self) -> Result<Option<u64>, StoreError> {
        self.vault_reads.with(super::response::detector_cursor)
    }

    fn incident(
        &self,
        tenant: &TenantId,
        id: &IncidentId,
    ) -> Result<Option<StoredIncident>, StoreError> {
        self.vault_reads.with(|conn| {
            Ok(super::response::incidents(conn, tenant, Some(id))?
                .into_iter()
                .next())
        })
    }

    fn incidents(&self, tenant: &TenantId) -> Result<Vec<StoredIncident>, StoreError> {
        self.vault_reads
            .with(|conn| super::response::incidents(conn, tenant, None))
    }

    fn last_activity(&self, tenant: &TenantId) -> Result<BTreeMap<ActorId, Timestamp>, StoreError> {
        self.vault_reads
            .with(|conn| super::safeguards::last_activity(conn, tenant))
    }

    fn emergency_access(
        &self,
        tenant: &TenantId,
        since: Timestamp,
    ) -> Result<EmergencyAccess, StoreError> {
        self.vault_reads
            .with(|conn| super::safeguards::emergency_access(conn, tenant, since))
    }

    fn live_credentials(
        &self,
        tenant: &TenantId,
        now: Timestamp,
    ) -> Result<BTreeMap<ActorId, u64>, StoreError> {
        self.vault_reads
            .with(|conn| super::safeguards::live_credentials(conn, tenant, now))
    }

    fn subject_states(&self, tenant: &TenantId) -> Result<SubjectStates, StoreError> {
        self.vault_reads
            .with(|conn| super::safeguards::subject_states(conn, tenant))
    }

    fn counts(&self, tenant: &TenantId) -> Result<TenantCounts, StoreError> {
        self.vault_reads.with(|conn| {
            conn.prepare_cached(
                "SELECT
                    (SELECT COUNT(*) FROM subjects WHERE tenant_id = ?1 AND disposed_at IS NULL),
                    (SELECT COUNT(*) FROM subjects WHERE tenant_id = ?1
                                                     AND disposed_at IS NOT NULL),
                    (SELECT COUNT(*) FROM records WHERE tenant_id = ?1),
                    (SELECT COUNT(*) FROM audit_events WHERE tenant_id = ?1)",
            )
            .and_then(|mut s| {
                s.query_row(params![tenant.as_str()], |row| {
                    let count = |i| row.get::<_, i64>(i).map(|n| u64::try_from(n).unwrap_or(0));
                    Ok(TenantCounts {
                        subjects: count(0)?,
                        disposed_subjects: count(1)?,
                        records: count(2)?,
                        audit_events: count(3)?,
                    })
                })
            })
            .map_err(StoreError::db("counting a tenant's holdings"))
        })
    }

    fn tenant_keys(&self, tenant: &TenantId) -> Result<Vec<WrappedTenantKey>, StoreError> {
        self.keyring_reads
            .with(|conn| super::keyring::tenant_keys(conn, tenant))
    }

    fn index_key(&self, tenant: &TenantId) -> Result<Option<WrappedIndexKey>, StoreError> {
        self.keyring_reads
            .with(|conn| super::keyring::index_key(conn, tenant))
    }

    fn subject_key(
        &self,
        tenant: &TenantId,
        subject: &SubjectId,
    ) -> Result<Option<WrappedSubjectKey>, StoreError> {
        self.keyring_reads
            .with(|conn| super::keyring::subject_key(conn, tenant, subject))
    }

    fn subject_keys_wrapped_below(
        &self,
        tenant: &TenantId,
        version: u32,
    ) -> Result<Vec<WrappedSubjectKey>, StoreError> {
        self.keyring_reads
            .with(|conn| super::keyring::subject_keys_below(conn, tenant, version))
    }
}
