//! The vault's tunable limits, with their defaults in one place.

use serde::{Deserialize, Serialize};

/// Limits and lifetimes the vault enforces. Every field has a default; a deployment changes
/// them through `phiguard.toml` or `PHIGUARD_VAULT__*` environment variables.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct VaultConfig {
    /// Default lifetime of a credential issued to a person, in minutes (12 hours): short, so
    /// that a leaked token is short-lived.
    pub user_credential_minutes: u32,
    /// Default lifetime of a credential issued to an integration, in days (90).
    pub service_credential_days: u32,
    /// Default lifetime of a credential issued to a system actor, in hours (24).
    pub system_credential_hours: u32,
    /// The longest lifetime anyone may ask for, in days (365). Longer requests are refused.
    pub max_credential_days: u32,
    /// How long a break-glass grant lasts, in minutes (60).
    pub break_glass_minutes: u32,
    /// The longest break-glass reason accepted, in characters (500).
    pub break_glass_reason_max_chars: usize,
    /// The most hits one search returns (100).
    pub max_search_hits: u32,
    /// The most records one list request returns (200).
    pub max_page_size: u32,
    /// The name of this deployment in checkpoint origins, `<deployment>/phiguard/<tenant>`
    /// ("phiguard.local"). Set it to the host name auditors know the service by; changing it
    /// later starts new origins, so verifiers need the new verifier keys.
    pub ledger_deployment: String,
    /// How often `phiguard serve` signs a checkpoint of every log that has grown, in seconds
    /// (60). Zero turns the periodic checkpoints off (checkpoints on request still work).
    pub checkpoint_interval_seconds: u64,
}

impl Default for VaultConfig {
    fn default() -> Self {
        VaultConfig {
            user_credential_minutes: 12 * 60,
            service_credential_days: 90,
            system_credential_hours: 24,
            max_credential_days: 365,
            break_glass_minutes: 60,
            break_glass_reason_max_chars: 500,
            max_search_hits: 100,
            max_page_size: 200,
            ledger_deployment: "phiguard.local".into(),
            checkpoint_interval_seconds: 60,
        }
    }
}
