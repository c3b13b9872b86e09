//! The command's behaviour through its library entry point: exit statuses, formats, baselines,
//! `--changed-since`, and bad input that must be skipped and counted, never lost or fatal.

// The helpers below run only inside tests; a broken fixture must fail the test loudly.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::Command;

use clap::Parser;
use phiguard_scan::{ScanArgs, ScanError, execute};

#[derive(Debug, Parser)]
struct Cli {
    #[command(flatten)]
    scan: ScanArgs,
}

fn args(list: &[&str]) -> ScanArgs {
    let mut argv = vec!["phiguard-scan", "--no-progress"];
    argv.extend_from_slice(list);
    Cli::try_parse_from(argv).unwrap().scan
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, text).unwrap();
    path
}

fn out_file(dir: &Path, name: &str) -> String {
    dir.join(name).to_string_lossy().into_owned()
}

#[test]
fn exit_statuses_follow_fail_on() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "src/a.js", "console.log(patient.dob);\n");
    let root = dir.path().to_string_lossy().into_owned();
    let out = out_file(dir.path(), "report.txt");

    let outcome = execute(&args(&[&root, "-o", &out])).unwrap();
    assert_eq!(
        outcome.exit_status(),
        1,
        "a medium finding fails the default --fail-on medium"
    );

    let outcome = execute(&args(&[&root, "-o", &out, "--fail-on", "high"])).unwrap();
    assert_eq!(outcome.exit_status(), 0);
    let outcome = execute(&args(&[&root, "-o", &out, "--fail-on", "never"])).unwrap();
    assert_eq!(outcome.exit_status(), 0);

    let text = std::fs::read_to_string(&out).unwrap();
    assert!(text.contains("MEDIUM PHI-LOG-001 src/a.js:1:1"), "{text}");
    assert!(text.contains("45 CFR 164.312(b)"), "{text}");

    let clean = tempfile::tempdir().unwrap();
    write(clean.path(), "b.js", "console.log(cart.token);\n");
    let root = clean.path().to_string_lossy().into_owned();
    assert_eq!(
        execute(&args(&[&root, "-o", &out])).unwrap().exit_status(),
        0
    );
}

#[test]
fn usage_and_input_errors_exit_2() {
    let error = execute(&args(&["/definitely/not/here"])).unwrap_err();
    assert!(matches!(error, ScanError::MissingPath(_)));
    assert_eq!(error.exit_status(), 2);

    let dir = tempfile::tempdir().unwrap();
    let inventory = write(dir.path(), "inventory.toml", "[platform]\nname = 1\n");
    let root = dir.path().to_string_lossy().into_owned();
    let error = execute(&args(&[&root, "--inventory", &inventory.to_string_lossy()])).unwrap_err();
    assert_eq!(error.exit_status(), 2);
    assert!(error.to_string().contains("inventory.toml:2:"), "{error}");

    assert!(Cli::try_parse_from(["x", "--fail-on", "severe", "."]).is_err());
    assert!(Cli::try_parse_from(["x"]).is_err(), "a path is required");
}

#[test]
fn json_and_sarif_reports_are_well_formed() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "checkout/pixel.js",
        "fbq('track', 'Lead', { ssn: '078-05-1120', dob });\n",
    );
    let root = dir.path().to_string_lossy().into_owned();

    let json_out = out_file(dir.path(), "r.json");
    execute(&args(&[&root, "--format", "json", "-o", &json_out])).unwrap();
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json_out).unwrap()).unwrap();
    assert_eq!(json["version"], 1);
    let finding = &json["findings"][0];
    assert_eq!(finding["rule"], "PHI-TRACKER-001");
    assert_eq!(
        finding["severity"], "critical",
        "checkout paths make tracker findings critical"
    );
    assert_eq!(finding["recipient"], "Meta");
    assert!(
        !finding["excerpt"].as_str().unwrap().contains("078-05-1120"),
        "excerpts are masked"
    );

    let sarif_out = out_file(dir.path(), "r.sarif");
    execute(&args(&[&root, "--format", "sarif", "-o", &sarif_out])).unwrap();
    let sarif: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&sarif_out).unwrap()).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    let run = &sarif["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    assert_eq!(rules.len(), phiguard_scan::RuleId::ALL.len());
    let result = &run["results"][0];
    assert_eq!(result["ruleId"], "PHI-TRACKER-001");
    assert_eq!(result["level"], "error");
    let index = result["ruleIndex"].as_u64().unwrap() as usize;
    assert_eq!(rules[index]["id"], "PHI-TRACKER-001");
    assert!(
        rules[index]["properties"]["tags"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t == "45 CFR 164.502(e)")
    );
    let location = &result["locations"][0]["physicalLocation"];
    assert_eq!(location["artifactLocation"]["uri"], "checkout/pixel.js");
    assert_eq!(location["region"]["startLine"], 1);
    assert_eq!(
        result["partialFingerprints"]["phiguardFingerprint/v1"]
            .as_str()
            .unwrap()
            .len(),
        32
    );
}

#[test]
fn baselines_suppress_until_they_expire() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "src/a.js",
        "console.log(dob);\nconsole.log(ssn);\n",
    );
    let root = dir.path().to_string_lossy().into_owned();
    let out = out_file(dir.path(), "r.json");
    let skeleton = out_file(dir.path(), "baseline.toml");

    let first = execute(&args(&[&root, "-o", &out, "--write-baseline", &skeleton])).unwrap();
    assert_eq!(first.report.findings.len(), 2);

    let error = execute(&args(&[&root, "-o", &out, "--baseline", &skeleton])).unwrap_err();
    assert_eq!(
        error.exit_status(),
        2,
        "a skeleton without justifications does not load"
    );

    let fingerprint = &first.report.findings[0].fingerprint;
    let baseline = format!(
        "[[accepted]]\nfingerprint = \"{fingerprint}\"\nrule = \"PHI-LOG-001\"\n\
         path = \"src/a.js\"\n\
         justification = \"Debug logging removed in SHOP-1\"\nexpires = 2999-12-31\n\n\
         [[accepted]]\nfingerprint = \"{}\"\nrule = \"PHI-LOG-001\"\npath = \"src/a.js\"\n\
         justification = \"Expired acceptance\"\nexpires = 2000-01-01\n",
        first.report.findings[1].fingerprint
    );
    let baseline_path = write(dir.path(), "accepted.toml", &baseline);
    let outcome = execute(&args(&[
        &root,
        "-o",
        &out,
        "--baseline",
        &baseline_path.to_string_lossy(),
    ]))
    .unwrap();
    assert_eq!(outcome.report.findings.len(), 1);
    assert_eq!(
        outcome.report.findings[0].line, 2,
        "the expired entry suppresses nothing"
    );
    assert_eq!(outcome.report.summary.suppressed_by_baseline, 1);
    assert_eq!(outcome.report.summary.expired_baseline_entries.len(), 1);

    // A line inserted above keeps the fingerprint: baselines survive unrelated edits.
    write(
        dir.path(),
        "src/a.js",
        "// header\nconsole.log(dob);\nconsole.log(ssn);\n",
    );
    let outcome = execute(&args(&[
        &root,
        "-o",
        &out,
        "--baseline",
        &baseline_path.to_string_lossy(),
    ]))
    .unwrap();
    assert_eq!(outcome.report.findings.len(), 1);
    assert_eq!(outcome.report.findings[0].line, 3);
}

#[test]
fn changed_since_scans_only_changed_files() {
    let dir = tempfile::tempdir().unwrap();
    let git = |args: &[&str]| {
        let status = Command::new("git")
            .arg("-C")
            .arg(dir.path())
            .args(["-c", "user.name=t", "-c", "user.email=t@example.invalid"])
            .args(args)
            .output()
            .unwrap();
        assert!(
            status.status.success(),
            "{}",
            String::from_utf8_lossy(&status.stderr)
        );
    };
    git(&["init", "-q"]);
    write(dir.path(), "old.js", "console.log(dob);\n");
    git(&["add", "."]);
    git(&["commit", "-q", "-m", "first"]);
    write(dir.path(), "new.js", "console.log(ssn);\n");
    write(dir.path(), ".gitignore", "ignored.js\n");
    write(dir.path(), "ignored.js", "console.log(mrn);\n");

    let root = dir.path().to_string_lossy().into_owned();
    let out = out_file(dir.path(), "r.json");
    let outcome = execute(&args(&[&root, "-o", &out, "--changed-since", "HEAD"])).unwrap();
    let paths: Vec<String> = outcome
        .report
        .findings
        .iter()
        .map(|f| f.path.to_string_lossy().into_owned())
        .collect();
    assert_eq!(paths, ["new.js"]);
    assert_eq!(outcome.report.summary.files_unchanged, 1);

    let all = execute(&args(&[&root, "-o", &out])).unwrap();
    assert_eq!(all.report.findings.len(), 2, ".gitignore is honoured");

    let error = execute(&args(&[
        &root,
        "-o",
        &out,
        "--changed-since",
        "no-such-rev",
    ]))
    .unwrap_err();
    assert_eq!(error.exit_status(), 2);
}

#[test]
fn bad_input_is_skipped_and_counted() {
    let dir = tempfile::tempdir().unwrap();
    let root_path = dir.path();
    write(root_path, "good.js", "console.log(dob);\n");
    std::fs::write(
        root_path.join("binary.js"),
        b"\x7fELF\0\0\0console.log(dob)",
    )
    .unwrap();
    std::fs::write(
        root_path.join("latin1.js"),
        b"console.log('caf\xe9', dob);\n",
    )
    .unwrap();
    write(root_path, "huge.js", &"const a = 1;\n".repeat(50_000));
    write(root_path, "broken.tf", "resource \"x\" \"y\" {\n  a =\n}\n");
    write(root_path, "syntax.js", "const x = ;\nconsole.log(dob);\n");
    std::fs::create_dir_all(root_path.join("loop")).unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink(root_path, root_path.join("loop/back")).unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink(root_path.join("gone.js"), root_path.join("dangling.js")).unwrap();

    let root = root_path.to_string_lossy().into_owned();
    let out = out_file(root_path, "r.json");
    let outcome = execute(&args(&[&root, "-o", &out, "--max-file-size", "100000"])).unwrap();
    let summary = &outcome.report.summary;

    let reasons: Vec<(String, &str)> = summary
        .skipped
        .iter()
        .map(|s| (s.path.to_string_lossy().into_owned(), s.reason.label()))
        .collect();
    for (file, reason) in [
        ("binary.js", "binary"),
        ("latin1.js", "invalid UTF-8"),
        ("huge.js", "too large"),
        ("broken.tf", "syntax error"),
    ] {
        assert!(
            reasons.iter().any(|(p, r)| p == file && *r == reason),
            "{file}: {reasons:?}"
        );
    }
    #[cfg(unix)]
    assert!(
        reasons.iter().any(|(_, r)| *r == "symlink loop"),
        "{reasons:?}"
    );
    #[cfg(unix)]
    assert!(
        reasons
            .iter()
            .any(|(p, r)| p.ends_with("dangling.js") && *r == "unreadable"),
        "{reasons:?}"
    );

    assert_eq!(
        summary.files_with_syntax_errors,
        [PathBuf::from("syntax.js")]
    );
    let found: Vec<String> = outcome
        .report
        .findings
        .iter()
        .map(|f| f.path.to_string_lossy().into_owned())
        .collect();
    assert!(found.contains(&"good.js".to_owned()));
    assert!(
        found.contains(&"syntax.js".to_owned()),
        "what parsed is still analysed"
    );

    let text = phiguard_scan::render(&outcome.report, phiguard_scan::Format::Text);
    assert!(text.contains("Skipped"), "{text}");
}

#[cfg(unix)]
#[test]
fn unreadable_files_are_skipped() {
    use std::os::unix::fs::PermissionsExt;

    let dir = tempfile::tempdir().unwrap();
    let secret = write(dir.path(), "secret.js", "console.log(dob);\n");
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o000)).unwrap();
    if std::fs::read(&secret).is_ok() {
        // Running as root: permissions do not stop reads, so there is nothing to observe.
        return;
    }
    let root = dir.path().to_string_lossy().into_owned();
    let out = out_file(dir.path(), "r.json");
    let outcome = execute(&args(&[&root, "-o", &out])).unwrap();
    assert_eq!(
        outcome.report.summary.skipped[0].reason.label(),
        "unreadable"
    );
}
