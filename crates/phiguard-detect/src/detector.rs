//! The detector: the events go in one at a time, in order; alert changes come out.

use std::collections::HashMap;

use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use phiguard_core::{
    ActorId, ActorKind, Alert, AuditEvent, CredentialId, DetectionRule, EvidenceRef, RecipientId,
    TenantId,
};

use crate::config::{ConfigError, DetectConfig};
use crate::dedup::{AlertChange, Folding, Subject};
use crate::directory::{ActorProfile, Directory, TenantProfile};
use crate::finding::Finding;
use crate::hours::{BusinessHours, HoursMask};
use crate::rules::access::{self, Dormancy, OffHours, Purpose, Recipient, TenantClock};
use crate::rules::burst::DeniedWindow;
use crate::rules::network::{self, NetworkMemory};
use crate::rules::volume::{HourlyReads, Requests};
use crate::warnings::Warning;

/// How often, in stream time, state that can no longer matter is dropped.
const SWEEP_EVERY: SignedDuration = SignedDuration::from_secs(60);

/// How many rules there are; open alerts are kept in an array indexed by rule.
const RULES: usize = DetectionRule::ALL.len();

/// Runs every enabled rule over the audit stream.
///
/// Feed it events in audit order with [`Detector::observe`] (or [`Detector::learn`] for
/// history that should only shape baselines). All time comes from the events, so a replay of
/// the same events with the same configuration and directory gives the same alerts, ids
/// included.
#[derive(Debug)]
pub struct Detector {
    config: DetectConfig,
    folding: Folding,
    directory: Directory,
    /// Time zones and hours that configuration gives per tenant, resolved once.
    overrides: HashMap<TenantId, (Option<TimeZone>, Option<BusinessHours>)>,
    tenant_index: HashMap<TenantId, usize>,
    tenants: Vec<TenantState>,
    actors: Vec<ActorState>,
    /// Network ranges per credential.
    credentials: HashMap<CredentialId, NetworkMemory>,
    latest: Option<Timestamp>,
    next_sweep: Option<Timestamp>,
    /// Reused by baseline quantiles.
    scratch: Vec<u32>,
}

/// How much state a [`Detector`] holds: for metrics, and to see that it stays bounded.
///
/// Tenants, actors and credentials stay as long as the detector (they are what the deployment
/// has); the rest is dropped, at most a minute of stream time after it can no longer matter.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Footprint {
    /// Tenants seen.
    pub tenants: usize,
    /// Actors seen.
    pub actors: usize,
    /// Credentials whose network ranges are remembered.
    pub credentials: usize,
    /// Request ids still able to add subjects.
    pub open_requests: usize,
    /// Refusals kept for burst detection.
    pub refusals: usize,
    /// Past active hours kept for bulk-read baselines.
    pub history_hours: usize,
    /// Alerts kept for folding.
    pub open_alerts: usize,
}

#[derive(Debug)]
struct TenantState {
    id: TenantId,
    clock: TenantClock,
    actors: HashMap<ActorId, usize>,
    /// PHI accesses by users that off_hours could not judge.
    no_zone: u64,
}

#[derive(Debug)]
struct ActorState {
    tenant: TenantId,
    id: ActorId,
    /// The kind the actor's latest event gave.
    kind: ActorKind,
    profile: Option<ActorProfile>,
    last_activity: Option<Timestamp>,
    denied: DeniedWindow,
    reads: HourlyReads,
    requests: Requests,
    /// Network ranges of the actor's events that carry no credential id.
    networks: NetworkMemory,
    open: [Option<Alert>; RULES],
    unknown_activity: bool,
    no_purposes: u64,
    no_recipient: u64,
}

impl Detector {
    /// A detector with a validated configuration and what is known besides the events.
    pub fn new(config: DetectConfig, directory: Directory) -> Result<Detector, ConfigError> {
        config.validate()?;

        let mut overrides = HashMap::new();
        for (tenant, hours) in &config.off_hours.tenants {
            let zone = match &hours.time_zone {
                Some(name) => {
                    Some(
                        TimeZone::get(name).map_err(|_| ConfigError::UnknownTimeZone {
                            key: format!("off_hours.tenants.{tenant}.time_zone"),
                        })?,
                    )
                }
                None => None,
            };
            overrides.insert(tenant.clone(), (zone, hours.business_hours.clone()));
        }

        Ok(Detector {
            folding: Folding {
                window: config.dedup_window(),
                evidence_cap: config.dedup.evidence_cap,
            },
            config,
            directory,
            overrides,
            tenant_index: HashMap::new(),
            tenants: Vec::new(),
            actors: Vec::new(),
            credentials: HashMap::new(),
            latest: None,
            next_sweep: None,
            scratch: Vec::new(),
        })
    }

    /// Runs the rules over the next event and returns the alerts it opened or updated, in the
    /// order of [`DetectionRule::ALL`].
    pub fn observe(&mut self, event: &AuditEvent, evidence: EvidenceRef) -> Vec<AlertChange> {
        self.process(event, evidence, true)
    }

    /// Takes in an event as history: baselines, windows, known networks and last activity
    /// move on exactly as under [`Detector::observe`], but no alert is raised or updated and
    /// no warning is counted. For warming up on the events before the ones to watch.
    pub fn learn(&mut self, event: &AuditEvent, evidence: EvidenceRef) {
        self.process(event, evidence, false);
    }

    /// Where rules could not judge observed events, sorted; empty when every rule could
    /// judge every event it applies to.
    pub fn warnings(&self) -> Vec<Warning> {
        let mut warnings = Vec::new();
        for tenant in &self.tenants {
            if tenant.no_zone > 0 {
                warnings.push(Warning::NoTimeZone {
                    tenant: tenant.id.clone(),
                    events: tenant.no_zone,
                });
            }
        }
        for actor in &self.actors {
            if actor.unknown_activity {
                warnings.push(Warning::UnknownActivity {
                    tenant: actor.tenant.clone(),
                    actor: actor.id.clone(),
                });
            }
            if actor.no_purposes > 0 {
                warnings.push(Warning::NoDeclaredPurposes {
                    tenant: actor.tenant.clone(),
                    actor: actor.id.clone(),
                    kind: actor.kind,
                    events: actor.no_purposes,
                });
            }
            if actor.no_recipient > 0 {
                warnings.push(Warning::NoRecipient {
                    tenant: actor.tenant.clone(),
                    actor: actor.id.clone(),
                    events: actor.no_recipient,
                });
            }
        }
        warnings.sort();
        warnings
    }

    /// The alerts that a firing at the time of the latest event would still fold into.
    pub fn open_alerts(&self) -> impl Iterator<Item = &Alert> {
        let latest = self.latest;
        let folding = self.folding;
        self.actors
            .iter()
            .flat_map(|actor| actor.open.iter().flatten())
            .filter(move |alert| latest.is_some_and(|now| folding.is_open(alert.last_seen, now)))
    }

    /// How much state the detector holds.
    pub fn footprint(&self) -> Footprint {
        let mut footprint = Footprint {
            tenants: self.tenants.len(),
            actors: self.actors.len(),
            credentials: self.credentials.len(),
            ..Footprint::default()
        };
        for actor in &self.actors {
            footprint.open_requests += actor.requests.len();
            footprint.refusals += actor.denied.len();
            footprint.history_hours += actor.reads.history_len();
            footprint.open_alerts += actor.open.iter().flatten().count();
        }
        footprint
    }

    /// The configuration in force.
    pub fn config(&self) -> &DetectConfig {
        &self.config
    }

    /// What the detector knows besides the events.
    pub fn directory(&self) -> &Directory {
        &self.directory
    }

    /// Adds or replaces a tenant; its time zone and hours apply from the next event.
    pub fn put_tenant(&mut self, tenant: TenantId, profile: TenantProfile) {
        self.directory.put_tenant(tenant.clone(), profile);
        if let Some(&index) = self.tenant_index.get(&tenant) {
            self.tenants[index].clock = self.clock_for(&tenant);
        }
    }

    /// Adds or replaces an actor (created, changed, given purposes or a default recipient).
    /// A `last_activity` later than the one the stream showed moves it on.
    pub fn put_actor(&mut self, tenant: TenantId, actor: ActorId, profile: ActorProfile) {
        let index = self
            .tenant_index
            .get(&tenant)
            .and_then(|&t| self.tenants[t].actors.get(&actor).copied());
        if let Some(index) = index {
            let state = &mut self.actors[index];
            state.last_activity = state.last_activity.max(profile.last_activity);
            state.profile = Some(profile.clone());
        }
        self.directory.put_actor(tenant, actor, profile);
    }

    /// Records that a business associate agreement covers `recipient`.
    pub fn add_baa_recipient(&mut self, recipient: RecipientId) {
        self.directory.add_baa_recipient(recipient);
    }

    /// Records that no agreement covers `recipient` any more; whether it was covered before.
    pub fn remove_baa_recipient(&mut self, recipient: &RecipientId) -> bool {
        self.directory.remove_baa_recipient(recipient)
    }

    fn process(
        &mut self,
        event: &AuditEvent,
        evidence: EvidenceRef,
        observing: bool,
    ) -> Vec<AlertChange> {
        self.latest = Some(self.latest.map_or(event.time, |t| t.max(event.time)));
        self.sweep_if_due(event.time);
        let (t, a) = self.locate(&event.tenant, &event.actor, event.actor_kind);

        let config = &self.config;
        let tenant = &mut self.tenants[t];
        let actor = &mut self.actors[a];
        let cap = config.dedup.evidence_cap;
        let mut findings: Vec<Finding> = Vec::new();

        if config.denied_burst.enabled {
            findings.extend(actor.denied.observe(event, evidence, &config.denied_burst));
        }
        if config.cross_tenant.enabled {
            findings.extend(access::cross_tenant(event, evidence));
        }
        if config.bulk_read.enabled {
            let found =
                actor
                    .reads
                    .observe(event, evidence, &config.bulk_read, cap, &mut self.scratch);
            findings.extend(found);
        }
        if config.bulk_export.enabled {
            findings.extend(
                actor
                    .requests
                    .observe(event, evidence, &config.bulk_export, cap),
            );
        }

        if config.off_hours.enabled {
            match access::off_hours(event, evidence, &tenant.clock) {
                OffHours::Fine => {}
                OffHours::NoZone => tenant.no_zone += u64::from(observing),
                OffHours::Fired(finding) => findings.push(finding),
            }
        }

        if config.dormant_actor.enabled {
            let idle_days = config.dormant_actor.idle_days;
            let profile = actor.profile.as_ref();
            match access::dormant(event, evidence, actor.last_activity, profile, idle_days) {
                Dormancy::Fine => {}
                Dormancy::Unknown => actor.unknown_activity |= observing,
                Dormancy::Fired(finding) => findings.push(finding),
            }
        }
        if access::is_activity(event) {
            actor.last_activity = Some(
                actor
                    .last_activity
                    .map_or(event.time, |t| t.max(event.time)),
            );
        }

        if config.break_glass.enabled {
            findings.extend(access::break_glass(event, evidence));
        }

        if config.recipient_without_baa.enabled {
            let profile = actor.profile.as_ref();
            match access::recipient(event, evidence, profile, &self.directory) {
                Recipient::Fine => {}
                Recipient::Unknown => actor.no_recipient += u64::from(observing),
                Recipient::Fired(finding) => findings.push(finding),
            }
        }

        if config.outside_declared_purpose.enabled {
            match access::declared_purpose(event, evidence, actor.profile.as_ref()) {
                Purpose::Fine => {}
                Purpose::Undeclared => actor.no_purposes += u64::from(observing),
                Purpose::Fired(finding) => findings.push(finding),
            }
        }

        if config.new_network.enabled
            && let Some(range) = network::range_of(event, &config.new_network)
        {
            let memory = match &event.credential {
                Some(credential) => {
                    if !self.credentials.contains_key(credential) {
                        self.credentials
                            .insert(credential.clone(), NetworkMemory::default());
                    }
                    self.credentials.get_mut(credential)
                }
                None => Some(&mut actor.networks),
            };
            findings.extend(memory.and_then(|m| network::observe(m, range, event, evidence)));
        }

        if !observing || findings.is_empty() {
            return Vec::new();
        }

        let who = Subject {
            tenant: &actor.tenant,
            actor: &actor.id,
            kind: event.actor_kind,
        };
        let folding = self.folding;
        findings
            .into_iter()
            .map(|finding| {
                let slot = &mut actor.open[finding.rule as usize];
                folding.fold(slot, finding, event.time, &who)
            })
            .collect()
    }

    /// The indexes of the event's tenant and actor, creating their state on first sight.
    fn locate(&mut self, tenant: &TenantId, actor: &ActorId, kind: ActorKind) -> (usize, usize) {
        let t = match self.tenant_index.get(tenant) {
            Some(&t) => t,
            None => {
                let state = TenantState {
                    id: tenant.clone(),
                    clock: self.clock_for(tenant),
                    actors: HashMap::new(),
                    no_zone: 0,
                };
                self.tenants.push(state);
                self.tenant_index
                    .insert(tenant.clone(), self.tenants.len() - 1);
                self.tenants.len() - 1
            }
        };

        if let Some(&a) = self.tenants[t].actors.get(actor) {
            self.actors[a].kind = kind;
            return (t, a);
        }
        let profile = self.directory.actor(tenant, actor).cloned();
        let state = ActorState {
            tenant: tenant.clone(),
            id: actor.clone(),
            kind,
            last_activity: profile.as_ref().and_then(|p| p.last_activity),
            profile,
            denied: DeniedWindow::default(),
            reads: HourlyReads::new(&self.config.bulk_read),
            requests: Requests::default(),
            networks: NetworkMemory::default(),
            open: Default::default(),
            unknown_activity: false,
            no_purposes: 0,
            no_recipient: 0,
        };
        self.actors.push(state);
        let a = self.actors.len() - 1;
        self.tenants[t].actors.insert(actor.clone(), a);
        (t, a)
    }

    /// A tenant's time zone and hours: configuration first, then the directory, then the
    /// configured default hours (and no time zone).
    fn clock_for(&self, tenant: &TenantId) -> TenantClock {
        let configured = self.overrides.get(tenant);
        let listed = self.directory.tenant(tenant);

        let zone = configured
            .and_then(|(zone, _)| zone.clone())
            .or_else(|| listed.and_then(|profile| profile.time_zone.clone()));
        let hours = configured
            .and_then(|(_, hours)| hours.clone())
            .or_else(|| listed.and_then(|profile| profile.business_hours.clone()))
            .unwrap_or_else(|| self.config.off_hours.business_hours.clone());

        TenantClock {
            zone_name: zone
                .as_ref()
                .and_then(|zone| zone.iana_name())
                .unwrap_or("the tenant's fixed offset")
                .to_owned(),
            zone,
            hours: HoursMask::of(&hours),
            hours_text: hours.to_string(),
        }
    }

    /// Drops windows, requests and alerts that no later event can extend.
    fn sweep_if_due(&mut self, now: Timestamp) {
        if self.next_sweep.is_some_and(|due| now < due) {
            return;
        }
        self.next_sweep = now.checked_add(SWEEP_EVERY).ok();

        let folding = self.folding;
        for actor in &mut self.actors {
            actor.denied.sweep(now, &self.config.denied_burst);
            actor.requests.sweep(now, &self.config.bulk_export);
            for slot in &mut actor.open {
                if slot
                    .as_ref()
                    .is_some_and(|alert| !folding.is_open(alert.last_seen, now))
                {
                    *slot = None;
                }
            }
        }
    }
}
