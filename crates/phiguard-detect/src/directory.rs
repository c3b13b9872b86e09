//! What the detectors know besides the events: tenants' time zones and hours, actors' kinds,
//! declared purposes, default recipients and history, and which recipients a BAA covers.
//!
//! The caller fills it from the store and keeps it current (an actor created or changed, a BAA
//! signed) through the [`crate::Detector`] methods of the same names.

use std::collections::{BTreeSet, HashMap};

use jiff::Timestamp;
use jiff::tz::TimeZone;
use phiguard_core::{ActorId, ActorKind, PurposeOfUse, RecipientId, TenantId};

use crate::hours::BusinessHours;

/// A directory entry that cannot be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DirectoryError {
    /// The tenant's time zone name is not in the IANA database bundled with phiguard.
    #[error(
        "the tenant's time zone is not a name of the IANA database; store a name such as \
         America/Chicago, or leave it unset (off-hours detection then skips the tenant with a \
         warning)"
    )]
    UnknownTimeZone,
}

/// What the detectors know about one tenant.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TenantProfile {
    /// The tenant's time zone; without one, off-hours detection skips the tenant and says so.
    pub time_zone: Option<TimeZone>,
    /// The tenant's own business hours; the configuration's default applies when unset.
    pub business_hours: Option<BusinessHours>,
}

impl TenantProfile {
    /// A tenant in the IANA time zone `name`, with the default business hours.
    pub fn in_time_zone(name: &str) -> Result<TenantProfile, DirectoryError> {
        let time_zone = TimeZone::get(name).map_err(|_| DirectoryError::UnknownTimeZone)?;
        Ok(TenantProfile {
            time_zone: Some(time_zone),
            business_hours: None,
        })
    }
}

/// What the detectors know about one actor of one tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActorProfile {
    /// What kind of actor it is.
    pub kind: ActorKind,
    /// The purposes of use a service or system actor declared; `None` when it declared none
    /// (then [`phiguard_core::DetectionRule::OutsideDeclaredPurpose`] cannot judge it and a
    /// warning says so).
    pub declared_purposes: Option<BTreeSet<PurposeOfUse>>,
    /// Where a service integration sends what it reads, when its requests name no recipient.
    pub default_recipient: Option<RecipientId>,
    /// When the actor was created.
    pub created_at: Option<Timestamp>,
    /// The actor's latest activity known to the store before the first event fed. Refused
    /// `authenticate` events are not activity. A value later than the events fed only makes
    /// [`phiguard_core::DetectionRule::DormantActor`] quieter, never louder.
    pub last_activity: Option<Timestamp>,
}

impl ActorProfile {
    /// An actor of `kind` with nothing else known.
    pub fn new(kind: ActorKind) -> ActorProfile {
        ActorProfile {
            kind,
            declared_purposes: None,
            default_recipient: None,
            created_at: None,
            last_activity: None,
        }
    }
}

/// Tenants, actors and the recipients covered by a business associate agreement.
#[derive(Debug, Clone, Default)]
pub struct Directory {
    tenants: HashMap<TenantId, TenantProfile>,
    actors: HashMap<TenantId, HashMap<ActorId, ActorProfile>>,
    baa_recipients: BTreeSet<RecipientId>,
}

impl Directory {
    /// An empty directory.
    pub fn new() -> Directory {
        Directory::default()
    }

    /// Adds or replaces a tenant.
    pub fn put_tenant(&mut self, tenant: TenantId, profile: TenantProfile) {
        self.tenants.insert(tenant, profile);
    }

    /// A tenant's profile, if the directory has one.
    pub fn tenant(&self, tenant: &TenantId) -> Option<&TenantProfile> {
        self.tenants.get(tenant)
    }

    /// Adds or replaces an actor of a tenant.
    pub fn put_actor(&mut self, tenant: TenantId, actor: ActorId, profile: ActorProfile) {
        self.actors
            .entry(tenant)
            .or_default()
            .insert(actor, profile);
    }

    /// An actor's profile, if the directory has one.
    pub fn actor(&self, tenant: &TenantId, actor: &ActorId) -> Option<&ActorProfile> {
        self.actors.get(tenant).and_then(|actors| actors.get(actor))
    }

    /// Records that a business associate agreement covers `recipient`.
    pub fn add_baa_recipient(&mut self, recipient: RecipientId) {
        self.baa_recipients.insert(recipient);
    }

    /// Records that no agreement covers `recipient` any more; whether it was covered before.
    pub fn remove_baa_recipient(&mut self, recipient: &RecipientId) -> bool {
        self.baa_recipients.remove(recipient)
    }

    /// Whether a business associate agreement covers `recipient`.
    pub fn is_covered_by_baa(&self, recipient: &RecipientId) -> bool {
        self.baa_recipients.contains(recipient)
    }

    /// The recipients covered by a business associate agreement.
    pub fn baa_recipients(&self) -> impl Iterator<Item = &RecipientId> {
        self.baa_recipients.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_zones_must_be_iana_names() {
        let chicago = TenantProfile::in_time_zone("America/Chicago").unwrap();
        assert_eq!(
            chicago.time_zone.unwrap().iana_name(),
            Some("America/Chicago")
        );
        let error = TenantProfile::in_time_zone("Mars/Olympus").unwrap_err();
        assert!(error.to_string().contains("America/Chicago"));
        assert!(!error.to_string().contains("Olympus"));
    }

    #[test]
    fn actors_are_kept_per_tenant() {
        let mut directory = Directory::new();
        let north: TenantId = "north".parse().unwrap();
        let south: TenantId = "south".parse().unwrap();
        let actor: ActorId = "svc".parse().unwrap();
        directory.put_actor(
            north.clone(),
            actor.clone(),
            ActorProfile::new(ActorKind::Service),
        );
        assert!(directory.actor(&north, &actor).is_some());
        assert!(directory.actor(&south, &actor).is_none());

        let stripe: RecipientId = "stripe".parse().unwrap();
        directory.add_baa_recipient(stripe.clone());
        assert!(directory.is_covered_by_baa(&stripe));
        assert!(directory.remove_baa_recipient(&stripe));
        assert!(!directory.is_covered_by_baa(&stripe));
    }
}
