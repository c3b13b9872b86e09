//! Measures the ledger core without storage: frontier appends per second, inclusion and
//! consistency proof generation and verification at one million entries (in-memory nodes), and
//! offline verifier throughput.
//!
//! Run with: `cargo run --release -p phiguard-ledger --example ledger_bench [entries]`

use std::error::Error;
use std::hint::black_box;
use std::time::{Duration, Instant};

use phiguard_core::{
    ActorKind, AuditAction, AuditEvent, Category, Decision, Disclosure, Outcome, PurposeOfUse,
    RecordId, RequestId, SubjectId, TenantId, Timestamp,
};
use phiguard_ledger::{
    Checkpoint, CheckpointSigner, CheckpointVerifier, Frontier, Hash, LedgerEntry, MemoryTree,
    NodeId, NodeSource, SignatureAlgorithm, consistency_proof, inclusion_proof, leaf_hash,
    origin_for, verify_consistency, verify_inclusion, verify_log,
};

const PROOF_SAMPLES: u64 = 20_000;
const CHECKPOINT_EVERY: u64 = 10_000;

/// A small deterministic generator for sample indices (xorshift64*).
struct Sampler(u64);

impl Sampler {
    fn below(&mut self, bound: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) % bound
    }
}

fn per_second(count: u64, elapsed: Duration) -> f64 {
    count as f64 / elapsed.as_secs_f64()
}

fn micros(total: Duration, count: u64) -> f64 {
    total.as_secs_f64() * 1e6 / count as f64
}

fn sample_event(tenant: &TenantId, index: u64) -> Result<AuditEvent, Box<dyn Error>> {
    let mut event = AuditEvent::new(
        tenant.clone(),
        "svc-storefront".parse()?,
        ActorKind::Service,
        AuditAction::ReadRecord,
        Decision::Allow,
        Outcome::Success,
    );
    let seed = index.to_le_bytes();
    let mut random = [0u8; 16];
    random[..8].copy_from_slice(&seed);
    event.time = Timestamp::from_second(1_780_000_000 + (index / 100) as i64)?;
    event.purpose = Some(PurposeOfUse::Hoperat);
    event.subject = Some(SubjectId::from_random(random));
    random[15] = 1;
    event.record = Some(RecordId::from_random(random));
    event.record_type = Some("shopify.Order".to_owned());
    event.disclosed.insert(Category::Name, Disclosure::Masked);
    event.disclosed.insert(Category::Address, Disclosure::Clear);
    event.policies = vec!["fulfilment-ships-orders".to_owned()];
    event.request_id = Some(format!("req-{index:016x}").parse::<RequestId>()?);
    Ok(event)
}

fn main() -> Result<(), Box<dyn Error>> {
    let entries: u64 = match std::env::args().nth(1) {
        Some(text) => text.parse()?,
        None => 1_000_000,
    };
    println!("phiguard-ledger benchmark, {entries} entries");

    // Entry encoding and leaf hashing (what the writer does per audit event).
    let tenant: TenantId = "northwind".parse()?;
    let started = Instant::now();
    let mut encoded: Vec<(Vec<u8>, Hash)> = Vec::with_capacity(entries as usize);
    for index in 0..entries {
        let bytes = LedgerEntry::from_event(index, &sample_event(&tenant, index)?).encode()?;
        let leaf = leaf_hash(&bytes);
        encoded.push((bytes, leaf));
    }
    let elapsed = started.elapsed();
    let mean_len = encoded.iter().map(|(b, _)| b.len() as u64).sum::<u64>() / entries.max(1);
    println!(
        "encode + leaf hash:      {:>12.0} entries/s  (mean entry {mean_len} bytes)",
        per_second(entries, elapsed)
    );

    // Frontier appends: collecting completed nodes, as a writer that persists them does.
    let started = Instant::now();
    let mut frontier = Frontier::new();
    let mut nodes_written = 0u64;
    for (_, leaf) in &encoded {
        nodes_written += frontier.append(*leaf).len() as u64;
    }
    let elapsed = started.elapsed();
    println!(
        "frontier append:         {:>12.0} appends/s  ({nodes_written} nodes to persist)",
        per_second(entries, elapsed)
    );

    // The full in-memory tree, then proofs at its size.
    let mut tree = MemoryTree::new();
    for (_, leaf) in &encoded {
        tree.append(*leaf);
    }
    let size = tree.size();
    let root = tree.root();
    let mut sampler = Sampler(0x9e37_79b9_7f4a_7c15);

    let samples: Vec<u64> = (0..PROOF_SAMPLES).map(|_| sampler.below(size)).collect();
    let started = Instant::now();
    let proofs = samples
        .iter()
        .map(|&index| inclusion_proof(index, size, &tree))
        .collect::<Result<Vec<_>, _>>()?;
    let generation = started.elapsed();

    let started = Instant::now();
    for (proof, &index) in proofs.iter().zip(&samples) {
        let leaf = tree.node(NodeId::leaf(index))?;
        verify_inclusion(&leaf, index, size, proof, &root)?;
    }
    let verification = started.elapsed();
    println!(
        "inclusion proof @ {size}: generate {:.2} µs, verify {:.2} µs  ({} hashes)",
        micros(generation, PROOF_SAMPLES),
        micros(verification, PROOF_SAMPLES),
        proofs.first().map_or(0, |p| p.hashes.len())
    );

    let olds: Vec<u64> = (0..PROOF_SAMPLES)
        .map(|_| 1 + sampler.below(size))
        .collect();
    let started = Instant::now();
    let consistency = olds
        .iter()
        .map(|&old| consistency_proof(old, size, &tree))
        .collect::<Result<Vec<_>, _>>()?;
    let generation = started.elapsed();
    let old_roots = olds
        .iter()
        .map(|&old| phiguard_ledger::root_at(old, &tree))
        .collect::<Result<Vec<_>, _>>()?;
    let started = Instant::now();
    for ((proof, &old), old_root) in consistency.iter().zip(&olds).zip(&old_roots) {
        verify_consistency(old, size, old_root, &root, proof)?;
    }
    let verification = started.elapsed();
    println!(
        "consistency proof @ {size}: generate {:.2} µs, verify {:.2} µs",
        micros(generation, PROOF_SAMPLES),
        micros(verification, PROOF_SAMPLES)
    );

    // Offline verification with a signed checkpoint every CHECKPOINT_EVERY entries.
    let signer = CheckpointSigner::generate(SignatureAlgorithm::DEFAULT)?;
    let origin = origin_for("phi.example.com", &tenant)?;
    let key = CheckpointVerifier::from_verifier_key(&signer.verifier_key(&origin)?)?;
    let mut notes = Vec::new();
    let mut at = CHECKPOINT_EVERY.min(size);
    while at > 0 {
        let checkpoint = Checkpoint::new(&origin, at, phiguard_ledger::root_at(at, &tree)?)?;
        notes.push(signer.sign(&checkpoint)?);
        if at == size {
            break;
        }
        at = (at + CHECKPOINT_EVERY).min(size);
    }

    let started = Instant::now();
    let report = verify_log(
        &key,
        notes.iter().map(|note| note.as_bytes()),
        encoded
            .iter()
            .map(|(bytes, leaf)| (bytes.as_slice(), Some(*leaf))),
    )?;
    let elapsed = started.elapsed();
    black_box(&report);
    println!(
        "offline verify:          {:>12.0} entries/s  ({:.2} s for {} entries, {} checkpoints)",
        per_second(entries, elapsed),
        elapsed.as_secs_f64(),
        report.tree_size,
        report.checkpoints_verified
    );
    Ok(())
}
