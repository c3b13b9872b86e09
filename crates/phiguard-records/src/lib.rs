//! Record types, PHI classification of JSON documents, masking and the import formats (FHIR R4
//! bundles, Shopify orders): the pure, I/O-free half of phiguard's vault.
//!
//! The vault stores every record as one ciphertext per PHI category. This crate decides what
//! goes into each: a [`RecordType`] classifies every leaf of a JSON document (first matching
//! [`FieldRule`] wins; unmatched leaves are `free_text`, never safe), [`split()`] turns the
//! document into one [`Fragment`] per [`Part`], and [`reassemble()`] rebuilds it from the parts
//! the vault decrypted, [masking](mask()) the categories disclosed `masked`. On the read path,
//! [`reassemble_encoded`] and [`reassemble_encoded_json`] go from the decrypted bytes straight
//! to a document or to JSON text, without decoding into owned fragments first.
//!
//! ```text
//! document ──split(type)──► structure │ identifier │ name │ … │ free_text
//!                               │           │         │            │
//!                            encode()    encode()  encode()     encode()      this crate
//!                               ▼           ▼         ▼            ▼
//!                           ciphertext  ciphertext ciphertext  ciphertext     the vault
//!                               │           │         ╳            │          withheld: not opened
//!                               └──reassemble_encoded(disclosures)─┘          masked: mask()
//!                                           ▼
//!                                   disclosed document
//! ```
//!
//! Beside that: [`search_terms`] picks and normalises the values the vault blind-indexes, and
//! [`normalize`] normalises a query the same way; [`fhir::parse_bundle`] and
//! [`shopify::parse_order`] turn import files into records about subjects; [`synthetic`]
//! generates fictional Synthea-shaped patients and Shopify orders for tests and benchmarks.
//!
//! | module | owns |
//! | --- | --- |
//! | [`pattern`] | the path language of rules (`identifier[system=…].value`, `text.**`) |
//! | [`record_type`], [`definition`] | record types and their JSON definitions |
//! | [`builtin`] | the built-in types (FHIR R4, `shopify.order`) |
//! | [`attributes`] | tenant mappings of form labels (`"Date of Birth"` → birthdate) |
//! | [`mod@split`], [`fragment`] | splitting, reassembly, the fragment encoding |
//! | [`mod@mask`] | the reduced forms of `masked` disclosures |
//! | [`search`] | search fields, normalisers, search terms |
//! | [`fhir`], [`shopify`] | import formats |
//! | [`synthetic`] | fictional test data |
//!
//! # What this crate refuses to do
//!
//! - No I/O, no keys, no encryption: fragments leave as plaintext bytes for the vault to seal.
//! - No guessing: a leaf no rule covers is `free_text`, and patterns must spell out every array
//!   (`name[*].given[*]`), so data of an unexpected shape is never classified by accident.
//! - No PHI in errors or `Debug` output: errors name positions (`rules[3]`, bundle entry 12,
//!   byte 40), and fragments, search terms and imports print without their values.
//! - No PHI in object keys: paths travel with every fragment, the structure part's included,
//!   so record types whose documents use personal data as keys are not supported.
//! - No de-identification: masking gives the reduced forms the vault discloses to a `masked`
//!   grant (initials, birth year, last four, ZIP3), not a HIPAA Safe Harbor data set.
//!
//! # Example
//!
//! ```
//! use phiguard_core::{Category, Disclosure, Disclosures};
//! use phiguard_records::{Fragment, Part, builtin_type, reassemble, split};
//! use serde_json::json;
//!
//! let patient_type = builtin_type("fhir.Patient").unwrap();
//! let patient = json!({
//!     "resourceType": "Patient",
//!     "name": [{"use": "official", "family": "Roe", "given": ["Jane"]}],
//!     "birthDate": "1984-03-09",
//!     "gender": "female"
//! });
//!
//! // The vault encrypts each fragment's bytes under its own category.
//! let record = split(patient_type, &patient).unwrap();
//! let stored: Vec<(Part, Vec<u8>)> =
//!     record.parts().iter().map(|(part, fragment)| (*part, fragment.encode())).collect();
//!
//! // A support agent may see names and birth dates masked, and nothing else.
//! let mut disclosures = Disclosures::withhold_all();
//! disclosures.set(Category::Name, Disclosure::Masked);
//! disclosures.set(Category::Birthdate, Disclosure::Masked);
//! let opened = stored.iter().filter(|(part, _)| match part {
//!     Part::Structure => true,
//!     Part::Phi(category) => disclosures.get(*category) != Disclosure::Withheld,
//! });
//! let parts = opened.map(|(part, bytes)| (*part, Fragment::decode(bytes).unwrap()));
//!
//! assert_eq!(
//!     reassemble(parts, &disclosures),
//!     json!({
//!         "resourceType": "Patient",
//!         "name": [{"use": "official", "family": "R.", "given": ["J."]}],
//!         "birthDate": "1984"
//!     })
//! );
//! ```

pub mod attributes;
pub mod builtin;
pub mod classification;
pub mod definition;
pub mod fhir;
pub mod fragment;
mod json_error;
mod json_writer;
pub mod mask;
pub mod path;
pub mod pattern;
mod reassemble;
pub mod record_type;
pub mod search;
pub mod shopify;
pub mod split;
pub mod synthetic;
mod walk;

pub use attributes::{AttributeList, AttributeMap, AttributeMapError};
pub use builtin::{builtin_type, builtin_types, fhir_type};
pub use classification::Classification;
pub use definition::DefinitionError;
pub use fragment::{FRAGMENT_FORMAT_VERSION, Fragment, FragmentError, Leaf, LeafValue, Part};
pub use json_error::JsonSyntax;
pub use mask::mask;
pub use path::{LeafPath, PathStep};
pub use pattern::{PathPattern, PatternError};
pub use reassemble::{reassemble, reassemble_encoded, reassemble_encoded_json};
pub use record_type::{FieldRule, RecordType, RecordTypeName};
pub use search::{
    NormalizeError, Normalizer, SearchField, SearchFieldName, SearchTerm, normalize, search_terms,
};
pub use split::{SplitError, SplitRecord, split};
pub use walk::MAX_DEPTH;
