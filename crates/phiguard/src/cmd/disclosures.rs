//! `phiguard disclosures`: the accounting of disclosures of one subject (45 CFR 164.528) —
//! who saw which categories of the subject's PHI, when and for what purpose — each line
//! checked here against its inclusion proof before it is printed.

use std::process::ExitCode;

use anyhow::anyhow;
use clap::{Args, ValueEnum};
use phiguard_core::{SubjectId, TenantId};
use phiguard_ledger::{LedgerEntry, fhir, leaf_hash, verify_inclusion};
use phiguard_vault::{Caller, DisclosureAccounting, ProvenEntry, SystemJob};

use crate::Failure;
use crate::config::Config;
use crate::output;

/// How to print the accounting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Format {
    /// One line per disclosure, for people.
    Text,
    /// The accounting with every proof, as JSON.
    Json,
    /// A FHIR R4 Bundle of AuditEvent resources.
    Fhir,
}

/// Options of `phiguard disclosures`.
#[derive(Debug, Args)]
pub(crate) struct DisclosuresArgs {
    /// The tenant.
    #[arg(long)]
    tenant: TenantId,
    /// The subject's pseudonymous id.
    #[arg(long)]
    subject: SubjectId,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
}

pub(crate) async fn run(config: &Config, args: DisclosuresArgs) -> Result<ExitCode, Failure> {
    let vault = super::open_existing_vault(config).await?;
    let caller = Caller::system(args.tenant.clone(), SystemJob::Administration);
    let accounting = vault
        .disclosures(&caller, &args.tenant, &args.subject)
        .await?;

    let mut checked = Vec::with_capacity(accounting.disclosures.len());
    for line in &accounting.disclosures {
        checked.push(check_line(&accounting, line).map_err(Failure::Internal)?);
    }

    match args.format {
        Format::Json => output::json(&accounting),
        Format::Fhir => {
            let events: Vec<fhir::ProvenAuditEvent> = checked
                .into_iter()
                .zip(&accounting.disclosures)
                .map(|(entry, line)| fhir::ProvenAuditEvent {
                    entry,
                    leaf_hash: line.leaf_hash,
                    proof: Some(line.proof.clone()),
                })
                .collect();
            output::json(&fhir::audit_bundle(&accounting.checkpoint.origin, &events));
        }
        Format::Text => print_text(&accounting, &checked),
    }
    Ok(ExitCode::SUCCESS)
}

/// The line's entry, once its bytes hash to its leaf and its proof leads to the checkpoint.
fn check_line(
    accounting: &DisclosureAccounting,
    line: &ProvenEntry,
) -> anyhow::Result<LedgerEntry> {
    let entry: LedgerEntry = serde_json::from_str(&line.entry_text)
        .map_err(|_| anyhow!("ledger entry {} is not a valid entry", line.index))?;
    if leaf_hash(line.entry_text.as_bytes()) != line.leaf_hash {
        return Err(anyhow!(
            "ledger entry {} does not hash to its leaf; run `phiguard ledger verify`",
            line.index
        ));
    }
    let checkpoint = &accounting.checkpoint;
    verify_inclusion(
        &line.leaf_hash,
        line.index,
        checkpoint.size,
        &line.proof,
        &checkpoint.root,
    )
    .map_err(|e| {
        anyhow!(
            "the inclusion proof of ledger entry {} fails: {e}",
            line.index
        )
    })?;
    Ok(entry)
}

fn print_text(accounting: &DisclosureAccounting, entries: &[LedgerEntry]) {
    let checkpoint = &accounting.checkpoint;
    output::line(&format!(
        "Accounting of disclosures (45 CFR 164.528) for subject {} of tenant {}",
        accounting.subject, checkpoint.tenant
    ));
    output::line(&format!(
        "Every line is proven included in checkpoint size {} root {} issued {}; check that \
         checkpoint with the tenant's verifier key (`phiguard ledger key`).",
        checkpoint.size, checkpoint.root, checkpoint.issued_at
    ));
    if entries.is_empty() {
        output::line("No disclosures of this subject's PHI are recorded.");
        return;
    }

    output::line("");
    for entry in entries {
        let categories: Vec<String> = entry
            .disclosed
            .iter()
            .map(|(category, level)| format!("{}={}", category.as_str(), level.as_str()))
            .collect();
        let purpose = entry.purpose.map_or("-", |p| p.code());
        let record = entry.record.as_ref().map_or("-", |r| r.as_str());
        output::line(&format!(
            "{}  {} ({})  {}  purpose {}  {}  record {}  entry {}  proof ok",
            entry.time,
            entry.actor,
            entry.actor_kind.as_str(),
            entry.action.as_str(),
            purpose,
            categories.join(","),
            record,
            entry.index
        ));
    }
}
