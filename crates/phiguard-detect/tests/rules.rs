//! Each rule at its threshold: one short of it stays quiet, reaching it fires.

#![allow(clippy::unwrap_used)] // Tests panic on set-up failures.

mod support;

use std::collections::BTreeSet;

use jiff::{SignedDuration, Timestamp};
use phiguard_core::{
    ActorKind, AuditAction, Category, Decision, DetectionRule, Disclosure, NetworkRange, Outcome,
    PurposeOfUse, Severity,
};
use phiguard_detect::{ActorProfile, AlertChange, DetectConfig, Directory, TenantProfile, Warning};
use support::{Feed, at, denied, read, subject};

fn rules_of(changes: &[AlertChange]) -> Vec<DetectionRule> {
    changes.iter().map(|c| c.alert().rule).collect()
}

fn fired(changes: &[AlertChange], rule: DetectionRule) -> bool {
    rules_of(changes).contains(&rule)
}

fn secs(n: i64) -> SignedDuration {
    SignedDuration::from_secs(n)
}

#[test]
fn denied_burst_fires_at_the_twentieth_refusal_within_five_minutes() {
    let mut feed = Feed::with_defaults();
    let start = at("2026-03-03T15:00:00Z");

    for i in 0..19 {
        let changes = feed.observe(&denied("north", "eve", start + secs(i * 15)));
        assert!(changes.is_empty(), "refusal {} fired", i + 1);
    }
    // The twentieth lands exactly five minutes after the first.
    let changes = feed.observe(&denied("north", "eve", start + secs(300)));
    assert_eq!(rules_of(&changes), [DetectionRule::DeniedBurst]);
    let alert = changes[0].alert();
    assert_eq!(alert.evidence.len(), 20);
    assert_eq!(alert.evidence_total, 20);
    assert_eq!(alert.severity, Severity::Medium);
    assert!(
        alert.summary.contains("20 refused requests"),
        "{}",
        alert.summary
    );

    // The next refusal folds in with only itself as new evidence.
    let changes = feed.observe(&denied("north", "eve", start + secs(301)));
    assert!(matches!(&changes[..], [AlertChange::Updated(_)]));
    assert_eq!(changes[0].alert().evidence_total, 21);
    assert_eq!(changes[0].alert().occurrences, 2);
}

#[test]
fn denied_burst_needs_the_refusals_within_the_window() {
    let mut feed = Feed::with_defaults();
    let start = at("2026-03-03T15:00:00Z");
    for i in 0..19 {
        assert!(
            feed.observe(&denied("north", "eve", start + secs(i)))
                .is_empty()
        );
    }
    // Twenty refusals spanning five minutes and one second.
    assert!(
        feed.observe(&denied("north", "eve", start + secs(301)))
            .is_empty()
    );

    // Allowed events and other actors' refusals do not count.
    let mut feed = Feed::with_defaults();
    for i in 0..19 {
        feed.observe(&denied("north", "eve", start + secs(i)));
        feed.observe(&read("north", "eve", ActorKind::User, start + secs(i)));
    }
    assert!(
        feed.observe(&denied("north", "mallory", start + secs(30)))
            .is_empty()
    );
}

#[test]
fn cross_tenant_fires_on_any_request_naming_another_tenant() {
    let mut feed = Feed::with_defaults();
    let mut event = denied("north", "probe", at("2026-03-03T15:00:00Z"));
    assert!(feed.observe(&event).is_empty());

    event.requested_tenant = Some("south".parse().unwrap());
    let changes = feed.observe(&event);
    assert_eq!(rules_of(&changes), [DetectionRule::CrossTenant]);
    assert_eq!(changes[0].alert().severity, Severity::High);
    assert!(!changes[0].alert().summary.contains("south"));
}

#[test]
fn bulk_read_uses_the_floor_while_history_is_short() {
    let mut feed = Feed::with_defaults();
    let hour = at("2026-03-03T15:00:00Z");
    for i in 0..100 {
        let changes = feed.observe(&read("north", "sam", ActorKind::Service, hour + secs(i)));
        assert!(changes.is_empty(), "read {} fired", i + 1);
    }
    let changes = feed.observe(&read("north", "sam", ActorKind::Service, hour + secs(100)));
    assert_eq!(rules_of(&changes), [DetectionRule::BulkRead]);
    let alert = changes[0].alert();
    assert_eq!(alert.evidence_total, 101);
    assert_eq!(alert.evidence.len(), 50);
    assert!(alert.summary.contains("floor of 100"), "{}", alert.summary);

    // A new hour starts from zero again.
    let next = at("2026-03-03T16:00:00Z");
    assert!(
        feed.observe(&read("north", "sam", ActorKind::Service, next))
            .is_empty()
    );
}

#[test]
fn bulk_read_compares_an_hour_with_the_actors_own_baseline() {
    let mut config = DetectConfig::default();
    config.bulk_read.floor = 10;
    let mut feed = Feed::new(config, Directory::new());

    // Thirty past active hours of 20 reads each, learnt as history.
    let first_hour = at("2026-03-02T00:00:00Z");
    for h in 0..30 {
        for i in 0..20 {
            let time = first_hour + SignedDuration::from_hours(h) + secs(i * 60);
            feed.learn(&read("north", "sam", ActorKind::Service, time));
        }
    }

    // Threshold: max(10, 3 x 20) = 60.
    let hour = first_hour + SignedDuration::from_hours(40);
    for i in 0..60 {
        let changes = feed.observe(&read("north", "sam", ActorKind::Service, hour + secs(i)));
        assert!(changes.is_empty(), "read {} fired", i + 1);
    }
    let changes = feed.observe(&read("north", "sam", ActorKind::Service, hour + secs(60)));
    assert_eq!(rules_of(&changes), [DetectionRule::BulkRead]);
    let summary = &changes[0].alert().summary;
    assert!(summary.contains("61 PHI reads"), "{summary}");
    assert!(summary.contains("baseline 20"), "{summary}");
    assert!(summary.contains("30 past active hours"), "{summary}");
}

#[test]
fn bulk_read_counts_only_phi_reads() {
    let mut feed = Feed::with_defaults();
    let hour = at("2026-03-03T15:00:00Z");
    for i in 0..150 {
        let mut event = read("north", "sam", ActorKind::Service, hour + secs(i));
        if i % 2 == 0 {
            event.action = AuditAction::CreateRecord;
        } else {
            event.decision = Decision::Deny;
            event.outcome = Outcome::Denied;
            event.disclosed.clear();
        }
        assert!(!fired(&feed.observe(&event), DetectionRule::BulkRead));
    }
}

#[test]
fn bulk_export_fires_at_the_hundredth_distinct_subject_of_a_request() {
    // bulk_read would fire at the 101st read of the hour too; this test is about exports.
    let mut config = DetectConfig::default();
    config.bulk_read.enabled = false;
    let mut feed = Feed::new(config, Directory::new());
    let time = at("2026-03-03T15:00:00Z");
    let request: phiguard_core::RequestId = "req-export".parse().unwrap();
    let event_for = |n: u64| {
        let mut event = read("north", "svc", ActorKind::Service, time);
        event.action = AuditAction::Search;
        event.subject = Some(subject(n));
        event.request_id = Some(request.clone());
        event
    };

    for n in 0..99 {
        assert!(!fired(
            &feed.observe(&event_for(n)),
            DetectionRule::BulkExport
        ));
    }
    // The same subject again is not a new one.
    assert!(!fired(
        &feed.observe(&event_for(5)),
        DetectionRule::BulkExport
    ));

    let changes = feed.observe(&event_for(99));
    assert_eq!(rules_of(&changes), [DetectionRule::BulkExport]);
    let alert = changes[0].alert();
    assert_eq!(alert.evidence_total, 101);
    assert!(
        alert.summary.contains("100 distinct subjects"),
        "{}",
        alert.summary
    );
    assert!(!alert.summary.contains("req-export"));
}

#[test]
fn bulk_export_fires_on_a_count_at_the_threshold() {
    let mut feed = Feed::with_defaults();
    let mut event = read("north", "bill", ActorKind::User, at("2026-03-03T15:00:00Z"));
    event.action = AuditAction::Search;
    event.count = Some(99);
    assert!(feed.observe(&event).is_empty());

    event.count = Some(100);
    let changes = feed.observe(&event);
    assert_eq!(rules_of(&changes), [DetectionRule::BulkExport]);
    assert!(changes[0].alert().summary.contains("counted 100 results"));
}

#[test]
fn a_wide_search_is_one_alert_with_each_event_once() {
    let mut config = DetectConfig::default();
    config.bulk_read.enabled = false;
    let mut feed = Feed::new(config, Directory::new());
    let request: phiguard_core::RequestId = "req-wide".parse().unwrap();

    let mut last = Vec::new();
    for n in 0..150 {
        let mut event = read("north", "bill", ActorKind::User, at("2026-03-03T15:00:00Z"));
        event.action = AuditAction::Search;
        event.subject = Some(subject(n));
        event.count = Some(150);
        event.request_id = Some(request.clone());
        last = feed.observe(&event);
        assert_eq!(last.len(), 1);
        assert_eq!(last[0].is_new(), n == 0);
    }
    let alert = last[0].alert();
    assert_eq!(alert.occurrences, 150);
    assert_eq!(alert.evidence_total, 150);
    let seqs: BTreeSet<u64> = alert.evidence.iter().map(|e| e.seq).collect();
    assert_eq!(seqs.len(), 50);
    assert!(alert.summary.contains("100 distinct subjects") || alert.summary.contains("150"));
}

#[test]
fn bulk_export_forgets_idle_requests() {
    let mut feed = Feed::with_defaults();
    let start = at("2026-03-03T15:00:00Z");
    let request: phiguard_core::RequestId = "req-reused".parse().unwrap();
    let send = |feed: &mut Feed, n: u64, time: Timestamp| {
        let mut event = read("north", "svc", ActorKind::Service, time);
        event.subject = Some(subject(n));
        event.request_id = Some(request.clone());
        feed.observe(&event)
    };

    for n in 0..60 {
        send(&mut feed, n, start);
    }
    // Sixteen minutes later the request id has been forgotten: 60 more is not 100.
    let later = start + SignedDuration::from_mins(16);
    for n in 60..120 {
        let changes = send(&mut feed, n, later);
        assert!(
            !fired(&changes, DetectionRule::BulkExport),
            "subject {n} fired"
        );
    }
    // Ten minutes after that it is still open: 40 more reach 100.
    let soon = later + SignedDuration::from_mins(10);
    let fired_at: Vec<u64> = (120..160)
        .filter(|&n| fired(&send(&mut feed, n, soon), DetectionRule::BulkExport))
        .collect();
    assert_eq!(fired_at.first(), Some(&159));
}

fn new_york() -> Directory {
    let mut directory = Directory::new();
    directory.put_tenant(
        "north".parse().unwrap(),
        TenantProfile::in_time_zone("America/New_York").unwrap(),
    );
    directory
}

#[test]
fn off_hours_is_judged_in_the_tenants_time_zone_at_the_boundary() {
    let mut feed = Feed::new(DetectConfig::default(), new_york());

    // Tuesday 2026-03-03, EST (UTC-5): 18:59 is within hours, 19:00 is not.
    let inside = read(
        "north",
        "nurse",
        ActorKind::User,
        at("2026-03-03T23:59:00Z"),
    );
    assert!(feed.observe(&inside).is_empty());
    let outside = read(
        "north",
        "nurse",
        ActorKind::User,
        at("2026-03-04T00:00:00Z"),
    );
    let changes = feed.observe(&outside);
    assert_eq!(rules_of(&changes), [DetectionRule::OffHours]);
    let summary = &changes[0].alert().summary;
    assert!(summary.contains("Tue 2026-03-03 19:00"), "{summary}");
    assert!(summary.contains("America/New_York"), "{summary}");
    assert_eq!(changes[0].alert().severity, Severity::Low);

    // Services and reads that disclose nothing are not judged.
    let service = read(
        "north",
        "shop",
        ActorKind::Service,
        at("2026-03-04T08:00:00Z"),
    );
    assert!(feed.observe(&service).is_empty());
    let mut nothing = read(
        "north",
        "nurse2",
        ActorKind::User,
        at("2026-03-04T08:00:00Z"),
    );
    nothing.disclosed.clear();
    assert!(feed.observe(&nothing).is_empty());
}

#[test]
fn off_hours_follows_daylight_saving_changes() {
    let mut config = DetectConfig::default();
    config.off_hours.business_hours.days =
        vec![phiguard_detect::Day::Sunday, phiguard_detect::Day::Monday];
    let mut feed = Feed::new(config, new_york());
    let mut check = |time: &str, actor: &str| {
        let changes = feed.observe(&read("north", actor, ActorKind::User, at(time)));
        fired(&changes, DetectionRule::OffHours)
    };

    // Sunday 2026-03-08 the clocks go from 02:00 EST to 03:00 EDT. 07:00 EDT is 11:00 UTC;
    // a fixed UTC-5 would put 11:00 UTC at 06:00 and call it off hours.
    assert!(check("2026-03-08T10:59:00Z", "a"), "06:59 EDT is off hours");
    assert!(
        !check("2026-03-08T11:00:00Z", "b"),
        "07:00 EDT is within hours"
    );
    // The Sunday before, 07:00 EST is 12:00 UTC.
    assert!(check("2026-03-01T11:30:00Z", "c"), "06:30 EST is off hours");
    assert!(!check("2026-03-01T12:00:00Z", "d"));
    // Sunday 2026-11-01 the clocks go back: 07:00 EST is 12:00 UTC again.
    assert!(check("2026-11-01T11:30:00Z", "e"), "06:30 EST is off hours");
    assert!(!check("2026-11-01T12:00:00Z", "f"));
    // 18:59 EDT on the change day is 22:59 UTC.
    assert!(!check("2026-03-08T22:59:00Z", "g"));
    assert!(check("2026-03-08T23:00:00Z", "h"));
}

#[test]
fn a_tenant_without_a_time_zone_is_skipped_with_a_warning() {
    let mut feed = Feed::with_defaults();
    for hour in [3, 4, 5] {
        let time = at(&format!("2026-03-04T0{hour}:00:00Z"));
        let changes = feed.observe(&read("south", "nurse", ActorKind::User, time));
        assert!(!fired(&changes, DetectionRule::OffHours));
    }

    let warnings = feed.detector.warnings();
    let expected = Warning::NoTimeZone {
        tenant: "south".parse().unwrap(),
        events: 3,
    };
    assert!(warnings.contains(&expected), "{warnings:?}");
    let text = expected.to_string();
    assert!(text.contains("off_hours was not applied to 3"), "{text}");
    assert!(text.contains("off_hours.tenants.south.time_zone"), "{text}");

    // Configuration can give the zone; it then applies from the next event.
    let config = DetectConfig::from_toml(
        r#"
        [off_hours.tenants.south]
        time_zone = "America/Chicago"
        "#,
    )
    .unwrap();
    let mut feed = Feed::new(config, Directory::new());
    let changes = feed.observe(&read(
        "south",
        "nurse",
        ActorKind::User,
        at("2026-03-04T05:00:00Z"),
    ));
    assert!(fired(&changes, DetectionRule::OffHours));
    let no_zone = |w: &Warning| matches!(w, Warning::NoTimeZone { .. });
    assert!(!feed.detector.warnings().iter().any(no_zone));
}

#[test]
fn per_tenant_hours_come_from_configuration_then_directory_then_default() {
    let mut directory = new_york();
    let mut night_pharmacy = TenantProfile::in_time_zone("America/New_York").unwrap();
    night_pharmacy.business_hours = Some(phiguard_detect::BusinessHours {
        days: vec![phiguard_detect::Day::Tuesday],
        start: "19:00".parse().unwrap(),
        end: "07:00".parse().unwrap(),
    });
    directory.put_tenant("night".parse().unwrap(), night_pharmacy);

    let mut feed = Feed::new(DetectConfig::default(), directory);
    // Tuesday 22:00 EST: off hours for north, within the night pharmacy's shift.
    let time = at("2026-03-04T03:00:00Z");
    assert!(fired(
        &feed.observe(&read("north", "nurse", ActorKind::User, time)),
        DetectionRule::OffHours
    ));
    assert!(
        feed.observe(&read("night", "nurse", ActorKind::User, time))
            .is_empty()
    );
}

fn seeded(last_activity: Timestamp) -> Directory {
    let mut directory = Directory::new();
    let mut profile = ActorProfile::new(ActorKind::User);
    profile.created_at = Some(at("2025-01-01T00:00:00Z"));
    profile.last_activity = Some(last_activity);
    directory.put_actor("north".parse().unwrap(), "old".parse().unwrap(), profile);
    directory
}

#[test]
fn dormant_actor_fires_after_thirty_idle_days() {
    let last = at("2026-02-01T12:00:00Z");
    let thirty_days = SignedDuration::from_hours(30 * 24);

    let mut feed = Feed::new(DetectConfig::default(), seeded(last));
    let early = read(
        "north",
        "old",
        ActorKind::User,
        last + thirty_days - secs(1),
    );
    assert!(!fired(&feed.observe(&early), DetectionRule::DormantActor));

    let mut feed = Feed::new(DetectConfig::default(), seeded(last));
    let changes = feed.observe(&read("north", "old", ActorKind::User, last + thirty_days));
    assert!(fired(&changes, DetectionRule::DormantActor));
    let alert = changes
        .iter()
        .find(|c| c.alert().rule == DetectionRule::DormantActor);
    let summary = &alert.unwrap().alert().summary;
    assert!(summary.contains("after 30 days idle"), "{summary}");
    assert!(summary.contains("2026-02-01"), "{summary}");

    // The activity is remembered: the next event is not dormant.
    let next = read(
        "north",
        "old",
        ActorKind::User,
        last + thirty_days + secs(60),
    );
    assert!(!fired(&feed.observe(&next), DetectionRule::DormantActor));
}

#[test]
fn refused_credentials_are_not_activity() {
    let last = at("2026-01-01T12:00:00Z");
    let mut feed = Feed::new(DetectConfig::default(), seeded(last));

    let mut knock = denied("north", "old", at("2026-02-20T12:00:00Z"));
    knock.action = AuditAction::Authenticate;
    assert!(!fired(&feed.observe(&knock), DetectionRule::DormantActor));

    let changes = feed.observe(&read(
        "north",
        "old",
        ActorKind::User,
        at("2026-02-20T13:00:00Z"),
    ));
    assert!(fired(&changes, DetectionRule::DormantActor));
}

#[test]
fn an_actor_with_no_known_history_is_reported_not_passed() {
    let mut feed = Feed::with_defaults();
    feed.observe(&read(
        "north",
        "ghost",
        ActorKind::User,
        at("2026-03-03T15:00:00Z"),
    ));
    let warnings = feed.detector.warnings();
    assert!(warnings.contains(&Warning::UnknownActivity {
        tenant: "north".parse().unwrap(),
        actor: "ghost".parse().unwrap(),
    }));

    // An actor created long ago and never active is dormant on its first event.
    let mut directory = Directory::new();
    let mut profile = ActorProfile::new(ActorKind::User);
    profile.created_at = Some(at("2025-06-01T00:00:00Z"));
    directory.put_actor(
        "north".parse().unwrap(),
        "sleeper".parse().unwrap(),
        profile,
    );
    let mut feed = Feed::new(DetectConfig::default(), directory);
    let changes = feed.observe(&read(
        "north",
        "sleeper",
        ActorKind::User,
        at("2026-03-03T15:00:00Z"),
    ));
    let alert = changes
        .iter()
        .find(|c| c.alert().rule == DetectionRule::DormantActor);
    assert!(alert.unwrap().alert().summary.contains("creation"));
}

#[test]
fn break_glass_fires_on_every_emergency_access() {
    let mut feed = Feed::with_defaults();
    let time = at("2026-03-03T15:00:00Z");
    assert!(
        feed.observe(&read("north", "dr", ActorKind::User, time))
            .is_empty()
    );

    let mut emergency = read("north", "dr", ActorKind::User, time);
    emergency.purpose = Some(PurposeOfUse::Etreat);
    let changes = feed.observe(&emergency);
    assert_eq!(rules_of(&changes), [DetectionRule::BreakGlass]);
    assert_eq!(changes[0].alert().severity, Severity::High);
    assert!(changes[0].alert().summary.contains("no written reason"));

    let mut grant = denied("north", "dr2", time);
    grant.action = AuditAction::BreakGlass;
    grant.purpose = None;
    let changes = feed.observe(&grant);
    assert_eq!(rules_of(&changes), [DetectionRule::BreakGlass]);
    assert_eq!(changes[0].alert().severity, Severity::Medium);
}

fn with_services() -> Directory {
    let mut directory = Directory::new();
    let mut shipper = ActorProfile::new(ActorKind::Service);
    shipper.default_recipient = Some("shipfast".parse().unwrap());
    shipper.declared_purposes = Some(BTreeSet::from([PurposeOfUse::Hoperat]));
    directory.put_actor(
        "north".parse().unwrap(),
        "shipper".parse().unwrap(),
        shipper,
    );
    directory.add_baa_recipient("shipfast".parse().unwrap());
    directory
}

#[test]
fn recipient_without_baa_judges_the_named_or_default_recipient() {
    let mut feed = Feed::new(DetectConfig::default(), with_services());
    let time = at("2026-03-03T15:00:00Z");
    let mut event = read("north", "shipper", ActorKind::Service, time);
    event.purpose = Some(PurposeOfUse::Hoperat);
    assert!(
        feed.observe(&event).is_empty(),
        "the default recipient is covered"
    );

    event.recipient = Some("quickship".parse().unwrap());
    let changes = feed.observe(&event);
    assert_eq!(rules_of(&changes), [DetectionRule::RecipientWithoutBaa]);
    assert_eq!(changes[0].alert().severity, Severity::High);
    assert!(changes[0].alert().summary.contains("name masked"));
    assert!(!changes[0].alert().summary.contains("quickship"));

    // Clear PHI raises the open alert to critical; withheld-only events are not disclosures.
    event.disclosed.insert(Category::Address, Disclosure::Clear);
    let changes = feed.observe(&event);
    assert_eq!(changes[0].alert().severity, Severity::Critical);
    event.disclosed.clear();
    event
        .disclosed
        .insert(Category::Clinical, Disclosure::Withheld);
    assert!(feed.observe(&event).is_empty());

    // Revoking the BAA makes the default recipient uncovered.
    let mut feed = Feed::new(DetectConfig::default(), with_services());
    feed.detector
        .remove_baa_recipient(&"shipfast".parse().unwrap());
    let mut event = read("north", "shipper", ActorKind::Service, time);
    event.purpose = Some(PurposeOfUse::Hoperat);
    let changes = feed.observe(&event);
    assert!(changes[0].alert().summary.contains("default recipient"));

    // A header naming a covered party does not vouch for an uncovered declared destination.
    let mut feed = Feed::new(DetectConfig::default(), with_services());
    feed.detector
        .remove_baa_recipient(&"shipfast".parse().unwrap());
    feed.detector
        .add_baa_recipient("quickship".parse().unwrap());
    let mut event = read("north", "shipper", ActorKind::Service, time);
    event.purpose = Some(PurposeOfUse::Hoperat);
    event.recipient = Some("quickship".parse().unwrap());
    let changes = feed.observe(&event);
    assert_eq!(rules_of(&changes), [DetectionRule::RecipientWithoutBaa]);
    assert!(changes[0].alert().summary.contains("default recipient"));
}

#[test]
fn a_service_with_no_recipient_at_all_is_reported() {
    let mut feed = Feed::with_defaults();
    let event = read(
        "north",
        "shop",
        ActorKind::Service,
        at("2026-03-03T15:00:00Z"),
    );
    feed.observe(&event);
    feed.observe(&event);
    let warnings = feed.detector.warnings();
    assert!(warnings.contains(&Warning::NoRecipient {
        tenant: "north".parse().unwrap(),
        actor: "shop".parse().unwrap(),
        events: 2,
    }));
    // A person reading for themselves names no recipient and needs none.
    let mut feed = Feed::with_defaults();
    feed.observe(&read(
        "north",
        "nurse",
        ActorKind::User,
        at("2026-03-03T15:00:00Z"),
    ));
    assert!(
        !feed
            .detector
            .warnings()
            .iter()
            .any(|w| matches!(w, Warning::NoRecipient { .. }))
    );
}

#[test]
fn outside_declared_purpose_fires_on_an_undeclared_code() {
    let mut feed = Feed::new(DetectConfig::default(), with_services());
    let time = at("2026-03-03T15:00:00Z");
    let mut event = read("north", "shipper", ActorKind::Service, time);
    event.purpose = Some(PurposeOfUse::Hoperat);
    assert!(feed.observe(&event).is_empty());

    event.purpose = Some(PurposeOfUse::Hmarkt);
    let changes = feed.observe(&event);
    assert_eq!(rules_of(&changes), [DetectionRule::OutsideDeclaredPurpose]);
    let alert = changes[0].alert();
    assert_eq!(alert.severity, Severity::High);
    assert!(
        alert.summary.contains("purpose HMARKT"),
        "{}",
        alert.summary
    );
    assert!(
        alert.summary.contains("declared: HOPERAT"),
        "{}",
        alert.summary
    );

    // A service that declared nothing is reported, not passed.
    let mut other = read("north", "stranger", ActorKind::System, time);
    other.disclosed.clear();
    feed.observe(&other);
    assert!(
        feed.detector
            .warnings()
            .iter()
            .any(|w| matches!(w, Warning::NoDeclaredPurposes { events: 1, .. }))
    );
}

#[test]
fn new_network_fires_on_a_second_range_and_ignores_loopback() {
    let mut feed = Feed::with_defaults();
    let credential = phiguard_core::CredentialId::from_random([3; 10]);
    let time = at("2026-03-03T15:00:00Z");
    let from = |range: &str, action: AuditAction| {
        let mut event = read("north", "nurse", ActorKind::User, time);
        event.action = action;
        event.credential = Some(credential.clone());
        event.network = Some(range.parse::<NetworkRange>().unwrap());
        event
    };

    assert!(
        feed.observe(&from("203.0.113.0/24", AuditAction::ReadRecord))
            .is_empty()
    );
    assert!(
        feed.observe(&from("203.0.113.0/24", AuditAction::ReadRecord))
            .is_empty()
    );
    assert!(
        feed.observe(&from("127.0.0.0/24", AuditAction::ReadRecord))
            .is_empty()
    );

    // A refused credential from elsewhere neither alerts nor teaches.
    let mut knock = from("198.51.100.0/24", AuditAction::Authenticate);
    knock.decision = Decision::Deny;
    knock.disclosed.clear();
    assert!(feed.observe(&knock).is_empty());

    let changes = feed.observe(&from("198.51.100.0/24", AuditAction::ReadRecord));
    assert_eq!(rules_of(&changes), [DetectionRule::NewNetwork]);
    let summary = &changes[0].alert().summary;
    assert!(summary.contains("198.51.100.0/24"), "{summary}");
    assert!(summary.contains(credential.as_str()), "{summary}");

    // Loopback alerts when configuration asks for it.
    let mut config = DetectConfig::default();
    config.new_network.ignore_loopback = false;
    let mut feed = Feed::new(config, Directory::new());
    feed.observe(&from("203.0.113.0/24", AuditAction::ReadRecord));
    let changes = feed.observe(&from("127.0.0.0/24", AuditAction::ReadRecord));
    assert_eq!(rules_of(&changes), [DetectionRule::NewNetwork]);
}

fn emergency(time: Timestamp) -> phiguard_core::AuditEvent {
    let mut event = read("north", "dr", ActorKind::User, time);
    event.purpose = Some(PurposeOfUse::Etreat);
    event
}

#[test]
fn repeats_within_the_window_fold_and_later_ones_open_a_new_alert() {
    let mut feed = Feed::with_defaults();
    let start = at("2026-03-03T15:00:00Z");

    let first = feed.observe(&emergency(start));
    assert!(first[0].is_new());
    let id = first[0].alert().id.clone();

    // 59 minutes later, then exactly 60 minutes after that: both fold.
    let second = feed.observe(&emergency(start + SignedDuration::from_mins(59)));
    let third = feed.observe(&emergency(start + SignedDuration::from_mins(119)));
    for change in [&second[0], &third[0]] {
        assert!(!change.is_new());
        assert_eq!(change.alert().id, id);
    }
    let alert = third[0].alert();
    assert_eq!(alert.occurrences, 3);
    assert_eq!(alert.first_seen, start);
    assert_eq!(alert.last_seen, start + SignedDuration::from_mins(119));
    assert_eq!(
        alert.evidence.iter().map(|e| e.seq).collect::<Vec<_>>(),
        [1, 2, 3]
    );

    // 60 minutes and one second after the last: a new alert with a new id.
    let fourth = feed.observe(&emergency(start + SignedDuration::from_mins(179) + secs(1)));
    assert!(fourth[0].is_new());
    assert_ne!(fourth[0].alert().id, id);
    assert_eq!(fourth[0].alert().occurrences, 1);
}

#[test]
fn folding_caps_evidence_but_counts_it_all() {
    let mut config = DetectConfig::default();
    config.dedup.evidence_cap = 5;
    let mut feed = Feed::new(config, Directory::new());
    let start = at("2026-03-03T15:00:00Z");
    let mut last = Vec::new();
    for i in 0..8 {
        last = feed.observe(&emergency(start + secs(i)));
    }
    let alert = last[0].alert();
    assert_eq!(alert.evidence.len(), 5);
    assert_eq!(alert.evidence_total, 8);
    assert_eq!(alert.occurrences, 8);
    assert_eq!(feed.detector.open_alerts().count(), 1);
}

#[test]
fn alert_ids_are_the_same_on_replay_and_differ_by_first_event() {
    let run = |skip_first: bool| {
        let mut feed = Feed::with_defaults();
        if skip_first {
            feed.seq += 1;
        }
        feed.observe(&emergency(at("2026-03-03T15:00:00Z")))[0]
            .alert()
            .id
            .clone()
    };
    assert_eq!(run(false), run(false));
    assert_ne!(run(false), run(true));
    assert!(run(false).as_str().starts_with("alr_"));
}

#[test]
fn learning_moves_state_without_alerting() {
    let mut feed = Feed::with_defaults();
    let start = at("2026-03-03T15:00:00Z");
    for i in 0..25 {
        feed.learn(&denied("north", "eve", start + secs(i)));
    }
    feed.learn(&emergency(start));
    assert_eq!(feed.detector.open_alerts().count(), 0);
    assert!(feed.detector.warnings().is_empty());

    // The window learnt is live: one more refusal fires with the learnt refusals as evidence.
    let changes = feed.observe(&denied("north", "eve", start + secs(26)));
    assert_eq!(rules_of(&changes), [DetectionRule::DeniedBurst]);
}

#[test]
fn disabled_rules_stay_quiet_and_others_still_run() {
    let config = DetectConfig::from_toml(
        r#"
        [break_glass]
        enabled = false
        "#,
    )
    .unwrap();
    let mut feed = Feed::new(config, Directory::new());
    let mut event = emergency(at("2026-03-03T15:00:00Z"));
    assert!(feed.observe(&event).is_empty());
    event.requested_tenant = Some("south".parse().unwrap());
    assert_eq!(
        rules_of(&feed.observe(&event)),
        [DetectionRule::CrossTenant]
    );
}

#[test]
fn actors_added_later_are_judged_by_their_new_profile() {
    let mut feed = Feed::with_defaults();
    let time = at("2026-03-03T15:00:00Z");
    let mut event = read("north", "etl", ActorKind::System, time);
    event.disclosed.clear();
    event.purpose = Some(PurposeOfUse::Hmarkt);
    assert!(feed.observe(&event).is_empty());

    let mut profile = ActorProfile::new(ActorKind::System);
    profile.declared_purposes = Some(BTreeSet::from([PurposeOfUse::Hsysadmin]));
    feed.detector
        .put_actor("north".parse().unwrap(), "etl".parse().unwrap(), profile);
    let changes = feed.observe(&event);
    assert_eq!(rules_of(&changes), [DetectionRule::OutsideDeclaredPurpose]);
    assert_eq!(changes[0].alert().severity, Severity::Medium);
}

#[test]
fn a_flood_of_single_subject_requests_keeps_bounded_state() {
    let mut feed = Feed::with_defaults();
    let start = at("2026-03-03T15:00:00Z");

    // Twenty thousand one-subject requests within a minute: none idles out in time.
    for i in 0..20_000 {
        let mut event = read(
            "north",
            "shop",
            ActorKind::Service,
            start + SignedDuration::from_millis(i * 3),
        );
        event.request_id = Some(format!("req-{i}").parse().unwrap());
        feed.observe(&event);
    }
    let footprint = feed.detector.footprint();
    assert!(
        footprint.open_requests <= 4_096,
        "{} requests kept",
        footprint.open_requests
    );
}

#[test]
fn state_that_can_no_longer_matter_is_dropped() {
    let mut feed = Feed::with_defaults();
    let start = at("2026-03-03T15:00:00Z");

    // Three hours of one single-subject request per second.
    for i in 0..3 * 3600 {
        let mut event = read("north", "shop", ActorKind::Service, start + secs(i));
        event.request_id = Some(format!("req-{i}").parse().unwrap());
        feed.observe(&event);
    }
    let footprint = feed.detector.footprint();
    assert!(
        footprint.open_requests <= 16 * 60 + 1,
        "{} requests kept",
        footprint.open_requests
    );
    assert!(footprint.history_hours <= 3);

    // A burst and a break-glass alert, then quiet for two hours.
    for i in 0..25 {
        feed.observe(&denied(
            "north",
            "eve",
            start + SignedDuration::from_hours(3) + secs(i),
        ));
    }
    feed.observe(&emergency(start + SignedDuration::from_hours(3)));
    let busy = feed.detector.footprint();
    assert_eq!(busy.refusals, 20);
    // The burst, the break-glass and the storefront's bulk read of 3,600 an hour.
    assert_eq!(busy.open_alerts, 3);

    let later = start + SignedDuration::from_hours(5) + secs(1);
    feed.observe(&read("north", "nurse", ActorKind::User, later));
    let quiet = feed.detector.footprint();
    assert_eq!(quiet.refusals, 0);
    assert_eq!(quiet.open_alerts, 0);
    assert_eq!(quiet.open_requests, 0);
    assert_eq!(quiet.actors, 4);
    assert_eq!(feed.detector.open_alerts().count(), 0);
}
