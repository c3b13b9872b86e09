//! The vault's side of the tamper-evident ledger: the checkpoint signing key, signed checkpoints,
//! proofs, entries and the accounting of disclosures.
//!
//! The store appends every audit event to its tenant's Merkle log in the same transaction as the
//! change it records, so "log before disclose" holds by construction: a read's response is built
//! only after the commit that holds its leaf is durable. This module adds what needs the key and
//! the policies: checkpoints are signed here, and reading the ledger is decided like any other
//! request (`read_audit`) and recorded.
//!
//! Issuing a checkpoint is not itself an audit event when the periodic job does it: the kept
//! checkpoint is its own record, and an event per checkpoint would grow every log by one entry
//! per interval forever. A person asking for one is recorded as a `read_audit`.

use std::fs;
use std::io::Write;
use std::path::Path;

use phiguard_core::posture::LedgerVerification;
use phiguard_core::{AuditAction, Decision, Outcome, SubjectId, TenantId, Timestamp};
use phiguard_ledger::{
    Checkpoint, CheckpointSigner, CheckpointVerifier, ConsistencyProof, Hash, InclusionProof,
    LogVerifier, SignatureAlgorithm, VerifyFailure, consistency_proof, inclusion_proof, root_at,
};
use phiguard_policy::{Action, Resource};
use phiguard_store::{
    AuditQuery, Change, LedgerLeaf, LedgerNodes, StoredAuditEvent, StoredCheckpoint,
};
use serde::Serialize;

use crate::{Caller, Vault, VaultError};

/// The checkpoint signing key's file name inside the data directory.
pub const LEDGER_KEY_FILE: &str = "ledger.key";

/// The most entries one accounting of disclosures covers.
const MAX_ACCOUNTING_LINES: u32 = 10_000;

/// How many ledger entries one read takes while a log is verified.
const VERIFY_PAGE: u32 = 10_000;

/// The deployment's checkpoint key and the name its origins start with.
pub(crate) struct LedgerKeys {
    signer: CheckpointSigner,
    deployment: String,
}

impl LedgerKeys {
    /// Loads the signing key from `dir`, creating it (mode 0600) on first use; refuses a key
    /// file that others can read.
    pub(crate) fn load_or_create(dir: &Path, deployment: &str) -> Result<Self, VaultError> {
        let path = dir.join(LEDGER_KEY_FILE);
        let signer = if path.exists() {
            check_private(&path)?;
            let der = fs::read(&path).map_err(|e| {
                VaultError::Setup(format!(
                    "cannot read the ledger key {}: {e}",
                    path.display()
                ))
            })?;
            CheckpointSigner::from_pkcs8(&der).map_err(|_| {
                VaultError::Setup(format!(
                    "{} is not a PKCS#8 checkpoint signing key; restore it from backup",
                    path.display()
                ))
            })?
        } else {
            let signer = CheckpointSigner::generate(SignatureAlgorithm::DEFAULT)
                .map_err(|e| VaultError::internal("generating the ledger key", e))?;
            let der = signer
                .to_pkcs8()
                .map_err(|e| VaultError::internal("encoding the ledger key", e))?;
            write_private(&path, der.as_bytes())?;
            signer
        };

        // The origin check happens here so that a bad deployment name stops the start, not the
        // first checkpoint.
        let probe: TenantId = crate::PLATFORM_TENANT
            .parse()
            .map_err(|e| VaultError::internal("naming the platform tenant", e))?;
        phiguard_ledger::origin_for(deployment, &probe).map_err(|e| {
            VaultError::Setup(format!(
                "the configured ledger deployment name cannot start a checkpoint origin: {e}"
            ))
        })?;
        Ok(LedgerKeys {
            signer,
            deployment: deployment.to_owned(),
        })
    }

    fn origin(&self, tenant: &TenantId) -> Result<String, VaultError> {
        phiguard_ledger::origin_for(&self.deployment, tenant)
            .map_err(|e| VaultError::internal("naming a checkpoint origin", e))
    }
}

fn check_private(path: &Path) -> Result<(), VaultError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;

        let mode = fs::metadata(path)
            .map_err(|e| VaultError::Setup(format!("cannot read {}: {e}", path.display())))?
            .permissions()
            .mode();
        if mode & 0o077 != 0 {
            return Err(VaultError::Setup(format!(
                "the ledger key {} has mode {:o}; others could forge checkpoints. Run \
                 `chmod 600 {}` and start again",
                path.display(),
                mode & 0o777,
                path.display()
            )));
        }
    }
    Ok(())
}

fn write_private(path: &Path, bytes: &[u8]) -> Result<(), VaultError> {
    let io = |e: std::io::Error| {
        VaultError::Internal(format!(
            "cannot write the ledger key {}: {e}",
            path.display()
        ))
    };
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path).map_err(io)?;
    file.write_all(bytes).map_err(io)?;
    file.sync_all().map_err(io)
}

/// A signed checkpoint as the API and CLI show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckpointView {
    /// The tenant whose log it commits to.
    pub tenant: TenantId,
    /// The checkpoint's origin line.
    pub origin: String,
    /// The tree size.
    pub size: u64,
    /// The root hash at that size.
    pub root: Hash,
    /// The C2SP signed note, exactly as issued.
    pub note: String,
    /// When it was issued.
    pub issued_at: Timestamp,
}

impl CheckpointView {
    fn new(origin: String, stored: StoredCheckpoint) -> Self {
        CheckpointView {
            tenant: stored.tenant,
            origin,
            size: stored.size,
            root: Hash::from_bytes(stored.root),
            note: stored.note,
            issued_at: stored.issued_at,
        }
    }
}

/// One ledger entry with its inclusion proof.
#[derive(Debug, Clone, Serialize)]
pub struct ProvenEntry {
    /// The entry's position.
    pub index: u64,
    /// The canonical entry, parsed (its exact bytes are what the leaf hash covers).
    pub entry: serde_json::Value,
    /// The entry's bytes exactly as stored: the input of its leaf hash. Not part of the
    /// serialised form, which carries the parsed `entry`.
    #[serde(skip)]
    pub entry_text: String,
    /// The leaf hash.
    pub leaf_hash: Hash,
    /// The inclusion proof against the tree size it names.
    pub proof: InclusionProof,
}

/// The accounting of disclosures of one subject (45 CFR 164.528): every disclosure of the
/// subject's PHI, each with an inclusion proof against one signed checkpoint.
#[derive(Debug, Clone, Serialize)]
pub struct DisclosureAccounting {
    /// The subject.
    pub subject: SubjectId,
    /// The checkpoint every proof is computed against.
    pub checkpoint: CheckpointView,
    /// The disclosures, oldest first.
    pub disclosures: Vec<ProvenEntry>,
}

impl Vault {
    /// The verifier key (C2SP signed-note format) that checks `tenant`'s checkpoints. Public.
    ///
    /// # Errors
    ///
    /// Only if the key cannot be encoded, which does not happen for keys this build makes.
    pub fn verifier_key(&self, tenant: &TenantId) -> Result<String, VaultError> {
        let origin = self.ledger.origin(tenant)?;
        self.ledger
            .signer
            .verifier_key(&origin)
            .map_err(|e| VaultError::internal("encoding the verifier key", e))
    }

    /// Issues a checkpoint of every tenant's log that has grown since its last one; the
    /// periodic job of `phiguard serve`. Returns how many were issued.
    ///
    /// # Errors
    ///
    /// Storage or signing failures.
    pub async fn checkpoint_all(&self) -> Result<usize, VaultError> {
        let mut issued = 0;
        for tenant in self.store().tenants()? {
            if self.checkpoint_if_grown(&tenant.id).await?.1 {
                issued += 1;
            }
        }
        Ok(issued)
    }

    /// Signs and keeps a checkpoint of `tenant`'s log at its current size, unless the last one
    /// already has that size (then that one is returned).
    async fn sign_checkpoint(&self, tenant: &TenantId) -> Result<CheckpointView, VaultError> {
        Ok(self.checkpoint_if_grown(tenant).await?.0)
    }

    /// [`Vault::sign_checkpoint`], also saying whether a new checkpoint was issued.
    async fn checkpoint_if_grown(
        &self,
        tenant: &TenantId,
    ) -> Result<(CheckpointView, bool), VaultError> {
        let origin = self.ledger.origin(tenant)?;
        let size = self.store().ledger_size(tenant)?;
        if let Some(latest) = self.store().latest_checkpoint(tenant)?
            && latest.size == size
        {
            return Ok((CheckpointView::new(origin, latest), false));
        }

        let root = root_at(size, &LedgerNodes::new(self.store(), tenant))
            .map_err(|e| VaultError::internal("computing a ledger root", e))?;
        let checkpoint = Checkpoint::for_tenant(&self.ledger.deployment, tenant, size, root)
            .map_err(|e| VaultError::internal("writing a checkpoint", e))?;
        let note = self
            .ledger
            .signer
            .sign(&checkpoint)
            .map_err(|e| VaultError::internal("signing a checkpoint", e))?;
        let stored = StoredCheckpoint {
            tenant: tenant.clone(),
            size,
            root: *root.as_bytes(),
            note,
            issued_at: Timestamp::now(),
        };
        self.store()
            .submit(vec![Change::PutCheckpoint(stored.clone())])
            .await?;
        Ok((CheckpointView::new(origin, stored), true))
    }

    /// Allows `caller` to read `tenant`'s ledger, or records the refusal.
    async fn allow_ledger_read(
        &self,
        caller: &Caller,
        tenant: &TenantId,
        subject: Option<&SubjectId>,
    ) -> Result<(), VaultError> {
        let resource = match subject {
            Some(subject) => Resource::Subject {
                tenant,
                subject,
                restricted: false,
            },
            None => Resource::Tenant(tenant),
        };
        match self.authorize(caller, tenant, Action::ReadAudit, resource) {
            Ok(_) => Ok(()),
            Err(e) => Err(self
                .refuse(caller, AuditAction::ReadAudit, subject, None, e)
                .await),
        }
    }

    /// Records an allowed read of the ledger.
    async fn record_ledger_read(
        &self,
        caller: &Caller,
        subject: Option<&SubjectId>,
        target: String,
        count: u64,
    ) -> Result<(), VaultError> {
        let mut event = self.event(
            caller,
            AuditAction::ReadAudit,
            Decision::Allow,
            Outcome::Success,
        );
        event.subject = subject.cloned();
        event.target = Some(target);
        event.count = Some(count);
        self.record(vec![event]).await
    }

    /// Signs a checkpoint of `tenant`'s log now (or returns the last one if the log has not
    /// grown) and records the request. Allowed by `read_audit`.
    ///
    /// # Errors
    ///
    /// [`VaultError::Forbidden`]; storage or signing failures.
    pub async fn issue_checkpoint(
        &self,
        caller: &Caller,
        tenant: &TenantId,
    ) -> Result<CheckpointView, VaultError> {
        self.allow_ledger_read(caller, tenant, None).await?;
        let checkpoint = self.sign_checkpoint(tenant).await?;
        let target = format!("checkpoint at size {}", checkpoint.size);
        self.record_ledger_read(caller, None, target, 1).await?;
        Ok(checkpoint)
    }

    /// The last checkpoint issued for `tenant`, issuing the first one if there is none. Allowed
    /// by `read_audit`.
    ///
    /// # Errors
    ///
    /// [`VaultError::Forbidden`]; storage or signing failures.
    pub async fn latest_checkpoint(
        &self,
        caller: &Caller,
        tenant: &TenantId,
    ) -> Result<CheckpointView, VaultError> {
        self.allow_ledger_read(caller, tenant, None).await?;
        let checkpoint = match self.store().latest_checkpoint(tenant)? {
            Some(stored) => CheckpointView::new(self.ledger.origin(tenant)?, stored),
            None => self.sign_checkpoint(tenant).await?,
        };
        let target = format!("checkpoint at size {}", checkpoint.size);
        self.record_ledger_read(caller, None, target, 1).await?;
        Ok(checkpoint)
    }

    /// Every checkpoint ever issued for `tenant`, in the order issued. Allowed by `read_audit`.
    ///
    /// # Errors
    ///
    /// [`VaultError::Forbidden`]; storage failures.
    pub async fn checkpoints(
        &self,
        caller: &Caller,
        tenant: &TenantId,
    ) -> Result<Vec<CheckpointView>, VaultError> {
        self.allow_ledger_read(caller, tenant, None).await?;
        let origin = self.ledger.origin(tenant)?;
        let all: Vec<CheckpointView> = self
            .store()
            .checkpoints(tenant)?
            .into_iter()
            .map(|stored| CheckpointView::new(origin.clone(), stored))
            .collect();
        self.record_ledger_read(caller, None, "checkpoints".into(), all.len() as u64)
            .await?;
        Ok(all)
    }

    /// Up to `limit` entries of `tenant`'s log from `from` on, as stored. Allowed by
    /// `read_audit`.
    ///
    /// # Errors
    ///
    /// [`VaultError::Forbidden`]; storage failures.
    pub async fn ledger_entries(
        &self,
        caller: &Caller,
        tenant: &TenantId,
        from: u64,
        limit: u32,
    ) -> Result<Vec<LedgerLeaf>, VaultError> {
        self.allow_ledger_read(caller, tenant, None).await?;
        let leaves = self.store().ledger_leaves(tenant, from, limit)?;
        let target = format!("ledger entries from {from}");
        self.record_ledger_read(caller, None, target, leaves.len() as u64)
            .await?;
        Ok(leaves)
    }

    /// The inclusion proof of entry `index` in `tenant`'s tree of size `size` (the current size
    /// when `None`). Allowed by `read_audit`.
    ///
    /// # Errors
    ///
    /// [`VaultError::InvalidInput`] when the index or size lies outside the log;
    /// [`VaultError::Forbidden`]; storage failures.
    pub async fn inclusion_proof(
        &self,
        caller: &Caller,
        tenant: &TenantId,
        index: u64,
        size: Option<u64>,
    ) -> Result<ProvenEntry, VaultError> {
        self.allow_ledger_read(caller, tenant, None).await?;
        let current = self.store().ledger_size(tenant)?;
        let size = size.unwrap_or(current);
        if size > current || index >= size {
            return Err(VaultError::InvalidInput {
                what: "the proof request",
                reason: format!(
                    "entry {index} is not inside a tree of size {size}; the log holds {current} \
                     entries"
                ),
            });
        }

        let proven = self.prove(tenant, index, size)?;
        self.record_ledger_read(caller, None, format!("inclusion proof of entry {index}"), 1)
            .await?;
        Ok(proven)
    }

    fn prove(&self, tenant: &TenantId, index: u64, size: u64) -> Result<ProvenEntry, VaultError> {
        let nodes = LedgerNodes::new(self.store(), tenant);
        let proof = inclusion_proof(index, size, &nodes)
            .map_err(|e| VaultError::internal("computing an inclusion proof", e))?;
        let leaf = self
            .store()
            .ledger_leaves(tenant, index, 1)?
            .into_iter()
            .next()
            .filter(|leaf| leaf.index == index)
            .ok_or_else(|| VaultError::internal("reading a ledger entry", "it is missing"))?;
        let entry = serde_json::from_slice(&leaf.entry)
            .map_err(|e| VaultError::internal("reading a ledger entry", e))?;
        let entry_text = String::from_utf8(leaf.entry)
            .map_err(|e| VaultError::internal("reading a ledger entry", e))?;
        Ok(ProvenEntry {
            index,
            entry,
            entry_text,
            leaf_hash: Hash::from_bytes(leaf.leaf_hash),
            proof,
        })
    }

    /// The consistency proof between `tenant`'s trees of sizes `old` and `new` (the current
    /// size when `None`). Allowed by `read_audit`.
    ///
    /// # Errors
    ///
    /// [`VaultError::InvalidInput`] when a size lies outside the log or `old > new`;
    /// [`VaultError::Forbidden`]; storage failures.
    pub async fn consistency_proof(
        &self,
        caller: &Caller,
        tenant: &TenantId,
        old: u64,
        new: Option<u64>,
    ) -> Result<ConsistencyProof, VaultError> {
        self.allow_ledger_read(caller, tenant, None).await?;
        let current = self.store().ledger_size(tenant)?;
        let new = new.unwrap_or(current);
        if new > current || old > new {
            return Err(VaultError::InvalidInput {
                what: "the proof request",
                reason: format!(
                    "a consistency proof needs old size <= new size <= {current} (the log's size)"
                ),
            });
        }

        let proof = consistency_proof(old, new, &LedgerNodes::new(self.store(), tenant))
            .map_err(|e| VaultError::internal("computing a consistency proof", e))?;
        self.record_ledger_read(caller, None, format!("consistency proof {old} to {new}"), 1)
            .await?;
        Ok(proof)
    }

    /// The accounting of disclosures of `subject`'s PHI: every allowed access that released at
    /// least one category, each with an inclusion proof against a checkpoint signed for the
    /// occasion. Allowed by `read_audit` on the subject.
    ///
    /// # Errors
    ///
    /// [`VaultError::Forbidden`]; storage or signing failures.
    pub async fn disclosures(
        &self,
        caller: &Caller,
        tenant: &TenantId,
        subject: &SubjectId,
    ) -> Result<DisclosureAccounting, VaultError> {
        self.allow_ledger_read(caller, tenant, Some(subject))
            .await?;
        let checkpoint = self.sign_checkpoint(tenant).await?;

        let query = AuditQuery {
            subject: Some(subject.clone()),
            limit: MAX_ACCOUNTING_LINES,
            ..AuditQuery::default()
        };
        let events: Vec<StoredAuditEvent> = self
            .store()
            .audit_events(tenant, &query)?
            .into_iter()
            .filter(|e| !e.event.disclosed.is_empty() && e.leaf_index < checkpoint.size)
            .collect();
        let mut disclosures = Vec::with_capacity(events.len());
        for event in &events {
            disclosures.push(self.prove(tenant, event.leaf_index, checkpoint.size)?);
        }

        self.record_ledger_read(
            caller,
            Some(subject),
            "accounting of disclosures".into(),
            disclosures.len() as u64,
        )
        .await?;
        Ok(DisclosureAccounting {
            subject: subject.clone(),
            checkpoint,
            disclosures,
        })
    }
}

impl Vault {
    /// Verifies `tenant`'s log against `checkpoint` (its latest) as an auditor would, trusting
    /// nothing stored but the entries' bytes: checks the checkpoint's signature with this
    /// vault's verifier key, re-hashes every entry it covers from the stored bytes (a stored
    /// leaf hash that differs names its entry), checks that each entry is canonical and names
    /// its own index and tenant, rebuilds the root and compares it with the signed one, and
    /// finally checks that the stored interior nodes, which proofs are served from, rebuild the
    /// same root.
    ///
    /// A problem found is reported in the result, by index or count, never by content. Only
    /// a failure to read the checkpoint key is an error.
    pub(crate) fn verify_ledger(
        &self,
        tenant: &TenantId,
        checkpoint: &StoredCheckpoint,
    ) -> Result<LedgerVerification, VaultError> {
        let key = CheckpointVerifier::from_verifier_key(&self.verifier_key(tenant)?)
            .map_err(|e| VaultError::internal("reading the verifier key", e))?;
        let size = checkpoint.size;
        let outcome = |entries: u64, problem: Option<String>| LedgerVerification {
            checked_at: Timestamp::now(),
            entries,
            consistent: problem.is_none(),
            problem,
        };

        let mut verifier = match LogVerifier::new(&key, [checkpoint.note.as_bytes()]) {
            Ok(verifier) => verifier,
            Err(failure) => return Ok(outcome(0, Some(describe(&failure, size)))),
        };
        while verifier.next_index() < size {
            let from = verifier.next_index();
            let wanted = u32::try_from(size - from)
                .unwrap_or(u32::MAX)
                .min(VERIFY_PAGE);
            let Ok(page) = self.store().ledger_leaves(tenant, from, wanted) else {
                let problem = format!("the entries from index {from} on could not be read");
                return Ok(outcome(from, Some(problem)));
            };
            if page.is_empty() {
                break;
            }
            for leaf in &page {
                if verifier.next_index() >= size {
                    break;
                }
                let stored = Hash::from_bytes(leaf.leaf_hash);
                if let Err(failure) = verifier.push(&leaf.entry, Some(&stored)) {
                    return Ok(outcome(
                        verifier.next_index(),
                        Some(describe(&failure, size)),
                    ));
                }
            }
        }

        let entries = verifier.next_index();
        let report = match verifier.finish() {
            Ok(report) => report,
            Err(failure) => return Ok(outcome(entries, Some(describe(&failure, size)))),
        };
        let nodes = root_at(size, &LedgerNodes::new(self.store(), tenant));
        if nodes.ok() != Some(report.root) {
            let problem = format!(
                "the entries match the signed root, but the stored tree nodes do not rebuild it \
                 at size {size}, so proofs served from them would not verify"
            );
            return Ok(outcome(entries, Some(problem)));
        }
        Ok(outcome(entries, None))
    }
}

/// A verification failure against the latest checkpoint (of tree size `size`) as a sentence
/// that names positions and counts only.
fn describe(failure: &VerifyFailure, size: u64) -> String {
    match failure {
        VerifyFailure::NotATenantLog => {
            "the vault's verifier key does not name a tenant's log".to_owned()
        }
        VerifyFailure::BadCheckpoint { source, .. } => {
            format!("the latest checkpoint (tree size {size}) is not valid: {source}")
        }
        VerifyFailure::Entry { index, problem, .. } => format!("entry {index} is bad: {problem}"),
        VerifyFailure::CheckpointMismatch { .. } => format!(
            "the root rebuilt from entries 0 to {} differs from the latest checkpoint's signed \
             root: entries it covers were altered, removed or reordered",
            size.saturating_sub(1)
        ),
        VerifyFailure::CheckpointBeyondLog { entries, .. } => format!(
            "the latest checkpoint covers {size} entries but the log ends after {entries}: the \
             log was truncated"
        ),
    }
}
