//! Durable storage for phiguard.
//!
//! This crate owns where the vault's rows live: tenants, actors, credential hashes, subjects,
//! sealed record parts, blind-index digests, tenant policies, record-type configuration,
//! break-glass grants, the append-only audit trail, and — in a separate keyring — wrapped keys.
//! The [`Store`] trait is the one abstraction the vault talks to; [`SqliteStore`] is the
//! embedded backend, two SQLite files in WAL mode under the data directory:
//!
//! ```text
//!  phiguard-data/               (mode 0700)
//!  ├── root.key                 (0600; owned by phiguard-crypto, never in a database)
//!  ├── vault.sqlite             (0600) sealed parts, digests, metadata, the per-tenant
//!  │                                    Merkle ledgers of audit events and their checkpoints
//!  └── keyring.sqlite           (0600) wrapped tenant, index and subject keys
//! ```
//!
//! Keys live apart from the data they protect, so a copy or backup of `vault.sqlite` alone holds
//! nothing readable, and destroying a subject key in the keyring shreds every copy of that
//! subject's ciphertexts, backups included.
//!
//! # Writes
//!
//! A write is a list of [`Change`]s that commits atomically. [`Store::submit`] hands the list to
//! one writer that groups whatever lists are waiting into a single transaction with one fsync
//! (group commit), each list in its own savepoint; [`Pending`] resolves after the commit is
//! durable (`synchronous = FULL`). Keyring writes ([`KeyChange`]) commit separately, before the
//! data that needs them and — for disposal — before the data is dropped.
//!
//! # What it refuses to do
//!
//! - It never sees plaintext PHI: content arrives sealed, search terms as keyed digests, keys
//!   wrapped. SQLite runs with `secure_delete` (deleted rows are zeroed) and `temp_store =
//!   MEMORY` (no temporary files).
//! - It never rewrites the audit trail: each audit event is a leaf of its tenant's Merkle log
//!   (phiguard-ledger), appended in the same transaction as the change it records, and triggers
//!   refuse `UPDATE` and `DELETE` on leaves, nodes and checkpoints.
//! - It never reads across tenants: every query names its tenant.
//!
//! # Example
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! use phiguard_store::{Change, SqliteStore, Store, Tenant};
//!
//! let dir = tempfile::tempdir().unwrap();
//! let store = SqliteStore::open(dir.path()).unwrap();
//! let tenant = Tenant {
//!     id: "northwind".parse().unwrap(),
//!     name: "Northwind Pharmacy".into(),
//!     time_zone: Some("America/New_York".into()),
//!     created_at: phiguard_core::Timestamp::now(),
//! };
//! store.submit(vec![Change::InsertTenant(tenant.clone())]).await.unwrap();
//! let stored = store.tenant(&tenant.id).unwrap().unwrap();
//! assert_eq!(stored.name, "Northwind Pharmacy");
//! # }
//! ```

mod change;
mod error;
mod model;
mod sqlite;

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use phiguard_core::{
    ActorId, Alert, AlertId, CredentialId, IncidentId, RecordId, SubjectId, TenantId, Timestamp,
};
use tokio::sync::oneshot;

pub use change::{Change, KeyChange, KeyReceipt, Receipt};
pub use error::StoreError;
pub use model::{
    Actor, AlertQuery, AuditQuery, BreakGlassGrant, Credential, CredentialLookup, DeadLetter,
    Digest, EmergencyAccess, IndexEntry, IndexHit, LedgerLeaf, Policy, Record, RecordPart,
    RecordTypeConfig, StoredAuditEvent, StoredCheckpoint, StoredIncident, Subject, SubjectStates,
    Tenant, TenantCounts, WrappedIndexKey, WrappedSubjectKey, WrappedTenantKey,
};
pub use sqlite::{KEYRING_FILE, SqliteStore, VAULT_FILE};

/// A submitted list of changes, resolving once it is durably committed (or refused).
///
/// Await it from async code. Synchronous code outside any async runtime may call
/// [`Pending::wait`].
#[must_use = "a change is only known to be committed once its Pending resolves"]
pub struct Pending(oneshot::Receiver<Result<Receipt, StoreError>>);

impl Pending {
    pub(crate) fn new(receiver: oneshot::Receiver<Result<Receipt, StoreError>>) -> Self {
        Pending(receiver)
    }

    /// A pending write that has already failed.
    pub(crate) fn failed(error: StoreError) -> Self {
        let (sender, receiver) = oneshot::channel();
        let _ = sender.send(Err(error));
        Pending(receiver)
    }

    /// Blocks the current thread until the commit is durable.
    ///
    /// # Panics
    ///
    /// When called from inside an async runtime, as blocking there would stall it; await the
    /// `Pending` instead.
    ///
    /// # Errors
    ///
    /// The store's error for this list, or [`StoreError::WriterStopped`].
    pub fn wait(self) -> Result<Receipt, StoreError> {
        self.0
            .blocking_recv()
            .unwrap_or(Err(StoreError::WriterStopped))
    }
}

impl Future for Pending {
    type Output = Result<Receipt, StoreError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.0)
            .poll(cx)
            .map(|result| result.unwrap_or(Err(StoreError::WriterStopped)))
    }
}

/// Where the vault keeps its rows and keys.
///
/// Reads are synchronous and fast (they never wait for the writer); writes go through
/// [`Store::submit`] and [`Store::apply_keys`]. Every method names the tenant it reads, except
/// the credential lookup, which is by the credential's globally unique id and returns the
/// tenant the credential is bound to.
pub trait Store: Send + Sync + 'static {
    /// Queues a list of changes for an atomic, durable commit.
    fn submit(&self, changes: Vec<Change>) -> Pending;

    /// Applies a list of keyring changes atomically and durably.
    ///
    /// # Errors
    ///
    /// A conflict for a duplicate subject key, or a database error.
    fn apply_keys(&self, changes: Vec<KeyChange>) -> Result<KeyReceipt, StoreError>;

    /// One tenant.
    ///
    /// # Errors
    ///
    /// A database error, or corrupt stored data.
    fn tenant(&self, id: &TenantId) -> Result<Option<Tenant>, StoreError>;

    /// Every tenant, by id.
    ///
    /// # Errors
    ///
    /// As for [`Store::tenant`].
    fn tenants(&self) -> Result<Vec<Tenant>, StoreError>;

    /// One actor of a tenant.
    ///
    /// # Errors
    ///
    /// As for [`Store::tenant`].
    fn actor(&self, tenant: &TenantId, id: &ActorId) -> Result<Option<Actor>, StoreError>;

    /// Every actor of a tenant, by id.
    ///
    /// # Errors
    ///
    /// As for [`Store::tenant`].
    fn actors(&self, tenant: &TenantId) -> Result<Vec<Actor>, StoreError>;

    /// A credential, the actor it is bound to and the tenant's configuration version.
    ///
    /// # Errors
    ///
    /// As for [`Store::tenant`].
    fn credential(&self, id: &CredentialId) -> Result<Option<CredentialLookup>, StoreError>;

    /// A tenant's configuration version: it changes whenever its policies or record types do.
    ///
    /// # Errors
    ///
    /// As for [`Store::tenant`].
    fn config_version(&self, tenant: &TenantId) -> Result<Option<u64>, StoreError>;

    /// A tenant's credentials, optionally of one actor only, newest first.
    ///
    /// # Errors
    ///
    /// As for [`Store::tenant`].
    fn credentials(
        &self,
        tenant: &TenantId,
        actor: Option<&ActorId>,
    ) -> Result<Vec<Credential>, StoreError>;

    /// One subject, disposed or not.
    ///
    /// # Errors
    ///
    /// As for [`Store::tenant`].
    fn subject(&self, tenant: &TenantId, id: &SubjectId) -> Result<Option<Subject>, StoreError>;

    /// The subject a match key was linked to.
    ///
    /// # Errors
    ///
    /// As for [`Store::tenant`].
    fn linked_subject(
        &self,
        tenant: &TenantId,
        field: &str,
        digest: &Digest,
    ) -> Result<Option<SubjectId>, StoreError>;

    /// One record with its subject.
    ///
    /// # Errors
    ///
    /// As for [`Store::tenant`].
    fn record(
        &self,
        tenant: &TenantId,
        id: &RecordId,
    ) -> Result<Option<(Record, Subject)>, StoreError>;

    /// The record imported from a given source id, if any.
    ///
    /// # Errors
    ///
    /// As for [`Store::tenant`].
    fn record_by_source(
        &self,
        tenant: &TenantId,
        source: &Digest,
    ) -> Result<Option<Record>, StoreError>;

    /// The sealed parts of a record.
    ///
    /// # Errors
    ///
    /// As for [`Store::tenant`].
    fn record_parts(&self, tenant: &TenantId, id: &RecordId)
    -> Result<Vec<RecordPart>, StoreError>;

    /// A page of a subject's records, oldest first, after the given record id (exclusive).
    ///
    /// # Errors
    ///
    /// As for [`Store::tenant`].
    fn records_of_subject(
        &self,
        tenant: &TenantId,
        subject: &SubjectId,
        after: Option<&RecordId>,
        limit: u32,
    ) -> Result<Vec<Record>, StoreError>;

    /// Records whose search field has the given digest.
    ///
    /// # Errors
    ///
    /// As for [`Store::tenant`].
    fn search(
        &self,
        tenant: &TenantId,
        field: &str,
        digest: &Digest,
        limit: u32,
    ) -> Result<Vec<IndexHit>, StoreError>;

    /// A tenant's own policies, by id.
    ///
    /// # Errors
    ///
    /// As for [`Store::tenant`].
    fn policies(&self, tenant: &TenantId) -> Result<Vec<Policy>, StoreError>;

    /// A tenant's record-type configuration, by name.
    ///
    /// # Errors
    ///
    /// As for [`Store::tenant`].
    fn record_types(&self, tenant: &TenantId) -> Result<Vec<RecordTypeConfig>, StoreError>;

    /// The break-glass grant of an actor for a subject that is in force at `now`, if any.
    ///
    /// # Errors
    ///
    /// As for [`Store::tenant`].
    fn active_break_glass(
        &self,
        tenant: &TenantId,
        actor: &ActorId,
        subject: &SubjectId,
        now: Timestamp,
    ) -> Result<Option<BreakGlassGrant>, StoreError>;

    /// A tenant's audit events, oldest first.
    ///
    /// # Errors
    ///
    /// As for [`Store::tenant`].
    fn audit_events(
        &self,
        tenant: &TenantId,
        query: &AuditQuery,
    ) -> Result<Vec<StoredAuditEvent>, StoreError>;

    /// Up to `limit` audit events of every tenant with a sequence number above `after_seq`, in
    /// order: what the server's detectors tail. Only phiguard's own detection reads across
    /// tenants; nothing a credential can reach calls it.
    ///
    /// # Errors
    ///
    /// As for [`Store::tenant`].
    fn audit_events_after(
        &self,
        after_seq: u64,
        limit: u32,
    ) -> Result<Vec<StoredAuditEvent>, StoreError>;

    /// The highest audit sequence number committed (0 when the trail is empty).
    ///
    /// # Errors
    ///
    /// As for [`Store::tenant`].
    fn latest_audit_seq(&self) -> Result<u64, StoreError>;

    /// A tenant's alerts, newest occurrence first.
    ///
    /// # Errors
    ///
    /// As for [`Store::tenant`].
    fn alerts(&self, tenant: &TenantId, query: &AlertQuery) -> Result<Vec<Alert>, StoreError>;

    /// One alert of a tenant.
    ///
    /// # Errors
    ///
    /// As for [`Store::tenant`].
    fn alert(&self, tenant: &TenantId, id: &AlertId) -> Result<Option<Alert>, StoreError>;

    /// A tenant's failed alert deliveries, oldest first.
    ///
    /// # Errors
    ///
    /// As for [`Store::tenant`].
    fn dead_letters(&self, tenant: &TenantId) -> Result<Vec<DeadLetter>, StoreError>;

    /// The last audit sequence number the detectors have seen, if they ran before.
    ///
    /// # Errors
    ///
    /// As for [`Store::tenant`].
    fn detector_cursor(&self) -> Result<Option<u64>, StoreError>;

    /// One incident of a tenant.
    ///
    /// # Errors
    ///
    /// As for [`Store::tenant`].
    fn incident(
        &self,
        tenant: &TenantId,
        id: &IncidentId,
    ) -> Result<Option<StoredIncident>, StoreError>;

    /// A tenant's incidents, oldest first.
    ///
    /// # Errors
    ///
    /// As for [`Store::tenant`].
    fn incidents(&self, tenant: &TenantId) -> Result<Vec<StoredIncident>, StoreError>;

    /// How many leaves a tenant's ledger holds (committed).
    ///
    /// # Errors
    ///
    /// As for [`Store::tenant`].
    fn ledger_size(&self, tenant: &TenantId) -> Result<u64, StoreError>;

    /// Up to `limit` leaves of a tenant's ledger from leaf `from` on, in order.
    ///
    /// # Errors
    ///
    /// As for [`Store::tenant`].
    fn ledger_leaves(
        &self,
        tenant: &TenantId,
        from: u64,
        limit: u32,
    ) -> Result<Vec<LedgerLeaf>, StoreError>;

    /// The hashes of complete subtrees of a tenant's ledger, in the order asked (for roots and
    /// proofs). Every node must lie inside the committed tree.
    ///
    /// # Errors
    ///
    /// [`StoreError::Corrupt`] when a node is missing; otherwise as for [`Store::tenant`].
    fn ledger_nodes(
        &self,
        tenant: &TenantId,
        nodes: &[phiguard_ledger::NodeId],
    ) -> Result<Vec<phiguard_ledger::Hash>, StoreError>;

    /// Every checkpoint issued for a tenant's ledger, in the order issued.
    ///
    /// # Errors
    ///
    /// As for [`Store::tenant`].
    fn checkpoints(&self, tenant: &TenantId) -> Result<Vec<StoredCheckpoint>, StoreError>;

    /// The checkpoint issued last for a tenant's ledger, if any.
    ///
    /// # Errors
    ///
    /// As for [`Store::tenant`].
    fn latest_checkpoint(&self, tenant: &TenantId) -> Result<Option<StoredCheckpoint>, StoreError>;

    /// When each of a tenant's actors last acted: the time of its newest audit event, leaving
    /// out refused credential checks (anyone who knows a credential's public id can cause
    /// those). Actors that never acted are absent.
    ///
    /// # Errors
    ///
    /// As for [`Store::tenant`].
    fn last_activity(&self, tenant: &TenantId) -> Result<BTreeMap<ActorId, Timestamp>, StoreError>;

    /// A tenant's emergency (`ETREAT`) accesses at or after `since`.
    ///
    /// # Errors
    ///
    /// As for [`Store::tenant`].
    fn emergency_access(
        &self,
        tenant: &TenantId,
        since: Timestamp,
    ) -> Result<EmergencyAccess, StoreError>;

    /// How many credentials of a tenant are live at `now` (neither expired nor revoked), per
    /// actor. Actors without one are absent.
    ///
    /// # Errors
    ///
    /// As for [`Store::tenant`].
    fn live_credentials(
        &self,
        tenant: &TenantId,
        now: Timestamp,
    ) -> Result<BTreeMap<ActorId, u64>, StoreError>;

    /// How many of a tenant's subjects are disposed of or restricted.
    ///
    /// # Errors
    ///
    /// As for [`Store::tenant`].
    fn subject_states(&self, tenant: &TenantId) -> Result<SubjectStates, StoreError>;

    /// Counts of a tenant's holdings.
    ///
    /// # Errors
    ///
    /// As for [`Store::tenant`].
    fn counts(&self, tenant: &TenantId) -> Result<TenantCounts, StoreError>;

    /// A tenant's key versions, oldest first.
    ///
    /// # Errors
    ///
    /// As for [`Store::tenant`].
    fn tenant_keys(&self, tenant: &TenantId) -> Result<Vec<WrappedTenantKey>, StoreError>;

    /// A tenant's wrapped blind-index key.
    ///
    /// # Errors
    ///
    /// As for [`Store::tenant`].
    fn index_key(&self, tenant: &TenantId) -> Result<Option<WrappedIndexKey>, StoreError>;

    /// A subject's wrapped key; `None` once it has been destroyed.
    ///
    /// # Errors
    ///
    /// As for [`Store::tenant`].
    fn subject_key(
        &self,
        tenant: &TenantId,
        subject: &SubjectId,
    ) -> Result<Option<WrappedSubjectKey>, StoreError>;

    /// A tenant's subject keys that are wrapped under tenant key versions below `version`.
    ///
    /// # Errors
    ///
    /// As for [`Store::tenant`].
    fn subject_keys_wrapped_below(
        &self,
        tenant: &TenantId,
        version: u32,
    ) -> Result<Vec<WrappedSubjectKey>, StoreError>;
}

/// The node hashes of one tenant's ledger, read through any [`Store`]: what roots and proofs
/// are computed from.
pub struct LedgerNodes<'a> {
    store: &'a dyn Store,
    tenant: &'a TenantId,
}

impl<'a> LedgerNodes<'a> {
    /// The nodes of `tenant`'s ledger in `store`.
    pub fn new(store: &'a dyn Store, tenant: &'a TenantId) -> Self {
        LedgerNodes { store, tenant }
    }
}

impl phiguard_ledger::NodeSource for LedgerNodes<'_> {
    type Error = StoreError;

    fn node(&self, id: phiguard_ledger::NodeId) -> Result<phiguard_ledger::Hash, StoreError> {
        let mut found = self.store.ledger_nodes(self.tenant, &[id])?;
        found.pop().ok_or(StoreError::Missing("the ledger node"))
    }

    fn nodes(
        &self,
        ids: &[phiguard_ledger::NodeId],
    ) -> Result<Vec<phiguard_ledger::Hash>, StoreError> {
        self.store.ledger_nodes(self.tenant, ids)
    }
}
