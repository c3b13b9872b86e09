//! Record type definitions as JSON: the format of the built-in data files and of the custom
//! types tenants register.
//!
//! ```json
//! {
//!   "name": "acme.intake_form",
//!   "description": "Acme's telehealth intake form.",
//!   "rules": [
//!     {"path": "form_version", "category": "not_phi"},
//!     {"paths": ["patient.first", "patient.last"], "category": "name"},
//!     {"path": "answers[*].question", "category": "not_phi"},
//!     {"path": "answers[*].answer", "category": "free_text"}
//!   ],
//!   "attribute_lists": [{"path": "answers", "label": "question", "value": "answer"}],
//!   "search": [
//!     {"field": "email", "parts": [{"path": "patient.email", "normalizer": "email"}]}
//!   ]
//! }
//! ```
//!
//! `category` is `not_phi` or a PHI category name. A rule gives either `path` or `paths`, and
//! so does a search part (several paths feed the same part). `attribute_lists` and `search` may
//! be left out. Every error names the place in the definition (`rules[3].paths[1]`) and what is
//! wrong there; none quotes a value from the definition.

use serde_json::{Map, Value, json};

use crate::attributes::AttributeList;
use crate::classification::Classification;
use crate::json_error::JsonSyntax;
use crate::pattern::{PathPattern, PatternError};
use crate::record_type::{FieldRule, RecordType, RecordTypeName, RecordTypeNameError};
use crate::search::{SearchField, SearchFieldName, SearchPart};

/// Size limits on one definition, so that a tenant cannot make classification arbitrarily slow.
pub mod limits {
    /// The most path patterns across all rules.
    pub const RULE_PATHS: usize = 2_000;
    /// The most search fields.
    pub const SEARCH_FIELDS: usize = 64;
    /// The most parts in one search field.
    pub const PARTS: usize = 8;
    /// The most paths in one search part.
    pub const PART_PATHS: usize = 32;
    /// The most attribute lists.
    pub const ATTRIBUTE_LISTS: usize = 16;
    /// The longest pattern, in bytes.
    pub const PATTERN_BYTES: usize = 1_024;
    /// The longest description, in characters.
    pub const DESCRIPTION_CHARS: usize = 2_000;
}

/// Why a record type definition was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DefinitionError {
    /// The bytes are not JSON.
    #[error("the record type definition is not valid JSON: {0}")]
    NotJson(JsonSyntax),
    /// The name is invalid.
    #[error("the record type definition's `name` is invalid: {0}")]
    Name(RecordTypeNameError),
    /// A custom type uses a namespace reserved for built-in types.
    #[error(
        "the record type's namespace is reserved for built-in types; use your own, such as \
         acme.intake_form (reserved: fhir, shopify, phiguard)"
    )]
    ReservedNamespace,
    /// Something at `location` is wrong.
    #[error("{location}: {problem}")]
    Invalid {
        /// Where in the definition, such as `rules[3].paths[1]` or `(top level)`.
        location: String,
        /// What is wrong there.
        problem: Problem,
    },
}

/// What is wrong at one place of a definition.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Problem {
    /// Expected a JSON object.
    #[error("expected a JSON object")]
    NotAnObject,
    /// A key the schema does not know.
    #[error("unknown key; allowed keys here are {allowed}")]
    UnknownKey {
        /// The keys allowed at this place.
        allowed: &'static str,
    },
    /// A required key is missing or has the wrong JSON type.
    #[error("`{key}` is required and must be {expected}")]
    Required {
        /// The key.
        key: &'static str,
        /// The JSON type it must have, in words.
        expected: &'static str,
    },
    /// Both or neither of `path` and `paths`.
    #[error("give either `path` (one pattern) or `paths` (a non-empty list), not both")]
    PathChoice,
    /// A pattern failed to parse.
    #[error("not a valid path pattern ({0})")]
    Pattern(PatternError),
    /// A pattern is longer than the limit.
    #[error("the pattern is longer than {max} bytes", max = limits::PATTERN_BYTES)]
    PatternTooLong,
    /// The category is not `not_phi` or a category name.
    #[error(
        "`category` must be not_phi or one of identifier, name, contact, address, birthdate, \
         demographic, clinical, financial, free_text"
    )]
    Category,
    /// The normaliser is unknown.
    #[error("`normalizer` must be one of email, phone, digits, token, name, date")]
    Normalizer,
    /// The search field name is invalid.
    #[error(
        "`field` must be 1 to 64 lowercase ASCII letters, digits or `_`, starting with a letter"
    )]
    FieldName,
    /// Two search fields share a name.
    #[error("another search field already has this name")]
    DuplicateField,
    /// The description is empty or too long.
    #[error(
        "`description` must be between 1 and {max} characters",
        max = limits::DESCRIPTION_CHARS
    )]
    Description,
    /// An attribute list is malformed.
    #[error("{0}")]
    AttributeList(crate::attributes::AttributeListError),
    /// A list has more entries than allowed.
    #[error("at most {max} entries are allowed here")]
    TooMany {
        /// The limit.
        max: usize,
    },
}

fn invalid(location: impl Into<String>, problem: Problem) -> DefinitionError {
    DefinitionError::Invalid {
        location: location.into(),
        problem,
    }
}

const TOP_LEVEL: &str = "(top level)";

impl RecordType {
    /// Parses a definition in any namespace: how the built-in types are loaded.
    pub fn from_definition_json(json: &[u8]) -> Result<RecordType, DefinitionError> {
        let value: Value = serde_json::from_slice(json)
            .map_err(|error| DefinitionError::NotJson(JsonSyntax::from(&error)))?;
        parse_definition(&value)
    }

    /// Parses a tenant's custom type, refusing the namespaces of built-in types.
    pub fn custom_from_json(json: &[u8]) -> Result<RecordType, DefinitionError> {
        let record_type = RecordType::from_definition_json(json)?;
        if record_type.name().is_reserved() {
            return Err(DefinitionError::ReservedNamespace);
        }
        Ok(record_type)
    }

    /// The type as a definition, in the format [`RecordType::from_definition_json`] reads (one
    /// rule per pattern).
    pub fn definition_json(&self) -> Value {
        let rules: Vec<Value> = self
            .rules()
            .iter()
            .map(|rule| {
                let category = rule.classification.as_str();
                json!({"path": rule.pattern.as_str(), "category": category})
            })
            .collect();
        let attribute_lists: Vec<Value> = self
            .attribute_lists()
            .iter()
            .map(|list| {
                let (label, value) = (list.label_key(), list.value_key());
                json!({"path": list.array().as_str(), "label": label, "value": value})
            })
            .collect();
        let search: Vec<Value> = self
            .search_fields()
            .iter()
            .map(|field| {
                let parts: Vec<Value> = field
                    .parts()
                    .iter()
                    .map(|part| {
                        let paths: Vec<&str> =
                            part.patterns.iter().map(PathPattern::as_str).collect();
                        json!({"paths": paths, "normalizer": part.normalizer.as_str()})
                    })
                    .collect();
                json!({"field": field.name().as_str(), "parts": parts})
            })
            .collect();
        json!({
            "name": self.name().as_str(),
            "description": self.description(),
            "rules": rules,
            "attribute_lists": attribute_lists,
            "search": search,
        })
    }
}

fn object<'v>(
    value: &'v Value,
    location: &str,
    allowed: &'static str,
) -> Result<&'v Map<String, Value>, DefinitionError> {
    let Value::Object(map) = value else {
        return Err(invalid(location, Problem::NotAnObject));
    };
    let known: Vec<&str> = allowed.split(", ").collect();
    if map.keys().any(|key| !known.contains(&key.as_str())) {
        return Err(invalid(location, Problem::UnknownKey { allowed }));
    }
    Ok(map)
}

fn required_str<'v>(
    map: &'v Map<String, Value>,
    key: &'static str,
    location: &str,
) -> Result<&'v str, DefinitionError> {
    map.get(key).and_then(Value::as_str).ok_or_else(|| {
        invalid(
            location,
            Problem::Required {
                key,
                expected: "a string",
            },
        )
    })
}

fn optional_list<'v>(
    map: &'v Map<String, Value>,
    key: &'static str,
    location: &str,
    max: usize,
) -> Result<&'v [Value], DefinitionError> {
    let items = match map.get(key) {
        None => return Ok(&[]),
        Some(Value::Array(items)) => items,
        Some(_) => {
            return Err(invalid(
                location,
                Problem::Required {
                    key,
                    expected: "a list",
                },
            ));
        }
    };
    if items.len() > max {
        return Err(invalid(key, Problem::TooMany { max }));
    }
    Ok(items)
}

fn parse_definition(value: &Value) -> Result<RecordType, DefinitionError> {
    let map = object(
        value,
        TOP_LEVEL,
        "name, description, rules, attribute_lists, search",
    )?;

    let name: RecordTypeName = required_str(map, "name", TOP_LEVEL)?
        .parse()
        .map_err(DefinitionError::Name)?;
    let description = required_str(map, "description", TOP_LEVEL)?;
    let description_chars = description.chars().count();
    if description.trim().is_empty() || description_chars > limits::DESCRIPTION_CHARS {
        return Err(invalid(TOP_LEVEL, Problem::Description));
    }

    let Some(Value::Array(rule_values)) = map.get("rules") else {
        return Err(invalid(
            TOP_LEVEL,
            Problem::Required {
                key: "rules",
                expected: "a list",
            },
        ));
    };
    let mut rules = Vec::new();
    for (index, rule) in rule_values.iter().enumerate() {
        parse_rule(rule, &format!("rules[{index}]"), &mut rules)?;
        if rules.len() > limits::RULE_PATHS {
            return Err(invalid(
                "rules",
                Problem::TooMany {
                    max: limits::RULE_PATHS,
                },
            ));
        }
    }

    let list_values = optional_list(map, "attribute_lists", TOP_LEVEL, limits::ATTRIBUTE_LISTS)?;
    let attribute_lists = list_values
        .iter()
        .enumerate()
        .map(|(index, list)| parse_attribute_list(list, &format!("attribute_lists[{index}]")))
        .collect::<Result<Vec<_>, _>>()?;

    let field_values = optional_list(map, "search", TOP_LEVEL, limits::SEARCH_FIELDS)?;
    let mut search_fields: Vec<SearchField> = Vec::new();
    for (index, field) in field_values.iter().enumerate() {
        let location = format!("search[{index}]");
        let field = parse_search_field(field, &location)?;
        if search_fields
            .iter()
            .any(|existing| existing.name() == field.name())
        {
            return Err(invalid(location, Problem::DuplicateField));
        }
        search_fields.push(field);
    }

    Ok(RecordType::new(
        name,
        description,
        rules,
        attribute_lists,
        search_fields,
    ))
}

/// The patterns of a rule or search part: `path` or a non-empty `paths`.
fn patterns(
    map: &Map<String, Value>,
    location: &str,
    max: usize,
) -> Result<Vec<PathPattern>, DefinitionError> {
    let texts: Vec<(String, &Value)> = match (map.get("path"), map.get("paths")) {
        (Some(path), None) => vec![(format!("{location}.path"), path)],
        (None, Some(Value::Array(paths))) if !paths.is_empty() => {
            if paths.len() > max {
                return Err(invalid(
                    format!("{location}.paths"),
                    Problem::TooMany { max },
                ));
            }
            paths
                .iter()
                .enumerate()
                .map(|(index, path)| (format!("{location}.paths[{index}]"), path))
                .collect()
        }
        _ => return Err(invalid(location, Problem::PathChoice)),
    };

    texts
        .into_iter()
        .map(|(place, text)| {
            let Some(text) = text.as_str() else {
                return Err(invalid(
                    place,
                    Problem::Required {
                        key: "path",
                        expected: "a string",
                    },
                ));
            };
            if text.len() > limits::PATTERN_BYTES {
                return Err(invalid(place, Problem::PatternTooLong));
            }
            text.parse()
                .map_err(|error| invalid(place, Problem::Pattern(error)))
        })
        .collect()
}

fn parse_rule(
    value: &Value,
    location: &str,
    rules: &mut Vec<FieldRule>,
) -> Result<(), DefinitionError> {
    let map = object(value, location, "path, paths, category")?;
    let classification: Classification = required_str(map, "category", location)?
        .parse()
        .map_err(|_| invalid(location, Problem::Category))?;
    for pattern in patterns(map, location, limits::RULE_PATHS)? {
        rules.push(FieldRule {
            pattern,
            classification,
        });
    }
    Ok(())
}

fn parse_attribute_list(value: &Value, location: &str) -> Result<AttributeList, DefinitionError> {
    let map = object(value, location, "path, label, value")?;
    let array: PathPattern = required_str(map, "path", location)?
        .parse()
        .map_err(|error| invalid(format!("{location}.path"), Problem::Pattern(error)))?;
    let label = required_str(map, "label", location)?;
    let value_key = required_str(map, "value", location)?;
    AttributeList::new(array, label, value_key)
        .map_err(|e| invalid(location, Problem::AttributeList(e)))
}

fn parse_search_field(value: &Value, location: &str) -> Result<SearchField, DefinitionError> {
    let map = object(value, location, "field, parts")?;
    let name: SearchFieldName = required_str(map, "field", location)?
        .parse()
        .map_err(|_| invalid(location, Problem::FieldName))?;

    let part_values = match map.get("parts") {
        Some(Value::Array(parts)) if !parts.is_empty() => parts,
        _ => {
            let expected = "a non-empty list";
            return Err(invalid(
                location,
                Problem::Required {
                    key: "parts",
                    expected,
                },
            ));
        }
    };
    if part_values.len() > limits::PARTS {
        return Err(invalid(
            format!("{location}.parts"),
            Problem::TooMany { max: limits::PARTS },
        ));
    }

    let mut parts = Vec::with_capacity(part_values.len());
    for (index, part) in part_values.iter().enumerate() {
        let place = format!("{location}.parts[{index}]");
        let part_map = object(part, &place, "path, paths, normalizer")?;
        let normalizer = required_str(part_map, "normalizer", &place)?
            .parse()
            .map_err(|_| invalid(&place, Problem::Normalizer))?;
        let patterns = patterns(part_map, &place, limits::PART_PATHS)?;
        parts.push(SearchPart {
            patterns,
            normalizer,
        });
    }
    Ok(SearchField::new(name, parts))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pattern::PatternProblem;
    use phiguard_core::Category;

    fn parse(definition: Value) -> Result<RecordType, DefinitionError> {
        RecordType::custom_from_json(definition.to_string().as_bytes())
    }

    fn intake() -> Value {
        json!({
            "name": "acme.intake_form",
            "description": "Acme's telehealth intake form.",
            "rules": [
                {"path": "form_version", "category": "not_phi"},
                {"paths": ["patient.first", "patient.last"], "category": "name"},
                {"path": "answers[*].question", "category": "not_phi"}
            ],
            "attribute_lists": [{"path": "answers", "label": "question", "value": "answer"}],
            "search": [
                {"field": "email", "parts": [{"path": "patient.email", "normalizer": "email"}]}
            ]
        })
    }

    fn error_text(definition: Value) -> String {
        parse(definition).unwrap_err().to_string()
    }

    #[test]
    fn a_custom_type_parses_and_round_trips() {
        let record_type = parse(intake()).unwrap();
        assert_eq!(record_type.rules().len(), 4);
        assert_eq!(
            record_type.rules()[2].classification,
            Classification::Phi(Category::Name)
        );
        assert_eq!(record_type.search_field("email").unwrap().parts().len(), 1);

        let again = parse(record_type.definition_json()).unwrap();
        assert_eq!(again.rules(), record_type.rules());
        assert_eq!(again.search_fields(), record_type.search_fields());
        assert_eq!(again.attribute_lists(), record_type.attribute_lists());
    }

    #[test]
    fn errors_name_the_rule_and_the_problem() {
        let mut definition = intake();
        definition["rules"][1]["paths"][1] = json!("patient..last");
        let error = parse(definition).unwrap_err();
        let DefinitionError::Invalid { location, problem } = &error else {
            panic!("{error}")
        };
        assert_eq!(location, "rules[1].paths[1]");
        assert!(
            matches!(problem, Problem::Pattern(e) if e.problem == PatternProblem::MissingSegment)
        );

        let mut definition = intake();
        definition["rules"][2]["category"] = json!("secret");
        assert_eq!(error_text(definition).split(':').next(), Some("rules[2]"));

        let mut definition = intake();
        definition["rules"][0] = json!({"path": "a", "paths": ["b"], "category": "name"});
        assert!(error_text(definition).starts_with("rules[0]: give either"));

        let mut definition = intake();
        definition["rules"][0]["colour"] = json!("red");
        assert!(error_text(definition).starts_with("rules[0]: unknown key"));

        let mut definition = intake();
        definition["search"][0]["parts"][0]["normalizer"] = json!("soundex");
        assert!(error_text(definition).starts_with("search[0].parts[0]: `normalizer`"));

        let mut definition = intake();
        definition["search"][0]["field"] = json!("E-mail");
        assert!(error_text(definition).starts_with("search[0]: `field`"));

        let mut definition = intake();
        definition["search"] = json!([definition["search"][0], definition["search"][0]]);
        assert!(error_text(definition).starts_with("search[1]: another search field"));

        let mut definition = intake();
        definition["attribute_lists"][0]["path"] = json!("answers[*]");
        assert!(error_text(definition).starts_with("attribute_lists[0]: the array pattern"));
    }

    #[test]
    fn top_level_problems() {
        let mut definition = intake();
        definition["name"] = json!("fhir.Patient");
        assert_eq!(
            parse(definition).err(),
            Some(DefinitionError::ReservedNamespace)
        );

        let mut definition = intake();
        definition["name"] = json!("intake");
        assert_eq!(
            parse(definition).err(),
            Some(DefinitionError::Name(RecordTypeNameError::Segments))
        );

        let mut definition = intake();
        definition["description"] = json!(" ");
        assert!(error_text(definition).contains("`description`"));

        let mut definition = intake();
        definition.as_object_mut().unwrap().remove("rules");
        assert!(error_text(definition).contains("`rules` is required"));

        assert!(matches!(
            parse(json!([1])),
            Err(DefinitionError::Invalid { .. })
        ));
        let not_json = RecordType::custom_from_json(b"{\"name\": \"Jane Roe").unwrap_err();
        assert!(matches!(not_json, DefinitionError::NotJson(_)));
        assert!(!not_json.to_string().contains("Jane"), "{not_json}");
    }

    #[test]
    fn definitions_are_bounded() {
        let mut definition = intake();
        let paths: Vec<String> = (0..=limits::RULE_PATHS).map(|n| format!("k{n}")).collect();
        definition["rules"] = json!([{"paths": paths, "category": "name"}]);
        assert!(error_text(definition).contains("at most"));
    }
}
