//! Splitting a document into per-part fragments, and putting it back together.

use phiguard_core::{Category, Disclosures};
use serde_json::Value;

use crate::classification::Classification;
use crate::fragment::{Fragment, Leaf, LeafValue, Part};
use crate::path::LeafPath;
use crate::reassemble::reassemble;
use crate::record_type::RecordType;
use crate::walk::{MAX_DEPTH, walk_leaves};

/// A document split by a record type: one fragment per part present, in [`Part`] order.
///
/// Parts with no leaves are absent. Empty objects and arrays go to [`Part::Structure`] (they
/// hold no value), so that they survive the round trip.
#[derive(Debug, Clone, PartialEq)]
pub struct SplitRecord {
    parts: Vec<(Part, Fragment)>,
}

/// Why a document cannot be split.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SplitError {
    /// The top-level value is not an object.
    #[error("a record must be a JSON object, but the document is {found}")]
    NotAnObject {
        /// What it is instead: `an array`, `a string`, ….
        found: &'static str,
    },
    /// The document nests deeper than [`MAX_DEPTH`].
    #[error("the document nests deeper than {limit} levels, the most a record may have")]
    TooDeep {
        /// The limit.
        limit: usize,
    },
}

impl SplitRecord {
    /// The parts present, in [`Part`] order, each with its fragment.
    pub fn parts(&self) -> &[(Part, Fragment)] {
        &self.parts
    }

    /// The fragment of `part`, if the document has leaves in it.
    pub fn get(&self, part: Part) -> Option<&Fragment> {
        self.parts
            .iter()
            .find(|(p, _)| *p == part)
            .map(|(_, fragment)| fragment)
    }

    /// The PHI categories present.
    pub fn categories(&self) -> impl Iterator<Item = Category> + '_ {
        self.parts.iter().filter_map(|(part, _)| match part {
            Part::Phi(category) => Some(*category),
            Part::Structure => None,
        })
    }

    /// The parts, taking ownership.
    pub fn into_parts(self) -> Vec<(Part, Fragment)> {
        self.parts
    }

    /// The document as `disclosures` allow (see [`reassemble`](crate::reassemble())).
    pub fn reassemble(&self, disclosures: &Disclosures) -> Value {
        reassemble(self.parts.iter().cloned(), disclosures)
    }
}

fn describe(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Splits `document` into one fragment per part, classifying every leaf with `record_type`.
pub fn split(record_type: &RecordType, document: &Value) -> Result<SplitRecord, SplitError> {
    if !document.is_object() {
        return Err(SplitError::NotAnObject {
            found: describe(document),
        });
    }

    let mut buckets: [Vec<Leaf>; Part::ALL.len()] = Default::default();
    walk_leaves(document, &mut |site| {
        let value = site.value();
        let (part, leaf_value) = match LeafValue::from_json(value) {
            Some(empty @ (LeafValue::EmptyObject | LeafValue::EmptyArray)) => {
                (Part::Structure, empty)
            }
            Some(scalar) => {
                let part = match record_type.classify_site(site.steps, site.nodes) {
                    Classification::NotPhi => Part::Structure,
                    Classification::Phi(category) => Part::Phi(category),
                };
                (part, scalar)
            }
            None => return,
        };
        let path = LeafPath::from_steps(site.steps.to_vec());
        buckets[part.index()].push(Leaf {
            path,
            value: leaf_value,
        });
    })
    .map_err(|_| SplitError::TooDeep { limit: MAX_DEPTH })?;

    let parts = Part::ALL
        .into_iter()
        .zip(buckets)
        .filter(|(_, leaves)| !leaves.is_empty())
        .map(|(part, leaves)| (part, Fragment::new(leaves)))
        .collect();
    Ok(SplitRecord { parts })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reassemble::{reassemble_encoded, reassemble_encoded_json};
    use crate::record_type::FieldRule;
    use phiguard_core::Disclosure;
    use proptest::prelude::*;
    use serde_json::json;

    fn record_type(rules: &[(&str, Classification)]) -> RecordType {
        let rules = rules
            .iter()
            .map(|(pattern, classification)| FieldRule {
                pattern: pattern.parse().unwrap(),
                classification: *classification,
            })
            .collect();
        RecordType::new("test.doc".parse().unwrap(), "test", rules, vec![], vec![])
    }

    fn all_clear() -> Disclosures {
        Disclosures::uniform(Disclosure::Clear)
    }

    fn person_type() -> RecordType {
        record_type(&[
            ("kind", Classification::NotPhi),
            ("names[*].use", Classification::NotPhi),
            ("names[*].family", Classification::Phi(Category::Name)),
            ("names[*].given[*]", Classification::Phi(Category::Name)),
            ("born", Classification::Phi(Category::Birthdate)),
        ])
    }

    fn person() -> Value {
        json!({
            "kind": "person",
            "names": [
                {"use": "official", "family": "Fadel", "given": ["Eddy", "Jörg"]},
                {"use": "maiden", "family": "Kling", "given": []}
            ],
            "born": "1976-01-16",
            "note": "likes tea",
            "extra": {}
        })
    }

    #[test]
    fn leaves_go_to_their_parts() {
        let split = split(&person_type(), &person()).unwrap();
        let parts: Vec<Part> = split.parts().iter().map(|(part, _)| *part).collect();
        assert_eq!(
            parts,
            [
                Part::Structure,
                Part::Phi(Category::Name),
                Part::Phi(Category::Birthdate),
                Part::Phi(Category::FreeText)
            ]
        );
        let structure: Vec<String> = split
            .get(Part::Structure)
            .unwrap()
            .leaves()
            .iter()
            .map(|leaf| leaf.path.to_string())
            .collect();
        assert_eq!(
            structure,
            [
                "extra",
                "kind",
                "names[0].use",
                "names[1].given",
                "names[1].use"
            ]
        );
        assert_eq!(split.get(Part::Phi(Category::Name)).unwrap().len(), 4);
        assert_eq!(split.categories().count(), 3);
    }

    #[test]
    fn everything_clear_gives_the_document_back() {
        let split = split(&person_type(), &person()).unwrap();
        assert_eq!(split.reassemble(&all_clear()), person());
    }

    #[test]
    fn withheld_parts_vanish_and_arrays_compact() {
        let mut disclosures = Disclosures::withhold_all();
        disclosures.set(Category::Birthdate, Disclosure::Masked);
        let split = split(&person_type(), &person()).unwrap();
        assert_eq!(
            split.reassemble(&disclosures),
            json!({
                "kind": "person",
                "names": [{"use": "official"}, {"use": "maiden", "given": []}],
                "born": "1976",
                "extra": {}
            })
        );

        let only_second = vec![
            Leaf {
                path: "a[1].x".parse().unwrap(),
                value: LeafValue::Bool(true),
            },
            Leaf {
                path: "a[3]".parse().unwrap(),
                value: LeafValue::Null,
            },
        ];
        let rebuilt = reassemble(
            [(Part::Structure, Fragment::new(only_second))],
            &all_clear(),
        );
        assert_eq!(rebuilt, json!({"a": [{"x": true}, null]}));
    }

    #[test]
    fn masked_names_become_initials() {
        let mut disclosures = Disclosures::withhold_all();
        disclosures.set(Category::Name, Disclosure::Masked);
        let rebuilt = split(&person_type(), &person())
            .unwrap()
            .reassemble(&disclosures);
        assert_eq!(rebuilt["names"][0]["given"], json!(["E.", "J."]));
        assert_eq!(rebuilt["names"][1]["family"], "K.");
        assert!(rebuilt.get("note").is_none());
    }

    #[test]
    fn encoded_reassembly_skips_withheld_parts_and_reports_bad_bytes() {
        let split = split(&person_type(), &person()).unwrap();
        let structure = split.get(Part::Structure).unwrap().encode();
        let garbage = [9u8, 9, 9];
        let mut disclosures = Disclosures::withhold_all();
        let parts = [
            (Part::Structure, structure.as_slice()),
            (Part::Phi(Category::Name), &garbage[..]),
        ];
        let rebuilt = reassemble_encoded(&parts, &disclosures).unwrap();
        assert_eq!(rebuilt["kind"], "person");

        disclosures.set(Category::Name, Disclosure::Clear);
        assert_eq!(
            reassemble_encoded(&parts, &disclosures),
            Err(crate::fragment::FragmentError::UnsupportedVersion { found: 9 })
        );
    }

    #[test]
    fn conflicting_fragments_keep_the_first_part() {
        let first = Fragment::new(vec![Leaf {
            path: "a".parse().unwrap(),
            value: LeafValue::Null,
        }]);
        let second = Fragment::new(vec![
            Leaf {
                path: "a".parse().unwrap(),
                value: LeafValue::Bool(true),
            },
            Leaf {
                path: "a.b".parse().unwrap(),
                value: LeafValue::Bool(true),
            },
            Leaf {
                path: "c[0]".parse().unwrap(),
                value: LeafValue::Bool(true),
            },
            Leaf {
                path: "c.d".parse().unwrap(),
                value: LeafValue::Bool(true),
            },
        ]);
        let parts = [
            (Part::Structure, first),
            (Part::Phi(Category::Name), second),
        ];
        let encoded: Vec<(Part, Vec<u8>)> = parts.iter().map(|(p, f)| (*p, f.encode())).collect();
        let borrowed: Vec<(Part, &[u8])> =
            encoded.iter().map(|(p, b)| (*p, b.as_slice())).collect();
        let rebuilt = reassemble(parts, &all_clear());
        // Keys sort before indices, so `c.d` makes `c` an object and `c[0]` is dropped.
        assert_eq!(rebuilt, json!({"a": null, "c": {"d": true}}));
        assert_eq!(
            reassemble_encoded(&borrowed, &all_clear()).unwrap(),
            rebuilt
        );
        let text = reassemble_encoded_json(&borrowed, &all_clear()).unwrap();
        assert_eq!(text, serde_json::to_string(&rebuilt).unwrap());
    }

    #[test]
    fn unsorted_fragments_are_sorted_before_building() {
        let leaf = |path: &str, n: u64| Leaf {
            path: path.parse().unwrap(),
            value: LeafValue::Number(n.into()),
        };
        let fragment = Fragment::unsorted(vec![leaf("b[1]", 2), leaf("a", 1), leaf("b[0]", 3)]);
        let bytes = fragment.encode();
        let parts = [(Part::Structure, bytes.as_slice())];
        let expected = json!({"a": 1, "b": [3, 2]});
        assert_eq!(reassemble_encoded(&parts, &all_clear()).unwrap(), expected);
        let text = reassemble_encoded_json(&parts, &all_clear()).unwrap();
        assert_eq!(text, r#"{"a":1,"b":[3,2]}"#);
        assert_eq!(
            reassemble([(Part::Structure, fragment)], &all_clear()),
            expected
        );
    }

    #[test]
    fn only_objects_can_be_split() {
        let record_type = person_type();
        assert_eq!(
            split(&record_type, &json!([1])),
            Err(SplitError::NotAnObject { found: "an array" })
        );
        assert!(
            split(&record_type, &json!("x"))
                .unwrap_err()
                .to_string()
                .contains("a string")
        );
        let mut deep = json!(1);
        for _ in 0..=MAX_DEPTH {
            deep = json!({ "d": deep });
        }
        assert_eq!(
            split(&record_type, &deep),
            Err(SplitError::TooDeep { limit: MAX_DEPTH })
        );
        assert!(split(&record_type, &json!({})).unwrap().parts().is_empty());
        assert_eq!(
            split(&record_type, &json!({}))
                .unwrap()
                .reassemble(&all_clear()),
            json!({})
        );
    }

    fn arbitrary_json() -> impl Strategy<Value = Value> {
        let scalar = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(|n| json!(n)),
            any::<u64>().prop_map(|n| json!(n)),
            any::<f64>().prop_filter_map("finite", |f| serde_json::Number::from_f64(f)
                .map(Value::Number)),
            ".{0,8}".prop_map(Value::String),
        ];
        scalar.prop_recursive(6, 64, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                prop::collection::btree_map("[a-c]{0,2}|.{0,4}", inner, 0..6)
                    .prop_map(|map| Value::Object(map.into_iter().collect())),
            ]
        })
    }

    fn arbitrary_document() -> impl Strategy<Value = Value> {
        prop::collection::btree_map(".{0,4}", arbitrary_json(), 0..6)
            .prop_map(|map| Value::Object(map.into_iter().collect()))
    }

    proptest! {
        #[test]
        fn split_then_reassemble_in_the_clear_is_the_identity(document in arbitrary_document()) {
            let record_type = record_type(&[
                ("a.**", Classification::NotPhi),
                ("*", Classification::Phi(Category::Name)),
                ("**.b", Classification::Phi(Category::Clinical)),
            ]);
            let split = split(&record_type, &document).unwrap();
            prop_assert_eq!(split.reassemble(&all_clear()), document.clone());

            // And the same through the byte encoding, parts given in reverse order.
            let decoded: Vec<(Part, Fragment)> = split
                .parts()
                .iter()
                .rev()
                .map(|(part, fragment)| (*part, Fragment::decode(&fragment.encode()).unwrap()))
                .collect();
            prop_assert_eq!(reassemble(decoded, &all_clear()), document.clone());

            // And straight from the bytes, the read path's fast form.
            let encoded: Vec<(Part, Vec<u8>)> =
                split.parts().iter().map(|(part, f)| (*part, f.encode())).collect();
            let borrowed: Vec<(Part, &[u8])> =
                encoded.iter().map(|(part, bytes)| (*part, bytes.as_slice())).collect();
            prop_assert_eq!(reassemble_encoded(&borrowed, &all_clear()).unwrap(), document.clone());
            // Compared as text: serde_json's default parser may be one ULP off on floats.
            let text = reassemble_encoded_json(&borrowed, &all_clear()).unwrap();
            prop_assert_eq!(text, serde_json::to_string(&document).unwrap());
        }

        #[test]
        fn both_reassembly_paths_agree_under_masking(document in arbitrary_document()) {
            let record_type = record_type(&[
                ("a.**", Classification::NotPhi),
                ("*", Classification::Phi(Category::Name)),
                ("**.b", Classification::Phi(Category::Identifier)),
                ("**.c", Classification::Phi(Category::Clinical)),
            ]);
            let mut disclosures = Disclosures::withhold_all();
            disclosures.set(Category::Name, Disclosure::Masked);
            disclosures.set(Category::Identifier, Disclosure::Masked);
            disclosures.set(Category::Clinical, Disclosure::Clear);

            let split = split(&record_type, &document).unwrap();
            let encoded: Vec<(Part, Vec<u8>)> =
                split.parts().iter().map(|(part, f)| (*part, f.encode())).collect();
            let borrowed: Vec<(Part, &[u8])> =
                encoded.iter().map(|(part, bytes)| (*part, bytes.as_slice())).collect();
            let expected = split.reassemble(&disclosures);
            prop_assert_eq!(reassemble_encoded(&borrowed, &disclosures).unwrap(), expected.clone());
            let text = reassemble_encoded_json(&borrowed, &disclosures).unwrap();
            prop_assert_eq!(text, serde_json::to_string(&expected).unwrap());
        }

        #[test]
        fn withholding_everything_leaves_no_value_behind(document in arbitrary_document()) {
            let record_type = record_type(&[("*", Classification::Phi(Category::Name))]);
            let split = split(&record_type, &document).unwrap();
            let rebuilt = split.reassemble(&Disclosures::withhold_all());
            let again = crate::split::split(&record_type, &rebuilt).unwrap();
            prop_assert!(again.get(Part::Phi(Category::Name)).is_none());
            let free_text = Part::Phi(Category::FreeText);
            prop_assert!(again.get(free_text).is_none());
        }
    }
}
