//! `phiguard ledger verify`: the offline verifier, run against a data directory or an auditor
//! export, with nothing but the entries, the signed checkpoints and a verifier key.
//!
//! For every tenant it checks, it recomputes each leaf hash from the stored entry bytes (and
//! compares it with the stored hash, when the source has one), checks that each entry is
//! canonical and names its own index and tenant, rebuilds the tree, checks every checkpoint's
//! signature, and compares each checkpoint's root with the tree rebuilt at its size — which makes
//! every checkpoint consistent with the next. It stops at the first problem and names it.
//!
//! Reading a data directory needs neither the root key nor a running server.

use std::fs::{self, File};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, anyhow};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use phiguard_core::TenantId;
use phiguard_ledger::{
    CheckpointSigner, CheckpointVerifier, Frontier, Hash, LogVerifier, VerifyFailure, VerifyReport,
    origin_for, tenant_of_origin,
};
use phiguard_store::{SqliteStore, Store, VAULT_FILE};
use serde::Deserialize;

use crate::Failure;
use crate::config::Config;
use crate::output;

/// The entries an export holds, one canonical entry per line.
pub(crate) const EXPORT_ENTRIES: &str = "entries.jsonl";
/// The export's verifier key.
pub(crate) const EXPORT_KEY: &str = "key.vkey";
/// The directory of the export's signed checkpoints.
pub(crate) const EXPORT_CHECKPOINTS: &str = "checkpoints";
/// The tree's frontier before the export's first entry, when it does not start at 0.
pub(crate) const EXPORT_FRONTIER: &str = "frontier.json";

/// How many leaves one read of a data directory takes.
const PAGE: u32 = 10_000;

/// Options of `phiguard ledger verify`.
#[derive(Debug, Args)]
pub(crate) struct VerifyArgs {
    /// A data directory or a directory written by `phiguard ledger export` (default: the
    /// configured data directory).
    dir: Option<PathBuf>,
    /// The tenant's published verifier key, `<origin>+<key id>+<key>`. An auditor should always
    /// pass it: without it the key is taken from the directory being checked.
    #[arg(long, value_name = "VKEY", conflicts_with = "key_file")]
    key: Option<String>,
    /// A file of verifier keys, one per line (lines starting with `#` are ignored).
    #[arg(long, value_name = "FILE")]
    key_file: Option<PathBuf>,
    /// Check only this tenant's log.
    #[arg(long)]
    tenant: Option<TenantId>,
}

/// The frontier file of an export.
#[derive(Debug, serde::Serialize, Deserialize)]
pub(crate) struct FrontierFile {
    /// The tree size before the export's first entry.
    pub(crate) size: u64,
    /// The frontier's peak hashes, largest subtree first.
    pub(crate) peaks: Vec<Hash>,
}

/// What was checked, and what went wrong first.
enum Outcome {
    Verified(Vec<VerifyReport>),
    Failed(VerifyFailure),
}

pub(crate) fn run(config: &Config, args: VerifyArgs) -> Result<ExitCode, Failure> {
    let dir = args.dir.clone().unwrap_or_else(|| config.data_dir.clone());
    let given = given_keys(&args)?;

    let outcome = if dir.join(VAULT_FILE).is_file() {
        verify_data_dir(config, &dir, given, args.tenant.as_ref())?
    } else if dir.join(EXPORT_ENTRIES).is_file() {
        verify_export(&dir, given, args.tenant.as_ref())?
    } else {
        return Err(Failure::Input(anyhow!(
            "{} is neither a phiguard data directory (no {VAULT_FILE}) nor a ledger export \
             (no {EXPORT_ENTRIES})",
            dir.display()
        )));
    };

    match outcome {
        Outcome::Verified(reports) => {
            for report in &reports {
                output::line(&format!("ok: {report}"));
            }
            output::line(&format!(
                "verified: {} log(s), {} entries, every checkpoint signature and root holds",
                reports.len(),
                reports
                    .iter()
                    .map(|r| r.tree_size - r.first_index)
                    .sum::<u64>()
            ));
            Ok(ExitCode::SUCCESS)
        }
        Outcome::Failed(failure) => {
            output::error(&format!("verification FAILED: {failure}"));
            Ok(ExitCode::from(1))
        }
    }
}

/// The keys given with `--key` or `--key-file`, if any.
fn given_keys(args: &VerifyArgs) -> Result<Option<Vec<CheckpointVerifier>>, Failure> {
    let texts: Vec<String> = match (&args.key, &args.key_file) {
        (Some(key), _) => vec![key.clone()],
        (None, Some(path)) => fs::read_to_string(path)
            .with_context(|| format!("cannot read the key file {}", path.display()))
            .map_err(Failure::Input)?
            .lines()
            .map(str::trim)
            .filter(|line| !line.is_empty() && !line.starts_with('#'))
            .map(str::to_owned)
            .collect(),
        (None, None) => return Ok(None),
    };

    let mut keys = Vec::with_capacity(texts.len());
    for text in texts {
        let key = CheckpointVerifier::from_verifier_key(&text)
            .context("the verifier key is not valid")
            .map_err(Failure::Input)?;
        if tenant_of_origin(key.origin()).is_none() {
            return Err(Failure::Input(anyhow!(
                "the verifier key's name is not a phiguard log origin \
                 (<deployment>/phiguard/<tenant>)"
            )));
        }
        keys.push(key);
    }
    if keys.is_empty() {
        return Err(Failure::Input(anyhow!(
            "the key file holds no verifier key"
        )));
    }
    Ok(Some(keys))
}

fn key_tenant(key: &CheckpointVerifier) -> Option<TenantId> {
    tenant_of_origin(key.origin())
}

/// Keeps only the keys of `tenant`, refusing a tenant no key names.
fn keys_for(
    keys: Vec<CheckpointVerifier>,
    tenant: Option<&TenantId>,
) -> Result<Vec<CheckpointVerifier>, Failure> {
    let Some(tenant) = tenant else {
        return Ok(keys);
    };
    let kept: Vec<CheckpointVerifier> = keys
        .into_iter()
        .filter(|key| key_tenant(key).as_ref() == Some(tenant))
        .collect();
    if kept.is_empty() {
        return Err(Failure::Input(anyhow!(
            "no verifier key given is for tenant {tenant}"
        )));
    }
    Ok(kept)
}

fn warn_derived_key(source: &Path) {
    output::error(&format!(
        "WARNING: no --key given, so the verifier key was DERIVED FROM {} INSIDE THE DIRECTORY \
         BEING CHECKED. This only shows the log agrees with the key stored beside it: whoever \
         can rewrite the log can also replace that key. An auditor should pass the tenant's \
         published key with --key or --key-file.",
        source.display()
    ));
}

fn verify_data_dir(
    config: &Config,
    dir: &Path,
    given: Option<Vec<CheckpointVerifier>>,
    tenant: Option<&TenantId>,
) -> Result<Outcome, Failure> {
    let store = SqliteStore::open(dir)
        .with_context(|| format!("cannot open the data directory {}", dir.display()))
        .map_err(Failure::Input)?;

    let keys = match given {
        Some(keys) => keys_for(keys, tenant)?,
        None => derive_keys(config, dir, &store, tenant)?,
    };

    let mut reports = Vec::with_capacity(keys.len());
    for key in &keys {
        let Some(tenant) = key_tenant(key) else {
            continue;
        };
        match verify_stored_log(&store, key, &tenant)? {
            Ok(report) => reports.push(report),
            Err(failure) => return Ok(Outcome::Failed(failure)),
        }
    }
    Ok(Outcome::Verified(reports))
}

/// The verifier keys of the data directory's own signing key, for `tenant` or every tenant.
fn derive_keys(
    config: &Config,
    dir: &Path,
    store: &SqliteStore,
    tenant: Option<&TenantId>,
) -> Result<Vec<CheckpointVerifier>, Failure> {
    let path = dir.join(phiguard_vault::LEDGER_KEY_FILE);
    let der = fs::read(&path)
        .with_context(|| {
            format!(
                "cannot read {}; pass the tenant's verifier key with --key",
                path.display()
            )
        })
        .map_err(Failure::Input)?;
    let signer = CheckpointSigner::from_pkcs8(&der)
        .with_context(|| format!("{} is not a checkpoint signing key", path.display()))
        .map_err(Failure::Input)?;
    warn_derived_key(&path);

    let tenants: Vec<TenantId> = match tenant {
        Some(tenant) => {
            let known = store
                .tenant(tenant)
                .context("cannot read the tenants")
                .map_err(Failure::Input)?;
            if known.is_none() {
                return Err(Failure::Input(anyhow!(
                    "the data directory has no tenant {tenant}"
                )));
            }
            vec![tenant.clone()]
        }
        None => store
            .tenants()
            .context("cannot list the tenants")
            .map_err(Failure::Input)?
            .into_iter()
            .map(|t| t.id)
            .collect(),
    };
    let deployment = &config.vault.ledger_deployment;
    tenants
        .iter()
        .map(|tenant| {
            let origin = origin_for(deployment, tenant)
                .context("the configured ledger deployment name is not valid")?;
            let vkey = signer.verifier_key(&origin)?;
            Ok(CheckpointVerifier::from_verifier_key(&vkey)?)
        })
        .collect::<anyhow::Result<_>>()
        .map_err(Failure::Input)
}

fn progress(total: u64, tenant: &TenantId) -> ProgressBar {
    let bar = ProgressBar::new(total);
    bar.set_style(
        ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} {per_sec} {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar.set_message(format!("verifying {tenant}"));
    bar
}

/// Verifies one tenant's log as a data directory holds it.
fn verify_stored_log(
    store: &SqliteStore,
    key: &CheckpointVerifier,
    tenant: &TenantId,
) -> Result<Result<VerifyReport, VerifyFailure>, Failure> {
    let read = |what: &str| format!("cannot read tenant {tenant}'s {what}");
    let notes: Vec<String> = store
        .checkpoints(tenant)
        .with_context(|| read("checkpoints"))
        .map_err(Failure::Input)?
        .into_iter()
        .map(|c| c.note)
        .collect();
    let mut verifier = match LogVerifier::new(key, notes.iter().map(|n| n.as_bytes())) {
        Ok(verifier) => verifier,
        Err(failure) => return Ok(Err(failure)),
    };

    let total = store
        .ledger_size(tenant)
        .with_context(|| read("ledger size"))
        .map_err(Failure::Input)?;
    let bar = progress(total, tenant);
    let mut from = 0;
    loop {
        let page = store
            .ledger_leaves(tenant, from, PAGE)
            .with_context(|| read("ledger entries"))
            .map_err(Failure::Input)?;
        let Some(last) = page.last().map(|leaf| leaf.index) else {
            break;
        };
        for leaf in &page {
            let stored = Hash::from_bytes(leaf.leaf_hash);
            if let Err(failure) = verifier.push(&leaf.entry, Some(&stored)) {
                bar.finish_and_clear();
                return Ok(Err(failure));
            }
        }
        bar.inc(page.len() as u64);
        from = last + 1;
    }
    bar.finish_and_clear();
    Ok(verifier.finish())
}

fn verify_export(
    dir: &Path,
    given: Option<Vec<CheckpointVerifier>>,
    tenant: Option<&TenantId>,
) -> Result<Outcome, Failure> {
    let input = |e: anyhow::Error| Failure::Input(e);

    let key = match given {
        Some(keys) => {
            let mut keys = keys_for(keys, tenant)?;
            if keys.len() != 1 {
                return Err(input(anyhow!(
                    "an export holds one tenant's log; give one verifier key (or --tenant)"
                )));
            }
            keys.remove(0)
        }
        None => {
            let path = dir.join(EXPORT_KEY);
            let text = fs::read_to_string(&path)
                .with_context(|| format!("cannot read {}; pass --key", path.display()))
                .map_err(input)?;
            let key = CheckpointVerifier::from_verifier_key(&text)
                .with_context(|| format!("{} is not a verifier key", path.display()))
                .map_err(input)?;
            warn_derived_key(&path);
            key
        }
    };
    let Some(log_tenant) = key_tenant(&key) else {
        return Err(input(anyhow!(
            "the verifier key does not name a tenant's log"
        )));
    };
    if tenant.is_some_and(|t| *t != log_tenant) {
        return Err(input(anyhow!(
            "the export's key is for tenant {log_tenant}, not the one given"
        )));
    }

    let notes = read_export_notes(dir).map_err(input)?;
    let mut verifier = match LogVerifier::new(&key, notes.iter().map(Vec::as_slice)) {
        Ok(verifier) => verifier,
        Err(failure) => return Ok(Outcome::Failed(failure)),
    };
    let frontier_path = dir.join(EXPORT_FRONTIER);
    if frontier_path.is_file() {
        let frontier = read_frontier(&frontier_path).map_err(input)?;
        verifier = match verifier.resume_from(frontier) {
            Ok(verifier) => verifier,
            Err(failure) => return Ok(Outcome::Failed(failure)),
        };
    }

    let path = dir.join(EXPORT_ENTRIES);
    let file = File::open(&path)
        .with_context(|| format!("cannot open {}", path.display()))
        .map_err(input)?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    let bar = progress(size, &log_tenant);
    let mut reader = BufReader::with_capacity(1 << 20, file);
    let mut line = Vec::with_capacity(1024);
    loop {
        line.clear();
        let read = reader
            .read_until(b'\n', &mut line)
            .with_context(|| format!("cannot read {}", path.display()))
            .map_err(input)?;
        if read == 0 {
            break;
        }
        bar.inc(read as u64);
        let entry = line.strip_suffix(b"\n").unwrap_or(&line);
        if let Err(failure) = verifier.push(entry, None) {
            bar.finish_and_clear();
            return Ok(Outcome::Failed(failure));
        }
    }
    bar.finish_and_clear();

    match verifier.finish() {
        Ok(report) => Ok(Outcome::Verified(vec![report])),
        Err(failure) => Ok(Outcome::Failed(failure)),
    }
}

/// The export's signed checkpoints, in file-name order.
fn read_export_notes(dir: &Path) -> anyhow::Result<Vec<Vec<u8>>> {
    let notes_dir = dir.join(EXPORT_CHECKPOINTS);
    let mut paths: Vec<PathBuf> = fs::read_dir(&notes_dir)
        .with_context(|| format!("cannot list {}", notes_dir.display()))?
        .map(|entry| entry.map(|e| e.path()))
        .collect::<Result<_, _>>()
        .with_context(|| format!("cannot list {}", notes_dir.display()))?;
    paths.retain(|p| p.extension().is_some_and(|e| e == "note"));
    paths.sort();
    paths
        .iter()
        .map(|p| fs::read(p).with_context(|| format!("cannot read {}", p.display())))
        .collect()
}

fn read_frontier(path: &Path) -> anyhow::Result<Frontier> {
    let text = fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let file: FrontierFile = serde_json::from_slice(&text)
        .map_err(|_| anyhow!("{} is not a frontier file", path.display()))?;
    Frontier::from_peaks(file.size, file.peaks).map_err(|_| {
        anyhow!(
            "{} has the wrong number of peaks for its size",
            path.display()
        )
    })
}
