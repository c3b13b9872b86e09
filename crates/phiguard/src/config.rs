//! `phiguard.toml` and `PHIGUARD_*` environment variables: one typed configuration with every
//! default documented in one place.

use std::path::{Path, PathBuf};

use anyhow::Context;
use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use phiguard_delivery::DeliveryConfig;
use phiguard_server::ServerConfig;
use phiguard_server::detection::DetectionSettings;
use phiguard_vault::VaultConfig;
use serde::{Deserialize, Serialize};

/// The configuration file read when `--config` is not given and the file exists.
pub(crate) const DEFAULT_CONFIG_FILE: &str = "phiguard.toml";

/// Everything phiguard can be configured with.
///
/// Sources, later ones winning: the defaults below; `phiguard.toml` (or `--config FILE`);
/// environment variables `PHIGUARD_<KEY>`, with `__` between nested keys
/// (`PHIGUARD_SERVER__LISTEN=0.0.0.0:8620`, `PHIGUARD_VAULT__BREAK_GLASS_MINUTES=30`);
/// command-line flags.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct Config {
    /// Where keys and databases live (default `./phiguard-data`).
    pub(crate) data_dir: PathBuf,
    /// The HTTP server (see `phiguard_server::ServerConfig`).
    pub(crate) server: ServerConfig,
    /// The vault's limits (see `phiguard_vault::VaultConfig`).
    pub(crate) vault: VaultConfig,
    /// Logging.
    pub(crate) log: LogConfig,
    /// The detectors inside `phiguard serve` (see `phiguard_server::detection`).
    pub(crate) detection: DetectionSettings,
    /// Where alerts go: webhooks, syslog, JSON lines (see `phiguard_delivery::DeliveryConfig`).
    pub(crate) delivery: DeliveryConfig,
}

/// How phiguard logs. Logs go to standard error and never carry PHI, keys or tokens.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct LogConfig {
    /// A `tracing` filter such as `info` or `phiguard_server=debug,info` (default `info`).
    pub(crate) level: String,
    /// `text` for people, `json` for log pipelines (default `text`).
    pub(crate) format: LogFormat,
}

/// Log line format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            data_dir: PathBuf::from("phiguard-data"),
            server: ServerConfig::default(),
            vault: VaultConfig::default(),
            log: LogConfig::default(),
            detection: DetectionSettings::default(),
            delivery: DeliveryConfig::default(),
        }
    }
}

impl Default for LogConfig {
    fn default() -> Self {
        LogConfig {
            level: "info".into(),
            format: LogFormat::Text,
        }
    }
}

impl Config {
    /// Loads the configuration. An explicitly named file must exist; the default file is read
    /// only if present.
    pub(crate) fn load(explicit: Option<&Path>) -> anyhow::Result<Self> {
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        match explicit {
            Some(path) => {
                anyhow::ensure!(
                    path.is_file(),
                    "configuration file {} does not exist",
                    path.display()
                );
                figment = figment.merge(Toml::file(path));
            }
            None if Path::new(DEFAULT_CONFIG_FILE).is_file() => {
                figment = figment.merge(Toml::file(DEFAULT_CONFIG_FILE));
            }
            None => {}
        }
        // PHIGUARD_TOKEN is a credential for commands that call a vault (`assess --vault`),
        // not a setting.
        figment = figment.merge(Env::prefixed("PHIGUARD_").ignore(&["token"]).split("__"));

        figment
            .extract()
            .context("the configuration (phiguard.toml or PHIGUARD_* variables) is invalid")
    }
}

#[cfg(test)]
// figment's test jail fixes the closure's error type; its size does not matter in tests.
#[allow(clippy::result_large_err)]
mod tests {
    use super::*;

    #[test]
    fn defaults_listen_on_loopback_8620_with_the_data_dir_beside() {
        let config = Config::default();
        assert_eq!(config.server.listen.to_string(), "127.0.0.1:8620");
        assert_eq!(config.data_dir, PathBuf::from("phiguard-data"));
        assert!(config.server.tls.is_none());
        assert!(!config.server.insecure_plaintext_on_network);
    }

    #[test]
    fn files_and_environment_override_defaults() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "custom.toml",
                "data_dir = \"/tmp/elsewhere\"\n[server]\nlisten = \"127.0.0.1:9000\"\n",
            )?;
            jail.set_env("PHIGUARD_VAULT__BREAK_GLASS_MINUTES", "15");
            jail.set_env("PHIGUARD_SERVER__LISTEN", "127.0.0.1:9100");

            let config = Config::load(Some(Path::new("custom.toml"))).map_err(|e| e.to_string())?;
            assert_eq!(config.data_dir, PathBuf::from("/tmp/elsewhere"));
            assert_eq!(config.server.listen.to_string(), "127.0.0.1:9100");
            assert_eq!(config.vault.break_glass_minutes, 15);
            Ok(())
        });
    }

    #[test]
    fn unknown_keys_are_refused() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("phiguard.toml", "[server]\nlisen = \"127.0.0.1:9000\"\n")?;
            let error = Config::load(None).unwrap_err();
            assert!(format!("{error:#}").contains("lisen"), "{error:#}");
            Ok(())
        });
    }
}
