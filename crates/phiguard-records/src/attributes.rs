//! Tenant mappings for form fields that storefronts collect as label/value pairs.
//!
//! A Shopify checkout stores what the buyer typed into custom fields as `note_attributes`
//! (`[{"name": "Date of Birth", "value": "1984-03-09"}]`) and line-item `properties`. The labels
//! are the tenant's own, so the built-in type cannot know that "Date of Birth" is a birth date:
//! every such value is `free_text` until the tenant says otherwise with an [`AttributeMap`].

use std::collections::BTreeMap;

use serde_json::Value;

use crate::classification::Classification;
use crate::pattern::{PathPattern, label_key};
use crate::record_type::FieldRule;

/// An array of label/value objects in a record type, such as Shopify's `note_attributes`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttributeList {
    array: PathPattern,
    label_key: String,
    value_key: String,
}

/// Why an attribute list declaration is invalid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AttributeListError {
    /// The array pattern ends in `**` or a selector, so rules cannot be appended to it.
    #[error("the array pattern must end with a key or `*`, not `**` or a selector")]
    ArrayPattern,
    /// The label or value key is empty or holds `.`, `[`, `]`, `*`, `~` or `=`.
    #[error(
        "the label and value keys must be non-empty and free of `.`, `[`, `]`, `*`, `~` and `=`"
    )]
    Key,
}

impl AttributeList {
    /// The list at `array` (a pattern for the array itself, such as `line_items[*].properties`)
    /// whose elements hold the label under `label_key` and the value under `value_key`.
    pub fn new(
        array: PathPattern,
        label_key: &str,
        value_key: &str,
    ) -> Result<Self, AttributeListError> {
        let ends_in_key = !array.as_str().ends_with("**") && !array.as_str().ends_with(']');
        if !ends_in_key {
            return Err(AttributeListError::ArrayPattern);
        }
        let plain = |key: &str| !key.is_empty() && !key.contains(['.', '[', ']', '*', '~', '=']);
        if !plain(label_key) || !plain(value_key) {
            return Err(AttributeListError::Key);
        }
        Ok(AttributeList {
            array,
            label_key: label_key.to_owned(),
            value_key: value_key.to_owned(),
        })
    }

    /// The pattern of the array itself.
    pub fn array(&self) -> &PathPattern {
        &self.array
    }

    /// The key that holds an element's label.
    pub fn label_key(&self) -> &str {
        &self.label_key
    }

    /// The key that holds an element's value.
    pub fn value_key(&self) -> &str {
        &self.value_key
    }

    /// One rule per map entry, in the map's order, classifying the value of elements whose
    /// label matches.
    pub(crate) fn rules_for<'m>(
        &'m self,
        map: &'m AttributeMap,
    ) -> impl Iterator<Item = FieldRule> + 'm {
        map.entries
            .iter()
            .filter_map(move |(label, classification)| {
                let text = format!(
                    "{}[{}~={label}].{}",
                    self.array, self.label_key, self.value_key
                );
                // Labels were checked to be free of `]` and to be non-empty, so the text always
                // parses; a failure would only drop a rule, leaving the value free_text.
                let pattern = text.parse().ok()?;
                Some(FieldRule {
                    pattern,
                    classification: *classification,
                })
            })
    }
}

/// A tenant's classification of its form labels: `"Date of Birth" → birthdate`,
/// `"Prescription" → clinical`, `"Gift wrap" → not_phi`.
///
/// Labels match case-insensitively after trimming and collapsing runs of whitespace, so
/// `"date  of birth "` in an order matches an entry for `"Date of Birth"`. Mapping a label to
/// `not_phi` is the tenant vouching that the value never holds PHI.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AttributeMap {
    /// Label keys (see [`label_key`]) with their classification, in insertion order; a later
    /// entry for the same label replaces the earlier one.
    entries: Vec<(String, Classification)>,
}

/// Why a tenant attribute map is invalid. Names the entry, never the label text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AttributeMapError {
    /// The map is not a JSON object from label to classification.
    #[error("an attribute map must be a JSON object from form label to classification")]
    NotAnObject,
    /// A label is empty (after trimming) or contains `]` or a control character.
    #[error(
        "attribute map entry {index}: the label must be 1 to {max} characters, without `]` or \
         control characters",
        max = AttributeMap::MAX_LABEL_CHARS
    )]
    Label {
        /// The entry's position, counting from 0.
        index: usize,
    },
    /// A classification is not `not_phi` or a category name.
    #[error(
        "attribute map entry {index}: the classification must be a string, not_phi or one of \
         identifier, name, contact, address, birthdate, demographic, clinical, financial, free_text"
    )]
    Classification {
        /// The entry's position, counting from 0.
        index: usize,
    },
    /// More entries than [`AttributeMap::MAX_ENTRIES`].
    #[error("an attribute map may hold at most {max} labels", max = AttributeMap::MAX_ENTRIES)]
    TooLarge,
}

impl AttributeMap {
    /// The most labels one map may hold.
    pub const MAX_ENTRIES: usize = 256;

    /// The longest label, in characters.
    pub const MAX_LABEL_CHARS: usize = 200;

    /// An empty map: every attribute value stays `free_text`.
    pub fn new() -> Self {
        AttributeMap::default()
    }

    /// Maps `label` to `classification`, replacing an earlier entry for the same label.
    /// `index` is only used to name the entry in an error.
    fn insert_at(
        &mut self,
        index: usize,
        label: &str,
        classification: Classification,
    ) -> Result<(), AttributeMapError> {
        let key = label_key(label);
        let valid = !key.is_empty()
            && key.chars().count() <= Self::MAX_LABEL_CHARS
            && !key.contains(|c: char| c == ']' || c.is_control());
        if !valid {
            return Err(AttributeMapError::Label { index });
        }

        if let Some(entry) = self
            .entries
            .iter_mut()
            .find(|(existing, _)| *existing == key)
        {
            entry.1 = classification;
            return Ok(());
        }
        if self.entries.len() == Self::MAX_ENTRIES {
            return Err(AttributeMapError::TooLarge);
        }
        self.entries.push((key, classification));
        Ok(())
    }

    /// Maps `label` to `classification`, replacing an earlier entry for the same label.
    pub fn insert(
        &mut self,
        label: &str,
        classification: Classification,
    ) -> Result<(), AttributeMapError> {
        self.insert_at(self.entries.len(), label, classification)
    }

    /// A map from a JSON object such as `{"Date of Birth": "birthdate"}`.
    pub fn from_json(value: &Value) -> Result<Self, AttributeMapError> {
        let Value::Object(object) = value else {
            return Err(AttributeMapError::NotAnObject);
        };
        let mut map = AttributeMap::new();
        for (index, (label, classification)) in object.iter().enumerate() {
            let classification = classification
                .as_str()
                .and_then(|text| text.parse().ok())
                .ok_or(AttributeMapError::Classification { index })?;
            map.insert_at(index, label, classification)?;
        }
        Ok(map)
    }

    /// The classification mapped for `label`, matched as a form label.
    pub fn get(&self, label: &str) -> Option<Classification> {
        let key = label_key(label);
        self.entries
            .iter()
            .find(|(existing, _)| *existing == key)
            .map(|(_, c)| *c)
    }

    /// How many labels the map holds.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the map holds no label.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The map as JSON, label keys (lowercase, single-spaced) to classification names.
    pub fn to_json(&self) -> Value {
        let object: BTreeMap<&str, &str> = self
            .entries
            .iter()
            .map(|(label, c)| (label.as_str(), c.as_str()))
            .collect();
        serde_json::json!(object)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use phiguard_core::Category;
    use serde_json::json;

    #[test]
    fn labels_match_as_form_labels_and_later_entries_win() {
        let mut map = AttributeMap::new();
        map.insert("Date of Birth", Classification::Phi(Category::Birthdate))
            .unwrap();
        map.insert(" date  OF birth", Classification::Phi(Category::Clinical))
            .unwrap();
        assert_eq!(map.len(), 1);
        assert_eq!(
            map.get("DATE OF BIRTH"),
            Some(Classification::Phi(Category::Clinical))
        );
        assert_eq!(map.get("Birth date"), None);
    }

    #[test]
    fn json_maps_are_validated_without_echoing_labels() {
        let map = AttributeMap::from_json(&json!({
            "Date of Birth": "birthdate", "Prescription": "clinical", "Gift wrap": "not_phi"
        }))
        .unwrap();
        assert_eq!(map.get("gift wrap"), Some(Classification::NotPhi));
        assert_eq!(map.to_json()["date of birth"], "birthdate");

        let error = AttributeMap::from_json(&json!({"Jane Roe's SSN": "ssn"})).unwrap_err();
        assert_eq!(error, AttributeMapError::Classification { index: 0 });
        assert!(!error.to_string().contains("Jane"));

        let bad_labels = [
            json!({"a]": "name"}),
            json!({"  ": "name"}),
            json!({"a\u{7}": "name"}),
        ];
        for bad in bad_labels {
            assert_eq!(
                AttributeMap::from_json(&bad),
                Err(AttributeMapError::Label { index: 0 })
            );
        }
        assert_eq!(
            AttributeMap::from_json(&json!([])),
            Err(AttributeMapError::NotAnObject)
        );
    }

    #[test]
    fn maps_are_bounded() {
        let mut map = AttributeMap::new();
        for n in 0..AttributeMap::MAX_ENTRIES {
            map.insert(&format!("label {n}"), Classification::NotPhi)
                .unwrap();
        }
        assert_eq!(
            map.insert("one more", Classification::NotPhi),
            Err(AttributeMapError::TooLarge)
        );
        assert!(
            map.insert("label 3", Classification::Phi(Category::Name))
                .is_ok()
        );
    }

    #[test]
    fn attribute_lists_generate_label_rules() {
        let list = AttributeList::new("line_items[*].properties".parse().unwrap(), "name", "value")
            .unwrap();
        let mut map = AttributeMap::new();
        map.insert("Prescription", Classification::Phi(Category::Clinical))
            .unwrap();
        let rules: Vec<_> = list.rules_for(&map).collect();
        assert_eq!(
            rules[0].pattern.as_str(),
            "line_items[*].properties[name~=prescription].value"
        );

        assert!(AttributeList::new("a.**".parse().unwrap(), "name", "value").is_err());
        assert!(AttributeList::new("a[*]".parse().unwrap(), "name", "value").is_err());
        assert!(AttributeList::new("a".parse().unwrap(), "na.me", "value").is_err());
    }
}
