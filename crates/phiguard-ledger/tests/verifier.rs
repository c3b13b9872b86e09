//! The offline verifier against tampered logs: each tamper the issue lists must fail, naming the
//! first bad entry or checkpoint.

// Test fixtures: a failed setup step should stop the test where it happened.
#![allow(clippy::unwrap_used)]

use phiguard_core::{
    ActorKind, AuditAction, AuditEvent, Category, Decision, Disclosure, Outcome, PurposeOfUse,
    SubjectId, TenantId,
};
use phiguard_ledger::{
    Checkpoint, CheckpointError, CheckpointSigner, CheckpointVerifier, EntryError, EntryProblem,
    Frontier, Hash, LedgerEntry, LogVerifier, SignatureAlgorithm, VerifyFailure, leaf_hash,
    origin_for, verify_log,
};

const DEPLOYMENT: &str = "phi.example.com";

struct Log {
    tenant: TenantId,
    signer: CheckpointSigner,
    key: CheckpointVerifier,
    entries: Vec<(Vec<u8>, Hash)>,
    checkpoints: Vec<String>,
}

fn event(tenant: &TenantId, index: u64) -> AuditEvent {
    let mut event = AuditEvent::new(
        tenant.clone(),
        "dr-okafor".parse().unwrap(),
        ActorKind::User,
        AuditAction::ReadRecord,
        Decision::Allow,
        Outcome::Success,
    );
    event.purpose = Some(PurposeOfUse::Treat);
    event.subject = Some(SubjectId::from_random([(index % 251) as u8; 16]));
    event
        .disclosed
        .insert(Category::Clinical, Disclosure::Clear);
    event
}

fn encoded(tenant: &TenantId, index: u64) -> Vec<u8> {
    LedgerEntry::from_event(index, &event(tenant, index))
        .encode()
        .unwrap()
}

/// A log of `size` entries with a checkpoint every `every` entries and one at the end.
fn log(size: u64, every: u64) -> Log {
    let tenant: TenantId = "northwind".parse().unwrap();
    let signer = CheckpointSigner::generate(SignatureAlgorithm::Ed25519).unwrap();
    let origin = origin_for(DEPLOYMENT, &tenant).unwrap();
    let key =
        CheckpointVerifier::from_verifier_key(&signer.verifier_key(&origin).unwrap()).unwrap();

    let mut frontier = Frontier::new();
    let mut entries = Vec::new();
    let mut checkpoints = Vec::new();
    for index in 0..size {
        let bytes = encoded(&tenant, index);
        let leaf = leaf_hash(&bytes);
        frontier.append(leaf);
        entries.push((bytes, leaf));

        if frontier.size().is_multiple_of(every) || frontier.size() == size {
            let checkpoint = Checkpoint::new(&origin, frontier.size(), frontier.root()).unwrap();
            checkpoints.push(signer.sign(&checkpoint).unwrap());
        }
    }
    Log {
        tenant,
        signer,
        key,
        entries,
        checkpoints,
    }
}

impl Log {
    fn verify(&self) -> Result<phiguard_ledger::VerifyReport, VerifyFailure> {
        verify_log(
            &self.key,
            self.checkpoints.iter().map(|note| note.as_bytes()),
            self.entries
                .iter()
                .map(|(bytes, hash)| (bytes.as_slice(), Some(*hash))),
        )
    }

    fn entry_failure(&self, index: u64, problem: EntryProblem) -> VerifyFailure {
        VerifyFailure::Entry {
            index,
            tenant: self.tenant.clone(),
            problem,
        }
    }
}

#[test]
fn an_untouched_log_verifies() {
    let log = log(100, 16);
    let report = log.verify().unwrap();

    assert_eq!(report.tree_size, 100);
    assert_eq!(report.checkpoints_verified, log.checkpoints.len());
    assert_eq!(report.latest_checkpoint, Some(100));
    assert_eq!(report.entries_after_latest_checkpoint(), 0);
    assert!(report.to_string().contains("tenant northwind"));
}

#[test]
fn one_changed_byte_names_the_entry() {
    let mut log = log(40, 8);
    log.entries[17].0[30] ^= 0x01;

    let failure = log.verify().unwrap_err();
    assert_eq!(
        failure,
        log.entry_failure(17, EntryProblem::LeafHashMismatch)
    );
    assert!(
        failure
            .to_string()
            .starts_with("entry 17 of tenant northwind is bad")
    );
}

#[test]
fn a_rewritten_entry_with_a_recomputed_hash_breaks_the_next_checkpoint() {
    let mut log = log(40, 8);
    let mut altered = LedgerEntry::decode(&log.entries[17].0).unwrap();
    altered.actor = "someone-else".parse().unwrap();
    let bytes = altered.encode().unwrap();
    log.entries[17] = (bytes.clone(), leaf_hash(&bytes));

    let failure = log.verify().unwrap_err();
    assert!(
        matches!(
            failure,
            VerifyFailure::CheckpointMismatch {
                number: 3,
                size: 24,
                ..
            }
        ),
        "{failure:?}"
    );
}

#[test]
fn a_non_canonical_rewrite_names_the_entry_even_with_its_hash_recomputed() {
    let mut log = log(20, 8);
    let text = String::from_utf8(log.entries[5].0.clone()).unwrap();
    let spaced = text.replacen(",\"time\"", ", \"time\"", 1).into_bytes();
    log.entries[5] = (spaced.clone(), leaf_hash(&spaced));

    assert_eq!(
        log.verify().unwrap_err(),
        log.entry_failure(5, EntryProblem::Unreadable(EntryError::NotCanonical))
    );
}

#[test]
fn deleted_swapped_and_foreign_entries_are_named_by_position() {
    let mut deleted = log(30, 10);
    deleted.entries.remove(12);
    assert_eq!(
        deleted.verify().unwrap_err(),
        deleted.entry_failure(12, EntryProblem::WrongIndex { found: 13 })
    );

    let mut swapped = log(30, 10);
    swapped.entries.swap(4, 9);
    assert_eq!(
        swapped.verify().unwrap_err(),
        swapped.entry_failure(4, EntryProblem::WrongIndex { found: 9 })
    );

    let mut foreign = log(30, 10);
    let contoso: TenantId = "contoso".parse().unwrap();
    let bytes = encoded(&contoso, 7);
    foreign.entries[7] = (bytes.clone(), leaf_hash(&bytes));
    assert_eq!(
        foreign.verify().unwrap_err(),
        foreign.entry_failure(7, EntryProblem::WrongTenant)
    );
}

#[test]
fn a_truncated_log_fails_at_the_checkpoint_it_no_longer_reaches() {
    let mut log = log(30, 10);
    log.entries.truncate(25);

    let failure = log.verify().unwrap_err();
    assert!(
        matches!(
            failure,
            VerifyFailure::CheckpointBeyondLog {
                number: 3,
                size: 30,
                entries: 25,
                ..
            }
        ),
        "{failure:?}"
    );
    assert!(failure.to_string().contains("truncated"));
}

#[test]
fn replaced_checkpoints_fail() {
    let mut forked = log(30, 10);
    let origin = forked.key.origin().to_owned();
    let fork = Checkpoint::new(&origin, 20, leaf_hash(b"another history")).unwrap();
    forked.checkpoints[1] = forked.signer.sign(&fork).unwrap();
    assert!(matches!(
        forked.verify().unwrap_err(),
        VerifyFailure::CheckpointMismatch {
            number: 2,
            size: 20,
            ..
        }
    ));

    let mut forged = log(30, 10);
    forged.checkpoints[2] = forged.checkpoints[2].replacen("\n30\n", "\n29\n", 1);
    assert_eq!(
        forged.verify().unwrap_err(),
        VerifyFailure::BadCheckpoint {
            number: 3,
            source: CheckpointError::BadSignature
        }
    );

    let mut foreign_key = log(30, 10);
    let stranger = CheckpointSigner::generate(SignatureAlgorithm::EcdsaP256).unwrap();
    let body = Checkpoint::new(&origin, 30, leaf_hash(b"x")).unwrap();
    foreign_key.checkpoints.push(stranger.sign(&body).unwrap());
    assert_eq!(
        foreign_key.verify().unwrap_err(),
        VerifyFailure::BadCheckpoint {
            number: 4,
            source: CheckpointError::NoKnownSignature
        }
    );
}

#[test]
fn the_empty_log_and_its_checkpoint_verify() {
    let log = log(0, 1);
    let origin = log.key.origin().to_owned();
    let empty = Checkpoint::new(&origin, 0, phiguard_ledger::empty_root()).unwrap();
    let note = log.signer.sign(&empty).unwrap();

    let report = verify_log(
        &log.key,
        [note.as_bytes()],
        Vec::<(Vec<u8>, Option<Hash>)>::new(),
    )
    .unwrap();
    assert_eq!((report.tree_size, report.checkpoints_verified), (0, 1));
}

#[test]
fn an_export_without_leaf_hashes_or_early_entries_still_verifies() {
    let log = log(64, 16);

    // Entries 32.. only, started from the frontier at 32 (the store can give its peaks).
    let mut frontier = Frontier::new();
    for (_, hash) in &log.entries[..32] {
        frontier.append(*hash);
    }
    let mut verifier = LogVerifier::new(&log.key, log.checkpoints.iter().map(|n| n.as_bytes()))
        .unwrap()
        .resume_from(frontier)
        .unwrap();
    for (bytes, _) in &log.entries[32..] {
        verifier.push(bytes, None).unwrap();
    }
    let report = verifier.finish().unwrap();
    assert_eq!(report.first_index, 32);
    assert_eq!(report.checkpoints_before_start, 1);
    assert_eq!(report.checkpoints_verified, 3);

    // A wrong frontier fails at the checkpoint of its own size, or at the next one.
    let notes = || log.checkpoints.iter().map(|n| n.as_bytes());
    let wrong = Frontier::from_peaks(32, vec![leaf_hash(b"forged")]).unwrap();
    let failure = LogVerifier::new(&log.key, notes())
        .unwrap()
        .resume_from(wrong)
        .unwrap_err();
    assert!(matches!(
        failure,
        VerifyFailure::CheckpointMismatch { size: 32, .. }
    ));

    let wrong = Frontier::from_peaks(40, vec![log.entries[0].1, log.entries[1].1]).unwrap();
    let mut verifier = LogVerifier::new(&log.key, notes())
        .unwrap()
        .resume_from(wrong)
        .unwrap();
    let failure = log.entries[40..]
        .iter()
        .find_map(|(bytes, _)| verifier.push(bytes, None).err())
        .unwrap();
    assert!(matches!(
        failure,
        VerifyFailure::CheckpointMismatch { size: 48, .. }
    ));
}

mod every_edit {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Any single-byte change to any entry fails verification, whether or not the tamperer
        /// also rewrote the stored leaf hash.
        #[test]
        fn any_changed_byte_fails(
            victim in 0usize..24,
            position in any::<prop::sample::Index>(),
            xor in 1u8..=255,
            rehash in any::<bool>(),
        ) {
            let mut log = log(24, 5);
            let bytes = &mut log.entries[victim].0;
            let at = position.index(bytes.len());
            bytes[at] ^= xor;
            if rehash {
                log.entries[victim].1 = leaf_hash(&log.entries[victim].0);
            }

            let failure = log.verify().unwrap_err();
            match failure {
                VerifyFailure::Entry { index, .. } => prop_assert_eq!(index, victim as u64),
                VerifyFailure::CheckpointMismatch { size, .. } => {
                    prop_assert!(rehash);
                    prop_assert!(size > victim as u64);
                }
                other => prop_assert!(false, "unexpected failure {:?}", other),
            }
        }
    }
}
