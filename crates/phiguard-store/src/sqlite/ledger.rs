//! The per-tenant Merkle logs inside `vault.sqlite`.
//!
//! Every audit row is a leaf: its `event` column holds the canonical ledger entry, `leaf_index`
//! its position in its tenant's log and `leaf_hash` the RFC 6962 hash of those bytes. Interior
//! nodes of complete subtrees live in `ledger_nodes`. The writer keeps each tenant's
//! [`Frontier`] in memory, stages appends per savepoint and publishes them only once the
//! transaction that holds them has committed, so the frontier never runs ahead of the disk.

use std::collections::HashMap;

use phiguard_core::{AuditEvent, TenantId};
use phiguard_ledger::{Frontier, Hash, LedgerEntry, NodeId, NodeSource, leaf_hash};
use rusqlite::{Connection, OptionalExtension, params};

use crate::StoreError;

/// Node hashes of one tenant's log, read through a connection.
pub(crate) struct SqlNodes<'c> {
    pub(crate) conn: &'c Connection,
    pub(crate) tenant: &'c str,
}

impl NodeSource for SqlNodes<'_> {
    type Error = StoreError;

    fn node(&self, id: NodeId) -> Result<Hash, StoreError> {
        let context = "reading a ledger node";
        let index = i64::try_from(id.index).map_err(|_| StoreError::Missing("the ledger node"))?;
        let found: Option<Vec<u8>> = if id.level == 0 {
            self.conn
                .prepare_cached(
                    "SELECT leaf_hash FROM audit_events WHERE tenant_id = ?1 AND leaf_index = ?2",
                )
                .and_then(|mut s| {
                    s.query_row(params![self.tenant, index], |row| row.get(0))
                        .optional()
                })
                .map_err(StoreError::db(context))?
        } else {
            self.conn
                .prepare_cached(
                    "SELECT hash FROM ledger_nodes WHERE tenant_id = ?1 AND level = ?2 AND idx = ?3",
                )
                .and_then(|mut s| {
                    s.query_row(params![self.tenant, id.level, index], |row| row.get(0))
                        .optional()
                })
                .map_err(StoreError::db(context))?
        };

        let bytes = found.ok_or_else(|| {
            StoreError::Corrupt(format!(
                "{id} of tenant {}'s ledger is missing from the store",
                self.tenant
            ))
        })?;
        Hash::from_slice(&bytes).map_err(|_| {
            StoreError::Corrupt(format!(
                "{id} of tenant {}'s ledger is not a 32-byte hash",
                self.tenant
            ))
        })
    }
}

/// How many leaves a tenant's log holds, as committed.
pub(crate) fn size(conn: &Connection, tenant: &str) -> Result<u64, StoreError> {
    let next: i64 = conn
        .prepare_cached(
            "SELECT COALESCE(MAX(leaf_index) + 1, 0) FROM audit_events WHERE tenant_id = ?1",
        )
        .and_then(|mut s| s.query_row([tenant], |row| row.get(0)))
        .map_err(StoreError::db("reading the size of a ledger"))?;
    Ok(u64::try_from(next).unwrap_or_default())
}

/// The writer's view of every tenant's log: committed frontiers, plus the appends of the
/// transaction in progress.
#[derive(Default)]
pub(crate) struct Logs {
    committed: HashMap<TenantId, Frontier>,
    /// Frontiers changed by savepoints that were released in the open transaction.
    transaction: HashMap<TenantId, Frontier>,
    /// Frontiers changed inside the open savepoint.
    savepoint: HashMap<TenantId, Frontier>,
}

impl Logs {
    /// Appends `event` to its tenant's log inside the open savepoint; returns the row's global
    /// sequence number and the leaf's position in the tenant's log.
    pub(crate) fn append(
        &mut self,
        conn: &Connection,
        event: &AuditEvent,
    ) -> Result<(u64, u64), StoreError> {
        let tenant = &event.tenant;
        if !self.savepoint.contains_key(tenant) {
            let current = match self.transaction.get(tenant) {
                Some(frontier) => frontier.clone(),
                // Another process (a command run beside `serve`) may have appended since the
                // last commit: the cached frontier is trusted only while the log on disk still
                // has its size, which this write transaction's lock keeps stable.
                None => match self.committed.get(tenant) {
                    Some(frontier) if frontier.size() == size(conn, tenant.as_str())? => {
                        frontier.clone()
                    }
                    _ => load(conn, tenant.as_str())?,
                },
            };
            self.savepoint.insert(tenant.clone(), current);
        }
        let Some(frontier) = self.savepoint.get_mut(tenant) else {
            return Err(StoreError::Missing("the ledger frontier"));
        };

        let index = frontier.size();
        let (body, leaf) = encode_leaf(index, event)?;
        let leaf_index = i64::try_from(index).map_err(|_| StoreError::Missing("a leaf index"))?;

        conn.prepare_cached(
            "INSERT INTO audit_events (tenant_id, time, actor_id, action, subject_id, record_id,
                                       outcome, event, leaf_index, leaf_hash)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        )
        .and_then(|mut s| {
            s.execute(params![
                tenant.as_str(),
                super::convert::micros(event.time),
                event.actor.as_str(),
                event.action.as_str(),
                event.subject.as_ref().map(|s| s.as_str()),
                event.record.as_ref().map(|r| r.as_str()),
                event.outcome.as_str(),
                body,
                leaf_index,
                leaf.as_bytes().as_slice(),
            ])
        })
        .map_err(StoreError::db("appending an audit event"))?;
        let seq = u64::try_from(conn.last_insert_rowid()).unwrap_or_default();

        append_nodes(conn, tenant, frontier, leaf)?;
        Ok((seq, index))
    }

    /// The open savepoint was released: its appends join the transaction.
    pub(crate) fn release_savepoint(&mut self) {
        self.transaction.extend(self.savepoint.drain());
    }

    /// The open savepoint was rolled back: its appends never happened.
    pub(crate) fn roll_back_savepoint(&mut self) {
        self.savepoint.clear();
    }

    /// The transaction is durable: its appends become the committed frontiers.
    pub(crate) fn commit_transaction(&mut self) {
        self.savepoint.clear();
        self.committed.extend(self.transaction.drain());
    }

    /// The transaction failed: forget its appends, and reload frontiers from disk when next
    /// needed in case the failure left the cache unsure.
    pub(crate) fn roll_back_transaction(&mut self) {
        self.savepoint.clear();
        for tenant in self.transaction.drain().map(|(tenant, _)| tenant) {
            self.committed.remove(&tenant);
        }
    }
}

/// The canonical entry of `event` at leaf `index`, as stored text, and its leaf hash.
fn encode_leaf(index: u64, event: &AuditEvent) -> Result<(String, Hash), StoreError> {
    let entry = LedgerEntry::from_event(index, event)
        .encode()
        .map_err(|_| StoreError::Corrupt("an audit event did not encode".into()))?;
    let leaf = leaf_hash(&entry);
    let body = String::from_utf8(entry)
        .map_err(|_| StoreError::Corrupt("a ledger entry is not UTF-8".into()))?;
    Ok((body, leaf))
}

/// Appends `leaf` to `frontier` and stores every interior node the append completes (the leaf
/// itself lives in its audit row).
fn append_nodes(
    conn: &Connection,
    tenant: &TenantId,
    frontier: &mut Frontier,
    leaf: Hash,
) -> Result<(), StoreError> {
    let mut insert = conn
        .prepare_cached(
            "INSERT INTO ledger_nodes (tenant_id, level, idx, hash) VALUES (?1, ?2, ?3, ?4)",
        )
        .map_err(StoreError::db("appending a ledger node"))?;
    let mut failed = None;
    frontier.append_with(leaf, |id, hash| {
        if id.level == 0 || failed.is_some() {
            return;
        }
        let at = i64::try_from(id.index).unwrap_or(i64::MAX);
        if let Err(e) = insert.execute(params![tenant.as_str(), id.level, at, hash.as_bytes()]) {
            failed = Some(e);
        }
    });
    match failed {
        Some(e) => Err(StoreError::db("appending a ledger node")(e)),
        None => Ok(()),
    }
}

/// Rebuilds a tenant's frontier from its committed nodes.
fn load(conn: &Connection, tenant: &str) -> Result<Frontier, StoreError> {
    let size = size(conn, tenant)?;
    Frontier::from_source(size, &SqlNodes { conn, tenant }).map_err(|e| match e {
        phiguard_ledger::TreeError::Source(e) => e,
        other => StoreError::Corrupt(other.to_string()),
    })
}

/// Turns the audit rows of schema version 1 into ledger leaves, tenant by tenant in the order
/// they were written. Runs inside the migration's transaction.
pub(crate) fn backfill(conn: &Connection) -> Result<(), StoreError> {
    let context = "moving the audit trail into the ledger";
    let rows: Vec<(i64, String)> = conn
        .prepare("SELECT seq, event FROM audit_events ORDER BY seq")
        .and_then(|mut s| {
            s.query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?
                .collect::<Result<_, _>>()
        })
        .map_err(StoreError::db(context))?;

    let mut logs = Logs::default();
    for (seq, body) in rows {
        let event: AuditEvent = serde_json::from_str(&body)
            .map_err(|_| StoreError::Corrupt(format!("audit event {seq} does not decode")))?;
        let frontier = logs.committed.entry(event.tenant.clone()).or_default();
        let index = frontier.size();
        let (body, leaf) = encode_leaf(index, &event)?;
        conn.execute(
            "UPDATE audit_events SET event = ?1, leaf_index = ?2, leaf_hash = ?3 WHERE seq = ?4",
            params![
                body,
                i64::try_from(index).unwrap_or(i64::MAX),
                leaf.as_bytes().as_slice(),
                seq
            ],
        )
        .map_err(StoreError::db(context))?;

        append_nodes(conn, &event.tenant, frontier, leaf)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "a test fails loudly")]

    use phiguard_core::{ActorKind, AuditAction, Decision, Outcome};
    use phiguard_ledger::{MemoryTree, root_at};

    use super::*;
    use crate::sqlite::{Migration, migrate, schema};
    use crate::{AuditQuery, LedgerNodes, SqliteStore, Store};

    #[tokio::test]
    async fn version_1_audit_rows_become_ledger_leaves_on_upgrade() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(crate::VAULT_FILE);
        let conn = Connection::open(&path).unwrap();
        migrate(&conn, &path, 1, &[Migration::sql(schema::VAULT_V1)]).unwrap();

        let mut written = Vec::new();
        for n in 0..9 {
            let tenant: TenantId = if n % 3 == 0 { "south" } else { "north" }.parse().unwrap();
            let mut event = AuditEvent::new(
                tenant,
                "importer".parse().unwrap(),
                ActorKind::System,
                AuditAction::Import,
                Decision::Allow,
                Outcome::Success,
            );
            event.count = Some(n);
            conn.execute(
                "INSERT INTO audit_events (tenant_id, time, actor_id, action, outcome, event)
                 VALUES (?1, 0, 'importer', 'import', 'success', ?2)",
                params![
                    event.tenant.as_str(),
                    serde_json::to_string(&event).unwrap()
                ],
            )
            .unwrap();
            written.push(event);
        }
        drop(conn);

        let store = SqliteStore::open(dir.path()).unwrap();
        let north: TenantId = "north".parse().unwrap();
        let events = store
            .audit_events(
                &north,
                &AuditQuery {
                    limit: 100,
                    ..Default::default()
                },
            )
            .unwrap();
        let expected: Vec<&AuditEvent> = written.iter().filter(|e| e.tenant == north).collect();
        assert_eq!(
            events.iter().map(|e| &e.event).collect::<Vec<_>>(),
            expected
        );
        assert_eq!(
            events.iter().map(|e| e.leaf_index).collect::<Vec<_>>(),
            (0..6).collect::<Vec<_>>()
        );

        let mut rebuilt = MemoryTree::new();
        for leaf in store.ledger_leaves(&north, 0, 100).unwrap() {
            rebuilt.append(leaf_hash(&leaf.entry));
        }
        let root = root_at(6, &LedgerNodes::new(&store, &north)).unwrap();
        assert_eq!(root, rebuilt.root());

        // The upgraded log keeps growing from where the backfill left it.
        let receipt = store
            .submit(vec![crate::Change::Audit(written[1].clone())])
            .await
            .unwrap();
        assert_eq!(receipt.ledger_leaves, [6]);
    }
}
