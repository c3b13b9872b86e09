//! Test data: the hand-written fixtures under `tests/fixtures/` (fictional people) and corpora
//! from phiguard's own synthetic generator, which is deterministic per seed.

use std::collections::BTreeMap;
use std::path::PathBuf;

use phiguard_records::synthetic::{BundleShape, Generator, SyntheticBundle, SyntheticOrder};
use serde_json::{Value, json};

use super::phi::PhiStrings;

/// The fixtures directory.
pub(crate) fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// A fixture file as JSON.
pub(crate) fn json(name: &str) -> Value {
    let path = dir().join(name);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("fixture {} cannot be read: {e}", path.display()));
    serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("fixture {} is not JSON: {e}", path.display()))
}

/// The FHIR Patient of Marisol Quintero-Abernathy (fictional).
pub(crate) fn patient() -> Value {
    json("patient-marisol.json")
}

/// A Shopify order (the order object, not the webhook wrapper) by the same fictional person.
pub(crate) fn order() -> Value {
    json("order-marisol.json")
}

/// The attribute map the tests give `shopify.order`: form labels of the storefront's checkout
/// mapped to categories, one of them vouched for as not PHI.
pub(crate) fn order_attribute_map() -> Value {
    json!({
        "Date of Birth": "birthdate",
        "Insurance Member ID": "identifier",
        "Prescription": "clinical",
        "Gift wrap": "not_phi"
    })
}

/// Every leaf of a JSON document by its JSON pointer. Empty arrays and objects count as leaves,
/// so a document that keeps an emptied container does not compare equal to one without it.
pub(crate) fn leaves(document: &Value) -> BTreeMap<String, Value> {
    fn walk(pointer: String, value: &Value, out: &mut BTreeMap<String, Value>) {
        match value {
            Value::Object(map) if !map.is_empty() => {
                for (key, child) in map {
                    let escaped = key.replace('~', "~0").replace('/', "~1");
                    walk(format!("{pointer}/{escaped}"), child, out);
                }
            }
            Value::Array(items) if !items.is_empty() => {
                for (index, child) in items.iter().enumerate() {
                    walk(format!("{pointer}/{index}"), child, out);
                }
            }
            other => {
                out.insert(pointer, other.clone());
            }
        }
    }

    let mut out = BTreeMap::new();
    walk(String::new(), document, &mut out);
    out
}

/// Fictional patients and orders from phiguard's generator, with their PHI strings.
pub(crate) struct Corpus {
    /// One transaction bundle per patient.
    pub(crate) bundles: Vec<SyntheticBundle>,
    /// Order webhook bodies.
    pub(crate) orders: Vec<SyntheticOrder>,
    /// Every PHI string in them.
    pub(crate) phi: PhiStrings,
}

impl Corpus {
    /// `patients` bundles of `shape` and `orders` orders from `seed`.
    pub(crate) fn generate(
        seed: u64,
        patients: usize,
        orders: usize,
        shape: BundleShape,
    ) -> Corpus {
        let mut generator = Generator::new(seed);
        let bundles = generator.patient_bundles(patients, &shape);
        let orders: Vec<SyntheticOrder> = (0..orders).map(|_| generator.shopify_order()).collect();
        let mut phi = PhiStrings::new();
        for bundle in &bundles {
            phi.add_bundle(bundle);
        }
        for order in &orders {
            phi.add_order(order);
        }
        Corpus {
            bundles,
            orders,
            phi,
        }
    }

    /// A small corpus: a few short patient histories and a few orders.
    pub(crate) fn small(seed: u64) -> Corpus {
        Corpus::generate(
            seed,
            2,
            2,
            BundleShape {
                encounters: 3,
                observations_per_encounter: 2,
            },
        )
    }
}

/// The SSN planted in a generated bundle.
pub(crate) fn ssn_of(bundle: &SyntheticBundle) -> String {
    bundle
        .planted
        .iter()
        .find(|value| value.starts_with("999-"))
        .expect("every generated patient has an SSN")
        .clone()
}
