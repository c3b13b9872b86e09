#![allow(
    clippy::unwrap_used,
    reason = "a test fails loudly on any unexpected error"
)]

//! Behaviour of the embedded store, driven through the `Store` trait.

use std::collections::BTreeMap;

use phiguard_core::{
    ActorKind, AuditAction, AuditEvent, Decision, Outcome, RecordId, SubjectId, TenantId, Timestamp,
};
use phiguard_store::{
    Actor, AuditQuery, Change, Credential, IndexEntry, KeyChange, Record, RecordPart, SqliteStore,
    Store, StoreError, Subject, Tenant, WrappedSubjectKey, WrappedTenantKey,
};

/// The store keeps microseconds; times made here are cut to match.
fn now() -> Timestamp {
    Timestamp::from_microsecond(Timestamp::now().as_microsecond()).unwrap()
}

fn tenant(id: &str) -> Tenant {
    Tenant {
        id: id.parse().unwrap(),
        name: format!("{id} pharmacy"),
        time_zone: Some("America/Chicago".into()),
        created_at: now(),
    }
}

fn actor(tenant: &str, id: &str) -> Actor {
    Actor {
        tenant: tenant.parse().unwrap(),
        id: id.parse().unwrap(),
        kind: ActorKind::User,
        display_name: "Support agent".into(),
        roles: vec!["support".parse().unwrap()],
        attributes: BTreeMap::from([("desk".into(), "east".into())]),
        disabled: false,
        created_at: now(),
        updated_at: now(),
    }
}

fn subject(tenant: &str, n: u8) -> Subject {
    Subject {
        tenant: tenant.parse().unwrap(),
        id: SubjectId::from_random([n; 16]),
        restricted: false,
        created_at: now(),
        disposed_at: None,
    }
}

fn record(subject: &Subject, n: u8) -> Record {
    Record {
        tenant: subject.tenant.clone(),
        id: RecordId::from_random([n; 16]),
        subject: subject.id.clone(),
        record_type: "fhir.Patient".into(),
        subject_key_version: 1,
        created_at: now(),
        updated_at: now(),
    }
}

fn put(record: &Record, digest: u8) -> Change {
    Change::PutRecord {
        record: record.clone(),
        parts: vec![
            RecordPart {
                part: "structure".into(),
                sealed: vec![1, 2, 3],
            },
            RecordPart {
                part: "name".into(),
                sealed: vec![4, 5, 6],
            },
        ],
        index: vec![IndexEntry {
            field: "ssn".into(),
            digest: [digest; 16],
        }],
        source: None,
    }
}

fn event(tenant: &TenantId, subject: Option<&SubjectId>) -> AuditEvent {
    let mut event = AuditEvent::new(
        tenant.clone(),
        "agent".parse().unwrap(),
        ActorKind::User,
        AuditAction::ReadRecord,
        Decision::Allow,
        Outcome::Success,
    );
    event.subject = subject.cloned();
    event
}

async fn seeded() -> (tempfile::TempDir, SqliteStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path()).unwrap();
    store
        .submit(vec![
            Change::InsertTenant(tenant("north")),
            Change::InsertTenant(tenant("south")),
            Change::PutActor(actor("north", "agent")),
        ])
        .await
        .unwrap();
    (dir, store)
}

#[cfg(unix)]
#[tokio::test]
async fn files_are_private_to_their_owner() {
    use std::os::unix::fs::PermissionsExt;

    let (dir, _store) = seeded().await;
    for name in ["vault.sqlite", "vault.sqlite-wal", "keyring.sqlite"] {
        let mode = std::fs::metadata(dir.path().join(name))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "{name} has mode {mode:o}");
    }
}

#[tokio::test]
async fn reopening_keeps_what_was_committed() {
    let (dir, store) = seeded().await;
    drop(store);
    let store = SqliteStore::open(dir.path()).unwrap();
    let ids: Vec<_> = store
        .tenants()
        .unwrap()
        .into_iter()
        .map(|t| t.id.to_string())
        .collect();
    assert_eq!(ids, ["north", "south"]);
    assert_eq!(
        store.actors(&"north".parse().unwrap()).unwrap(),
        vec![actor_like(&store)]
    );
}

fn actor_like(store: &SqliteStore) -> Actor {
    store
        .actor(&"north".parse().unwrap(), &"agent".parse().unwrap())
        .unwrap()
        .unwrap()
}

#[tokio::test]
async fn a_newer_schema_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    drop(SqliteStore::open(dir.path()).unwrap());
    let conn = rusqlite::Connection::open(dir.path().join("vault.sqlite")).unwrap();
    conn.execute_batch("PRAGMA user_version = 99").unwrap();
    drop(conn);

    let Err(err) = SqliteStore::open(dir.path()) else {
        panic!("opened a newer schema")
    };
    assert!(
        matches!(err, StoreError::SchemaTooNew { found: 99, .. }),
        "{err}"
    );
}

#[tokio::test]
async fn a_conflict_undoes_only_its_own_list() {
    let (_dir, store) = seeded().await;

    let duplicate = store.submit(vec![
        Change::InsertTenant(tenant("east")),
        Change::InsertTenant(tenant("north")),
    ]);
    let fine = store.submit(vec![Change::InsertTenant(tenant("west"))]);

    assert!(matches!(duplicate.await, Err(StoreError::Conflict(_))));
    fine.await.unwrap();
    let ids: Vec<_> = store
        .tenants()
        .unwrap()
        .into_iter()
        .map(|t| t.id.to_string())
        .collect();
    assert_eq!(
        ids,
        ["north", "south", "west"],
        "east must have been rolled back"
    );
}

#[tokio::test]
async fn concurrent_writers_are_all_committed_with_their_sequence_numbers() {
    let (_dir, store) = seeded().await;
    let store = std::sync::Arc::new(store);
    let north: TenantId = "north".parse().unwrap();

    let mut waits = Vec::new();
    for _ in 0..200 {
        waits.push(store.submit(vec![Change::Audit(event(&north, None))]));
    }
    let mut seqs = Vec::new();
    for wait in waits {
        seqs.extend(wait.await.unwrap().audit_seqs);
    }

    let mut sorted = seqs.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(sorted.len(), 200);
    let stored = store.audit_events(
        &north,
        &AuditQuery {
            limit: 1000,
            ..Default::default()
        },
    );
    assert_eq!(stored.unwrap().len(), 200);
}

#[tokio::test]
async fn audit_events_cannot_be_changed_or_removed() {
    let (dir, store) = seeded().await;
    let north: TenantId = "north".parse().unwrap();
    store
        .submit(vec![Change::Audit(event(&north, None))])
        .await
        .unwrap();

    let conn = rusqlite::Connection::open(dir.path().join("vault.sqlite")).unwrap();
    let update = conn.execute("UPDATE audit_events SET actor_id = 'someone-else'", []);
    let delete = conn.execute("DELETE FROM audit_events", []);
    assert!(update.unwrap_err().to_string().contains("append-only"));
    assert!(delete.unwrap_err().to_string().contains("append-only"));
}

#[tokio::test]
async fn audit_queries_filter_by_subject_and_page() {
    let (_dir, store) = seeded().await;
    let north: TenantId = "north".parse().unwrap();
    let subject = SubjectId::from_random([3; 16]);
    let changes = (0..5)
        .map(|i| Change::Audit(event(&north, (i % 2 == 0).then_some(&subject))))
        .collect();
    store.submit(changes).await.unwrap();

    let about = AuditQuery {
        subject: Some(subject.clone()),
        limit: 100,
        ..Default::default()
    };
    assert_eq!(store.audit_events(&north, &about).unwrap().len(), 3);

    let first = AuditQuery {
        limit: 2,
        ..Default::default()
    };
    let page = store.audit_events(&north, &first).unwrap();
    let next = AuditQuery {
        after_seq: Some(page[1].seq),
        limit: 10,
        ..Default::default()
    };
    assert_eq!(store.audit_events(&north, &next).unwrap().len(), 3);

    let south: TenantId = "south".parse().unwrap();
    assert!(store.audit_events(&south, &about).unwrap().is_empty());
}

#[tokio::test]
async fn records_are_invisible_from_other_tenants() {
    let (_dir, store) = seeded().await;
    let s = subject("north", 1);
    let r = record(&s, 1);
    store
        .submit(vec![Change::InsertSubject(s.clone()), put(&r, 7)])
        .await
        .unwrap();

    let north: TenantId = "north".parse().unwrap();
    let south: TenantId = "south".parse().unwrap();
    assert!(store.record(&north, &r.id).unwrap().is_some());
    assert!(store.record(&south, &r.id).unwrap().is_none());
    assert!(store.record_parts(&south, &r.id).unwrap().is_empty());
    assert!(
        store
            .search(&south, "ssn", &[7; 16], 10)
            .unwrap()
            .is_empty()
    );
    assert_eq!(store.search(&north, "ssn", &[7; 16], 10).unwrap().len(), 1);
}

#[tokio::test]
async fn a_record_cannot_be_moved_to_another_subject_by_replacing_it() {
    let (_dir, store) = seeded().await;
    let owner = subject("north", 1);
    let other = subject("north", 2);
    let r = record(&owner, 1);
    store
        .submit(vec![
            Change::InsertSubject(owner.clone()),
            Change::InsertSubject(other.clone()),
            put(&r, 7),
        ])
        .await
        .unwrap();

    let mut moved = r.clone();
    moved.subject = other.id.clone();
    let err = store.submit(vec![put(&moved, 8)]).await.unwrap_err();
    assert!(matches!(err, StoreError::Missing(_)), "{err}");
    let (kept, _) = store.record(&owner.tenant, &r.id).unwrap().unwrap();
    assert_eq!(kept.subject, owner.id);
}

#[tokio::test]
async fn replacing_a_record_replaces_its_parts_and_index() {
    let (_dir, store) = seeded().await;
    let s = subject("north", 1);
    let r = record(&s, 1);
    store
        .submit(vec![Change::InsertSubject(s.clone()), put(&r, 7)])
        .await
        .unwrap();
    store.submit(vec![put(&r, 9)]).await.unwrap();

    assert!(
        store
            .search(&s.tenant, "ssn", &[7; 16], 10)
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        store.search(&s.tenant, "ssn", &[9; 16], 10).unwrap().len(),
        1
    );
    assert_eq!(store.record_parts(&s.tenant, &r.id).unwrap().len(), 2);
}

#[tokio::test]
async fn disposal_drops_everything_but_the_audit_trail() {
    let (_dir, store) = seeded().await;
    let s = subject("north", 1);
    let keep = subject("north", 2);
    let r = record(&s, 1);
    let kept = record(&keep, 2);
    store
        .submit(vec![
            Change::InsertSubject(s.clone()),
            Change::InsertSubject(keep.clone()),
            put(&r, 7),
            put(&kept, 8),
            Change::LinkSubject {
                tenant: s.tenant.clone(),
                field: "source_fhir_patient".into(),
                digest: [1; 16],
                subject: s.id.clone(),
            },
            Change::Audit(event(&s.tenant, Some(&s.id))),
        ])
        .await
        .unwrap();

    store
        .submit(vec![Change::DisposeSubject {
            tenant: s.tenant.clone(),
            subject: s.id.clone(),
            at: now(),
        }])
        .await
        .unwrap();

    let t = &s.tenant;
    assert!(store.record(t, &r.id).unwrap().is_none());
    assert!(store.record_parts(t, &r.id).unwrap().is_empty());
    assert!(store.search(t, "ssn", &[7; 16], 10).unwrap().is_empty());
    assert!(
        store
            .linked_subject(t, "source_fhir_patient", &[1; 16])
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .subject(t, &s.id)
            .unwrap()
            .unwrap()
            .disposed_at
            .is_some()
    );
    assert!(store.record(t, &kept.id).unwrap().is_some());
    let about = AuditQuery {
        subject: Some(s.id.clone()),
        limit: 10,
        ..Default::default()
    };
    assert_eq!(store.audit_events(t, &about).unwrap().len(), 1);

    let again = store.submit(vec![Change::DisposeSubject {
        tenant: t.clone(),
        subject: s.id.clone(),
        at: now(),
    }]);
    assert!(matches!(again.await, Err(StoreError::Missing(_))));
}

#[tokio::test]
async fn credentials_come_back_with_their_actor_and_can_be_revoked() {
    let (_dir, store) = seeded().await;
    let id = "cred_aaaaaaaaaaaaaaaa".parse().unwrap();
    let credential = Credential {
        id: "cred_aaaaaaaaaaaaaaaa".parse().unwrap(),
        tenant: "north".parse().unwrap(),
        actor: "agent".parse().unwrap(),
        secret_hash: [5; 32],
        label: Some("laptop".into()),
        created_at: now(),
        expires_at: now(),
        revoked_at: None,
    };
    store
        .submit(vec![Change::InsertCredential(credential.clone())])
        .await
        .unwrap();

    let found = store.credential(&id).unwrap().unwrap();
    assert_eq!(found.credential, credential);
    assert_eq!(found.actor.id.as_str(), "agent");
    assert_eq!(found.config_version, 0);

    let wrong_tenant = store.submit(vec![Change::RevokeCredential {
        tenant: "south".parse().unwrap(),
        id: id.clone(),
        at: now(),
    }]);
    assert!(matches!(wrong_tenant.await, Err(StoreError::Missing(_))));

    store
        .submit(vec![Change::RevokeCredential {
            tenant: "north".parse().unwrap(),
            id: id.clone(),
            at: now(),
        }])
        .await
        .unwrap();
    assert!(
        store
            .credential(&id)
            .unwrap()
            .unwrap()
            .credential
            .revoked_at
            .is_some()
    );
}

#[tokio::test]
async fn rewrapping_is_compare_and_swap_and_old_keys_die_when_unused() {
    let (_dir, store) = seeded().await;
    let north: TenantId = "north".parse().unwrap();
    let tenant_key = |version| WrappedTenantKey {
        tenant: north.clone(),
        version,
        wrapped: vec![version as u8; 60],
        created_at: now(),
    };
    let subject_key = |n: u8, tenant_key_version| WrappedSubjectKey {
        tenant: north.clone(),
        subject: SubjectId::from_random([n; 16]),
        version: 1,
        tenant_key_version,
        wrapped: vec![n; 60],
    };

    store
        .apply_keys(vec![
            KeyChange::InsertTenantKey(tenant_key(1)),
            KeyChange::InsertSubjectKey(subject_key(1, 1)),
            KeyChange::InsertSubjectKey(subject_key(2, 1)),
            KeyChange::InsertTenantKey(tenant_key(2)),
        ])
        .unwrap();
    assert!(matches!(
        store.apply_keys(vec![KeyChange::InsertSubjectKey(subject_key(1, 1))]),
        Err(StoreError::Conflict(_))
    ));

    let receipt = store
        .apply_keys(vec![
            KeyChange::Rewrap {
                from_version: 1,
                key: subject_key(1, 2),
            },
            KeyChange::Rewrap {
                from_version: 5,
                key: subject_key(2, 2),
            },
            KeyChange::DestroyUnusedTenantKeys {
                tenant: north.clone(),
                below: 2,
            },
        ])
        .unwrap();
    assert_eq!(receipt.rewrapped, 1);
    assert!(
        receipt.destroyed_tenant_key_versions.is_empty(),
        "subject 2 still needs v1"
    );

    let receipt = store
        .apply_keys(vec![
            KeyChange::Rewrap {
                from_version: 1,
                key: subject_key(2, 2),
            },
            KeyChange::DestroyUnusedTenantKeys {
                tenant: north.clone(),
                below: 2,
            },
        ])
        .unwrap();
    assert_eq!(receipt.destroyed_tenant_key_versions, [1]);
    let versions: Vec<_> = store
        .tenant_keys(&north)
        .unwrap()
        .iter()
        .map(|k| k.version)
        .collect();
    assert_eq!(versions, [2]);
    assert!(
        store
            .subject_keys_wrapped_below(&north, 2)
            .unwrap()
            .is_empty()
    );

    // A subject key wrapped under v1 before the rotation finished arrives too late: it is
    // refused rather than stored under a key that no longer exists, and nothing of its list
    // is kept.
    assert!(matches!(
        store.apply_keys(vec![
            KeyChange::InsertSubjectKey(subject_key(3, 2)),
            KeyChange::InsertSubjectKey(subject_key(4, 1)),
        ]),
        Err(StoreError::Retired(_))
    ));
    assert!(
        store
            .subject_key(&north, &SubjectId::from_random([3; 16]))
            .unwrap()
            .is_none()
    );
    store
        .apply_keys(vec![KeyChange::InsertSubjectKey(subject_key(4, 2))])
        .unwrap();

    let s = SubjectId::from_random([1; 16]);
    store
        .apply_keys(vec![KeyChange::DestroySubjectKey {
            tenant: north.clone(),
            subject: s.clone(),
        }])
        .unwrap();
    assert!(store.subject_key(&north, &s).unwrap().is_none());
}

#[tokio::test]
async fn policy_and_record_type_changes_bump_the_configuration_version() {
    let (_dir, store) = seeded().await;
    let north: TenantId = "north".parse().unwrap();
    let before = store.config_version(&north).unwrap().unwrap();

    store
        .submit(vec![Change::PutPolicy(phiguard_store::Policy {
            tenant: north.clone(),
            id: "p1".into(),
            text: "forbid(principal, action, resource);".into(),
            created_at: now(),
            updated_at: now(),
        })])
        .await
        .unwrap();
    store
        .submit(vec![Change::DeletePolicy {
            tenant: north.clone(),
            id: "p1".into(),
        }])
        .await
        .unwrap();

    assert_eq!(store.config_version(&north).unwrap(), Some(before + 2));
    assert_eq!(
        store.config_version(&"nowhere".parse().unwrap()).unwrap(),
        None
    );
}
