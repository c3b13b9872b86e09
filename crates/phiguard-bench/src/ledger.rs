//! `--ledger-appends N`: durable ledger appends per second through the SQLite store under
//! concurrent load (every append is its own submitted change list, awaited until its commit is
//! durable; the store's writer groups whatever is waiting into one transaction and one fsync),
//! then inclusion-proof generation and verification from the stored nodes at the final size.
//!
//! The data directory is a real vault (tenant `bench`, `ledger.key`) with a signed checkpoint at
//! the end, so that `phiguard ledger verify DIR` can be timed on it afterwards.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use phiguard_core::{
    ActorKind, AuditAction, AuditEvent, Category, Decision, Disclosure, Outcome, PurposeOfUse,
    RecordId, RequestId, SubjectId, TenantId,
};
use phiguard_ledger::{Hash, inclusion_proof, leaf_hash, root_at, verify_inclusion};
use phiguard_store::{Change, LedgerNodes, SqliteStore, Store};
use phiguard_vault::{Caller, SystemJob, Vault, VaultConfig};

/// What the ledger mode measured.
#[derive(Debug, Clone)]
pub(crate) struct LedgerMeasurement {
    appends: u64,
    concurrency: usize,
    seconds: f64,
    durable_appends_per_second: f64,
    tree_size: u64,
    proof_samples: u64,
    proof_generation_micros: f64,
    proof_verification_micros: f64,
}

fn sample_event(tenant: &TenantId, n: u64) -> anyhow::Result<AuditEvent> {
    let mut event = AuditEvent::new(
        tenant.clone(),
        "svc-storefront".parse()?,
        ActorKind::Service,
        AuditAction::ReadRecord,
        Decision::Allow,
        Outcome::Success,
    );
    let mut random = [0u8; 16];
    random[..8].copy_from_slice(&n.to_le_bytes());
    event.purpose = Some(PurposeOfUse::Hoperat);
    event.subject = Some(SubjectId::from_random(random));
    random[15] = 1;
    event.record = Some(RecordId::from_random(random));
    event.record_type = Some("shopify.Order".into());
    event.disclosed.insert(Category::Name, Disclosure::Masked);
    event.disclosed.insert(Category::Address, Disclosure::Clear);
    event.request_id = Some(format!("{n:032x}").parse::<RequestId>()?);
    Ok(event)
}

/// Runs the mode in `dir`: `appends` durable appends from `concurrency` tasks.
pub(crate) async fn run(
    dir: &Path,
    appends: u64,
    concurrency: usize,
) -> anyhow::Result<LedgerMeasurement> {
    let tenant: TenantId = "bench".parse()?;
    {
        let (vault, _bootstrap) = Vault::open(dir, VaultConfig::default()).await?;
        let admin = Caller::system(tenant.clone(), SystemJob::Administration);
        vault
            .create_tenant(&admin, tenant.clone(), "Ledger benchmark".into(), None)
            .await?;
    }

    let store = Arc::new(SqliteStore::open(dir)?);
    let start_size = store.ledger_size(&tenant)?;
    let next = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(concurrency);
    for _ in 0..concurrency {
        let (store, next, tenant) = (store.clone(), next.clone(), tenant.clone());
        tasks.push(tokio::spawn(async move {
            loop {
                let n = next.fetch_add(1, Ordering::Relaxed);
                if n >= appends {
                    return anyhow::Ok(());
                }
                let event = sample_event(&tenant, n)?;
                store.submit(vec![Change::Audit(event)]).await?;
            }
        }));
    }
    for task in tasks {
        task.await??;
    }
    let elapsed = started.elapsed();

    let size = store.ledger_size(&tenant)?;
    anyhow::ensure!(size == start_size + appends, "the log holds {size} entries");
    let (samples, generation, verification) = time_proofs(store.as_ref(), &tenant, size)?;
    drop(store);

    let (vault, _) = Vault::open(dir, VaultConfig::default()).await?;
    vault.checkpoint_all().await?;

    Ok(LedgerMeasurement {
        appends,
        concurrency,
        seconds: elapsed.as_secs_f64(),
        durable_appends_per_second: appends as f64 / elapsed.as_secs_f64(),
        tree_size: size,
        proof_samples: samples,
        proof_generation_micros: micros(generation, samples),
        proof_verification_micros: micros(verification, samples),
    })
}

fn micros(total: Duration, count: u64) -> f64 {
    total.as_secs_f64() * 1e6 / count.max(1) as f64
}

/// Generates and verifies inclusion proofs of spread-out leaves from the stored nodes.
fn time_proofs(
    store: &dyn Store,
    tenant: &TenantId,
    size: u64,
) -> anyhow::Result<(u64, Duration, Duration)> {
    let nodes = LedgerNodes::new(store, tenant);
    let root: Hash = root_at(size, &nodes)?;
    let samples = size.min(2_000);
    let mut generation = Duration::ZERO;
    let mut verification = Duration::ZERO;
    for k in 0..samples {
        let index = k.wrapping_mul(0x9e37_79b9_7f4a_7c15) % size;
        let started = Instant::now();
        let proof = inclusion_proof(index, size, &nodes)?;
        generation += started.elapsed();

        let leaf = store
            .ledger_leaves(tenant, index, 1)?
            .pop()
            .ok_or_else(|| anyhow::anyhow!("leaf {index} is missing"))?;
        let hash = leaf_hash(&leaf.entry);
        let started = Instant::now();
        verify_inclusion(&hash, index, size, &proof, &root)?;
        verification += started.elapsed();
    }
    Ok((samples, generation, verification))
}

impl LedgerMeasurement {
    /// The figures as JSON.
    pub(crate) fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "appends": self.appends,
            "concurrency": self.concurrency,
            "seconds": self.seconds,
            "durable_appends_per_second": self.durable_appends_per_second,
            "tree_size": self.tree_size,
            "proof_samples": self.proof_samples,
            "proof_generation_micros": self.proof_generation_micros,
            "proof_verification_micros": self.proof_verification_micros,
        })
    }

    /// The figures for people.
    pub(crate) fn to_text(&self) -> String {
        format!(
            "ledger: {} durable appends from {} concurrent writers in {:.2} s = {:.0} appends/s\n\
             inclusion proofs at tree size {} ({} samples, from stored nodes): generate {:.1} us, \
             verify {:.1} us",
            self.appends,
            self.concurrency,
            self.seconds,
            self.durable_appends_per_second,
            self.tree_size,
            self.proof_samples,
            self.proof_generation_micros,
            self.proof_verification_micros
        )
    }
}
