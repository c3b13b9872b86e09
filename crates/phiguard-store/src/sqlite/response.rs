//! The reads behind detection and incident response: the audit stream across tenants, alerts,
//! failed deliveries, the detectors' cursor and incident records (schema version 4, see
//! [`super::schema::VAULT_V4`]).

use phiguard_core::{Alert, AlertId, IncidentId, TenantId};
use phiguard_ledger::LedgerEntry;
use rusqlite::{Connection, OptionalExtension, params};

use super::convert::{micros, parse, timestamp};
use crate::{AlertQuery, DeadLetter, StoreError, StoredAuditEvent, StoredIncident};

/// The most rows one read returns.
const MAX_ROWS: u32 = 10_000;

fn sql_count(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

fn unsigned(value: i64) -> u64 {
    u64::try_from(value).unwrap_or_default()
}

pub(crate) fn audit_events_after(
    conn: &Connection,
    after_seq: u64,
    limit: u32,
) -> Result<Vec<StoredAuditEvent>, StoreError> {
    let context = "tailing the audit trail";
    let mut statement = conn
        .prepare_cached(
            "SELECT seq, leaf_index, event FROM audit_events WHERE seq > ?1 ORDER BY seq LIMIT ?2",
        )
        .map_err(StoreError::db(context))?;
    let mut rows = statement
        .query(params![sql_count(after_seq), limit.min(MAX_ROWS)])
        .map_err(StoreError::db(context))?;

    let mut events = Vec::new();
    while let Some(row) = rows.next().map_err(StoreError::db(context))? {
        let seq: i64 = row.get(0).map_err(StoreError::db(context))?;
        let leaf: i64 = row.get(1).map_err(StoreError::db(context))?;
        let entry = row
            .get_ref(2)
            .and_then(|value| Ok(value.as_str()?.as_bytes()))
            .map_err(StoreError::db(context))?;
        let event = LedgerEntry::decode_fields(entry)
            .map_err(|e| {
                StoreError::Corrupt(format!("audit event {seq} is not a ledger entry: {e}"))
            })?
            .into_event();
        events.push(StoredAuditEvent {
            seq: unsigned(seq),
            leaf_index: unsigned(leaf),
            event,
        });
    }
    Ok(events)
}

pub(crate) fn latest_audit_seq(conn: &Connection) -> Result<u64, StoreError> {
    conn.prepare_cached("SELECT COALESCE(MAX(seq), 0) FROM audit_events")
        .and_then(|mut s| s.query_row([], |row| row.get::<_, i64>(0)))
        .map(unsigned)
        .map_err(StoreError::db("reading the latest audit sequence number"))
}

fn alert_from(seq: &str, text: &str) -> Result<Alert, StoreError> {
    serde_json::from_str(text)
        .map_err(|_| StoreError::Corrupt(format!("alert {seq} does not decode")))
}

pub(crate) fn alerts(
    conn: &Connection,
    tenant: &TenantId,
    query: &AlertQuery,
) -> Result<Vec<Alert>, StoreError> {
    let context = "listing alerts";
    let mut statement = conn
        .prepare_cached(
            "SELECT id, alert FROM alerts
             WHERE tenant_id = ?1 AND (?2 IS NULL OR last_seen >= ?2)
               AND (?3 IS NULL OR rule = ?3)
             ORDER BY last_seen DESC, id
             LIMIT ?4",
        )
        .map_err(StoreError::db(context))?;
    let limit = if query.limit == 0 {
        MAX_ROWS
    } else {
        query.limit.min(MAX_ROWS)
    };
    let rows = statement
        .query_map(
            params![
                tenant.as_str(),
                query.since.map(micros),
                query.rule.map(|r| r.as_str()),
                limit
            ],
            |row| Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?)),
        )
        .map_err(StoreError::db(context))?;
    rows.map(|row| {
        let (id, text) = row.map_err(StoreError::db(context))?;
        alert_from(&id, &text)
    })
    .collect()
}

pub(crate) fn alert(
    conn: &Connection,
    tenant: &TenantId,
    id: &AlertId,
) -> Result<Option<Alert>, StoreError> {
    conn.prepare_cached("SELECT alert FROM alerts WHERE tenant_id = ?1 AND id = ?2")
        .and_then(|mut s| {
            s.query_row(params![tenant.as_str(), id.as_str()], |row| {
                row.get::<_, String>(0)
            })
            .optional()
        })
        .map_err(StoreError::db("reading an alert"))?
        .map(|text| alert_from(id.as_str(), &text))
        .transpose()
}

pub(crate) fn dead_letters(
    conn: &Connection,
    tenant: &TenantId,
) -> Result<Vec<DeadLetter>, StoreError> {
    let context = "listing failed alert deliveries";
    let mut statement = conn
        .prepare_cached(
            "SELECT alert_id, channel, attempts, first_attempt, last_attempt, error
             FROM alert_dead_letters WHERE tenant_id = ?1 ORDER BY seq LIMIT ?2",
        )
        .map_err(StoreError::db(context))?;
    let rows = statement
        .query_map(params![tenant.as_str(), MAX_ROWS], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, i64>(2)?,
                row.get::<_, i64>(3)?,
                row.get::<_, i64>(4)?,
                row.get::<_, String>(5)?,
            ))
        })
        .map_err(StoreError::db(context))?;
    rows.map(|row| {
        let (alert, channel, attempts, first, last, error) =
            row.map_err(StoreError::db(context))?;
        Ok(DeadLetter {
            tenant: tenant.clone(),
            alert: parse(&alert, "alert id")?,
            channel,
            attempts: u32::try_from(attempts).unwrap_or(u32::MAX),
            first_attempt: timestamp(first)?,
            last_attempt: timestamp(last)?,
            error,
        })
    })
    .collect()
}

pub(crate) fn detector_cursor(conn: &Connection) -> Result<Option<u64>, StoreError> {
    conn.prepare_cached("SELECT seq FROM detector_cursor WHERE id = 1")
        .and_then(|mut s| s.query_row([], |row| row.get::<_, i64>(0)).optional())
        .map(|seq| seq.map(unsigned))
        .map_err(StoreError::db("reading the detectors' cursor"))
}

type RawIncident = (String, i64, i64, String);

fn into_incident(tenant: &TenantId, raw: RawIncident) -> Result<StoredIncident, StoreError> {
    let (id, opened_at, retain_until, document) = raw;
    Ok(StoredIncident {
        tenant: tenant.clone(),
        id: parse::<IncidentId>(&id, "incident id")?,
        opened_at: timestamp(opened_at)?,
        retain_until: timestamp(retain_until)?,
        document,
    })
}

pub(crate) fn incidents(
    conn: &Connection,
    tenant: &TenantId,
    id: Option<&IncidentId>,
) -> Result<Vec<StoredIncident>, StoreError> {
    let context = "reading incidents";
    let mut statement = conn
        .prepare_cached(
            "SELECT id, opened_at, retain_until, document FROM incidents
             WHERE tenant_id = ?1 AND (?2 IS NULL OR id = ?2)
             ORDER BY opened_at, id",
        )
        .map_err(StoreError::db(context))?;
    let rows = statement
        .query_map(params![tenant.as_str(), id.map(|i| i.as_str())], |row| {
            Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
        })
        .map_err(StoreError::db(context))?;
    rows.map(|row| into_incident(tenant, row.map_err(StoreError::db(context))?))
        .collect()
}
