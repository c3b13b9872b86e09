//! The built-in record types, defined as data in this directory's JSON files.
//!
//! Every `fhir.*` type starts with the rules of `fhir_common.json` (resource type, ids, meta,
//! narrative, coding systems, identifiers, references to the patient and encounter), followed
//! by its own. The definitions are compiled in and parsed once, on first use.

use std::sync::OnceLock;

use serde_json::Value;

use crate::json_error::JsonSyntax;
use crate::record_type::RecordType;

const FHIR_COMMON: &str = include_str!("fhir_common.json");

/// The FHIR definitions, which get the common rules first.
const FHIR_DEFINITIONS: [&str; 10] = [
    include_str!("fhir_patient.json"),
    include_str!("fhir_observation.json"),
    include_str!("fhir_condition.json"),
    include_str!("fhir_encounter.json"),
    include_str!("fhir_procedure.json"),
    include_str!("fhir_immunization.json"),
    include_str!("fhir_medication_request.json"),
    include_str!("fhir_diagnostic_report.json"),
    include_str!("fhir_claim.json"),
    include_str!("fhir_explanation_of_benefit.json"),
];

/// Definitions that stand alone.
const OTHER_DEFINITIONS: [&str; 1] = [include_str!("shopify_order.json")];

/// The name of the built-in Shopify order type.
pub const SHOPIFY_ORDER: &str = "shopify.order";

/// A built-in definition failed to load; only a broken build can cause this, and the crate's
/// tests load every definition.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("built-in record type definition {index} is broken: {reason}")]
pub(crate) struct BuiltinError {
    index: usize,
    reason: String,
}

fn load(index: usize, text: &str, common: Option<&Value>) -> Result<RecordType, BuiltinError> {
    let broken = |reason: String| BuiltinError { index, reason };

    let mut definition: Value =
        serde_json::from_str(text).map_err(|e| broken(JsonSyntax::from(&e).to_string()))?;
    let common_rules = common
        .and_then(|c| c.get("rules"))
        .and_then(Value::as_array);
    let own_rules = definition.get_mut("rules").and_then(Value::as_array_mut);
    if let (Some(common_rules), Some(own_rules)) = (common_rules, own_rules) {
        own_rules.splice(0..0, common_rules.iter().cloned());
    }
    RecordType::from_definition_json(definition.to_string().as_bytes())
        .map_err(|e| broken(e.to_string()))
}

fn load_all() -> Result<Vec<RecordType>, BuiltinError> {
    let common: Value = serde_json::from_str(FHIR_COMMON).map_err(|e| BuiltinError {
        index: usize::MAX,
        reason: JsonSyntax::from(&e).to_string(),
    })?;

    let fhir = FHIR_DEFINITIONS.iter().map(|text| (*text, Some(&common)));
    let other = OTHER_DEFINITIONS.iter().map(|text| (*text, None));
    fhir.chain(other)
        .enumerate()
        .map(|(index, (text, common))| load(index, text, common))
        .collect()
}

/// Every built-in record type: the ten FHIR R4 types, then `shopify.order`.
///
/// # Panics
///
/// Only if a compiled-in definition is broken, which the crate's tests rule out.
pub fn builtin_types() -> &'static [RecordType] {
    static TYPES: OnceLock<Vec<RecordType>> = OnceLock::new();
    TYPES.get_or_init(|| match load_all() {
        Ok(types) => types,
        // The definitions are part of the source code, not input; a failure is a bug in this
        // crate that the tests catch before release.
        Err(error) => panic!("{error}"),
    })
}

/// The built-in type called `name`, such as `fhir.Observation`.
pub fn builtin_type(name: &str) -> Option<&'static RecordType> {
    builtin_types()
        .iter()
        .find(|record_type| record_type.name().as_str() == name)
}

/// The built-in type for a FHIR resource type, such as `Observation` → `fhir.Observation`.
pub fn fhir_type(resource_type: &str) -> Option<&'static RecordType> {
    builtin_types().iter().find(|record_type| {
        record_type.name().as_str().strip_prefix("fhir.") == Some(resource_type)
    })
}

#[cfg(test)]
mod tests;
