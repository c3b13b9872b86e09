//! The vault's posture: what the vault can say about its own safeguards, as evidence for
//! `phiguard assess`.
//!
//! The vault produces a [`VaultPosture`] from its data directory or over the API; assess reads
//! it as one evidence source among the inventory and the scan. The document holds ids, counts,
//! dates and configuration values only — no PHI value, key or token.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::{ActorId, PolicyId, TenantId};

/// The version of the posture document. A reader refuses other versions with a clear message.
pub const POSTURE_VERSION: u32 = 1;

/// The vault's safeguards, as measured when the document was made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VaultPosture {
    /// [`POSTURE_VERSION`].
    pub version: u32,
    /// When the posture was collected.
    pub collected_at: Timestamp,
    /// The cryptographic module that runs (`AWS-LC`, or `AWS-LC FIPS 140-3` under `fips`).
    pub crypto_module: String,
    /// Whether that module is the FIPS-validated one.
    pub fips: bool,
    /// The cipher that protects each PHI category at rest (`AES-256-GCM`).
    pub field_encryption: String,
    /// Whether the HTTP API is configured to serve TLS. `None` when the collector could not see
    /// the server's configuration (a bare data directory without `phiguard.toml`).
    pub tls_configured: Option<bool>,
    /// The longest credential lifetime anyone may ask for, in days.
    pub max_credential_days: u32,
    /// The default lifetime of a credential issued to a person, in minutes: the vault's
    /// automatic log-off.
    pub user_credential_minutes: u32,
    /// How long a break-glass grant lasts, in minutes.
    pub break_glass_minutes: u32,
    /// Days without use after which an actor counts as dormant in this document.
    pub dormant_after_days: u32,
    /// One entry per tenant, ordered by tenant id.
    pub tenants: Vec<TenantPosture>,
}

/// One tenant's safeguards.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TenantPosture {
    /// The tenant.
    pub tenant: TenantId,
    /// The tenant's IANA time zone, when one is set.
    pub time_zone: Option<String>,
    /// The version of the tenant key in use.
    pub key_version: u32,
    /// When that key version was made: the age of the key is `collected_at - key_created`.
    pub key_created: Timestamp,
    /// Entries in the tenant's ledger.
    pub ledger_size: u64,
    /// The latest signed checkpoint, if any.
    pub latest_checkpoint: Option<CheckpointPosture>,
    /// The result of re-hashing the tenant's log against its latest checkpoint while the
    /// posture was collected. `None` when there was no checkpoint to verify against.
    pub ledger_verification: Option<LedgerVerification>,
    /// Tenant policies that grant PHI in the clear to every principal or to broad roles.
    pub broad_phi_grants: Vec<BroadGrant>,
    /// Break-glass (`ETREAT`) accesses in the last 90 days.
    pub break_glass_uses_90_days: u64,
    /// Break-glass accesses in the last 90 days that carry no written reason.
    pub break_glass_without_reason_90_days: u64,
    /// Actors that may act (not disabled).
    pub active_actors: u64,
    /// Active actors with no audit event in the last `dormant_after_days` days.
    pub dormant_actors: Vec<ActorId>,
    /// Credentials that are neither expired nor revoked.
    pub live_credentials: u64,
    /// Subjects crypto-shredded so far.
    pub disposals: u64,
    /// Subjects under a restriction (break-glass needed).
    pub restricted_subjects: u64,
}

/// A signed checkpoint, as evidence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckpointPosture {
    /// The tree size it commits to.
    pub size: u64,
    /// When it was signed.
    pub signed_at: Timestamp,
}

/// The outcome of re-hashing a log against a checkpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LedgerVerification {
    /// When the verification ran.
    pub checked_at: Timestamp,
    /// Entries re-hashed.
    pub entries: u64,
    /// Whether the recomputed root matched the signed checkpoint.
    pub consistent: bool,
    /// Why not, when it did not: an index or a count, never an entry's content.
    pub problem: Option<String>,
}

/// A tenant policy that discloses PHI more widely than minimum necessary suggests.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BroadGrant {
    /// The policy.
    pub policy: PolicyId,
    /// Why it is broad, in a sentence (`permits every principal`, `grants clinical in the clear
    /// to role support`).
    pub reason: String,
}
