//! One module per group of subcommands.

pub(crate) mod admin;
pub(crate) mod alerts;
pub(crate) mod assess;
pub(crate) mod client;
pub(crate) mod detect;
pub(crate) mod disclosures;
pub(crate) mod import;
pub(crate) mod incident;
pub(crate) mod ledger;
pub(crate) mod serve;
pub(crate) mod verify;
pub(crate) mod watch;

use clap::Args;
use phiguard_core::TenantId;
use phiguard_vault::{Caller, SystemJob, Vault};

use crate::Failure;
use crate::config::Config;

/// Opens the vault of a data directory that must already exist, for commands that only read
/// or act on what is there: run where no vault was ever started, they would otherwise create a
/// new one (and print a bootstrap credential) in the current directory.
pub(crate) async fn open_existing_vault(config: &Config) -> Result<Vault, Failure> {
    let complete = [
        phiguard_store::VAULT_FILE,
        phiguard_store::KEYRING_FILE,
        phiguard_vault::ROOT_KEY_FILE,
    ]
    .iter()
    .all(|file| config.data_dir.join(file).is_file());
    if !complete {
        return Err(Failure::Input(anyhow::anyhow!(
            "no phiguard data directory at {}: run this command where `phiguard serve` keeps \
             its data, or pass --data-dir",
            config.data_dir.display()
        )));
    }
    open_vault(config).await
}

/// Opens the vault of the configured data directory, announcing a bootstrap credential if this
/// is the directory's first use.
pub(crate) async fn open_vault(config: &Config) -> Result<Vault, Failure> {
    let (vault, bootstrap) = Vault::open(&config.data_dir, config.vault.clone()).await?;
    if let Some(token) = bootstrap {
        serve::announce_bootstrap(&config.data_dir, token.expose());
    }
    Ok(vault)
}

/// The administration job of `tenant`: how commands that work on the data directory act. The
/// vault records them under `phiguard-admin`.
pub(crate) fn administration(tenant: &TenantId) -> Caller {
    Caller::system(tenant.clone(), SystemJob::Administration)
}

/// The tenant a command reads, and whether it prints JSON.
#[derive(Debug, Args)]
pub(crate) struct TenantOutput {
    /// The tenant.
    #[arg(long)]
    pub(crate) tenant: TenantId,
    /// Print JSON instead of text.
    #[arg(long)]
    pub(crate) json: bool,
}
