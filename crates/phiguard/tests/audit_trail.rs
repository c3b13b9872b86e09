//! Audit completeness: reads, refusals, searches and phiguard's own jobs (import, rotation) each
//! leave an event in the tenant's trail with who, what, why, the decision, what was disclosed,
//! the outcome and the request id of the response — and never a PHI value.

mod common;

use common::Workspace;
use common::fixtures::{Corpus, ssn_of};
use common::http::Response;
use common::setup::Tenant;
use serde_json::{Value, json};

const TENANT: &str = "northwind";

/// The events carrying a response's request id.
fn events_of<'e>(events: &'e [Value], response: &Response) -> Vec<&'e Value> {
    let id = response.request_id();
    events.iter().filter(|e| e["request_id"] == id).collect()
}

#[test]
fn every_access_is_recorded_with_its_request_id_and_without_phi() {
    let workspace = Workspace::new();
    let mut tenant = Tenant::create(&workspace, TENANT);
    let corpus = Corpus::small(1001);
    let bundle = workspace.path("bundle.json");
    std::fs::write(&bundle, corpus.bundles[0].to_bytes()).expect("a bundle");
    let imported = workspace.cli_ok(&[
        "import",
        "--tenant",
        TENANT,
        "--format",
        "fhir-bundle",
        "--json",
        bundle.to_str().expect("a UTF-8 path"),
    ]);
    let summary: Value = serde_json::from_str(&imported).expect("a JSON summary");
    let records_imported = summary["records_created"].as_u64().expect("a count");

    let server = workspace.serve();
    tenant.add_actor(&server, "clinician", "user", &["clinician"]);
    tenant.add_actor(&server, "support", "user", &["support"]);
    let ssn = ssn_of(&corpus.bundles[0]);

    let search = server
        .post(&tenant.path("/search"))
        .bearer(tenant.token("clinician"))
        .purpose("TREAT")
        .json(&json!({"field": "ssn", "value": ssn}))
        .send();
    search.expect_status(200);
    let hit = search.json()["items"][0].clone();
    let subject = hit["subject_id"].as_str().expect("a subject").to_owned();
    let record = hit["record_id"].as_str().expect("a record").to_owned();

    let read = server
        .get(&tenant.path(&format!("/records/{record}")))
        .bearer(tenant.token("clinician"))
        .purpose("TREAT")
        .header("X-Request-Id", "6f1d2c3b-0a9e-4f8d-9c7b-1a2b3c4d5e6f")
        .send();
    read.expect_status(200);
    assert_eq!(
        read.request_id(),
        "6f1d2c3b-0a9e-4f8d-9c7b-1a2b3c4d5e6f",
        "a caller's opaque request id is kept"
    );

    let correlated_by_ssn = server
        .get(&tenant.path(&format!("/records/{record}")))
        .bearer(tenant.token("clinician"))
        .purpose("TREAT")
        .header("X-Request-Id", &ssn)
        .send();
    correlated_by_ssn.expect_status(200);
    assert_ne!(
        correlated_by_ssn.request_id(),
        ssn,
        "a request id that is not opaque (here an SSN) is replaced, never stored"
    );
    let view = read.json();

    let denied = server
        .get(&tenant.path(&format!("/records/{record}")))
        .bearer(tenant.token("support"))
        .purpose("TREAT")
        .send();
    denied.expect_problem(403, "forbidden");

    let last = if record.ends_with('a') { 'b' } else { 'a' };
    let guessed = format!("{}{last}", &record[..record.len() - 1]);
    let missing = server
        .get(&tenant.path(&format!("/records/{guessed}")))
        .bearer(tenant.token("clinician"))
        .purpose("TREAT")
        .send();
    missing.expect_problem(404, "not-found");

    workspace.cli_ok(&["keys", "rotate", "--tenant", TENANT]);
    let rotated = server
        .post(&tenant.path("/keys/rotate"))
        .bearer(tenant.admin())
        .purpose("HSYSADMIN")
        .send();
    rotated.expect_status(200);

    let events = tenant.audit_events(&server);

    // The search: one event per subject found.
    let found = events_of(&events, &search);
    assert_eq!(found.len(), 1, "{found:#?}");
    let e = found[0];
    assert_eq!(e["action"], "search");
    assert_eq!(e["actor"], "clinician");
    assert_eq!(e["actor_kind"], "user");
    assert_eq!(e["purpose"], "TREAT");
    assert_eq!(e["decision"], "allow");
    assert_eq!(e["outcome"], "success");
    assert_eq!(e["subject"], subject);
    assert_eq!(e["count"], 1);
    assert_eq!(e["target"], "ssn", "the field searched, never the value");
    assert!(e.get("disclosed").is_none(), "a search discloses no PHI");

    // The read: what was disclosed, at which level, by which policies.
    let found = events_of(&events, &read);
    assert_eq!(found.len(), 1, "{found:#?}");
    let e = found[0];
    assert_eq!(e["action"], "read_record");
    assert_eq!(e["actor"], "clinician");
    assert_eq!(e["actor_kind"], "user");
    assert_eq!(e["purpose"], "TREAT");
    assert_eq!(e["decision"], "allow");
    assert_eq!(e["outcome"], "success");
    assert_eq!(e["subject"], subject);
    assert_eq!(e["record"], record);
    assert_eq!(e["record_type"], "fhir.Patient");
    let disclosed_in_view: serde_json::Map<String, Value> = view["disclosure"]
        .as_object()
        .expect("a disclosure")
        .iter()
        .filter(|(_, level)| *level != "withheld")
        .map(|(c, l)| (c.clone(), l.clone()))
        .collect();
    assert!(!disclosed_in_view.is_empty());
    assert_eq!(
        e["disclosed"],
        Value::Object(disclosed_in_view),
        "the event names exactly what the response disclosed"
    );
    assert!(
        e["policies"]
            .as_array()
            .is_some_and(|p| p.iter().any(|id| id
                .as_str()
                .is_some_and(|id| id.contains("clinician-treatment")))),
        "the deciding policy is named: {e}"
    );

    // The refused read.
    let found = events_of(&events, &denied);
    assert_eq!(found.len(), 1, "{found:#?}");
    let e = found[0];
    assert_eq!(e["action"], "read_record");
    assert_eq!(e["actor"], "support");
    assert_eq!(e["actor_kind"], "user");
    assert_eq!(e["purpose"], "TREAT");
    assert_eq!(e["decision"], "deny");
    assert_eq!(e["outcome"], "denied");
    assert_eq!(e["record"], record);
    assert!(e.get("disclosed").is_none(), "nothing was disclosed: {e}");

    // A read of a record that does not exist.
    let found = events_of(&events, &missing);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0]["outcome"], "not_found");
    assert_eq!(found[0]["decision"], "deny");

    // The import, by phiguard's import job.
    let imports: Vec<&Value> = events.iter().filter(|e| e["action"] == "import").collect();
    assert_eq!(imports.len(), 1, "{imports:#?}");
    let e = imports[0];
    assert_eq!(e["actor"], "phiguard-import");
    assert_eq!(e["actor_kind"], "system");
    assert_eq!(e["purpose"], "HSYSADMIN");
    assert_eq!(e["decision"], "allow");
    assert_eq!(e["outcome"], "success");
    assert_eq!(e["count"], records_imported);
    let created: Vec<&Value> = events
        .iter()
        .filter(|e| e["action"] == "create_record" && e["actor"] == "phiguard-import")
        .collect();
    assert_eq!(
        created.len() as u64,
        records_imported,
        "one event per record stored"
    );
    assert!(
        created
            .iter()
            .all(|e| e["subject"] == subject && e["actor_kind"] == "system")
    );

    // The rotations: the command line's by the key-rotation job, the API's by the admin.
    let rotations: Vec<&Value> = events
        .iter()
        .filter(|e| e["action"] == "rotate_keys")
        .collect();
    assert_eq!(rotations.len(), 2, "{rotations:#?}");
    assert_eq!(rotations[0]["actor"], "phiguard-key-rotation");
    assert_eq!(rotations[0]["actor_kind"], "system");
    assert_eq!(rotations[0]["outcome"], "success");
    let by_api = events_of(&events, &rotated);
    assert_eq!(by_api.len(), 1);
    assert_eq!(by_api[0]["actor"], "tenant-admin");
    assert_eq!(by_api[0]["action"], "rotate_keys");
    assert_eq!(by_api[0]["purpose"], "HSYSADMIN");

    // Every event has a time, a tenant and the required fields.
    for e in &events {
        for field in [
            "time",
            "tenant",
            "actor",
            "actor_kind",
            "action",
            "decision",
            "outcome",
        ] {
            assert!(e.get(field).is_some(), "event without `{field}`: {e}");
        }
        assert_eq!(e["tenant"], TENANT);
    }

    // Reading the trail is itself recorded.
    let again = tenant.audit_events(&server);
    assert!(
        again
            .iter()
            .any(|e| e["action"] == "read_audit" && e["actor"] == "tenant-admin"),
        "reading the audit trail is recorded"
    );

    // No PHI in any event.
    let serialized = serde_json::to_vec(&again).expect("JSON");
    let hits = corpus.phi.find_in_text("audit events", &serialized);
    assert!(hits.is_empty(), "audit events carry PHI: {hits:#?}");
}
