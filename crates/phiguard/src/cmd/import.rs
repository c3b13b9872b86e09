//! `phiguard import`: bulk import with a progress bar and a summary.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use phiguard_core::TenantId;
use phiguard_vault::{Caller, ImportFormat, ImportProgress, SystemJob};

use crate::Failure;
use crate::config::Config;
use crate::output;

/// Options of `phiguard import`.
#[derive(Debug, Args)]
pub(crate) struct ImportArgs {
    /// The tenant to import into.
    #[arg(long)]
    tenant: TenantId,
    /// fhir-bundle (FHIR R4 transaction bundles, such as Synthea's) or shopify-order (order
    /// webhook bodies).
    #[arg(long, value_parser = parse_format)]
    format: ImportFormat,
    /// Print the summary as JSON.
    #[arg(long)]
    json: bool,
    /// The files to import. All are checked before anything is stored; one malformed file
    /// stops the whole import.
    #[arg(required = true)]
    files: Vec<PathBuf>,
}

fn parse_format(text: &str) -> Result<ImportFormat, String> {
    text.parse()
        .map_err(|e: phiguard_vault::VaultError| e.to_string())
}

/// A progress bar on standard error, drawn only on a terminal.
struct Bar(ProgressBar);

impl Bar {
    fn new() -> Self {
        let bar = ProgressBar::new(0);
        bar.set_style(
            ProgressStyle::with_template("{spinner} {msg:<10} [{bar:40}] {pos}/{len} {elapsed}")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        bar.enable_steady_tick(Duration::from_millis(120));
        Bar(bar)
    }
}

impl ImportProgress for Bar {
    fn parsed(&self, done: u64, total: u64) {
        self.0.set_message("checking");
        self.0.set_length(total);
        self.0.set_position(done);
    }

    fn sealed(&self, done: u64, total: u64) {
        self.0.set_message("sealing");
        self.0.set_length(total);
        self.0.set_position(done);
    }

    fn committing(&self) {
        self.0.set_message("committing");
    }
}

pub(crate) async fn run(config: &Config, args: ImportArgs) -> Result<ExitCode, Failure> {
    let mut files = Vec::with_capacity(args.files.len());
    for path in &args.files {
        let bytes = std::fs::read(path)
            .with_context(|| format!("cannot read {}", path.display()))
            .map_err(Failure::Input)?;
        files.push((path.display().to_string(), bytes));
    }

    let vault = super::open_vault(config).await?;
    let caller = Caller::system(args.tenant.clone(), SystemJob::Import);
    let bar = Bar::new();
    let result = vault
        .import(&caller, &args.tenant, args.format, &files, &bar)
        .await;
    bar.0.finish_and_clear();
    let summary = result?;

    if args.json {
        output::json(&summary);
        return Ok(ExitCode::SUCCESS);
    }
    output::line(&format!(
        "imported {} file(s) into {}: {} records ({} new, {} updated) for {} subjects \
         ({} new, {} matched) in {:.2} s",
        summary.files,
        args.tenant,
        summary.records_created + summary.records_updated,
        summary.records_created,
        summary.records_updated,
        summary.subjects_created + summary.subjects_matched,
        summary.subjects_created,
        summary.subjects_matched,
        summary.seconds
    ));
    if !summary.skipped.is_empty() {
        let skipped: Vec<String> = summary
            .skipped
            .iter()
            .map(|(kind, n)| format!("{kind} {n}"))
            .collect();
        output::line(&format!(
            "skipped {} resources without a patient or without a record type: {}",
            summary.skipped.values().sum::<usize>(),
            skipped.join(", ")
        ));
    }
    Ok(ExitCode::SUCCESS)
}
