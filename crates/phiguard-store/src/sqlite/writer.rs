//! The single writer of `vault.sqlite`, with group commit.
//!
//! SQLite admits one writer at a time, and a durable commit costs an fsync. Every caller's list
//! of changes goes to one thread, which takes whatever lists are waiting (up to a bound), applies
//! each inside its own savepoint — so one caller's conflict does not undo another's work — and
//! commits them with a single fsync. Each caller hears back only after that commit, so an audit
//! event is durable before the response that it records leaves the vault.

use std::sync::mpsc;
use std::thread;

use rusqlite::{Connection, ErrorCode, params};
use tokio::sync::oneshot;

use crate::StoreError;
use crate::change::{Change, Receipt};
use crate::sqlite::convert::micros;
use crate::sqlite::ledger::Logs;

/// Lists of changes committed together at most.
const MAX_GROUP: usize = 512;

pub(crate) enum Job {
    /// Commit a list of changes.
    Apply {
        changes: Vec<Change>,
        reply: oneshot::Sender<Result<Receipt, StoreError>>,
    },
    /// Fold the write-ahead log into the database file and truncate it.
    Checkpoint {
        reply: oneshot::Sender<Result<(), StoreError>>,
    },
}

struct Apply {
    changes: Vec<Change>,
    reply: oneshot::Sender<Result<Receipt, StoreError>>,
}

pub(crate) fn spawn(conn: Connection) -> Result<mpsc::Sender<Job>, StoreError> {
    let (sender, receiver) = mpsc::channel::<Job>();
    thread::Builder::new()
        .name("phiguard-store-writer".into())
        .spawn(move || run(conn, receiver))
        .map_err(|source| StoreError::Io {
            path: "store writer thread".into(),
            source,
        })?;
    Ok(sender)
}

fn run(mut conn: Connection, receiver: mpsc::Receiver<Job>) {
    let mut logs = Logs::default();
    let mut next = receiver.recv().ok();
    while let Some(job) = next.take() {
        let first = match job {
            Job::Apply { changes, reply } => Apply { changes, reply },
            Job::Checkpoint { reply } => {
                let result = conn
                    .execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")
                    .map_err(StoreError::db("checkpointing the vault"));
                let _ = reply.send(result);
                next = receiver.recv().ok();
                continue;
            }
        };

        let mut group = vec![first];
        while group.len() < MAX_GROUP {
            match receiver.try_recv() {
                Ok(Job::Apply { changes, reply }) => group.push(Apply { changes, reply }),
                Ok(checkpoint) => {
                    next = Some(checkpoint);
                    break;
                }
                Err(_) => break,
            }
        }

        let results = commit_group(&mut conn, &mut logs, &group);
        for (job, result) in group.into_iter().zip(results) {
            // A caller that gave up waiting is no reason to stop the writer.
            let _ = job.reply.send(result);
        }

        if next.is_none() {
            next = receiver.recv().ok();
        }
    }
}

fn commit_group(
    conn: &mut Connection,
    logs: &mut Logs,
    group: &[Apply],
) -> Vec<Result<Receipt, StoreError>> {
    let failed_all = |e: &rusqlite::Error| {
        group
            .iter()
            .map(|_| {
                Err(StoreError::Database {
                    context: "committing a group of changes",
                    source: clone_error(e),
                })
            })
            .collect()
    };

    let mut tx = match conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate) {
        Ok(tx) => tx,
        Err(e) => return failed_all(&e),
    };

    let mut results = Vec::with_capacity(group.len());
    for job in group {
        // Each list gets its own savepoint; dropping a savepoint without committing rolls
        // back that list alone, and its ledger appends with it.
        let outcome = match tx.savepoint() {
            Ok(mut savepoint) => apply_all(&savepoint, logs, &job.changes).and_then(|receipt| {
                savepoint.set_drop_behavior(rusqlite::DropBehavior::Commit);
                savepoint
                    .commit()
                    .map_err(StoreError::db("releasing a savepoint"))?;
                Ok(receipt)
            }),
            Err(e) => Err(StoreError::db("opening a savepoint")(e)),
        };
        match outcome {
            Ok(_) => logs.release_savepoint(),
            Err(_) => logs.roll_back_savepoint(),
        }
        results.push(outcome);
    }

    if let Err(e) = tx.commit() {
        logs.roll_back_transaction();
        return failed_all(&e);
    }
    logs.commit_transaction();
    results
}

fn clone_error(e: &rusqlite::Error) -> rusqlite::Error {
    match e {
        rusqlite::Error::SqliteFailure(code, message) => {
            rusqlite::Error::SqliteFailure(*code, message.clone())
        }
        other => {
            rusqlite::Error::SqliteFailure(rusqlite::ffi::Error::new(1), Some(other.to_string()))
        }
    }
}

fn conflict_or(
    what: &'static str,
    context: &'static str,
) -> impl FnOnce(rusqlite::Error) -> StoreError {
    move |e| match e.sqlite_error_code() {
        Some(ErrorCode::ConstraintViolation) => StoreError::Conflict(what),
        _ => StoreError::Database { context, source: e },
    }
}

fn apply_all(
    conn: &Connection,
    logs: &mut Logs,
    changes: &[Change],
) -> Result<Receipt, StoreError> {
    let mut receipt = Receipt::default();
    for change in changes {
        if let Some((seq, leaf)) = apply(conn, logs, change)? {
            receipt.audit_seqs.push(seq);
            receipt.ledger_leaves.push(leaf);
        }
    }
    Ok(receipt)
}

fn json<T: serde::Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|_| StoreError::Corrupt("a value did not encode".into()))
}

fn require_one(changed: usize, what: &'static str) -> Result<(), StoreError> {
    if changed == 0 {
        Err(StoreError::Missing(what))
    } else {
        Ok(())
    }
}

fn bump_config_version(conn: &Connection, tenant: &str) -> Result<(), StoreError> {
    conn.prepare_cached("UPDATE tenants SET config_version = config_version + 1 WHERE id = ?1")
        .and_then(|mut s| s.execute(params![tenant]))
        .map_err(StoreError::db("bumping a tenant's configuration version"))
        .and_then(|changed| require_one(changed, "the tenant"))
}

/// Applies one change; an audit event returns its sequence number and leaf index.
fn apply(
    conn: &Connection,
    logs: &mut Logs,
    change: &Change,
) -> Result<Option<(u64, u64)>, StoreError> {
    match change {
        Change::InsertTenant(t) => {
            conn.prepare_cached(
                "INSERT INTO tenants (id, name, time_zone, created_at) VALUES (?1, ?2, ?3, ?4)",
            )
            .and_then(|mut s| {
                s.execute(params![
                    t.id.as_str(),
                    t.name,
                    t.time_zone,
                    micros(t.created_at)
                ])
            })
            .map_err(conflict_or("a tenant with this id", "adding a tenant"))?;
        }
        Change::PutActor(a) => {
            let roles: Vec<&str> = a.roles.iter().map(|r| r.as_str()).collect();
            conn.prepare_cached(
                "INSERT INTO actors (tenant_id, id, kind, display_name, roles, attributes,
                                     disabled, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
                 ON CONFLICT (tenant_id, id) DO UPDATE SET
                     kind = excluded.kind, display_name = excluded.display_name,
                     roles = excluded.roles, attributes = excluded.attributes,
                     disabled = excluded.disabled, updated_at = excluded.updated_at",
            )
            .and_then(|mut s| {
                s.execute(params![
                    a.tenant.as_str(),
                    a.id.as_str(),
                    a.kind.as_str(),
                    a.display_name,
                    json(&roles).unwrap_or_default(),
                    json(&a.attributes).unwrap_or_default(),
                    a.disabled,
                    micros(a.created_at),
                    micros(a.updated_at),
                ])
            })
            .map_err(conflict_or("the actor's tenant", "storing an actor"))?;
        }
        Change::InsertCredential(c) => {
            conn.prepare_cached(
                "INSERT INTO credentials (id, tenant_id, actor_id, secret_hash, label,
                                          created_at, expires_at, revoked_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, NULL)",
            )
            .and_then(|mut s| {
                s.execute(params![
                    c.id.as_str(),
                    c.tenant.as_str(),
                    c.actor.as_str(),
                    &c.secret_hash[..],
                    c.label,
                    micros(c.created_at),
                    micros(c.expires_at),
                ])
            })
            .map_err(conflict_or(
                "a credential with this id, or its actor",
                "issuing",
            ))?;
        }
        Change::RevokeCredential { tenant, id, at } => {
            let changed = conn
                .prepare_cached(
                    "UPDATE credentials SET revoked_at = COALESCE(revoked_at, ?3)
                     WHERE id = ?1 AND tenant_id = ?2",
                )
                .and_then(|mut s| s.execute(params![id.as_str(), tenant.as_str(), micros(*at)]))
                .map_err(StoreError::db("revoking a credential"))?;
            require_one(changed, "the credential")?;
        }
        Change::InsertSubject(s) => {
            conn.prepare_cached(
                "INSERT INTO subjects (tenant_id, id, restricted, created_at, disposed_at)
                 VALUES (?1, ?2, ?3, ?4, NULL)",
            )
            .and_then(|mut st| {
                st.execute(params![
                    s.tenant.as_str(),
                    s.id.as_str(),
                    s.restricted,
                    micros(s.created_at)
                ])
            })
            .map_err(conflict_or(
                "the subject, or its tenant",
                "adding a subject",
            ))?;
        }
        Change::LinkSubject {
            tenant,
            field,
            digest,
            subject,
        } => {
            conn.prepare_cached(
                "INSERT INTO subject_links (tenant_id, field, digest, subject_id)
                 VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING",
            )
            .and_then(|mut s| {
                s.execute(params![
                    tenant.as_str(),
                    field,
                    &digest[..],
                    subject.as_str()
                ])
            })
            .map_err(conflict_or("the linked subject", "linking a subject"))?;
        }
        Change::SetRestricted {
            tenant,
            subject,
            restricted,
        } => {
            let changed = conn
                .prepare_cached(
                    "UPDATE subjects SET restricted = ?3
                     WHERE tenant_id = ?1 AND id = ?2 AND disposed_at IS NULL",
                )
                .and_then(|mut s| s.execute(params![tenant.as_str(), subject.as_str(), restricted]))
                .map_err(StoreError::db("restricting a subject"))?;
            require_one(changed, "the subject")?;
        }
        Change::PutRecord {
            record,
            parts,
            index,
            source,
        } => {
            put_record(conn, record, parts, index, source.as_ref())?;
        }
        Change::DisposeSubject {
            tenant,
            subject,
            at,
        } => {
            dispose_subject(conn, tenant.as_str(), subject.as_str(), micros(*at))?;
        }
        Change::PutPolicy(p) => {
            conn.prepare_cached(
                "INSERT INTO policies (tenant_id, id, text, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (tenant_id, id) DO UPDATE SET
                     text = excluded.text, updated_at = excluded.updated_at",
            )
            .and_then(|mut s| {
                s.execute(params![
                    p.tenant.as_str(),
                    p.id,
                    p.text,
                    micros(p.created_at),
                    micros(p.updated_at)
                ])
            })
            .map_err(conflict_or("the policy's tenant", "storing a policy"))?;
            bump_config_version(conn, p.tenant.as_str())?;
        }
        Change::DeletePolicy { tenant, id } => {
            let changed = conn
                .prepare_cached("DELETE FROM policies WHERE tenant_id = ?1 AND id = ?2")
                .and_then(|mut s| s.execute(params![tenant.as_str(), id]))
                .map_err(StoreError::db("removing a policy"))?;
            require_one(changed, "the policy")?;
            bump_config_version(conn, tenant.as_str())?;
        }
        Change::PutRecordType(r) => {
            conn.prepare_cached(
                "INSERT INTO record_types (tenant_id, name, definition, updated_at)
                 VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (tenant_id, name) DO UPDATE SET
                     definition = excluded.definition, updated_at = excluded.updated_at",
            )
            .and_then(|mut s| {
                s.execute(params![
                    r.tenant.as_str(),
                    r.name,
                    r.definition,
                    micros(r.updated_at)
                ])
            })
            .map_err(conflict_or(
                "the record type's tenant",
                "storing a record type",
            ))?;
        }
        Change::InsertBreakGlass(g) => {
            conn.prepare_cached(
                "INSERT INTO break_glass (tenant_id, actor_id, subject_id, reason, granted_at,
                                          expires_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )
            .and_then(|mut s| {
                s.execute(params![
                    g.tenant.as_str(),
                    g.actor.as_str(),
                    g.subject.as_str(),
                    g.reason,
                    micros(g.granted_at),
                    micros(g.expires_at)
                ])
            })
            .map_err(StoreError::db("granting break-glass access"))?;
        }
        Change::Audit(event) => {
            let (seq, index) = logs.append(conn, event)?;
            return Ok(Some((seq, index)));
        }
        Change::PutCheckpoint(checkpoint) => {
            conn.prepare_cached(
                "INSERT INTO ledger_checkpoints (tenant_id, tree_size, root_hash, note, issued_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )
            .and_then(|mut s| {
                s.execute(params![
                    checkpoint.tenant.as_str(),
                    i64::try_from(checkpoint.size).unwrap_or(i64::MAX),
                    checkpoint.root.as_slice(),
                    checkpoint.note,
                    micros(checkpoint.issued_at),
                ])
            })
            .map_err(StoreError::db("keeping a checkpoint"))?;
        }
        Change::PutAlert(alert) => {
            let document = json(alert)?;
            conn.prepare_cached(
                "INSERT INTO alerts (tenant_id, id, rule, severity, actor_id, first_seen,
                                     last_seen, alert)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
                 ON CONFLICT (tenant_id, id) DO UPDATE SET
                     severity = excluded.severity, last_seen = excluded.last_seen,
                     alert = excluded.alert",
            )
            .and_then(|mut s| {
                s.execute(params![
                    alert.tenant.as_str(),
                    alert.id.as_str(),
                    alert.rule.as_str(),
                    alert.severity.as_str(),
                    alert.actor.as_str(),
                    micros(alert.first_seen),
                    micros(alert.last_seen),
                    document,
                ])
            })
            .map_err(StoreError::db("keeping an alert"))?;
        }
        Change::PutDeadLetter(letter) => {
            conn.prepare_cached(
                "INSERT INTO alert_dead_letters (tenant_id, alert_id, channel, attempts,
                                                 first_attempt, last_attempt, error)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )
            .and_then(|mut s| {
                s.execute(params![
                    letter.tenant.as_str(),
                    letter.alert.as_str(),
                    letter.channel,
                    letter.attempts,
                    micros(letter.first_attempt),
                    micros(letter.last_attempt),
                    letter.error,
                ])
            })
            .map_err(StoreError::db("keeping a failed alert delivery"))?;
        }
        Change::SetDetectorCursor(seq) => {
            conn.prepare_cached(
                "INSERT INTO detector_cursor (id, seq) VALUES (1, ?1)
                 ON CONFLICT (id) DO UPDATE SET seq = excluded.seq",
            )
            .and_then(|mut s| s.execute(params![i64::try_from(*seq).unwrap_or(i64::MAX)]))
            .map_err(StoreError::db("moving the detectors' cursor"))?;
        }
        Change::PutIncident(incident) => {
            conn.prepare_cached(
                "INSERT INTO incidents (tenant_id, id, opened_at, retain_until, document)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (tenant_id, id) DO UPDATE SET
                     opened_at = excluded.opened_at, retain_until = excluded.retain_until,
                     document = excluded.document",
            )
            .and_then(|mut s| {
                s.execute(params![
                    incident.tenant.as_str(),
                    incident.id.as_str(),
                    micros(incident.opened_at),
                    micros(incident.retain_until),
                    incident.document,
                ])
            })
            .map_err(conflict_or(
                "an incident's opening time or retention",
                "keeping an incident",
            ))?;
        }
    }
    Ok(None)
}

fn put_record(
    conn: &Connection,
    record: &crate::Record,
    parts: &[crate::RecordPart],
    index: &[crate::IndexEntry],
    source: Option<&[u8; 16]>,
) -> Result<(), StoreError> {
    let tenant = record.tenant.as_str();
    let id = record.id.as_str();

    conn.prepare_cached(
        "INSERT INTO records (tenant_id, id, subject_id, record_type, subject_key_version,
                              source_digest, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
         ON CONFLICT (tenant_id, id) DO UPDATE SET
             record_type = excluded.record_type,
             subject_key_version = excluded.subject_key_version,
             updated_at = excluded.updated_at
         WHERE records.subject_id = excluded.subject_id",
    )
    .and_then(|mut s| {
        s.execute(params![
            tenant,
            id,
            record.subject.as_str(),
            record.record_type,
            record.subject_key_version,
            source.map(|d| &d[..]),
            micros(record.created_at),
            micros(record.updated_at),
        ])
    })
    .map_err(conflict_or(
        "a record from the same source, or its subject",
        "storing a record",
    ))
    .and_then(|changed| require_one(changed, "a record of this subject with this id"))?;

    conn.prepare_cached("DELETE FROM record_parts WHERE tenant_id = ?1 AND record_id = ?2")
        .and_then(|mut s| s.execute(params![tenant, id]))
        .map_err(StoreError::db("replacing record parts"))?;
    conn.prepare_cached("DELETE FROM search_index WHERE tenant_id = ?1 AND record_id = ?2")
        .and_then(|mut s| s.execute(params![tenant, id]))
        .map_err(StoreError::db("replacing index entries"))?;

    let mut insert_part = conn
        .prepare_cached(
            "INSERT INTO record_parts (tenant_id, record_id, part, sealed) VALUES (?1, ?2, ?3, ?4)",
        )
        .map_err(StoreError::db("storing record parts"))?;
    for part in parts {
        insert_part
            .execute(params![tenant, id, part.part, part.sealed])
            .map_err(conflict_or("a record part", "storing record parts"))?;
    }

    let mut insert_entry = conn
        .prepare_cached(
            "INSERT INTO search_index (tenant_id, field, digest, record_id, subject_id)
             VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT DO NOTHING",
        )
        .map_err(StoreError::db("storing index entries"))?;
    for entry in index {
        insert_entry
            .execute(params![
                tenant,
                entry.field,
                &entry.digest[..],
                id,
                record.subject.as_str()
            ])
            .map_err(StoreError::db("storing index entries"))?;
    }
    Ok(())
}

fn dispose_subject(
    conn: &Connection,
    tenant: &str,
    subject: &str,
    at: i64,
) -> Result<(), StoreError> {
    let changed = conn
        .prepare_cached(
            "UPDATE subjects SET disposed_at = ?3, restricted = 0
             WHERE tenant_id = ?1 AND id = ?2 AND disposed_at IS NULL",
        )
        .and_then(|mut s| s.execute(params![tenant, subject, at]))
        .map_err(StoreError::db("disposing of a subject"))?;
    require_one(changed, "the subject")?;

    let statements = [
        "DELETE FROM record_parts WHERE tenant_id = ?1 AND record_id IN
             (SELECT id FROM records WHERE tenant_id = ?1 AND subject_id = ?2)",
        "DELETE FROM search_index WHERE tenant_id = ?1 AND subject_id = ?2",
        "DELETE FROM records WHERE tenant_id = ?1 AND subject_id = ?2",
        "DELETE FROM subject_links WHERE tenant_id = ?1 AND subject_id = ?2",
    ];
    for sql in statements {
        conn.prepare_cached(sql)
            .and_then(|mut s| s.execute(params![tenant, subject]))
            .map_err(StoreError::db("disposing of a subject"))?;
    }
    Ok(())
}
