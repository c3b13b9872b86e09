//! The keyring file: wrapped tenant, index and subject keys.

use phiguard_core::{SubjectId, TenantId};
use rusqlite::{Connection, ErrorCode, OptionalExtension, params};

use super::convert::{micros, parse, timestamp, version};
use crate::{
    KeyChange, KeyReceipt, StoreError, WrappedIndexKey, WrappedSubjectKey, WrappedTenantKey,
};

pub(crate) fn apply(
    conn: &mut Connection,
    changes: &[KeyChange],
) -> Result<KeyReceipt, StoreError> {
    let tx = conn
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .map_err(StoreError::db("opening a keyring transaction"))?;
    let mut receipt = KeyReceipt::default();

    for change in changes {
        match change {
            KeyChange::InsertTenantKey(key) => {
                tx.prepare_cached(
                    "INSERT INTO tenant_keys (tenant_id, version, wrapped, created_at)
                     VALUES (?1, ?2, ?3, ?4)",
                )
                .and_then(|mut s| {
                    s.execute(params![
                        key.tenant.as_str(),
                        key.version,
                        key.wrapped,
                        micros(key.created_at)
                    ])
                })
                .map_err(conflict("this tenant key version", "adding a tenant key"))?;
            }
            KeyChange::PutIndexKey(key) => {
                tx.prepare_cached(
                    "INSERT INTO index_keys (tenant_id, tenant_key_version, wrapped)
                     VALUES (?1, ?2, ?3)
                     ON CONFLICT (tenant_id) DO UPDATE SET
                         tenant_key_version = excluded.tenant_key_version,
                         wrapped = excluded.wrapped",
                )
                .and_then(|mut s| {
                    s.execute(params![
                        key.tenant.as_str(),
                        key.tenant_key_version,
                        key.wrapped
                    ])
                })
                .map_err(StoreError::db("storing an index key"))?;
            }
            KeyChange::InsertSubjectKey(key) => {
                // Only under a tenant key version that still exists: a rotation that committed
                // since the key was wrapped may have retired it, and a subject key wrapped under
                // a destroyed version could never be opened again.
                let inserted = tx
                    .prepare_cached(
                        "INSERT INTO subject_keys (tenant_id, subject_id, version,
                                                   tenant_key_version, wrapped)
                         SELECT ?1, ?2, ?3, ?4, ?5
                         WHERE EXISTS (SELECT 1 FROM tenant_keys
                                       WHERE tenant_id = ?1 AND version = ?4)",
                    )
                    .and_then(|mut s| {
                        s.execute(params![
                            key.tenant.as_str(),
                            key.subject.as_str(),
                            key.version,
                            key.tenant_key_version,
                            key.wrapped
                        ])
                    })
                    .map_err(conflict("a key for this subject", "adding a subject key"))?;
                if inserted == 0 {
                    return Err(StoreError::Retired("the tenant key version"));
                }
            }
            KeyChange::DestroySubjectKey { tenant, subject } => {
                let destroyed = tx
                    .prepare_cached(
                        "DELETE FROM subject_keys WHERE tenant_id = ?1 AND subject_id = ?2",
                    )
                    .and_then(|mut s| s.execute(params![tenant.as_str(), subject.as_str()]))
                    .map_err(StoreError::db("destroying a subject key"))?;
                receipt.destroyed_subject_keys += destroyed as u64;
            }
            KeyChange::Rewrap { from_version, key } => {
                let changed = tx
                    .prepare_cached(
                        "UPDATE subject_keys SET wrapped = ?4, tenant_key_version = ?5
                         WHERE tenant_id = ?1 AND subject_id = ?2 AND tenant_key_version = ?3",
                    )
                    .and_then(|mut s| {
                        s.execute(params![
                            key.tenant.as_str(),
                            key.subject.as_str(),
                            from_version,
                            key.wrapped,
                            key.tenant_key_version
                        ])
                    })
                    .map_err(StoreError::db("re-wrapping a subject key"))?;
                receipt.rewrapped += changed as u64;
            }
            KeyChange::DestroyUnusedTenantKeys { tenant, below } => {
                let mut statement = tx
                    .prepare_cached(
                        "DELETE FROM tenant_keys
                         WHERE tenant_id = ?1 AND version < ?2
                           AND NOT EXISTS (SELECT 1 FROM subject_keys k
                                           WHERE k.tenant_id = ?1
                                             AND k.tenant_key_version = tenant_keys.version)
                           AND NOT EXISTS (SELECT 1 FROM index_keys i
                                           WHERE i.tenant_id = ?1
                                             AND i.tenant_key_version = tenant_keys.version)
                         RETURNING version",
                    )
                    .map_err(StoreError::db("destroying old tenant keys"))?;
                let versions = statement
                    .query_map(params![tenant.as_str(), below], |row| row.get::<_, i64>(0))
                    .map_err(StoreError::db("destroying old tenant keys"))?
                    .map(|v| {
                        v.map_err(StoreError::db("destroying old tenant keys"))
                            .and_then(version)
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                receipt.destroyed_tenant_key_versions.extend(versions);
            }
        }
    }

    tx.commit()
        .map_err(StoreError::db("committing keyring changes"))?;
    Ok(receipt)
}

fn conflict(
    what: &'static str,
    context: &'static str,
) -> impl FnOnce(rusqlite::Error) -> StoreError {
    move |e| match e.sqlite_error_code() {
        Some(ErrorCode::ConstraintViolation) => StoreError::Conflict(what),
        _ => StoreError::Database { context, source: e },
    }
}

pub(crate) fn tenant_keys(
    conn: &Connection,
    tenant: &TenantId,
) -> Result<Vec<WrappedTenantKey>, StoreError> {
    let context = "reading tenant keys";
    let mut statement = conn
        .prepare_cached(
            "SELECT version, wrapped, created_at FROM tenant_keys
             WHERE tenant_id = ?1 ORDER BY version",
        )
        .map_err(StoreError::db(context))?;
    let rows = statement
        .query_map(params![tenant.as_str()], |row| {
            Ok((
                row.get::<_, i64>(0)?,
                row.get::<_, Vec<u8>>(1)?,
                row.get::<_, i64>(2)?,
            ))
        })
        .map_err(StoreError::db(context))?;
    rows.map(|row| {
        let (v, wrapped, created) = row.map_err(StoreError::db(context))?;
        Ok(WrappedTenantKey {
            tenant: tenant.clone(),
            version: version(v)?,
            wrapped,
            created_at: timestamp(created)?,
        })
    })
    .collect()
}

pub(crate) fn index_key(
    conn: &Connection,
    tenant: &TenantId,
) -> Result<Option<WrappedIndexKey>, StoreError> {
    let raw = conn
        .prepare_cached("SELECT tenant_key_version, wrapped FROM index_keys WHERE tenant_id = ?1")
        .and_then(|mut s| {
            s.query_row(params![tenant.as_str()], |row| {
                Ok((row.get::<_, i64>(0)?, row.get::<_, Vec<u8>>(1)?))
            })
            .optional()
        })
        .map_err(StoreError::db("reading an index key"))?;
    raw.map(|(v, wrapped)| {
        Ok(WrappedIndexKey {
            tenant: tenant.clone(),
            tenant_key_version: version(v)?,
            wrapped,
        })
    })
    .transpose()
}

pub(crate) fn subject_key(
    conn: &Connection,
    tenant: &TenantId,
    subject: &SubjectId,
) -> Result<Option<WrappedSubjectKey>, StoreError> {
    let raw = conn
        .prepare_cached(
            "SELECT version, tenant_key_version, wrapped FROM subject_keys
             WHERE tenant_id = ?1 AND subject_id = ?2",
        )
        .and_then(|mut s| {
            s.query_row(params![tenant.as_str(), subject.as_str()], |row| {
                Ok((
                    row.get::<_, i64>(0)?,
                    row.get::<_, i64>(1)?,
                    row.get::<_, Vec<u8>>(2)?,
                ))
            })
            .optional()
        })
        .map_err(StoreError::db("reading a subject key"))?;
    raw.map(|(v, tv, wrapped)| {
        Ok(WrappedSubjectKey {
            tenant: tenant.clone(),
            subject: subject.clone(),
            version: version(v)?,
            tenant_key_version: version(tv)?,
            wrapped,
        })
    })
    .transpose()
}

pub(crate) fn subject_keys_below(
    conn: &Connection,
    tenant: &TenantId,
    below: u32,
) -> Result<Vec<WrappedSubjectKey>, StoreError> {
    let context = "listing subject keys";
    let mut statement = conn
        .prepare_cached(
            "SELECT subject_id, version, tenant_key_version, wrapped FROM subject_keys
             WHERE tenant_id = ?1 AND tenant_key_version < ?2",
        )
        .map_err(StoreError::db(context))?;
    let rows = statement
        .query_map(params![tenant.as_str(), below], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, i64>(1)?,
                row.get::<_, i64>(2)?,
                row.get::<_, Vec<u8>>(3)?,
            ))
        })
        .map_err(StoreError::db(context))?;
    rows.map(|row| {
        let (subject, v, tv, wrapped) = row.map_err(StoreError::db(context))?;
        Ok(WrappedSubjectKey {
            tenant: tenant.clone(),
            subject: parse(&subject, "subject id")?,
            version: version(v)?,
            tenant_key_version: version(tv)?,
            wrapped,
        })
    })
    .collect()
}
