//! The labelled corpus: every file's findings must match its `expect:` annotations exactly.

// The helpers below run only inside tests; a broken corpus must fail the test loudly.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use phiguard_inventory::Inventory;
use phiguard_scan::{RuleId, ScanOptions, ScanReport, Severity, SkipReason, scan};

/// One expected or actual finding: path, line, rule, and the severity when the annotation
/// names one.
type Key = (String, usize, String);

fn corpus(part: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/corpus")
        .join(part)
}

/// Reads `expect: RULE[@severity], RULE…` annotations from every scannable file under `root`.
fn expectations(root: &Path) -> (Vec<Key>, Vec<Key>) {
    let mut plain = Vec::new();
    let mut with_severity = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let Ok(text) = std::fs::read_to_string(&path) else {
                continue;
            };
            let relative = path
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            for (index, line) in text.lines().enumerate() {
                let Some((_, annotation)) = line.split_once("expect: ") else {
                    continue;
                };
                let annotation = annotation.trim_end_matches("-->").trim_end_matches("*/");
                for item in annotation.split(',') {
                    let item = item.trim();
                    let (rule, severity) = match item.split_once('@') {
                        Some((rule, severity)) => (rule, Some(severity)),
                        None => (item, None),
                    };
                    let rule: RuleId = rule.parse().unwrap_or_else(|_| {
                        panic!(
                            "{relative}:{}: unknown rule in annotation `{item}`",
                            index + 1
                        )
                    });
                    plain.push((relative.clone(), index + 1, rule.to_string()));
                    if let Some(severity) = severity {
                        let severity: Severity = severity.parse().unwrap();
                        with_severity.push((
                            relative.clone(),
                            index + 1,
                            format!("{rule}@{severity}"),
                        ));
                    }
                }
            }
        }
    }
    plain.sort();
    with_severity.sort();
    (plain, with_severity)
}

fn assert_exact(report: &ScanReport, root: &Path) {
    let (expected, expected_severities) = expectations(root);
    let mut actual: Vec<Key> = report
        .findings
        .iter()
        .map(|f| {
            (
                f.path.to_string_lossy().replace('\\', "/"),
                f.line,
                f.rule.to_string(),
            )
        })
        .collect();
    actual.sort();

    let missing: Vec<&Key> = diff(&expected, &actual);
    let extra: Vec<&Key> = diff(&actual, &expected);
    let extra_details: Vec<String> = report
        .findings
        .iter()
        .filter(|f| {
            extra.iter().any(|(p, l, r)| {
                *p == f.path.to_string_lossy() && *l == f.line && *r == f.rule.as_str()
            })
        })
        .map(|f| {
            format!(
                "{}:{} {} {} {:?}",
                f.path.display(),
                f.line,
                f.rule,
                f.message,
                f.evidence
            )
        })
        .collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "corpus mismatch under {}\nmissing: {missing:#?}\nextra: {extra_details:#?}",
        root.display()
    );

    for (path, line, rule_at_severity) in expected_severities {
        let (rule, severity) = rule_at_severity.split_once('@').unwrap();
        let found = report.findings.iter().find(|f| {
            f.path.to_string_lossy() == path && f.line == line && f.rule.as_str() == rule
        });
        assert_eq!(
            found.map(|f| f.severity.as_str()),
            Some(severity),
            "{path}:{line} {rule} should be {severity}"
        );
    }
}

/// Elements of `a` not matched one-for-one in `b` (multiset difference).
fn diff<'a>(a: &'a [Key], b: &[Key]) -> Vec<&'a Key> {
    let mut remaining: Vec<&Key> = b.iter().collect();
    let mut out = Vec::new();
    for key in a {
        match remaining.iter().position(|k| *k == key) {
            Some(i) => {
                remaining.swap_remove(i);
            }
            None => out.push(key),
        }
    }
    out
}

#[test]
fn plain_corpus_findings_are_exact() {
    let root = corpus("plain");
    let mut options = ScanOptions::new(vec![root.clone()]);
    options.progress = false;
    let report = scan(&options).unwrap();
    assert_exact(&report, &root);

    let skipped: BTreeSet<(String, &str)> = report
        .summary
        .skipped
        .iter()
        .map(|s| (s.path.to_string_lossy().into_owned(), s.reason.label()))
        .collect();
    let expected: BTreeSet<(String, &str)> = [
        ("k8s/helm-deployment.yaml".to_owned(), "syntax error"),
        ("terraform/broken.tf".to_owned(), "syntax error"),
    ]
    .into_iter()
    .collect();
    assert_eq!(skipped, expected);
    assert!(
        report
            .summary
            .skipped
            .iter()
            .all(|s| matches!(s.reason, SkipReason::SyntaxError { line: Some(_) }))
    );
}

#[test]
fn inventory_corpus_findings_are_exact() {
    let root = corpus("inventory");
    let inventory = Inventory::from_path(&root.join("platform.toml")).unwrap();
    let mut options = ScanOptions::new(vec![root.clone()]);
    options.inventory = Some(inventory);
    options.progress = false;
    let report = scan(&options).unwrap();
    assert_exact(&report, &root);

    // Segment (BAA signed) and the fragments cache (no PHI) were suppressed, not lost.
    assert_eq!(report.summary.suppressed_by_inventory, 3);
}

#[test]
fn every_rule_is_exercised_by_the_corpus() {
    let (plain, _) = expectations(&corpus("plain"));
    let (with_inventory, _) = expectations(&corpus("inventory"));
    let seen: BTreeSet<&str> = plain
        .iter()
        .chain(&with_inventory)
        .map(|(_, _, rule)| rule.as_str())
        .collect();
    for rule in RuleId::ALL {
        assert!(seen.contains(rule.as_str()), "no corpus case for {rule}");
    }
}
