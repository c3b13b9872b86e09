//! `phiguard alerts …`: what the detectors raised, read from the data directory.
//!
//! Reads run as the administration job of the tenant and are recorded in its trail like any
//! other read of alerts.

use std::process::ExitCode;

use clap::{Args, Subcommand};
use phiguard_core::{Alert, AlertId, DetectionRule, Timestamp};
use phiguard_store::AlertQuery;

use super::{TenantOutput, administration};
use crate::Failure;
use crate::config::Config;
use crate::output;

/// `phiguard alerts …`
#[derive(Debug, Subcommand)]
pub(crate) enum AlertsCommand {
    /// List a tenant's alerts, newest first.
    List(ListArgs),
    /// Show one alert with the audit events it rests on.
    Show(ShowArgs),
    /// List deliveries that failed for good (webhook, syslog).
    DeadLetters(TenantOutput),
}

/// Options of `phiguard alerts list`.
#[derive(Debug, Args)]
pub(crate) struct ListArgs {
    #[command(flatten)]
    tenant: TenantOutput,
    /// Only alerts seen at or after this time (RFC 3339, such as 2026-11-02T00:00:00Z).
    #[arg(long)]
    since: Option<Timestamp>,
    /// Only alerts of this rule (denied_burst, cross_tenant, bulk_read, …).
    #[arg(long)]
    rule: Option<DetectionRule>,
    /// At most this many alerts.
    #[arg(long, default_value_t = 100)]
    limit: u32,
}

/// Options of `phiguard alerts show`.
#[derive(Debug, Args)]
pub(crate) struct ShowArgs {
    #[command(flatten)]
    tenant: TenantOutput,
    /// The alert (`alr_…`).
    id: AlertId,
}

/// One alert as a table row.
pub(crate) fn row(alert: &Alert) -> String {
    format!(
        "{}  {:<8}  {:<24}  {:<22}  {:>4}x  {}  {}",
        alert.id,
        alert.severity.as_str(),
        alert.rule.as_str(),
        alert.actor,
        alert.occurrences,
        alert.last_seen,
        alert.summary
    )
}

pub(crate) async fn run(config: &Config, command: AlertsCommand) -> Result<ExitCode, Failure> {
    let vault = super::open_existing_vault(config).await?;
    match command {
        AlertsCommand::List(args) => {
            let tenant = &args.tenant.tenant;
            let query = AlertQuery {
                since: args.since,
                rule: args.rule,
                limit: args.limit.max(1),
            };
            let alerts = vault
                .alerts(&administration(tenant), tenant, &query)
                .await?;
            if args.tenant.json {
                output::json(&alerts);
            } else if alerts.is_empty() {
                output::line(&format!("no alerts for tenant {tenant} match"));
            } else {
                for alert in &alerts {
                    output::line(&row(alert));
                }
            }
        }
        AlertsCommand::Show(args) => {
            let tenant = &args.tenant.tenant;
            let (alert, evidence) = vault
                .alert(&administration(tenant), tenant, &args.id)
                .await?;
            if args.tenant.json {
                output::json(&serde_json::json!({ "alert": alert, "evidence": evidence }));
            } else {
                output::line(&row(&alert));
                output::line(&format!(
                    "first seen {}, {} evidence events ({} listed):",
                    alert.first_seen,
                    alert.evidence_total,
                    evidence.len()
                ));
                for stored in &evidence {
                    let e = &stored.event;
                    output::line(&format!(
                        "  seq {:>8}  leaf {:>8}  {}  {}  {}  {}",
                        stored.seq,
                        stored.leaf_index,
                        e.time,
                        e.action.as_str(),
                        e.purpose.map_or("-", |p| p.code()),
                        e.outcome.as_str()
                    ));
                }
            }
        }
        AlertsCommand::DeadLetters(args) => {
            let letters = vault
                .dead_letters(&administration(&args.tenant), &args.tenant)
                .await?;
            if args.json {
                output::json(&letters);
            } else if letters.is_empty() {
                output::line(&format!("no failed deliveries for tenant {}", args.tenant));
            } else {
                for letter in &letters {
                    output::line(&format!(
                        "{}  {:<28}  {} attempts  {} .. {}  {}",
                        letter.alert,
                        letter.channel,
                        letter.attempts,
                        letter.first_attempt,
                        letter.last_attempt,
                        letter.error
                    ));
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
