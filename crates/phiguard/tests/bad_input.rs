//! Bad input: each mistake a client can make gets a precise RFC 9457 problem document that
//! echoes no PHI, nothing is half-written, and the server keeps serving.

mod common;

use common::fixtures::{self, Corpus};
use common::http::Response;
use common::setup::Tenant;
use common::{Server, Workspace, open_db};
use phiguard_records::synthetic::{BundleShape, Generator};
use serde_json::{Value, json};

const TENANT: &str = "northwind";

/// A tenant with a clinician, a support agent and the fixture patient.
struct Setup {
    workspace: Workspace,
    server: Server,
    tenant: Tenant,
    record: String,
}

fn set_up() -> Setup {
    let workspace = Workspace::new();
    let mut tenant = Tenant::create(&workspace, TENANT);
    let server = workspace.serve();
    tenant.add_actor(&server, "clinician", "user", &["clinician"]);
    tenant.add_actor(&server, "support", "user", &["support"]);
    let created = server
        .post(&tenant.path("/records"))
        .bearer(tenant.token("clinician"))
        .purpose("TREAT")
        .json(&json!({"record_type": "fhir.Patient", "document": fixtures::patient()}))
        .send();
    created.expect_status(201);
    let record = created.json()["record_id"]
        .as_str()
        .expect("an id")
        .to_owned();
    Setup {
        workspace,
        server,
        tenant,
        record,
    }
}

impl Setup {
    fn read_as(&self, actor: &str, purpose: Option<&str>) -> Response {
        let mut request = self
            .server
            .get(&self.tenant.path(&format!("/records/{}", self.record)))
            .bearer(self.tenant.token(actor));
        if let Some(purpose) = purpose {
            request = request.purpose(purpose);
        }
        request.send()
    }

    /// The server still does its job for a well-formed request.
    #[track_caller]
    fn still_serving(&self) {
        let view = self.read_as("clinician", Some("TREAT"));
        view.expect_status(200);
        assert!(view.text().contains("999-12-3456"));
    }

    fn subject_keys(&self) -> i64 {
        open_db(&self.workspace.data_dir().join("keyring.sqlite"))
            .query_row("SELECT COUNT(*) FROM subject_keys", [], |row| row.get(0))
            .expect("counting subject keys")
    }
}

/// What the tenant holds: subjects, disposed subjects and records (audit events grow with every
/// refusal, as they should).
fn holdings(tenant: &Tenant, server: &Server) -> [Value; 3] {
    let counts = tenant.counts(server);
    [
        counts["subjects"].clone(),
        counts["disposed_subjects"].clone(),
        counts["records"].clone(),
    ]
}

/// Asserts that a problem's detail mentions none of `values`.
#[track_caller]
fn echoes_none(problem: &Value, values: &[&str]) {
    let text = problem.to_string();
    for value in values {
        assert!(
            !text.contains(value),
            "the problem echoes a PHI value: {problem}"
        );
    }
}

#[test]
fn malformed_mistyped_unknown_and_oversized_bodies_get_precise_problems() {
    let setup = set_up();
    let (server, tenant) = (&setup.server, &setup.tenant);
    let clinician = tenant.token("clinician");
    let counts = holdings(tenant, server);
    let post = |path: &str| {
        server
            .post(&tenant.path(path))
            .bearer(clinician)
            .purpose("TREAT")
    };

    let problem = post("/search")
        .body(
            "application/json",
            br#"{"field": "ssn", "value": "999-12-3456"#.to_vec(),
        )
        .send()
        .expect_problem(400, "malformed-json");
    assert!(
        problem["detail"]
            .as_str()
            .is_some_and(|d| d.contains("not valid JSON") && d.contains("line 1")),
        "{problem}"
    );
    echoes_none(&problem, &["999-12-3456", "999123456"]);

    let problem = post("/records")
        .json(&json!({"record_type": "fhir.Patient",
            "subject_id": ["Marisol Quintero-Abernathy", "999-12-3456"],
            "document": fixtures::patient()}))
        .send()
        .expect_problem(400, "malformed-json");
    assert!(
        problem["detail"]
            .as_str()
            .is_some_and(|d| d.contains("expected shape")),
        "{problem}"
    );
    echoes_none(&problem, &["Marisol", "Quintero", "999-12-3456"]);

    let problem = post("/search")
        .json(&json!({"field": "ssn", "value": {"ssn": "999-12-3456"}}))
        .send()
        .expect_problem(400, "malformed-json");
    echoes_none(&problem, &["999-12-3456"]);

    let problem = post("/records")
        .json(
            &json!({"record_type": "fhir.Medication Quintero", "document":
            fixtures::patient()}),
        )
        .send()
        .expect_problem(422, "unknown-record-type");
    echoes_none(&problem, &["Quintero", "999-12-3456"]);

    let oversized = "999-12-3456 Marisol ".repeat(60_000).into_bytes();
    assert!(oversized.len() > 1 << 20);
    let problem = post("/search")
        .body("application/json", oversized.clone())
        .send_expecting_continue()
        .expect_problem(413, "payload-too-large");
    echoes_none(&problem, &["999-12-3456", "Marisol"]);
    let problem = post("/records")
        .body("application/json", oversized)
        .send()
        .expect_problem(413, "payload-too-large");
    echoes_none(&problem, &["999-12-3456", "Marisol"]);

    post("/search")
        .body("text/plain", b"999-12-3456".to_vec())
        .send()
        .expect_problem(415, "unsupported-media-type");

    // An array is not an object, even where serde would read it field by field.
    let problem = post("/search")
        .json(&json!(["ssn", "999-12-3456"]))
        .send()
        .expect_problem(400, "malformed-json");
    assert!(
        problem["detail"]
            .as_str()
            .is_some_and(|d| d.contains("expected shape") && d.contains("column 1")),
        "{problem}"
    );
    echoes_none(&problem, &["999-12-3456"]);

    // Bodies read as raw bytes (a credential request, a policy) have the same limit and the
    // same problem document.
    let admin_post = |path: &str, body: Vec<u8>| {
        server
            .post(&tenant.path(path))
            .bearer(tenant.admin())
            .purpose("HSYSADMIN")
            .body("application/json", body)
            .send()
    };
    let too_long = json!({"lifetime_minutes": i64::MAX})
        .to_string()
        .into_bytes();
    let problem =
        admin_post("/actors/support/credentials", too_long).expect_problem(422, "invalid-input");
    assert!(
        problem["detail"]
            .as_str()
            .is_some_and(|d| d.contains("credential lifetime")),
        "{problem}"
    );
    let too_short = json!({"lifetime_minutes": i64::MIN})
        .to_string()
        .into_bytes();
    admin_post("/actors/support/credentials", too_short).expect_problem(422, "invalid-input");
    let mut oversized_credential = b"{\"label\": \"".to_vec();
    oversized_credential.extend(std::iter::repeat_n(b'x', 2 << 20));
    oversized_credential.extend(b"\"}");
    admin_post("/actors/support/credentials", oversized_credential)
        .expect_problem(413, "payload-too-large");
    let oversized_policy = "// 999-12-3456\n".repeat(100_000).into_bytes();
    let problem = server
        .put(&tenant.path("/policies/long"))
        .bearer(tenant.admin())
        .purpose("HSYSADMIN")
        .body("text/plain", oversized_policy)
        .send()
        .expect_problem(413, "payload-too-large");
    echoes_none(&problem, &["999-12-3456"]);

    assert_eq!(holdings(tenant, server), counts, "nothing was stored");
    setup.still_serving();
}

#[test]
fn unknown_routes_and_methods_get_problems_with_request_ids() {
    let setup = set_up();
    setup
        .server
        .get("/v1/no/such/route")
        .send()
        .expect_problem(404, "no-such-route");
    setup
        .server
        .request("PATCH", &setup.tenant.path("/search"))
        .bearer(setup.tenant.token("clinician"))
        .send()
        .expect_problem(405, "method-not-allowed");
    setup.still_serving();
}

#[test]
fn purposes_must_be_present_known_and_justified() {
    let setup = set_up();

    let problem = setup
        .read_as("clinician", None)
        .expect_problem(400, "purpose-required");
    assert!(
        problem["detail"]
            .as_str()
            .is_some_and(|d| d.contains("X-Purpose-Of-Use"))
    );
    setup
        .read_as("clinician", Some("TREATMENT"))
        .expect_problem(400, "unknown-purpose");
    setup
        .read_as("clinician", Some("treat"))
        .expect_problem(400, "unknown-purpose");
    // Two purposes are no purpose: the first one does not win.
    setup
        .server
        .get(&setup.tenant.path(&format!("/records/{}", setup.record)))
        .bearer(setup.tenant.token("clinician"))
        .purpose("TREAT")
        .purpose("HPAYMT")
        .send()
        .expect_problem(400, "unknown-purpose");
    let problem = setup
        .read_as("clinician", Some("ETREAT"))
        .expect_problem(400, "break-glass-reason-required");
    assert!(
        problem["detail"]
            .as_str()
            .is_some_and(|d| d.contains("X-Break-Glass-Reason"))
    );
    setup
        .server
        .get(&setup.tenant.path(&format!("/records/{}", setup.record)))
        .bearer(setup.tenant.token("clinician"))
        .purpose("TREAT")
        .reason("just curious")
        .send()
        .expect_problem(400, "break-glass-reason-invalid");
    setup
        .server
        .post(&setup.tenant.path("/search"))
        .bearer(setup.tenant.token("clinician"))
        .json(&json!({"field": "ssn", "value": "999-12-3456"}))
        .send()
        .expect_problem(400, "purpose-required");
    setup
        .server
        .post(&setup.tenant.path("/search"))
        .bearer(setup.tenant.token("clinician"))
        .purpose("NOPE")
        .json(&json!({"field": "ssn", "value": "999-12-3456"}))
        .send()
        .expect_problem(400, "unknown-purpose");

    setup.still_serving();
}

#[test]
fn expired_revoked_and_disabled_credentials_are_refused_on_the_next_request() {
    let setup = set_up();
    let server = &setup.server;

    // Missing, malformed and forged tokens.
    let no_token = server
        .get(&setup.tenant.path(&format!("/records/{}", setup.record)))
        .purpose("TREAT")
        .send();
    no_token.expect_problem(401, "unauthenticated");
    assert_eq!(no_token.header("www-authenticate"), Some("Bearer"));
    server
        .get(&setup.tenant.path(&format!("/records/{}", setup.record)))
        .bearer("not-a-token")
        .purpose("TREAT")
        .send()
        .expect_problem(401, "unauthenticated");
    let genuine = setup.tenant.token("clinician").to_owned();
    let last = if genuine.ends_with('a') { 'b' } else { 'a' };
    let forged = format!("{}{last}", &genuine[..genuine.len() - 1]);
    server
        .get(&setup.tenant.path(&format!("/records/{}", setup.record)))
        .bearer(&forged)
        .purpose("TREAT")
        .send()
        .expect_problem(401, "unauthenticated");

    // A lifetime that is not positive is refused at issue.
    for minutes in [0, -5] {
        server
            .post(&setup.tenant.path("/actors/clinician/credentials"))
            .bearer(setup.tenant.admin())
            .purpose("HSYSADMIN")
            .json(&json!({"lifetime_minutes": minutes}))
            .send()
            .expect_problem(422, "invalid-input");
    }

    // Expired: a credential whose expiry has passed (moved into the past in the database, so
    // the test does not wait for it).
    let expiring = setup
        .tenant
        .issue(server, "clinician", &json!({"lifetime_minutes": 1}));
    let token = expiring["token"].as_str().expect("a token");
    let id = expiring["id"].as_str().expect("an id");
    let read_with = |token: &str| {
        server
            .get(&setup.tenant.path(&format!("/records/{}", setup.record)))
            .bearer(token)
            .purpose("TREAT")
            .send()
    };
    read_with(token).expect_status(200);
    let past = (std::time::SystemTime::now() - std::time::Duration::from_secs(1))
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after the epoch")
        .as_micros() as i64;
    let changed = open_db(&setup.workspace.data_dir().join("vault.sqlite"))
        .execute(
            "UPDATE credentials SET expires_at = ?1 WHERE id = ?2",
            (past, id),
        )
        .expect("expiring the credential");
    assert_eq!(changed, 1);
    let problem = read_with(token).expect_problem(401, "unauthenticated");
    assert!(
        problem["detail"]
            .as_str()
            .is_some_and(|d| d.contains("expired")),
        "{problem}"
    );

    // Revoked: refused on the very next request.
    let revocable = setup.tenant.issue(server, "clinician", &json!({}));
    let token = revocable["token"].as_str().expect("a token");
    let id = revocable["id"].as_str().expect("an id");
    read_with(token).expect_status(200);
    server
        .delete(&setup.tenant.path(&format!("/credentials/{id}")))
        .bearer(setup.tenant.admin())
        .purpose("HSYSADMIN")
        .send()
        .expect_status(204);
    let problem = read_with(token).expect_problem(401, "unauthenticated");
    assert!(
        problem["detail"]
            .as_str()
            .is_some_and(|d| d.contains("revoked")),
        "{problem}"
    );

    // Revoked from the command line while the server runs: refused on the next request too.
    let by_cli = setup.tenant.issue(server, "clinician", &json!({}));
    let token = by_cli["token"].as_str().expect("a token");
    read_with(token).expect_status(200);
    setup.workspace.cli_ok(&[
        "credentials",
        "revoke",
        "--tenant",
        TENANT,
        by_cli["id"].as_str().expect("an id"),
    ]);
    read_with(token).expect_problem(401, "unauthenticated");

    // A disabled actor's credentials stop working at once.
    let support = setup.tenant.token("support").to_owned();
    server
        .put(&setup.tenant.path("/actors/support"))
        .bearer(setup.tenant.admin())
        .purpose("HSYSADMIN")
        .json(&json!({"kind": "user", "roles": ["support"], "disabled": true}))
        .send()
        .expect_status(200);
    let problem = server
        .get(&setup.tenant.path(&format!("/records/{}", setup.record)))
        .bearer(&support)
        .purpose("HOPERAT")
        .send()
        .expect_problem(401, "unauthenticated");
    assert!(
        problem["detail"]
            .as_str()
            .is_some_and(|d| d.contains("disabled"))
    );

    // The refusals of known credentials are in the tenant's audit trail.
    let events = setup.tenant.audit_events(server);
    let refusals: Vec<&Value> = events
        .iter()
        .filter(|e| e["action"] == "authenticate" && e["decision"] == "deny")
        .collect();
    for reason in ["expired", "revoked", "actor_disabled", "wrong_secret"] {
        assert!(
            refusals
                .iter()
                .any(|e| e["target"].as_str().is_some_and(|t| t.ends_with(reason))),
            "no refused-credential event for {reason}: {refusals:#?}"
        );
    }

    setup.still_serving();
}

#[test]
fn a_tenant_in_the_path_other_than_the_credentials_is_refused() {
    let setup = set_up();
    let other = Tenant::create(&setup.workspace, "southridge");
    let problem = setup
        .server
        .get(&other.path(&format!("/records/{}", setup.record)))
        .bearer(setup.tenant.token("clinician"))
        .purpose("TREAT")
        .send()
        .expect_problem(403, "tenant-mismatch");
    echoes_none(&problem, &["southridge", "999-12-3456"]);
    setup.still_serving();
}

#[test]
fn invalid_policies_are_rejected_with_the_validators_message() {
    let setup = set_up();
    let (server, tenant) = (&setup.server, &setup.tenant);
    let put_policy = |id: &str, text: &str| {
        server
            .put(&tenant.path(&format!("/policies/{id}")))
            .bearer(tenant.admin())
            .purpose("HSYSADMIN")
            .body("text/plain", text.as_bytes().to_vec())
            .send()
    };

    let problem = put_policy(
        "reads-everything",
        r#"permit (principal, action == Phiguard::Action::"read_everything", resource);"#,
    )
    .expect_problem(422, "invalid-policy");
    let detail = problem["detail"].as_str().expect("a detail");
    assert!(
        detail.starts_with("policy reads-everything is not valid: ") && detail.len() > 40,
        "{detail}"
    );
    assert!(
        detail.contains("read_everything"),
        "the validator's message names the unknown action: {detail}"
    );

    let problem = put_policy("unbalanced", "permit (principal, action, resource")
        .expect_problem(422, "invalid-policy");
    assert!(
        problem["detail"]
            .as_str()
            .is_some_and(|d| d.starts_with("policy unbalanced is not valid: ")),
        "{problem}"
    );

    let problem = put_policy(
        "unknown-attribute",
        r#"permit (principal, action, resource) when { principal.shoe_size > 3 };"#,
    )
    .expect_problem(422, "invalid-policy");
    assert!(
        problem["detail"]
            .as_str()
            .is_some_and(|d| d.contains("shoe_size")),
        "{problem}"
    );

    // A policy id that is not a slug is refused without being repeated, whether it is put or
    // deleted.
    let problem = put_policy(
        "Quintero-999-12-3456",
        "permit (principal, action, resource);",
    )
    .expect_problem(422, "invalid-input");
    echoes_none(&problem, &["Quintero", "999-12-3456"]);
    let problem = server
        .delete(&tenant.path("/policies/Quintero-999-12-3456"))
        .bearer(tenant.admin())
        .purpose("HSYSADMIN")
        .send()
        .expect_problem(422, "invalid-input");
    echoes_none(&problem, &["Quintero", "999-12-3456"]);

    let listed = server
        .get(&tenant.path("/policies"))
        .bearer(tenant.admin())
        .purpose("HSYSADMIN")
        .send();
    listed.expect_status(200);
    assert_eq!(
        listed.json()["items"],
        json!([]),
        "no invalid policy was stored"
    );

    // A valid tenant policy is accepted and takes effect on the next request.
    setup.read_as("support", Some("PATRQT")).expect_status(200);
    put_policy(
        "no-patient-requests-for-support",
        r#"@id("no-patient-requests-for-support")
forbid (principal in Phiguard::Role::"support", action, resource)
when { context.purpose == "PATRQT" };"#,
    )
    .expect_status(200);
    setup
        .read_as("support", Some("PATRQT"))
        .expect_problem(403, "forbidden");
    setup.still_serving();
}

/// A bundle of two patients whose second patient has one resource nested too deep to store.
fn bundle_failing_halfway() -> Vec<u8> {
    let mut generator = Generator::new(707);
    let shape = BundleShape {
        encounters: 2,
        observations_per_encounter: 2,
    };
    let first = generator.patient_bundle(&shape).bundle;
    let mut second = generator.patient_bundle(&shape).bundle;

    let mut deep = json!("the bottom");
    for _ in 0..40 {
        deep = json!({ "nested": deep });
    }
    let entries = second["entry"].as_array_mut().expect("entries");
    let observation = entries
        .iter_mut()
        .rev()
        .find(|e| e["resource"]["resourceType"] == "Observation")
        .expect("an Observation");
    observation["resource"]["extension"] = json!([{"url": "urn:deep", "valueDeep": deep}]);

    let mut merged = first;
    let mut all = merged["entry"].as_array().expect("entries").clone();
    all.extend(second["entry"].as_array().expect("entries").iter().cloned());
    merged["entry"] = Value::Array(all);
    merged.to_string().into_bytes()
}

#[test]
fn failed_imports_and_writes_leave_nothing_behind() {
    let setup = set_up();
    let (server, tenant) = (&setup.server, &setup.tenant);
    let counts = holdings(tenant, server);
    let keys = setup.subject_keys();

    // An import that fails on its last patient stores nothing of the first.
    let problem = server
        .post(&tenant.path("/import/fhir-bundle"))
        .bearer(tenant.admin())
        .purpose("HSYSADMIN")
        .body("application/json", bundle_failing_halfway())
        .send();
    let slug = problem.json()["type"]
        .as_str()
        .and_then(|t| t.strip_prefix("urn:phiguard:problem:"))
        .map(str::to_owned)
        .unwrap_or_default();
    assert!(
        slug == "invalid-file" || slug == "invalid-input",
        "a bundle that cannot be stored is refused as bad input: {}",
        problem.text()
    );
    problem.expect_problem(422, &slug);
    assert_eq!(
        holdings(tenant, server),
        counts,
        "nothing of the import was stored"
    );
    assert_eq!(
        setup.subject_keys(),
        keys,
        "no subject key was created either"
    );

    // A truncated bundle, an order that is not an object and a record that nests too deep.
    let corpus = Corpus::small(808);
    let bytes = corpus.bundles[0].to_bytes();
    server
        .post(&tenant.path("/import/fhir-bundle"))
        .bearer(tenant.admin())
        .purpose("HSYSADMIN")
        .body("application/json", bytes[..bytes.len() / 2].to_vec())
        .send()
        .expect_problem(422, "invalid-file");
    server
        .post(&tenant.path("/import/shopify-order"))
        .bearer(tenant.admin())
        .purpose("HSYSADMIN")
        .json(&json!({"order": ["not", "an", "order"]}))
        .send()
        .expect_problem(422, "invalid-file");
    let mut deep = fixtures::patient();
    let mut nest = json!(1);
    for _ in 0..40 {
        nest = json!({ "nested": nest });
    }
    deep["extension"][0]["valueDeep"] = nest;
    server
        .post(&tenant.path("/records"))
        .bearer(tenant.token("clinician"))
        .purpose("TREAT")
        .json(&json!({"record_type": "fhir.Patient", "document": deep}))
        .send()
        .expect_problem(422, "invalid-input");

    assert_eq!(holdings(tenant, server), counts, "nothing was stored");
    assert_eq!(setup.subject_keys(), keys, "no subject key was created");
    setup.still_serving();
}

#[test]
fn slow_and_silent_connections_are_closed_and_others_are_served() {
    use std::io::{Read, Write};
    use std::net::TcpStream;
    use std::time::{Duration, Instant};

    let workspace = Workspace::new();
    Tenant::create(&workspace, TENANT);
    let server = workspace.serve_with(&common::ServeOptions {
        env: vec![(
            "PHIGUARD_SERVER__HEADER_READ_TIMEOUT_SECONDS".into(),
            "1".into(),
        )],
        ..Default::default()
    });

    // One client sends half a request line's headers and stops; another says nothing at all.
    let mut trickling = TcpStream::connect(server.addr()).expect("a connection");
    trickling
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: phiguard\r\n")
        .expect("a partial request");
    let mut silent = TcpStream::connect(server.addr()).expect("a connection");

    for (name, stream) in [("trickling", &mut trickling), ("silent", &mut silent)] {
        stream
            .set_read_timeout(Some(Duration::from_secs(20)))
            .expect("a read timeout");
        let started = Instant::now();
        let mut answer = Vec::new();
        let _ = stream.read_to_end(&mut answer);
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "the {name} connection was held open"
        );
        let text = String::from_utf8_lossy(&answer);
        assert!(
            answer.is_empty() || text.starts_with("HTTP/1.1 408"),
            "the {name} connection got: {text}"
        );
    }

    server.get("/healthz").send().expect_status(200);
}
