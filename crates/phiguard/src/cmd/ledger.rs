//! `phiguard ledger …`: checkpoints, the verifier key, proofs, the offline verifier, the
//! auditor export and the independent monitor, plus the periodic checkpoint job of `serve`.
//!
//! Commands that read through the vault run as phiguard's administration job and are recorded
//! in the tenant's ledger like any other read. `verify` and `key` read the data directory
//! directly and need neither the root key nor a server; `watch` needs only HTTP.

use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, anyhow};
use clap::{Args, Subcommand};
use phiguard_core::{TenantId, Timestamp};
use phiguard_ledger::{
    CheckpointSigner, CheckpointVerifier, Frontier, LedgerEntry, leaf_hash, origin_for,
};
use phiguard_vault::{Caller, CheckpointView, SystemJob, Vault};

use super::verify::{
    self, EXPORT_CHECKPOINTS, EXPORT_ENTRIES, EXPORT_FRONTIER, EXPORT_KEY, FrontierFile,
};
use super::watch;
use crate::Failure;
use crate::config::Config;
use crate::output;

/// How many entries the export reads through the vault at a time (each read is recorded).
const EXPORT_PAGE: u32 = 10_000;

/// `phiguard ledger …`
#[derive(Debug, Subcommand)]
pub(crate) enum LedgerCommand {
    /// Sign a checkpoint of a tenant's log now and print the signed note.
    Checkpoint {
        /// The tenant.
        #[arg(long)]
        tenant: TenantId,
        /// Print the checkpoint as JSON instead of the signed note.
        #[arg(long)]
        json: bool,
    },
    /// Print the verifier key of a tenant's checkpoints (public; give it to auditors).
    Key {
        /// The tenant.
        #[arg(long)]
        tenant: TenantId,
    },
    /// Print an inclusion or consistency proof as JSON.
    #[command(subcommand)]
    Proof(ProofCommand),
    /// Check a data directory or an export offline: every entry, hash, checkpoint signature
    /// and root. Exit 0 only if all holds, 1 on a verification failure, 2 on bad input.
    Verify(verify::VerifyArgs),
    /// Write an auditor's export of a tenant's log: entries, checkpoints, key, how to verify.
    Export(ExportArgs),
    /// Fetch a server's latest checkpoint and check it against the last one kept: exit 1 on a
    /// fork, a rollback or a bad signature. Meant for cron or CI.
    Watch(watch::WatchArgs),
}

/// `phiguard ledger proof …`
#[derive(Debug, Subcommand)]
pub(crate) enum ProofCommand {
    /// Prove that entry INDEX is in the tree of SIZE entries.
    Inclusion {
        /// The tenant.
        #[arg(long)]
        tenant: TenantId,
        /// The entry's index.
        #[arg(long)]
        index: u64,
        /// The tree size (default: the log's current size).
        #[arg(long)]
        size: Option<u64>,
    },
    /// Prove that the tree of OLD entries is a prefix of the tree of NEW entries.
    Consistency {
        /// The tenant.
        #[arg(long)]
        tenant: TenantId,
        /// The older tree size.
        #[arg(long)]
        old: u64,
        /// The newer tree size (default: the log's current size).
        #[arg(long)]
        new: Option<u64>,
    },
}

/// Options of `phiguard ledger export`.
#[derive(Debug, Args)]
pub(crate) struct ExportArgs {
    /// The tenant whose log to export.
    #[arg(long)]
    tenant: TenantId,
    /// The first day (YYYY-MM-DD, UTC) or instant (RFC 3339) to export.
    #[arg(long, value_name = "DATE", value_parser = parse_from)]
    from: Option<Timestamp>,
    /// The last day (YYYY-MM-DD, UTC, inclusive) or instant (RFC 3339, exclusive) to export.
    #[arg(long, value_name = "DATE", value_parser = parse_to)]
    to: Option<Timestamp>,
    /// The directory to write; it must not exist or be empty.
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
}

/// A day's first instant in UTC, or an RFC 3339 instant.
fn parse_from(text: &str) -> Result<Timestamp, String> {
    parse_date(text, false)
}

/// The instant after a day ends in UTC, or an RFC 3339 instant.
fn parse_to(text: &str) -> Result<Timestamp, String> {
    parse_date(text, true)
}

fn parse_date(text: &str, end_of_day: bool) -> Result<Timestamp, String> {
    if let Ok(instant) = text.parse::<Timestamp>() {
        return Ok(instant);
    }
    let date: jiff::civil::Date = text
        .parse()
        .map_err(|_| "expected a date YYYY-MM-DD or an RFC 3339 instant".to_owned())?;
    let day = if end_of_day {
        date.tomorrow()
            .map_err(|_| "the date is out of range".to_owned())?
    } else {
        date
    };
    format!("{day}T00:00:00Z")
        .parse::<Timestamp>()
        .map_err(|_| "the date is out of range".to_owned())
}

fn ledger_caller(tenant: &TenantId) -> Caller {
    Caller::system(tenant.clone(), SystemJob::Administration)
}

pub(crate) async fn run(config: &Config, command: LedgerCommand) -> Result<ExitCode, Failure> {
    match command {
        LedgerCommand::Checkpoint { tenant, json } => {
            let vault = super::open_existing_vault(config).await?;
            let view = vault
                .issue_checkpoint(&ledger_caller(&tenant), &tenant)
                .await?;
            if json {
                output::json(&view);
            } else {
                print!("{}", view.note);
            }
            Ok(ExitCode::SUCCESS)
        }
        LedgerCommand::Key { tenant } => {
            output::line(&data_dir_verifier_key(config, &tenant)?);
            Ok(ExitCode::SUCCESS)
        }
        LedgerCommand::Proof(proof) => {
            let vault = super::open_existing_vault(config).await?;
            match proof {
                ProofCommand::Inclusion {
                    tenant,
                    index,
                    size,
                } => {
                    let proven = vault
                        .inclusion_proof(&ledger_caller(&tenant), &tenant, index, size)
                        .await?;
                    output::json(&proven);
                }
                ProofCommand::Consistency { tenant, old, new } => {
                    let proof = vault
                        .consistency_proof(&ledger_caller(&tenant), &tenant, old, new)
                        .await?;
                    output::json(&proof);
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        LedgerCommand::Verify(args) => verify::run(config, args),
        LedgerCommand::Export(args) => export(config, args).await,
        LedgerCommand::Watch(args) => watch::run(args).await,
    }
}

/// The verifier key of `tenant`, derived from the data directory's signing key (no root key
/// needed).
fn data_dir_verifier_key(config: &Config, tenant: &TenantId) -> Result<String, Failure> {
    let path = config.data_dir.join(phiguard_vault::LEDGER_KEY_FILE);
    let der = fs::read(&path)
        .with_context(|| format!("cannot read the ledger key {}", path.display()))
        .map_err(Failure::Input)?;
    let signer = CheckpointSigner::from_pkcs8(&der)
        .with_context(|| format!("{} is not a checkpoint signing key", path.display()))
        .map_err(Failure::Input)?;
    let origin = origin_for(&config.vault.ledger_deployment, tenant)
        .context("the configured ledger deployment name is not valid")
        .map_err(Failure::Input)?;
    signer
        .verifier_key(&origin)
        .context("encoding the verifier key")
        .map_err(Failure::Internal)
}

/// Signs a checkpoint of every log that grew, every `checkpoint_interval_seconds`, until the
/// returned task is aborted. `None` when the interval is 0.
pub(crate) fn spawn_periodic_checkpoints(vault: Arc<Vault>) -> Option<tokio::task::JoinHandle<()>> {
    let seconds = vault.config().checkpoint_interval_seconds;
    if seconds == 0 {
        tracing::info!("periodic checkpoints are off (checkpoint_interval_seconds = 0)");
        return None;
    }

    Some(tokio::spawn(async move {
        let mut ticks = tokio::time::interval(Duration::from_secs(seconds));
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            match vault.checkpoint_all().await {
                Ok(0) => {}
                Ok(issued) => tracing::debug!(issued, "signed ledger checkpoints"),
                Err(error) => tracing::warn!(
                    error = %error,
                    "could not sign the periodic ledger checkpoints; will try again"
                ),
            }
        }
    }))
}

/// Where the export stops reading: every entry up to the checkpoint issued for it.
struct ExportPlan {
    checkpoint: CheckpointView,
    checkpoints: Vec<CheckpointView>,
}

async fn export(config: &Config, args: ExportArgs) -> Result<ExitCode, Failure> {
    let input = |e: anyhow::Error| Failure::Input(e);
    if let (Some(from), Some(to)) = (args.from, args.to)
        && from >= to
    {
        return Err(input(anyhow!("--from must be before --to")));
    }
    prepare_out_dir(&args.out).map_err(input)?;

    let vault = super::open_existing_vault(config).await?;
    let caller = ledger_caller(&args.tenant);
    let checkpoint = vault.issue_checkpoint(&caller, &args.tenant).await?;
    let checkpoints = vault.checkpoints(&caller, &args.tenant).await?;
    let plan = ExportPlan {
        checkpoint,
        checkpoints,
    };

    let written = write_entries(&vault, &caller, &args, &plan).await?;
    write_export_files(&vault, &args, &plan, &written).map_err(Failure::Internal)?;

    output::line(&format!(
        "exported entries {}..{} of tenant {} ({} entries, {} checkpoints) to {}",
        written.first,
        written.end,
        args.tenant,
        written.end - written.first,
        written.checkpoints,
        args.out.display()
    ));
    output::line(&format!(
        "verify it anywhere with: phiguard ledger verify {} --key '{}'",
        args.out.display(),
        vault.verifier_key(&args.tenant)?
    ));
    Ok(ExitCode::SUCCESS)
}

fn prepare_out_dir(out: &Path) -> anyhow::Result<()> {
    if out.exists() {
        let mut entries =
            fs::read_dir(out).with_context(|| format!("cannot read {}", out.display()))?;
        if entries.next().is_some() {
            return Err(anyhow!(
                "{} is not empty; export into a new directory",
                out.display()
            ));
        }
    }
    fs::create_dir_all(out.join(EXPORT_CHECKPOINTS))
        .with_context(|| format!("cannot create {}", out.display()))
}

/// What `write_entries` wrote.
struct Written {
    first: u64,
    end: u64,
    frontier: Frontier,
    checkpoints: usize,
}

/// Streams the entries into `entries.jsonl`: from the first one at or after `--from` to the
/// first checkpoint at or after the last one before `--to`, so that a signed checkpoint covers
/// every exported entry.
async fn write_entries(
    vault: &Vault,
    caller: &Caller,
    args: &ExportArgs,
    plan: &ExportPlan,
) -> Result<Written, Failure> {
    let internal = |e: std::io::Error| Failure::Internal(anyhow!("writing the export: {e}"));
    let path = args.out.join(EXPORT_ENTRIES);
    let mut file = BufWriter::new(File::create(&path).map_err(internal)?);

    let size = plan.checkpoint.size;
    let mut frontier = Frontier::new();
    let mut first: Option<u64> = None;
    let mut wanted_end = 0;
    let mut offsets: Vec<u64> = Vec::new();
    let mut written_bytes = 0u64;
    let mut from = 0;
    while from < size {
        let limit = u32::try_from((size - from).min(u64::from(EXPORT_PAGE))).unwrap_or(1);
        let page = vault
            .ledger_entries(caller, &args.tenant, from, limit)
            .await?;
        let Some(last) = page.last().map(|leaf| leaf.index) else {
            break;
        };
        for leaf in page.iter().filter(|leaf| leaf.index < size) {
            let entry = LedgerEntry::decode(&leaf.entry).map_err(|e| {
                Failure::Input(anyhow!(
                    "entry {} of the log does not decode ({e}); run `phiguard ledger verify`",
                    leaf.index
                ))
            })?;
            let after_start = args.from.is_none_or(|from| entry.time >= from);
            let before_end = args.to.is_none_or(|to| entry.time < to);
            if first.is_none() && after_start {
                first = Some(leaf.index);
            }
            if first.is_none() {
                frontier.append_with(leaf_hash(&leaf.entry), |_, _| {});
                continue;
            }
            if before_end && after_start {
                wanted_end = leaf.index + 1;
            }
            offsets.push(written_bytes);
            file.write_all(&leaf.entry).map_err(internal)?;
            file.write_all(b"\n").map_err(internal)?;
            written_bytes += leaf.entry.len() as u64 + 1;
        }
        from = last + 1;
    }

    // End at the first checkpoint that covers every wanted entry.
    let first = first.unwrap_or(size);
    let end = plan
        .checkpoints
        .iter()
        .map(|c| c.size)
        .filter(|&s| s >= wanted_end.max(first) && s <= size)
        .min()
        .unwrap_or(size);
    let keep = usize::try_from(end - first).unwrap_or(usize::MAX);
    let length = offsets.get(keep).copied().unwrap_or(written_bytes);
    let file = file.into_inner().map_err(|e| internal(e.into_error()))?;
    file.set_len(length).map_err(internal)?;
    file.sync_all().map_err(internal)?;

    let mut checkpoints = 0;
    for (number, view) in plan.checkpoints.iter().enumerate() {
        if view.size > end {
            continue;
        }
        let name = format!("{:06}-size-{}.note", number + 1, view.size);
        fs::write(args.out.join(EXPORT_CHECKPOINTS).join(name), &view.note).map_err(internal)?;
        checkpoints += 1;
    }
    Ok(Written {
        first,
        end,
        frontier,
        checkpoints,
    })
}

fn write_export_files(
    vault: &Vault,
    args: &ExportArgs,
    plan: &ExportPlan,
    written: &Written,
) -> anyhow::Result<()> {
    let key = vault.verifier_key(&args.tenant)?;
    fs::write(args.out.join(EXPORT_KEY), format!("{key}\n"))?;

    if written.first > 0 {
        let frontier = FrontierFile {
            size: written.frontier.size(),
            peaks: written.frontier.peaks().to_vec(),
        };
        fs::write(
            args.out.join(EXPORT_FRONTIER),
            serde_json::to_vec_pretty(&frontier)?,
        )?;
    }

    let manifest = serde_json::json!({
        "tenant": args.tenant,
        "origin": plan.checkpoint.origin,
        "first_index": written.first,
        "end_index": written.end,
        "entries": written.end - written.first,
        "checkpoints": written.checkpoints,
        "from": args.from,
        "to": args.to,
        "log_size_at_export": plan.checkpoint.size,
        "exported_at": Timestamp::now(),
        "exported_by": SystemJob::Administration.actor_id(),
    });
    fs::write(
        args.out.join("manifest.json"),
        serde_json::to_vec_pretty(&manifest)?,
    )?;
    fs::write(
        args.out.join("VERIFY.md"),
        verify_note(&args.tenant, &key, written),
    )?;
    Ok(())
}

fn verify_note(tenant: &TenantId, key: &str, written: &Written) -> String {
    let partial = if written.first > 0 {
        format!(
            "\nThe export starts at entry {first}, not at 0. `{EXPORT_FRONTIER}` holds the hashes \
             that summarise entries 0..{first}; it cannot be checked on its own, but a wrong one \
             cannot rebuild the roots of the checkpoints that follow, so every checkpoint after \
             it vouches for it. Checkpoints from before entry {first} are checked for their \
             signature only.\n",
            first = written.first
        )
    } else {
        String::new()
    };
    format!(
        "# Verifying this ledger export\n\n\
         This directory holds entries {first}..{end} of the tamper-evident ledger of tenant \
         `{tenant}`, exported by phiguard.\n\n\
         - `{EXPORT_ENTRIES}`: one entry per line; each line is exactly the bytes whose RFC 6962 \
         leaf hash (SHA-256 of 0x00 followed by the line) is in the Merkle tree. Entries hold \
         ids and codes, never a PHI value.\n\
         - `{EXPORT_CHECKPOINTS}/`: the C2SP tlog-checkpoint signed notes that cover them.\n\
         - `{EXPORT_KEY}`: the verifier key the checkpoints are signed with.\n\
         - `manifest.json`: what was exported, when and by which system actor.\n\
         {partial}\n\
         ## How to verify\n\n\
         1. Obtain the tenant's verifier key from a source other than this directory (the \
         tenant's own copy, or `GET /v1/tenants/{tenant}/ledger/key`), and check that it \
         is the same as `{EXPORT_KEY}`:\n\n       {key}\n\n\
         2. Run, on any machine with phiguard:\n\n       \
         phiguard ledger verify <this directory> --key '<the key>'\n\n\
         It recomputes every leaf hash, checks that every entry is canonical and sits at its \
         own index, rebuilds the tree, checks every checkpoint's signature, and compares each \
         checkpoint's root with the rebuilt tree. Exit status 0 means all of that holds; 1 \
         names the first entry or checkpoint that does not; 2 means the input could not be \
         read.\n\n\
         Without `--key`, the key in `{EXPORT_KEY}` is used and the verifier says so: that only \
         shows the directory agrees with itself.\n",
        first = written.first,
        end = written.end,
    )
}

/// A checkpoint verifier for a key given on the command line.
pub(crate) fn parse_verifier_key(text: &str) -> Result<CheckpointVerifier, String> {
    CheckpointVerifier::from_verifier_key(text).map_err(|e| e.to_string())
}
