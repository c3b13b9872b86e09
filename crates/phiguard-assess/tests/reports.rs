//! Reports for the shipped example inventories: golden files, repeatability, missing evidence,
//! `--previous`, self-contained HTML and PHI that must never reach a report.

#![allow(clippy::unwrap_used)] // Tests panic on set-up failures.

mod common;

use std::path::Path;

use phiguard_assess::{CheckId, Evidence, Format, RegimeId, ScanEvidence, Source, Status, render};

use common::*;

/// Compares with the golden file, or rewrites it when `UPDATE_GOLDEN=1`.
fn golden(name: &str, actual: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|_| panic!("{} is missing; run with UPDATE_GOLDEN=1", path.display()));
    if expected != actual {
        let line = expected
            .lines()
            .zip(actual.lines())
            .position(|(e, a)| e != a)
            .map_or(expected.lines().count().min(actual.lines().count()), |i| i);
        panic!(
            "{name} differs from the golden file at line {}:\n  golden: {:?}\n  actual: {:?}\n\
             Review the change and re-run with UPDATE_GOLDEN=1 if it is intended.",
            line + 1,
            expected.lines().nth(line),
            actual.lines().nth(line)
        );
    }
}

#[test]
fn the_example_reports_match_their_golden_files() {
    let shopify = run(
        &example_evidence("shopify-plus-pharmacy.toml", true),
        RegimeId::SecurityRule,
        None,
    );
    golden(
        "shopify-plus-pharmacy.json",
        &render(&shopify, Format::Json),
    );
    golden(
        "shopify-plus-pharmacy.md",
        &render(&shopify, Format::Markdown),
    );

    let magento = run(
        &example_evidence("magento-medical-supply.toml", false),
        RegimeId::SecurityRule,
        None,
    );
    golden(
        "magento-medical-supply.json",
        &render(&magento, Format::Json),
    );
    golden("magento-medical-supply.dot", &render(&magento, Format::Dot));

    let proposal = run(
        &example_evidence("shopify-plus-pharmacy.toml", true),
        RegimeId::Nprm2025,
        None,
    );
    golden(
        "shopify-plus-pharmacy.nprm-2025.md",
        &render(&proposal, Format::Markdown),
    );
}

#[test]
fn the_shopify_example_finds_the_gaps_a_reviewer_would() {
    let report = run(
        &example_evidence("shopify-plus-pharmacy.toml", true),
        RegimeId::SecurityRule,
        None,
    );
    let control = |id: &str| report.controls.iter().find(|c| c.id == id).unwrap();

    // Stripe receives names and addresses and Meta runs on the account pages, without BAAs.
    let contract = control("164.308(b)(3)");
    assert_eq!(contract.status, Status::NotMet);
    let baa = contract
        .checks
        .iter()
        .find(|c| c.check == CheckId::BusinessAssociates)
        .unwrap();
    assert!(
        baa.details.iter().any(|d| d.starts_with("Stripe receives")),
        "{baa:?}"
    );
    assert!(
        baa.details
            .iter()
            .any(|d| d.starts_with("Meta runs on authenticated"))
    );

    // The sanction policy is attested and not expired on the assessment date.
    assert_eq!(control("164.308(a)(1)(ii)(C)").status, Status::Met);

    // The gap list is ordered by risk, and every gap is on the roadmap with an owner.
    let scores: Vec<u8> = report.gaps.iter().map(|g| g.risk.score).collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{scores:?}");
    assert_eq!(report.gaps[0].quarter, "2027-Q1");
    let quarters: Vec<&str> = report.gaps.iter().map(|g| g.quarter.as_str()).collect();
    assert!(quarters.windows(2).all(|w| w[0] <= w[1]), "{quarters:?}");
    let planned: usize = report.roadmap.iter().map(|q| q.controls.len()).sum();
    assert_eq!(planned, report.gaps.len());

    // The flow map marks Stripe as PHI without a BAA.
    assert!(
        report
            .flows
            .risky_edges()
            .any(|e| e.to == "party:stripe" && e.from == "system:pharmacy-backend")
    );
    // 164.314(b) group health plans does not apply, with its reason.
    let plans = control("164.314(b)(2)");
    assert_eq!(plans.status, Status::NotApplicable);
    assert!(plans.not_applicable.is_some());
}

#[test]
fn missing_evidence_makes_controls_not_assessed_never_met() {
    let bare = run(
        &example_evidence("shopify-plus-pharmacy.toml", false),
        RegimeId::SecurityRule,
        None,
    );
    for control in bare.controls.iter().filter(|c| c.assessed_unit) {
        let sources: Vec<Source> = control.checks.iter().map(|c| c.check.source()).collect();
        let only_missing = !sources.is_empty()
            && sources
                .iter()
                .all(|s| matches!(s, Source::Scan | Source::Vault));
        if only_missing {
            assert_eq!(control.status, Status::NotAssessed, "{}", control.id);
        }
        for check in &control.checks {
            if matches!(check.check.source(), Source::Scan | Source::Vault) {
                assert_eq!(
                    check.status,
                    Status::NotAssessed,
                    "{} {}",
                    control.id,
                    check.check
                );
            }
        }
    }
    let audit = bare.controls.iter().find(|c| c.id == "164.312(b)").unwrap();
    assert_ne!(audit.status, Status::Met);
    assert!(
        bare.sources
            .iter()
            .any(|s| s.kind == Source::Vault && !s.used)
    );

    // With the scan, the code checks are judged: the corpus holds browser-storage leaks.
    let scanned = run(
        &example_evidence("shopify-plus-pharmacy.toml", true),
        RegimeId::SecurityRule,
        None,
    );
    let storage = scanned
        .controls
        .iter()
        .flat_map(|c| &c.checks)
        .find(|c| c.check == CheckId::ScanBrowserStorage)
        .unwrap();
    assert_eq!(storage.status, Status::NotMet);
    assert!(
        storage
            .details
            .iter()
            .any(|d| d.starts_with("PHI-STORAGE-001"))
    );
}

#[test]
fn the_same_inputs_give_the_same_bytes_apart_from_the_timestamp() {
    let evidence = example_evidence("magento-medical-supply.toml", true);
    let first = run(&evidence, RegimeId::SecurityRule, None);
    let mut second = run(&evidence, RegimeId::SecurityRule, None);
    second.generated_at = "2027-03-04T05:06:07Z".parse().unwrap();

    for format in [
        Format::Json,
        Format::Markdown,
        Format::Html,
        Format::Oscal,
        Format::Dot,
    ] {
        let a = render(&first, format);
        let b = render(&second, format).replace("2027-03-04T05:06:07Z", "2026-12-01T09:30:00Z");
        assert_eq!(a, b, "{format:?} differs between identical runs");
    }
}

#[test]
fn a_previous_report_shows_changes_and_how_long_gaps_stayed_open() {
    let earlier = run(
        &example_evidence("shopify-plus-pharmacy.toml", false),
        RegimeId::SecurityRule,
        None,
    );
    let previous =
        phiguard_assess::load_previous(&write_temp(&render(&earlier, Format::Json))).unwrap();
    assert_eq!(previous, earlier);

    // Sixty days later Stripe has signed a BAA and a scan report is available.
    let (inventory, path) = inventory("shopify-plus-pharmacy.toml");
    let text = std::fs::read_to_string(example("shopify-plus-pharmacy.toml")).unwrap();
    let signed = text.replacen(
        "kind = \"payment\"\nbaa = \"not_signed\"",
        "kind = \"payment\"\nbaa = \"signed\"",
        1,
    );
    assert_ne!(signed, text);
    let inventory_signed = phiguard_inventory::Inventory::parse(&signed, &path).unwrap();
    let later = Evidence {
        scan: Some(scan_evidence(&inventory)),
        inventory: inventory_signed,
        inventory_path: path,
        vault: None,
        as_of: "2027-01-30".parse().unwrap(),
    };
    let report = run(&later, RegimeId::SecurityRule, Some(&previous));
    let changes = report.changes.as_ref().unwrap();
    assert_eq!(changes.previous_as_of, as_of());
    assert!(!changes.status_changes.is_empty());

    let carried = report
        .gaps
        .iter()
        .find(|g| g.open_since_days.is_some())
        .expect("some gap stayed open");
    assert_eq!(carried.open_since_days, Some(60));
    assert_eq!(carried.exposure.likely_tier, 4);
    let fresh = run(&later, RegimeId::SecurityRule, None);
    assert!(fresh.gaps.iter().all(|g| g.exposure.likely_tier == 2));

    let markdown = render(&report, Format::Markdown);
    assert!(markdown.contains("## Changes since 2026-12-01"));
}

#[test]
fn a_json_report_of_another_tool_is_not_a_previous_report() {
    let path = write_temp(r#"{"version": 1, "tool": "phiguard scan", "findings": []}"#);
    let error = phiguard_assess::load_previous(&path)
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("is not a phiguard assess JSON report"),
        "{error}"
    );
}

#[test]
fn the_html_report_is_self_contained() {
    let report = run(
        &example_evidence("shopify-plus-pharmacy.toml", true),
        RegimeId::SecurityRule,
        None,
    );
    let html = render(&report, Format::Html);
    assert!(html.starts_with("<!DOCTYPE html>"));
    for forbidden in ["<script", "<link", " src=", "@import", "url(http"] {
        assert!(
            !html.contains(forbidden),
            "the report refers to {forbidden}"
        );
    }
    let external = html
        .match_indices("://")
        .map(|(i, _)| i.saturating_sub(5))
        .map(|i| &html[i..(i + 30).min(html.len())])
        .filter(|s| !s.contains("http://www.w3.org/2000/svg"))
        .count();
    assert_eq!(external, 0, "the report links outside itself");
    for section in [
        "Where PHI flows",
        "Remediation roadmap",
        "Evidence index",
        "Documents an",
    ] {
        assert!(html.contains(section), "{section} is missing");
    }
    assert!(html.contains("<svg"), "no charts");
}

#[test]
fn phi_in_a_scan_report_never_reaches_an_assessment() {
    let (inventory, path) = inventory("shopify-plus-pharmacy.toml");
    let mut scan: serde_json::Value = serde_json::from_str(&scan_json(&inventory)).unwrap();
    let secret_ssn = "078-05-1120";
    let secret_name = "Zebulon Quattlebaum";
    for finding in scan["findings"].as_array_mut().unwrap() {
        finding["excerpt"] = format!("const ssn = '{secret_ssn}'; // {secret_name}").into();
        finding["evidence"] = serde_json::json!([format!("value {secret_ssn}")]);
    }
    let scan = ScanEvidence::parse(&scan.to_string(), Path::new("scan.json")).unwrap();
    let evidence = Evidence {
        inventory,
        inventory_path: path,
        scan: Some(scan),
        vault: None,
        as_of: as_of(),
    };
    let report = run(&evidence, RegimeId::SecurityRule, None);
    for format in [
        Format::Json,
        Format::Markdown,
        Format::Html,
        Format::Oscal,
        Format::Dot,
    ] {
        let text = render(&report, format);
        assert!(
            !text.contains(secret_ssn),
            "{format:?} carries a scan excerpt"
        );
        assert!(
            !text.contains(secret_name),
            "{format:?} carries a scan excerpt"
        );
    }
    let poam = phiguard_assess::pretty(&phiguard_assess::oscal::poam(&report));
    assert!(!poam.contains(secret_ssn));
}

fn write_temp(text: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "phiguard-assess-test-{}-{}",
        std::process::id(),
        text.len()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("report.json");
    std::fs::write(&path, text).unwrap();
    path
}
