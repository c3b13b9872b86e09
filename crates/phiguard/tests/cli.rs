//! The command line as a user meets it: imports that stop cleanly on a bad file, a root key
//! that others can read, the one-time bootstrap token, and refusing plain HTTP on a network
//! address.

mod common;

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use common::fixtures::Corpus;
use common::setup::{Tenant, token_in};
use common::{ServeOptions, Workspace, free_loopback_port, run_with_timeout};
use serde_json::json;

const TENANT: &str = "northwind";

/// The tenant's (subjects, disposed, records) columns of `phiguard status`.
fn holdings(workspace: &Workspace) -> (u64, u64, u64) {
    let status = workspace.cli_ok(&["status"]);
    let line = status
        .lines()
        .find(|line| line.split_whitespace().next() == Some(TENANT))
        .unwrap_or_else(|| panic!("no line for {TENANT} in:\n{status}"));
    let columns: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .take(3)
        .map(|c| c.parse().expect("a count"))
        .collect();
    (columns[0], columns[1], columns[2])
}

#[test]
fn one_malformed_bundle_stops_the_whole_import_and_names_the_file() {
    let workspace = Workspace::new();
    Tenant::create(&workspace, TENANT);
    let corpus = Corpus::small(909);
    let dir = workspace.path("bundles");
    std::fs::create_dir(&dir).expect("a bundle directory");
    let good_1 = dir.join("a-good.json");
    let bad = dir.join("b-broken-bundle.json");
    let good_2 = dir.join("c-good.json");
    std::fs::write(&good_1, corpus.bundles[0].to_bytes()).expect("a bundle");
    let bytes = corpus.bundles[1].to_bytes();
    std::fs::write(&bad, &bytes[..bytes.len() * 2 / 3]).expect("a truncated bundle");
    std::fs::write(&good_2, corpus.bundles[1].to_bytes()).expect("a bundle");
    let path = |p: &std::path::Path| p.to_str().expect("a UTF-8 path").to_owned();
    let before = holdings(&workspace);

    let import = workspace.cli(&[
        "import",
        "--tenant",
        TENANT,
        "--format",
        "fhir-bundle",
        &path(&good_1),
        &path(&bad),
        &path(&good_2),
    ]);
    assert_eq!(
        import.code,
        Some(2),
        "exit 2 for bad input: {}",
        import.stderr
    );
    assert!(
        import.stderr.contains("b-broken-bundle.json"),
        "the message names the file: {}",
        import.stderr
    );
    assert!(
        import.stderr.contains("nothing was imported"),
        "the message says nothing was stored: {}",
        import.stderr
    );
    let echoed = corpus
        .phi
        .find_in_text("import stderr", import.stderr.as_bytes());
    assert!(echoed.is_empty(), "the error echoes PHI: {echoed:?}");
    assert_eq!(
        holdings(&workspace),
        before,
        "nothing of the good files was stored"
    );

    // The good files alone import, which is what makes the unchanged counts meaningful.
    let import = workspace.cli(&[
        "import",
        "--tenant",
        TENANT,
        "--format",
        "fhir-bundle",
        &path(&good_1),
        &path(&good_2),
    ]);
    assert_eq!(import.code, Some(0), "{}", import.stderr);
    assert!(
        import.stdout.contains("imported 2 file(s)"),
        "{}",
        import.stdout
    );
    let (subjects, disposed, records) = holdings(&workspace);
    assert_eq!((subjects, disposed), (before.0 + 2, before.1));
    assert!(
        records > before.2 + 2,
        "each patient brings several records"
    );

    // A path that cannot be read is an input error too.
    let missing = workspace.cli(&[
        "import",
        "--tenant",
        TENANT,
        "--format",
        "fhir-bundle",
        &path(&dir.join("no-such-file.json")),
    ]);
    assert_eq!(missing.code, Some(2), "{}", missing.stderr);
    assert!(
        missing.stderr.contains("no-such-file.json"),
        "{}",
        missing.stderr
    );

    // So is a directory given where files are expected: the shell expands `dir/*.json`.
    let directory = workspace.cli(&[
        "import",
        "--tenant",
        TENANT,
        "--format",
        "fhir-bundle",
        &path(&dir),
    ]);
    assert_eq!(directory.code, Some(2), "{}", directory.stderr);
    assert!(directory.stderr.contains("bundles"), "{}", directory.stderr);
    assert_eq!(holdings(&workspace), (subjects, disposed, records));
}

#[test]
fn serve_refuses_a_root_key_that_others_can_read() {
    let workspace = Workspace::new();
    workspace.cli_ok(&["tenants", "list"]);
    let key = workspace.data_dir().join("root.key");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key)
            .expect("the key")
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(
            mode, 0o600,
            "the root key is created readable by its owner only"
        );
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644))
            .expect("loosening the key's mode");
    }

    let addr = free_loopback_port();
    let refused = run_with_timeout(
        workspace
            .command()
            .args(["serve", "--listen", &addr.to_string()]),
        Duration::from_secs(30),
    );
    assert_eq!(refused.code, Some(2), "exit 2: {}", refused.stderr);
    assert!(
        refused.stderr.contains(key.to_str().expect("a UTF-8 path")),
        "the message names the file: {}",
        refused.stderr
    );
    assert!(
        refused.stderr.contains("chmod 600"),
        "the message says how to fix it: {}",
        refused.stderr
    );
}

#[test]
fn the_bootstrap_token_is_printed_on_the_first_start_only() {
    let workspace = Workspace::new();
    let first = workspace.serve();
    let announcement = first.stdout();
    assert!(
        announcement.contains("bootstrap-admin"),
        "the first start announces the administrator:\n{announcement}"
    );
    let token = token_in(&announcement);
    assert!(
        !first.log().contains(&token),
        "the token goes to standard output, never into the log"
    );

    // The token is real: it creates a tenant.
    first
        .post("/v1/tenants")
        .bearer(&token)
        .purpose("HSYSADMIN")
        .json(&json!({"id": "acme", "name": "Acme Pharmacy"}))
        .send()
        .expect_status(201);
    first.stop();

    let second = workspace.serve();
    let quiet = second.stdout();
    assert!(
        !quiet.contains("phg_") && !quiet.contains("bootstrap"),
        "a second start prints no token:\n{quiet}"
    );
    drop(second);
    let status = workspace.cli_ok(&["status"]);
    assert!(
        !status.contains("phg_"),
        "nor does any later command:\n{status}"
    );
}

#[test]
fn serve_refuses_plain_http_on_a_network_address_unless_overridden() {
    let workspace = Workspace::new();
    workspace.cli_ok(&["tenants", "list"]);
    let port = free_loopback_port().port();

    let refused = run_with_timeout(
        workspace
            .command()
            .args(["serve", "--listen", &format!("0.0.0.0:{port}")]),
        Duration::from_secs(30),
    );
    assert_eq!(refused.code, Some(2), "exit 2: {}", refused.stderr);
    assert!(
        refused.stderr.contains("without TLS") && refused.stderr.contains("0.0.0.0"),
        "the message says why: {}",
        refused.stderr
    );

    let server = workspace.serve_with(&ServeOptions {
        env: vec![(
            "PHIGUARD_SERVER__INSECURE_PLAINTEXT_ON_NETWORK".into(),
            "true".into(),
        )],
        listen_ip: Some(IpAddr::V4(Ipv4Addr::UNSPECIFIED)),
        ..ServeOptions::default()
    });
    server.get("/healthz").send().expect_status(200);
    let log = server.log();
    let warning = log
        .lines()
        .find(|line| line.contains("PLAIN HTTP"))
        .unwrap_or_else(|| panic!("no warning in the log:\n{log}"));
    assert!(warning.contains("WARN"), "logged as a warning: {warning}");
}

#[test]
fn read_only_commands_never_create_a_vault_where_there_is_none() {
    let workspace = Workspace::new();
    for args in [
        &["status"][..],
        &["audit", "--tenant", TENANT],
        &["policies", "global"],
        &[
            "disclosures",
            "--tenant",
            TENANT,
            "--subject",
            "sub_aaaaaaaaaaaaaaaaaaaaaaaaaa",
        ],
        &["ledger", "checkpoint", "--tenant", TENANT],
    ] {
        let out = workspace.cli(args);
        assert_eq!(out.code, Some(2), "{args:?} exits 2: {}", out.stderr);
        assert!(
            out.stderr.contains("no phiguard data directory"),
            "{args:?} says why: {}",
            out.stderr
        );
        assert!(
            !out.stdout.contains("phg_"),
            "{args:?} printed a credential"
        );
        assert!(
            !workspace.data_dir().exists(),
            "{args:?} created a data directory"
        );
    }
}
