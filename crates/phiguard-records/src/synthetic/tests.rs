use std::collections::HashSet;

use super::*;
use crate::builtin::{SHOPIFY_ORDER, builtin_type};
use crate::fhir::parse_bundle;
use crate::fragment::{LeafValue, Part};
use crate::path::LeafPath;
use crate::shopify::{SOURCE_CUSTOMER_FIELD, SOURCE_EMAIL_FIELD, parse_order};
use crate::split::split;

fn small() -> BundleShape {
    BundleShape {
        encounters: 6,
        observations_per_encounter: 3,
    }
}

/// Every record of a bundle with its type name, as the vault would store them.
fn records(bundle: &SyntheticBundle) -> Vec<(String, Value)> {
    let import = parse_bundle(&bundle.to_bytes()).unwrap();
    import.patients[0]
        .all_records()
        .map(|(name, resource)| (name.to_owned(), resource.clone()))
        .collect()
}

#[test]
fn the_same_seed_gives_the_same_data() {
    let a = Generator::new(11).patient_bundles(2, &small());
    let b = Generator::new(11).patient_bundles(2, &small());
    let c = Generator::new(12).patient_bundles(2, &small());
    assert_eq!(a, b);
    assert_ne!(a, c);
    assert_ne!(a[0].patient_id, a[1].patient_id);
    assert_eq!(
        Generator::new(3).shopify_order(),
        Generator::new(3).shopify_order()
    );
}

#[test]
fn bundles_have_the_promised_shape_and_size() {
    let shape = BundleShape::default();
    let bundle = Generator::new(1).patient_bundle(&shape);
    let entries = bundle.bundle["entry"].as_array().unwrap().len();
    assert_eq!(entries, shape.entries());
    assert!((70..=700).contains(&entries), "{entries} entries");
    let bytes = bundle.to_bytes().len();
    assert!((150_000..=700_000).contains(&bytes), "{bytes} bytes");

    let import = parse_bundle(&bundle.to_bytes()).unwrap();
    assert_eq!(import.patients.len(), 1);
    assert_eq!(import.patients[0].source_key, bundle.patient_id);
    assert_eq!(import.record_count(), entries - 3);
    let skipped: Vec<(&str, usize)> = import
        .skipped
        .iter()
        .map(|(k, v)| (k.as_str(), *v))
        .collect();
    assert_eq!(
        skipped,
        [("CarePlan", 1), ("Organization", 1), ("Practitioner", 1)]
    );

    let types: HashSet<&str> = import.patients[0]
        .all_records()
        .map(|(name, _)| name)
        .collect();
    assert_eq!(
        types.len(),
        10,
        "every built-in FHIR type appears: {types:?}"
    );
}

#[test]
fn names_carry_digits_and_non_ascii_letters() {
    let mut generator = Generator::new(5);
    let planted: Vec<String> = generator
        .patient_bundles(
            20,
            &BundleShape {
                encounters: 1,
                observations_per_encounter: 1,
            },
        )
        .into_iter()
        .flat_map(|bundle| bundle.planted)
        .collect();
    assert!(planted.iter().any(|v| !v.is_ascii()));
    assert!(
        planted
            .iter()
            .any(|v| v.starts_with(char::is_alphabetic) && v.ends_with(char::is_numeric))
    );
    assert!(planted.iter().any(|v| v.starts_with("999-")));
    assert!(
        planted.iter().any(|v| v.starts_with('S') && v.len() == 10),
        "driver's licence"
    );
    assert!(
        planted
            .iter()
            .any(|v| v.starts_with('X') && v.ends_with('X')),
        "passport"
    );
}

/// The planted values of at least four characters.
fn needles(planted: &[String]) -> Vec<&str> {
    planted
        .iter()
        .map(String::as_str)
        .filter(|v| v.chars().count() >= 4)
        .collect()
}

fn structure_strings(record_type: &RecordType, document: &Value) -> Vec<String> {
    let record = split(record_type, document).unwrap();
    record
        .get(Part::Structure)
        .map(|fragment| {
            fragment
                .leaves()
                .iter()
                .filter_map(|leaf| leaf.value.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn no_planted_value_reaches_the_structure_part() {
    let mut generator = Generator::new(99);
    for bundle in generator.patient_bundles(8, &small()) {
        for (type_name, resource) in records(&bundle) {
            let record_type = builtin_type(&type_name).unwrap();
            for structure in structure_strings(record_type, &resource) {
                for needle in needles(&bundle.planted) {
                    assert!(
                        !structure.contains(needle),
                        "{type_name}: a planted value is structure"
                    );
                }
            }
        }
    }

    let order_type = builtin_type(SHOPIFY_ORDER).unwrap();
    for _ in 0..20 {
        let order = generator.shopify_order();
        let import = parse_order(&order.to_bytes()).unwrap();
        for structure in structure_strings(order_type, &import.order) {
            for needle in needles(&order.planted) {
                assert!(
                    !structure.contains(needle),
                    "shopify.order: a planted value is structure"
                );
            }
        }
    }
}

#[test]
fn every_planted_value_is_classified_as_phi() {
    let mut generator = Generator::new(4);
    for bundle in generator.patient_bundles(4, &small()) {
        let mut found = HashSet::new();
        for (type_name, resource) in records(&bundle) {
            found.extend(phi_strings(builtin_type(&type_name).unwrap(), &resource));
        }
        for needle in needles(&bundle.planted) {
            assert!(found.contains(needle), "a planted value is not PHI");
        }
    }

    let order_type = builtin_type(SHOPIFY_ORDER).unwrap();
    for _ in 0..10 {
        let order = generator.shopify_order();
        let import = parse_order(&order.to_bytes()).unwrap();
        let found: HashSet<String> = phi_strings(order_type, &import.order).into_iter().collect();
        for needle in needles(&order.planted) {
            assert!(found.contains(needle), "a planted order value is not PHI");
        }
    }
}

#[test]
fn every_generated_leaf_is_decided_by_a_rule() {
    let bundle = Generator::new(8).patient_bundle(&BundleShape::default());
    let mut unmapped = HashSet::new();
    for (type_name, resource) in records(&bundle) {
        let record_type = builtin_type(&type_name).unwrap();
        let record = split(record_type, &resource).unwrap();
        for (_, fragment) in record.parts() {
            for leaf in fragment.leaves() {
                let structural =
                    matches!(leaf.value, LeafValue::EmptyObject | LeafValue::EmptyArray);
                if !structural && record_type.matching_rule(&resource, &leaf.path).is_none() {
                    unmapped.insert(format!("{type_name} {}", leaf.path.generalized()));
                }
            }
        }
    }
    assert!(unmapped.is_empty(), "{unmapped:?}");
}

#[test]
fn orders_import_with_customer_or_email_keys() {
    let mut generator = Generator::new(21);
    let mut fields = HashSet::new();
    for _ in 0..30 {
        let import = parse_order(&generator.shopify_order().to_bytes()).unwrap();
        fields.insert(import.match_keys[0].field.clone());
        assert!(import.order_id.is_some());
    }
    let expected: HashSet<String> = [SOURCE_CUSTOMER_FIELD, SOURCE_EMAIL_FIELD]
        .into_iter()
        .map(str::to_owned)
        .collect();
    assert_eq!(fields, expected);
}

#[test]
fn phi_strings_lists_only_phi_of_four_characters_or_more() {
    let record_type = builtin_type("fhir.Patient").unwrap();
    let document = serde_json::json!({
        "resourceType": "Patient",
        "name": [{"use": "official", "family": "Roe", "given": ["Jane", "Jane"]}],
        "gender": "female"
    });
    let mut found = phi_strings(record_type, &document);
    found.sort();
    assert_eq!(found, ["Jane", "female"]);
    assert!(
        record_type.classify(&document, &"resourceType".parse::<LeafPath>().unwrap())
            == Classification::NotPhi
    );
}
