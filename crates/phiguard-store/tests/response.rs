#![allow(
    clippy::unwrap_used,
    reason = "a test fails loudly on any unexpected error"
)]

//! What detection and incident response keep: alerts (rewritten as repeats fold in, never
//! deleted), failed deliveries, the detectors' cursor, incidents kept six years, and the audit
//! stream read across tenants in order.

use phiguard_core::{
    ActorKind, Alert, AlertId, AuditAction, AuditEvent, Decision, DetectionRule, EvidenceRef,
    IncidentId, Outcome, Severity, TenantId, Timestamp,
};
use phiguard_store::{
    AlertQuery, Change, DeadLetter, SqliteStore, Store, StoreError, StoredIncident, Tenant,
};

fn tenant(id: &str) -> Tenant {
    Tenant {
        id: id.parse().unwrap(),
        name: format!("{id} pharmacy"),
        time_zone: Some("America/Chicago".into()),
        created_at: Timestamp::now(),
    }
}

fn alert(tenant: &TenantId, n: u8, rule: DetectionRule, at: &str) -> Alert {
    let at: Timestamp = at.parse().unwrap();
    Alert {
        id: AlertId::from_random([n; 10]),
        rule,
        severity: Severity::High,
        tenant: tenant.clone(),
        actor: "support-7".parse().unwrap(),
        actor_kind: ActorKind::User,
        first_seen: at,
        last_seen: at,
        occurrences: 1,
        evidence: vec![EvidenceRef { seq: 4, leaf: 2 }],
        evidence_total: 1,
        summary: "412 record reads in one hour against a baseline of 9".into(),
    }
}

async fn store() -> (tempfile::TempDir, SqliteStore, TenantId, TenantId) {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path()).unwrap();
    let (north, south) = (tenant("northwind"), tenant("southgate"));
    let ids = (north.id.clone(), south.id.clone());
    store
        .submit(vec![
            Change::InsertTenant(north),
            Change::InsertTenant(south),
        ])
        .await
        .unwrap();
    (dir, store, ids.0, ids.1)
}

#[tokio::test]
async fn alerts_fold_in_place_and_stay_within_their_tenant() {
    let (_dir, store, north, south) = store().await;
    let first = alert(&north, 1, DetectionRule::BulkRead, "2026-11-02T03:10:00Z");
    let other = alert(&north, 2, DetectionRule::OffHours, "2026-11-02T03:20:00Z");
    store
        .submit(vec![
            Change::PutAlert(first.clone()),
            Change::PutAlert(other.clone()),
        ])
        .await
        .unwrap();

    let mut folded = first.clone();
    folded.occurrences = 3;
    folded.last_seen = "2026-11-02T03:50:00Z".parse().unwrap();
    folded.severity = Severity::Critical;
    store
        .submit(vec![Change::PutAlert(folded.clone())])
        .await
        .unwrap();

    let all = store.alerts(&north, &AlertQuery::default()).unwrap();
    assert_eq!(
        all,
        vec![folded.clone(), other.clone()],
        "newest occurrence first"
    );
    assert_eq!(store.alert(&north, &first.id).unwrap(), Some(folded));
    assert_eq!(store.alert(&south, &first.id).unwrap(), None);
    assert!(
        store
            .alerts(&south, &AlertQuery::default())
            .unwrap()
            .is_empty()
    );

    let only_off_hours = AlertQuery {
        rule: Some(DetectionRule::OffHours),
        ..AlertQuery::default()
    };
    assert_eq!(store.alerts(&north, &only_off_hours).unwrap(), vec![other]);
    let late = AlertQuery {
        since: Some("2026-11-02T03:30:00Z".parse().unwrap()),
        ..AlertQuery::default()
    };
    assert_eq!(store.alerts(&north, &late).unwrap().len(), 1);
}

#[tokio::test]
async fn dead_letters_and_the_cursor_are_kept() {
    let (dir, store, north, south) = store().await;
    assert_eq!(store.detector_cursor().unwrap(), None);

    let letter = DeadLetter {
        tenant: north.clone(),
        alert: AlertId::from_random([9; 10]),
        channel: "hooks.example.test".into(),
        attempts: 8,
        first_attempt: "2026-11-02T03:10:00Z".parse().unwrap(),
        last_attempt: "2026-11-02T03:40:00Z".parse().unwrap(),
        error: "HTTP 503".into(),
    };
    store
        .submit(vec![
            Change::PutDeadLetter(letter.clone()),
            Change::SetDetectorCursor(41),
        ])
        .await
        .unwrap();
    store
        .submit(vec![Change::SetDetectorCursor(97)])
        .await
        .unwrap();
    drop(store);

    let store = SqliteStore::open(dir.path()).unwrap();
    assert_eq!(store.detector_cursor().unwrap(), Some(97));
    assert_eq!(store.dead_letters(&north).unwrap(), vec![letter]);
    assert!(store.dead_letters(&south).unwrap().is_empty());
}

#[tokio::test]
async fn incidents_keep_their_opening_and_their_retention_only_grows() {
    let (_dir, store, north, _south) = store().await;
    let opened: Timestamp = "2026-11-03T12:00:00Z".parse().unwrap();
    let incident = StoredIncident {
        tenant: north.clone(),
        id: IncidentId::from_random([1; 10]),
        opened_at: opened,
        retain_until: "2032-11-03T12:00:00Z".parse().unwrap(),
        document: "{\"status\":\"open\"}".into(),
    };
    store
        .submit(vec![Change::PutIncident(incident.clone())])
        .await
        .unwrap();

    let mut later = incident.clone();
    later.retain_until = "2032-12-01T00:00:00Z".parse().unwrap();
    later.document = "{\"status\":\"assessed\"}".into();
    store
        .submit(vec![Change::PutIncident(later.clone())])
        .await
        .unwrap();
    assert_eq!(
        store.incident(&north, &incident.id).unwrap(),
        Some(later.clone())
    );

    let mut shortened = later.clone();
    shortened.retain_until = "2030-01-01T00:00:00Z".parse().unwrap();
    let refused = store.submit(vec![Change::PutIncident(shortened)]).await;
    assert!(
        matches!(refused, Err(StoreError::Conflict(_))),
        "{refused:?}"
    );

    let mut moved = later.clone();
    moved.opened_at = "2026-10-01T00:00:00Z".parse().unwrap();
    let refused = store.submit(vec![Change::PutIncident(moved)]).await;
    assert!(
        matches!(refused, Err(StoreError::Conflict(_))),
        "{refused:?}"
    );
    assert_eq!(store.incidents(&north).unwrap(), vec![later]);
}

#[tokio::test]
async fn the_audit_stream_reads_every_tenant_in_commit_order() {
    let (_dir, store, north, south) = store().await;
    let event = |tenant: &TenantId| {
        AuditEvent::new(
            tenant.clone(),
            "clerk".parse().unwrap(),
            ActorKind::User,
            AuditAction::ReadRecord,
            Decision::Allow,
            Outcome::Success,
        )
    };
    store
        .submit(vec![
            Change::Audit(event(&north)),
            Change::Audit(event(&south)),
            Change::Audit(event(&north)),
        ])
        .await
        .unwrap();

    let all = store.audit_events_after(0, 100).unwrap();
    assert_eq!(store.latest_audit_seq().unwrap(), all[2].seq);
    let tenants: Vec<&str> = all.iter().map(|e| e.event.tenant.as_str()).collect();
    assert_eq!(tenants, ["northwind", "southgate", "northwind"]);
    let leaves: Vec<u64> = all.iter().map(|e| e.leaf_index).collect();
    assert_eq!(leaves, [0, 0, 1]);

    let rest = store.audit_events_after(all[0].seq, 1).unwrap();
    assert_eq!(rest.len(), 1);
    assert_eq!(rest[0].seq, all[1].seq);
}
