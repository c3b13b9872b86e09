//! Evidence honesty, from a breaker's findings: an empty scan is no evidence, a definite BAA
//! violation is not softened by other passing checks, a standard-level attestation does not
//! make its specifications met, stale statements do not pass, and any capacity gives a finite
//! roadmap.

#![allow(clippy::unwrap_used)] // Tests panic on set-up failures.

mod common;

use std::path::Path;

use phiguard_assess::{CheckId, Evidence, Format, RegimeId, ScanEvidence, Status, render};
use phiguard_inventory::Inventory;

use common::*;

const PLATFORM: &str = r#"
[platform]
name = "Tiny pharmacy"
kind = "shopify_plus"
owner = "platform-team"
"#;

fn evidence(text: &str, scan: Option<ScanEvidence>) -> Evidence {
    Evidence {
        inventory: Inventory::parse(text, Path::new("inventory.toml")).unwrap(),
        inventory_path: "inventory.toml".into(),
        scan,
        vault: None,
        as_of: as_of(),
    }
}

fn status(report: &phiguard_assess::Assessment, id: &str) -> Status {
    report.controls.iter().find(|c| c.id == id).unwrap().status
}

#[test]
fn a_scan_of_no_files_is_not_evidence() {
    let empty = ScanEvidence::parse(
        r#"{"version": 1, "tool": "phiguard scan", "findings": [],
            "summary": {"files_scanned": 0}}"#,
        Path::new("empty.json"),
    )
    .unwrap();
    let report = run(
        &evidence(PLATFORM, Some(empty)),
        RegimeId::SecurityRule,
        None,
    );
    for check in report.controls.iter().flat_map(|c| &c.checks) {
        if check.check.scan_rules().is_empty() {
            continue;
        }
        assert_eq!(
            check.status,
            Status::NotAssessed,
            "{}: {}",
            check.check,
            check.summary
        );
    }
}

#[test]
fn phi_to_a_party_without_a_baa_fails_the_contract_controls_outright() {
    let text = format!(
        "{PLATFORM}
[[systems]]
id = \"backend\"
name = \"Back-end\"
kind = \"backend\"
handles_phi = true

[[integrations]]
id = \"stripe\"
vendor = \"Stripe\"
kind = \"payment\"
baa = \"not_signed\"
categories = [\"clinical\", \"financial\"]
systems = [\"backend\"]

[[attestations]]
control = \"164.314(a)(2)(i)\"
title = \"Tenant BAAs signed\"
owner = \"legal\"
date = 2026-10-01
document = \"contracts/tenants.pdf\"
"
    );
    let report = run(&evidence(&text, None), RegimeId::SecurityRule, None);
    for id in ["164.308(b)(3)", "164.314(a)(2)(i)", "164.314(a)(2)(iii)"] {
        assert_eq!(status(&report, id), Status::NotMet, "{id}");
    }
    assert!(report.summary.required_not_met >= 3);
}

#[test]
fn a_standard_level_attestation_is_half_evidence_for_its_specifications() {
    let text = format!(
        "{PLATFORM}
[[attestations]]
control = \"164.308(a)(7)\"
title = \"Contingency plan\"
owner = \"ops\"
date = 2026-10-01
document = \"runbooks/contingency.md\"
"
    );
    let report = run(&evidence(&text, None), RegimeId::SecurityRule, None);
    let plan = report
        .controls
        .iter()
        .find(|c| c.id == "164.308(a)(7)(ii)(B)")
        .unwrap();
    let attested = plan
        .checks
        .iter()
        .find(|c| c.check == CheckId::Attestation)
        .unwrap();
    assert_eq!(attested.status, Status::PartiallyMet, "{attested:?}");
    assert_ne!(plan.status, Status::Met);
}

#[test]
fn stale_expired_and_blank_attestations_do_not_pass() {
    let attest = |date: &str, expires: &str, title: &str| {
        format!(
            "{PLATFORM}
[[attestations]]
control = \"164.308(a)(1)(ii)(C)\"
title = \"{title}\"
owner = \"compliance\"
date = {date}
document = \"policies/sanctions.pdf\"
{expires}
"
        )
    };
    let cases = [
        (attest("2009-01-01", "", "Sanction policy"), Status::NotMet),
        (
            attest("2010-01-01", "expires = 2011-01-01", "Sanction policy"),
            Status::NotMet,
        ),
        (
            attest("2000-01-01", "expires = 9999-12-31", "Sanction policy"),
            Status::NotMet,
        ),
        (attest("2026-10-01", "", "  "), Status::NotAssessed),
        (
            attest("2026-10-01", "expires = 2026-01-01", "Sanction policy"),
            Status::NotAssessed,
        ),
        (attest("2026-10-01", "", "Sanction policy"), Status::Met),
    ];
    for (text, expected) in cases {
        let report = run(&evidence(&text, None), RegimeId::SecurityRule, None);
        assert_eq!(status(&report, "164.308(a)(1)(ii)(C)"), expected, "{text}");
    }
}

#[test]
fn any_capacity_gives_a_finite_roadmap() {
    let evidence = example_evidence("shopify-plus-pharmacy.toml", false);
    let catalog = phiguard_assess::Catalog::load(RegimeId::SecurityRule).unwrap();
    for capacity in [1e-300, 0.001, 1.0, 1e300, f64::NAN] {
        let mut options = options();
        options.capacity_weeks_per_quarter = capacity;
        let report = phiguard_assess::assess(&catalog, &evidence, &options, None);
        let last = report.roadmap.last().unwrap();
        let year: i32 = last.quarter[..4].parse().unwrap();
        assert!(year < 2100, "{capacity}: {}", last.quarter);
    }
}

#[test]
fn markdown_does_not_pass_html_from_an_inventory_through() {
    let text = PLATFORM.replace("Tiny pharmacy", "<img src=x onerror=alert(1)> pharmacy");
    let report = run(&evidence(&text, None), RegimeId::SecurityRule, None);
    let markdown = render(&report, Format::Markdown);
    assert!(!markdown.contains("<img"), "raw HTML in Markdown");
    assert!(markdown.contains("&lt;img"));
    let html = render(&report, Format::Html);
    assert!(!html.contains("<img"), "raw HTML in HTML");
}

#[test]
fn a_scan_of_code_only_says_nothing_about_infrastructure() {
    let code_only = ScanEvidence::parse(
        r#"{"version": 1, "tool": "phiguard scan", "findings": [],
            "summary": {"files_scanned": 1, "files_by_language": {"javascript": 1}}}"#,
        Path::new("one.json"),
    )
    .unwrap();
    let report = run(
        &evidence(PLATFORM, Some(code_only)),
        RegimeId::SecurityRule,
        None,
    );
    let checks: Vec<_> = report.controls.iter().flat_map(|c| &c.checks).collect();
    for check in &checks {
        let expected = match check.check {
            CheckId::ScanBrowserStorage | CheckId::ScanLogging | CheckId::ScanThirdParties => {
                Status::Met
            }
            CheckId::ScanAtRest | CheckId::ScanInTransit | CheckId::ScanSecrets => {
                Status::NotAssessed
            }
            _ => continue,
        };
        assert_eq!(check.status, expected, "{}: {}", check.check, check.summary);
    }
}

#[test]
fn a_re_certification_schedule_longer_than_a_year_is_no_schedule() {
    let text = format!(
        "{PLATFORM}
[[roles]]
id = \"pharmacist\"
provisioning = \"sso_scim\"
categories = [\"clinical\"]
mfa = true
recertification_days = 100000
last_recertified = 2000-01-01
"
    );
    let report = run(&evidence(&text, None), RegimeId::SecurityRule, None);
    let check = report
        .controls
        .iter()
        .flat_map(|c| &c.checks)
        .find(|c| c.check == CheckId::Recertification)
        .unwrap();
    assert_eq!(check.status, Status::NotMet, "{check:?}");
}

#[test]
fn inventory_text_cannot_reshape_a_report() {
    let text = PLATFORM.replace(
        "name = \"Tiny pharmacy\"",
        "name = \"Tiny\\n# Forged heading [click](javascript:alert(3)) \\u202Egnp.exe\"",
    );
    let report = run(&evidence(&text, None), RegimeId::SecurityRule, None);
    let markdown = render(&report, Format::Markdown);
    assert!(!markdown.contains("\n# Forged"), "a name added a heading");
    assert!(
        !markdown.contains("[click](javascript"),
        "a name added a live link"
    );
    for format in [Format::Markdown, Format::Html] {
        assert!(
            !render(&report, format).contains('\u{202E}'),
            "{format:?} keeps a bidi override"
        );
    }
}
