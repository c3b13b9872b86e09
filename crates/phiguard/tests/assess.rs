//! `phiguard assess` as a user runs it: evidence from a real data directory and a real scan,
//! every report format, exit codes for CI gating, bad input that leaves nothing behind, and no
//! PHI of the vault in any report.

mod common;

use std::path::{Path, PathBuf};

use common::fixtures::Corpus;
use common::setup::Tenant;
use common::{CliOutput, Workspace};
use serde_json::Value;

const TENANT: &str = "northwind-rx";

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn example(name: &str) -> String {
    let path = workspace_root()
        .join("crates/phiguard-inventory/examples")
        .join(name);
    path.to_str().expect("a UTF-8 path").to_owned()
}

fn text(path: &Path) -> String {
    path.to_str().expect("a UTF-8 path").to_owned()
}

/// A data directory holding one tenant with imported patients and a signed checkpoint, and a
/// scan report of the scanner's labelled corpus.
fn populated(workspace: &Workspace) -> (Corpus, PathBuf) {
    Tenant::create(workspace, TENANT);
    let corpus = Corpus::small(5150);
    let bundle = workspace.path("bundle.json");
    std::fs::write(&bundle, corpus.bundles[0].to_bytes()).expect("a bundle");
    workspace.cli_ok(&[
        "import",
        "--tenant",
        TENANT,
        "--format",
        "fhir-bundle",
        &text(&bundle),
    ]);
    for tenant in [TENANT, "platform"] {
        workspace.cli_ok(&["ledger", "checkpoint", "--tenant", tenant]);
    }

    let scan = workspace.path("scan.json");
    let corpus_root = workspace_root().join("crates/phiguard-scan/tests/corpus/plain");
    let scanned = workspace.cli(&[
        "scan",
        &text(&corpus_root),
        "--inventory",
        &example("shopify-plus-pharmacy.toml"),
        "--format",
        "json",
        "--output",
        &text(&scan),
    ]);
    assert_eq!(
        scanned.code,
        Some(1),
        "the corpus has findings: {}",
        scanned.stderr
    );
    (corpus, scan)
}

/// `phiguard assess` on the example inventory, with the workspace's data directory.
fn assess(workspace: &Workspace, extra: &[&str]) -> CliOutput {
    let mut args = vec!["assess", "--inventory"];
    let inventory = example("shopify-plus-pharmacy.toml");
    args.push(&inventory);
    args.extend_from_slice(extra);
    workspace.cli(&args)
}

/// `phiguard` in the workspace without a data directory: no vault evidence.
fn bare(workspace: &Workspace, args: &[&str]) -> CliOutput {
    let mut command = std::process::Command::new(common::BIN);
    command.current_dir(workspace.root()).args(args);
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("PHIGUARD_") {
            command.env_remove(name);
        }
    }
    common::run(&mut command)
}

/// `phiguard assess` on the example inventory without vault evidence.
fn assess_bare(workspace: &Workspace, extra: &[&str]) -> CliOutput {
    let inventory = example("shopify-plus-pharmacy.toml");
    let mut args = vec!["assess", "--inventory", &inventory];
    args.extend_from_slice(extra);
    bare(workspace, &args)
}

#[test]
fn a_real_vault_and_scan_give_every_format_and_gate_ci() {
    let workspace = Workspace::new();
    let (corpus, scan) = populated(&workspace);
    let scan = text(&scan);

    let json = workspace.path("report.json");
    let run = assess(
        &workspace,
        &["--scan", &scan, "--out", &text(&json), "--format", "json"],
    );
    assert_eq!(
        run.code,
        Some(1),
        "required specifications are not met: {}",
        run.stderr
    );
    assert!(run.stdout.contains("required not met: "), "{}", run.stdout);

    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(&json).expect("the report")).expect("JSON");
    let sources = report["sources"].as_array().expect("sources");
    assert!(sources.iter().all(|s| s["used"] == true), "{sources:?}");

    // The vault's own evidence: encryption and a ledger that verifies.
    let check = |id: &str| {
        report["controls"]
            .as_array()
            .expect("controls")
            .iter()
            .flat_map(|c| c["checks"].as_array().expect("checks"))
            .find(|c| c["check"] == id)
            .unwrap_or_else(|| panic!("no {id} check"))
            .clone()
    };
    assert_eq!(check("vault.encryption")["status"], "met");
    assert_eq!(
        check("vault.integrity")["status"],
        "met",
        "{}",
        check("vault.integrity")
    );
    assert_eq!(check("scan.browser-storage")["status"], "not_met");
    // No phiguard.toml and no environment: whether `serve` uses TLS is unknown, not "no".
    assert_eq!(check("vault.transmission")["status"], "not_assessed");

    for (format, name) in [
        ("html", "report.html"),
        ("md", "report.md"),
        ("oscal", "ar.json"),
    ] {
        let out = workspace.path(name);
        let run = assess(
            &workspace,
            &["--scan", &scan, "--out", &text(&out), "--format", format],
        );
        assert_eq!(run.code, Some(1), "{format}: {}", run.stderr);
        assert!(out.is_file(), "{format} was not written");
    }
    assert!(
        workspace.path("ar.poam.json").is_file(),
        "the POA&M goes beside the results"
    );

    // Nothing the vault holds about patients reaches a report. Coded values such as `active`
    // or `submitted` are plain English words the catalog's prose uses too; names, identifiers,
    // dates and addresses are what must never appear.
    let mut phi = corpus.phi;
    let vocabulary: Vec<String> = phi
        .strings()
        .iter()
        .filter(|s| {
            s.chars()
                .all(|c| c.is_ascii_lowercase() || c == ' ' || c == '-')
        })
        .cloned()
        .collect();
    for word in &vocabulary {
        phi.forget(word);
    }
    assert!(phi.len() > 10, "too few PHI strings left to look for");
    for name in [
        "report.json",
        "report.html",
        "report.md",
        "ar.json",
        "ar.poam.json",
    ] {
        let bytes = std::fs::read(workspace.path(name)).expect("a report");
        let hits = phi.find_in_text(name, &bytes);
        assert!(hits.is_empty(), "{name} holds PHI: {hits:?}");
    }

    let never = assess(
        &workspace,
        &[
            "--out",
            &text(&json),
            "--format",
            "json",
            "--fail-on",
            "never",
        ],
    );
    assert_eq!(never.code, Some(0), "{}", never.stderr);
}

#[test]
fn a_previous_report_is_compared() {
    let workspace = Workspace::new();
    let first = workspace.path("first.json");
    let run = assess_bare(
        &workspace,
        &[
            "--out",
            &text(&first),
            "--format",
            "json",
            "--as-of",
            "2026-09-01",
        ],
    );
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    assert!(
        run.stdout.contains("Evidence E4: missing"),
        "{}",
        run.stdout
    );

    let second = workspace.path("second.md");
    let run = assess_bare(
        &workspace,
        &[
            "--out",
            &text(&second),
            "--format",
            "md",
            "--previous",
            &text(&first),
            "--as-of",
            "2026-11-30",
        ],
    );
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    let markdown = std::fs::read_to_string(&second).expect("the report");
    assert!(
        markdown.contains("## Changes since 2026-09-01"),
        "{markdown}"
    );
    assert!(
        markdown.contains("Tier 4 (wilful neglect, not corrected)"),
        "gaps open 90 days"
    );
}

#[test]
fn bad_input_exits_2_names_the_problem_and_writes_nothing() {
    let workspace = Workspace::new();
    let out = workspace.path("report.html");

    let inventory = workspace.path("inventory.toml");
    let original = std::fs::read_to_string(example("shopify-plus-pharmacy.toml")).expect("text");
    std::fs::write(
        &inventory,
        original.replacen("handles_phi = true", "handles_phii = true", 1),
    )
    .expect("an inventory");
    let run = bare(
        &workspace,
        &[
            "assess",
            "--inventory",
            &text(&inventory),
            "--out",
            &text(&out),
        ],
    );
    assert_eq!(run.code, Some(2));
    assert!(run.stderr.contains("inventory.toml:"), "{}", run.stderr);
    assert!(
        run.stderr.contains("systems.handles_phii"),
        "{}",
        run.stderr
    );

    std::fs::write(
        &inventory,
        original.replacen("164.308(a)(1)(ii)(C)", "164.308(a)(1)(ii)(Q)", 1),
    )
    .expect("an inventory");
    let run = bare(
        &workspace,
        &[
            "assess",
            "--inventory",
            &text(&inventory),
            "--out",
            &text(&out),
        ],
    );
    assert_eq!(run.code, Some(2));
    assert!(
        run.stderr.contains("attestations.control"),
        "{}",
        run.stderr
    );

    let scan = workspace.path("scan.json");
    std::fs::write(
        &scan,
        r#"{"version": 9, "tool": "phiguard scan", "findings": []}"#,
    )
    .expect("a scan report");
    let run = assess_bare(&workspace, &["--scan", &text(&scan), "--out", &text(&out)]);
    assert_eq!(run.code, Some(2));
    assert!(run.stderr.contains("format version 9"), "{}", run.stderr);

    let run = assess_bare(&workspace, &["--out", &text(&out), "--as-of", "2999-01-01"]);
    assert_eq!(run.code, Some(2));
    assert!(run.stderr.contains("in the future"), "{}", run.stderr);

    let missing = workspace.path("no-such-dir");
    let run = bare(
        &workspace,
        &[
            "--data-dir",
            &text(&missing),
            "assess",
            "--inventory",
            &example("shopify-plus-pharmacy.toml"),
            "--out",
            &text(&out),
        ],
    );
    assert_eq!(run.code, Some(2), "{}", run.stderr);
    assert!(!missing.exists(), "assess must not create a vault");

    let run = assess_bare(
        &workspace,
        &["--out", &text(&workspace.path("nowhere/report.html"))],
    );
    assert_eq!(run.code, Some(2), "{}", run.stderr);

    assert!(!out.exists(), "a failed run wrote a report");
    let leftovers: Vec<_> = std::fs::read_dir(workspace.root())
        .expect("the workspace")
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().starts_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
}

#[test]
fn a_vault_over_http_answers_with_its_posture_and_refuses_a_bad_credential() {
    let workspace = Workspace::new();
    let tenant = Tenant::create(&workspace, TENANT);
    let server = workspace.serve();
    let url = format!("http://{}", server.addr());

    let token_file = workspace.path("admin.token");
    std::fs::write(&token_file, tenant.admin()).expect("a token file");
    let out = workspace.path("report.json");
    let run = assess_bare(
        &workspace,
        &[
            "--vault",
            &url,
            "--token-file",
            &text(&token_file),
            "--out",
            &text(&out),
            "--format",
            "json",
        ],
    );
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(&out).expect("the report")).expect("JSON");
    let vault = report["sources"]
        .as_array()
        .expect("sources")
        .iter()
        .find(|s| s["kind"] == "vault")
        .expect("a vault source")
        .clone();
    assert_eq!(vault["used"], true, "{vault}");
    assert!(
        vault["description"]
            .as_str()
            .expect("text")
            .contains("/v1/posture"),
        "{vault}"
    );
    assert!(
        !run.stderr.contains(tenant.admin()),
        "the credential leaked into stderr"
    );

    // A tenant admin sees its own tenant only.
    let text_report = std::fs::read_to_string(&out).expect("the report");
    assert!(text_report.contains(&format!("tenant `{TENANT}`")));
    assert!(
        !text_report.contains("tenant `platform`"),
        "a tenant admin saw the platform"
    );

    std::fs::write(&token_file, "pg_not-a-real-token").expect("a token file");
    std::fs::remove_file(&out).expect("remove the report");
    let run = assess_bare(
        &workspace,
        &[
            "--vault",
            &url,
            "--token-file",
            &text(&token_file),
            "--out",
            &text(&out),
        ],
    );
    assert_eq!(run.code, Some(2), "{}", run.stderr);
    assert!(run.stderr.contains("401"), "{}", run.stderr);
    assert!(
        !run.stderr.contains("pg_not-a-real-token"),
        "{}",
        run.stderr
    );
    assert!(!out.exists());
}

#[test]
fn outputs_never_overwrite_inputs_or_each_other_and_oscal_is_all_or_nothing() {
    let workspace = Workspace::new();
    let inventory = workspace.path("inventory.toml");
    std::fs::copy(example("shopify-plus-pharmacy.toml"), &inventory).expect("a copy");
    let before = std::fs::read(&inventory).expect("the inventory");

    let run = bare(
        &workspace,
        &[
            "assess",
            "--inventory",
            &text(&inventory),
            "--out",
            &text(&inventory),
        ],
    );
    assert_eq!(run.code, Some(2), "{}", run.stderr);
    assert!(
        run.stderr.contains("is one of assess's inputs"),
        "{}",
        run.stderr
    );
    assert_eq!(std::fs::read(&inventory).expect("the inventory"), before);

    let out = workspace.path("plan.html");
    let run = bare(
        &workspace,
        &[
            "assess",
            "--inventory",
            &text(&inventory),
            "--out",
            &text(&out),
            "--dot",
            &text(&out),
        ],
    );
    assert_eq!(run.code, Some(2), "{}", run.stderr);

    // The POA&M's place is taken by a directory: nothing of the OSCAL pair may be written.
    let results = workspace.path("ar.json");
    std::fs::create_dir(workspace.path("ar.poam.json")).expect("a directory");
    let run = bare(
        &workspace,
        &[
            "assess",
            "--inventory",
            &text(&inventory),
            "--out",
            &text(&results),
            "--format",
            "oscal",
        ],
    );
    assert_eq!(run.code, Some(2), "{}", run.stderr);
    assert!(!results.exists(), "half of the OSCAL pair was written");

    // Without --format, the extension decides.
    let json = workspace.path("plan.json");
    let run = bare(
        &workspace,
        &[
            "assess",
            "--inventory",
            &text(&inventory),
            "--out",
            &text(&json),
        ],
    );
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    let written = std::fs::read_to_string(&json).expect("the report");
    assert!(written.starts_with('{'), "plan.json is not JSON");

    let run = bare(
        &workspace,
        &[
            "assess",
            "--inventory",
            &text(&inventory),
            "--out",
            &text(&out),
            "--capacity",
            "0.001",
        ],
    );
    assert_eq!(run.code, Some(2), "{}", run.stderr);
}

#[test]
fn the_token_variable_works_and_other_tenants_stay_out_of_the_report() {
    let workspace = Workspace::new();
    let northwind = Tenant::create(&workspace, TENANT);
    let southwind = Tenant::create(&workspace, "southwind");
    let server = workspace.serve();
    let url = format!("http://{}", server.addr());
    let out = workspace.path("report.json");

    // PHIGUARD_TOKEN carries the credential; it is not taken for a setting.
    let mut command = std::process::Command::new(common::BIN);
    command
        .current_dir(workspace.root())
        .env("PHIGUARD_TOKEN", northwind.admin())
        .args([
            "assess",
            "--inventory",
            &example("shopify-plus-pharmacy.toml"),
        ])
        .args(["--vault", &url, "--out", &text(&out)]);
    let run = common::run(&mut command);
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    assert!(out.is_file());

    // Southwind's administrator cannot stand in for Northwind's platform.
    let token = workspace.path("southwind.token");
    std::fs::write(&token, southwind.admin()).expect("a token file");
    let run = assess_bare(
        &workspace,
        &[
            "--vault",
            &url,
            "--token-file",
            &text(&token),
            "--out",
            &text(&workspace.path("x.json")),
        ],
    );
    assert_eq!(run.code, Some(2), "{}", run.stderr);
    assert!(
        run.stderr
            .contains("covers none of the inventory's tenants"),
        "{}",
        run.stderr
    );

    // A data directory read sees every tenant; the report keeps only the platform's own.
    drop(server);
    let run = assess(&workspace, &["--out", &text(&out), "--format", "json"]);
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    let report = std::fs::read_to_string(&out).expect("the report");
    assert!(
        !report.contains("southwind"),
        "another tenant reached the report"
    );
    assert!(report.contains("tenants outside this platform left out"));

    let run = assess_bare(
        &workspace,
        &[
            "--vault",
            "http://user:pw@127.0.0.1:1",
            "--out",
            &text(&out),
        ],
    );
    assert_eq!(run.code, Some(2), "{}", run.stderr);
}

#[test]
fn a_later_or_foreign_previous_report_is_refused() {
    let workspace = Workspace::new();
    let first = workspace.path("first.json");
    let run = assess_bare(
        &workspace,
        &["--out", &text(&first), "--as-of", "2026-11-01"],
    );
    assert_eq!(run.code, Some(1), "{}", run.stderr);

    let out = workspace.path("second.json");
    let run = assess_bare(
        &workspace,
        &[
            "--out",
            &text(&out),
            "--previous",
            &text(&first),
            "--as-of",
            "2026-10-01",
        ],
    );
    assert_eq!(run.code, Some(2), "{}", run.stderr);
    let run = assess_bare(
        &workspace,
        &[
            "--out",
            &text(&out),
            "--previous",
            &text(&first),
            "--regime",
            "nprm-2025",
        ],
    );
    assert_eq!(run.code, Some(2), "{}", run.stderr);
    assert!(!out.exists());
}

#[test]
fn reports_stay_out_of_the_data_directory_and_off_every_input() {
    let workspace = Workspace::new();
    Tenant::create(&workspace, TENANT);
    Tenant::create(&workspace, "southwind");
    let root_key = workspace.data_dir().join("root.key");
    let key = std::fs::read(&root_key).expect("the root key");

    let run = assess(&workspace, &["--out", &text(&root_key), "--format", "json"]);
    assert_eq!(run.code, Some(2), "{}", run.stderr);
    assert!(
        run.stderr.contains("inside the vault's data directory"),
        "{}",
        run.stderr
    );
    assert_eq!(
        std::fs::read(&root_key).expect("the root key"),
        key,
        "the root key changed"
    );

    // An inventory that names no tenants may not pull several tenants into one report.
    let inventory = workspace.path("no-tenants.toml");
    let original = std::fs::read_to_string(example("shopify-plus-pharmacy.toml")).expect("text");
    std::fs::write(
        &inventory,
        original.replacen("tenants = [\"northwind-rx\"]\n", "", 1),
    )
    .expect("an inventory");
    let run = workspace.cli(&[
        "assess",
        "--inventory",
        &text(&inventory),
        "--out",
        &text(&workspace.path("r.json")),
    ]);
    assert_eq!(run.code, Some(2), "{}", run.stderr);
    assert!(run.stderr.contains("platform.tenants"), "{}", run.stderr);

    // The previous report and the credential are inputs too.
    let previous = workspace.path("previous.json");
    let run = assess_bare(
        &workspace,
        &["--out", &text(&previous), "--as-of", "2026-11-01"],
    );
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    let before = std::fs::read(&previous).expect("the previous report");
    let run = assess_bare(
        &workspace,
        &["--out", &text(&previous), "--previous", &text(&previous)],
    );
    assert_eq!(run.code, Some(2), "{}", run.stderr);
    assert_eq!(
        std::fs::read(&previous).expect("the previous report"),
        before
    );

    // A previous report of another platform is not this platform's history.
    let magento = workspace.path("magento.json");
    let run = bare(
        &workspace,
        &[
            "assess",
            "--inventory",
            &example("magento-medical-supply.toml"),
            "--out",
            &text(&magento),
            "--as-of",
            "2026-10-01",
        ],
    );
    assert!(run.code == Some(0) || run.code == Some(1), "{}", run.stderr);
    let run = assess_bare(
        &workspace,
        &[
            "--out",
            &text(&workspace.path("x.json")),
            "--previous",
            &text(&magento),
        ],
    );
    assert_eq!(run.code, Some(2), "{}", run.stderr);
    assert!(run.stderr.contains("another platform"), "{}", run.stderr);
}
