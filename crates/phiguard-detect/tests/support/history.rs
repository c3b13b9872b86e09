//! A generated access history: tenants in several time zones, actors with habits, and weeks of
//! ordinary traffic, produced day by day in audit order from a seeded generator.
//!
//! Shared by the replay test and the throughput example (`#[path]`-included there).

#![allow(dead_code, unreachable_pub, clippy::unwrap_used)] // Shared test set-up: panics on failure.

use std::collections::BTreeSet;

use jiff::civil::{Date, Weekday};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use phiguard_core::{
    ActorId, ActorKind, AuditAction, AuditEvent, Category, CredentialId, Decision, Disclosure,
    EvidenceRef, NetworkRange, Outcome, PurposeOfUse, RecipientId, RecordId, RequestId, SubjectId,
    TenantId,
};
use phiguard_detect::{ActorProfile, Directory, TenantProfile};

/// SplitMix64: small, fast and good enough to make traffic look varied.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// A number in `lo..hi`.
    pub fn between(&mut self, lo: i64, hi: i64) -> i64 {
        lo + self.below((hi - lo) as u64) as i64
    }

    /// A number in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// A Poisson-distributed count (Knuth for small means, a rounded normal for large ones).
    pub fn poisson(&mut self, mean: f64) -> u64 {
        if mean <= 0.0 {
            return 0;
        }
        if mean > 40.0 {
            let u1 = self.unit().max(f64::MIN_POSITIVE);
            let u2 = self.unit();
            let normal = (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos();
            return (mean + normal * mean.sqrt()).round().max(0.0) as u64;
        }
        let limit = (-mean).exp();
        let mut count = 0;
        let mut product = self.unit();
        while product > limit {
            count += 1;
            product *= self.unit();
        }
        count
    }

    pub fn bytes<const N: usize>(&mut self) -> [u8; N] {
        let mut out = [0u8; N];
        for chunk in out.chunks_mut(8) {
            let word = self.next_u64().to_le_bytes();
            chunk.copy_from_slice(&word[..chunk.len()]);
        }
        out
    }
}

/// What an actor does for its tenant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Clinician,
    Pharmacist,
    Support,
    Billing,
    Storefront,
    Fulfillment,
    Payments,
    Analytics,
    Importer,
    KeyRotation,
}

impl Role {
    fn kind(self) -> ActorKind {
        match self {
            Role::Clinician | Role::Pharmacist | Role::Support | Role::Billing => ActorKind::User,
            Role::Storefront | Role::Fulfillment | Role::Payments | Role::Analytics => {
                ActorKind::Service
            }
            Role::Importer | Role::KeyRotation => ActorKind::System,
        }
    }

    pub fn purpose(self) -> PurposeOfUse {
        match self {
            Role::Clinician | Role::Pharmacist => PurposeOfUse::Treat,
            Role::Support | Role::Storefront | Role::Fulfillment => PurposeOfUse::Hoperat,
            Role::Billing | Role::Payments => PurposeOfUse::Hpaymt,
            Role::Analytics => PurposeOfUse::Hqualimp,
            Role::Importer | Role::KeyRotation => PurposeOfUse::Hsysadmin,
        }
    }

    pub fn disclosed(self) -> &'static [(Category, Disclosure)] {
        use Category::*;
        use Disclosure::*;
        match self {
            Role::Clinician => &[(Name, Clear), (Birthdate, Clear), (Clinical, Clear)],
            Role::Pharmacist => &[(Name, Clear), (Clinical, Clear), (Address, Masked)],
            Role::Support => &[(Name, Masked), (Contact, Masked), (Address, Masked)],
            Role::Billing => &[(Identifier, Clear), (Name, Clear), (Financial, Clear)],
            Role::Storefront => &[(Name, Masked), (Contact, Masked)],
            Role::Fulfillment => &[(Name, Clear), (Address, Clear), (Contact, Clear)],
            Role::Payments => &[(Identifier, Clear), (Financial, Clear)],
            Role::Analytics => &[(Demographic, Clear)],
            Role::Importer | Role::KeyRotation => &[],
        }
    }
}

/// One tenant.
#[derive(Debug)]
pub struct Tenant {
    pub id: TenantId,
    pub zone: TimeZone,
    pub zone_name: &'static str,
    pub office: NetworkRange,
    pub subjects: Vec<SubjectId>,
}

/// One actor of one tenant.
#[derive(Debug)]
pub struct Actor {
    pub tenant: usize,
    pub id: ActorId,
    pub role: Role,
    pub kind: ActorKind,
    pub credential: CredentialId,
    /// The first is where most of its traffic comes from.
    pub networks: Vec<NetworkRange>,
    pub purposes: Option<BTreeSet<PurposeOfUse>>,
    pub recipient: Option<RecipientId>,
    /// PHI reads per working (or, for services, busy) hour.
    pub rate: f64,
}

/// Tenants, actors and the platform's BAA recipients.
#[derive(Debug)]
pub struct World {
    pub tenants: Vec<Tenant>,
    pub actors: Vec<Actor>,
    pub baa: Vec<RecipientId>,
    pub start: Date,
    pub days: u32,
}

const TENANTS: [(&str, &str); 8] = [
    ("northwind-pharmacy", "America/New_York"),
    ("cascade-telehealth", "America/Los_Angeles"),
    ("prairie-labs", "America/Chicago"),
    ("desert-rx", "America/Phoenix"),
    ("harbor-supply", "America/Denver"),
    ("bayou-clinic", "America/Chicago"),
    ("summit-health", "America/New_York"),
    ("island-care", "Pacific/Honolulu"),
];

const STAFF: [(Role, usize); 10] = [
    (Role::Clinician, 3),
    (Role::Pharmacist, 2),
    (Role::Support, 2),
    (Role::Billing, 1),
    (Role::Storefront, 1),
    (Role::Fulfillment, 1),
    (Role::Payments, 1),
    (Role::Analytics, 1),
    (Role::Importer, 1),
    (Role::KeyRotation, 1),
];

fn v4(a: u8, b: u8, c: u8) -> NetworkRange {
    NetworkRange::V4(std::net::Ipv4Addr::new(a, b, c, 0))
}

impl World {
    /// `tenant_count` tenants of 14 actors each, over `days` days from `start`.
    pub fn new(seed: u64, tenant_count: usize, start: Date, days: u32) -> World {
        let mut rng = Rng::new(seed);
        let mut tenants = Vec::new();
        let mut actors = Vec::new();

        for t in 0..tenant_count {
            let (name, zone_name) = TENANTS[t % TENANTS.len()];
            let id = if t < TENANTS.len() {
                name.to_owned()
            } else {
                format!("{name}-{}", t / TENANTS.len() + 1)
            };
            let subjects = (0..3000)
                .map(|_| SubjectId::from_random(rng.bytes()))
                .collect();
            let octet = |n: usize| (n % 250) as u8;
            tenants.push(Tenant {
                id: id.parse().unwrap(),
                zone: TimeZone::get(zone_name).unwrap(),
                zone_name,
                office: v4(198, 18, octet(t)),
                subjects,
            });

            for (role, count) in STAFF {
                for n in 0..count {
                    let index = actors.len();
                    let name = match role {
                        Role::Clinician => format!("dr-{n}"),
                        Role::Pharmacist => format!("rx-{n}"),
                        Role::Support => format!("support-{n}"),
                        Role::Billing => format!("billing-{n}"),
                        Role::Storefront => "storefront".into(),
                        Role::Fulfillment => "fulfillment".into(),
                        Role::Payments => "payments".into(),
                        Role::Analytics => "analytics".into(),
                        Role::Importer => "importer".into(),
                        Role::KeyRotation => "key-rotation".into(),
                    };
                    let networks = match role.kind() {
                        ActorKind::User => vec![
                            v4(198, 18, octet(t)),
                            v4(100, 64 + (index / 250 % 60) as u8, octet(index)),
                        ],
                        ActorKind::Service => vec![v4(172, 16 + (t / 250 % 16) as u8, octet(t))],
                        ActorKind::System => Vec::new(),
                    };
                    let purposes =
                        (role.kind() != ActorKind::User).then(|| BTreeSet::from([role.purpose()]));
                    let recipient = match role {
                        Role::Storefront => Some("shopfront-host"),
                        Role::Fulfillment => Some("shipfast"),
                        Role::Payments => Some("payrail"),
                        Role::Analytics => Some("insightly"),
                        _ => None,
                    };
                    let rate = match role {
                        Role::Clinician => rng.between(12, 26) as f64,
                        Role::Pharmacist => rng.between(15, 31) as f64,
                        Role::Support => rng.between(6, 16) as f64,
                        Role::Billing => rng.between(5, 13) as f64,
                        Role::Storefront => rng.between(20, 41) as f64,
                        Role::Payments => rng.between(4, 11) as f64,
                        _ => 0.0,
                    };
                    actors.push(Actor {
                        tenant: t,
                        id: name.parse().unwrap(),
                        role,
                        kind: role.kind(),
                        credential: CredentialId::from_random(rng.bytes()),
                        networks,
                        purposes,
                        recipient: recipient.map(|r| r.parse().unwrap()),
                        rate,
                    });
                }
            }
        }

        let baa = ["shopfront-host", "shipfast", "payrail", "insightly"]
            .map(|r| r.parse().unwrap())
            .to_vec();
        World {
            tenants,
            actors,
            baa,
            start,
            days,
        }
    }

    /// The directory the store would give: zones, actors created long ago and active the day
    /// before the history starts, declared purposes, default recipients and BAAs.
    pub fn directory(&self) -> Directory {
        let mut directory = Directory::new();
        for tenant in &self.tenants {
            directory.put_tenant(
                tenant.id.clone(),
                TenantProfile::in_time_zone(tenant.zone_name).unwrap(),
            );
        }
        let start = self.midnight(0, self.start);
        for actor in &self.actors {
            let mut profile = ActorProfile::new(actor.kind);
            profile.declared_purposes = actor.purposes.clone();
            profile.default_recipient = actor.recipient.clone();
            profile.created_at = Some(start - SignedDuration::from_hours(300 * 24));
            profile.last_activity = Some(start - SignedDuration::from_hours(24));
            directory.put_actor(
                self.tenants[actor.tenant].id.clone(),
                actor.id.clone(),
                profile,
            );
        }
        for recipient in &self.baa {
            directory.add_baa_recipient(recipient.clone());
        }
        directory
    }

    /// The `n`th actor of `role` in tenant `tenant`.
    pub fn actor(&self, tenant: usize, role: Role, n: usize) -> &Actor {
        self.actors
            .iter()
            .filter(|a| a.tenant == tenant && a.role == role)
            .nth(n)
            .unwrap()
    }

    /// Local midnight starting `date` in a tenant's zone.
    pub fn midnight(&self, tenant: usize, date: Date) -> Timestamp {
        self.local(tenant, date, 0, 0)
    }

    /// A local wall-clock time in a tenant's zone.
    pub fn local(&self, tenant: usize, date: Date, hour: i8, minute: i8) -> Timestamp {
        self.tenants[tenant]
            .zone
            .to_timestamp(date.at(hour, minute, 0, 0))
            .unwrap()
    }

    /// An event by `actor` at `time` with its credential and main network.
    pub fn event(
        &self,
        actor: &Actor,
        action: AuditAction,
        decision: Decision,
        time: Timestamp,
    ) -> AuditEvent {
        let outcome = match decision {
            Decision::Allow => Outcome::Success,
            Decision::Deny => Outcome::Denied,
        };
        let mut event = AuditEvent::new(
            self.tenants[actor.tenant].id.clone(),
            actor.id.clone(),
            actor.kind,
            action,
            decision,
            outcome,
        );
        event.time = time;
        event.credential = (actor.kind != ActorKind::System).then(|| actor.credential.clone());
        event.network = actor.networks.first().copied();
        event
    }

    /// A PHI read of `subject` by `actor` disclosing what its role sees.
    pub fn phi_read(
        &self,
        actor: &Actor,
        action: AuditAction,
        time: Timestamp,
        subject: &SubjectId,
        record: RecordId,
    ) -> AuditEvent {
        let mut event = self.event(actor, action, Decision::Allow, time);
        event.purpose = Some(actor.role.purpose());
        event.subject = Some(subject.clone());
        event.record = Some(record);
        event.record_type = Some("fhir.MedicationRequest".into());
        event
            .disclosed
            .extend(actor.role.disclosed().iter().copied());
        event
    }
}

/// One event of the history, numbered, and the injected case it belongs to, if any.
#[derive(Debug)]
pub struct Replayed {
    pub event: AuditEvent,
    pub evidence: EvidenceRef,
    pub case: Option<&'static str>,
}

/// Produces the history one local day at a time, in audit order.
pub struct History {
    world: World,
    rng: Rng,
    day: u32,
    pending: Vec<(AuditEvent, Option<&'static str>)>,
    seq: u64,
    leaves: Vec<u64>,
    requests: u64,
}

impl History {
    pub fn new(world: World, seed: u64) -> History {
        let tenants = world.tenants.len();
        History {
            world,
            rng: Rng::new(seed),
            day: 0,
            pending: Vec::new(),
            seq: 0,
            leaves: vec![0; tenants],
            requests: 0,
        }
    }

    pub fn world(&self) -> &World {
        &self.world
    }

    /// Adds events of an injected case; they come out in time order with the rest.
    pub fn inject(&mut self, case: &'static str, events: Vec<AuditEvent>) {
        self.pending
            .extend(events.into_iter().map(|event| (event, Some(case))));
    }

    /// A fresh request id.
    pub fn request_id(&mut self) -> RequestId {
        self.requests += 1;
        format!("req-{:08x}", self.requests).parse().unwrap()
    }

    /// The date of day `day` of the history.
    pub fn date(&self, day: u32) -> Date {
        self.world
            .start
            .checked_add(jiff::Span::new().days(i64::from(day)))
            .unwrap()
    }

    /// The next day's events, numbered; `None` once every day has been produced.
    pub fn next_day(&mut self) -> Option<Vec<Replayed>> {
        if self.day >= self.world.days {
            return None;
        }

        let date = self.date(self.day);
        for tenant in 0..self.world.tenants.len() {
            self.generate(tenant, date);
        }
        self.day += 1;

        let last = self.day >= self.world.days;
        let next = self.date(self.day);
        let bound = (0..self.world.tenants.len())
            .map(|t| self.world.midnight(t, next))
            .min()
            .unwrap();

        self.pending.sort_by_key(|(event, _)| event.time);
        let cut = if last {
            self.pending.len()
        } else {
            self.pending
                .partition_point(|(event, _)| event.time < bound)
        };
        let ready: Vec<_> = self.pending.drain(..cut).collect();
        Some(
            ready
                .into_iter()
                .map(|(event, case)| self.number(event, case))
                .collect(),
        )
    }

    fn number(&mut self, event: AuditEvent, case: Option<&'static str>) -> Replayed {
        self.seq += 1;
        let tenant = self
            .world
            .tenants
            .iter()
            .position(|t| t.id == event.tenant)
            .unwrap();
        let leaf = self.leaves[tenant];
        self.leaves[tenant] += 1;
        Replayed {
            event,
            evidence: EvidenceRef {
                seq: self.seq,
                leaf,
            },
            case,
        }
    }

    fn generate(&mut self, tenant: usize, date: Date) {
        let actors: Vec<usize> = (0..self.world.actors.len())
            .filter(|&a| self.world.actors[a].tenant == tenant)
            .collect();
        for a in actors {
            match self.world.actors[a].kind {
                ActorKind::User => self.workday(a, date),
                ActorKind::Service => self.service_day(a, date),
                ActorKind::System => self.system_day(a, date),
            }
        }
    }

    fn subject(&mut self, tenant: usize) -> SubjectId {
        let subjects = &self.world.tenants[tenant].subjects;
        let index = self.rng.below(subjects.len() as u64) as usize;
        subjects[index].clone()
    }

    /// A person's day: a shift on weekdays, rarely an hour on call at the weekend.
    fn workday(&mut self, a: usize, date: Date) {
        let (tenant, role, rate) = {
            let actor = &self.world.actors[a];
            (actor.tenant, actor.role, actor.rate)
        };
        let weekend = matches!(date.weekday(), Weekday::Saturday | Weekday::Sunday);

        let (start, end) = if weekend {
            if role != Role::Clinician || !self.rng.chance(0.04) {
                return;
            }
            let start = 10 * 60 + self.rng.between(0, 60);
            (start, start + 60)
        } else {
            if self.rng.chance(0.04) {
                return;
            }
            let start = 8 * 60 + self.rng.between(0, 90);
            let length = 8 * 60 + self.rng.between(-30, 30);
            let overtime = if self.rng.chance(0.1) { 45 } else { 0 };
            (start, (start + length + overtime).min(18 * 60 + 50))
        };

        let busy = 0.7 + 0.6 * self.rng.unit();
        let hours = (end - start) as f64 / 60.0;
        let requests = self.rng.poisson(rate * busy * hours);
        for _ in 0..requests {
            // A wall-clock second of the shift, converted in the tenant's zone.
            let second = self.rng.between(start * 60, end * 60);
            let (hour, minute) = ((second / 3600) as i8, (second / 60 % 60) as i8);
            let time = self.world.local(tenant, date, hour, minute)
                + SignedDuration::from_secs(second % 60);
            self.user_request(a, time);
        }
    }

    fn user_request(&mut self, a: usize, time: Timestamp) {
        let tenant = self.world.actors[a].tenant;
        let request = self.request_id();
        let home = self.rng.chance(0.15);
        let roll = self.rng.unit();

        let actor = &self.world.actors[a];
        let network = actor.networks[usize::from(home)];
        if roll < 0.003 {
            let mut event =
                self.world
                    .event(actor, AuditAction::Authenticate, Decision::Deny, time);
            event.network = Some(network);
            event.request_id = Some(request);
            self.pending.push((event, None));
            return;
        }
        if roll < 0.013 {
            let subject = self.subject(tenant);
            let actor = &self.world.actors[a];
            let mut event = self
                .world
                .event(actor, AuditAction::ReadRecord, Decision::Deny, time);
            event.purpose = Some(actor.role.purpose());
            event.subject = Some(subject);
            event.network = Some(network);
            event.request_id = Some(request);
            self.pending.push((event, None));
            return;
        }

        let (action, hits) = if roll < 0.75 {
            (AuditAction::ReadRecord, 1)
        } else if roll < 0.85 {
            (AuditAction::Search, 1 + self.rng.below(3))
        } else {
            (AuditAction::ListRecords, 1)
        };
        for _ in 0..hits {
            let subject = self.subject(tenant);
            let record = RecordId::from_random(self.rng.bytes());
            let actor = &self.world.actors[a];
            let mut event = self.world.phi_read(actor, action, time, &subject, record);
            event.network = Some(network);
            event.request_id = Some(request.clone());
            if action == AuditAction::Search {
                event.count = Some(hits);
            }
            self.pending.push((event, None));
        }
    }

    /// An integration's day: storefront and payments around the clock with a daily rhythm,
    /// fulfilment batches twice on weekdays, an analytics search at night.
    fn service_day(&mut self, a: usize, date: Date) {
        let (tenant, role, rate) = {
            let actor = &self.world.actors[a];
            (actor.tenant, actor.role, actor.rate)
        };
        match role {
            Role::Storefront | Role::Payments => {
                for hour in 0..24 {
                    let rhythm = if (9..21).contains(&hour) { 1.0 } else { 0.3 };
                    let count = self.rng.poisson(rate * rhythm);
                    let begin = self.world.local(tenant, date, hour, 0);
                    for _ in 0..count {
                        let time = begin + SignedDuration::from_secs(self.rng.between(0, 3600));
                        let subject = self.subject(tenant);
                        let record = RecordId::from_random(self.rng.bytes());
                        let request = self.request_id();
                        let named = role == Role::Payments && self.rng.chance(0.8);
                        let actor = &self.world.actors[a];
                        let mut event = self.world.phi_read(
                            actor,
                            AuditAction::ReadRecord,
                            time,
                            &subject,
                            record,
                        );
                        event.request_id = Some(request);
                        if named {
                            event.recipient = actor.recipient.clone();
                        }
                        self.pending.push((event, None));
                    }
                }
            }
            Role::Fulfillment => {
                if matches!(date.weekday(), Weekday::Saturday | Weekday::Sunday) {
                    return;
                }
                for hour in [10, 15] {
                    let time = self
                        .world
                        .local(tenant, date, hour, self.rng.between(0, 20) as i8);
                    let request = self.request_id();
                    let orders = self.rng.between(20, 61);
                    for i in 0..orders {
                        let subject = self.subject(tenant);
                        let record = RecordId::from_random(self.rng.bytes());
                        let actor = &self.world.actors[a];
                        let at = time + SignedDuration::from_millis(i * 40);
                        let mut event = self.world.phi_read(
                            actor,
                            AuditAction::ListRecords,
                            at,
                            &subject,
                            record,
                        );
                        event.request_id = Some(request.clone());
                        event.recipient = actor.recipient.clone();
                        self.pending.push((event, None));
                    }
                }
            }
            Role::Analytics => {
                let time = self.world.local(tenant, date, 1, 30);
                let request = self.request_id();
                let hits = self.rng.between(30, 81) as u64;
                for i in 0..hits {
                    let subject = self.subject(tenant);
                    let record = RecordId::from_random(self.rng.bytes());
                    let actor = &self.world.actors[a];
                    let at = time + SignedDuration::from_millis(i as i64 * 25);
                    let mut event =
                        self.world
                            .phi_read(actor, AuditAction::Search, at, &subject, record);
                    event.request_id = Some(request.clone());
                    event.count = Some(hits);
                    self.pending.push((event, None));
                }
            }
            _ => {}
        }
    }

    /// phiguard's jobs: a nightly import, a weekly key rotation.
    fn system_day(&mut self, a: usize, date: Date) {
        let (tenant, role) = {
            let actor = &self.world.actors[a];
            (actor.tenant, actor.role)
        };
        let (action, time) = match role {
            Role::Importer => (AuditAction::Import, self.world.local(tenant, date, 0, 15)),
            Role::KeyRotation if date.weekday() == Weekday::Sunday => (
                AuditAction::RotateKeys,
                self.world.local(tenant, date, 4, 0),
            ),
            _ => return,
        };
        let count = self.rng.between(50, 201) as u64;
        let actor = &self.world.actors[a];
        let mut event = self.world.event(actor, action, Decision::Allow, time);
        event.purpose = Some(PurposeOfUse::Hsysadmin);
        event.count = Some(count);
        self.pending.push((event, None));
    }
}
