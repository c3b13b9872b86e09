//! `phiguard incident …`: a possible breach from opening to notification.
//!
//! Each subcommand runs as the tenant's administration job against the data directory; the
//! vault records every step in the tenant's ledger and keeps the incident six years after its
//! last change. Deadlines come from `phiguard-breach`; notices are drafts for people to send.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, anyhow};
use clap::{Args, Subcommand};
use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use phiguard_breach::{
    Applicability, BreachFacts, BusinessAssociateDetails, ContactProcedures, CoveredEntityDetails,
    Deadline, HhsBreachReport, LawEnforcementDelay, NoticeContent, PlatformRole, Recipient,
    ReportType, WrittenFollowUp,
};
use phiguard_core::{ActorId, AlertId, Category, IncidentId, TenantId};
use phiguard_vault::{Incident, IncidentWindow, NewIncident, Vault};
use serde::Deserialize;

use super::{TenantOutput, administration};
use crate::Failure;
use crate::config::Config;
use crate::output;

/// `phiguard incident …`
#[derive(Debug, Subcommand)]
pub(crate) enum IncidentCommand {
    /// Open an incident from an alert or a summary.
    Open(OpenArgs),
    /// Work out the blast radius: which subjects' PHI reached the actors in the window, which
    /// categories, and how many live in each state.
    Scope(IncidentArgs),
    /// Record the four-factor risk assessment and exclusions (45 CFR 164.402) from a file.
    Assess(AssessArgs),
    /// Record a law-enforcement delay of notification (45 CFR 164.412).
    Delay(DelayArgs),
    /// Record that a notice was sent.
    Notify(NotifyArgs),
    /// Show an incident.
    Show(IncidentArgs),
    /// List a tenant's incidents.
    List(TenantOutput),
    /// Print every deadline with the days remaining.
    Timeline(TimelineArgs),
    /// Write draft notices: the individual letter, the substitute-notice plan, the HHS portal
    /// report and, for a business associate, the list of affected subjects for the covered
    /// entity.
    Notices(NoticesArgs),
}

/// One incident.
#[derive(Debug, Args)]
pub(crate) struct IncidentArgs {
    #[command(flatten)]
    tenant: TenantOutput,
    /// The incident (`inc_…`).
    #[arg(long)]
    id: IncidentId,
}

/// Options of `phiguard incident open`.
#[derive(Debug, Args)]
pub(crate) struct OpenArgs {
    #[command(flatten)]
    tenant: TenantOutput,
    /// The alert the incident grew from; it supplies the actor and the window unless given.
    #[arg(long, required_unless_present = "summary")]
    from_alert: Option<AlertId>,
    /// What happened, without PHI.
    #[arg(long)]
    summary: Option<String>,
    /// The day the incident was discovered (YYYY-MM-DD), from which deadlines run.
    #[arg(long)]
    discovered: Date,
    /// An actor under investigation (repeatable).
    #[arg(long = "actor")]
    actors: Vec<ActorId>,
    /// The start of the window under investigation (RFC 3339).
    #[arg(long, requires = "until")]
    from: Option<Timestamp>,
    /// The end of the window under investigation (RFC 3339, exclusive).
    #[arg(long, requires = "from")]
    until: Option<Timestamp>,
    /// The platform is the covered entity itself, not the tenant's business associate.
    #[arg(long)]
    covered_entity: bool,
    /// The business associate agreement's notice term in days, when shorter than 60.
    #[arg(long, conflicts_with = "covered_entity")]
    baa_notice_days: Option<u32>,
}

/// Options of `phiguard incident assess`.
#[derive(Debug, Args)]
pub(crate) struct AssessArgs {
    #[command(flatten)]
    incident: IncidentArgs,
    /// The assessment: a TOML or JSON file with `secured`, `exclusions` and the four factors
    /// under `risk` (see the README).
    #[arg(long)]
    facts: PathBuf,
}

/// Options of `phiguard incident delay`.
#[derive(Debug, Args)]
pub(crate) struct DelayArgs {
    #[command(flatten)]
    incident: IncidentArgs,
    /// When the official's statement was made or received (YYYY-MM-DD).
    #[arg(long)]
    stated_on: Date,
    /// The statement was oral: the delay lasts at most 30 days unless a written one follows.
    #[arg(long)]
    oral: bool,
    /// The last day of the delay a written statement requires.
    #[arg(long, required_unless_present = "oral")]
    until: Option<Date>,
    /// For an oral statement: when a written follow-up was received (with --until).
    #[arg(long, requires_all = ["oral", "until"])]
    written_on: Option<Date>,
}

/// Options of `phiguard incident notify`.
#[derive(Debug, Args)]
pub(crate) struct NotifyArgs {
    #[command(flatten)]
    incident: IncidentArgs,
    /// Who was told: individuals, hhs, media, covered-entity or state:XX.
    #[arg(long)]
    recipient: String,
    /// The day the notice was sent (YYYY-MM-DD).
    #[arg(long)]
    sent: Date,
}

/// Options of `phiguard incident timeline`.
#[derive(Debug, Args)]
pub(crate) struct TimelineArgs {
    #[command(flatten)]
    incident: IncidentArgs,
    /// Count days remaining from this date instead of today in the tenant's zone.
    #[arg(long)]
    today: Option<Date>,
}

/// Options of `phiguard incident notices`.
#[derive(Debug, Args)]
pub(crate) struct NoticesArgs {
    #[command(flatten)]
    incident: IncidentArgs,
    /// The entity's details and the breach description: a TOML file (see the README).
    #[arg(long)]
    details: PathBuf,
    /// The directory to write the drafts into (created if missing).
    #[arg(long)]
    out: PathBuf,
    /// The date the substitute notice would start (defaults to today in the tenant's zone).
    #[arg(long)]
    today: Option<Date>,
}

/// What `incident notices` needs beyond the incident itself.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NoticeDetails {
    /// The covered entity's name as the individuals know it.
    entity_name: String,
    /// What happened, in plain words and without PHI.
    what_happened: String,
    /// What the entity is doing in response.
    entity_actions: Vec<String>,
    /// Steps for individuals; defaults to phiguard's suggestions for the categories involved.
    #[serde(default)]
    steps_for_individuals: Vec<String>,
    /// How individuals reach the entity.
    contact: ContactProcedures,
    /// The HHS portal report's own fields.
    hhs: HhsDetails,
}

/// The HHS report fields the incident does not know.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct HhsDetails {
    #[serde(default = "initial")]
    report_type: ReportType,
    #[serde(default)]
    addendum_to: Option<String>,
    covered_entity: CoveredEntityDetails,
    #[serde(default)]
    business_associate: Option<BusinessAssociateDetails>,
    breach_types: BTreeSet<phiguard_breach::BreachType>,
    #[serde(default)]
    breach_type_other: Option<String>,
    locations: BTreeSet<phiguard_breach::Location>,
    #[serde(default)]
    location_other: Option<String>,
    safeguards_in_place: BTreeSet<phiguard_breach::Safeguard>,
}

fn initial() -> ReportType {
    ReportType::Initial
}

/// The tenant's time zone (UTC when it has none): incident dates are its calendar dates.
fn tenant_zone(vault: &Vault, tenant: &TenantId) -> Result<TimeZone, Failure> {
    let zone = vault.tenant_time_zone(tenant)?;
    Ok(zone.unwrap_or_else(|| {
        output::warning(&format!(
            "tenant {tenant} has no time zone: its incident dates are taken in UTC, which may be \
             a day off its own calendar; set one with `phiguard tenants`"
        ));
        TimeZone::UTC
    }))
}

/// Today in the tenant's time zone.
fn tenant_today(vault: &Vault, tenant: &TenantId) -> Result<Date, Failure> {
    Ok(tenant_zone(vault, tenant)?
        .to_datetime(Timestamp::now())
        .date())
}

pub(crate) async fn run(config: &Config, command: IncidentCommand) -> Result<ExitCode, Failure> {
    let vault = super::open_existing_vault(config).await?;
    match command {
        IncidentCommand::Open(args) => open(&vault, args).await,
        IncidentCommand::Scope(args) => {
            let tenant = &args.tenant.tenant;
            let incident = vault
                .scope_incident(&administration(tenant), tenant, &args.id)
                .await?;
            print_incident(&incident, args.tenant.json);
            Ok(ExitCode::SUCCESS)
        }
        IncidentCommand::Assess(args) => {
            let facts: BreachFacts = read_structured(&args.facts)?;
            let tenant = &args.incident.tenant.tenant;
            let incident = vault
                .assess_incident(&administration(tenant), tenant, &args.incident.id, facts)
                .await?;
            print_incident(&incident, args.incident.tenant.json);
            Ok(ExitCode::SUCCESS)
        }
        IncidentCommand::Delay(args) => {
            if args.oral && args.until.is_some() && args.written_on.is_none() {
                return Err(Failure::Input(anyhow!(
                    "an oral statement delays notice by at most 30 days; --until applies only \
                     with --written-on, the day a written statement followed"
                )));
            }
            let delay = if args.oral {
                LawEnforcementDelay::Oral {
                    stated_on: args.stated_on,
                    written_follow_up: args
                        .written_on
                        .zip(args.until)
                        .map(|(received_on, until)| WrittenFollowUp { received_on, until }),
                }
            } else {
                let until = args
                    .until
                    .ok_or_else(|| Failure::Input(anyhow!("a written delay needs --until")))?;
                LawEnforcementDelay::Written {
                    stated_on: args.stated_on,
                    until,
                }
            };
            let tenant = &args.incident.tenant.tenant;
            let today = tenant_today(&vault, tenant)?;
            let end = match delay {
                LawEnforcementDelay::Written { until, .. } => Some(until),
                LawEnforcementDelay::Oral {
                    written_follow_up, ..
                } => written_follow_up.map(|w| w.until),
            };
            if let Some(end) = end
                && (end - args.stated_on).get_days() > 365
            {
                output::warning(&format!(
                    "the delay runs to {end}, more than a year after the statement; check the \
                     official's written statement before relying on it"
                ));
            }
            let incident = vault
                .delay_incident(
                    &administration(tenant),
                    tenant,
                    &args.incident.id,
                    delay,
                    today,
                )
                .await?;
            print_incident(&incident, args.incident.tenant.json);
            Ok(ExitCode::SUCCESS)
        }
        IncidentCommand::Notify(args) => {
            let tenant = &args.incident.tenant.tenant;
            let today = tenant_today(&vault, tenant)?;
            let current = vault
                .incident(&administration(tenant), tenant, &args.incident.id)
                .await?;
            if let Ok(schedule) = current.schedule() {
                let owed = schedule.deadlines.iter().any(|d| {
                    d.applies != Applicability::DoesNotApply
                        && notice_matches(args.recipient.trim(), &d.recipient)
                });
                if !owed {
                    output::warning(&format!(
                        "no deadline of this incident calls for a notice to {}; recording it \
                         anyway",
                        args.recipient.trim()
                    ));
                }
            }
            let incident = vault
                .record_notice(
                    &administration(tenant),
                    tenant,
                    &args.incident.id,
                    &args.recipient,
                    args.sent,
                    today,
                )
                .await?;
            print_incident(&incident, args.incident.tenant.json);
            Ok(ExitCode::SUCCESS)
        }
        IncidentCommand::Show(args) => {
            let tenant = &args.tenant.tenant;
            let incident = vault
                .incident(&administration(tenant), tenant, &args.id)
                .await?;
            print_incident(&incident, args.tenant.json);
            Ok(ExitCode::SUCCESS)
        }
        IncidentCommand::List(args) => {
            let incidents = vault
                .incidents(&administration(&args.tenant), &args.tenant)
                .await?;
            if args.json {
                output::json(&incidents);
            } else if incidents.is_empty() {
                output::line(&format!("no incidents for tenant {}", args.tenant));
            }
            if !args.json {
                for incident in &incidents {
                    output::line(&format!(
                        "{}  discovered {}  {:<22}  {}",
                        incident.id,
                        incident.discovered,
                        status(incident),
                        incident.summary.as_deref().unwrap_or("(from an alert)")
                    ));
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        IncidentCommand::Timeline(args) => timeline(&vault, args).await,
        IncidentCommand::Notices(args) => notices(&vault, &config.data_dir, args).await,
    }
}

async fn open(vault: &Vault, args: OpenArgs) -> Result<ExitCode, Failure> {
    let tenant = &args.tenant.tenant;
    // Always the real date: a discovery date in the future would push every deadline out.
    let today = tenant_today(vault, tenant)?;
    let window = args
        .from
        .zip(args.until)
        .map(|(start, end)| IncidentWindow { start, end });
    let role = if args.covered_entity {
        PlatformRole::CoveredEntity
    } else {
        PlatformRole::BusinessAssociate {
            baa_notice_days: args.baa_notice_days,
        }
    };
    let new = NewIncident {
        discovered: args.discovered,
        summary: args.summary,
        from_alert: args.from_alert,
        actors: args.actors,
        window,
        role,
        today,
    };
    let incident = vault
        .open_incident(&administration(tenant), tenant, new)
        .await?;
    print_incident(&incident, args.tenant.json);
    Ok(ExitCode::SUCCESS)
}

/// The largest facts or details file read.
const MAX_INPUT_BYTES: u64 = 1 << 20;

/// Refuses to write drafts into the data directory, beside the keys and databases.
fn refuse_inside(out: &Path, data_dir: &Path) -> Result<(), Failure> {
    let resolve = |p: &Path| {
        let mut absolute = std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
        // The nearest existing ancestor, resolved, with the rest appended.
        let mut rest = Vec::new();
        while !absolute.exists() {
            match (
                absolute.file_name().map(ToOwned::to_owned),
                absolute.parent(),
            ) {
                (Some(name), Some(parent)) => {
                    rest.push(name);
                    absolute = parent.to_path_buf();
                }
                _ => break,
            }
        }
        let mut resolved = absolute.canonicalize().unwrap_or(absolute);
        for name in rest.into_iter().rev() {
            resolved.push(name);
        }
        resolved
    };
    if resolve(out).starts_with(resolve(data_dir)) {
        return Err(Failure::Input(anyhow!(
            "--out {} lies inside the data directory; write the drafts elsewhere",
            out.display()
        )));
    }
    Ok(())
}

/// Reads a TOML or JSON file (by extension) into `T`, with errors that name the file and the
/// place, never the value. Only regular files up to 1 MiB are read.
fn read_structured<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, Failure> {
    let metadata = std::fs::metadata(path)
        .with_context(|| format!("cannot read {}", path.display()))
        .map_err(Failure::Input)?;
    if !metadata.is_file() || metadata.len() > MAX_INPUT_BYTES {
        return Err(Failure::Input(anyhow!(
            "{} is not a regular file of at most 1 MiB",
            path.display()
        )));
    }
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read {}", path.display()))
        .map_err(Failure::Input)?;
    let is_json = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"));
    if is_json {
        serde_json::from_str(&text).map_err(|e| {
            Failure::Input(anyhow!(
                "{}: not a valid file of this kind (line {}, column {})",
                path.display(),
                e.line(),
                e.column()
            ))
        })
    } else {
        toml::from_str(&text).map_err(|e| {
            let place = e
                .span()
                .map(|span| {
                    let line = 1 + text[..span.start.min(text.len())].matches('\n').count();
                    format!(" (line {line})")
                })
                .unwrap_or_default();
            Failure::Input(anyhow!(
                "{}: not a valid file of this kind{place}: {}",
                path.display(),
                phiguard_core::without_quoted_values(e.message())
            ))
        })
    }
}

fn status(incident: &Incident) -> &'static str {
    match (&incident.blast_radius, &incident.determination) {
        (_, Some(d)) if !d.notification_required => "closed: no notice owed",
        (_, Some(_)) if !incident.notices.is_empty() => "notifying",
        (_, Some(_)) => "breach: notify",
        (Some(_), None) => "scoped: assess next",
        (None, None) => "open: scope next",
    }
}

fn print_incident(incident: &Incident, json: bool) {
    if json {
        output::json(incident);
        return;
    }
    output::line(&format!("incident    {}", incident.id));
    output::line(&format!("tenant      {}", incident.tenant));
    output::line(&format!("status      {}", status(incident)));
    output::line(&format!("discovered  {}", incident.discovered));
    output::line(&format!(
        "window      {} .. {}",
        incident.window.start, incident.window.end
    ));
    output::line(&format!(
        "actors      {}",
        incident
            .actors
            .iter()
            .map(ActorId::as_str)
            .collect::<Vec<_>>()
            .join(", ")
    ));
    if let Some(summary) = &incident.summary {
        output::line(&format!("summary     {summary}"));
    }
    if let Some(alert) = &incident.from_alert {
        output::line(&format!("from alert  {alert}"));
    }
    if let Some(radius) = &incident.blast_radius {
        output::line(&format!(
            "affected    {} subject(s) from {} disclosing event(s) of {}",
            radius.subjects.len(),
            radius.disclosing_events,
            radius.events
        ));
        let categories: Vec<String> = radius
            .categories
            .iter()
            .map(|(c, n)| {
                let clear = radius.categories_clear.get(c).copied().unwrap_or(0);
                format!("{c} {n} ({clear} clear)")
            })
            .collect();
        output::line(&format!("categories  {}", categories.join(", ")));
        let states: Vec<String> = radius
            .affected
            .by_jurisdiction
            .iter()
            .map(|(state, n)| format!("{state} {n}"))
            .collect();
        output::line(&format!(
            "states      {}{}",
            states.join(", "),
            if radius.affected.unknown_jurisdiction > 0 {
                format!("; unknown {}", radius.affected.unknown_jurisdiction)
            } else {
                String::new()
            }
        ));
        output::line(&format!(
            "no contact  {} (substitute notice)",
            radius.unreachable
        ));
    }
    if let Some(determination) = &incident.determination {
        output::line(&format!(
            "decision    notification {}",
            if determination.notification_required {
                "required"
            } else {
                "not required"
            }
        ));
        for step in &determination.reasoning {
            output::line(&format!("  - {step}"));
        }
        for question in &determination.open_questions {
            output::line(&format!("  ? {question}"));
        }
    }
    for notice in &incident.notices {
        output::line(&format!(
            "notice      {} sent {}",
            notice.recipient, notice.sent_on
        ));
    }
    output::line("history");
    for step in &incident.history {
        output::line(&format!(
            "  {}  {:<22} {:<20} {}",
            step.at,
            step.by,
            step.action.as_str(),
            step.detail
        ));
    }
}

fn recipient_name(deadline: &Deadline) -> String {
    match &deadline.recipient {
        Recipient::Individuals => "individuals (164.404)".into(),
        Recipient::Hhs => "HHS (164.408)".into(),
        Recipient::Media { jurisdiction } => format!(
            "media in {} (164.406)",
            jurisdiction.map_or("a state not yet known".into(), |j| j.code().to_owned())
        ),
        Recipient::CoveredEntity => "covered entity (164.410)".into(),
        Recipient::StateIndividuals { jurisdiction, .. } => {
            format!("{} residents (state law)", jurisdiction.code())
        }
        Recipient::StateRegulator {
            jurisdiction,
            regulator,
            ..
        } => format!(
            "{} regulator{}",
            jurisdiction.code(),
            regulator
                .as_deref()
                .map(|r| format!(" ({r})"))
                .unwrap_or_default()
        ),
    }
}

async fn timeline(vault: &Vault, args: TimelineArgs) -> Result<ExitCode, Failure> {
    let tenant = &args.incident.tenant.tenant;
    let incident = vault
        .incident(&administration(tenant), tenant, &args.incident.id)
        .await?;
    let today = match args.today {
        Some(today) => today,
        None => tenant_today(vault, tenant)?,
    };
    let schedule = incident.schedule()?;
    if args.incident.tenant.json {
        output::json(&serde_json::json!({ "today": today, "schedule": schedule }));
        return Ok(ExitCode::SUCCESS);
    }

    match &incident.determination {
        None => output::line(
            "not yet assessed: an impermissible disclosure is presumed a breach (164.402), so \
             every deadline below runs",
        ),
        Some(d) if !d.notification_required => output::line(
            "assessed: no notification is owed; the deadlines are shown for the record",
        ),
        Some(_) => output::line("assessed: a breach of unsecured PHI; notify by these dates"),
    }
    output::line(&format!(
        "discovered {}, {} affected, today {today}",
        schedule.discovered, schedule.total_affected
    ));

    let mut rows: Vec<&Deadline> = schedule
        .deadlines
        .iter()
        .filter(|d| d.applies != Applicability::DoesNotApply)
        .collect();
    rows.sort_by_key(|d| d.due);
    for deadline in rows {
        let (due, left, bar) = match deadline.due {
            Some(due) => {
                let left = phiguard_breach::days_remaining(due, today);
                (due.to_string(), describe_days(left), bar(left))
            }
            None => ("no fixed date".into(), String::new(), String::new()),
        };
        let notified = incident
            .notices
            .iter()
            .any(|n| notice_matches(&n.recipient, &deadline.recipient));
        output::line(&format!(
            "  {due:<13} {:<40} {bar:<20} {left:<16} {:<12} {:<10}{}",
            recipient_name(deadline),
            format!("{:?}", deadline.applies).to_lowercase(),
            format!("{:?}", deadline.confidence).to_lowercase(),
            if notified { "  sent" } else { "" }
        ));
        output::line(&format!("                {}", deadline.basis));
    }
    for note in &schedule.notes {
        output::line(&format!("note: {note}"));
    }
    let excluded = schedule
        .deadlines
        .iter()
        .filter(|d| d.applies == Applicability::DoesNotApply)
        .count();
    if excluded > 0 {
        output::line(&format!(
            "{excluded} rule(s) do not apply to this incident (see --json for the reasoning)"
        ));
    }
    Ok(ExitCode::SUCCESS)
}

fn notice_matches(recorded: &str, recipient: &Recipient) -> bool {
    match recipient {
        Recipient::Individuals => recorded == "individuals",
        Recipient::Hhs => recorded == "hhs",
        Recipient::Media { .. } => recorded == "media",
        Recipient::CoveredEntity => recorded == "covered-entity",
        Recipient::StateIndividuals { jurisdiction, .. }
        | Recipient::StateRegulator { jurisdiction, .. } => {
            recorded == format!("state:{}", jurisdiction.code())
        }
    }
}

fn describe_days(left: i64) -> String {
    match left {
        0 => "due today".into(),
        1 => "1 day left".into(),
        n if n > 1 => format!("{n} days left"),
        n => format!("{} days OVERDUE", -n),
    }
}

/// Sixty days as twenty cells: how much of the outer limit is left.
fn bar(left: i64) -> String {
    let cells = left.clamp(0, 60) / 3;
    let filled = usize::try_from(cells).unwrap_or(0);
    format!("{}{}", "█".repeat(filled), "░".repeat(20 - filled.min(20)))
}

async fn notices(vault: &Vault, data_dir: &Path, args: NoticesArgs) -> Result<ExitCode, Failure> {
    refuse_inside(&args.out, data_dir)?;
    let details: NoticeDetails = read_structured(&args.details)?;
    // Every field that is prose or a name; contact details (numbers, addresses, emails of the
    // entity) are meant to hold digits and an `@`.
    let narrative = [
        ("entity_name", &details.entity_name),
        ("what_happened", &details.what_happened),
        ("hhs.covered_entity.name", &details.hhs.covered_entity.name),
    ]
    .into_iter()
    .chain(details.entity_actions.iter().map(|a| ("entity_actions", a)))
    .chain(
        details
            .steps_for_individuals
            .iter()
            .map(|s| ("steps_for_individuals", s)),
    )
    .chain(
        details
            .hhs
            .breach_type_other
            .iter()
            .map(|t| ("hhs.breach_type_other", t)),
    )
    .chain(
        details
            .hhs
            .location_other
            .iter()
            .map(|t| ("hhs.location_other", t)),
    )
    .chain(
        details
            .hhs
            .business_associate
            .iter()
            .map(|b| ("hhs.business_associate.name", &b.name)),
    );
    for (field, text) in narrative {
        phiguard_vault::check_free_text(field, text)
            .map_err(|e| Failure::Input(anyhow!("{}: {e}", args.details.display())))?;
    }
    let tenant = &args.incident.tenant.tenant;
    let incident = vault
        .incident(&administration(tenant), tenant, &args.incident.id)
        .await?;
    let today = match args.today {
        Some(today) => today,
        None => tenant_today(vault, tenant)?,
    };
    let Some(radius) = &incident.blast_radius else {
        return Err(Failure::Input(anyhow!(
            "incident {} has no blast radius yet: run `phiguard incident scope` first",
            incident.id
        )));
    };

    let categories: BTreeSet<Category> = radius.categories.keys().copied().collect();
    let zone = tenant_zone(vault, tenant)?;
    let local_date = |t: Timestamp| zone.to_datetime(t).date();
    let (breach_start, breach_end) = (
        local_date(incident.window.start),
        local_date(incident.window.end),
    );
    let steps = if details.steps_for_individuals.is_empty() {
        phiguard_breach::suggested_steps(&categories)
    } else {
        details.steps_for_individuals.clone()
    };
    let content = NoticeContent {
        entity_name: details.entity_name.clone(),
        what_happened: details.what_happened.clone(),
        breach_start: Some(breach_start),
        breach_end: (breach_end != breach_start).then_some(breach_end),
        discovered: incident.discovered,
        categories: categories.clone(),
        steps_for_individuals: steps,
        entity_actions: details.entity_actions.clone(),
        contact: details.contact.clone(),
    };
    let draft = phiguard_breach::draft_individual_notice(&content)
        .map_err(|e| Failure::Input(anyhow!("{}: {e}", args.details.display())))?;
    let plan = phiguard_breach::substitute_notice_plan(radius.unreachable, today)
        .map_err(|e| Failure::Input(anyhow!("the substitute-notice plan: {e}")))?;
    let report = HhsBreachReport {
        report_type: details.hhs.report_type,
        addendum_to: details.hhs.addendum_to.clone(),
        covered_entity: details.hhs.covered_entity.clone(),
        business_associate: details.hhs.business_associate.clone(),
        breach_start,
        breach_end: Some(breach_end),
        discovery_start: incident.discovered,
        discovery_end: None,
        individuals_affected: radius.subjects.len() as u64,
        breach_types: details.hhs.breach_types.clone(),
        breach_type_other: details.hhs.breach_type_other.clone(),
        locations: details.hhs.locations.clone(),
        location_other: details.hhs.location_other.clone(),
        phi_types: categories,
        description: details.what_happened.clone(),
        safeguards_in_place: details.hhs.safeguards_in_place.clone(),
        actions_taken: details.entity_actions.clone(),
    };
    let hhs_json = report
        .to_json(today)
        .map_err(|e| Failure::Input(anyhow!("{}: the HHS report: {e}", args.details.display())))?;

    let mut plan_text = format!("# Substitute notice plan\n\n{}\n\n", plan.basis());
    for step in plan.steps() {
        plan_text.push_str(&format!("- {step}\n"));
    }
    let mut files = vec![
        ("individual-notice.md", draft.to_markdown()),
        ("individual-notice.txt", draft.to_text()),
        ("substitute-notice.md", plan_text),
        ("hhs-breach-report.json", hhs_json),
    ];
    if matches!(incident.role, PlatformRole::BusinessAssociate { .. }) {
        let mut list = String::from("subject_id\n");
        for subject in &radius.subjects {
            list.push_str(subject.as_str());
            list.push('\n');
        }
        files.push(("covered-entity-affected-subjects.csv", list));
    }
    write_all(&args.out, &files)?;
    for (name, _) in &files {
        output::line(&format!("wrote {}", args.out.join(name).display()));
    }
    Ok(ExitCode::SUCCESS)
}

/// Writes every file or none: each is staged beside its target and the set is moved into
/// place only once all are written.
fn write_all(dir: &Path, files: &[(&str, String)]) -> Result<(), Failure> {
    std::fs::create_dir_all(dir)
        .with_context(|| format!("cannot create {}", dir.display()))
        .map_err(Failure::Input)?;
    // Check every target before anything moves, so a refusal leaves the directory as it was.
    for (name, _) in files {
        let target = dir.join(name);
        if target.exists() && !target.is_file() {
            return Err(Failure::Input(anyhow!(
                "{} exists and is not a file; nothing was written",
                target.display()
            )));
        }
    }
    let mut staged = Vec::new();
    for (name, content) in files {
        let mut temp = tempfile::NamedTempFile::new_in(dir)
            .with_context(|| format!("cannot write into {}", dir.display()))
            .map_err(Failure::Input)?;
        std::io::Write::write_all(&mut temp, content.as_bytes())
            .with_context(|| format!("cannot write into {}", dir.display()))
            .map_err(Failure::Input)?;
        staged.push((temp, dir.join(name)));
    }
    for (temp, target) in staged {
        temp.persist(&target).map_err(|e| {
            Failure::Input(anyhow!("cannot write {}: {}", target.display(), e.error))
        })?;
    }
    Ok(())
}
