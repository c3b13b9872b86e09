//! Record types: which category each part of a document belongs to.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

use serde_json::Value;

use crate::attributes::{AttributeList, AttributeMap};
use crate::classification::Classification;
use crate::path::{LeafPath, PathStep};
use crate::pattern::{PathPattern, nodes_along};
use crate::search::SearchField;

/// The name of a record type, such as `fhir.Patient`, `shopify.order` or `acme.intake_form`.
///
/// Two or more segments separated by dots, 3 to 64 characters in all; each segment starts with
/// an ASCII letter and continues with ASCII letters, digits, `_` or `-`. The first segment is
/// the namespace: `fhir`, `shopify` and `phiguard` belong to the built-in types.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RecordTypeName(Box<str>);

/// Why a record type name is invalid. Names the rule, never the rejected text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RecordTypeNameError {
    /// Shorter than 3 or longer than 64 characters.
    #[error("a record type name must be between 3 and 64 characters long")]
    Length,
    /// Fewer than two segments, or an empty segment.
    #[error("a record type name must be a namespace and a name separated by `.`, like acme.intake")]
    Segments,
    /// A segment starts with something other than a letter or holds another character.
    #[error(
        "each segment of a record type name must start with an ASCII letter and hold only ASCII \
         letters, digits, `_` and `-`"
    )]
    Alphabet,
}

impl RecordTypeName {
    /// The namespaces reserved for built-in record types.
    pub const RESERVED_NAMESPACES: [&'static str; 3] = ["fhir", "shopify", "phiguard"];

    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The first segment: `fhir` for `fhir.Patient`.
    pub fn namespace(&self) -> &str {
        self.0.split('.').next().unwrap_or_default()
    }

    /// Whether the namespace is one of [`RecordTypeName::RESERVED_NAMESPACES`].
    pub fn is_reserved(&self) -> bool {
        Self::RESERVED_NAMESPACES.contains(&self.namespace())
    }
}

impl FromStr for RecordTypeName {
    type Err = RecordTypeNameError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        if !(3..=64).contains(&text.len()) {
            return Err(RecordTypeNameError::Length);
        }
        let segments: Vec<&str> = text.split('.').collect();
        if segments.len() < 2 || segments.iter().any(|segment| segment.is_empty()) {
            return Err(RecordTypeNameError::Segments);
        }
        let valid_segment = |segment: &&str| {
            segment.starts_with(|c: char| c.is_ascii_alphabetic())
                && segment
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        };
        if !segments.iter().all(valid_segment) {
            return Err(RecordTypeNameError::Alphabet);
        }
        Ok(RecordTypeName(text.into()))
    }
}

impl fmt::Display for RecordTypeName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for RecordTypeName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RecordTypeName({})", self.0)
    }
}

/// One rule of a record type: leaves whose path matches `pattern` have `classification`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldRule {
    /// Which leaves the rule covers.
    pub pattern: PathPattern,
    /// What those leaves are.
    pub classification: Classification,
}

/// A record type: a name, a description, ordered classification rules, the attribute lists a
/// tenant may map, and the declared search fields.
///
/// Rules are tried in order and the first that matches decides; a leaf that no rule matches is
/// `free_text`. Classification looks at the whole document, because selectors such as
/// `identifier[system=…]` look at a leaf's siblings.
#[derive(Debug, Clone)]
pub struct RecordType {
    name: RecordTypeName,
    description: String,
    rules: Vec<FieldRule>,
    attribute_lists: Vec<AttributeList>,
    search_fields: Vec<SearchField>,
    index: RuleIndex,
}

/// Rule positions grouped by the first key a rule requires, so that a leaf under `code` is not
/// tried against the rules for `name`, `address` and the rest.
#[derive(Debug, Clone, Default)]
struct RuleIndex {
    by_leading_key: HashMap<Box<str>, Box<[u32]>>,
    /// Rules that can match under any first key (they start with `*` or `**`).
    unkeyed: Box<[u32]>,
}

impl RuleIndex {
    fn build(rules: &[FieldRule]) -> Self {
        let mut keyed: HashMap<Box<str>, Vec<u32>> = HashMap::new();
        let mut unkeyed = Vec::new();
        for (position, rule) in (0u32..).zip(rules) {
            match rule.pattern.leading_key() {
                Some(key) => keyed.entry(key.into()).or_default().push(position),
                None => unkeyed.push(position),
            }
        }

        // Each key's list also holds the unkeyed rules, merged in rule order, so that a lookup
        // is one list and first-match-wins still holds.
        let by_leading_key = keyed
            .into_iter()
            .map(|(key, mut positions)| {
                positions.extend_from_slice(&unkeyed);
                positions.sort_unstable();
                (key, positions.into_boxed_slice())
            })
            .collect();
        RuleIndex {
            by_leading_key,
            unkeyed: unkeyed.into_boxed_slice(),
        }
    }

    fn candidates(&self, steps: &[PathStep]) -> &[u32] {
        steps
            .first()
            .and_then(PathStep::as_key)
            .and_then(|key| self.by_leading_key.get(key))
            .unwrap_or(&self.unkeyed)
    }
}

impl RecordType {
    /// A record type from its parts. Rules keep their order; search field names must be
    /// unique, which the definition parser checks and this constructor trusts.
    pub fn new(
        name: RecordTypeName,
        description: impl Into<String>,
        rules: Vec<FieldRule>,
        attribute_lists: Vec<AttributeList>,
        search_fields: Vec<SearchField>,
    ) -> Self {
        let index = RuleIndex::build(&rules);
        RecordType {
            name,
            description: description.into(),
            rules,
            attribute_lists,
            search_fields,
            index,
        }
    }

    /// The type's name.
    pub fn name(&self) -> &RecordTypeName {
        &self.name
    }

    /// What documents of this type are, in a sentence or two.
    pub fn description(&self) -> &str {
        &self.description
    }

    /// The classification rules, in the order they are tried.
    pub fn rules(&self) -> &[FieldRule] {
        &self.rules
    }

    /// The arrays of label/value pairs a tenant can map with [`RecordType::with_attribute_map`].
    pub fn attribute_lists(&self) -> &[AttributeList] {
        &self.attribute_lists
    }

    /// The declared search fields.
    pub fn search_fields(&self) -> &[SearchField] {
        &self.search_fields
    }

    /// The search field called `name`, if the type declares one.
    pub fn search_field(&self, name: &str) -> Option<&SearchField> {
        self.search_fields
            .iter()
            .find(|field| field.name().as_str() == name)
    }

    /// The classification of the leaf at `path` in `document`.
    pub fn classify(&self, document: &Value, path: &LeafPath) -> Classification {
        let mut nodes = nodes_along(document, path.steps());
        nodes.resize(path.len() + 1, &Value::Null);
        self.classify_site(path.steps(), &nodes)
    }

    /// The rule that decides the leaf at `path` in `document`, or `None` when no rule matches
    /// and the leaf is `free_text` by default. Reports use it to find unmapped fields.
    pub fn matching_rule(&self, document: &Value, path: &LeafPath) -> Option<&FieldRule> {
        let mut nodes = nodes_along(document, path.steps());
        nodes.resize(path.len() + 1, &Value::Null);
        self.rule_for_site(path.steps(), &nodes)
    }

    fn rule_for_site(&self, steps: &[PathStep], nodes: &[&Value]) -> Option<&FieldRule> {
        self.index
            .candidates(steps)
            .iter()
            .map(|&position| &self.rules[position as usize])
            .find(|rule| rule.pattern.matches_site(steps, nodes))
    }

    /// The classification of a leaf reached by `steps`, with `nodes` the values along the way
    /// (see [`crate::walk::LeafSite`]).
    pub(crate) fn classify_site(&self, steps: &[PathStep], nodes: &[&Value]) -> Classification {
        self.rule_for_site(steps, nodes)
            .map_or(Classification::UNMATCHED, |rule| rule.classification)
    }

    /// The effective type for a tenant: `map`'s labels, applied to every attribute list of
    /// this type, become rules placed before all of the type's own rules.
    ///
    /// For `shopify.order` a map entry `"Date of Birth" → birthdate` adds rules for
    /// `note_attributes[name~=date of birth].value` and
    /// `line_items[*].properties[name~=date of birth].value`. Types without attribute lists
    /// come back unchanged.
    pub fn with_attribute_map(&self, map: &AttributeMap) -> RecordType {
        let mut rules = Vec::with_capacity(self.rules.len() + map.len());
        for list in &self.attribute_lists {
            rules.extend(list.rules_for(map));
        }
        rules.extend(self.rules.iter().cloned());
        RecordType::new(
            self.name.clone(),
            self.description.clone(),
            rules,
            self.attribute_lists.clone(),
            self.search_fields.clone(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use phiguard_core::Category;
    use serde_json::json;

    fn rule(pattern: &str, classification: Classification) -> FieldRule {
        FieldRule {
            pattern: pattern.parse().unwrap(),
            classification,
        }
    }

    #[test]
    fn names_are_validated() {
        for ok in [
            "fhir.Patient",
            "shopify.order",
            "acme.intake_form",
            "a.b-c.d9",
        ] {
            assert!(ok.parse::<RecordTypeName>().is_ok(), "{ok}");
        }
        let cases = [
            ("ab", RecordTypeNameError::Length),
            ("patient", RecordTypeNameError::Segments),
            ("acme..x", RecordTypeNameError::Segments),
            ("acme.", RecordTypeNameError::Segments),
            ("acme.9lives", RecordTypeNameError::Alphabet),
            ("acme.intake form", RecordTypeNameError::Alphabet),
            ("acmé.x", RecordTypeNameError::Alphabet),
        ];
        for (bad, error) in cases {
            assert_eq!(bad.parse::<RecordTypeName>(), Err(error), "{bad}");
        }
        assert_eq!(
            "x".repeat(65).parse::<RecordTypeName>(),
            Err(RecordTypeNameError::Length)
        );

        let name: RecordTypeName = "fhir.Patient".parse().unwrap();
        assert_eq!(name.namespace(), "fhir");
        assert!(name.is_reserved());
        assert!(!"acme.form".parse::<RecordTypeName>().unwrap().is_reserved());
    }

    #[test]
    fn first_matching_rule_wins_and_unmatched_is_free_text() {
        let record_type = RecordType::new(
            "acme.form".parse().unwrap(),
            "test",
            vec![
                rule("**.secret", Classification::Phi(Category::Identifier)),
                rule("a.secret", Classification::NotPhi),
                rule("a.*", Classification::Phi(Category::Clinical)),
                rule("a.b", Classification::NotPhi),
                rule("*", Classification::NotPhi),
            ],
            vec![],
            vec![],
        );
        let doc = json!({"a": {"b": 1, "secret": 2, "c": [3]}, "top": 4});
        let classify = |path: &str| record_type.classify(&doc, &path.parse().unwrap());

        assert_eq!(
            classify("a.secret"),
            Classification::Phi(Category::Identifier)
        );
        assert_eq!(classify("a.b"), Classification::Phi(Category::Clinical));
        assert_eq!(classify("top"), Classification::NotPhi);
        assert_eq!(classify("a.c[0]"), Classification::UNMATCHED);
    }
}
