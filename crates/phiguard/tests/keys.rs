//! The key chain seen from outside: disposal crypto-shreds a subject everywhere its ciphertext
//! went (backups included), and rotation changes the tenant key without losing a record.

mod common;

use std::path::Path;

use common::fixtures::{self, Corpus, ssn_of};
use common::setup::Tenant;
use common::{ServeOptions, Server, Workspace, open_db};
use serde_json::{Value, json};

const TENANT: &str = "northwind";

fn read(server: &Server, tenant: &Tenant, record: &str) -> common::http::Response {
    server
        .get(&tenant.path(&format!("/records/{record}")))
        .bearer(tenant.token("clinician"))
        .purpose("TREAT")
        .send()
}

fn find_patient(server: &Server, tenant: &Tenant, ssn: &str) -> (String, String) {
    let hits = tenant.search(
        server,
        "clinician",
        "TREAT",
        &json!({"field": "ssn", "value": ssn}),
    );
    assert_eq!(
        hits.len(),
        1,
        "one Patient record carries SSN {ssn}: {hits:?}"
    );
    hits[0].clone()
}

fn record_ids_of(server: &Server, tenant: &Tenant, subject: &str) -> Vec<String> {
    let listed = server
        .get(&tenant.path(&format!("/subjects/{subject}/records?limit=200")))
        .bearer(tenant.token("clinician"))
        .purpose("TREAT")
        .send();
    listed.expect_status(200);
    listed.json()["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|view| view["record_id"].as_str().expect("record_id").to_owned())
        .collect()
}

/// The key versions of `tenant` in the keyring, ascending.
fn tenant_key_versions(data_dir: &Path) -> Vec<u32> {
    let keyring = open_db(&data_dir.join("keyring.sqlite"));
    let mut statement = keyring
        .prepare("SELECT version FROM tenant_keys WHERE tenant_id = ?1 ORDER BY version")
        .expect("a query");
    statement
        .query_map([TENANT], |row| row.get(0))
        .expect("tenant keys")
        .collect::<Result<_, _>>()
        .expect("versions")
}

fn copy_private(from: &Path, to: &Path) {
    std::fs::copy(from, to).expect("copying a data file");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(to, std::fs::Permissions::from_mode(0o600))
            .expect("owner-only permissions");
    }
}

#[test]
fn disposal_crypto_shreds_a_subject_in_the_vault_and_in_its_backups() {
    let workspace = Workspace::new();
    let mut tenant = Tenant::create(&workspace, TENANT);
    let server = workspace.serve();
    tenant.add_actor(&server, "clinician", "user", &["clinician"]);
    let corpus = Corpus::small(404);
    for bundle in &corpus.bundles {
        tenant.import(&server, "fhir-bundle", bundle.to_bytes());
    }
    let shredded_ssn = ssn_of(&corpus.bundles[0]);
    let (subject, record) = find_patient(&server, &tenant, &shredded_ssn);
    let kept_ssn = ssn_of(&corpus.bundles[1]);
    let (kept_subject, kept_record) = find_patient(&server, &tenant, &kept_ssn);
    read(&server, &tenant, &record).expect_status(200);
    let shredded_records = record_ids_of(&server, &tenant, &subject);
    assert!(shredded_records.len() > 1 && shredded_records.contains(&record));

    // A backup taken the way an operator would, consistent while the server runs.
    let backup = workspace.path("backup-vault.sqlite");
    open_db(&workspace.data_dir().join("vault.sqlite"))
        .execute("VACUUM INTO ?1", [backup.to_str().expect("a UTF-8 path")])
        .expect("backing up the vault");

    let disposed = server
        .delete(&tenant.path(&format!("/subjects/{subject}")))
        .bearer(tenant.admin())
        .purpose("HSYSADMIN")
        .send();
    disposed.expect_status(200);
    assert_eq!(disposed.json()["key_destroyed"], true);

    // Gone from the live vault: no read, no list, no search hit; the other patient stays.
    for id in &shredded_records {
        read(&server, &tenant, id).expect_problem(404, "not-found");
    }
    server
        .get(&tenant.path(&format!("/subjects/{subject}/records")))
        .bearer(tenant.token("clinician"))
        .purpose("TREAT")
        .send()
        .expect_problem(404, "not-found");
    let hits = tenant.search(
        &server,
        "clinician",
        "TREAT",
        &json!({"field": "ssn", "value": shredded_ssn}),
    );
    assert!(
        hits.is_empty(),
        "a disposed subject is still found: {hits:?}"
    );
    let kept = read(&server, &tenant, &kept_record);
    kept.expect_status(200);
    assert!(kept.text().contains(&kept_ssn));

    // The audit trail keeps the subject's history and records the disposal.
    let trail = server
        .get(&tenant.path(&format!("/subjects/{subject}/audit-events")))
        .bearer(tenant.admin())
        .purpose("HSYSADMIN")
        .send();
    trail.expect_status(200);
    let trail = trail.json()["items"].as_array().expect("items").clone();
    let has = |action: &str, actor: &str| {
        trail
            .iter()
            .any(|e| e["action"] == action && e["actor"] == actor && e["subject"] == subject)
    };
    assert!(has("create_subject", "tenant-admin"), "{trail:#?}");
    assert!(has("read_record", "clinician"), "{trail:#?}");
    assert!(has("dispose_subject", "tenant-admin"), "{trail:#?}");

    // The backup still holds the subject's rows and ciphertexts, but the keyring no longer
    // holds a key for them. Restore the backup beside the current keyring and root key.
    server.stop();
    let keyring = open_db(&workspace.data_dir().join("keyring.sqlite"));
    let keys_of = |subject: &str| -> i64 {
        keyring
            .query_row(
                "SELECT COUNT(*) FROM subject_keys WHERE tenant_id = ?1 AND subject_id = ?2",
                [TENANT, subject],
                |row| row.get(0),
            )
            .expect("counting subject keys")
    };
    assert_eq!(
        keys_of(&subject),
        0,
        "the disposed subject's key is destroyed"
    );
    assert_eq!(keys_of(&kept_subject), 1);
    drop(keyring);
    let backup_db = open_db(&backup);
    let backed_up_parts: i64 = backup_db
        .query_row(
            "SELECT COUNT(*) FROM record_parts p JOIN records r \
             ON r.tenant_id = p.tenant_id AND r.id = p.record_id \
             WHERE r.tenant_id = ?1 AND r.subject_id = ?2",
            [TENANT, &subject],
            |row| row.get(0),
        )
        .expect("counting backed-up ciphertexts");
    assert!(
        backed_up_parts > 0,
        "the backup holds the subject's ciphertexts"
    );
    drop(backup_db);

    let restored = workspace.path("restored-data");
    std::fs::create_dir(&restored).expect("a restore directory");
    let data = workspace.data_dir();
    copy_private(&data.join("root.key"), &restored.join("root.key"));
    for file in ["keyring.sqlite", "keyring.sqlite-wal"] {
        if data.join(file).exists() {
            copy_private(&data.join(file), &restored.join(file));
        }
    }
    copy_private(&backup, &restored.join("vault.sqlite"));
    let server = workspace.serve_dir(&restored, &ServeOptions::default());

    for id in &shredded_records {
        let response = read(&server, &tenant, id);
        assert!(
            matches!(response.status, 404 | 500),
            "a shredded record read from the backup answered {}: {}",
            response.status,
            response.text()
        );
        for value in &corpus.bundles[0].planted {
            assert!(
                !response.text().contains(value.as_str()),
                "the restored backup disclosed a value of the shredded subject"
            );
        }
    }
    let kept = read(&server, &tenant, &kept_record);
    kept.expect_status(200);
    assert!(kept.text().contains(&kept_ssn), "other subjects read fine");
}

#[test]
fn rotation_keeps_every_record_readable_and_destroys_old_key_versions() {
    let workspace = Workspace::new();
    let mut tenant = Tenant::create(&workspace, TENANT);
    let mut server = workspace.serve();
    tenant.add_actor(&server, "clinician", "user", &["clinician"]);
    let corpus = Corpus::small(505);
    for bundle in &corpus.bundles {
        tenant.import(&server, "fhir-bundle", bundle.to_bytes());
    }
    let ssn = ssn_of(&corpus.bundles[0]);
    let (_, record) = find_patient(&server, &tenant, &ssn);
    assert!(read(&server, &tenant, &record).text().contains(&ssn));
    assert_eq!(tenant_key_versions(&workspace.data_dir()), vec![1]);

    // From the command line, while the server runs.
    let rotated = workspace.cli_ok(&["keys", "rotate", "--tenant", TENANT]);
    assert!(
        rotated.contains("now uses key v2") && rotated.contains("re-wrapped 2 subject keys"),
        "{rotated}"
    );
    assert_eq!(tenant_key_versions(&workspace.data_dir()), vec![2]);
    let keyring = open_db(&workspace.data_dir().join("keyring.sqlite"));
    let stale: i64 = keyring
        .query_row(
            "SELECT COUNT(*) FROM subject_keys WHERE tenant_id = ?1 AND tenant_key_version <> 2",
            [TENANT],
            |row| row.get(0),
        )
        .expect("counting stale wrappings");
    assert_eq!(
        stale, 0,
        "every subject key is wrapped under the new version"
    );
    let index_version: u32 = keyring
        .query_row(
            "SELECT tenant_key_version FROM index_keys WHERE tenant_id = ?1",
            [TENANT],
            |row| row.get(0),
        )
        .expect("the index key");
    assert_eq!(index_version, 2);
    drop(keyring);

    let view = read(&server, &tenant, &record);
    view.expect_status(200);
    assert_eq!(view.json()["disclosure"]["identifier"], "clear");
    assert!(
        view.text().contains(&ssn),
        "old records still read in clear"
    );
    assert_eq!(
        find_patient(&server, &tenant, &ssn).1,
        record,
        "search survives"
    );

    // Through the API, by the tenant administrator.
    let rotated = server
        .post(&tenant.path("/keys/rotate"))
        .bearer(tenant.admin())
        .purpose("HSYSADMIN")
        .send();
    rotated.expect_status(200);
    let report = rotated.json();
    assert_eq!(report["new_version"], 3);
    assert_eq!(report["rewrapped_subject_keys"], 2);
    assert_eq!(report["destroyed_versions"], json!([2]));
    assert_eq!(tenant_key_versions(&workspace.data_dir()), vec![3]);
    assert!(read(&server, &tenant, &record).text().contains(&ssn));

    // New records after rotation, and everything again after a restart with cold caches.
    let created = server
        .post(&tenant.path("/records"))
        .bearer(tenant.admin())
        .purpose("HSYSADMIN")
        .json(&json!({"record_type": "fhir.Patient", "document": fixtures::patient()}))
        .send();
    created.expect_status(201);
    let new_record = created.json()["record_id"]
        .as_str()
        .expect("an id")
        .to_owned();
    server.stop();
    server = workspace.serve();
    assert!(read(&server, &tenant, &record).text().contains(&ssn));
    assert!(
        read(&server, &tenant, &new_record)
            .text()
            .contains("999-12-3456")
    );

    // Both rotations are in the audit trail: the command line's by phiguard's key-rotation
    // system actor, the API's by the administrator.
    let events = tenant.audit_events(&server);
    let rotations: Vec<&Value> = events
        .iter()
        .filter(|e| e["action"] == "rotate_keys")
        .collect();
    assert_eq!(rotations.len(), 2, "{rotations:#?}");
    assert_eq!(rotations[0]["actor"], "phiguard-key-rotation");
    assert_eq!(rotations[0]["actor_kind"], "system");
    assert_eq!(rotations[0]["decision"], "allow");
    assert_eq!(rotations[0]["outcome"], "success");
    assert_eq!(rotations[0]["count"], 2);
    assert_eq!(rotations[1]["actor"], "tenant-admin");
    assert_eq!(rotations[1]["actor_kind"], "user");
    assert_eq!(rotations[1]["request_id"], rotated.request_id());
}

#[test]
fn rotations_racing_with_new_subjects_never_strand_a_subject_key() {
    let workspace = Workspace::new();
    let mut tenant = Tenant::create(&workspace, TENANT);
    let server = workspace.serve();
    tenant.add_actor(&server, "clinician", "user", &["clinician"]);

    // New subjects from two threads while the administrator rotates over and over: each new
    // subject key is wrapped under whatever version is current when it is committed.
    let created: Vec<String> = std::thread::scope(|scope| {
        let writers: Vec<_> = (0..2)
            .map(|_| {
                scope.spawn(|| {
                    (0..40)
                        .map(|_| {
                            let created = server
                                .post(&tenant.path("/records"))
                                .bearer(tenant.token("clinician"))
                                .purpose("TREAT")
                                .json(&json!({"record_type": "fhir.Patient",
                                              "document": fixtures::patient()}))
                                .send();
                            created.expect_status(201);
                            created.json()["record_id"]
                                .as_str()
                                .expect("an id")
                                .to_owned()
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        for _ in 0..12 {
            server
                .post(&tenant.path("/keys/rotate"))
                .bearer(tenant.admin())
                .purpose("HSYSADMIN")
                .send()
                .expect_status(200);
        }
        writers
            .into_iter()
            .flat_map(|w| w.join().expect("a writer thread"))
            .collect()
    });

    // With cold caches, every subject opens, and a further rotation still succeeds.
    server.stop();
    let server = workspace.serve();
    for record in &created {
        let view = read(&server, &tenant, record);
        view.expect_status(200);
        assert!(view.text().contains("999-12-3456"));
    }
    server
        .post(&tenant.path("/keys/rotate"))
        .bearer(tenant.admin())
        .purpose("HSYSADMIN")
        .send()
        .expect_status(200);
    let versions = tenant_key_versions(&workspace.data_dir());
    assert_eq!(
        versions.len(),
        1,
        "old versions were all retired: {versions:?}"
    );
}
