//! The tamper-evident ledger of phiguard: one append-only Merkle log per tenant, in which every
//! access to PHI is an entry that nobody can later alter, drop or reorder unnoticed.
//!
//! This crate is the self-contained core: hashing, tree shape, proofs, the entry encoding, signed
//! checkpoints and the offline verifier. It does no I/O. The store persists what it produces
//! (entry bytes, leaf hashes, perfect-subtree node hashes keyed by `(tenant, level, index)`,
//! checkpoints as signed-note text) and hands stored nodes back through [`NodeSource`].
//!
//! ```text
//!  AuditEvent ─▶ LedgerEntry::encode ─▶ bytes ─▶ leaf_hash ─▶ Frontier::append ─▶ NewNodes
//!                  (entry)                        (hash)         (tree)       (store persists)
//!
//!  store nodes ─NodeSource─▶ root_at · inclusion_proof · consistency_proof     (tree, proof)
//!  Frontier::root ─▶ Checkpoint ─▶ CheckpointSigner::sign ─▶ C2SP signed note  (checkpoint)
//!
//!  auditor: entries + signed notes + verifier key ─▶ LogVerifier ─▶ report or first failure
//! ```
//!
//! | module | owns |
//! | --- | --- |
//! | [`hash`] | RFC 6962 leaf/node hashing and the [`Hash`](struct@Hash) type |
//! | [`tree`] | node positions, [`NodeSource`], [`Frontier`], [`root_at`], [`MemoryTree`] |
//! | [`proof`] | inclusion and consistency proofs and their RFC 9162 verifiers |
//! | [`entry`] | [`LedgerEntry`], the canonical versioned encoding of an audit event |
//! | [`fhir`] | entries as FHIR R4 `AuditEvent` resources, with their proofs |
//! | [`note`] | the C2SP signed-note envelope |
//! | [`checkpoint`] | the C2SP tlog-checkpoint body and the origin convention |
//! | [`signing`] | checkpoint keys: Ed25519, or ECDSA P-256 under `fips`; verifier keys |
//! | [`verify`] | the streaming offline verifier |
//!
//! # What this crate refuses to do
//!
//! - No storage, locking, fsync or group commit: durability is the store's job.
//! - No PHI: entries hold ids, codes and category names (and the bounded break-glass reason the
//!   actor writes knowingly); no error message quotes an entry, a note or a key.
//! - No leniency on input from elsewhere: entries must be canonical, notes and checkpoints
//!   strictly formed, proofs bound to the exact sizes they were computed for.
//! - No deletion: the tree has no way to remove or replace a leaf. Disposal of a subject is a new
//!   entry; crypto-shredding touches the vault's keys, not the ledger.
//! - No hand-written cryptography: SHA-256, Ed25519 and ECDSA come from AWS-LC.
//!
//! # Example
//!
//! ```
//! use phiguard_core::{ActorKind, AuditAction, AuditEvent, Decision, Outcome};
//! use phiguard_ledger::*;
//!
//! let tenant: phiguard_core::TenantId = "northwind".parse().unwrap();
//! let mut tree = MemoryTree::new();
//! for index in 0..5 {
//!     let event = AuditEvent::new(tenant.clone(), "dr-okafor".parse().unwrap(),
//!         ActorKind::User, AuditAction::ReadRecord, Decision::Allow, Outcome::Success);
//!     let bytes = LedgerEntry::from_event(index, &event).encode().unwrap();
//!     tree.append(leaf_hash(&bytes));
//! }
//!
//! let signer = CheckpointSigner::generate(SignatureAlgorithm::DEFAULT).unwrap();
//! let checkpoint = Checkpoint::for_tenant("phi.example.com", &tenant, 5, tree.root()).unwrap();
//! let note = signer.sign(&checkpoint).unwrap();
//!
//! let vkey = signer.verifier_key(checkpoint.origin()).unwrap();
//! let verified = CheckpointVerifier::from_verifier_key(&vkey).unwrap()
//!     .verify(note.as_bytes()).unwrap();
//!
//! let proof = inclusion_proof(3, verified.size(), &tree).unwrap();
//! let leaf = tree.node(NodeId::leaf(3)).unwrap();
//! verify_inclusion(&leaf, 3, verified.size(), &proof, verified.root()).unwrap();
//! ```

pub mod checkpoint;
pub mod entry;
pub mod fhir;
pub mod hash;
pub mod note;
pub mod proof;
pub mod signing;
pub mod tree;
pub mod verify;

#[cfg(test)]
mod reference;

pub use checkpoint::{Checkpoint, CheckpointError, origin_for, tenant_of_origin};
pub use entry::{ENTRY_VERSION, EntryError, LedgerEntry, MAX_ENTRY_BYTES};
pub use hash::{HASH_LEN, Hash, HashFormatError, empty_root, leaf_hash, node_hash};
pub use note::{Note, NoteError, NoteSignature};
pub use proof::{
    ConsistencyProof, InclusionProof, ProofError, consistency_proof, inclusion_proof,
    verify_consistency, verify_inclusion,
};
pub use signing::{
    CheckpointSigner, CheckpointVerifier, KeyError, Pkcs8Key, PublicKey, SignatureAlgorithm,
    UnknownAlgorithm,
};
pub use tree::{
    Frontier, FrontierShapeError, MemoryTree, MissingNode, NewNode, NodeId, NodeSource, TreeError,
    peak_nodes, root_at,
};
pub use verify::{EntryProblem, LogVerifier, VerifyFailure, VerifyReport, verify_log};
