//! Incidents: a possible breach from opening to notification, every step an audit event, the
//! record kept six years after its last change (45 CFR 164.414(b), 164.530(j)).
//!
//! ```text
//!   open ──► scope (exposure from the trail, states from masked addresses)
//!        ──► assess (164.402: exclusions, secured, four factors ──► determination)
//!        ──► delay (164.412, optional) ──► schedule ──► notify (each notice recorded)
//! ```
//!
//! The record holds ids, counts, dates, codes and the operator's own words. Those words are
//! refused when they carry something shaped like an identifier (an email address, a run of
//! seven or more digits), since the record is kept in the clear for six years.

use std::collections::{BTreeMap, BTreeSet};

use jiff::civil::Date;
use jiff::{Span, Timestamp, ToSpan, tz::TimeZone};
use phiguard_breach::{
    Affected, Answer, BreachFacts, DeadlineFacts, Determination, Jurisdiction, LawEnforcementDelay,
    PlatformRole, Schedule, StateTable,
};
use phiguard_core::{
    ActorId, AlertId, AuditAction, Category, Decision, EvidenceRef, IncidentId, Outcome, SubjectId,
    TenantId,
};
use phiguard_policy::{Action, Resource};
use phiguard_store::{Change, StoredIncident};
use serde::{Deserialize, Serialize};

use crate::{Caller, Vault, VaultError};

/// How long an incident's record is kept after its last change.
const RETENTION_YEARS: i16 = 6;

/// The longest free text an incident keeps in one field.
const MAX_TEXT_CHARS: usize = 2_000;

/// The version of the incident document this build writes.
const DOCUMENT_VERSION: u32 = 1;

/// The time an incident covers: `[start, end)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncidentWindow {
    /// The first instant under investigation.
    pub start: Timestamp,
    /// The instant after the last one under investigation.
    pub end: Timestamp,
}

/// Who and what an incident is opened about.
#[derive(Debug, Clone)]
pub struct NewIncident {
    /// The day the incident was discovered (known, or knowable with reasonable diligence).
    pub discovered: Date,
    /// The operator's description, without PHI; required unless `from_alert` is given.
    pub summary: Option<String>,
    /// The alert the incident grew from: it supplies the actor and the window when those are
    /// not given.
    pub from_alert: Option<AlertId>,
    /// The actors under investigation.
    pub actors: Vec<ActorId>,
    /// The time under investigation.
    pub window: Option<IncidentWindow>,
    /// Whether the platform is the tenant's business associate (the usual case) or the covered
    /// entity itself.
    pub role: PlatformRole,
    /// Today, in the tenant's calendar: a discovery after it is refused.
    pub today: Date,
}

/// Whom an incident touched: computed from the audit trail by [`Vault::scope_incident`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlastRadius {
    /// When it was computed.
    pub computed_at: Timestamp,
    /// Every event of the actors in the window.
    pub events: u64,
    /// Of those, the events that disclosed PHI.
    pub disclosing_events: u64,
    /// The subjects whose PHI reached the actors, exactly (pseudonymous ids).
    pub subjects: Vec<SubjectId>,
    /// Per category, how many of those subjects had it disclosed.
    pub categories: BTreeMap<Category, u64>,
    /// Per category, how many subjects had it disclosed in the clear (not masked).
    pub categories_clear: BTreeMap<Category, u64>,
    /// The affected, counted per state of residence.
    pub affected: Affected,
    /// Subjects with no contact details or address on file: they need substitute notice.
    pub unreachable: u64,
    /// Subjects disposed of since (no state can be read for them; counted as unknown state).
    pub disposed: u64,
    /// The first and last disclosing events.
    pub first_event: Option<EvidenceRef>,
    /// The last disclosing event.
    pub last_event: Option<EvidenceRef>,
}

/// A notice recorded as sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoticeSent {
    /// Who was told: `individuals`, `hhs`, `media`, `covered-entity`, or `state:XX`.
    pub recipient: String,
    /// The day it was sent.
    pub sent_on: Date,
    /// Who recorded it.
    pub recorded_by: ActorId,
    /// When.
    pub recorded_at: Timestamp,
}

/// One step in an incident's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncidentStep {
    /// When it was taken.
    pub at: Timestamp,
    /// By whom.
    pub by: ActorId,
    /// What it was.
    pub action: AuditAction,
    /// What it concluded, in phiguard's words (codes and counts).
    pub detail: String,
}

/// An incident's record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Incident {
    /// The document's version.
    pub version: u32,
    /// The incident.
    pub id: IncidentId,
    /// The tenant it concerns.
    pub tenant: TenantId,
    /// When it was opened.
    pub opened_at: Timestamp,
    /// Who opened it.
    pub opened_by: ActorId,
    /// The day of discovery, from which the deadlines run.
    pub discovered: Date,
    /// The operator's description.
    pub summary: Option<String>,
    /// The alert it grew from.
    pub from_alert: Option<AlertId>,
    /// The actors under investigation.
    pub actors: Vec<ActorId>,
    /// The time under investigation.
    pub window: IncidentWindow,
    /// The platform's role towards the tenant.
    pub role: PlatformRole,
    /// Whom it touched, once computed.
    pub blast_radius: Option<BlastRadius>,
    /// The facts of the 164.402 assessment, once recorded.
    pub facts: Option<BreachFacts>,
    /// The determination drawn from them.
    pub determination: Option<Determination>,
    /// A law-enforcement delay, if one was asked for.
    pub law_enforcement_delay: Option<LawEnforcementDelay>,
    /// The notices sent.
    pub notices: Vec<NoticeSent>,
    /// Every step, oldest first.
    pub history: Vec<IncidentStep>,
}

impl Incident {
    /// The deadlines, from the discovery date, the blast radius and any delay.
    ///
    /// # Errors
    ///
    /// [`VaultError::InvalidInput`] before the blast radius is known (the counts decide which
    /// deadlines apply), or when the law-enforcement delay contradicts itself.
    pub fn schedule(&self) -> Result<Schedule, VaultError> {
        let Some(radius) = &self.blast_radius else {
            return Err(VaultError::InvalidInput {
                what: "the incident",
                reason: "its blast radius is not computed yet; run `phiguard incident scope` \
                         first, since the number affected decides which deadlines apply"
                    .into(),
            });
        };
        let individuals_notified_on = self
            .notices
            .iter()
            .filter(|n| n.recipient == "individuals")
            .map(|n| n.sent_on)
            .min();
        let facts = DeadlineFacts {
            discovered: self.discovered,
            affected: radius.affected.clone(),
            role: self.role,
            law_enforcement_delay: self.law_enforcement_delay,
            licensed_health_facility: Answer::Unknown,
            individuals_notified_on,
        };
        let table = StateTable::shipped()
            .map_err(|e| VaultError::internal("the shipped state table", e))?;
        phiguard_breach::deadlines(&facts, &table).map_err(|e| VaultError::InvalidInput {
            what: "the incident's deadlines",
            reason: e.to_string(),
        })
    }

    fn step(&mut self, caller: &Caller, action: AuditAction, detail: String) {
        self.history.push(IncidentStep {
            at: Timestamp::now(),
            by: caller.actor_id().clone(),
            action,
            detail,
        });
    }

    fn stored(&self) -> Result<StoredIncident, VaultError> {
        let document = serde_json::to_string(self)
            .map_err(|e| VaultError::internal("encoding an incident", e))?;
        let last_change = self.history.last().map_or(self.opened_at, |s| s.at);
        let retain_until = TimeZone::UTC
            .to_datetime(last_change)
            .checked_add(RETENTION_YEARS.years())
            .and_then(|later| TimeZone::UTC.to_timestamp(later))
            .map_err(|e| VaultError::internal("the retention date", e))?;
        Ok(StoredIncident {
            tenant: self.tenant.clone(),
            id: self.id.clone(),
            opened_at: self.opened_at,
            retain_until,
            document,
        })
    }
}

/// Refuses free text that is blank, too long, or shaped like an identifier (an email address,
/// a run of seven or more digits), naming `what` and never the text. Names and street
/// addresses cannot be told from ordinary words this way; the check catches identifiers only.
///
/// # Errors
///
/// [`VaultError::InvalidInput`].
pub fn check_free_text(what: &'static str, text: &str) -> Result<String, VaultError> {
    let text = text.trim();
    let invalid = |reason: &str| VaultError::InvalidInput {
        what,
        reason: reason.to_owned(),
    };
    if text.is_empty() {
        return Err(invalid("it is blank"));
    }
    if text.chars().count() > MAX_TEXT_CHARS {
        return Err(invalid(&format!(
            "it is longer than {MAX_TEXT_CHARS} characters"
        )));
    }
    if identifier_shaped(text) {
        return Err(invalid(
            "it holds an email address or a run of seven or more digits, which may identify a \
             person; describe the incident without PHI (use subject ids if needed)",
        ));
    }
    Ok(text.to_owned())
}

/// An email address or seven or more digits in a row (separators ignored): an SSN, phone
/// number, MRN or member id. Dates stay allowed: incident notes need them.
fn identifier_shaped(text: &str) -> bool {
    phiguard_core::looks_like_identifier(&without_iso_dates(text))
}

/// The text with every ISO date (`2026-11-02`) blanked, so that dates do not count as a run
/// of digits.
fn without_iso_dates(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut kept = String::with_capacity(text.len());
    let mut i = 0;
    while i < bytes.len() {
        let window = bytes.get(i..i + 10);
        let is_date = window.is_some_and(|w| {
            w.iter().enumerate().all(|(n, b)| match n {
                4 | 7 => *b == b'-',
                _ => b.is_ascii_digit(),
            })
        });
        let bounded = |at: usize| bytes.get(at).is_none_or(|b| !b.is_ascii_digit());
        if is_date && (i == 0 || bounded(i - 1)) && bounded(i + 10) {
            kept.push(' ');
            i += 10;
        } else {
            let c = text[i..].chars().next().unwrap_or(' ');
            kept.push(c);
            i += c.len_utf8();
        }
    }
    kept
}

/// Every free-text note of an assessment, checked like a summary.
fn check_facts(facts: &BreachFacts) -> Result<(), VaultError> {
    let text = serde_json::to_value(facts)
        .map_err(|e| VaultError::internal("encoding an assessment", e))?;
    let mut notes = Vec::new();
    collect_notes(&text, &mut notes);
    for note in notes.iter().filter(|n| !n.trim().is_empty()) {
        check_free_text("a note of the assessment", note)?;
    }
    Ok(())
}

fn collect_notes(value: &serde_json::Value, notes: &mut Vec<String>) {
    match value {
        serde_json::Value::String(text) => notes.push(text.clone()),
        serde_json::Value::Array(items) => items.iter().for_each(|v| collect_notes(v, notes)),
        serde_json::Value::Object(map) => map.values().for_each(|v| collect_notes(v, notes)),
        _ => {}
    }
}

/// The state text of an address as a jurisdiction: a USPS code, or a state's name.
fn jurisdiction_of(state: &str) -> Option<Jurisdiction> {
    state
        .parse()
        .ok()
        .or_else(|| Jurisdiction::all().find(|j| j.name().eq_ignore_ascii_case(state)))
}

impl Vault {
    /// Checks that `caller` may handle `tenant`'s incidents: the `read_audit` action, since an
    /// incident is built from the audit trail. Refusals are recorded.
    async fn authorize_incident(
        &self,
        caller: &Caller,
        tenant: &TenantId,
        action: AuditAction,
    ) -> Result<(), VaultError> {
        match self.authorize(caller, tenant, Action::ReadAudit, Resource::Tenant(tenant)) {
            Ok(_) => Ok(()),
            Err(error) => Err(self.refuse(caller, action, None, None, error).await),
        }
    }

    /// Keeps the incident and records `action` in the tenant's trail, in one commit.
    async fn commit_incident(
        &self,
        caller: &Caller,
        incident: &Incident,
        action: AuditAction,
        count: Option<u64>,
    ) -> Result<(), VaultError> {
        let stored = incident.stored()?;
        let mut event = self.event(caller, action, Decision::Allow, Outcome::Success);
        event.target = Some(digest_target(&incident.id, &stored.document));
        event.count = count;
        self.store()
            .submit(vec![Change::PutIncident(stored), Change::Audit(event)])
            .await?;
        Ok(())
    }

    /// Refuses `error` for `action`, recording the refusal.
    async fn refuse_incident(
        &self,
        caller: &Caller,
        action: AuditAction,
        error: VaultError,
    ) -> VaultError {
        self.refuse(caller, action, None, None, error).await
    }

    /// A tenant's time zone, when it has one that resolves: incident dates are its calendar
    /// dates.
    ///
    /// # Errors
    ///
    /// [`VaultError::NotFound`] for an unknown tenant; storage failures.
    pub fn tenant_time_zone(&self, tenant: &TenantId) -> Result<Option<TimeZone>, VaultError> {
        let stored = self
            .store()
            .tenant(tenant)?
            .ok_or(VaultError::NotFound("the tenant"))?;
        Ok(stored.time_zone.and_then(|name| TimeZone::get(&name).ok()))
    }

    /// Opens an incident.
    ///
    /// # Errors
    ///
    /// [`VaultError::InvalidInput`] for a discovery in the future or before the window, an
    /// empty or inverted window, no actors, or a summary shaped like PHI;
    /// [`VaultError::NotFound`] for an unknown alert. Every refusal is recorded.
    pub async fn open_incident(
        &self,
        caller: &Caller,
        tenant: &TenantId,
        new: NewIncident,
    ) -> Result<Incident, VaultError> {
        let action = AuditAction::OpenIncident;
        self.authorize_incident(caller, tenant, action).await?;
        match self.prepare_incident(caller, tenant, new) {
            Ok(mut incident) => {
                let detail = format!(
                    "opened: {} actor(s), window {} .. {}, discovered {}",
                    incident.actors.len(),
                    incident.window.start,
                    incident.window.end,
                    incident.discovered
                );
                incident.step(caller, action, detail);
                self.commit_incident(caller, &incident, action, None)
                    .await?;
                Ok(incident)
            }
            Err(error) => Err(self.refuse_incident(caller, action, error).await),
        }
    }

    /// Where an incident grown from an alert starts looking: the start of the clock hour of
    /// the alert's earliest evidence event. A threshold rule fires only once enough events
    /// have piled up, and the ones before the threshold are part of the incident too.
    fn alert_window_start(
        &self,
        tenant: &TenantId,
        alert: &phiguard_core::Alert,
    ) -> Result<Timestamp, VaultError> {
        let earliest = self
            .evidence_events(tenant, alert)?
            .iter()
            .map(|e| e.event.time)
            .min()
            .map_or(alert.first_seen, |t| t.min(alert.first_seen));
        let hour = TimeZone::UTC
            .to_datetime(earliest)
            .with()
            .minute(0)
            .second(0)
            .subsec_nanosecond(0)
            .build()
            .and_then(|start| TimeZone::UTC.to_timestamp(start))
            .map_err(|e| VaultError::internal("the alert's window", e))?;
        Ok(hour)
    }

    fn prepare_incident(
        &self,
        caller: &Caller,
        tenant: &TenantId,
        new: NewIncident,
    ) -> Result<Incident, VaultError> {
        let invalid = |what: &'static str, reason: &str| VaultError::InvalidInput {
            what,
            reason: reason.to_owned(),
        };
        if new.discovered > new.today {
            return Err(invalid(
                "the discovery date",
                "it is in the future; give the day the incident was, or should have been, known",
            ));
        }

        let alert = match &new.from_alert {
            Some(id) => Some(
                self.store()
                    .alert(tenant, id)?
                    .ok_or(VaultError::NotFound("the alert"))?,
            ),
            None => None,
        };
        let summary = match (&new.summary, &alert) {
            (Some(text), _) => Some(check_free_text("the summary", text)?),
            (None, Some(_)) => None,
            (None, None) => {
                return Err(invalid(
                    "the incident",
                    "it needs a summary or the alert it grew from",
                ));
            }
        };

        let mut actors = new.actors.clone();
        if actors.is_empty()
            && let Some(alert) = &alert
        {
            actors.push(alert.actor.clone());
        }
        if actors.is_empty() {
            return Err(invalid(
                "the incident",
                "name the actor(s) under investigation",
            ));
        }
        actors.sort();
        actors.dedup();
        for actor in &actors {
            if self.store().actor(tenant, actor)?.is_none() {
                return Err(invalid(
                    "the actors under investigation",
                    "one of them is not an actor of this tenant; list them with `phiguard actors \
                     list`",
                ));
            }
        }

        let window = match (new.window, &alert) {
            (Some(window), _) => window,
            (None, Some(alert)) => IncidentWindow {
                start: self.alert_window_start(tenant, alert)?,
                end: alert
                    .last_seen
                    .checked_add(Span::new().seconds(1))
                    .map_err(|e| VaultError::internal("the alert's window", e))?,
            },
            (None, None) => {
                return Err(invalid(
                    "the incident",
                    "give the window under investigation (from and until)",
                ));
            }
        };
        if window.start >= window.end {
            return Err(invalid("the window", "its start is not before its end"));
        }
        let latest = Timestamp::now()
            .checked_add(Span::new().minutes(5))
            .map_err(|e| VaultError::internal("the clock", e))?;
        if window.end > latest {
            return Err(invalid(
                "the window",
                "it ends in the future; end it now at the latest and widen it later if needed",
            ));
        }
        // Dates are the tenant's calendar dates: a window opening at 00:18 UTC opened the
        // evening before in New York.
        let zone = self.tenant_time_zone(tenant)?.unwrap_or(TimeZone::UTC);
        let started = zone.to_datetime(window.start).date();
        if new.discovered < started {
            return Err(invalid(
                "the discovery date",
                "it is before the incident's window starts; a breach cannot be discovered \
                 before it happened",
            ));
        }

        Ok(Incident {
            version: DOCUMENT_VERSION,
            id: new_incident_id()?,
            tenant: tenant.clone(),
            opened_at: Timestamp::now(),
            opened_by: caller.actor_id().clone(),
            discovered: new.discovered,
            summary,
            from_alert: new.from_alert,
            actors,
            window,
            role: new.role,
            blast_radius: None,
            facts: None,
            determination: None,
            law_enforcement_delay: None,
            notices: Vec::new(),
            history: Vec::new(),
        })
    }

    /// Reads one incident, recording the read.
    ///
    /// # Errors
    ///
    /// [`VaultError::NotFound`] (recorded); storage failures.
    pub async fn incident(
        &self,
        caller: &Caller,
        tenant: &TenantId,
        id: &IncidentId,
    ) -> Result<Incident, VaultError> {
        let action = AuditAction::ReadIncident;
        self.authorize_incident(caller, tenant, action).await?;
        let incident = match self.load_incident(tenant, id) {
            Ok(incident) => incident,
            Err(error) => return Err(self.refuse_incident(caller, action, error).await),
        };
        let mut event = self.event(caller, action, Decision::Allow, Outcome::Success);
        event.target = Some(id.to_string());
        self.record(vec![event]).await?;
        Ok(incident)
    }

    /// A tenant's incidents, oldest first, recording the read.
    ///
    /// # Errors
    ///
    /// Storage failures; a stored document this build cannot read.
    pub async fn incidents(
        &self,
        caller: &Caller,
        tenant: &TenantId,
    ) -> Result<Vec<Incident>, VaultError> {
        let action = AuditAction::ReadIncident;
        self.authorize_incident(caller, tenant, action).await?;
        let incidents = self
            .store()
            .incidents(tenant)?
            .iter()
            .map(decode)
            .collect::<Result<Vec<_>, _>>()?;
        let mut event = self.event(caller, action, Decision::Allow, Outcome::Success);
        event.count = Some(incidents.len() as u64);
        self.record(vec![event]).await?;
        Ok(incidents)
    }

    fn load_incident(&self, tenant: &TenantId, id: &IncidentId) -> Result<Incident, VaultError> {
        let stored = self
            .store()
            .incident(tenant, id)?
            .ok_or(VaultError::NotFound("the incident"))?;
        decode(&stored)
    }

    /// Works out the blast radius: exactly which subjects' PHI the incident's actors received
    /// in its window (from the audit trail), which categories, and how many live in each
    /// state (from masked addresses, read as the recorded breach-analysis job).
    ///
    /// # Errors
    ///
    /// [`VaultError::InvalidInput`] when the actors have no events at all in the window —
    /// never a silent zero: the actors or the window are probably wrong. Refusals are
    /// recorded.
    pub async fn scope_incident(
        &self,
        caller: &Caller,
        tenant: &TenantId,
        id: &IncidentId,
    ) -> Result<Incident, VaultError> {
        let action = AuditAction::ComputeBlastRadius;
        self.authorize_incident(caller, tenant, action).await?;
        let mut incident = match self.load_incident(tenant, id) {
            Ok(incident) => incident,
            Err(error) => return Err(self.refuse_incident(caller, action, error).await),
        };

        let window = incident.window;
        let exposure = self.exposure(tenant, &incident.actors, window.start, window.end)?;
        if exposure.events == 0 {
            let error = VaultError::InvalidInput {
                what: "the incident's window",
                reason: format!(
                    "the audit trail has no events by {} between {} and {}; check the actors \
                     and the window",
                    incident
                        .actors
                        .iter()
                        .map(ActorId::as_str)
                        .collect::<Vec<_>>()
                        .join(", "),
                    window.start,
                    window.end
                ),
            };
            return Err(self.refuse_incident(caller, action, error).await);
        }

        let subjects: BTreeSet<SubjectId> = exposure.subjects.keys().cloned().collect();
        let residences = self.residences(tenant, &subjects).await?;
        let mut affected = Affected::default();
        let mut unreachable = 0;
        let mut disposed = 0;
        for subject in &subjects {
            match residences.get(subject) {
                Some(residence) => {
                    match residence.state.as_deref().and_then(jurisdiction_of) {
                        Some(state) => *affected.by_jurisdiction.entry(state).or_insert(0) += 1,
                        None => affected.unknown_jurisdiction += 1,
                    }
                    if !residence.reachable {
                        unreachable += 1;
                    }
                }
                None => {
                    disposed += 1;
                    unreachable += 1;
                    affected.unknown_jurisdiction += 1;
                }
            }
        }

        let mut categories_clear = BTreeMap::new();
        for levels in exposure.subjects.values() {
            for (category, level) in levels {
                if *level == phiguard_core::Disclosure::Clear {
                    *categories_clear.entry(*category).or_insert(0) += 1;
                }
            }
        }
        let radius = BlastRadius {
            computed_at: Timestamp::now(),
            events: exposure.events,
            disclosing_events: exposure.disclosing_events,
            subjects: subjects.iter().cloned().collect(),
            categories: exposure.categories(),
            categories_clear,
            affected,
            unreachable,
            disposed,
            first_event: exposure.first_event,
            last_event: exposure.last_event,
        };
        let detail = format!(
            "blast radius: {} subject(s) from {} disclosing event(s) of {}; {} in no known \
             state; {} unreachable",
            radius.subjects.len(),
            radius.disclosing_events,
            radius.events,
            radius.affected.unknown_jurisdiction,
            radius.unreachable
        );
        let count = radius.subjects.len() as u64;
        incident.blast_radius = Some(radius);
        incident.step(caller, action, detail);
        self.commit_incident(caller, &incident, action, Some(count))
            .await?;
        Ok(incident)
    }

    /// Records the 164.402 assessment and the determination drawn from it.
    ///
    /// # Errors
    ///
    /// [`VaultError::InvalidInput`] for a note shaped like PHI; as for [`Vault::incident`].
    pub async fn assess_incident(
        &self,
        caller: &Caller,
        tenant: &TenantId,
        id: &IncidentId,
        facts: BreachFacts,
    ) -> Result<Incident, VaultError> {
        let action = AuditAction::AssessIncident;
        self.authorize_incident(caller, tenant, action).await?;
        let loaded = self
            .load_incident(tenant, id)
            .and_then(|incident| check_facts(&facts).map(|()| incident));
        let mut incident = match loaded {
            Ok(incident) => incident,
            Err(error) => return Err(self.refuse_incident(caller, action, error).await),
        };

        let determination = phiguard_breach::determine(&facts);
        let outcome = serde_json::to_value(determination.outcome)
            .ok()
            .and_then(|v| v.get("kind").and_then(|k| k.as_str()).map(str::to_owned))
            .unwrap_or_else(|| "breach".into());
        incident.step(
            caller,
            action,
            "four-factor assessment and exclusions recorded".into(),
        );
        incident.step(
            caller,
            AuditAction::DecideIncident,
            format!(
                "determination: {outcome}; notification {}",
                if determination.notification_required {
                    "required"
                } else {
                    "not required"
                }
            ),
        );
        incident.facts = Some(facts);
        incident.determination = Some(determination);

        let mut decided = self.event(
            caller,
            AuditAction::DecideIncident,
            Decision::Allow,
            Outcome::Success,
        );
        decided.target = Some(format!("{} {outcome}", incident.id));
        let stored = incident.stored()?;
        let mut assessed = self.event(caller, action, Decision::Allow, Outcome::Success);
        assessed.target = Some(digest_target(&incident.id, &stored.document));
        self.store()
            .submit(vec![
                Change::PutIncident(stored),
                Change::Audit(assessed),
                Change::Audit(decided),
            ])
            .await?;
        Ok(incident)
    }

    /// Records a law-enforcement delay (45 CFR 164.412).
    ///
    /// # Errors
    ///
    /// [`VaultError::InvalidInput`] when the delay contradicts itself or the discovery date;
    /// as for [`Vault::incident`].
    pub async fn delay_incident(
        &self,
        caller: &Caller,
        tenant: &TenantId,
        id: &IncidentId,
        delay: LawEnforcementDelay,
        today: Date,
    ) -> Result<Incident, VaultError> {
        let action = AuditAction::DelayNotification;
        self.authorize_incident(caller, tenant, action).await?;
        let stated_on = match delay {
            LawEnforcementDelay::Written { stated_on, .. }
            | LawEnforcementDelay::Oral { stated_on, .. } => stated_on,
        };
        let loaded = self.load_incident(tenant, id).and_then(|incident| {
            if stated_on > today {
                Err(VaultError::InvalidInput {
                    what: "the law-enforcement statement's date",
                    reason: "it is in the future".into(),
                })
            } else {
                Ok(incident)
            }
        });
        let mut incident = match loaded {
            Ok(incident) => incident,
            Err(error) => return Err(self.refuse_incident(caller, action, error).await),
        };

        let previous = incident.law_enforcement_delay.replace(delay);
        if incident.blast_radius.is_some()
            && let Err(error) = incident.schedule()
        {
            incident.law_enforcement_delay = previous;
            return Err(self.refuse_incident(caller, action, error).await);
        }
        incident.step(caller, action, "law-enforcement delay recorded".into());
        self.commit_incident(caller, &incident, action, None)
            .await?;
        Ok(incident)
    }

    /// Records that a notice was sent.
    ///
    /// # Errors
    ///
    /// [`VaultError::InvalidInput`] for an unknown recipient kind, or a date in the future or
    /// before discovery; as for [`Vault::incident`].
    pub async fn record_notice(
        &self,
        caller: &Caller,
        tenant: &TenantId,
        id: &IncidentId,
        recipient: &str,
        sent_on: Date,
        today: Date,
    ) -> Result<Incident, VaultError> {
        let action = AuditAction::RecordNotification;
        self.authorize_incident(caller, tenant, action).await?;
        let checked = self.load_incident(tenant, id).and_then(|incident| {
            let recipient = notice_recipient(recipient)?;
            let invalid = |reason: &str| VaultError::InvalidInput {
                what: "the notice date",
                reason: reason.to_owned(),
            };
            if sent_on > today {
                return Err(invalid("it is in the future"));
            }
            if sent_on < incident.discovered {
                return Err(invalid("it is before the incident was discovered"));
            }
            Ok((incident, recipient))
        });
        let (mut incident, recipient) = match checked {
            Ok(found) => found,
            Err(error) => return Err(self.refuse_incident(caller, action, error).await),
        };

        incident.notices.push(NoticeSent {
            recipient: recipient.clone(),
            sent_on,
            recorded_by: caller.actor_id().clone(),
            recorded_at: Timestamp::now(),
        });
        incident.step(
            caller,
            action,
            format!("notice to {recipient} sent on {sent_on}"),
        );
        self.commit_incident(caller, &incident, action, None)
            .await?;
        Ok(incident)
    }
}

/// The recipient kinds a notice can be recorded for.
fn notice_recipient(text: &str) -> Result<String, VaultError> {
    let text = text.trim();
    let known = ["individuals", "hhs", "media", "covered-entity"];
    if known.contains(&text) {
        return Ok(text.to_owned());
    }
    if let Some(code) = text.strip_prefix("state:")
        && let Ok(state) = code.parse::<Jurisdiction>()
    {
        return Ok(format!("state:{}", state.code()));
    }
    Err(VaultError::InvalidInput {
        what: "the notice recipient",
        reason: "use individuals, hhs, media, covered-entity or state:XX (a USPS code)".into(),
    })
}

/// The target of an incident step's audit event: the incident and the SHA-256 of the record
/// as that step left it, so the ledger commits to every version an auditor may be shown.
fn digest_target(id: &IncidentId, document: &str) -> String {
    format!("{id} sha256={}", crate::sha256_hex(document.as_bytes()))
}

fn new_incident_id() -> Result<IncidentId, VaultError> {
    let mut bytes = [0; IncidentId::RANDOM_BYTES];
    phiguard_crypto::random_bytes(&mut bytes)?;
    Ok(IncidentId::from_random(bytes))
}

fn decode(stored: &StoredIncident) -> Result<Incident, VaultError> {
    serde_json::from_str(&stored.document).map_err(|_| {
        VaultError::internal(
            "a stored incident",
            format!("incident {} does not decode", stored.id),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifier_shaped_text_is_refused_and_dates_are_not() {
        assert!(check_free_text("x", "support agent read records at night on 2026-11-02").is_ok());
        for bad in [
            "patient jane@example.com called",
            "SSN 999-12-3456 seen",
            "phone (617) 555-0100",
            "   ",
        ] {
            let error = check_free_text("the summary", bad).unwrap_err().to_string();
            assert!(error.starts_with("the summary is invalid"), "{error}");
            assert!(!error.contains("555") && !error.contains("jane"), "{error}");
        }
    }

    #[test]
    fn states_are_read_from_codes_and_names() {
        assert_eq!(jurisdiction_of("TX").map(|j| j.code()), Some("TX"));
        assert_eq!(
            jurisdiction_of("Massachusetts").map(|j| j.code()),
            Some("MA")
        );
        assert_eq!(jurisdiction_of("Ontario"), None);
    }

    #[test]
    fn notice_recipients_are_a_closed_set() {
        assert_eq!(notice_recipient("state:tx").unwrap(), "state:TX");
        assert_eq!(notice_recipient("hhs").unwrap(), "hhs");
        assert!(notice_recipient("newspaper").is_err());
        assert!(notice_recipient("state:XX").is_err());
    }
}
