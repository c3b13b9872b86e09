//! One module per group of subcommands.

pub(crate) mod admin;
pub(crate) mod disclosures;
pub(crate) mod import;
pub(crate) mod ledger;
pub(crate) mod serve;
pub(crate) mod verify;
pub(crate) mod watch;

use phiguard_vault::Vault;

use crate::Failure;
use crate::config::Config;

/// Opens the vault of the configured data directory, announcing a bootstrap credential if this
/// is the directory's first use.
pub(crate) async fn open_vault(config: &Config) -> Result<Vault, Failure> {
    let (vault, bootstrap) = Vault::open(&config.data_dir, config.vault.clone()).await?;
    if let Some(token) = bootstrap {
        serve::announce_bootstrap(&config.data_dir, token.expose());
    }
    Ok(vault)
}
