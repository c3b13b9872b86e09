//! `phiguard scan`: the command-line arguments and the entry point the binary calls.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use phiguard_inventory::{Inventory, InventoryError};

use crate::baseline::{Baseline, BaselineError};
use crate::engine::{ScanOptions, ScanReport, scan};
use crate::output::{Format, render};
use crate::rule::Severity;
use crate::walk::ChangedSinceError;

/// Arguments of `phiguard scan`.
#[derive(Debug, Clone, clap::Args)]
pub struct ScanArgs {
    /// Files and directories to scan (directories are walked honouring .gitignore).
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,

    /// Write the report to FILE instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Exit with status 1 when a finding at or above this severity remains
    /// (info, low, medium, high, critical), or `never`.
    #[arg(long, default_value = "medium", value_name = "SEVERITY", value_parser = parse_fail_on)]
    pub fail_on: FailOn,

    /// The platform inventory (TOML): BAA status of vendors, pages, data stores.
    #[arg(long, value_name = "FILE")]
    pub inventory: Option<PathBuf>,

    /// Suppress findings accepted in this baseline (each with a justification and expiry).
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,

    /// Write the current findings to FILE as a baseline skeleton expiring in 90 days; its
    /// justifications are empty and must be filled in before it can be used.
    #[arg(long, value_name = "FILE")]
    pub write_baseline: Option<PathBuf>,

    /// Scan only files changed since this git revision (committed, staged, unstaged or new).
    #[arg(long, value_name = "REV")]
    pub changed_since: Option<String>,

    /// Skip files larger than this many bytes.
    #[arg(long, default_value_t = 2 * 1024 * 1024, value_name = "BYTES")]
    pub max_file_size: u64,

    /// Worker threads (0: one per core).
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub threads: usize,

    /// Never draw a progress bar (it is drawn only on a terminal anyway).
    #[arg(long)]
    pub no_progress: bool,
}

/// The `--fail-on` threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailOn {
    /// Fail on findings at or above this severity.
    AtLeast(Severity),
    /// Never fail because of findings.
    Never,
}

fn parse_fail_on(text: &str) -> Result<FailOn, String> {
    if text == "never" {
        return Ok(FailOn::Never);
    }
    text.parse::<Severity>()
        .map(FailOn::AtLeast)
        .map_err(|e| e.to_string())
}

/// Why a scan could not run or report. Each maps to an exit status.
#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    /// A path to scan does not exist.
    #[error("the path {} does not exist", .0.display())]
    MissingPath(PathBuf),
    /// The inventory is unreadable or invalid.
    #[error(transparent)]
    Inventory(#[from] InventoryError),
    /// The baseline is unreadable or invalid.
    #[error(transparent)]
    Baseline(#[from] BaselineError),
    /// `--changed-since` could not be applied.
    #[error(transparent)]
    ChangedSince(#[from] ChangedSinceError),
    /// The report could not be written.
    #[error("cannot write the report: {0}")]
    Output(std::io::Error),
}

impl ScanError {
    /// The exit status: 2 for usage and input errors, 3 for internal ones.
    pub fn exit_status(&self) -> u8 {
        match self {
            ScanError::Output(_) => 3,
            _ => 2,
        }
    }
}

/// A finished scan and whether it passes.
#[derive(Debug)]
pub struct ScanOutcome {
    /// The report.
    pub report: ScanReport,
    /// Whether findings at or above `--fail-on` remain.
    pub failed: bool,
}

impl ScanOutcome {
    /// 0 when no finding at or above `--fail-on` remains, 1 otherwise.
    pub fn exit_status(&self) -> u8 {
        u8::from(self.failed)
    }
}

/// Runs `phiguard scan` and writes its report; returns the process exit code (0 clean, 1
/// findings at or above `--fail-on`, 2 usage or input error, 3 internal error). Errors are
/// printed to standard error.
pub fn run(args: &ScanArgs) -> ExitCode {
    match execute(args) {
        Ok(outcome) => ExitCode::from(outcome.exit_status()),
        Err(error) => {
            let mut stderr = std::io::stderr().lock();
            let _ = writeln!(stderr, "phiguard scan: {error}");
            ExitCode::from(error.exit_status())
        }
    }
}

/// Runs a scan as `phiguard scan` would and writes the report to `--output` or standard
/// output.
///
/// # Errors
/// [`ScanError`] for missing paths, invalid inventories or baselines, failing
/// `--changed-since`, and unwritable output.
pub fn execute(args: &ScanArgs) -> Result<ScanOutcome, ScanError> {
    for path in &args.paths {
        if !path.exists() {
            return Err(ScanError::MissingPath(path.clone()));
        }
    }

    let mut options = ScanOptions::new(args.paths.clone());
    options.inventory = args
        .inventory
        .as_deref()
        .map(Inventory::from_path)
        .transpose()?;
    options.baseline = args
        .baseline
        .as_deref()
        .map(Baseline::from_path)
        .transpose()?;
    options.changed_since = args.changed_since.clone();
    options.max_file_size = args.max_file_size;
    options.threads = args.threads;
    options.progress = !args.no_progress;

    let report = scan(&options)?;

    if let Some(path) = &args.write_baseline {
        let expires = options.today.saturating_add(jiff::Span::new().days(90));
        Baseline::skeleton(&report.findings, expires).write(path)?;
    }

    let rendered = render(&report, args.format);
    match &args.output {
        Some(path) => std::fs::write(path, rendered).map_err(ScanError::Output)?,
        None => {
            let mut stdout = std::io::stdout().lock();
            stdout
                .write_all(rendered.as_bytes())
                .map_err(ScanError::Output)?;
        }
    }

    let failed = match args.fail_on {
        FailOn::Never => false,
        FailOn::AtLeast(threshold) => report.findings.iter().any(|f| f.severity >= threshold),
    };
    Ok(ScanOutcome { report, failed })
}
