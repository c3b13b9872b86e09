//! The tamper-evident ledger end to end, through the real binary and the real HTTP API: reads
//! are entries whose proofs verify against signed checkpoints; `ledger verify` passes on a live
//! data directory and names the first tampered entry; exports verify elsewhere; `ledger watch`
//! catches rollbacks, forks and foreign keys; disposal, imports and rotations are entries; a
//! crash loses no acknowledged read; no entry, export or error holds PHI.

mod common;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::fixtures::{Corpus, ssn_of};
use common::setup::Tenant;
use common::{CliOutput, ServeOptions, Server, Workspace, open_db};
use phiguard_ledger::{
    Checkpoint, CheckpointSigner, CheckpointVerifier, ConsistencyProof, Hash, InclusionProof,
    SignatureAlgorithm, leaf_hash, verify_consistency, verify_inclusion,
};
use serde_json::{Value, json};

const TENANT: &str = "northwind";

/// A tenant with one imported patient, a clinician who may read and a support agent who may
/// not, served with periodic checkpoints off (so the tests decide when one is signed).
struct Fixture {
    workspace: Workspace,
    tenant: Tenant,
    server: Option<Server>,
    corpus: Corpus,
    subject: String,
    record: String,
}

fn serve_options() -> ServeOptions {
    ServeOptions {
        env: vec![(
            "PHIGUARD_VAULT__CHECKPOINT_INTERVAL_SECONDS".into(),
            "0".into(),
        )],
        ..ServeOptions::default()
    }
}

impl Fixture {
    fn new() -> Fixture {
        let workspace = Workspace::new();
        let mut tenant = Tenant::create(&workspace, TENANT);
        let corpus = Corpus::small(3003);
        let bundle = workspace.path("bundle.json");
        std::fs::write(&bundle, corpus.bundles[0].to_bytes()).expect("a bundle");
        workspace.cli_ok(&[
            "import",
            "--tenant",
            TENANT,
            "--format",
            "fhir-bundle",
            bundle.to_str().expect("a UTF-8 path"),
        ]);

        let server = workspace.serve_with(&serve_options());
        tenant.add_actor(&server, "clinician", "user", &["clinician"]);
        tenant.add_actor(&server, "support", "user", &["support"]);
        let found = tenant.search(
            &server,
            "clinician",
            "TREAT",
            &json!({"field": "ssn", "value": ssn_of(&corpus.bundles[0])}),
        );
        let (subject, record) = found.into_iter().next().expect("the imported patient");
        Fixture {
            workspace,
            tenant,
            server: Some(server),
            corpus,
            subject,
            record,
        }
    }

    fn server(&self) -> &Server {
        self.server.as_ref().expect("a running server")
    }

    fn restart(&mut self) {
        if let Some(server) = self.server.take() {
            server.stop();
        }
        self.server = Some(self.workspace.serve_with(&serve_options()));
    }

    fn read(&self, actor: &str) -> common::http::Response {
        self.server()
            .get(&self.tenant.path(&format!("/records/{}", self.record)))
            .bearer(self.tenant.token(actor))
            .purpose("TREAT")
            .send()
    }

    fn admin_get(&self, path: &str) -> common::http::Response {
        self.server()
            .get(&self.tenant.path(path))
            .bearer(self.tenant.admin())
            .purpose("HCOMPL")
            .send()
    }

    fn verifier_key(&self) -> String {
        let reply = self.admin_get("/ledger/key");
        reply.expect_status(200);
        reply.json()["verifier_key"]
            .as_str()
            .expect("a key")
            .to_owned()
    }

    fn sign_checkpoint(&self) -> Checkpoint {
        let reply = self
            .server()
            .post(&self.tenant.path("/ledger/checkpoint"))
            .bearer(self.tenant.admin())
            .purpose("HCOMPL")
            .send();
        reply.expect_status(200);
        let key = CheckpointVerifier::from_verifier_key(&self.verifier_key()).expect("a key");
        let note = reply.json()["note"].as_str().expect("a note").to_owned();
        key.verify(note.as_bytes())
            .expect("a checkpoint signed by the published key")
    }

    /// Every entry of the log, as its canonical bytes, read as JSON Lines.
    fn entries(&self) -> Vec<Vec<u8>> {
        let mut all = Vec::new();
        loop {
            let reply = self
                .server()
                .get(
                    &self
                        .tenant
                        .path(&format!("/ledger/entries?from={}&limit=10000", all.len())),
                )
                .bearer(self.tenant.admin())
                .purpose("HCOMPL")
                .header("Accept", "application/jsonl")
                .send();
            reply.expect_status(200);
            assert_eq!(reply.header("content-type"), Some("application/jsonl"));
            let before = all.len();
            all.extend(
                reply
                    .body
                    .split(|&b| b == b'\n')
                    .filter(|line| !line.is_empty())
                    .map(<[u8]>::to_vec),
            );
            if all.len() - before < 10_000 {
                return all;
            }
        }
    }

    fn cli_in(&self, dir: &Path, args: &[&str]) -> CliOutput {
        common::run(self.workspace.command_for(dir).args(args))
    }
}

fn parsed(entry: &[u8]) -> Value {
    serde_json::from_slice(entry).expect("an entry is JSON")
}

fn index_of(entries: &[Vec<u8>], request_id: &str) -> usize {
    entries
        .iter()
        .position(|e| parsed(e)["request_id"] == request_id)
        .unwrap_or_else(|| panic!("no entry with request id {request_id}"))
}

#[test]
fn reads_and_refusals_are_entries_whose_proofs_verify_against_signed_checkpoints() {
    let fixture = Fixture::new();
    let read = fixture.read("clinician");
    read.expect_status(200);
    let denied = fixture.read("support");
    denied.expect_problem(403, "forbidden");

    let first = fixture.sign_checkpoint();
    let entries = fixture.entries();
    assert!(entries.len() as u64 >= first.size());

    // The read is an entry with what was disclosed; the refusal is one too.
    let at = index_of(&entries, &read.request_id());
    let entry = parsed(&entries[at]);
    assert_eq!(entry["action"], "read_record");
    assert_eq!(entry["actor"], "clinician");
    assert_eq!(entry["decision"], "allow");
    assert_eq!(entry["index"], at);
    assert!(
        entry["disclosed"]
            .as_object()
            .is_some_and(|d| !d.is_empty())
    );
    let refused = parsed(&entries[index_of(&entries, &denied.request_id())]);
    assert_eq!(refused["decision"], "deny");
    assert_eq!(refused["actor"], "support");

    // Its inclusion proof at the checkpoint's size leads to the signed root.
    let reply = fixture.admin_get(&format!(
        "/ledger/proof/inclusion?index={at}&size={}",
        first.size()
    ));
    reply.expect_status(200);
    let proven = reply.json();
    let leaf = leaf_hash(&entries[at]);
    assert_eq!(proven["leaf_hash"], leaf.to_base64());
    assert_eq!(
        proven["entry_text"].as_str().map(str::as_bytes),
        Some(entries[at].as_slice())
    );
    let proof: InclusionProof = serde_json::from_value(proven["proof"].clone()).expect("a proof");
    verify_inclusion(&leaf, at as u64, first.size(), &proof, first.root()).expect("included");
    assert!(
        verify_inclusion(&leaf, at as u64, first.size() + 1, &proof, first.root()).is_err(),
        "a proof holds only for the size it names"
    );

    // The signed note is served as is with Accept: text/plain.
    let note = fixture
        .server()
        .get(&fixture.tenant.path("/ledger/checkpoint"))
        .bearer(fixture.tenant.admin())
        .purpose("HCOMPL")
        .header("Accept", "text/plain")
        .send();
    note.expect_status(200);
    let key = CheckpointVerifier::from_verifier_key(&fixture.verifier_key()).expect("key");
    assert_eq!(key.verify(&note.body).expect("signed"), first);

    // The log only grew between two checkpoints.
    fixture.read("clinician").expect_status(200);
    let second = fixture.sign_checkpoint();
    assert!(second.size() > first.size());
    let reply = fixture.admin_get(&format!(
        "/ledger/proof/consistency?old={}&new={}",
        first.size(),
        second.size()
    ));
    reply.expect_status(200);
    let proof: ConsistencyProof = serde_json::from_value(reply.json()).expect("a proof");
    verify_consistency(
        first.size(),
        second.size(),
        first.root(),
        second.root(),
        &proof,
    )
    .expect("consistent");
    let all = fixture.admin_get("/ledger/checkpoints").json();
    assert_eq!(all["items"].as_array().map(Vec::len), Some(2));

    // Bad numbers are 400, numbers outside the log 422.
    let bad = [
        ("/ledger/proof/inclusion?index=seven", 400, "invalid-query"),
        ("/ledger/proof/inclusion", 400, "invalid-query"),
        ("/ledger/proof/consistency?old=-1", 400, "invalid-query"),
        ("/ledger/entries?limit=0", 400, "invalid-query"),
        ("/ledger/entries?limit=10001", 400, "invalid-query"),
        (
            "/ledger/proof/inclusion?index=99999999999999999999",
            400,
            "invalid-query",
        ),
        ("/ledger/proof/inclusion?index=100000", 422, "invalid-input"),
        (
            "/ledger/proof/consistency?old=5&new=4",
            422,
            "invalid-input",
        ),
        ("/ledger/proof/consistency?old=100000", 422, "invalid-input"),
        (
            &format!("/subjects/{}/disclosures?format=xml", fixture.subject),
            400,
            "invalid-query",
        ),
    ];
    for (path, status, slug) in bad {
        fixture.admin_get(path).expect_problem(status, slug);
    }
    let other = fixture
        .server()
        .get("/v1/tenants/southwind/ledger/key")
        .bearer(fixture.tenant.admin())
        .send();
    other.expect_problem(403, "tenant-mismatch");
    let anonymous = fixture
        .server()
        .get(&fixture.tenant.path("/ledger/checkpoint"))
        .send();
    anonymous.expect_problem(401, "unauthenticated");

    // The accounting of disclosures lists the read with a proof, as JSON and as FHIR.
    let accounting = fixture.admin_get(&format!("/subjects/{}/disclosures", fixture.subject));
    accounting.expect_status(200);
    let accounting = accounting.json();
    let lines = accounting["disclosures"].as_array().expect("lines");
    assert!(
        lines
            .iter()
            .any(|l| l["entry"]["request_id"] == read.request_id())
    );
    let fhir = fixture.admin_get(&format!(
        "/subjects/{}/disclosures?format=fhir",
        fixture.subject
    ));
    fhir.expect_status(200);
    assert_eq!(fhir.header("content-type"), Some("application/fhir+json"));
    let bundle = fhir.json();
    assert_eq!(bundle["resourceType"], "Bundle");
    assert_eq!(bundle["entry"].as_array().map(Vec::len), Some(lines.len()));
    assert_eq!(bundle["entry"][0]["resource"]["resourceType"], "AuditEvent");

    // Nothing the ledger serves holds PHI.
    let mut served = fixture.entries().concat();
    served.extend(accounting.to_string().into_bytes());
    served.extend(bundle.to_string().into_bytes());
    let hits = fixture.corpus.phi.find_in_text("ledger", &served);
    assert!(hits.is_empty(), "PHI in the ledger: {hits:?}");
}

/// A copy of the data directory's files, for tampering.
fn copy_data_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("a copy");
    for entry in std::fs::read_dir(from).expect("the data directory") {
        let path = entry.expect("an entry").path();
        if path.is_file() {
            std::fs::copy(&path, to.join(path.file_name().expect("a name"))).expect("copied");
        }
    }
}

/// Opens a copy's vault database with the append-only triggers dropped, as an attacker with
/// file access would.
fn tamper(dir: &Path, sql: &str) {
    let conn = open_db(&dir.join("vault.sqlite"));
    let triggers: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        .and_then(|mut s| s.query_map([], |row| row.get(0))?.collect::<Result<_, _>>())
        .expect("the triggers");
    for trigger in triggers {
        conn.execute_batch(&format!("DROP TRIGGER \"{trigger}\";"))
            .expect("dropped");
    }
    conn.execute_batch(sql).expect("tampered");
}

#[test]
fn verify_passes_on_a_live_data_dir_and_names_the_first_tampered_entry() {
    let mut fixture = Fixture::new();
    for _ in 0..6 {
        fixture.read("clinician").expect_status(200);
    }
    let checkpoint = fixture.sign_checkpoint();
    fixture.read("support").expect_status(403);
    let key = fixture.verifier_key();
    let data_dir = fixture.workspace.data_dir();

    // Live, while the server runs.
    let live = fixture.workspace.cli(&["ledger", "verify", "--key", &key]);
    assert_eq!(live.code, Some(0), "{}", live.stderr);
    assert!(
        live.stdout.contains(&format!("tenant {TENANT}")),
        "{}",
        live.stdout
    );

    // Without a key, the data directory's own key is used, and it says so.
    let derived = fixture.workspace.cli(&["ledger", "verify"]);
    assert_eq!(derived.code, Some(0), "{}", derived.stderr);
    assert!(derived.stderr.contains("WARNING"), "{}", derived.stderr);

    let stopped = fixture.server.take().expect("a server");
    stopped.stop();

    let size = checkpoint.size();
    let cases: Vec<(&str, String, String)> = vec![
        (
            "edit",
            format!(
                "UPDATE audit_events SET event = replace(event, '\"decision\":\"allow\"', \
                 '\"decision\":\"deny\"') WHERE tenant_id = '{TENANT}' AND leaf_index = 3;"
            ),
            format!("entry 3 of tenant {TENANT}"),
        ),
        (
            "non-canonical",
            format!(
                "UPDATE audit_events SET event = replace(event, '\"index\":2,', \
                 '\"index\": 2,') WHERE tenant_id = '{TENANT}' AND leaf_index = 2;"
            ),
            format!("entry 2 of tenant {TENANT}"),
        ),
        (
            "delete",
            format!("DELETE FROM audit_events WHERE tenant_id = '{TENANT}' AND leaf_index = 4;"),
            format!("entry 4 of tenant {TENANT}"),
        ),
        (
            "swap",
            format!(
                "CREATE TEMP TABLE pair AS SELECT leaf_index, event, leaf_hash FROM audit_events
                   WHERE tenant_id = '{TENANT}' AND leaf_index IN (1, 5);
                 UPDATE audit_events SET
                   event = (SELECT event FROM pair
                            WHERE pair.leaf_index = 6 - audit_events.leaf_index),
                   leaf_hash = (SELECT leaf_hash FROM pair
                                WHERE pair.leaf_index = 6 - audit_events.leaf_index)
                   WHERE tenant_id = '{TENANT}' AND leaf_index IN (1, 5);"
            ),
            format!("entry 1 of tenant {TENANT}"),
        ),
        (
            "truncate",
            format!(
                "DELETE FROM audit_events WHERE tenant_id = '{TENANT}' AND leaf_index >= {};",
                size - 1
            ),
            format!("log of tenant {TENANT} ends after {}", size - 1),
        ),
    ];
    for (name, sql, expected) in &cases {
        let copy = fixture.workspace.path(&format!("tampered-{name}"));
        copy_data_dir(&data_dir, &copy);
        tamper(&copy, sql);
        let out = fixture.cli_in(&copy, &["ledger", "verify", "--key", &key]);
        assert_eq!(out.code, Some(1), "{name}: {}\n{}", out.stdout, out.stderr);
        assert!(out.stderr.contains(expected), "{name}: {}", out.stderr);
    }

    // An entry edited and re-hashed, as an attacker who knows RFC 6962 would: the stored
    // leaf hash matches, but the signed checkpoint's root no longer does.
    let copy = fixture.workspace.path("tampered-rehashed");
    copy_data_dir(&data_dir, &copy);
    let original: String = open_db(&copy.join("vault.sqlite"))
        .query_row(
            "SELECT event FROM audit_events WHERE tenant_id = ?1 AND leaf_index = 2",
            [TENANT],
            |row| row.get(0),
        )
        .expect("entry 2");
    let edited = original.replacen("\"outcome\":\"success\"", "\"outcome\":\"failed\"", 1);
    assert_ne!(edited, original);
    let rehashed = leaf_hash(edited.as_bytes());
    tamper(
        &copy,
        &format!(
            "UPDATE audit_events SET event = '{}', leaf_hash = X'{}' \
             WHERE tenant_id = '{TENANT}' AND leaf_index = 2;",
            edited.replace('\'', "''"),
            rehashed.to_hex()
        ),
    );
    let out = fixture.cli_in(&copy, &["ledger", "verify", "--key", &key]);
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    assert!(
        out.stderr.contains(&format!(
            "checkpoint 1 (tree size {size}) does not match the root rebuilt from the entries \
             of tenant {TENANT}"
        )),
        "{}",
        out.stderr
    );

    // A checkpoint replaced with one signed by another key (same origin) is named.
    let copy = fixture.workspace.path("tampered-checkpoint");
    copy_data_dir(&data_dir, &copy);
    let forger = CheckpointSigner::generate(SignatureAlgorithm::DEFAULT).expect("a key");
    let origin = CheckpointVerifier::from_verifier_key(&key)
        .expect("key")
        .origin()
        .to_owned();
    let forged = forger
        .sign(&Checkpoint::new(&origin, checkpoint.size(), *checkpoint.root()).expect("body"))
        .expect("signed");
    tamper(
        &copy,
        &format!(
            "UPDATE ledger_checkpoints SET note = '{}' WHERE tenant_id = '{TENANT}';",
            forged.replace('\'', "''")
        ),
    );
    let out = fixture.cli_in(&copy, &["ledger", "verify", "--key", &key]);
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    assert!(
        out.stderr.contains("checkpoint 1 is not valid"),
        "{}",
        out.stderr
    );

    // The untouched directory still verifies, and garbage is an input error.
    let out = fixture.cli_in(&data_dir, &["ledger", "verify", "--key", &key]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let garbage = fixture.workspace.path("garbage");
    std::fs::create_dir_all(&garbage).expect("a directory");
    std::fs::write(garbage.join("notes.txt"), "not a ledger").expect("a file");
    let out = fixture.workspace.cli(&[
        "ledger",
        "verify",
        garbage.to_str().expect("utf-8"),
        "--key",
        &key,
    ]);
    assert_eq!(out.code, Some(2), "{}", out.stderr);
    let out = fixture
        .workspace
        .cli(&["ledger", "verify", "--key", "not+a+key"]);
    assert_eq!(out.code, Some(2), "{}", out.stderr);
}

#[test]
fn an_export_verifies_on_another_machine_and_is_itself_recorded() {
    let fixture = Fixture::new();
    for _ in 0..4 {
        fixture.read("clinician").expect_status(200);
    }
    fixture.read("support").expect_status(403);
    let key = fixture.verifier_key();

    let out_dir = fixture.workspace.path("export");
    let out = fixture.workspace.cli_ok(&[
        "ledger",
        "export",
        "--tenant",
        TENANT,
        "--out",
        out_dir.to_str().expect("utf-8"),
    ]);
    assert!(out.contains("exported entries 0.."), "{out}");
    for file in ["entries.jsonl", "key.vkey", "VERIFY.md", "manifest.json"] {
        assert!(out_dir.join(file).is_file(), "{file} is missing");
    }
    assert_eq!(
        std::fs::read_to_string(out_dir.join("key.vkey"))
            .expect("key")
            .trim(),
        key
    );

    // Elsewhere: another working directory with no data directory at all.
    let elsewhere = Workspace::new();
    let copy = elsewhere.path("received");
    copy_tree(&out_dir, &copy);
    let out = elsewhere.cli(&[
        "ledger",
        "verify",
        copy.to_str().expect("utf-8"),
        "--key",
        &key,
    ]);
    assert_eq!(out.code, Some(0), "{}\n{}", out.stdout, out.stderr);
    assert!(
        !elsewhere.data_dir().exists(),
        "verify created no data directory"
    );

    // An edited line is caught and named.
    let entries = std::fs::read(copy.join("entries.jsonl")).expect("entries");
    let edited = String::from_utf8(entries).expect("utf-8").replacen(
        "\"actor\":\"clinician\"",
        "\"actor\":\"clinicia2\"",
        1,
    );
    std::fs::write(copy.join("entries.jsonl"), edited).expect("written");
    let out = elsewhere.cli(&[
        "ledger",
        "verify",
        copy.to_str().expect("utf-8"),
        "--key",
        &key,
    ]);
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    assert!(
        out.stderr.contains(&format!("of tenant {TENANT}")),
        "{}",
        out.stderr
    );

    // A dropped line is named by its index.
    let text = std::fs::read_to_string(out_dir.join("entries.jsonl")).expect("entries");
    let dropped: Vec<&str> = text
        .lines()
        .enumerate()
        .filter(|(n, _)| *n != 3)
        .map(|(_, line)| line)
        .collect();
    std::fs::write(copy.join("entries.jsonl"), dropped.join("\n") + "\n").expect("written");
    let out = elsewhere.cli(&[
        "ledger",
        "verify",
        copy.to_str().expect("utf-8"),
        "--key",
        &key,
    ]);
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    assert!(
        out.stderr.contains(&format!("entry 3 of tenant {TENANT}")),
        "{}",
        out.stderr
    );

    // A partial export (from an instant in the middle) still verifies.
    let entries = fixture.entries();
    let middle = parsed(&entries[entries.len() / 2])["time"]
        .as_str()
        .expect("a time")
        .to_owned();
    let partial = fixture.workspace.path("partial");
    fixture.workspace.cli_ok(&[
        "ledger",
        "export",
        "--tenant",
        TENANT,
        "--from",
        &middle,
        "--out",
        partial.to_str().expect("utf-8"),
    ]);
    assert!(partial.join("frontier.json").is_file());
    let out = elsewhere.cli(&[
        "ledger",
        "verify",
        partial.to_str().expect("utf-8"),
        "--key",
        &key,
    ]);
    assert_eq!(out.code, Some(0), "{}\n{}", out.stdout, out.stderr);

    // No PHI in any exported file; the export is in the ledger under a system actor.
    for file in common::phi::files_under(&out_dir) {
        let bytes = std::fs::read(&file).expect("readable");
        let hits = fixture
            .corpus
            .phi
            .find_in_text(&file.display().to_string(), &bytes);
        assert!(hits.is_empty(), "PHI in the export: {hits:?}");
    }
    let recorded = fixture.entries().into_iter().map(|e| parsed(&e)).any(|e| {
        e["actor"] == "phiguard-admin"
            && e["actor_kind"] == "system"
            && e["action"] == "read_audit"
            && e["target"]
                .as_str()
                .is_some_and(|t| t.starts_with("ledger entries"))
    });
    assert!(recorded, "the export's reads are entries of a system actor");

    // An existing, non-empty output directory is refused.
    let again = fixture.workspace.cli(&[
        "ledger",
        "export",
        "--tenant",
        TENANT,
        "--out",
        out_dir.to_str().expect("utf-8"),
    ]);
    assert_eq!(again.code, Some(2), "{}", again.stderr);
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("a directory");
    for entry in std::fs::read_dir(from).expect("readable") {
        let path = entry.expect("an entry").path();
        let target = to.join(path.file_name().expect("a name"));
        if path.is_dir() {
            copy_tree(&path, &target);
        } else {
            std::fs::copy(&path, &target).expect("copied");
        }
    }
}

/// The data directory's own checkpoint signer, as an operator turned forger would use it.
fn operator_signer(workspace: &Workspace) -> CheckpointSigner {
    let der = std::fs::read(workspace.data_dir().join("ledger.key")).expect("the ledger key");
    CheckpointSigner::from_pkcs8(&der).expect("a signing key")
}

fn watch(fixture: &Fixture, state: &Path, key: &str, token_file: &Path) -> CliOutput {
    let url = format!("http://{}", fixture.server().addr());
    fixture.workspace.cli(&[
        "ledger",
        "watch",
        "--url",
        &url,
        "--tenant",
        TENANT,
        "--key",
        key,
        "--state",
        state.to_str().expect("utf-8"),
        "--token-file",
        token_file.to_str().expect("utf-8"),
    ])
}

#[test]
fn watch_keeps_consistent_checkpoints_and_catches_rollbacks_forks_and_foreign_keys() {
    let fixture = Fixture::new();
    let key = fixture.verifier_key();
    let token_file = fixture.workspace.path("token");
    std::fs::write(&token_file, fixture.tenant.admin()).expect("token file");
    let state = fixture.workspace.path("watch-state");

    fixture.sign_checkpoint();
    let first = watch(&fixture, &state, &key, &token_file);
    assert_eq!(first.code, Some(0), "{}", first.stderr);
    assert!(
        first.stdout.contains("first checkpoint"),
        "{}",
        first.stdout
    );

    fixture.read("clinician").expect_status(200);
    let served = fixture.sign_checkpoint();
    let grown = watch(&fixture, &state, &key, &token_file);
    assert_eq!(grown.code, Some(0), "{}", grown.stderr);
    assert!(grown.stdout.contains("consistent"), "{}", grown.stdout);
    let unchanged = watch(&fixture, &state, &key, &token_file);
    assert_eq!(unchanged.code, Some(0), "{}", unchanged.stderr);

    // The operator's key signs what the server never served: a larger log (the served one is
    // now a rollback), the same size with another root, a smaller one off the real history.
    let signer = operator_signer(&fixture.workspace);
    let origin = CheckpointVerifier::from_verifier_key(&key)
        .expect("key")
        .origin()
        .to_owned();
    let other_root = Hash::from_bytes([7; 32]);
    let cases = [
        ("rollback", served.size() + 100, "ROLLBACK"),
        ("fork at the same size", served.size(), "FORK"),
        ("fork below", served.size() - 1, "FORK"),
    ];
    for (name, size, verdict) in cases {
        let case_state = fixture
            .workspace
            .path(&format!("state-{}", name.replace(' ', "-")));
        std::fs::create_dir_all(&case_state).expect("a state dir");
        let note = signer
            .sign(&Checkpoint::new(&origin, size, other_root).expect("body"))
            .expect("signed");
        std::fs::write(case_state.join("latest.note"), note).expect("kept");
        let out = watch(&fixture, &case_state, &key, &token_file);
        assert_eq!(out.code, Some(1), "{name}: {}\n{}", out.stdout, out.stderr);
        assert!(out.stderr.contains(verdict), "{name}: {}", out.stderr);
    }

    // Checkpoints under another key than the one the tenant holds.
    let stranger = CheckpointSigner::generate(SignatureAlgorithm::DEFAULT).expect("a key");
    let foreign = stranger.verifier_key(&origin).expect("a verifier key");
    let fresh = fixture.workspace.path("state-foreign");
    let out = watch(&fixture, &fresh, &foreign, &token_file);
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    assert!(out.stderr.contains("BAD SIGNATURE"), "{}", out.stderr);

    // Bad usage and an unreachable server are not verdicts.
    let unreachable = fixture.workspace.cli(&[
        "ledger",
        "watch",
        "--url",
        &format!("http://{}", common::free_loopback_port()),
        "--tenant",
        TENANT,
        "--key",
        &key,
        "--state",
        state.to_str().expect("utf-8"),
    ]);
    assert_eq!(unreachable.code, Some(3), "{}", unreachable.stderr);
    let wrong_tenant = fixture.workspace.cli(&[
        "ledger",
        "watch",
        "--url",
        "http://127.0.0.1:1",
        "--tenant",
        "southwind",
        "--key",
        &key,
        "--state",
        "s",
    ]);
    assert_eq!(wrong_tenant.code, Some(2), "{}", wrong_tenant.stderr);
}

#[test]
fn disposal_imports_and_rotations_are_entries_and_the_ledger_stays_valid() {
    let fixture = Fixture::new();
    fixture.read("clinician").expect_status(200);
    fixture
        .workspace
        .cli_ok(&["keys", "rotate", "--tenant", TENANT]);
    let disposed = fixture
        .server()
        .delete(
            &fixture
                .tenant
                .path(&format!("/subjects/{}", fixture.subject)),
        )
        .bearer(fixture.tenant.admin())
        .purpose("HSYSADMIN")
        .send();
    disposed.expect_status(200);

    let entries: Vec<Value> = fixture.entries().iter().map(|e| parsed(e)).collect();
    let has = |actor: &str, action: &str| {
        entries
            .iter()
            .any(|e| e["actor"] == actor && e["action"] == action)
    };
    assert!(has("phiguard-import", "import"));
    assert!(has("phiguard-key-rotation", "rotate_keys"));
    assert!(entries.iter().any(|e| e["action"] == "dispose_subject"
        && e["subject"] == fixture.subject.as_str()
        && e["request_id"] == disposed.request_id()));
    for system in entries.iter().filter(|e| {
        e["actor"]
            .as_str()
            .is_some_and(|a| a.starts_with("phiguard-"))
    }) {
        assert_eq!(system["actor_kind"], "system", "{system}");
    }

    let key = fixture.verifier_key();
    fixture.sign_checkpoint();
    let out = fixture.workspace.cli(&["ledger", "verify", "--key", &key]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);

    // The accounting of the disposed subject still lists the read, proven.
    let text = fixture.workspace.cli_ok(&[
        "disclosures",
        "--tenant",
        TENANT,
        "--subject",
        &fixture.subject,
    ]);
    assert!(
        text.contains("clinician (user)  read_record  purpose TREAT"),
        "{text}"
    );
    assert!(text.contains("proof ok"), "{text}");
    let fhir = fixture.workspace.cli_ok(&[
        "disclosures",
        "--tenant",
        TENANT,
        "--subject",
        &fixture.subject,
        "--format",
        "fhir",
    ]);
    let bundle: Value = serde_json::from_str(&fhir).expect("a FHIR bundle");
    assert_eq!(
        bundle["entry"][0]["resource"]["purposeOfEvent"][0]["coding"][0]["code"],
        "TREAT"
    );
    let hits = fixture
        .corpus
        .phi
        .find_in_text("disclosures", text.as_bytes());
    assert!(hits.is_empty(), "{hits:?}");

    let proof = fixture.workspace.cli_ok(&[
        "ledger",
        "proof",
        "consistency",
        "--tenant",
        TENANT,
        "--old",
        "1",
    ]);
    let proof: Value = serde_json::from_str(&proof).expect("JSON");
    assert_eq!(proof["old_size"], 1);
    let key_cli = fixture
        .workspace
        .cli_ok(&["ledger", "key", "--tenant", TENANT]);
    assert_eq!(key_cli.trim(), key);
}

/// One GET over a fresh connection, tolerating a server that dies mid-request: the status
/// and the request id, or `None`.
fn try_read(addr: SocketAddr, path: &str, token: &str) -> Option<(u16, String)> {
    let mut stream = TcpStream::connect(addr).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .ok()?;
    let head = format!(
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nAuthorization: Bearer \
         {token}\r\nX-Purpose-Of-Use: TREAT\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).ok()?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response).ok()?;
    let text = String::from_utf8_lossy(&response);
    let (head, _) = text.split_once("\r\n\r\n")?;
    let status = head.split(' ').nth(1)?.parse().ok()?;
    let id = head.lines().find_map(|line| {
        let (name, value) = line.split_once(':')?;
        name.eq_ignore_ascii_case("x-request-id")
            .then(|| value.trim().to_owned())
    })?;
    Some((status, id))
}

#[test]
fn a_crash_during_a_read_storm_loses_no_acknowledged_read_and_the_ledger_verifies() {
    let mut fixture = Fixture::new();
    let key = fixture.verifier_key();
    let acknowledged = Arc::new(Mutex::new(Vec::<String>::new()));
    let path = fixture.tenant.path(&format!("/records/{}", fixture.record));
    let token = fixture.tenant.token("clinician").to_owned();

    for _round in 0..3 {
        let server = fixture.server.take().expect("a server");
        let addr = server.addr();
        let stop = Arc::new(AtomicBool::new(false));
        let answered = Arc::new(AtomicUsize::new(0));
        let workers: Vec<_> = (0..4)
            .map(|_| {
                let (stop, answered, acknowledged) =
                    (stop.clone(), answered.clone(), acknowledged.clone());
                let (path, token) = (path.clone(), token.clone());
                std::thread::spawn(move || {
                    while !stop.load(Ordering::Relaxed) {
                        match try_read(addr, &path, &token) {
                            Some((200, id)) => {
                                acknowledged.lock().expect("lock").push(id);
                                answered.fetch_add(1, Ordering::Relaxed);
                            }
                            Some(_) => {}
                            None => std::thread::yield_now(),
                        }
                    }
                })
            })
            .collect();

        // Kill -9 once the storm is well under way: while requests are in flight.
        let mut waits = 0;
        while answered.load(Ordering::Relaxed) < 40 {
            waits += 1;
            assert!(waits < 24_000, "the read storm got no answers");
            std::thread::sleep(Duration::from_millis(5));
        }
        server.kill();
        stop.store(true, Ordering::Relaxed);
        for worker in workers {
            worker.join().expect("a worker");
        }
        fixture.server = Some(fixture.workspace.serve_with(&serve_options()));
    }
    fixture.restart();

    fixture.sign_checkpoint();
    let out = fixture.workspace.cli(&["ledger", "verify", "--key", &key]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let logged: std::collections::BTreeSet<String> = fixture
        .entries()
        .iter()
        .filter_map(|e| parsed(e)["request_id"].as_str().map(str::to_owned))
        .collect();
    let acknowledged = acknowledged.lock().expect("lock");
    assert!(acknowledged.len() >= 120);
    let missing: Vec<&String> = acknowledged
        .iter()
        .filter(|id| !logged.contains(*id))
        .collect();
    assert!(
        missing.is_empty(),
        "reads answered with PHI but not in the ledger: {missing:?}"
    );
}
