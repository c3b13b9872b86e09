//! Detect and respond, end to end: the detectors inside `phiguard serve` raise alerts for a
//! cross-tenant probe, break-glass access and PHI passed to a recipient without a BAA, record
//! them in the ledger, deliver them signed to a webhook that fails and recovers, and list them
//! over the API and the command line; an incident is opened, scoped to the exact subjects an
//! actor read, assessed, given deadlines and drafted notices — all without a PHI value in any
//! log, alert or error.

mod common;

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::Workspace;
use common::fixtures::{self, Corpus};
use common::setup::Tenant;
use phiguard_records::synthetic::BundleShape;
use serde_json::{Value, json};

const REASON: &str = "Unresponsive on arrival, allergies unknown";

/// One request the test webhook received.
#[derive(Debug, Clone)]
struct Received {
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Received {
    fn header(&self, name: &str) -> &str {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map_or("", |(_, v)| v.as_str())
    }
}

/// What the test webhook answered to each request, in order.
type Deliveries = Arc<Mutex<Vec<(u16, Received)>>>;

/// A webhook on loopback that answers 503 to its first `failures` requests and 200 after.
fn webhook(failures: usize) -> (String, Deliveries) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port");
    let url = format!("http://{}/hook", listener.local_addr().expect("an address"));
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().expect("a stream"));
            let mut headers = Vec::new();
            let mut line = String::new();
            let _ = reader.read_line(&mut line);
            loop {
                line.clear();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line.trim().is_empty() {
                    break;
                }
                if let Some((name, value)) = line.trim().split_once(':') {
                    headers.push((name.trim().to_owned(), value.trim().to_owned()));
                }
            }
            let length = headers
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
                .and_then(|(_, v)| v.parse::<usize>().ok())
                .unwrap_or(0);
            let mut body = vec![0; length];
            let _ = reader.read_exact(&mut body);
            let mut log = log.lock().expect("the log");
            let status = if log.len() < failures { 503 } else { 200 };
            log.push((status, Received { headers, body }));
            drop(log);
            let reply = format!(
                "HTTP/1.1 {status} {}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
                if status == 200 {
                    "OK"
                } else {
                    "Service Unavailable"
                }
            );
            let _ = stream.write_all(reply.as_bytes());
        }
    });
    (url, seen)
}

fn set_private(path: &std::path::Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
            .expect("a private file");
    }
}

fn wait_for<T>(what: &str, timeout: Duration, mut probe: impl FnMut() -> Option<T>) -> T {
    let started = Instant::now();
    loop {
        if let Some(found) = probe() {
            return found;
        }
        assert!(started.elapsed() < timeout, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn serve_raises_records_and_delivers_alerts_for_misuse() {
    let workspace = Workspace::new();
    let mut northwind = Tenant::create(&workspace, "northwind");
    let southgate = Tenant::create(&workspace, "southgate");
    let (url, received) = webhook(2);
    let secret_file = workspace.path("on-call.secret");
    let secret = "0123456789abcdef0123456789abcdef-on-call";
    std::fs::write(&secret_file, secret).expect("a secret file");
    set_private(&secret_file);
    std::fs::write(
        workspace.path("phiguard.toml"),
        format!(
            r#"
[detection]
poll_milliseconds = 50
baa_recipients = ["mail-order-rx"]

[detection.webhook_secret_files]
on-call = "{}"

[delivery]
json_lines = true

[[delivery.webhooks]]
name = "on-call"
url = "{url}"
initial_backoff_ms = 50
max_backoff_ms = 200
max_attempts = 6
"#,
            secret_file.display()
        ),
    )
    .expect("a configuration");

    let server = workspace.serve();
    northwind.add_actor(&server, "clinician", "user", &["clinician"]);
    server
        .post(&northwind.path("/actors"))
        .bearer(northwind.admin())
        .purpose("HSYSADMIN")
        .json(
            &json!({"id": "storefront", "kind": "service", "roles": ["storefront"],
                      "attributes": {"purposes": "HOPERAT", "recipient": "label-printer"}}),
        )
        .send()
        .expect_status(201);
    let issued = northwind.issue(&server, "storefront", &json!({}));
    let storefront = issued["token"].as_str().expect("a token").to_owned();

    let created = server
        .post(&northwind.path("/records"))
        .bearer(northwind.admin())
        .purpose("HSYSADMIN")
        .json(&json!({"record_type": "fhir.Patient", "document": fixtures::patient()}))
        .send();
    created.expect_status(201);
    let record = created.json()["record_id"]
        .as_str()
        .expect("a record")
        .to_owned();

    // A credential of northwind asks for southgate's records: refused, and an alert.
    server
        .get(&format!("{}/records/{record}", southgate.path("")))
        .bearer(northwind.token("clinician"))
        .purpose("TREAT")
        .send()
        .expect_status(403);
    // Break-glass, with a written reason.
    server
        .get(&northwind.path(&format!("/records/{record}")))
        .bearer(northwind.token("clinician"))
        .purpose("ETREAT")
        .reason(REASON)
        .send()
        .expect_status(200);
    // The storefront passes what it reads to a label printer no BAA covers.
    server
        .get(&northwind.path(&format!("/records/{record}")))
        .bearer(&storefront)
        .purpose("HOPERAT")
        .send()
        .expect_status(200);
    // A malformed recipient is refused without echoing it.
    let refused = server
        .get(&northwind.path(&format!("/records/{record}")))
        .bearer(&storefront)
        .purpose("HOPERAT")
        .header("X-Recipient", "Jane Roe")
        .send();
    let problem = refused.expect_problem(400, "invalid-header");
    assert!(!problem.to_string().contains("Jane"), "{problem}");

    let expected: BTreeSet<&str> = ["cross_tenant", "break_glass", "recipient_without_baa"].into();
    let alerts = wait_for("the three alerts", Duration::from_secs(20), || {
        let listed = server
            .get(&northwind.path("/alerts"))
            .bearer(northwind.admin())
            .purpose("HOPERAT")
            .send();
        listed.expect_status(200);
        let items = listed.json()["items"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let rules: BTreeSet<String> = items
            .iter()
            .filter_map(|a| a["rule"].as_str().map(str::to_owned))
            .collect();
        expected
            .iter()
            .all(|rule| rules.contains(*rule))
            .then_some(items)
    });
    for alert in &alerts {
        assert_eq!(alert["tenant"], "northwind");
        assert!(
            alert["evidence"].as_array().is_some_and(|e| !e.is_empty()),
            "{alert}"
        );
        let text = alert.to_string();
        assert!(
            !text.contains("Unresponsive") && !text.contains("Marisol"),
            "{text}"
        );
    }
    let probe = alerts
        .iter()
        .find(|a| a["rule"] == "cross_tenant")
        .expect("a cross-tenant alert");
    assert_eq!(probe["actor"], "clinician");
    assert_eq!(probe["severity"], "high");

    // One alert in full, with the events it rests on.
    let id = probe["id"].as_str().expect("an id");
    let one = server
        .get(&northwind.path(&format!("/alerts/{id}")))
        .bearer(northwind.admin())
        .purpose("HOPERAT")
        .send();
    one.expect_status(200);
    let evidence = one.json()["evidence"].clone();
    assert_eq!(evidence[0]["requested_tenant"], "southgate", "{evidence}");
    assert_eq!(evidence[0]["network"], "127.0.0.0/24", "{evidence}");
    assert!(
        evidence[0]["credential"]
            .as_str()
            .is_some_and(|c| c.starts_with("cred_"))
    );

    // Each raising is an event of the detection job in the tenant's own trail.
    let trail = server
        .get(&northwind.path("/audit-events?actor=phiguard-detection"))
        .bearer(northwind.admin())
        .purpose("HOPERAT")
        .send();
    trail.expect_status(200);
    let raised: Vec<Value> = trail.json()["items"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .filter(|e| e["action"] == "raise_alert")
        .collect();
    assert!(raised.len() >= expected.len(), "{raised:#?}");

    // Delivered exactly once each, signed, after the webhook failed twice.
    let delivered = wait_for("the webhook deliveries", Duration::from_secs(20), || {
        let log = received.lock().expect("the log").clone();
        let ok: Vec<Received> = log
            .iter()
            .filter(|(status, _)| *status == 200)
            .map(|(_, r)| r.clone())
            .collect();
        (ok.len() >= alerts.len()).then_some((log, ok))
    });
    let (log, ok) = delivered;
    assert_eq!(log[0].0, 503);
    assert_eq!(log[1].0, 503);
    let key = phiguard_delivery::WebhookSecret::new(secret.as_bytes()).expect("a secret");
    let mut ids = BTreeSet::new();
    for delivery in &ok {
        let verified = phiguard_delivery::verify_signature(
            &key,
            delivery.header("x-phiguard-timestamp"),
            &delivery.body,
            delivery.header("x-phiguard-signature"),
            jiff::Timestamp::now(),
            Duration::from_secs(300),
        );
        assert!(verified.is_ok(), "{verified:?}");
        let envelope: Value = serde_json::from_slice(&delivery.body).expect("JSON");
        assert_eq!(envelope["type"], "phiguard.alert");
        assert!(
            ids.insert(envelope["alert"]["id"].to_string()),
            "delivered twice"
        );
    }

    // phiguard's own jobs hold no credentials and cannot be reshaped, over the API or the CLI:
    // a job actor with a credential would act under a name the detectors trust.
    let refused = server
        .post(&northwind.path("/actors/phiguard-detection/credentials"))
        .bearer(northwind.admin())
        .purpose("HSYSADMIN")
        .json(&json!({}))
        .send();
    assert_eq!(refused.status, 422, "{}", refused.text());
    let reshaped = workspace.cli(&[
        "actors",
        "create",
        "--tenant",
        "northwind",
        "phiguard-detection",
        "--kind",
        "user",
        "--role",
        "clinician",
    ]);
    assert_eq!(reshaped.code, Some(2), "{}", reshaped.stderr);
    let system_kind = workspace.cli(&[
        "actors",
        "create",
        "--tenant",
        "northwind",
        "nightly-job",
        "--kind",
        "system",
    ]);
    assert_eq!(system_kind.code, Some(2), "{}", system_kind.stderr);
    let issued = workspace.cli(&[
        "credentials",
        "issue",
        "--tenant",
        "northwind",
        "--actor",
        "phiguard-import",
    ]);
    assert_eq!(issued.code, Some(2), "{}", issued.stderr);

    // The same alerts from the command line, while the server runs.
    let listed = workspace.cli_ok(&["alerts", "list", "--tenant", "northwind", "--json"]);
    let listed: Value = serde_json::from_str(&listed).expect("JSON");
    assert!(listed.as_array().is_some_and(|a| a.len() >= expected.len()));

    // JSON lines on standard output; nothing of the patient or the reason in any output.
    let stdout = server.stdout();
    assert!(stdout.contains("\"phiguard.alert\""), "{stdout}");
    for output in [stdout, server.log()] {
        for secret_text in ["Marisol", "Quintero", REASON, secret] {
            assert!(!output.contains(secret_text), "{secret_text} leaked");
        }
    }
}

/// Reads every record of each subject as `actor`, under `purpose`.
fn read_all(
    server: &common::Server,
    tenant: &Tenant,
    actor: &str,
    purpose: &str,
    subjects: &[String],
) {
    for subject in subjects {
        server
            .get(&tenant.path(&format!("/subjects/{subject}/records")))
            .bearer(tenant.token(actor))
            .purpose(purpose)
            .send()
            .expect_status(200);
    }
}

#[test]
fn an_incident_is_scoped_to_exactly_what_an_actor_read_and_gets_its_deadlines() {
    let workspace = Workspace::new();
    let mut tenant = Tenant::create(&workspace, "northwind");
    let corpus = Corpus::generate(
        77,
        6,
        0,
        BundleShape {
            encounters: 1,
            observations_per_encounter: 1,
        },
    );
    let mut files = Vec::new();
    for (n, bundle) in corpus.bundles.iter().enumerate() {
        let path = workspace.path(&format!("bundle-{n}.json"));
        std::fs::write(&path, bundle.to_bytes()).expect("a bundle");
        files.push(path.to_string_lossy().into_owned());
    }
    let mut import = vec!["import", "--tenant", "northwind", "--format", "fhir-bundle"];
    import.extend(files.iter().map(String::as_str));
    workspace.cli_ok(&import);
    std::fs::write(
        workspace.path("phiguard.toml"),
        "[detection]\npoll_milliseconds = 50\n[detection.rules.bulk_read]\nfloor = 3\n",
    )
    .expect("a configuration");

    let server = workspace.serve();
    tenant.add_actor(&server, "support", "user", &["support"]);
    tenant.add_actor(&server, "pharmacist", "user", &["pharmacist"]);
    let trail = server
        .get(&tenant.path("/audit-events?limit=10000"))
        .bearer(tenant.admin())
        .purpose("HOPERAT")
        .send()
        .json();
    let subjects: BTreeSet<String> = trail["items"]
        .as_array()
        .expect("events")
        .iter()
        .filter(|e| e["action"] == "create_subject")
        .filter_map(|e| e["subject"].as_str().map(str::to_owned))
        .collect();
    let subjects: Vec<String> = subjects.into_iter().collect();
    assert_eq!(subjects.len(), 6);

    // The support agent reads four patients; a pharmacist reads the other two.
    let from = jiff::Timestamp::now();
    read_all(&server, &tenant, "support", "HOPERAT", &subjects[..4]);
    tenant.add_actor(&server, "pharmacist-2", "user", &["pharmacist"]);
    read_all(&server, &tenant, "pharmacist", "TREAT", &subjects[4..]);
    // The support agent's reads cross the bulk-read floor of 3 on the fourth record.
    let bulk = wait_for("a bulk-read alert", Duration::from_secs(20), || {
        let listed = server
            .get(&tenant.path("/alerts?rule=bulk_read"))
            .bearer(tenant.admin())
            .purpose("HOPERAT")
            .send();
        listed.json()["items"]
            .as_array()
            .and_then(|items| items.iter().find(|a| a["actor"] == "support").cloned())
    });
    drop(server);
    let until = jiff::Timestamp::now();
    let today = jiff::tz::TimeZone::get("America/New_York")
        .expect("a zone")
        .to_datetime(until)
        .date()
        .to_string();

    // Bad input: clear errors, exit 2, nothing echoed.
    let future = workspace.cli(&[
        "incident",
        "open",
        "--tenant",
        "northwind",
        "--summary",
        "records read",
        "--discovered",
        "2999-01-01",
        "--actor",
        "support",
        "--from",
        &from.to_string(),
        "--until",
        &until.to_string(),
    ]);
    assert_eq!(future.code, Some(2), "{}", future.stderr);
    assert!(future.stderr.contains("in the future"), "{}", future.stderr);
    let ssn = workspace.cli(&[
        "incident",
        "open",
        "--tenant",
        "northwind",
        "--summary",
        "caller gave 999-12-3456",
        "--discovered",
        &today,
        "--actor",
        "support",
        "--from",
        &from.to_string(),
        "--until",
        &until.to_string(),
    ]);
    assert_eq!(ssn.code, Some(2), "{}", ssn.stderr);
    assert!(!ssn.stderr.contains("3456"), "{}", ssn.stderr);
    let unknown = workspace.cli(&[
        "incident",
        "open",
        "--tenant",
        "northwind",
        "--from-alert",
        "alr_aaaaaaaaaaaaaaaa",
        "--discovered",
        &today,
    ]);
    assert_eq!(unknown.code, Some(2), "{}", unknown.stderr);
    assert!(
        unknown.stderr.contains("alert was not found"),
        "{}",
        unknown.stderr
    );

    // An empty window is an error, not zero affected.
    let quiet = workspace.cli_ok(&[
        "incident",
        "open",
        "--tenant",
        "northwind",
        "--summary",
        "nothing here",
        "--discovered",
        &today,
        "--actor",
        "support",
        "--from",
        "2026-01-01T00:00:00Z",
        "--until",
        "2026-01-02T00:00:00Z",
        "--json",
    ]);
    let quiet: Value = serde_json::from_str(&quiet).expect("JSON");
    let quiet_id = quiet["id"].as_str().expect("an id");
    let empty = workspace.cli(&[
        "incident",
        "scope",
        "--tenant",
        "northwind",
        "--id",
        quiet_id,
    ]);
    assert_eq!(empty.code, Some(2), "{}", empty.stderr);
    assert!(empty.stderr.contains("no events"), "{}", empty.stderr);

    let opened = workspace.cli_ok(&[
        "incident",
        "open",
        "--tenant",
        "northwind",
        "--summary",
        "support agent browsed patient records without a ticket",
        "--discovered",
        &today,
        "--actor",
        "support",
        "--from",
        &from.to_string(),
        "--until",
        &until.to_string(),
        "--json",
    ]);
    let opened: Value = serde_json::from_str(&opened).expect("JSON");
    let id = opened["id"].as_str().expect("an id").to_owned();

    let scoped = workspace.cli_ok(&[
        "incident",
        "scope",
        "--tenant",
        "northwind",
        "--id",
        &id,
        "--json",
    ]);
    let scoped: Value = serde_json::from_str(&scoped).expect("JSON");
    let radius = &scoped["blast_radius"];
    let affected: BTreeSet<String> = radius["subjects"]
        .as_array()
        .expect("subjects")
        .iter()
        .filter_map(|s| s.as_str().map(str::to_owned))
        .collect();
    assert_eq!(
        affected,
        subjects[..4].iter().cloned().collect(),
        "exactly the four read"
    );
    assert_eq!(radius["affected"]["by_jurisdiction"]["MA"], 4, "{radius}");
    assert!(radius["categories"]["name"].as_u64() == Some(4), "{radius}");
    assert_eq!(
        radius["categories_clear"].get("name"),
        None,
        "support sees names masked"
    );

    // Opened from the alert, the window starts before the threshold was crossed: every
    // subject read is in, not only those read after the alert fired.
    let from_alert = workspace.cli_ok(&[
        "incident",
        "open",
        "--tenant",
        "northwind",
        "--from-alert",
        bulk["id"].as_str().expect("an alert id"),
        "--discovered",
        &today,
        "--json",
    ]);
    let from_alert: Value = serde_json::from_str(&from_alert).expect("JSON");
    let alert_scope = workspace.cli_ok(&[
        "incident",
        "scope",
        "--tenant",
        "northwind",
        "--id",
        from_alert["id"].as_str().unwrap(),
        "--json",
    ]);
    let alert_scope: Value = serde_json::from_str(&alert_scope).expect("JSON");
    assert_eq!(
        alert_scope["blast_radius"]["subjects"]
            .as_array()
            .map(Vec::len),
        Some(4),
        "{alert_scope}"
    );

    let timeline = workspace.cli_ok(&[
        "incident",
        "timeline",
        "--tenant",
        "northwind",
        "--id",
        &id,
        "--json",
    ]);
    let timeline: Value = serde_json::from_str(&timeline).expect("JSON");
    let deadlines = timeline["schedule"]["deadlines"]
        .as_array()
        .expect("deadlines");
    let individuals = deadlines
        .iter()
        .find(|d| d["recipient"]["kind"] == "individuals")
        .expect("an individual deadline");
    let due: jiff::civil::Date = individuals["due"]
        .as_str()
        .expect("a date")
        .parse()
        .unwrap();
    let discovered: jiff::civil::Date = today.parse().unwrap();
    assert_eq!(
        due,
        discovered.checked_add(jiff::Span::new().days(60)).unwrap()
    );
    let hhs = deadlines
        .iter()
        .find(|d| d["recipient"]["kind"] == "hhs")
        .expect("an HHS deadline");
    assert!(
        hhs["due"].as_str().unwrap() > individuals["due"].as_str().unwrap(),
        "annual"
    );
    let text = workspace.cli_ok(&["incident", "timeline", "--tenant", "northwind", "--id", &id]);
    assert!(
        text.contains("days left") && text.contains("not yet assessed"),
        "{text}"
    );

    let facts = workspace.path("facts.toml");
    std::fs::write(
        &facts,
        r#"
secured = "no"
[risk.nature_and_extent]
categories = ["name", "contact", "address"]
direct_identifiers = "no"
reidentification = "medium"
rating = "medium"
note = "names, contact and addresses, masked"
[risk.unauthorized_person]
kind = "workforce_member"
rating = "low"
note = "a workforce member bound by policy"
[risk.acquisition]
acquired_or_viewed = "yes"
rating = "high"
note = "the records were displayed"
[risk.mitigation]
rating = "medium"
note = "access removed the same day"
measures = ["credential revoked"]
"#,
    )
    .expect("facts");
    // A value in the wrong key is refused without being repeated.
    let misplaced = workspace.path("misplaced.toml");
    std::fs::write(&misplaced, "secured = \"Jane Roe 999-12-3456\"\n").expect("facts");
    let refused = workspace.cli(&[
        "incident",
        "assess",
        "--tenant",
        "northwind",
        "--id",
        &id,
        "--facts",
        misplaced.to_str().unwrap(),
    ]);
    assert_eq!(refused.code, Some(2), "{}", refused.stderr);
    assert!(refused.stderr.contains("line 1"), "{}", refused.stderr);
    assert!(!refused.stderr.contains("Jane"), "{}", refused.stderr);
    assert!(!refused.stderr.contains("3456"), "{}", refused.stderr);

    let assessed = workspace.cli(&[
        "incident",
        "assess",
        "--tenant",
        "northwind",
        "--id",
        &id,
        "--facts",
        facts.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(assessed.code, Some(0), "{}", assessed.stderr);
    let assessed: Value = serde_json::from_str(&assessed.stdout).expect("JSON");
    assert_eq!(assessed["determination"]["notification_required"], true);

    let details = workspace.path("details.toml");
    std::fs::write(
        &details,
        r#"
entity_name = "Northwind Pharmacy"
what_happened = "A support agent opened patient records without a support ticket."
entity_actions = ["Revoked the agent's access", "Retrained the support team"]
[contact]
toll_free_number = "8005550100"
email = "privacy@northwind.example"
[hhs]
breach_types = ["unauthorized_access_disclosure"]
locations = ["network_server"]
safeguards_in_place = ["privacy_rule"]
[hhs.covered_entity]
name = "Northwind Pharmacy"
entity_type = "healthcare_provider"
[hhs.covered_entity.address]
street = "1 Main St"
city = "Boston"
state = "MA"
zip = "02110"
[hhs.covered_entity.contact]
name = "Privacy Officer"
email = "privacy@northwind.example"
phone = "6175550100"
"#,
    )
    .expect("details");
    let inside = workspace.cli(&[
        "incident",
        "notices",
        "--tenant",
        "northwind",
        "--id",
        &id,
        "--details",
        details.to_str().unwrap(),
        "--out",
        workspace.data_dir().join("drafts").to_str().unwrap(),
    ]);
    assert_eq!(inside.code, Some(2), "{}", inside.stderr);
    let out = workspace.path("notices");
    let written = workspace.cli(&[
        "incident",
        "notices",
        "--tenant",
        "northwind",
        "--id",
        &id,
        "--details",
        details.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(written.code, Some(0), "{}", written.stderr);
    let letter = std::fs::read_to_string(out.join("individual-notice.md")).expect("a letter");
    assert!(letter.contains("{{recipient_name}}"), "{letter}");
    let report: Value = serde_json::from_str(
        &std::fs::read_to_string(out.join("hhs-breach-report.json")).expect("a report"),
    )
    .expect("JSON");
    assert_eq!(report["individuals_affected"], 4);
    let list =
        std::fs::read_to_string(out.join("covered-entity-affected-subjects.csv")).expect("a list");
    assert_eq!(list.lines().count(), 5);

    workspace.cli_ok(&[
        "incident",
        "notify",
        "--tenant",
        "northwind",
        "--id",
        &id,
        "--recipient",
        "individuals",
        "--sent",
        &today,
    ]);
    let shown = workspace.cli_ok(&["incident", "show", "--tenant", "northwind", "--id", &id]);
    assert!(shown.contains("notice      individuals sent"), "{shown}");

    // Every step is in the tenant's ledger, and the addresses were read as a recorded job.
    let audit = workspace.cli_ok(&[
        "audit",
        "--tenant",
        "northwind",
        "--limit",
        "10000",
        "--json",
    ]);
    for action in [
        "open_incident",
        "compute_blast_radius",
        "assess_incident",
        "decide_incident",
        "record_notification",
    ] {
        assert!(
            audit.contains(&format!("\"action\":\"{action}\"")),
            "{action} missing"
        );
    }
    let analysis: Vec<Value> = audit
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|e| e["actor"] == "phiguard-breach-analysis")
        .collect();
    assert_eq!(
        analysis.len(),
        8,
        "one masked address read per affected patient, for each of the two incidents scoped"
    );
    for event in &analysis {
        assert_eq!(event["purpose"], "HCOMPL");
        assert_eq!(event["disclosed"], json!({"address": "masked"}));
    }

    // Nothing of the patients in any file phiguard wrote or printed.
    let mut everything = String::new();
    for file in [
        "individual-notice.md",
        "individual-notice.txt",
        "substitute-notice.md",
        "hhs-breach-report.json",
    ] {
        everything.push_str(&std::fs::read_to_string(out.join(file)).unwrap_or_default());
    }
    everything.push_str(&shown);
    everything.push_str(&audit);
    let hits = corpus
        .phi
        .find_in_text("incident outputs", everything.as_bytes());
    assert!(hits.is_empty(), "{hits:?}");
}
