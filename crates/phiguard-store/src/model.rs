//! The rows the store keeps. None of them holds a PHI value in the clear: record content
//! arrives sealed, search terms arrive as keyed digests, and keys arrive wrapped.

use std::collections::BTreeMap;

use phiguard_core::{
    ActorId, ActorKind, AlertId, AuditEvent, CredentialId, DetectionRule, IncidentId, RecordId,
    Role, SubjectId, TenantId, Timestamp,
};
use serde::{Deserialize, Serialize};

/// A blind-index digest (keyed hash of a normalised search value).
pub type Digest = [u8; 16];

/// A healthcare organisation served by the platform.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tenant {
    /// The tenant's slug.
    pub id: TenantId,
    /// Its display name (an organisation name, not PHI).
    pub name: String,
    /// Its IANA time zone, used for business-hours rules.
    pub time_zone: Option<String>,
    /// When it was created.
    pub created_at: Timestamp,
}

/// A party that can hold credentials within one tenant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    /// The tenant the actor belongs to.
    pub tenant: TenantId,
    /// The actor's slug, unique within the tenant.
    pub id: ActorId,
    /// Person, integration or phiguard job.
    pub kind: ActorKind,
    /// A label for people reading audit trails (a workforce member's name is not PHI).
    pub display_name: String,
    /// The roles policies grant disclosures to.
    pub roles: Vec<Role>,
    /// Free-form attributes that policies can read (department, facility, ...).
    pub attributes: BTreeMap<String, String>,
    /// A disabled actor's credentials are refused.
    pub disabled: bool,
    /// When it was created.
    pub created_at: Timestamp,
    /// When it was last changed.
    pub updated_at: Timestamp,
}

/// A bearer credential, stored as the hash of its secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credential {
    /// The public id, also the first part of the token.
    pub id: CredentialId,
    /// The tenant the credential is bound to.
    pub tenant: TenantId,
    /// The actor the credential is bound to.
    pub actor: ActorId,
    /// Keyed hash of the secret part of the token.
    pub secret_hash: [u8; 32],
    /// An operator's note on what the credential is for.
    pub label: Option<String>,
    /// When it was issued.
    pub created_at: Timestamp,
    /// When it stops working.
    pub expires_at: Timestamp,
    /// When it was revoked, if it was.
    pub revoked_at: Option<Timestamp>,
}

/// A credential found by its id, with what the vault needs to authenticate a request in one
/// read: the actor it is bound to and the version of the tenant's configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialLookup {
    /// The credential.
    pub credential: Credential,
    /// The actor it is bound to.
    pub actor: Actor,
    /// The tenant's configuration version (policies, record types) at the time of the read.
    pub config_version: u64,
}

/// A person records are about, under a pseudonymous id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subject {
    /// The tenant.
    pub tenant: TenantId,
    /// The pseudonymous id.
    pub id: SubjectId,
    /// Whether reading this subject's records needs break-glass access.
    pub restricted: bool,
    /// When it was created.
    pub created_at: Timestamp,
    /// When it was crypto-shredded, if it was.
    pub disposed_at: Option<Timestamp>,
}

/// One stored record's metadata; its content is in sealed [`RecordPart`]s.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    /// The tenant.
    pub tenant: TenantId,
    /// The record.
    pub id: RecordId,
    /// The subject it is about.
    pub subject: SubjectId,
    /// Its record type's name, such as `fhir.Observation`.
    pub record_type: String,
    /// The version of the subject key its parts are sealed under.
    pub subject_key_version: u32,
    /// When it was stored.
    pub created_at: Timestamp,
    /// When it was last replaced.
    pub updated_at: Timestamp,
}

/// One sealed part of a record: a PHI category or the record's structure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordPart {
    /// `structure` or a category name.
    pub part: String,
    /// The AES-256-GCM ciphertext.
    pub sealed: Vec<u8>,
}

/// One blind-index entry of a record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexEntry {
    /// The search field's name, such as `ssn`.
    pub field: String,
    /// The keyed digest of the normalised value.
    pub digest: Digest,
}

/// A record found by a blind-index search.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexHit {
    /// The subject the record is about.
    pub subject: SubjectId,
    /// The record.
    pub record: RecordId,
}

/// A tenant's own Cedar policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Policy {
    /// The tenant.
    pub tenant: TenantId,
    /// The policy's id within the tenant.
    pub id: String,
    /// The Cedar text.
    pub text: String,
    /// When it was added.
    pub created_at: Timestamp,
    /// When it was last replaced.
    pub updated_at: Timestamp,
}

/// A tenant's record-type configuration: a custom record type, or the attribute mapping of a
/// built-in type. The definition is JSON owned by the records crate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordTypeConfig {
    /// The tenant.
    pub tenant: TenantId,
    /// The record type's name.
    pub name: String,
    /// The JSON definition.
    pub definition: String,
    /// When it was last changed.
    pub updated_at: Timestamp,
}

/// A time-bounded break-glass grant for one actor and one subject.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BreakGlassGrant {
    /// The tenant.
    pub tenant: TenantId,
    /// Who broke the glass.
    pub actor: ActorId,
    /// Whose records it opens.
    pub subject: SubjectId,
    /// The written reason.
    pub reason: String,
    /// When it was granted.
    pub granted_at: Timestamp,
    /// When it lapses.
    pub expires_at: Timestamp,
}

/// An audit event with the sequence number the store gave it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredAuditEvent {
    /// Position in the store's append-only audit table (global, increasing).
    pub seq: u64,
    /// Position of the event's entry in its tenant's ledger (from 0, without gaps).
    pub leaf_index: u64,
    /// The event.
    #[serde(flatten)]
    pub event: AuditEvent,
}

/// One leaf of a tenant's ledger as stored: the canonical entry bytes and their leaf hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerLeaf {
    /// Position in the tenant's log.
    pub index: u64,
    /// The canonical entry (compact JSON, one line of an export).
    pub entry: Vec<u8>,
    /// The RFC 6962 leaf hash stored with it (a verifier recomputes it from `entry`).
    pub leaf_hash: [u8; 32],
}

/// A signed checkpoint of one tenant's ledger, kept as issued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredCheckpoint {
    /// The tenant whose log it commits to.
    pub tenant: TenantId,
    /// The tree size.
    pub size: u64,
    /// The root hash at that size.
    pub root: [u8; 32],
    /// The C2SP signed note, exactly as issued.
    pub note: String,
    /// When it was issued.
    pub issued_at: Timestamp,
}

/// Which audit events to read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditQuery {
    /// Only events about this subject.
    pub subject: Option<SubjectId>,
    /// Only events by this actor.
    pub actor: Option<ActorId>,
    /// Only events at or after this time.
    pub since: Option<Timestamp>,
    /// Only events before this time.
    pub until: Option<Timestamp>,
    /// Only events with a sequence number greater than this (for paging).
    pub after_seq: Option<u64>,
    /// At most this many events (the store caps it at 10,000).
    pub limit: u32,
}

/// A tenant key wrapped by the root key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrappedTenantKey {
    /// The tenant.
    pub tenant: TenantId,
    /// The key's version; new subject keys are wrapped under the highest.
    pub version: u32,
    /// The wrapped key material.
    pub wrapped: Vec<u8>,
    /// When it was created.
    pub created_at: Timestamp,
}

/// A tenant's blind-index key wrapped by one of its tenant keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrappedIndexKey {
    /// The tenant.
    pub tenant: TenantId,
    /// The version of the tenant key that wraps it.
    pub tenant_key_version: u32,
    /// The wrapped key material.
    pub wrapped: Vec<u8>,
}

/// A subject key wrapped by a tenant key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrappedSubjectKey {
    /// The tenant.
    pub tenant: TenantId,
    /// The subject.
    pub subject: SubjectId,
    /// The subject key's version.
    pub version: u32,
    /// The version of the tenant key that wraps it.
    pub tenant_key_version: u32,
    /// The wrapped key material.
    pub wrapped: Vec<u8>,
}

/// Counts that describe a tenant's holdings, for status pages and assessments.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TenantCounts {
    /// Live subjects.
    pub subjects: u64,
    /// Disposed (crypto-shredded) subjects.
    pub disposed_subjects: u64,
    /// Stored records.
    pub records: u64,
    /// Audit events.
    pub audit_events: u64,
}

/// A tenant's emergency accesses over a period, as its audit trail records them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmergencyAccess {
    /// Allowed requests made under purpose `ETREAT`. The opening of a break-glass grant is not
    /// counted apart: it is recorded beside the read it was opened for, which is.
    pub accesses: u64,
    /// Of those, the ones that carry no written reason and were made under no break-glass
    /// grant (every grant holds the reason it was opened with).
    pub without_reason: u64,
}

/// How many of a tenant's subjects are disposed of, and how many of the others are restricted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubjectStates {
    /// Subjects crypto-shredded.
    pub disposed: u64,
    /// Subjects not disposed of whose records need break-glass access.
    pub restricted: u64,
}

/// Which alerts to read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AlertQuery {
    /// Only alerts whose latest occurrence is at or after this time.
    pub since: Option<Timestamp>,
    /// Only alerts of this rule.
    pub rule: Option<DetectionRule>,
    /// At most this many alerts, newest first (the store caps it at 10,000).
    pub limit: u32,
}

/// An alert delivery that failed for good, kept for an operator to look at and resend.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeadLetter {
    /// The tenant of the alert.
    pub tenant: TenantId,
    /// The alert.
    pub alert: AlertId,
    /// The channel's label (a webhook's host, `syslog`, `stdout`), never a secret or a query.
    pub channel: String,
    /// How many times delivery was tried.
    pub attempts: u32,
    /// When the first attempt was made.
    pub first_attempt: Timestamp,
    /// When the last attempt was made.
    pub last_attempt: Timestamp,
    /// Why the last attempt failed, in words (a status code or an error kind).
    pub error: String,
}

/// One incident's record as the store keeps it: a JSON document that the vault owns, with the
/// dates the store enforces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredIncident {
    /// The tenant the incident concerns.
    pub tenant: TenantId,
    /// The incident.
    pub id: IncidentId,
    /// When it was opened; fixed once written.
    pub opened_at: Timestamp,
    /// Until when the record must be kept: six years after its last change. It only grows.
    pub retain_until: Timestamp,
    /// The incident document (JSON, its schema owned by the vault).
    pub document: String,
}
