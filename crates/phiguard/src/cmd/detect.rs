//! `phiguard detect`: replays a stored range of a tenant's audit trail through the detectors
//! that run inside `phiguard serve`, with the same configuration.
//!
//! The detector first learns the days before the range (`--warm-up-days`), so that baselines
//! and known networks match what a live detector would have had, then judges the range. What it
//! finds is printed; with `--record` it is also kept as alerts, each raising an audit event,
//! exactly as the live detectors keep theirs (alert ids are deterministic, so recording a range
//! twice updates the same alerts).

use std::collections::BTreeMap;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::anyhow;
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use jiff::{Timestamp, ToSpan};
use phiguard_core::{Alert, AlertId, Severity, TenantId};
use phiguard_detect::Detector;

use crate::Failure;
use crate::config::Config;
use crate::output;

/// Options of `phiguard detect`.
#[derive(Debug, Args)]
pub(crate) struct DetectArgs {
    /// The tenant whose trail to replay.
    #[arg(long)]
    tenant: TenantId,
    /// The start of the range (RFC 3339, such as 2026-11-02T00:00:00Z).
    #[arg(long)]
    since: Timestamp,
    /// The end of the range, exclusive (default now).
    #[arg(long)]
    until: Option<Timestamp>,
    /// Days of history before the range to learn baselines from (default: the configuration's
    /// `detection.warm_up_days`).
    #[arg(long, value_parser = clap::value_parser!(u32).range(0..=3650))]
    warm_up_days: Option<u32>,
    /// Keep what the replay finds as alerts (each an audit event), as `serve` would have.
    #[arg(long)]
    record: bool,
    /// Exit 1 when an alert at or above this severity is found (low, medium, high, critical).
    #[arg(long, value_parser = parse_severity)]
    fail_on: Option<Severity>,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
}

fn parse_severity(text: &str) -> Result<Severity, String> {
    match text {
        "low" => Ok(Severity::Low),
        "medium" => Ok(Severity::Medium),
        "high" => Ok(Severity::High),
        "critical" => Ok(Severity::Critical),
        _ => Err("use low, medium, high or critical".into()),
    }
}

pub(crate) async fn run(config: &Config, args: DetectArgs) -> Result<ExitCode, Failure> {
    let now = Timestamp::now();
    let until = args.until.unwrap_or(now);
    if args.since > now {
        return Err(Failure::Input(anyhow!(
            "--since {} is in the future; nothing has been recorded there yet",
            args.since
        )));
    }
    if until <= args.since {
        return Err(Failure::Input(anyhow!(
            "--until {until} is not after --since {}",
            args.since
        )));
    }

    let vault = super::open_existing_vault(config).await?;
    if !vault.tenants()?.iter().any(|t| t.id == args.tenant) {
        return Err(Failure::Input(anyhow!(
            "no tenant {} in this data directory",
            args.tenant
        )));
    }
    let settings = &config.detection;
    settings.validate().map_err(|e| Failure::Input(e.into()))?;
    let directory =
        vault.detection_directory(Some(&args.tenant), &settings.baa_recipients, false)?;
    let mut detector = Detector::new(settings.rules.clone(), directory)
        .map_err(|e| Failure::Input(anyhow!("detection.rules: {e}")))?;

    let warm_up_days = args.warm_up_days.unwrap_or(settings.warm_up_days);
    let warm_from = args
        .since
        .checked_sub(i64::from(warm_up_days).saturating_mul(24).hours())
        .unwrap_or(Timestamp::UNIX_EPOCH);
    let learnt =
        vault.warm_detector(&mut detector, &args.tenant, warm_from, args.since, u64::MAX)?;

    let bar = if args.json {
        ProgressBar::hidden()
    } else {
        ProgressBar::new_spinner()
    };
    bar.set_style(
        ProgressStyle::with_template("{spinner} replaying {pos} events ({per_sec})")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    let started = Instant::now();
    let mut replayed: u64 = 0;
    let mut alerts: BTreeMap<AlertId, Alert> = BTreeMap::new();
    let mut new_ids = Vec::new();
    let mut after = None;
    loop {
        let page = vault.replay_page(&args.tenant, args.since, until, after)?;
        let Some(last) = page.last() else { break };
        after = Some(last.seq);
        for stored in &page {
            for change in detector.observe(&stored.event, phiguard_vault::evidence(stored)) {
                let alert = change.alert().clone();
                if change.is_new() {
                    new_ids.push(alert.id.clone());
                }
                alerts.insert(alert.id.clone(), alert);
            }
        }
        replayed += page.len() as u64;
        bar.set_position(replayed);
        if page.len() < 10_000 {
            break;
        }
    }
    let elapsed = started.elapsed();
    bar.finish_and_clear();

    if args.record {
        for id in &new_ids {
            if let Some(alert) = alerts.get(id) {
                let previous = vault.stored_alert(&args.tenant, id)?.map(|a| a.severity);
                vault.record_alert(alert, previous).await?;
            }
        }
    }

    let mut ordered: Vec<&Alert> = alerts.values().collect();
    ordered.sort_by(|a, b| (b.severity, a.first_seen).cmp(&(a.severity, b.first_seen)));
    let warnings: Vec<String> = detector.warnings().iter().map(|w| w.to_string()).collect();
    if args.json {
        output::json(&serde_json::json!({
            "tenant": args.tenant,
            "since": args.since,
            "until": until,
            "learnt": learnt,
            "replayed": replayed,
            "alerts": ordered,
            "warnings": warnings,
            "recorded": args.record,
        }));
    } else {
        if replayed == 0 {
            output::line(&format!(
                "warning: tenant {} has no audit events between {} and {}; nothing was judged",
                args.tenant, args.since, until
            ));
        }
        for alert in &ordered {
            output::line(&super::alerts::row(alert));
        }
        for warning in &warnings {
            output::line(&format!("warning: {warning}"));
        }
        let rate = replayed as f64 / elapsed.as_secs_f64().max(1e-9);
        output::line(&format!(
            "{} alert(s) from {replayed} event(s) replayed in {:.2} s ({rate:.0} events/s), after \
             learning {learnt} event(s) from the {warm_up_days} day(s) before{}",
            ordered.len(),
            elapsed.as_secs_f64(),
            if args.record { "; recorded" } else { "" }
        ));
    }

    let failed = args
        .fail_on
        .is_some_and(|floor| ordered.iter().any(|a| a.severity >= floor));
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
