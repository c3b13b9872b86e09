//! `phiguard assess`: the HIPAA Security Rule gap assessment and audit plan.
//!
//! Gathers the evidence (inventory, scan report, vault posture from a data directory, a vault
//! URL or a saved posture file), runs `phiguard_assess::assess` and writes the report in one
//! atomic step: a report is either whole or absent.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context as _, anyhow};
use clap::{Args, ValueEnum};
use jiff::civil::Date;
use phiguard_assess::{
    Catalog, Evidence, Format, Options, RegimeId, ScanEvidence, Status, VaultEvidence, assess,
};
use phiguard_core::posture::VaultPosture;
use phiguard_inventory::Inventory;
use phiguard_vault::SystemJob;

use super::client::{GetError, VaultClient};
use crate::Failure;
use crate::config::Config;

/// The longest a vault may take to answer the posture request.
const TIMEOUT: Duration = Duration::from_secs(120);

/// The largest posture document accepted from a vault.
const MAX_POSTURE: usize = 16 * 1024 * 1024;

/// Options of `phiguard assess`.
#[derive(Debug, Args)]
pub(crate) struct AssessArgs {
    /// The platform inventory (TOML, the schema `phiguard scan --inventory` reads).
    #[arg(long, value_name = "FILE")]
    inventory: PathBuf,
    /// A scan report written by `phiguard scan --format json`.
    #[arg(long, value_name = "FILE")]
    scan: Option<PathBuf>,
    /// Read the vault's posture over its API, such as http://127.0.0.1:8620 (plain HTTP; the
    /// credential comes from --token-file or PHIGUARD_TOKEN).
    #[arg(long, value_name = "URL", conflicts_with = "posture")]
    vault: Option<String>,
    /// A file holding an admin bearer credential for --vault.
    #[arg(long, value_name = "FILE", requires = "vault")]
    token_file: Option<PathBuf>,
    /// A posture document saved earlier (`GET /v1/posture`).
    #[arg(long, value_name = "FILE")]
    posture: Option<PathBuf>,
    /// Where to write the report. For OSCAL, the POA&M goes beside it as `<name>.poam.json`.
    #[arg(long, value_name = "PATH")]
    out: PathBuf,
    /// The report format (default: from the extension of --out: .md, .json, otherwise HTML).
    #[arg(long, value_enum)]
    format: Option<ReportFormat>,
    /// The regime: `security-rule` (in force) or `nprm-2025` (the January 2025 proposal).
    #[arg(long, default_value = "security-rule")]
    regime: RegimeId,
    /// A previous `--format json` report, to show what changed and how long gaps stayed open.
    #[arg(long, value_name = "FILE")]
    previous: Option<PathBuf>,
    /// The day the assessment speaks for (default: today). Attestations and
    /// re-certifications are judged against it.
    #[arg(long, value_name = "DATE")]
    as_of: Option<Date>,
    /// Engineer-weeks the team can spend on remediation per quarter.
    #[arg(long, value_name = "WEEKS", default_value_t = 12.0)]
    capacity: f64,
    /// Also write the data-flow map as Graphviz DOT to FILE.
    #[arg(long, value_name = "FILE")]
    dot: Option<PathBuf>,
    /// Which required specifications fail the run with exit 1.
    #[arg(long, value_enum, default_value_t = FailOn::NotMet)]
    fail_on: FailOn,
}

/// The report formats on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ReportFormat {
    /// One self-contained HTML page with charts and the data-flow map.
    Html,
    /// Markdown.
    Md,
    /// JSON (what --previous reads).
    Json,
    /// OSCAL 1.0.6 assessment results plus a POA&M.
    Oscal,
}

/// When the run exits 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum FailOn {
    /// A required specification is not met.
    NotMet,
    /// A required specification is not met or only partially met.
    Partial,
    /// Never: always exit 0 when the report was written.
    Never,
}

/// Runs the command. `data_dir` is the data directory when one was named on the command line,
/// `config_file` the configuration file that was read, if any. The configuration's TLS setting
/// is evidence only when a file or the environment set it.
pub(crate) async fn run(
    config: &Config,
    args: AssessArgs,
    data_dir: Option<&Path>,
    config_file: Option<PathBuf>,
) -> Result<ExitCode, Failure> {
    let server_config_known = config_file.is_some()
        || std::env::vars_os()
            .any(|(name, _)| name.to_string_lossy().starts_with("PHIGUARD_SERVER__TLS"));
    let input = |e: anyhow::Error| Failure::Input(e);
    if !(args.capacity >= phiguard_assess::MIN_CAPACITY_WEEKS && args.capacity <= 1000.0) {
        return Err(input(anyhow!(
            "--capacity must be from {} to 1000 engineer-weeks per quarter",
            phiguard_assess::MIN_CAPACITY_WEEKS
        )));
    }
    let as_of = args
        .as_of
        .unwrap_or_else(|| jiff::ZonedDateTime::now().date());
    let today = jiff::ZonedDateTime::now().date();
    if as_of > today {
        return Err(input(anyhow!(
            "--as-of {as_of} is in the future; assess speaks for a day that has come"
        )));
    }

    let catalogs: Vec<Catalog> = RegimeId::ALL
        .into_iter()
        .map(Catalog::load)
        .collect::<Result<_, _>>()
        .map_err(|e| Failure::Internal(e.into()))?;
    let is_known = |id: &str| catalogs.iter().any(|catalog| catalog.resolve(id).is_some());
    let inventory = Inventory::from_path_with_controls(&args.inventory, is_known)
        .map_err(|e| input(e.into()))?;
    let scan = match &args.scan {
        Some(path) => Some(ScanEvidence::from_path(path).map_err(|e| input(e.into()))?),
        None => None,
    };
    let format = args.format.unwrap_or_else(|| format_of(&args.out));
    let outputs = outputs(&args, format, config_file.as_slice(), &config.data_dir)?;
    let vault = collect_posture(config, &args, data_dir, server_config_known).await?;
    let vault = match vault {
        Some(vault) => Some(for_platform(vault, &inventory, as_of)?),
        None => None,
    };
    let previous = match &args.previous {
        Some(path) => {
            let previous = phiguard_assess::load_previous(path).map_err(|e| input(e.into()))?;
            if previous.platform.name != inventory.platform.name {
                return Err(input(anyhow!(
                    "{} assesses another platform ({}); compare with an earlier assessment \
                     of {}",
                    path.display(),
                    previous.platform.name,
                    inventory.platform.name
                )));
            }
            if previous.as_of > as_of || previous.regime.id != args.regime {
                return Err(input(anyhow!(
                    "{} is an assessment of {} as of {}; compare only with an earlier \
                     assessment of the same regime ({} as of {as_of})",
                    path.display(),
                    previous.regime.id,
                    previous.as_of,
                    args.regime
                )));
            }
            Some(previous)
        }
        None => None,
    };

    let catalog = catalogs
        .into_iter()
        .find(|catalog| catalog.regime.id == args.regime)
        .ok_or_else(|| Failure::Internal(anyhow!("the {} catalog is missing", args.regime)))?;
    let evidence = Evidence {
        inventory,
        inventory_path: args.inventory.clone(),
        scan,
        vault,
        as_of,
    };
    let options = Options {
        capacity_weeks_per_quarter: args.capacity,
        generated_at: jiff::Timestamp::now(),
    };
    let report = assess(&catalog, &evidence, &options, previous.as_ref());

    // Stage every file first and move them into place only when all are written, so a failure
    // leaves no report, or an old one, rather than half of a new set.
    let mut staged = Vec::with_capacity(outputs.len());
    for (path, what) in &outputs {
        let text = match what {
            Output::Report(format) => phiguard_assess::render(&report, *format),
            Output::Poam => phiguard_assess::pretty(&phiguard_assess::oscal::poam(&report)),
        };
        staged.push((path, stage(path, &text)?));
    }
    for (path, file) in staged {
        file.persist(path)
            .map_err(|e| write_failure(path, &e.error))?;
    }

    let summary = &report.summary;
    let count = |status: Status| summary.statuses.get(&status).copied().unwrap_or(0);
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(
        stdout,
        "Assessed {} against {}: score {:.1}/100; {} met, {} partially met, {} not met, {} not \
         assessed, {} not applicable.\n{} gaps ({:.1} engineer-weeks); required not met: {}, \
         partially met: {}.\nReport: {}",
        report.platform.name,
        report.regime.id,
        summary.score,
        count(Status::Met),
        count(Status::PartiallyMet),
        count(Status::NotMet),
        count(Status::NotAssessed),
        count(Status::NotApplicable),
        summary.gaps,
        summary.effort_weeks,
        summary.required_not_met,
        summary.required_partially_met,
        args.out.display()
    );
    for source in report.sources.iter().filter(|s| !s.used) {
        let _ = writeln!(stdout, "Evidence {}: {}", source.id, source.description);
    }

    let failing = match args.fail_on {
        FailOn::NotMet => summary.required_not_met,
        FailOn::Partial => summary.required_not_met + summary.required_partially_met,
        FailOn::Never => 0,
    };
    Ok(if failing > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

async fn collect_posture(
    config: &Config,
    args: &AssessArgs,
    data_dir: Option<&Path>,
    server_config_known: bool,
) -> Result<Option<VaultEvidence>, Failure> {
    let input = |e: anyhow::Error| Failure::Input(e);
    let sources = [
        data_dir.is_some(),
        args.vault.is_some(),
        args.posture.is_some(),
    ];
    if sources.iter().filter(|s| **s).count() > 1 {
        return Err(input(anyhow!(
            "name one vault evidence source: --data-dir, --vault or --posture"
        )));
    }

    let (origin, posture) = if let Some(dir) = data_dir {
        let mut config = config.clone();
        config.data_dir = dir.to_owned();
        let vault = super::open_existing_vault(&config).await?;
        let platform = phiguard_vault::PLATFORM_TENANT
            .parse()
            .map_err(|_| Failure::Internal(anyhow!("the platform tenant id is not a slug")))?;
        let caller = phiguard_vault::Caller::system(platform, SystemJob::Administration);
        let posture = vault
            .posture(
                &caller,
                server_config_known.then(|| config.server.tls.is_some()),
            )
            .await?;
        (format!("data directory {}", dir.display()), posture)
    } else if let Some(url) = &args.vault {
        let token = read_token(args.token_file.as_deref()).map_err(input)?;
        let posture = fetch_posture(url, &token).await?;
        (format!("{}/v1/posture", url.trim_end_matches('/')), posture)
    } else if let Some(path) = &args.posture {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the posture file {}", path.display()))
            .map_err(input)?;
        let posture: VaultPosture = serde_json::from_str(&text)
            .map_err(|e| {
                anyhow!(
                    "{} is not a vault posture document (line {}, column {})",
                    path.display(),
                    e.line(),
                    e.column()
                )
            })
            .map_err(input)?;
        (format!("posture file {}", path.display()), posture)
    } else {
        return Ok(None);
    };
    VaultEvidence::new(origin, posture)
        .map(Some)
        .map_err(|e| input(e.into()))
}

fn read_token(file: Option<&Path>) -> anyhow::Result<String> {
    let token = match file {
        Some(path) => std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the token file {}", path.display()))?,
        None => std::env::var("PHIGUARD_TOKEN").map_err(|_| {
            anyhow!("--vault needs an admin credential: pass --token-file or set PHIGUARD_TOKEN")
        })?,
    };
    let token = token.trim().to_owned();
    if token.is_empty() {
        return Err(anyhow!("the admin credential for --vault is empty"));
    }
    Ok(token)
}

async fn fetch_posture(url: &str, token: &str) -> Result<VaultPosture, Failure> {
    let input = |e: anyhow::Error| Failure::Input(e);
    let base = url.trim_end_matches('/');
    if base.starts_with("https://") {
        return Err(input(anyhow!(
            "this build reads the vault over plain HTTP only; run assess where plain HTTP on \
             loopback reaches the vault, or save `GET /v1/posture` to a file and pass --posture"
        )));
    }
    if !base.starts_with("http://") {
        return Err(input(anyhow!("--vault must start with http://")));
    }
    if base.contains(['?', '#']) {
        return Err(input(anyhow!(
            "--vault takes the vault's base URL only, without a query or fragment"
        )));
    }
    if base.contains('@') {
        return Err(input(anyhow!(
            "--vault must not carry credentials in the URL; use --token-file or PHIGUARD_TOKEN"
        )));
    }
    let uri: hyper::Uri = format!("{base}/v1/posture")
        .parse()
        .map_err(|_| input(anyhow!("--vault is not a valid URL")))?;

    let bearer = format!("Bearer {token}");
    let headers = [
        ("accept", "application/json"),
        ("x-purpose-of-use", "HOPERAT"),
        ("authorization", bearer.as_str()),
    ];
    let body = VaultClient::new(TIMEOUT, MAX_POSTURE)
        .get(&uri, &headers)
        .await
        .map_err(|error| match error {
            GetError::Unreachable(e) => Failure::Internal(e),
            GetError::Refused(e) => Failure::Input(e),
        })?;
    serde_json::from_slice(&body).map_err(|e| {
        input(anyhow!(
            "{uri} did not answer with a posture document (line {}, column {})",
            e.line(),
            e.column()
        ))
    })
}

/// `report.json` → `report.poam.json`.
fn poam_path(out: &Path) -> PathBuf {
    let stem = out
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "assessment".to_owned());
    out.with_file_name(format!("{stem}.poam.json"))
}

/// What one output file holds.
enum Output {
    /// The report in a format.
    Report(Format),
    /// The OSCAL plan of action and milestones.
    Poam,
}

/// The format `--out`'s extension suggests.
fn format_of(out: &Path) -> ReportFormat {
    match out
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("md" | "markdown") => ReportFormat::Md,
        Some("json") => ReportFormat::Json,
        _ => ReportFormat::Html,
    }
}

/// The files to write, refusing targets that are inputs, each other, or not regular files.
/// The files to write, refusing targets that are inputs (the evidence, the previous report,
/// the credential, the configuration), lie inside the vault's data directory, are each other,
/// or are not regular files.
fn outputs(
    args: &AssessArgs,
    format: ReportFormat,
    protected: &[PathBuf],
    data_dir: &Path,
) -> Result<Vec<(PathBuf, Output)>, Failure> {
    let mut outputs = vec![(
        args.out.clone(),
        Output::Report(match format {
            ReportFormat::Html => Format::Html,
            ReportFormat::Md => Format::Markdown,
            ReportFormat::Json => Format::Json,
            ReportFormat::Oscal => Format::Oscal,
        }),
    )];
    if format == ReportFormat::Oscal {
        outputs.push((poam_path(&args.out), Output::Poam));
    }
    if let Some(dot) = &args.dot {
        outputs.push((dot.clone(), Output::Report(Format::Dot)));
    }

    let inputs: Vec<&PathBuf> = [
        Some(&args.inventory),
        args.scan.as_ref(),
        args.posture.as_ref(),
        args.previous.as_ref(),
        args.token_file.as_ref(),
    ]
    .into_iter()
    .flatten()
    .chain(protected)
    .collect();
    let vault_dir = data_dir.canonicalize().ok();
    let same = |a: &Path, b: &Path| match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    };
    for (i, (path, _)) in outputs.iter().enumerate() {
        if inputs.iter().any(|input| same(path, input)) {
            return Err(Failure::Input(anyhow!(
                "{} is one of assess's inputs; write the report somewhere else",
                path.display()
            )));
        }
        let parent = match path.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent.to_owned(),
            _ => PathBuf::from("."),
        };
        let inside_vault = match (&vault_dir, parent.canonicalize()) {
            (Some(vault), Ok(parent)) => parent.starts_with(vault),
            _ => false,
        };
        if inside_vault {
            return Err(Failure::Input(anyhow!(
                "{} is inside the vault's data directory; write reports elsewhere",
                path.display()
            )));
        }
        if outputs[..i].iter().any(|(other, _)| same(path, other)) {
            return Err(Failure::Input(anyhow!(
                "{} would be written twice; give --out and --dot different files",
                path.display()
            )));
        }
        if let Ok(metadata) = std::fs::symlink_metadata(path)
            && !metadata.is_file()
        {
            return Err(Failure::Input(anyhow!(
                "{} exists and is not a regular file; assess replaces only files",
                path.display()
            )));
        }
    }
    Ok(outputs)
}

/// Writes `text` to a temporary file beside `path`, to be moved into place with `persist`.
fn stage(path: &Path, text: &str) -> Result<tempfile::NamedTempFile, Failure> {
    let dir = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_owned(),
        _ => PathBuf::from("."),
    };
    let fail = |e: std::io::Error| write_failure(path, &e);
    let mut staged = tempfile::NamedTempFile::new_in(&dir).map_err(fail)?;
    staged.write_all(text.as_bytes()).map_err(fail)?;
    staged.as_file().sync_all().map_err(fail)?;
    Ok(staged)
}

fn write_failure(path: &Path, error: &std::io::Error) -> Failure {
    Failure::Input(anyhow!("cannot write {}: {}", path.display(), error.kind()))
}

/// Keeps the tenants of the inventory's platform (and the platform tenant, whose ledger records
/// administration), and refuses a posture that covers none of them or was collected far from
/// the assessment date.
fn for_platform(
    mut vault: VaultEvidence,
    inventory: &Inventory,
    as_of: Date,
) -> Result<VaultEvidence, Failure> {
    let collected = vault
        .posture
        .collected_at
        .to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .date();
    let span = collected
        .until((jiff::Unit::Day, as_of))
        .map_or(i64::MAX, |span| i64::from(span.get_days()).abs());
    if span > 31 {
        return Err(Failure::Input(anyhow!(
            "the vault posture from {} was collected on {collected}, more than 31 days from \
             the assessment date {as_of}; collect a fresh one",
            vault.origin
        )));
    }

    let platform = phiguard_vault::PLATFORM_TENANT;
    let wanted: Vec<_> = inventory
        .platform
        .tenants
        .iter()
        .filter(|tenant| tenant.as_str() != platform)
        .collect();
    if wanted.is_empty() {
        let served = vault
            .posture
            .tenants
            .iter()
            .filter(|t| t.tenant.as_str() != platform);
        if served.count() > 1 {
            return Err(Failure::Input(anyhow!(
                "the vault posture from {} covers several tenants, but the inventory names none \
                 under `platform.tenants`; list the tenants this platform serves so that others \
                 stay out of the report",
                vault.origin
            )));
        }
        return Ok(vault);
    }
    let before = vault.posture.tenants.len();
    vault
        .posture
        .tenants
        .retain(|tenant| wanted.contains(&&tenant.tenant) || tenant.tenant.as_str() == platform);
    let covered = vault
        .posture
        .tenants
        .iter()
        .filter(|t| wanted.contains(&&t.tenant))
        .count();
    if covered == 0 {
        let names: Vec<String> = wanted.iter().map(ToString::to_string).collect();
        return Err(Failure::Input(anyhow!(
            "the vault posture from {} covers none of the inventory's tenants ({}); use a \
             credential of one of them or of the platform operator",
            vault.origin,
            names.join(", ")
        )));
    }
    let left_out = before - vault.posture.tenants.len();
    if left_out > 0 {
        vault.origin = format!(
            "{} ({left_out} tenants outside this platform left out)",
            vault.origin
        );
    }
    Ok(vault)
}
