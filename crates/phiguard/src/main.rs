//! `phiguard`: the command line of the PHI vault.
//!
//! A thin layer over the library crates: it reads configuration, sets up logging, and turns each
//! subcommand into one call to `phiguard-vault` or `phiguard-server`. Operations on a data
//! directory run as phiguard's own system actors and are recorded in each tenant's audit trail
//! like any other access.
//!
//! Exit codes: 0 success; 1 findings at or above the failing severity (scan, assess, verify);
//! 2 usage or input error; 3 internal error.

mod cmd;
mod config;
mod output;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::config::{Config, LogFormat};

/// Holds PHI safely, proves every access, audits the platform for leaks.
#[derive(Debug, Parser)]
#[command(name = "phiguard", version, about, max_term_width = 100)]
struct Cli {
    /// Configuration file (default: ./phiguard.toml when it exists).
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,

    /// Data directory (overrides `data_dir` and PHIGUARD_DATA_DIR).
    #[arg(long, global = true, value_name = "DIR")]
    data_dir: Option<PathBuf>,

    /// Log filter, such as `debug` or `phiguard_server=debug,info` (overrides `log.level`).
    #[arg(long, global = true, value_name = "FILTER")]
    log: Option<String>,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Start the vault's HTTP API.
    Serve(cmd::serve::ServeArgs),
    /// Show the crypto module, the data directory and each tenant's holdings.
    Status,
    /// Create and list tenants (healthcare organisations).
    #[command(subcommand)]
    Tenants(cmd::admin::TenantsCommand),
    /// Create and list actors (people, integrations, jobs) of a tenant.
    #[command(subcommand)]
    Actors(cmd::admin::ActorsCommand),
    /// Issue, list and revoke bearer credentials.
    #[command(subcommand)]
    Credentials(cmd::admin::CredentialsCommand),
    /// Add, list and remove a tenant's own Cedar policies.
    #[command(subcommand)]
    Policies(cmd::admin::PoliciesCommand),
    /// Import FHIR bundles or Shopify orders into a tenant.
    Import(cmd::import::ImportArgs),
    /// Rotate a tenant's key.
    #[command(subcommand)]
    Keys(cmd::admin::KeysCommand),
    /// Print a tenant's audit events.
    Audit(cmd::admin::AuditArgs),
    /// Prove: checkpoints, proofs, offline verification, auditor exports, monitoring.
    #[command(subcommand)]
    Ledger(cmd::ledger::LedgerCommand),
    /// Print the accounting of disclosures of one subject (45 CFR 164.528), with proofs.
    Disclosures(cmd::disclosures::DisclosuresArgs),
    /// Find PHI leaks in storefront code and infrastructure (JS/TS, Liquid, PHP, HTML,
    /// Terraform, Kubernetes, Magento env.php).
    Scan(phiguard_scan::ScanArgs),
    /// Assess the HIPAA Security Rule against the inventory, a scan report and the vault, and
    /// write the audit plan (HTML, Markdown, JSON or OSCAL). Exit 1 when a required
    /// specification is not met.
    Assess(Box<cmd::assess::AssessArgs>),
    /// Respond: replay a stored range of a tenant's audit trail through the detectors.
    Detect(cmd::detect::DetectArgs),
    /// Respond: list and show the alerts the detectors raised, and failed deliveries.
    #[command(subcommand)]
    Alerts(cmd::alerts::AlertsCommand),
    /// Respond: open an incident, work out whom it touched, assess it under 45 CFR 164.402,
    /// and print every notification deadline; draft the notices.
    #[command(subcommand)]
    Incident(cmd::incident::IncidentCommand),
}

/// An error with the exit code it deserves.
#[derive(Debug)]
pub(crate) enum Failure {
    /// Bad input or usage: exit 2.
    Input(anyhow::Error),
    /// Something broke inside phiguard: exit 3.
    Internal(anyhow::Error),
}

impl From<anyhow::Error> for Failure {
    fn from(error: anyhow::Error) -> Self {
        match error.downcast_ref::<phiguard_vault::VaultError>() {
            Some(phiguard_vault::VaultError::Internal(_)) | None => Failure::Internal(error),
            Some(_) => Failure::Input(error),
        }
    }
}

impl From<phiguard_vault::VaultError> for Failure {
    fn from(error: phiguard_vault::VaultError) -> Self {
        Failure::from(anyhow::Error::new(error))
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();

    // The scanner needs no vault, configuration or runtime of its own.
    if let Command::Scan(args) = &cli.command {
        return phiguard_scan::run(args);
    }

    let mut config = match Config::load(cli.config.as_deref()) {
        Ok(config) => config,
        Err(error) => return report(Failure::Input(error)),
    };
    let named_data_dir = cli.data_dir.clone();
    // The configuration file read, if any: assess protects it and takes its TLS setting as
    // evidence only when there is one.
    let config_file = cli.config.clone().or_else(|| {
        let default = std::path::PathBuf::from(config::DEFAULT_CONFIG_FILE);
        default.is_file().then_some(default)
    });
    if let Some(dir) = cli.data_dir {
        config.data_dir = dir;
    }
    if let Some(level) = cli.log {
        config.log.level = level;
    }
    init_logging(&config);

    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => return report(Failure::Internal(error.into())),
    };
    let outcome = runtime.block_on(async move {
        match cli.command {
            Command::Serve(args) => cmd::serve::run(config, args).await,
            Command::Status => cmd::admin::status(&config).await,
            Command::Tenants(command) => cmd::admin::tenants(&config, command).await,
            Command::Actors(command) => cmd::admin::actors(&config, command).await,
            Command::Credentials(command) => cmd::admin::credentials(&config, command).await,
            Command::Policies(command) => cmd::admin::policies(&config, command).await,
            Command::Import(args) => cmd::import::run(&config, args).await,
            Command::Keys(command) => cmd::admin::keys(&config, command).await,
            Command::Audit(args) => cmd::admin::audit(&config, args).await,
            Command::Ledger(command) => cmd::ledger::run(&config, command).await,
            Command::Disclosures(args) => cmd::disclosures::run(&config, args).await,
            Command::Scan(args) => Ok(phiguard_scan::run(&args)),
            Command::Detect(args) => cmd::detect::run(&config, args).await,
            Command::Alerts(command) => cmd::alerts::run(&config, command).await,
            Command::Incident(command) => cmd::incident::run(&config, command).await,
            Command::Assess(args) => {
                cmd::assess::run(&config, *args, named_data_dir.as_deref(), config_file).await
            }
        }
    });

    match outcome {
        Ok(code) => code,
        Err(failure) => report(failure),
    }
}

fn report(failure: Failure) -> ExitCode {
    let (error, code) = match failure {
        Failure::Input(error) => (error, 2),
        Failure::Internal(error) => (error, 3),
    };
    output::error(&format!("{error:#}"));
    ExitCode::from(code)
}

fn init_logging(config: &Config) {
    let filter = tracing_subscriber::EnvFilter::try_new(&config.log.level)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()));
    match config.log.format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Text => builder.init(),
    }
}
