//! Warnings: where a rule could not judge events, so that a quiet detector is never mistaken
//! for a clean trail.

use std::fmt;

use phiguard_core::{ActorId, ActorKind, TenantId};

/// A rule that could not be applied to some observed events, and how many.
///
/// Counted only by [`crate::Detector::observe`], not while learning. Names tenants and actors
/// (operator-chosen slugs), never PHI.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Warning {
    /// The tenant has no time zone, so off-hours detection skipped its users' PHI access.
    NoTimeZone {
        /// The tenant.
        tenant: TenantId,
        /// PHI accesses by its users that were not judged.
        events: u64,
    },
    /// Neither the directory nor the stream knew when the actor was created or last active,
    /// so dormant-actor detection could not judge its first event.
    UnknownActivity {
        /// The tenant.
        tenant: TenantId,
        /// The actor.
        actor: ActorId,
    },
    /// A service or system actor declared no purposes of use, so its purposes were not
    /// judged.
    NoDeclaredPurposes {
        /// The tenant.
        tenant: TenantId,
        /// The actor.
        actor: ActorId,
        /// Its kind.
        kind: ActorKind,
        /// Events with a purpose that were not judged.
        events: u64,
    },
    /// A service disclosed PHI without naming a recipient and has no default recipient, so
    /// whether a BAA covers where the PHI went was not judged.
    NoRecipient {
        /// The tenant.
        tenant: TenantId,
        /// The actor.
        actor: ActorId,
        /// Disclosures that were not judged.
        events: u64,
    },
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Warning::NoTimeZone { tenant, events } => write!(
                f,
                "tenant {tenant} has no time zone: off_hours was not applied to {events} PHI \
                 accesses by its users; give the tenant a time zone in the directory or under \
                 off_hours.tenants.{tenant}.time_zone"
            ),
            Warning::UnknownActivity { tenant, actor } => write!(
                f,
                "actor {actor} of tenant {tenant} has no known creation time or earlier \
                 activity: dormant_actor could not judge its first event; seed created_at or \
                 last_activity in the directory"
            ),
            Warning::NoDeclaredPurposes {
                tenant,
                actor,
                kind,
                events,
            } => write!(
                f,
                "{kind} actor {actor} of tenant {tenant} declared no purposes of use: \
                 outside_declared_purpose was not applied to {events} events; declare its \
                 purposes in the directory"
            ),
            Warning::NoRecipient {
                tenant,
                actor,
                events,
            } => write!(
                f,
                "service actor {actor} of tenant {tenant} disclosed PHI {events} times without \
                 naming a recipient and has no default recipient: recipient_without_baa could \
                 not judge those disclosures; set its default recipient in the directory"
            ),
        }
    }
}
