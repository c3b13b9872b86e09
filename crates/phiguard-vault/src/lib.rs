//! The PHI vault: the domain service behind `phiguard serve`, `phiguard import` and every
//! other command that touches protected health information.
//!
//! The vault ties the other crates together and owns the rules between them:
//!
//! ```text
//!            Caller (credential or system job, purpose of use, request id)
//!               │
//!   ┌───────────▼────────────────────────────────────────────────────────┐
//!   │ Vault   authenticate → decide (phiguard-policy, Cedar, one pass)   │
//!   │         → open only the disclosed parts (phiguard-crypto)          │
//!   │         → reassemble and mask (phiguard-records)                   │
//!   │         → record the audit event durably (phiguard-store) → reply  │
//!   └────────────────────────────────────────────────────────────────────┘
//! ```
//!
//! Every operation a caller can ask for yields exactly one audit event per subject it touches —
//! allowed or denied, by a person, an integration or phiguard itself — and a response that
//! carries PHI is returned only after its event is durable ("log before disclose").
//!
//! The vault also measures its own safeguards for `phiguard assess` ([`Vault::posture`]): key
//! ages, its ledgers re-hashed against their signed checkpoints, broad tenant policies,
//! break-glass use, dormant actors — ids, counts and times, never PHI.
//!
//! # What it refuses to do
//!
//! - Decrypt a category that the decision withholds: withheld parts are never opened.
//! - Act across tenants: the tenant named by a request must be the credential's tenant, every
//!   store read names that tenant, and every ciphertext's AAD names it too.
//! - Put a PHI value into an error, a log line or an audit event.
//! - Disclose when in doubt: a policy that fails to evaluate, a missing key, a ciphertext that
//!   does not open, all deny or fail without disclosing.
//!
//! # Example
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! use phiguard_vault::{Caller, SystemJob, Vault, VaultConfig};
//!
//! let dir = tempfile::tempdir().unwrap();
//! let (vault, bootstrap) = Vault::open(dir.path(), VaultConfig::default()).await.unwrap();
//! assert!(bootstrap.is_some(), "a fresh data directory prints one admin token");
//!
//! let northwind: phiguard_core::TenantId = "northwind".parse().unwrap();
//! let operator = Caller::system(northwind.clone(), SystemJob::Administration);
//! vault.create_tenant(&operator, northwind, "Northwind Pharmacy".into(),
//!                     Some("America/New_York".into())).await.unwrap();
//! assert_eq!(vault.tenants().unwrap().len(), 2);
//! # }
//! ```

mod admin;
mod alerts;
mod audit;
mod auth;
#[cfg(feature = "bench")]
mod bench;
mod breach_analysis;
mod broad_grants;
mod caller;
mod config;
mod detection;
mod error;
mod import;
mod incidents;
mod keys;
mod ledger;
mod policies;
mod posture;
mod record_types;
mod records;

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use phiguard_crypto::{BearerToken, CredentialHasher, CryptoModule, RootKey};
use phiguard_policy::PolicyEngine;
use phiguard_store::{SqliteStore, Store};

pub use admin::{ActorSpec, IssuedCredential};
pub use alerts::AlertRecording;
pub use breach_analysis::{Exposure, Residence};
pub use caller::{Authenticated, Caller, SystemJob};
pub use config::VaultConfig;
pub use detection::{PURPOSES_ATTRIBUTE, RECIPIENT_ATTRIBUTE, actor_profile, evidence};
pub use error::{CredentialProblem, VaultError};
pub use import::{ImportFormat, ImportProgress, ImportSummary, NoProgress};
pub use incidents::{
    BlastRadius, Incident, IncidentStep, IncidentWindow, NewIncident, NoticeSent, check_free_text,
};
pub use keys::RotationReport;
pub use ledger::{CheckpointView, DisclosureAccounting, LEDGER_KEY_FILE, ProvenEntry};
pub use record_types::RecordTypeInfo;
pub use records::{DisposalReport, NewRecord, RecordSummary, RecordView, SearchHit, SearchQuery};

/// The root key's file name inside the data directory.
pub const ROOT_KEY_FILE: &str = "root.key";

/// The tenant that holds the platform operator's own actors (the policy crate's wall names it).
pub const PLATFORM_TENANT: &str = phiguard_policy::PLATFORM_TENANT;

/// How the audit trail names a tenant that a refused request asked for but that does not
/// exist: the id the caller wrote is not kept (it could be any text, a name included), while
/// the cross-tenant detector still sees the probe.
pub const UNKNOWN_TENANT: &str = "phiguard-unknown-tenant";

/// The actor that the first start creates, holding the one-time bootstrap credential.
pub const BOOTSTRAP_ACTOR: &str = "bootstrap-admin";

/// The vault: one data directory, its keys, its policies and its audit trail.
pub struct Vault {
    dir: PathBuf,
    store: Arc<dyn Store>,
    sqlite: Option<Arc<SqliteStore>>,
    keys: keys::Keychain,
    credentials: CredentialHasher,
    policies: policies::PolicyCache,
    principals: auth::PrincipalCache,
    record_types: record_types::RecordTypeCache,
    ledger: ledger::LedgerKeys,
    config: VaultConfig,
}

impl Vault {
    /// Opens the vault in `dir`, creating the directory (mode 0700), the root key (mode 0600)
    /// and the databases on first use. On first use it also creates the platform tenant and its
    /// bootstrap administrator, and returns that administrator's token — the only time it is
    /// ever shown.
    ///
    /// # Errors
    ///
    /// A root key readable by others, an unreadable or newer-versioned store, or a failure to
    /// create files.
    pub async fn open(
        dir: &Path,
        config: VaultConfig,
    ) -> Result<(Self, Option<BearerToken>), VaultError> {
        create_private_dir(dir)?;
        let (root, _created) = RootKey::load_or_create(&dir.join(ROOT_KEY_FILE))?;
        let ledger = ledger::LedgerKeys::load_or_create(dir, &config.ledger_deployment)?;
        let sqlite = Arc::new(SqliteStore::open(dir)?);
        let store: Arc<dyn Store> = sqlite.clone();

        let engine = PolicyEngine::new()
            .map_err(|e| VaultError::internal("loading the global policies", e))?;
        let vault = Vault {
            dir: dir.to_path_buf(),
            credentials: CredentialHasher::derive(root.key().material())?,
            keys: keys::Keychain::new(root),
            policies: policies::PolicyCache::new(engine),
            principals: auth::PrincipalCache::default(),
            record_types: record_types::RecordTypeCache::default(),
            ledger,
            store,
            sqlite: Some(sqlite),
            config,
        };

        let bootstrap = vault.bootstrap().await?;
        Ok((vault, bootstrap))
    }

    /// The data directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The limits in force.
    pub fn config(&self) -> &VaultConfig {
        &self.config
    }

    /// The cryptographic module in use.
    pub fn crypto_module(&self) -> CryptoModule {
        CryptoModule::current()
    }

    pub(crate) fn store(&self) -> &dyn Store {
        self.store.as_ref()
    }
}

/// The SHA-256 of `bytes` in lowercase hex: how alerts and incidents name the version of their
/// record that a ledger entry commits to.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, bytes);
    digest.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

fn create_private_dir(dir: &Path) -> Result<(), VaultError> {
    let io = |e: std::io::Error| {
        VaultError::Internal(format!(
            "cannot create the data directory {}: {e}",
            dir.display()
        ))
    };
    if dir.exists() {
        return Ok(());
    }

    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(io)
    }
    #[cfg(not(unix))]
    {
        fs::create_dir_all(dir).map_err(io)
    }
}
