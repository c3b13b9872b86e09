//! The OSCAL output validates against NIST's official JSON schemas of the version it declares.
//!
//! The schemas are NIST's (usnistgov/OSCAL at tag v1.0.6) and are not copied into this
//! repository; the test reads them from `PHIGUARD_OSCAL_SCHEMAS`, or from `shared/schemas/
//! oscal-1.0.6` beside the checkout, and fails when it cannot find them.

#![allow(clippy::unwrap_used)] // Tests panic on set-up failures.

mod common;

use std::path::PathBuf;

use phiguard_assess::{RegimeId, oscal};

use common::*;

fn schema_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("PHIGUARD_OSCAL_SCHEMAS") {
        return PathBuf::from(dir);
    }
    let workspace = workspace().canonicalize().unwrap();
    let candidates = workspace
        .ancestors()
        .map(|a| a.join("shared/schemas/oscal-1.0.6"))
        .chain([PathBuf::from("/work/shared/schemas/oscal-1.0.6")]);
    for candidate in candidates {
        if candidate.join("oscal_poam_schema.json").is_file() {
            return candidate;
        }
    }
    panic!(
        "NIST's OSCAL 1.0.6 JSON schemas were not found: set PHIGUARD_OSCAL_SCHEMAS to the \
         folder holding oscal_assessment-results_schema.json and oscal_poam_schema.json"
    );
}

fn validator(file: &str) -> jsonschema::Validator {
    let path = schema_dir().join(file);
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .unwrap_or_else(|e| panic!("{} does not compile: {e}", path.display()))
}

fn assert_valid(validator: &jsonschema::Validator, document: &serde_json::Value, what: &str) {
    let errors: Vec<String> = validator
        .iter_errors(document)
        .take(10)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{what} is not valid OSCAL 1.0.6:\n{}",
        errors.join("\n")
    );
}

#[test]
fn assessment_results_and_poam_validate_against_nist_schemas() {
    let results = validator("oscal_assessment-results_schema.json");
    let poam = validator("oscal_poam_schema.json");

    for (name, with_scan) in [
        ("shopify-plus-pharmacy.toml", true),
        ("magento-medical-supply.toml", false),
    ] {
        for regime in RegimeId::ALL {
            let evidence = example_evidence(name, with_scan);
            let report = run(&evidence, regime, None);
            let ar = oscal::assessment_results(&report);
            assert_eq!(
                ar["assessment-results"]["metadata"]["oscal-version"],
                "1.0.6"
            );
            assert_valid(
                &results,
                &ar,
                &format!("{name} {regime} assessment results"),
            );
            assert_valid(
                &poam,
                &oscal::poam(&report),
                &format!("{name} {regime} POA&M"),
            );
        }
    }
}

#[test]
fn the_schemas_catch_a_broken_document() {
    let results = validator("oscal_assessment-results_schema.json");
    let evidence = example_evidence("magento-medical-supply.toml", false);
    let mut ar = oscal::assessment_results(&run(&evidence, RegimeId::SecurityRule, None));
    ar["assessment-results"]["results"][0]["findings"][0]["target"]["target-id"] =
        "164.312(b)".into();
    assert!(
        !results.is_valid(&ar),
        "a citation is not an OSCAL token; the schema must say so"
    );
}
