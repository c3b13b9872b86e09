//! Fictional, deterministic test data: Synthea-shaped FHIR R4 bundles and Shopify-shaped
//! orders, for tests and benchmarks across phiguard.
//!
//! **Everything here is made up.** Names are drawn from invented lists and mixed at random,
//! SSNs are in the never-issued `999-` range, phone numbers in the fictional `555-` exchange,
//! emails at `example.org`, IP addresses from the documentation range. The same seed gives the
//! same data on every machine.
//!
//! Each generated document comes with the values the generator *planted* in it (names,
//! identifiers, addresses, birth dates, notes), listed independently of any record type, so a
//! test can check that classification catches them. [`phi_strings`] instead lists what a record
//! type classifies as PHI; tests use it to scan databases, WAL files and logs for leaks.
//!
//! ```
//! use phiguard_records::fhir::parse_bundle;
//! use phiguard_records::synthetic::{BundleShape, Generator};
//!
//! let mut generator = Generator::new(42);
//! let patient = generator.patient_bundle(&BundleShape::default());
//! let import = parse_bundle(&patient.to_bytes()).unwrap();
//! assert_eq!(import.patients.len(), 1);
//! assert!(patient.planted.iter().any(|value| value.starts_with("999-")));
//! ```

mod fhir;
mod rng;
mod shopify;
mod vocabulary;

use std::collections::HashSet;

use serde_json::Value;

use crate::classification::Classification;
use crate::record_type::RecordType;
use crate::walk::walk_leaves;

pub use fhir::{BundleShape, SyntheticBundle};
pub use shopify::SyntheticOrder;

/// A seeded source of fictional patients and orders.
#[derive(Debug, Clone)]
pub struct Generator {
    rng: rng::Rng,
    orders: u64,
}

impl Generator {
    /// A generator whose output depends only on `seed`.
    pub fn new(seed: u64) -> Self {
        Generator {
            rng: rng::Rng::new(seed),
            orders: 0,
        }
    }

    /// A transaction bundle about one new fictional patient, with an Organization, a
    /// Practitioner, a CarePlan (a type without a built-in record type) and `shape`'s clinical
    /// and financial resources, all referenced by `urn:uuid:`.
    pub fn patient_bundle(&mut self, shape: &BundleShape) -> SyntheticBundle {
        fhir::patient_bundle(&mut self.rng, shape)
    }

    /// `count` patient bundles.
    pub fn patient_bundles(&mut self, count: usize, shape: &BundleShape) -> Vec<SyntheticBundle> {
        (0..count).map(|_| self.patient_bundle(shape)).collect()
    }

    /// A Shopify `orders/create` webhook body from a health storefront, with a birth date,
    /// prescriber and member id in `note_attributes`, a prescription and condition in line-item
    /// `properties`, and a clinical `note`. One order in five is a guest checkout (no
    /// `customer`).
    pub fn shopify_order(&mut self) -> SyntheticOrder {
        self.orders += 1;
        shopify::order(&mut self.rng, self.orders)
    }
}

/// Every distinct string leaf of `document` that `record_type` classifies as PHI and that is at
/// least four characters long (shorter strings match too much to be useful in a leak scan).
pub fn phi_strings(record_type: &RecordType, document: &Value) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    let mut seen: HashSet<&str> = HashSet::new();
    // Too-deep documents cannot be stored, so what the walk saw before stopping is enough.
    let _ = walk_leaves(document, &mut |site| {
        let Value::String(text) = site.value() else {
            return;
        };
        if text.chars().count() < 4 || seen.contains(text.as_str()) {
            return;
        }
        if let Classification::Phi(_) = record_type.classify_site(site.steps, site.nodes) {
            seen.insert(text);
            found.push(text.clone());
        }
    });
    found
}

#[cfg(test)]
mod tests;
