//! Times `Vault::posture` on an existing data directory, as phiguard's own job reads it (every
//! tenant), and prints per tenant the ledger size, the entries verified and the outcome.
//!
//! ```text
//! cargo run --release -p phiguard-bench -- --ledger-appends 200000 --data-dir D
//! cargo run --release -p phiguard-vault --example posture_timing -- D [runs]
//! ```
//!
//! The first run reads the database from disk; later ones mostly from the page cache.

use std::path::PathBuf;
use std::time::Instant;

use phiguard_vault::{Caller, PLATFORM_TENANT, SystemJob, Vault, VaultConfig};

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let dir: PathBuf = args
        .next()
        .ok_or("usage: posture_timing DATA_DIR [RUNS]")?
        .into();
    let runs: u32 = args.next().map_or(Ok(3), |n| n.parse())?;
    if !dir.join(phiguard_store::VAULT_FILE).is_file() {
        return Err(format!("{} is not a phiguard data directory", dir.display()).into());
    }

    let opened = Instant::now();
    let (vault, _) = Vault::open(&dir, VaultConfig::default()).await?;
    report(&format!("opened (and migrated) in {:?}", opened.elapsed()));

    let caller = Caller::system(PLATFORM_TENANT.parse()?, SystemJob::Administration);
    for run in 1..=runs {
        let started = Instant::now();
        let posture = vault.posture(&caller, None).await?;
        let elapsed = started.elapsed();

        report(&format!(
            "run {run}: {} tenants in {elapsed:?}",
            posture.tenants.len()
        ));
        for tenant in &posture.tenants {
            let verified = tenant.ledger_verification.as_ref();
            report(&format!(
                "  {}: ledger {} entries, {} re-hashed, consistent {:?}, dormant {}, \
                 break-glass {}",
                tenant.tenant,
                tenant.ledger_size,
                verified.map_or(0, |v| v.entries),
                verified.map(|v| v.consistent),
                tenant.dormant_actors.len(),
                tenant.break_glass_uses_90_days,
            ));
        }
    }
    Ok(())
}

#[allow(clippy::print_stdout, reason = "the example's output")]
fn report(line: &str) {
    println!("{line}");
}
