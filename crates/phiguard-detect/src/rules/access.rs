//! The rules that judge one event against the directory: cross_tenant, off_hours,
//! dormant_actor, break_glass, recipient_without_baa and outside_declared_purpose.

use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use phiguard_core::{
    ActorKind, AuditAction, AuditEvent, Decision, DetectionRule, Disclosure, EvidenceRef,
    PurposeOfUse, Severity,
};

use crate::directory::{ActorProfile, Directory};
use crate::finding::{Facts, Finding, RecipientSource, disclosures_of};
use crate::hours::HoursMask;

/// cross_tenant: the request named another tenant than the credential's own.
pub(crate) fn cross_tenant(event: &AuditEvent, evidence: EvidenceRef) -> Option<Finding> {
    event.requested_tenant.as_ref()?;
    Some(Finding::single(
        DetectionRule::CrossTenant,
        Severity::High,
        evidence,
        Facts::CrossTenant {
            action: event.action,
            decision: event.decision,
            credential: event.credential.clone(),
        },
    ))
}

/// A tenant's time zone and business hours, resolved once.
#[derive(Debug)]
pub(crate) struct TenantClock {
    pub(crate) zone: Option<TimeZone>,
    pub(crate) zone_name: String,
    pub(crate) hours: HoursMask,
    pub(crate) hours_text: String,
}

/// What off_hours made of an event.
pub(crate) enum OffHours {
    /// Not a user's PHI access, or within hours.
    Fine,
    /// The tenant has no time zone: not judged.
    NoZone,
    /// Outside business hours.
    Fired(Finding),
}

/// off_hours: a person's PHI access outside the tenant's business hours, in its time zone.
pub(crate) fn off_hours(
    event: &AuditEvent,
    evidence: EvidenceRef,
    clock: &TenantClock,
) -> OffHours {
    if event.actor_kind != ActorKind::User || !super::discloses(event) {
        return OffHours::Fine;
    }
    let Some(zone) = &clock.zone else {
        return OffHours::NoZone;
    };

    let local = zone.to_datetime(event.time);
    if clock.hours.contains(local) {
        return OffHours::Fine;
    }
    OffHours::Fired(Finding::single(
        DetectionRule::OffHours,
        Severity::Low,
        evidence,
        Facts::OffHours {
            action: event.action,
            purpose: event.purpose,
            local,
            zone: clock.zone_name.clone(),
            hours: clock.hours_text.clone(),
        },
    ))
}

/// Whether the event counts as the actor's activity: anything but a refused credential, which
/// anyone can cause.
pub(crate) fn is_activity(event: &AuditEvent) -> bool {
    event.action != AuditAction::Authenticate
}

/// What dormant_actor made of an event.
pub(crate) enum Dormancy {
    /// Active recently enough, or not an activity.
    Fine,
    /// Neither a last activity nor a creation time is known: not judged.
    Unknown,
    /// Idle for at least the threshold.
    Fired(Finding),
}

/// dormant_actor: the actor acts after `idle_days` or more without activity. `last_activity`
/// is the latest known before this event.
pub(crate) fn dormant(
    event: &AuditEvent,
    evidence: EvidenceRef,
    last_activity: Option<Timestamp>,
    profile: Option<&ActorProfile>,
    idle_days: u64,
) -> Dormancy {
    if !is_activity(event) {
        return Dormancy::Fine;
    }
    let since = match (last_activity, profile.and_then(|p| p.created_at)) {
        (Some(last), _) => (last, false),
        (None, Some(created)) => (created, true),
        (None, None) => return Dormancy::Unknown,
    };

    let idle = event.time.duration_since(since.0);
    let threshold = SignedDuration::from_hours(i64::try_from(idle_days).unwrap_or(0) * 24);
    if idle < threshold {
        return Dormancy::Fine;
    }
    Dormancy::Fired(Finding::single(
        DetectionRule::DormantActor,
        Severity::Medium,
        evidence,
        Facts::DormantActor {
            idle,
            since: since.0,
            since_creation: since.1,
            threshold_days: idle_days,
            action: event.action,
        },
    ))
}

/// break_glass: every ETREAT access and every break_glass action.
pub(crate) fn break_glass(event: &AuditEvent, evidence: EvidenceRef) -> Option<Finding> {
    let breaks_glass = event.action == AuditAction::BreakGlass
        || event.purpose.is_some_and(PurposeOfUse::is_break_glass);
    if !breaks_glass {
        return None;
    }

    let severity = match event.decision {
        Decision::Allow => Severity::High,
        Decision::Deny => Severity::Medium,
    };
    Some(Finding::single(
        DetectionRule::BreakGlass,
        severity,
        evidence,
        Facts::BreakGlass {
            action: event.action,
            decision: event.decision,
            purpose: event.purpose,
            reason_recorded: event
                .break_glass_reason
                .as_ref()
                .is_some_and(|reason| !reason.trim().is_empty()),
            disclosed: disclosures_of(&event.disclosed),
        },
    ))
}

/// What recipient_without_baa made of an event.
pub(crate) enum Recipient {
    /// Nothing disclosed, or a covered recipient, or a person reading for themselves.
    Fine,
    /// A service disclosed PHI and no recipient is known: not judged.
    Unknown,
    /// Disclosed to a recipient no BAA covers.
    Fired(Finding),
}

/// recipient_without_baa: PHI disclosed where the request's recipient or the actor's declared
/// recipient is not covered by a business associate agreement. Both are judged: a header that
/// names a covered party does not vouch for an integration whose declared destination is not
/// covered (a compromised integration could name any covered party it likes).
pub(crate) fn recipient(
    event: &AuditEvent,
    evidence: EvidenceRef,
    profile: Option<&ActorProfile>,
    directory: &Directory,
) -> Recipient {
    if !super::discloses(event) {
        return Recipient::Fine;
    }
    let header = event
        .recipient
        .as_ref()
        .map(|r| (r, RecipientSource::Header));
    let declared = profile
        .and_then(|p| p.default_recipient.as_ref())
        .map(|r| (r, RecipientSource::ActorDefault));
    if header.is_none() && declared.is_none() {
        return if event.actor_kind == ActorKind::Service {
            Recipient::Unknown
        } else {
            Recipient::Fine
        };
    }
    let Some(named) = [header, declared]
        .into_iter()
        .flatten()
        .find(|(recipient, _)| !directory.is_covered_by_baa(recipient))
    else {
        return Recipient::Fine;
    };

    let clear = event
        .disclosed
        .values()
        .any(|level| *level == Disclosure::Clear);
    let severity = if clear {
        Severity::Critical
    } else {
        Severity::High
    };
    Recipient::Fired(Finding::single(
        DetectionRule::RecipientWithoutBaa,
        severity,
        evidence,
        Facts::RecipientWithoutBaa {
            action: event.action,
            source: named.1,
            disclosed: disclosures_of(&event.disclosed),
        },
    ))
}

/// What outside_declared_purpose made of an event.
pub(crate) enum Purpose {
    /// A person, no purpose named, or a declared purpose.
    Fine,
    /// A service or system actor that declared no purposes: not judged.
    Undeclared,
    /// A purpose the actor did not declare.
    Fired(Finding),
}

/// outside_declared_purpose: a service or system actor naming a purpose it did not declare.
pub(crate) fn declared_purpose(
    event: &AuditEvent,
    evidence: EvidenceRef,
    profile: Option<&ActorProfile>,
) -> Purpose {
    if event.actor_kind == ActorKind::User {
        return Purpose::Fine;
    }
    let Some(purpose) = event.purpose else {
        return Purpose::Fine;
    };
    let Some(declared) = profile.and_then(|p| p.declared_purposes.as_ref()) else {
        return Purpose::Undeclared;
    };
    if declared.contains(&purpose) {
        return Purpose::Fine;
    }

    let severity = if super::discloses(event) {
        Severity::High
    } else {
        Severity::Medium
    };
    Purpose::Fired(Finding::single(
        DetectionRule::OutsideDeclaredPurpose,
        severity,
        evidence,
        Facts::OutsideDeclaredPurpose {
            action: event.action,
            decision: event.decision,
            purpose,
            declared: declared.iter().copied().collect(),
        },
    ))
}
