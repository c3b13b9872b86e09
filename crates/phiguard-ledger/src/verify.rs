//! The offline verifier: everything an auditor needs to trust a tenant's log, given only the
//! entries, the signed checkpoints and the public key.
//!
//! ```text
//!  signed checkpoints ──verify signatures──▶ (size, root) list, sorted by size
//!                                                      │ compared whenever the rebuilt
//!  entry bytes ─decode (canonical)─▶ index, tenant     │ tree reaches a checkpoint's size
//!      │                                               ▼
//!      └─leaf hash─▶ == stored hash? ─▶ Frontier (O(log n) memory) ─▶ root at size n
//! ```
//!
//! Every checkpoint's root is compared with the root rebuilt from the entries at its size, so all
//! checkpoints that pass are consistent with each other by construction; two checkpoints of one
//! size with different roots (a fork) cannot both pass. The verifier stops at the first problem
//! and names it: an entry by index and tenant, or a checkpoint by its number in the list given.

use std::fmt;

use phiguard_core::TenantId;

use crate::checkpoint::{CheckpointError, tenant_of_origin};
use crate::entry::{EntryError, LedgerEntry};
use crate::hash::{Hash, leaf_hash};
use crate::signing::CheckpointVerifier;
use crate::tree::Frontier;

/// What is wrong with one entry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EntryProblem {
    /// The bytes are not a canonical entry.
    #[error("{0}")]
    Unreadable(EntryError),
    /// The stored leaf hash is not the hash of the stored bytes.
    #[error("its stored leaf hash is not the hash of its bytes, so one of them was altered")]
    LeafHashMismatch,
    /// The entry says it belongs at another position.
    #[error("it says it is entry {found}, so entries were removed, inserted or reordered")]
    WrongIndex {
        /// The index the entry carries.
        found: u64,
    },
    /// The entry names another tenant.
    #[error("it belongs to another tenant's log")]
    WrongTenant,
}

/// The first thing found wrong with a log.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyFailure {
    /// The verifier key's name is not `<deployment>/phiguard/<tenant>`.
    #[error(
        "the verifier key's name is not a phiguard log origin of the form \
         <deployment>/phiguard/<tenant>"
    )]
    NotATenantLog,
    /// A checkpoint's signature or format is bad.
    #[error("checkpoint {number} is not valid: {source}")]
    BadCheckpoint {
        /// The checkpoint's 1-based number in the list given.
        number: usize,
        /// What is wrong with it.
        source: CheckpointError,
    },
    /// An entry is bad.
    #[error("entry {index} of tenant {tenant} is bad: {problem}")]
    Entry {
        /// The entry's leaf index.
        index: u64,
        /// The tenant whose log it is.
        tenant: TenantId,
        /// What is wrong with it.
        problem: EntryProblem,
    },
    /// A checkpoint's root differs from the root rebuilt from the entries at its size.
    #[error(
        "checkpoint {number} (tree size {size}) does not match the root rebuilt from the entries \
         of tenant {tenant}: entries before it were altered, removed or reordered, or it is the \
         head of a fork"
    )]
    CheckpointMismatch {
        /// The checkpoint's 1-based number in the list given.
        number: usize,
        /// Its tree size.
        size: u64,
        /// The tenant whose log it is.
        tenant: TenantId,
    },
    /// A checkpoint covers more entries than the log holds.
    #[error(
        "checkpoint {number} covers {size} entries but the log of tenant {tenant} ends after \
         {entries}: the log was truncated"
    )]
    CheckpointBeyondLog {
        /// The checkpoint's 1-based number in the list given.
        number: usize,
        /// Its tree size.
        size: u64,
        /// How many entries the log holds.
        entries: u64,
        /// The tenant whose log it is.
        tenant: TenantId,
    },
}

/// The result of a log that verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    /// The tenant whose log this is.
    pub tenant: TenantId,
    /// The index of the first entry checked (0 unless the verifier resumed from a frontier).
    pub first_index: u64,
    /// The tree size after the last entry.
    pub tree_size: u64,
    /// The root rebuilt at that size.
    pub root: Hash,
    /// How many checkpoints matched the rebuilt tree.
    pub checkpoints_verified: usize,
    /// The size of the largest checkpoint that matched, if any.
    pub latest_checkpoint: Option<u64>,
    /// Checkpoints older than the first entry checked, whose signature verified but whose root
    /// could not be compared.
    pub checkpoints_before_start: usize,
}

impl VerifyReport {
    /// How many entries at the end no checkpoint covers yet (signed by no one).
    pub fn entries_after_latest_checkpoint(&self) -> u64 {
        self.tree_size - self.latest_checkpoint.unwrap_or(0).max(self.first_index)
    }
}

impl fmt::Display for VerifyReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "tenant {}: entries {}..{} verified, root {}, {} checkpoints matched",
            self.tenant, self.first_index, self.tree_size, self.root, self.checkpoints_verified
        )?;
        match self.latest_checkpoint {
            Some(size) => write!(f, ", latest at size {size}")?,
            None => f.write_str(", none signed")?,
        }
        let uncovered = self.entries_after_latest_checkpoint();
        if uncovered > 0 {
            write!(
                f,
                "; {uncovered} entries after the latest checkpoint are not yet signed"
            )?;
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Copy)]
struct Expected {
    number: usize,
    size: u64,
    root: Hash,
}

/// A streaming verifier of one tenant's log. Memory is `O(log n)` plus the checkpoints.
///
/// ```
/// # use phiguard_ledger::*;
/// # let tenant: phiguard_core::TenantId = "northwind".parse().unwrap();
/// # let signer = CheckpointSigner::generate(SignatureAlgorithm::Ed25519).unwrap();
/// # let origin = origin_for("phi.example.com", &tenant).unwrap();
/// # let note = signer.sign(&Checkpoint::new(&origin, 0, empty_root()).unwrap()).unwrap();
/// # let entries: Vec<(Vec<u8>, Hash)> = Vec::new();
/// let key = CheckpointVerifier::from_verifier_key(&signer.verifier_key(&origin).unwrap())?;
/// let mut verifier = LogVerifier::new(&key, [note.as_bytes()])?;
/// for (bytes, stored_hash) in &entries {
///     verifier.push(bytes, Some(stored_hash))?;
/// }
/// let report = verifier.finish()?;
/// assert_eq!(report.checkpoints_verified, 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct LogVerifier {
    tenant: TenantId,
    frontier: Frontier,
    first_index: u64,
    checkpoints: Vec<Expected>,
    next: usize,
    before_start: usize,
    latest: Option<u64>,
    failure: Option<VerifyFailure>,
}

impl LogVerifier {
    /// Checks every checkpoint's signature with `key` and prepares to read the log from its
    /// first entry. Fails on the first checkpoint that does not verify.
    pub fn new<'a>(
        key: &CheckpointVerifier,
        signed_checkpoints: impl IntoIterator<Item = &'a [u8]>,
    ) -> Result<Self, VerifyFailure> {
        let tenant = tenant_of_origin(key.origin()).ok_or(VerifyFailure::NotATenantLog)?;

        let mut checkpoints = Vec::new();
        for (position, note) in signed_checkpoints.into_iter().enumerate() {
            let number = position + 1;
            let checkpoint = key
                .verify(note)
                .map_err(|source| VerifyFailure::BadCheckpoint { number, source })?;
            checkpoints.push(Expected {
                number,
                size: checkpoint.size(),
                root: *checkpoint.root(),
            });
        }
        checkpoints.sort_by_key(|expected| (expected.size, expected.number));

        let mut verifier = LogVerifier {
            tenant,
            frontier: Frontier::new(),
            first_index: 0,
            checkpoints,
            next: 0,
            before_start: 0,
            latest: None,
            failure: None,
        };
        verifier.check_checkpoints_at_size()?;
        Ok(verifier)
    }

    /// Starts from a frontier instead of the empty tree, to verify entries `frontier.size()..`
    /// of an export that does not hold the earlier ones. Checkpoints older than the frontier are
    /// counted in [`VerifyReport::checkpoints_before_start`]; later ones still prove the
    /// frontier, since a wrong frontier cannot rebuild their roots.
    pub fn resume_from(mut self, frontier: Frontier) -> Result<Self, VerifyFailure> {
        self.first_index = frontier.size();
        self.frontier = frontier;
        self.next = 0;
        self.latest = None;

        while let Some(expected) = self.checkpoints.get(self.next) {
            if expected.size >= self.first_index {
                break;
            }
            self.before_start += 1;
            self.next += 1;
        }
        self.check_checkpoints_at_size()?;
        Ok(self)
    }

    /// The tenant the log belongs to (from the verifier key's origin).
    pub fn tenant(&self) -> &TenantId {
        &self.tenant
    }

    /// The index the next entry must have.
    pub fn next_index(&self) -> u64 {
        self.frontier.size()
    }

    /// Checks the next entry: its canonical encoding, its index and tenant, its stored leaf hash
    /// when there is one (a live data directory has them; an export may not), and every
    /// checkpoint whose size it completes. After a failure, every later call returns it again.
    pub fn push(&mut self, entry: &[u8], stored_leaf: Option<&Hash>) -> Result<(), VerifyFailure> {
        if let Some(failure) = &self.failure {
            return Err(failure.clone());
        }

        let index = self.frontier.size();
        if let Err(problem) = self.check_entry(index, entry, stored_leaf) {
            return Err(self.fail(VerifyFailure::Entry {
                index,
                tenant: self.tenant.clone(),
                problem,
            }));
        }

        self.check_checkpoints_at_size()
    }

    fn check_entry(
        &mut self,
        index: u64,
        bytes: &[u8],
        stored_leaf: Option<&Hash>,
    ) -> Result<(), EntryProblem> {
        let leaf = leaf_hash(bytes);
        if stored_leaf.is_some_and(|stored| *stored != leaf) {
            return Err(EntryProblem::LeafHashMismatch);
        }

        let entry = LedgerEntry::decode(bytes).map_err(EntryProblem::Unreadable)?;
        if entry.index != index {
            return Err(EntryProblem::WrongIndex { found: entry.index });
        }
        if entry.tenant != self.tenant {
            return Err(EntryProblem::WrongTenant);
        }

        self.frontier.append_with(leaf, |_, _| {});
        Ok(())
    }

    /// Compares every checkpoint of the current size with the current root.
    fn check_checkpoints_at_size(&mut self) -> Result<(), VerifyFailure> {
        let size = self.frontier.size();
        let mut root = None;

        while let Some(expected) = self.checkpoints.get(self.next).copied() {
            if expected.size != size {
                break;
            }
            let current = *root.get_or_insert_with(|| self.frontier.root());
            if expected.root != current {
                return Err(self.fail(VerifyFailure::CheckpointMismatch {
                    number: expected.number,
                    size,
                    tenant: self.tenant.clone(),
                }));
            }
            self.latest = Some(size);
            self.next += 1;
        }
        Ok(())
    }

    fn fail(&mut self, failure: VerifyFailure) -> VerifyFailure {
        self.failure = Some(failure.clone());
        failure
    }

    /// Ends the log: fails if a checkpoint covers more entries than were pushed (truncation).
    pub fn finish(self) -> Result<VerifyReport, VerifyFailure> {
        if let Some(failure) = self.failure {
            return Err(failure);
        }

        if let Some(beyond) = self.checkpoints.get(self.next) {
            return Err(VerifyFailure::CheckpointBeyondLog {
                number: beyond.number,
                size: beyond.size,
                entries: self.frontier.size(),
                tenant: self.tenant,
            });
        }

        let checkpoints_verified = self.checkpoints.len() - self.before_start;
        Ok(VerifyReport {
            tree_size: self.frontier.size(),
            root: self.frontier.root(),
            tenant: self.tenant,
            first_index: self.first_index,
            checkpoints_verified,
            latest_checkpoint: self.latest,
            checkpoints_before_start: self.before_start,
        })
    }
}

/// Verifies a whole log in one call: `entries` yields each entry's bytes and stored leaf hash in
/// index order, from index 0.
pub fn verify_log<'a, B, I>(
    key: &CheckpointVerifier,
    signed_checkpoints: impl IntoIterator<Item = &'a [u8]>,
    entries: I,
) -> Result<VerifyReport, VerifyFailure>
where
    B: AsRef<[u8]>,
    I: IntoIterator<Item = (B, Option<Hash>)>,
{
    let mut verifier = LogVerifier::new(key, signed_checkpoints)?;
    for (bytes, stored) in entries {
        verifier.push(bytes.as_ref(), stored.as_ref())?;
    }
    verifier.finish()
}
