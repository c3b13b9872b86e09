//! No plaintext PHI at rest or in logs: a busy session with debug logging — imports through the
//! API and the command line, reads, lists and searches by every role, and a series of requests
//! that carry PHI in the wrong places — then a scan of every file in the data directory (the
//! write-ahead logs as the crash left them) and of every log for every PHI string imported.

mod common;

use common::fixtures::{self, Corpus, ssn_of};
use common::http::Response;
use common::phi::{Hit, files_under, find_all};
use common::setup::{DEFAULT_ROLES, Tenant};
use common::{ServeOptions, Server, Workspace};
use phiguard_records::synthetic::BundleShape;
use serde_json::{Value, json};

const TENANT: &str = "northwind";

/// Requests that put PHI where it does not belong. Each must be refused with a problem
/// document that echoes none of it.
fn hostile_requests(server: &Server, tenant: &Tenant, subject: &str) -> Vec<(String, Response)> {
    let clinician = tenant.token("clinician");
    let patient = fixtures::patient();
    let post = |path: &str| {
        server
            .post(&tenant.path(path))
            .bearer(clinician)
            .purpose("TREAT")
    };
    let get = |path: &str| {
        server
            .get(&tenant.path(path))
            .bearer(clinician)
            .purpose("TREAT")
    };
    let raw =
        |path: &str, body: &str| post(path).body("application/json", body.as_bytes().to_vec());

    vec![
        (
            "malformed JSON holding an SSN".into(),
            raw("/search", r#"{"field": "ssn", "value": "999-12-3456""#).send(),
        ),
        (
            "an SSN in a field of the wrong type".into(),
            post("/search")
                .json(&json!({"field": "ssn", "value": ["999-12-3456"]}))
                .send(),
        ),
        (
            "a name where an SSN is expected".into(),
            post("/search")
                .json(&json!({"field": "ssn", "value": "Marisol Quintero-Abernathy"}))
                .send(),
        ),
        (
            "PHI as a search field name".into(),
            post("/search")
                .json(&json!({"field": "Quintero-Abernathy", "value": "1984-03-09"}))
                .send(),
        ),
        (
            "an unknown record type with a PHI document".into(),
            post("/records")
                .json(&json!({"record_type": "fhir.NoSuchType", "document": patient}))
                .send(),
        ),
        (
            "a name as a subject id".into(),
            post("/records")
                .json(&json!({"record_type": "fhir.Patient",
                    "subject_id": "Marisol Quintero-Abernathy", "document": patient}))
                .send(),
        ),
        (
            "a document that is a bare string of PHI".into(),
            post("/records")
                .json(&json!({"record_type": "fhir.Patient",
                    "document": "Marisol Quintero-Abernathy 999-12-3456"}))
                .send(),
        ),
        (
            "an unknown body field holding an SSN".into(),
            post("/records")
                .json(&json!({"record_type": "fhir.Patient", "document": patient,
                    "ssn": "999-12-3456"}))
                .send(),
        ),
        (
            "an SSN as a record id".into(),
            get("/records/999-12-3456").send(),
        ),
        (
            "a name as a subject id in the path".into(),
            get("/subjects/Marisol%20Quintero-Abernathy/records").send(),
        ),
        (
            "PHI in the query string".into(),
            get(&format!(
                "/subjects/{subject}/records?after=Quintero-Abernathy&limit=1984-03-09"
            ))
            .send(),
        ),
        (
            "a truncated bundle".into(),
            server
                .post(&tenant.path("/import/fhir-bundle"))
                .bearer(tenant.admin())
                .purpose("HSYSADMIN")
                .body(
                    "application/json",
                    serde_json::to_vec(&json!({"resourceType": "Bundle", "type": "transaction",
                        "entry": [{"resource": patient}]}))
                    .expect("JSON")[..600]
                        .to_vec(),
                )
                .send(),
        ),
        (
            "an order that is a bare string of PHI".into(),
            server
                .post(&tenant.path("/import/shopify-order"))
                .bearer(tenant.admin())
                .purpose("HSYSADMIN")
                .json(&json!({"order": "Marisol Quintero-Abernathy, 14 Harbor Lane"}))
                .send(),
        ),
        (
            "an unknown import format".into(),
            server
                .post(&tenant.path("/import/Quintero-Abernathy"))
                .bearer(tenant.admin())
                .purpose("HSYSADMIN")
                .json(&patient)
                .send(),
        ),
        (
            "PHI as a category in a record type".into(),
            server
                .put(&tenant.path("/record-types/custom.intake"))
                .bearer(tenant.admin())
                .purpose("HSYSADMIN")
                .json(&json!({"name": "custom.intake",
                    "rules": [{"category": "Quintero-Abernathy", "paths": ["ssn"]}]}))
                .send(),
        ),
        (
            "PHI as a form label with a bad category".into(),
            server
                .put(&tenant.path("/record-types/shopify.order/attribute-map"))
                .bearer(tenant.admin())
                .purpose("HSYSADMIN")
                .json(&json!({"Marisol Quintero-Abernathy": "not-a-category"}))
                .send(),
        ),
        (
            "PHI as the purpose of use".into(),
            server
                .get(&tenant.path(&format!("/subjects/{subject}/records")))
                .bearer(clinician)
                .purpose("Quintero-Abernathy")
                .send(),
        ),
        (
            "PHI as a bearer token".into(),
            server
                .get(&tenant.path(&format!("/subjects/{subject}/records")))
                .header("Authorization", "Bearer Quintero-Abernathy-999-12-3456")
                .purpose("TREAT")
                .send(),
        ),
        (
            "PHI as plain text".into(),
            post("/search")
                .body(
                    "text/plain",
                    b"999-12-3456 Marisol Quintero-Abernathy".to_vec(),
                )
                .send(),
        ),
        (
            "an oversized body full of PHI".into(),
            post("/search")
                .body(
                    "application/json",
                    "999-12-3456 Quintero-Abernathy "
                        .repeat(40_000)
                        .into_bytes(),
                )
                .send_expecting_continue(),
        ),
    ]
}

/// The reads, lists and searches of one role under one purpose.
fn exercise(
    server: &Server,
    tenant: &Tenant,
    actor: &str,
    purpose: &str,
    subjects: &[(String, Vec<String>)],
    searches: &[Value],
) {
    for (subject, records) in subjects {
        for record in records.iter().take(4) {
            server
                .get(&tenant.path(&format!("/records/{record}")))
                .bearer(tenant.token(actor))
                .purpose(purpose)
                .send();
        }
        server
            .get(&tenant.path(&format!("/subjects/{subject}/records?limit=10")))
            .bearer(tenant.token(actor))
            .purpose(purpose)
            .send();
    }
    for query in searches {
        server
            .post(&tenant.path("/search"))
            .bearer(tenant.token(actor))
            .purpose(purpose)
            .json(query)
            .send();
    }
}

/// The root key's material in every spelling a log line could carry it.
fn root_key_spellings(data_dir: &std::path::Path) -> Vec<Vec<u8>> {
    let text = std::fs::read_to_string(data_dir.join("root.key")).expect("the root key");
    let encoded = text.lines().nth(1).expect("the key line").trim().to_owned();
    let raw = data_encoding::BASE64
        .decode(encoded.as_bytes())
        .expect("a base64 key");
    assert_eq!(raw.len(), 32);
    vec![
        encoded.clone().into_bytes(),
        data_encoding::HEXLOWER.encode(&raw).into_bytes(),
        data_encoding::HEXUPPER.encode(&raw).into_bytes(),
        data_encoding::BASE64URL_NOPAD.encode(&raw).into_bytes(),
        raw,
    ]
}

#[test]
fn no_phi_reaches_the_disk_or_the_logs() {
    let workspace = Workspace::new();
    let mut tenant = Tenant::create(&workspace, TENANT);
    let server = workspace.serve_with(&ServeOptions {
        log: Some("debug".into()),
        ..ServeOptions::default()
    });
    tenant.add_default_roles(&server);
    server
        .put(&tenant.path("/record-types/shopify.order/attribute-map"))
        .bearer(tenant.admin())
        .purpose("HSYSADMIN")
        .json(&fixtures::order_attribute_map())
        .send()
        .expect_status(200);

    // Corpus-shaped data: generated patients with full histories and storefront orders, plus
    // the hand-written fixtures.
    let corpus = Corpus::generate(
        606,
        4,
        6,
        BundleShape {
            encounters: 6,
            observations_per_encounter: 3,
        },
    );
    let mut phi = corpus.phi.clone();
    phi.add_document("fhir.Patient", &fixtures::patient());
    phi.add_document("shopify.order", &fixtures::order());
    // A FHIR status code that is also an English word the detectors' own alert summaries use
    // ("… past active hours"): the bulk reads below raise such an alert, kept in the store.
    phi.forget("active");

    for bundle in &corpus.bundles[..2] {
        tenant.import(&server, "fhir-bundle", bundle.to_bytes());
    }
    for order in &corpus.orders {
        tenant.import(&server, "shopify-order", order.to_bytes());
    }
    let inputs = workspace.path("inputs");
    std::fs::create_dir(&inputs).expect("an input directory");
    let mut files = Vec::new();
    for (index, bundle) in corpus.bundles[2..].iter().enumerate() {
        let file = inputs.join(format!("bundle-{index}.json"));
        std::fs::write(&file, bundle.to_bytes()).expect("writing a bundle");
        files.push(file.to_str().expect("a UTF-8 path").to_owned());
    }
    let mut args = vec!["--log", "debug", "import", "--tenant", TENANT, "--format"];
    args.push("fhir-bundle");
    args.extend(files.iter().map(String::as_str));
    let cli_import = workspace.cli(&args);
    assert_eq!(cli_import.code, Some(0), "{}", cli_import.stderr);

    let created = server
        .post(&tenant.path("/records"))
        .bearer(tenant.token("clinician"))
        .purpose("TREAT")
        .json(&json!({"record_type": "fhir.Patient", "document": fixtures::patient()}))
        .send();
    created.expect_status(201);
    let fixture_subject = created.json()["subject_id"]
        .as_str()
        .expect("a subject")
        .to_owned();
    server
        .post(&tenant.path(&format!("/subjects/{fixture_subject}/records")))
        .bearer(tenant.token("storefront"))
        .purpose("HOPERAT")
        .json(&json!({"record_type": "shopify.order", "document": fixtures::order()}))
        .send()
        .expect_status(201);

    // Who is in the vault, found the way a clinician would.
    let mut subjects = Vec::new();
    let mut searches = Vec::new();
    for bundle in &corpus.bundles {
        let ssn = ssn_of(bundle);
        searches.push(json!({"field": "ssn", "value": ssn}));
        let hits = tenant.search(
            &server,
            "clinician",
            "TREAT",
            &json!({"field": "ssn", "value": ssn}),
        );
        assert_eq!(hits.len(), 1, "each imported patient is found by SSN");
        let listed = server
            .get(&tenant.path(&format!("/subjects/{}/records?limit=200", hits[0].0)))
            .bearer(tenant.token("clinician"))
            .purpose("TREAT")
            .send();
        listed.expect_status(200);
        let records = listed.json()["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|v| v["record_id"].as_str().expect("an id").to_owned())
            .collect();
        subjects.push((hits[0].0.clone(), records));
    }
    for order in &corpus.orders {
        searches.push(json!({"field": "email", "value": order.planted[0]}));
    }
    searches.push(json!({"field": "phone", "value": "555-867-5309"}));
    searches.push(json!({"field": "family_birthdate",
        "values": ["Quintero-Abernathy", "1984-03-09"]}));
    subjects.push((fixture_subject.clone(), Vec::new()));

    for (_, _, actor) in DEFAULT_ROLES {
        for purpose in ["TREAT", "HPAYMT", "HOPERAT", "PATRQT", "HRESCH"] {
            exercise(&server, &tenant, actor, purpose, &subjects, &searches);
        }
    }

    // Requests with PHI in the wrong places: refused, and echoing none of it.
    let mut echoed: Vec<Hit> = Vec::new();
    for (what, response) in hostile_requests(&server, &tenant, &fixture_subject) {
        assert!(
            (400..500).contains(&response.status),
            "{what}: expected a 4xx, got {}: {}",
            response.status,
            response.text()
        );
        assert_eq!(
            response.header("content-type"),
            Some("application/problem+json"),
            "{what}"
        );
        echoed.extend(phi.find_in_text(&what, &response.body));
    }
    server
        .get(&tenant.path(&format!("/subjects/{fixture_subject}/records")))
        .bearer(tenant.token("clinician"))
        .purpose("TREAT")
        .send()
        .expect_status(200);

    // Stop as a crash would: no checkpoint, the write-ahead logs stay as they are.
    let log_path = server.log_path().to_owned();
    server.kill();

    let data_dir = workspace.data_dir();
    let files = files_under(&data_dir);
    let wal = data_dir.join("vault.sqlite-wal");
    assert!(
        std::fs::metadata(&wal).is_ok_and(|m| m.len() > 0),
        "the vault's write-ahead log is there to be scanned"
    );
    assert!(phi.len() > 200, "the scan looks for {} strings", phi.len());

    // The scanner works: it finds PHI in the import files.
    let control = phi.find_in_binary(
        "an import file",
        &std::fs::read(inputs.join("bundle-0.json")).expect("the input"),
    );
    assert!(control.len() > 20, "the scanner finds PHI where PHI is");
    // ... and in a SQLite file, between other columns, as a leak would sit there.
    let planted = corpus.bundles[0]
        .planted
        .iter()
        .find(|v| v.len() >= 8 && v.chars().any(char::is_alphabetic))
        .expect("a long planted value");
    let copy = workspace.path("control.sqlite");
    std::fs::copy(data_dir.join("vault.sqlite"), &copy).expect("a copy of the vault");
    let control_db = common::open_db(&copy);
    control_db
        .execute_batch("CREATE TABLE control (a TEXT, b TEXT, c INTEGER)")
        .expect("a control table");
    control_db
        .execute(
            "INSERT INTO control VALUES ('x', ?1, 1984)",
            [planted.as_str()],
        )
        .expect("a control row");
    drop(control_db);
    let control = phi.find_in_binary("control", &std::fs::read(&copy).expect("the copy"));
    assert!(
        control.iter().any(|hit| hit.needle == *planted),
        "the scanner finds PHI stored in a SQLite file"
    );

    let mut hits: Vec<Hit> = Vec::new();
    for file in &files {
        let bytes = std::fs::read(file).expect("a data file");
        hits.extend(phi.find_in_binary(&file.display().to_string(), &bytes));
    }
    let server_log = std::fs::read(&log_path).expect("the server log");
    let served = String::from_utf8_lossy(&server_log)
        .matches("served")
        .count();
    assert!(
        served > 1000,
        "the log holds every request ({served} lines)"
    );
    let logs: Vec<(String, Vec<u8>)> = vec![
        ("server log".into(), server_log),
        ("import stderr".into(), cli_import.stderr.into_bytes()),
        ("import stdout".into(), cli_import.stdout.into_bytes()),
    ];
    for (place, text) in &logs {
        hits.extend(phi.find_in_text(place, text));
    }
    hits.extend(echoed);
    assert!(hits.is_empty(), "plaintext PHI found:\n{hits:#?}");

    // Neither bearer tokens nor the root key appear in any log.
    let mut secrets: Vec<Vec<u8>> = tenant
        .tokens()
        .map(|token| token.as_bytes().to_vec())
        .collect();
    secrets.extend(root_key_spellings(&data_dir));
    for (place, text) in &logs {
        for secret in &secrets {
            let found = text
                .windows(secret.len())
                .any(|window| window == secret.as_slice());
            assert!(
                !found,
                "a secret ({} bytes) is in the {place}",
                secret.len()
            );
        }
    }
    let token_prefixes: Vec<&str> = vec!["phg_"];
    for (place, text) in &logs {
        assert!(
            find_all(place, text, &token_prefixes, |_| false).is_empty(),
            "something token-shaped is in the {place}"
        );
    }
}
