//! What the detectors know besides the events: tenants' time zones, actors' kinds, declared
//! purposes and usual recipients, and when each actor last acted — read from the store for
//! `phiguard serve` and `phiguard detect`.
//!
//! Actors declare through two attributes, set like any other (`phiguard actors …`):
//!
//! - `purposes`: the purpose-of-use codes a service uses, separated by spaces or commas
//!   (`HPAYMT HOPERAT`). System jobs declare theirs in code ([`SystemJob::declared_purposes`]).
//! - `recipient`: where a service integration passes on what it reads (`stripe`), when its
//!   requests name no `X-Recipient`.

use std::collections::BTreeSet;

use phiguard_core::{ActorKind, PurposeOfUse, RecipientId, TenantId, Timestamp};
use phiguard_detect::{ActorProfile, Detector, Directory, TenantProfile};
use phiguard_store::{Actor, AuditQuery};

use crate::{SystemJob, Vault, VaultError};

/// The attribute in which a service declares its purposes of use.
pub const PURPOSES_ATTRIBUTE: &str = "purposes";

/// The attribute in which a service names where it passes on what it reads.
pub const RECIPIENT_ATTRIBUTE: &str = "recipient";

/// Events read per page while warming a detector up.
const PAGE: u32 = 10_000;

/// An actor as the detectors see it.
pub fn actor_profile(actor: &Actor, last_activity: Option<Timestamp>) -> ActorProfile {
    let mut profile = ActorProfile::new(actor.kind);
    profile.created_at = Some(actor.created_at);
    profile.last_activity = last_activity;
    profile.declared_purposes = match (actor.kind, SystemJob::from_actor(&actor.id)) {
        (ActorKind::System, Some(job)) => Some(job.declared_purposes().iter().copied().collect()),
        _ => actor.attributes.get(PURPOSES_ATTRIBUTE).map(|codes| {
            codes
                .split([' ', ','])
                .filter_map(|code| code.trim().parse::<PurposeOfUse>().ok())
                .collect::<BTreeSet<_>>()
        }),
    };
    profile.default_recipient = actor
        .attributes
        .get(RECIPIENT_ATTRIBUTE)
        .and_then(|name| name.parse::<RecipientId>().ok());
    profile
}

impl Vault {
    /// The detectors' directory of every tenant (or only `only`), with the platform's register
    /// of recipients covered by a business associate agreement.
    ///
    /// A tenant whose stored time zone does not resolve is entered without one, so that the
    /// off-hours rule warns about it instead of judging it in the wrong zone.
    ///
    /// # Errors
    ///
    /// Storage failures.
    ///
    /// With `seed_activity`, each actor's latest stored activity is entered (for live
    /// detection); a replay of a past range leaves it out and learns activity from the history
    /// it warms up on instead.
    pub fn detection_directory(
        &self,
        only: Option<&TenantId>,
        baa_recipients: &[RecipientId],
        seed_activity: bool,
    ) -> Result<Directory, VaultError> {
        let mut directory = Directory::new();
        for recipient in baa_recipients {
            directory.add_baa_recipient(recipient.clone());
        }
        for tenant in self.store().tenants()? {
            if only.is_some_and(|t| t != &tenant.id) {
                continue;
            }
            let profile = tenant
                .time_zone
                .as_deref()
                .and_then(|zone| TenantProfile::in_time_zone(zone).ok())
                .unwrap_or_default();
            directory.put_tenant(tenant.id.clone(), profile);

            let activity = if seed_activity {
                self.store().last_activity(&tenant.id)?
            } else {
                Default::default()
            };
            for actor in self.store().actors(&tenant.id)? {
                let last = activity.get(&actor.id).copied();
                directory.put_actor(
                    tenant.id.clone(),
                    actor.id.clone(),
                    actor_profile(&actor, last),
                );
            }
        }
        Ok(directory)
    }

    /// Refreshes one actor's profile in a running detector, after its configuration changed.
    ///
    /// # Errors
    ///
    /// Storage failures.
    pub fn refresh_detector_actor(
        &self,
        detector: &mut Detector,
        tenant: &TenantId,
        actor: &phiguard_core::ActorId,
    ) -> Result<(), VaultError> {
        if let Some(stored) = self.store().actor(tenant, actor)? {
            let known = detector
                .directory()
                .actor(tenant, actor)
                .and_then(|p| p.last_activity);
            detector.put_actor(tenant.clone(), actor.clone(), actor_profile(&stored, known));
        }
        Ok(())
    }

    /// An alert as stored, for phiguard's own jobs (a replay recording what it found).
    ///
    /// # Errors
    ///
    /// Storage failures.
    pub fn stored_alert(
        &self,
        tenant: &TenantId,
        id: &phiguard_core::AlertId,
    ) -> Result<Option<phiguard_core::Alert>, VaultError> {
        Ok(self.store().alert(tenant, id)?)
    }

    /// The highest audit sequence number committed, where a detector starting without a cursor
    /// begins to judge.
    ///
    /// # Errors
    ///
    /// Storage failures.
    pub fn latest_audit_seq(&self) -> Result<u64, VaultError> {
        Ok(self.store().latest_audit_seq()?)
    }

    /// Feeds `tenant`'s events in `[since, until)` with sequence numbers up to `up_to_seq` to
    /// the detector's `learn`, so that baselines and known networks reflect history before it
    /// starts judging. Returns how many events it learnt from.
    ///
    /// # Errors
    ///
    /// Storage failures.
    pub fn warm_detector(
        &self,
        detector: &mut Detector,
        tenant: &TenantId,
        since: Timestamp,
        until: Timestamp,
        up_to_seq: u64,
    ) -> Result<u64, VaultError> {
        let mut learnt = 0;
        let mut after = None;
        loop {
            let query = AuditQuery {
                since: Some(since),
                until: Some(until),
                after_seq: after,
                limit: PAGE,
                ..AuditQuery::default()
            };
            let page = self.store().audit_events(tenant, &query)?;
            let Some(last) = page.last() else { break };
            after = Some(last.seq);
            for stored in page.iter().filter(|e| e.seq <= up_to_seq) {
                detector.learn(&stored.event, evidence(stored));
                learnt += 1;
            }
            if page.len() < PAGE as usize || last.seq >= up_to_seq {
                break;
            }
        }
        Ok(learnt)
    }

    /// `tenant`'s stored events in `[since, until)`, a page at a time after `after_seq`, for a
    /// replay by `phiguard detect`.
    ///
    /// # Errors
    ///
    /// Storage failures.
    pub fn replay_page(
        &self,
        tenant: &TenantId,
        since: Timestamp,
        until: Timestamp,
        after_seq: Option<u64>,
    ) -> Result<Vec<phiguard_store::StoredAuditEvent>, VaultError> {
        let query = AuditQuery {
            since: Some(since),
            until: Some(until),
            after_seq,
            limit: PAGE,
            ..AuditQuery::default()
        };
        Ok(self.store().audit_events(tenant, &query)?)
    }
}

/// Where a stored event sits, as alerts cite it.
pub fn evidence(stored: &phiguard_store::StoredAuditEvent) -> phiguard_core::EvidenceRef {
    phiguard_core::EvidenceRef {
        seq: stored.seq,
        leaf: stored.leaf_index,
    }
}
