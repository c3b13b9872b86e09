//! Alert summaries hold counts, thresholds, codes, times and ranges — never what a caller
//! wrote. Every free-text and caller-chosen field here looks like PHI, and every rule fires.

#![allow(clippy::unwrap_used)] // Tests panic on set-up failures.

mod support;

use std::collections::BTreeSet;

use jiff::SignedDuration;
use phiguard_core::{
    ActorKind, AuditEvent, CredentialId, DetectionRule, NetworkRange, PurposeOfUse,
};
use phiguard_detect::{ActorProfile, DetectConfig, Directory, TenantProfile};
use support::{Feed, at, denied, read};

/// Lowercased fragments of the PHI-looking values; none may appear in a summary.
const FORBIDDEN: [&str; 7] = ["jane", "roe", "999-12", "3456", "1980", "sub_", "rec_"];

fn phi_looking(mut event: AuditEvent) -> AuditEvent {
    event.request_id = Some("Jane-Roe-999-12-3456".parse().unwrap());
    event.recipient = Some("jane-roe-999-12-3456".parse().unwrap());
    event.break_glass_reason = Some("Jane Roe 999-12-3456, DOB 1980-01-02".into());
    event.record_type = Some("Jane Roe chart".into());
    event.target = Some("999-12-3456".into());
    event.policies = vec!["jane-roe-only".into()];
    event
}

#[test]
fn no_summary_repeats_what_the_caller_wrote() {
    let mut directory = Directory::new();
    directory.put_tenant(
        "north".parse().unwrap(),
        TenantProfile::in_time_zone("America/New_York").unwrap(),
    );
    let mut person = ActorProfile::new(ActorKind::User);
    person.last_activity = Some(at("2025-12-01T12:00:00Z"));
    directory.put_actor(
        "north".parse().unwrap(),
        "jane-roe".parse().unwrap(),
        person,
    );
    let mut service = ActorProfile::new(ActorKind::Service);
    service.declared_purposes = Some(BTreeSet::from([PurposeOfUse::Hoperat]));
    service.last_activity = Some(at("2026-03-03T00:00:00Z"));
    directory.put_actor(
        "north".parse().unwrap(),
        "roe-feed".parse().unwrap(),
        service,
    );
    let mut feed = Feed::new(DetectConfig::default(), directory);

    let credential = CredentialId::from_random([1; 10]);
    let night = at("2026-03-04T08:00:00Z"); // 03:00 in New York
    let mut alerts = Vec::new();

    // Dormant, cross-tenant, export by count, off hours, break-glass, recipient without BAA.
    let mut event = phi_looking(read("north", "jane-roe", ActorKind::User, night));
    event.purpose = Some(PurposeOfUse::Etreat);
    event.requested_tenant = Some("jane-roe-dob-1980-01-02".parse().unwrap());
    event.count = Some(150);
    event.credential = Some(credential.clone());
    event.network = Some("203.0.113.0/24".parse::<NetworkRange>().unwrap());
    alerts.extend(feed.observe(&event));

    // A new range, then a bulk read.
    event.network = Some("198.51.100.0/24".parse::<NetworkRange>().unwrap());
    for i in 0..101 {
        event.time = night + SignedDuration::from_secs(i);
        alerts.extend(feed.observe(&event));
    }

    // A burst of refusals.
    for i in 0..20 {
        let refused = phi_looking(denied(
            "north",
            "jane-roe",
            night + SignedDuration::from_secs(i),
        ));
        alerts.extend(feed.observe(&refused));
    }

    // A service naming an undeclared purpose.
    let mut off_purpose = phi_looking(read("north", "roe-feed", ActorKind::Service, night));
    off_purpose.purpose = Some(PurposeOfUse::Hmarkt);
    alerts.extend(feed.observe(&off_purpose));

    let fired: BTreeSet<DetectionRule> = alerts.iter().map(|c| c.alert().rule).collect();
    assert_eq!(fired.len(), DetectionRule::ALL.len(), "{fired:?}");
    for change in &alerts {
        let summary = change.alert().summary.to_lowercase();
        for fragment in FORBIDDEN {
            assert!(
                !summary.contains(fragment),
                "{} summary holds {fragment:?}: {summary}",
                change.alert().rule
            );
        }
    }
}
