//! Break-glass: a restricted subject is closed to ordinary treatment access; emergency access
//! (`ETREAT` with a written reason) opens it to clinicians for a bounded time, flagged and
//! recorded, and to nobody else.

mod common;

use common::fixtures;
use common::http::Response;
use common::setup::Tenant;
use common::{Workspace, open_db};
use serde_json::{Value, json};

const TENANT: &str = "northwind";
const REASON: &str = "Unresponsive in the emergency department; no consent possible";

#[test]
fn break_glass_opens_a_restricted_subject_to_clinicians_for_a_bounded_time() {
    let workspace = Workspace::new();
    let mut tenant = Tenant::create(&workspace, TENANT);
    let server = workspace.serve();
    tenant.add_actor(&server, "clinician", "user", &["clinician"]);
    tenant.add_actor(&server, "support", "user", &["support"]);
    let created = server
        .post(&tenant.path("/records"))
        .bearer(tenant.admin())
        .purpose("HSYSADMIN")
        .json(&json!({"record_type": "fhir.Patient", "document": fixtures::patient()}))
        .send();
    created.expect_status(201);
    let created = created.json();
    let subject = created["subject_id"]
        .as_str()
        .expect("a subject")
        .to_owned();
    let record = created["record_id"].as_str().expect("a record").to_owned();
    let read = |actor: &str, purpose: &str, reason: Option<&str>| -> Response {
        let mut request = server
            .get(&tenant.path(&format!("/records/{record}")))
            .bearer(tenant.token(actor))
            .purpose(purpose);
        if let Some(reason) = reason {
            request = request.reason(reason);
        }
        request.send()
    };

    read("clinician", "TREAT", None).expect_status(200);
    let restricted = server
        .put(&tenant.path(&format!("/subjects/{subject}/restriction")))
        .bearer(tenant.admin())
        .purpose("HSYSADMIN")
        .json(&json!({"restricted": true}))
        .send();
    restricted.expect_status(200);
    assert_eq!(restricted.json()["restricted"], true);

    // Ordinary treatment access is closed; emergency access needs a reason.
    read("clinician", "TREAT", None).expect_problem(403, "forbidden");
    read("clinician", "ETREAT", None).expect_problem(400, "break-glass-reason-required");
    read("clinician", "ETREAT", Some("   ")).expect_problem(400, "break-glass-reason-invalid");
    read("support", "ETREAT", Some(REASON)).expect_problem(403, "forbidden");
    read("support", "HOPERAT", None).expect_problem(403, "forbidden");

    // With a reason: treatment-level access, flagged.
    let opened = read("clinician", "ETREAT", Some(REASON));
    opened.expect_status(200);
    let view = opened.json();
    assert_eq!(view["break_glass"], true);
    assert_eq!(view["disclosure"]["identifier"], "clear");
    assert_eq!(view["disclosure"]["clinical"], "clear");
    assert!(opened.text().contains("999-12-3456"));

    // Within the grant, later emergency reads need no new reason; ordinary ones stay closed.
    let later = read("clinician", "ETREAT", None);
    later.expect_status(200);
    assert_eq!(later.json()["break_glass"], true);
    read("clinician", "TREAT", None).expect_problem(403, "forbidden");
    read("support", "ETREAT", Some(REASON)).expect_problem(403, "forbidden");

    // The grant and the reads are recorded, with the reason.
    let events = tenant.audit_events(&server);
    let grants: Vec<&Value> = events
        .iter()
        .filter(|e| e["action"] == "break_glass")
        .collect();
    assert_eq!(grants.len(), 1, "one grant was opened: {grants:#?}");
    let grant = grants[0];
    assert_eq!(grant["actor"], "clinician");
    assert_eq!(grant["actor_kind"], "user");
    assert_eq!(grant["purpose"], "ETREAT");
    assert_eq!(grant["subject"], subject);
    assert_eq!(grant["break_glass_reason"], REASON);
    assert_eq!(grant["request_id"], opened.request_id());
    let read_event = events
        .iter()
        .find(|e| e["request_id"] == opened.request_id() && e["action"] == "read_record")
        .expect("the emergency read is recorded");
    assert_eq!(read_event["break_glass_reason"], REASON);
    assert_eq!(read_event["decision"], "allow");
    assert!(
        events.iter().any(|e| e["action"] == "read_record"
            && e["actor"] == "support"
            && e["purpose"] == "ETREAT"
            && e["decision"] == "deny"),
        "the refused emergency read by support is recorded"
    );

    // The grant is bounded (60 minutes by default) and ends when its time is up.
    let vault = open_db(&workspace.data_dir().join("vault.sqlite"));
    let (granted, expires): (i64, i64) = vault
        .query_row(
            "SELECT granted_at, expires_at FROM break_glass WHERE tenant_id = ?1 \
             AND actor_id = 'clinician' AND subject_id = ?2",
            [TENANT, &subject],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .expect("the grant");
    assert_eq!(expires - granted, 60 * 60 * 1_000_000, "a 60-minute grant");
    vault
        .execute(
            "UPDATE break_glass SET expires_at = granted_at WHERE tenant_id = ?1",
            [TENANT],
        )
        .expect("ending the grant early");
    read("clinician", "ETREAT", None).expect_problem(400, "break-glass-reason-required");

    // A reason sent with an ordinary purpose to anything but a read is ignored, not recorded.
    let ordinary = server
        .get(&tenant.path("/policies"))
        .bearer(tenant.token("support"))
        .purpose("HOPERAT")
        .reason(REASON)
        .send();
    ordinary.expect_problem(403, "forbidden");
    let events = tenant.audit_events(&server);
    let ordinary_event = events
        .iter()
        .find(|e| e["request_id"] == ordinary.request_id())
        .expect("the ordinary read is recorded");
    assert!(
        ordinary_event.get("break_glass_reason").is_none(),
        "a reason outside break-glass is ignored: {ordinary_event}"
    );

    // Lifting the restriction reopens ordinary treatment access.
    server
        .put(&tenant.path(&format!("/subjects/{subject}/restriction")))
        .bearer(tenant.admin())
        .purpose("HSYSADMIN")
        .json(&json!({"restricted": false}))
        .send()
        .expect_status(200);
    let reopened = read("clinician", "TREAT", None);
    reopened.expect_status(200);
    assert_eq!(reopened.json()["break_glass"], false);
}
