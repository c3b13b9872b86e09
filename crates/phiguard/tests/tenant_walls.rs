//! Tenant walls: a credential of one tenant reaches nothing of another through the API, and
//! ciphertexts, keys and index entries copied between tenants (or between categories) in the
//! database open nothing.

mod common;

use common::fixtures::{Corpus, ssn_of};
use common::http::Response;
use common::phi::PhiStrings;
use common::setup::{Tenant, token_in};
use common::{Server, Workspace, open_db};
use serde_json::json;

const A: &str = "northwind";
const B: &str = "southridge";

/// Two tenants with a clinician each and one imported patient each.
struct TwoTenants {
    workspace: Workspace,
    server: Server,
    a: Tenant,
    b: Tenant,
    a_corpus: Corpus,
    b_corpus: Corpus,
}

/// A subject and its Patient record.
struct Patient {
    subject: String,
    record: String,
}

fn two_tenants() -> TwoTenants {
    let workspace = Workspace::new();
    let mut a = Tenant::create(&workspace, A);
    let mut b = Tenant::create(&workspace, B);
    let server = workspace.serve();
    for tenant in [&mut a, &mut b] {
        tenant.add_actor(&server, "clinician", "user", &["clinician"]);
        tenant.add_actor(&server, "analytics", "service", &["analytics"]);
    }
    let a_corpus = Corpus::small(101);
    let b_corpus = Corpus::small(202);
    a.import(&server, "fhir-bundle", a_corpus.bundles[0].to_bytes());
    b.import(&server, "fhir-bundle", b_corpus.bundles[0].to_bytes());
    TwoTenants {
        workspace,
        server,
        a,
        b,
        a_corpus,
        b_corpus,
    }
}

impl TwoTenants {
    fn patient(&self, tenant: &Tenant, corpus: &Corpus) -> Patient {
        let ssn = ssn_of(&corpus.bundles[0]);
        let hits = tenant.search(
            &self.server,
            "clinician",
            "TREAT",
            &json!({"field": "ssn", "value": ssn}),
        );
        assert_eq!(hits.len(), 1, "one Patient record carries the SSN");
        Patient {
            subject: hits[0].0.clone(),
            record: hits[0].1.clone(),
        }
    }

    fn read(&self, tenant: &Tenant, record: &str) -> Response {
        self.server
            .get(&tenant.path(&format!("/records/{record}")))
            .bearer(tenant.token("clinician"))
            .purpose("TREAT")
            .send()
    }

    /// Every PHI string of both tenants.
    fn all_phi(&self) -> PhiStrings {
        let mut phi = PhiStrings::new();
        for corpus in [&self.a_corpus, &self.b_corpus] {
            for bundle in &corpus.bundles {
                phi.add_bundle(bundle);
            }
        }
        phi
    }
}

/// Asserts that a read failed without disclosing: a 404 or 500 problem document that holds
/// none of either tenant's PHI.
#[track_caller]
fn assert_failed_closed(response: &Response, phi: &PhiStrings, what: &str) {
    assert!(
        matches!(response.status, 404 | 500),
        "{what}: expected 404 or 500, got {}: {}",
        response.status,
        response.text()
    );
    let slug = if response.status == 404 {
        "not-found"
    } else {
        "internal"
    };
    response.expect_problem(response.status, slug);
    let hits = phi.find_in_text(what, &response.body);
    assert!(hits.is_empty(), "{what}: the failure disclosed {hits:?}");
}

#[test]
fn a_credential_of_one_tenant_reaches_nothing_of_another_through_the_api() {
    let setup = two_tenants();
    let (server, a, b) = (&setup.server, &setup.a, &setup.b);
    let theirs = setup.patient(b, &setup.b_corpus);
    let a_clinician = a.token("clinician");

    // B's paths with A's credentials: refused as a tenant mismatch, whatever the operation.
    let on_b = |method: &str, rest: &str| server.request(method, &b.path(rest));
    let attempts = [
        on_b("GET", &format!("/records/{}", theirs.record))
            .bearer(a_clinician)
            .purpose("TREAT"),
        on_b("GET", &format!("/subjects/{}/records", theirs.subject))
            .bearer(a_clinician)
            .purpose("TREAT"),
        on_b("POST", "/search")
            .bearer(a_clinician)
            .purpose("TREAT")
            .json(&json!({"field": "ssn", "value": ssn_of(&setup.b_corpus.bundles[0])})),
        on_b("POST", &format!("/subjects/{}/records", theirs.subject))
            .bearer(a_clinician)
            .purpose("TREAT")
            .json(&json!({"record_type": "fhir.Observation",
                "document": {"resourceType": "Observation", "status": "final"}})),
        on_b("DELETE", &format!("/subjects/{}", theirs.subject))
            .bearer(a.admin())
            .purpose("HSYSADMIN"),
        on_b("PUT", &format!("/subjects/{}/restriction", theirs.subject))
            .bearer(a.admin())
            .purpose("HSYSADMIN")
            .json(&json!({"restricted": true})),
        on_b("GET", "/audit-events")
            .bearer(a.admin())
            .purpose("HSYSADMIN"),
        on_b("POST", "/keys/rotate")
            .bearer(a.admin())
            .purpose("HSYSADMIN"),
        on_b("GET", "/actors")
            .bearer(a.admin())
            .purpose("HSYSADMIN"),
        on_b("POST", "/actors")
            .bearer(a.admin())
            .purpose("HSYSADMIN")
            .json(&json!({"id": "mole", "kind": "user", "roles": ["clinician"]})),
        on_b("PUT", "/actors/clinician")
            .bearer(a.admin())
            .purpose("HSYSADMIN")
            .json(&json!({"kind": "user", "roles": ["tenant_admin"]})),
        on_b("POST", "/actors/clinician/credentials")
            .bearer(a.admin())
            .purpose("HSYSADMIN")
            .json(&json!({})),
        on_b("PUT", "/policies/open-door")
            .bearer(a.admin())
            .purpose("HSYSADMIN")
            .body(
                "text/plain",
                b"permit (principal, action, resource);".to_vec(),
            ),
    ];
    let mut wrong = Vec::new();
    for attempt in attempts {
        let what = attempt.describe();
        let response = attempt.send();
        let slug = response.json()["type"].clone();
        if response.status != 403 || slug != "urn:phiguard:problem:tenant-mismatch" {
            wrong.push(format!("{} {slug} for {what}", response.status));
        }
        assert!(
            matches!(response.status, 401 | 403 | 404),
            "refused: {}",
            response.text()
        );
    }

    // A's own paths with B's ids: B's record and subject do not exist in A.
    let on_a = |method: &str, rest: &str| {
        server
            .request(method, &a.path(rest))
            .bearer(a_clinician)
            .purpose("TREAT")
    };
    on_a("GET", &format!("/records/{}", theirs.record))
        .send()
        .expect_problem(404, "not-found");
    on_a("GET", &format!("/subjects/{}/records", theirs.subject))
        .send()
        .expect_problem(404, "not-found");
    on_a("POST", &format!("/subjects/{}/records", theirs.subject))
        .json(&json!({"record_type": "fhir.Observation",
            "document": {"resourceType": "Observation", "status": "final"}}))
        .send()
        .expect_problem(404, "not-found");
    server
        .delete(&a.path(&format!("/subjects/{}", theirs.subject)))
        .bearer(a.admin())
        .purpose("HSYSADMIN")
        .send()
        .expect_problem(404, "not-found");

    // Searching A for B's SSN finds nothing.
    let hits = a.search(
        server,
        "clinician",
        "TREAT",
        &json!({"field": "ssn", "value": ssn_of(&setup.b_corpus.bundles[0])}),
    );
    assert!(hits.is_empty(), "A's search found B's patient: {hits:?}");

    // B's record is untouched and still B's.
    let view = setup.read(b, &theirs.record);
    view.expect_status(200);
    assert!(
        view.text().contains(&ssn_of(&setup.b_corpus.bundles[0])),
        "B's clinician reads B's SSN in clear"
    );

    // Checked last, so that the rest of the wall is exercised whatever this finds.
    assert!(
        wrong.is_empty(),
        "requests on another tenant's path not refused as tenant-mismatch:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn the_bootstrap_operator_cannot_read_tenant_data() {
    let workspace = Workspace::new();
    let operator = token_in(&workspace.cli_ok(&["tenants", "list"]));
    let mut tenant = Tenant::create(&workspace, A);
    let server = workspace.serve();
    tenant.add_actor(&server, "clinician", "user", &["clinician"]);
    let corpus = Corpus::small(303);
    tenant.import(&server, "fhir-bundle", corpus.bundles[0].to_bytes());
    let ssn = ssn_of(&corpus.bundles[0]);
    let hits = tenant.search(
        &server,
        "clinician",
        "TREAT",
        &json!({"field": "ssn", "value": ssn}),
    );

    for purpose in ["TREAT", "HOPERAT", "HSYSADMIN"] {
        server
            .get(&tenant.path(&format!("/records/{}", hits[0].1)))
            .bearer(&operator)
            .purpose(purpose)
            .send()
            .expect_problem(403, "tenant-mismatch");
        server
            .post(&tenant.path("/search"))
            .bearer(&operator)
            .purpose(purpose)
            .json(&json!({"field": "ssn", "value": ssn}))
            .send()
            .expect_problem(403, "tenant-mismatch");
    }
}

#[test]
fn ciphertexts_and_keys_copied_across_tenants_do_not_open() {
    let setup = two_tenants();
    let phi = setup.all_phi();
    let ours = setup.patient(&setup.a, &setup.a_corpus);
    let theirs = setup.patient(&setup.b, &setup.b_corpus);
    let vault = open_db(&setup.workspace.data_dir().join("vault.sqlite"));
    let keyring = open_db(&setup.workspace.data_dir().join("keyring.sqlite"));

    // (1) B's Patient record, row and ciphertexts, copied into A under one of A's subjects.
    vault
        .execute(
            "INSERT INTO records SELECT ?1, id, ?2, record_type, subject_key_version, NULL, \
             created_at, updated_at FROM records WHERE tenant_id = ?3 AND id = ?4",
            (A, &ours.subject, B, &theirs.record),
        )
        .expect("copying the record row");
    let parts = vault
        .execute(
            "INSERT INTO record_parts SELECT ?1, record_id, part, sealed FROM record_parts \
             WHERE tenant_id = ?2 AND record_id = ?3",
            (A, B, &theirs.record),
        )
        .expect("copying the parts");
    assert!(parts >= 3, "the Patient record has several parts ({parts})");
    let response = setup.read(&setup.a, &theirs.record);
    assert_failed_closed(&response, &phi, "B's ciphertexts under A's subject");

    // (2) B's whole subject copied into A: subject row, wrapped subject key, a record and its
    // parts, all under the same ids.
    let other_record: String = vault
        .query_row(
            "SELECT id FROM records WHERE tenant_id = ?1 AND subject_id = ?2 AND id <> ?3 \
             LIMIT 1",
            (B, &theirs.subject, &theirs.record),
            |row| row.get(0),
        )
        .expect("B's patient has other records");
    vault
        .execute(
            "INSERT INTO subjects SELECT ?1, id, restricted, created_at, disposed_at \
             FROM subjects WHERE tenant_id = ?2 AND id = ?3",
            (A, B, &theirs.subject),
        )
        .expect("copying the subject");
    vault
        .execute(
            "INSERT INTO records SELECT ?1, id, subject_id, record_type, subject_key_version, \
             NULL, created_at, updated_at FROM records WHERE tenant_id = ?2 AND id = ?3",
            (A, B, &other_record),
        )
        .expect("copying a record");
    vault
        .execute(
            "INSERT INTO record_parts SELECT ?1, record_id, part, sealed FROM record_parts \
             WHERE tenant_id = ?2 AND record_id = ?3",
            (A, B, &other_record),
        )
        .expect("copying its parts");
    keyring
        .execute(
            "INSERT INTO subject_keys SELECT ?1, subject_id, version, tenant_key_version, \
             wrapped FROM subject_keys WHERE tenant_id = ?2 AND subject_id = ?3",
            (A, B, &theirs.subject),
        )
        .expect("copying the wrapped subject key");
    let response = setup.read(&setup.a, &other_record);
    assert_failed_closed(&response, &phi, "B's subject, key and record copied into A");
    let listed = setup
        .server
        .get(
            &setup
                .a
                .path(&format!("/subjects/{}/records", theirs.subject)),
        )
        .bearer(setup.a.token("clinician"))
        .purpose("TREAT")
        .send();
    assert_failed_closed(&listed, &phi, "listing the copied subject");

    // (3) One of B's ciphertexts spliced into A's own record, in the same category.
    vault
        .execute(
            "UPDATE record_parts SET sealed = (SELECT sealed FROM record_parts \
             WHERE tenant_id = ?1 AND record_id = ?2 AND part = 'name') \
             WHERE tenant_id = ?3 AND record_id = ?4 AND part = 'name'",
            (B, &theirs.record, A, &ours.record),
        )
        .expect("splicing B's name into A's record");
    let response = setup.read(&setup.a, &ours.record);
    assert_failed_closed(&response, &phi, "B's name part in A's record");

    // The server keeps serving, and B is unaffected.
    setup.read(&setup.b, &theirs.record).expect_status(200);
}

#[test]
fn index_entries_copied_across_tenants_find_nothing_and_open_nothing() {
    let setup = two_tenants();
    let phi = setup.all_phi();
    let ours = setup.patient(&setup.a, &setup.a_corpus);
    let theirs = setup.patient(&setup.b, &setup.b_corpus);
    let their_ssn = ssn_of(&setup.b_corpus.bundles[0]);
    let our_ssn = ssn_of(&setup.a_corpus.bundles[0]);
    let vault = open_db(&setup.workspace.data_dir().join("vault.sqlite"));

    // B's SSN entry copied into A's index: A's key hashes B's SSN differently, so A's search
    // for it still finds nothing.
    let copied = vault
        .execute(
            "INSERT INTO search_index SELECT ?1, field, digest, record_id, subject_id \
             FROM search_index WHERE tenant_id = ?2 AND field = 'ssn'",
            (A, B),
        )
        .expect("copying B's index entries");
    assert_eq!(copied, 1);
    let hits = setup.a.search(
        &setup.server,
        "clinician",
        "TREAT",
        &json!({"field": "ssn", "value": their_ssn}),
    );
    assert!(
        hits.is_empty(),
        "a copied index entry answered A's search: {hits:?}"
    );

    // An entry of A's own, forged to point at B's record: the search returns the forged hit,
    // but the hit opens nothing.
    vault
        .execute(
            "INSERT INTO search_index SELECT tenant_id, field, digest, ?1, ?2 \
             FROM search_index WHERE tenant_id = ?3 AND field = 'ssn' AND record_id = ?4",
            (&theirs.record, &theirs.subject, A, &ours.record),
        )
        .expect("forging an index entry");
    let hits = setup.a.search(
        &setup.server,
        "clinician",
        "TREAT",
        &json!({"field": "ssn", "value": our_ssn}),
    );
    assert!(
        hits.contains(&(ours.subject.clone(), ours.record.clone())),
        "A still finds its own patient: {hits:?}"
    );
    for (subject, record) in hits.iter().filter(|(_, r)| *r != ours.record) {
        let response = setup.read(&setup.a, record);
        assert_failed_closed(&response, &phi, "the record of a forged index entry");
        let listed = setup
            .server
            .get(&setup.a.path(&format!("/subjects/{subject}/records")))
            .bearer(setup.a.token("clinician"))
            .purpose("TREAT")
            .send();
        assert_failed_closed(&listed, &phi, "the subject of a forged index entry");
    }
}

#[test]
fn a_ciphertext_moved_to_another_category_of_its_record_does_not_open() {
    let setup = two_tenants();
    let phi = setup.all_phi();
    let ours = setup.patient(&setup.a, &setup.a_corpus);
    let vault = open_db(&setup.workspace.data_dir().join("vault.sqlite"));

    let moved = vault
        .execute(
            "UPDATE record_parts SET sealed = (SELECT sealed FROM record_parts \
             WHERE tenant_id = ?1 AND record_id = ?2 AND part = 'name') \
             WHERE tenant_id = ?1 AND record_id = ?2 AND part = 'identifier'",
            (A, &ours.record),
        )
        .expect("moving the name ciphertext into the identifier part");
    assert_eq!(moved, 1);

    // Whoever would open the identifier part fails, without disclosing anything.
    let response = setup.read(&setup.a, &ours.record);
    assert_failed_closed(&response, &phi, "a name ciphertext in the identifier part");

    // Analytics is never granted identifiers, so the tampered part is never opened: the
    // vault decrypts only what the decision discloses.
    let analytics = setup
        .server
        .get(&setup.a.path(&format!("/records/{}", ours.record)))
        .bearer(setup.a.token("analytics"))
        .purpose("HRESCH")
        .send();
    analytics.expect_status(200);
    assert_eq!(analytics.json()["disclosure"]["identifier"], "withheld");
}
