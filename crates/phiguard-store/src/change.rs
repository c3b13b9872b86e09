//! Writes, expressed as data so that a backend can commit many of them at once.

use phiguard_core::{Alert, AuditEvent, CredentialId, SubjectId, TenantId, Timestamp};

use crate::model::{
    Actor, BreakGlassGrant, Credential, DeadLetter, Digest, IndexEntry, Policy, Record, RecordPart,
    RecordTypeConfig, StoredCheckpoint, StoredIncident, Subject, Tenant, WrappedIndexKey,
    WrappedSubjectKey, WrappedTenantKey,
};

/// One change to the data store. A list of changes submitted together commits atomically:
/// all or none.
#[derive(Debug, Clone)]
pub enum Change {
    /// Adds a tenant; fails with a conflict if the id is taken.
    InsertTenant(Tenant),
    /// Adds or replaces an actor.
    PutActor(Actor),
    /// Adds a credential.
    InsertCredential(Credential),
    /// Revokes a credential; it is refused from the next request on.
    RevokeCredential {
        /// The tenant the credential belongs to.
        tenant: TenantId,
        /// The credential.
        id: CredentialId,
        /// When it was revoked.
        at: Timestamp,
    },
    /// Adds a subject.
    InsertSubject(Subject),
    /// Records a match key (a digest of a source system's id) for a subject, so that later
    /// imports of the same person land on the same subject. Ignored if the key is taken.
    LinkSubject {
        /// The tenant.
        tenant: TenantId,
        /// The match key's field, such as `source_fhir_patient`.
        field: String,
        /// The digest of its normalised value.
        digest: Digest,
        /// The subject.
        subject: SubjectId,
    },
    /// Marks a subject as restricted, or lifts the restriction.
    SetRestricted {
        /// The tenant.
        tenant: TenantId,
        /// The subject.
        subject: SubjectId,
        /// The new state.
        restricted: bool,
    },
    /// Adds a record or replaces one with the same id: its parts and index entries are
    /// replaced as a whole.
    PutRecord {
        /// The record's metadata.
        record: Record,
        /// Its sealed parts.
        parts: Vec<RecordPart>,
        /// Its blind-index entries.
        index: Vec<IndexEntry>,
        /// The digest of the record's id in its source system, for idempotent re-import.
        source: Option<Digest>,
    },
    /// Drops everything stored about a subject but its audit trail, and marks it disposed.
    /// The caller destroys the subject key first.
    DisposeSubject {
        /// The tenant.
        tenant: TenantId,
        /// The subject.
        subject: SubjectId,
        /// When it was disposed of.
        at: Timestamp,
    },
    /// Adds or replaces a tenant policy.
    PutPolicy(Policy),
    /// Removes a tenant policy; fails if it does not exist.
    DeletePolicy {
        /// The tenant.
        tenant: TenantId,
        /// The policy id.
        id: String,
    },
    /// Adds or replaces a tenant's record-type configuration.
    PutRecordType(RecordTypeConfig),
    /// Adds a break-glass grant.
    InsertBreakGlass(BreakGlassGrant),
    /// Appends an audit event to its tenant's ledger.
    Audit(AuditEvent),
    /// Keeps a signed checkpoint of a tenant's ledger.
    PutCheckpoint(StoredCheckpoint),
    /// Adds an alert, or replaces it with its newer state (repeats folded in).
    PutAlert(Alert),
    /// Keeps a failed alert delivery.
    PutDeadLetter(DeadLetter),
    /// Moves the detectors' cursor to an audit sequence number.
    SetDetectorCursor(u64),
    /// Adds or replaces an incident's record; fails if it would change the opening time or
    /// shorten the retention.
    PutIncident(StoredIncident),
}

/// What a committed list of changes produced.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Receipt {
    /// The sequence numbers given to the list's audit events, in order.
    pub audit_seqs: Vec<u64>,
    /// The leaf indexes the events got in their tenants' ledgers, in the same order.
    pub ledger_leaves: Vec<u64>,
}

/// One change to the keyring. A list commits atomically.
#[derive(Debug, Clone)]
pub enum KeyChange {
    /// Adds a tenant key version.
    InsertTenantKey(WrappedTenantKey),
    /// Sets a tenant's blind-index key (as wrapped under a given tenant key version).
    PutIndexKey(WrappedIndexKey),
    /// Adds a subject key; fails with a conflict if the subject has one.
    InsertSubjectKey(WrappedSubjectKey),
    /// Destroys a subject key: every ciphertext sealed under it becomes unreadable.
    DestroySubjectKey {
        /// The tenant.
        tenant: TenantId,
        /// The subject.
        subject: SubjectId,
    },
    /// Replaces a subject key's wrapping if it is still wrapped under `from_version`; a key
    /// re-wrapped concurrently is left alone.
    Rewrap {
        /// The tenant key version the caller unwrapped it with.
        from_version: u32,
        /// The key wrapped under the new version.
        key: WrappedSubjectKey,
    },
    /// Destroys the tenant's key versions below `below` that no subject or index key still
    /// depends on.
    DestroyUnusedTenantKeys {
        /// The tenant.
        tenant: TenantId,
        /// Versions strictly below this one are candidates.
        below: u32,
    },
}

/// What a committed list of key changes did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyReceipt {
    /// How many subject keys were re-wrapped.
    pub rewrapped: u64,
    /// How many subject keys were destroyed.
    pub destroyed_subject_keys: u64,
    /// Which tenant key versions were destroyed.
    pub destroyed_tenant_key_versions: Vec<u32>,
}
