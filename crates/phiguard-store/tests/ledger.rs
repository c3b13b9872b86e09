#![allow(
    clippy::unwrap_used,
    reason = "a test fails loudly on any unexpected error"
)]

//! The per-tenant Merkle logs the store keeps of audit events: contiguous, recomputable and
//! unaffected by lists that roll back, across restarts.

use phiguard_core::{ActorKind, AuditAction, AuditEvent, Decision, Outcome, TenantId, Timestamp};
use phiguard_ledger::{
    LedgerEntry, MemoryTree, NodeId, NodeSource, inclusion_proof, leaf_hash, root_at,
    verify_inclusion,
};
use phiguard_store::{Change, LedgerNodes, SqliteStore, Store, Tenant};

fn tenant(id: &str) -> Tenant {
    Tenant {
        id: id.parse().unwrap(),
        name: format!("{id} pharmacy"),
        time_zone: None,
        created_at: Timestamp::now(),
    }
}

fn event(tenant: &TenantId, n: usize) -> AuditEvent {
    let mut event = AuditEvent::new(
        tenant.clone(),
        "pharmacist".parse().unwrap(),
        ActorKind::User,
        AuditAction::ReadRecord,
        Decision::Allow,
        Outcome::Success,
    );
    event.target = Some(format!("event {n}"));
    event
}

/// Checks a tenant's log against an independent rebuild from its entry bytes, and returns its
/// size.
fn check_log(store: &SqliteStore, tenant: &TenantId) -> u64 {
    let size = store.ledger_size(tenant).unwrap();
    let leaves = store.ledger_leaves(tenant, 0, 10_000).unwrap();
    assert_eq!(leaves.len() as u64, size);

    let mut rebuilt = MemoryTree::new();
    for (position, leaf) in leaves.iter().enumerate() {
        assert_eq!(leaf.index, position as u64, "leaves are contiguous");
        let entry = LedgerEntry::decode(&leaf.entry).unwrap();
        assert_eq!(entry.index, leaf.index, "the entry names its own position");
        assert_eq!(&entry.tenant, tenant);
        let hash = leaf_hash(&leaf.entry);
        assert_eq!(
            hash.as_bytes(),
            &leaf.leaf_hash,
            "stored hash covers the bytes"
        );
        rebuilt.append(hash);
    }

    let nodes = LedgerNodes::new(store, tenant);
    assert_eq!(root_at(size, &nodes).unwrap(), rebuilt.root());
    for index in [0, size / 2, size.saturating_sub(1)] {
        if index < size {
            let proof = inclusion_proof(index, size, &nodes).unwrap();
            let leaf = nodes.node(NodeId::leaf(index)).unwrap();
            verify_inclusion(&leaf, index, size, &proof, &rebuilt.root()).unwrap();
        }
    }
    size
}

#[tokio::test]
async fn each_tenant_gets_a_contiguous_log_and_failed_lists_leave_no_leaves() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path()).unwrap();
    store
        .submit(vec![
            Change::InsertTenant(tenant("north")),
            Change::InsertTenant(tenant("south")),
        ])
        .await
        .unwrap();
    let north: TenantId = "north".parse().unwrap();
    let south: TenantId = "south".parse().unwrap();

    // Submitted together so that the writer groups them; every seventh list fails on a
    // duplicate tenant after appending its event, and must take the event with it.
    let mut pending = Vec::new();
    let mut expected = [0u64; 2];
    for n in 0..300 {
        let (which, id) = if n % 3 == 0 { (1, &south) } else { (0, &north) };
        let mut changes = vec![Change::Audit(event(id, n))];
        if n % 7 == 0 {
            changes.push(Change::InsertTenant(tenant("north")));
        } else {
            expected[which] += 1;
        }
        pending.push((n % 7 != 0, store.submit(changes)));
    }
    for (should_commit, wait) in pending {
        assert_eq!(wait.await.is_ok(), should_commit);
    }

    assert_eq!(check_log(&store, &north), expected[0]);
    assert_eq!(check_log(&store, &south), expected[1]);

    // After a restart the writer rebuilds its frontiers from the stored nodes.
    drop(store);
    let store = SqliteStore::open(dir.path()).unwrap();
    for n in 0..37 {
        let receipt = store
            .submit(vec![Change::Audit(event(&north, 1000 + n))])
            .await
            .unwrap();
        assert_eq!(receipt.ledger_leaves, [expected[0] + n as u64]);
    }
    assert_eq!(check_log(&store, &north), expected[0] + 37);
    assert_eq!(check_log(&store, &south), expected[1]);
}

#[tokio::test]
async fn ledger_rows_cannot_be_changed_or_removed() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path()).unwrap();
    let north: TenantId = "north".parse().unwrap();
    let mut changes = vec![Change::InsertTenant(tenant("north"))];
    changes.extend((0..4).map(|n| Change::Audit(event(&north, n))));
    store.submit(changes).await.unwrap();
    drop(store);

    let conn = rusqlite::Connection::open(dir.path().join("vault.sqlite")).unwrap();
    for sql in [
        "UPDATE audit_events SET leaf_hash = zeroblob(32)",
        "DELETE FROM audit_events",
        "UPDATE ledger_nodes SET hash = zeroblob(32)",
        "DELETE FROM ledger_nodes",
        "INSERT INTO audit_events (tenant_id, time, actor_id, action, outcome, event)
         VALUES ('north', 0, 'x', 'read_record', 'success', '{}')",
    ] {
        let refused = conn.execute(sql, []);
        assert!(refused.is_err(), "{sql} was allowed");
    }
}
