//! `phiguard serve`.

use std::net::SocketAddr;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use clap::Args;

use crate::Failure;
use crate::config::Config;

/// Options of `phiguard serve`.
#[derive(Debug, Args)]
pub(crate) struct ServeArgs {
    /// Address to listen on (overrides `server.listen`; default 127.0.0.1:8620).
    #[arg(long, value_name = "ADDR")]
    listen: Option<SocketAddr>,
}

/// Starts the API and serves until Ctrl-C or SIGTERM.
pub(crate) async fn run(mut config: Config, args: ServeArgs) -> Result<ExitCode, Failure> {
    if let Some(listen) = args.listen {
        config.server.listen = listen;
    }

    let vault = super::open_vault(&config).await?;
    let module = vault.crypto_module();
    tracing::info!(
        data_dir = %config.data_dir.display(),
        crypto = module.name,
        crypto_version = module.version,
        fips_mode = module.fips_mode,
        "vault opened"
    );

    let vault = Arc::new(vault);
    let detection = phiguard_server::detection::start(
        vault.clone(),
        config.detection.clone(),
        config.delivery.clone(),
    )
    .await
    .map_err(|e| Failure::Input(e.into()))?;
    let checkpoints = super::ledger::spawn_periodic_checkpoints(vault.clone());
    let served = phiguard_server::serve(vault, config.server.clone(), shutdown_signal()).await;
    if let Some(task) = checkpoints {
        task.abort();
    }
    if let Some(detection) = detection {
        detection.stop(std::time::Duration::from_secs(5)).await;
    }
    served.map_err(|e| match e {
        phiguard_server::ServeError::Io { .. } => Failure::Internal(e.into()),
        other => Failure::Input(other.into()),
    })?;
    tracing::info!("stopped");
    Ok(ExitCode::SUCCESS)
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();

    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}

/// Prints the one-time bootstrap credential on standard output.
pub(crate) fn announce_bootstrap(data_dir: &Path, token: &str) {
    crate::output::line(&format!(
        "\nphiguard created a new vault in {dir}.\n\
         Bootstrap administrator (tenant `platform`, actor `bootstrap-admin`, role \
         platform_operator).\nIts credential is shown this once and expires in 24 hours:\n\n    \
         {token}\n\n\
         Use it to create tenants and their administrators; afterwards, issue new credentials \
         with `phiguard credentials issue`.\n",
        dir = data_dir.display()
    ));
}
