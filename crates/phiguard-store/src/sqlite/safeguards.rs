//! The reads behind the vault's posture: activity, emergency access, live credentials and
//! subject states, each answered through an index of schema version 3 (see
//! [`super::schema::VAULT_V3`]), so that none of them walks a tenant's whole audit trail.

use std::collections::BTreeMap;

use phiguard_core::{ActorId, TenantId, Timestamp};
use rusqlite::{Connection, params};

use super::convert::{micros, parse, timestamp};
use crate::{EmergencyAccess, StoreError, SubjectStates};

/// Each actor's newest event, one reverse seek per actor in `audit_by_actor`. The
/// `action <> 'authenticate'` term is the index's own condition, which lets SQLite use it.
const LAST_ACTIVITY: &str = "
SELECT a.id,
       (SELECT e.time FROM audit_events e
        WHERE e.tenant_id = a.tenant_id AND e.actor_id = a.id AND e.action <> 'authenticate'
        ORDER BY e.time DESC LIMIT 1)
FROM actors a
WHERE a.tenant_id = ?1
ORDER BY a.id";

/// The `ETREAT` events of a period, read from `audit_emergency` (whose condition the `LIKE` term
/// repeats). A grant opening is not an access of its own; an access is documented by its own
/// reason or by the grant it was made under.
const EMERGENCY_ACCESS: &str = r#"
SELECT COUNT(*),
       COALESCE(SUM(
           e.event NOT LIKE '%"break_glass_reason":%'
           AND NOT EXISTS (
               SELECT 1 FROM break_glass g
               WHERE g.tenant_id = e.tenant_id AND g.actor_id = e.actor_id
                 AND g.subject_id = e.subject_id
                 AND g.granted_at <= e.time AND g.expires_at > e.time)), 0)
FROM audit_events e
WHERE e.tenant_id = ?1 AND e.time >= ?2
  AND e.event LIKE '%"purpose":"ETREAT"%'
  AND e.event LIKE '%"decision":"allow"%'
  AND e.action <> 'break_glass'"#;

/// Live credentials per actor, a range of `credentials_live`.
const LIVE_CREDENTIALS: &str = "
SELECT actor_id, COUNT(*) FROM credentials
WHERE tenant_id = ?1 AND revoked_at IS NULL AND expires_at > ?2
GROUP BY actor_id
ORDER BY actor_id";

/// Disposed and restricted subjects, each a range of its own partial index.
const SUBJECT_STATES: &str = "
SELECT (SELECT COUNT(*) FROM subjects WHERE tenant_id = ?1 AND disposed_at IS NOT NULL),
       (SELECT COUNT(*) FROM subjects
        WHERE tenant_id = ?1 AND restricted = 1 AND disposed_at IS NULL)";

fn count(value: i64) -> u64 {
    u64::try_from(value).unwrap_or_default()
}

pub(crate) fn last_activity(
    conn: &Connection,
    tenant: &TenantId,
) -> Result<BTreeMap<ActorId, Timestamp>, StoreError> {
    let context = "reading when actors last acted";
    let mut statement = conn
        .prepare_cached(LAST_ACTIVITY)
        .map_err(StoreError::db(context))?;
    let rows = statement
        .query_map(params![tenant.as_str()], |row| {
            Ok((row.get::<_, String>(0)?, row.get::<_, Option<i64>>(1)?))
        })
        .map_err(StoreError::db(context))?;

    let mut last = BTreeMap::new();
    for row in rows {
        let (actor, time) = row.map_err(StoreError::db(context))?;
        if let Some(time) = time {
            last.insert(parse(&actor, "actor id")?, timestamp(time)?);
        }
    }
    Ok(last)
}

pub(crate) fn emergency_access(
    conn: &Connection,
    tenant: &TenantId,
    since: Timestamp,
) -> Result<EmergencyAccess, StoreError> {
    conn.prepare_cached(EMERGENCY_ACCESS)
        .and_then(|mut s| {
            s.query_row(params![tenant.as_str(), micros(since)], |row| {
                Ok(EmergencyAccess {
                    accesses: count(row.get(0)?),
                    without_reason: count(row.get(1)?),
                })
            })
        })
        .map_err(StoreError::db("counting emergency accesses"))
}

pub(crate) fn live_credentials(
    conn: &Connection,
    tenant: &TenantId,
    now: Timestamp,
) -> Result<BTreeMap<ActorId, u64>, StoreError> {
    let context = "counting live credentials";
    let mut statement = conn
        .prepare_cached(LIVE_CREDENTIALS)
        .map_err(StoreError::db(context))?;
    let rows = statement
        .query_map(params![tenant.as_str(), micros(now)], |row| {
            Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)?))
        })
        .map_err(StoreError::db(context))?;

    let mut live = BTreeMap::new();
    for row in rows {
        let (actor, n) = row.map_err(StoreError::db(context))?;
        live.insert(parse(&actor, "actor id")?, count(n));
    }
    Ok(live)
}

pub(crate) fn subject_states(
    conn: &Connection,
    tenant: &TenantId,
) -> Result<SubjectStates, StoreError> {
    conn.prepare_cached(SUBJECT_STATES)
        .and_then(|mut s| {
            s.query_row(params![tenant.as_str()], |row| {
                Ok(SubjectStates {
                    disposed: count(row.get(0)?),
                    restricted: count(row.get(1)?),
                })
            })
        })
        .map_err(StoreError::db("counting disposed and restricted subjects"))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "a test fails loudly")]

    use super::*;

    /// The plan SQLite picks for `sql`, one line per step.
    fn plan(conn: &Connection, sql: &str, parameters: usize) -> String {
        let mut statement = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
        let values: Vec<rusqlite::types::Value> = (0..parameters)
            .map(|_| rusqlite::types::Value::Integer(0))
            .collect();
        let rows = statement
            .query_map(rusqlite::params_from_iter(values), |row| {
                row.get::<_, String>(3)
            })
            .unwrap();
        rows.map(Result::unwrap).collect::<Vec<_>>().join("\n")
    }

    #[test]
    fn every_posture_read_uses_its_index() {
        let dir = tempfile::tempdir().unwrap();
        drop(crate::SqliteStore::open(dir.path()).unwrap());
        let conn = Connection::open(dir.path().join(crate::VAULT_FILE)).unwrap();

        for (sql, parameters, index) in [
            (LAST_ACTIVITY, 1, "audit_by_actor"),
            (EMERGENCY_ACCESS, 2, "audit_emergency"),
            (LIVE_CREDENTIALS, 2, "credentials_live"),
            (SUBJECT_STATES, 1, "subjects_disposed"),
            (SUBJECT_STATES, 1, "subjects_restricted"),
        ] {
            let plan = plan(&conn, sql, parameters);
            assert!(plan.contains(index), "{index} is not used:\n{plan}");
            assert!(
                !plan.contains("SCAN e") && !plan.contains("SCAN audit_events"),
                "{index}: the audit trail is scanned:\n{plan}"
            );
        }
    }
}
