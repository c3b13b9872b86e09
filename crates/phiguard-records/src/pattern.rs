//! The path pattern language of record type rules.
//!
//! A pattern is a list of segments separated by dots. Each segment is one of:
//!
//! | segment | matches |
//! | --- | --- |
//! | `family` | the object key `family` |
//! | `*` | any one object key |
//! | `**` | any number of steps, keys or indices, including none |
//!
//! A key or `*` may be followed by element selectors, each of which matches one array index:
//!
//! | selector | matches an array element … |
//! | --- | --- |
//! | `[*]` | … whatever it holds |
//! | `[system=http://hl7.org/fhir/sid/us-ssn]` | … whose `system` is exactly that text |
//! | `[type.coding.code=MR]` | … with a nested field equal to the text |
//! | `[name~=Date of Birth]` | … whose `name` equals the text as a form label (see below) |
//!
//! A form label comparison (`~=`) ignores case, leading and trailing whitespace, and how much
//! whitespace separates words.
//!
//! # Arrays must be spelled out
//!
//! Patterns are strict about arrays: every array index on a leaf's path must be matched by a
//! selector (or by `**`). `name.family` does **not** match `name[0].family`; write
//! `name[*].family`. A rule therefore never matches data whose shape its author did not expect,
//! and such data falls through to `free_text` instead of being classified by a guess.
//!
//! Selector fields are the exception: inside `[..]` a field path looks through arrays, so
//! `[type.coding.code=MR]` matches an element whose `type.coding` array has any entry with code
//! `MR`. A selector compares strings as they are, numbers and booleans by their JSON text
//! (`[sequence=1]`), and never matches null, objects or missing fields.
//!
//! Keys in a pattern may contain any character except `.`, `[`, `]` and `*`; selector fields
//! also exclude `=` and `~`; selector values may contain anything but `]`.

use std::fmt;
use std::str::FromStr;

use serde_json::Value;

use crate::path::PathStep;

/// A compiled path pattern, such as `identifier[system=http://hl7.org/fhir/sid/us-ssn].value`.
///
/// See the [module documentation](self) for the syntax. Displays as the text it was parsed
/// from.
#[derive(Clone)]
pub struct PathPattern {
    text: Box<str>,
    segments: Box<[Segment]>,
    /// The number of steps every match has, when the pattern has no `**`.
    exact_len: Option<usize>,
    /// The object key every match ends with, when the last segment names one: most leaves
    /// fail this test, which costs one comparison.
    last_key: Option<Box<str>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Key(Box<str>),
    AnyKey,
    AnyDepth,
    Element(Selector),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Selector {
    Any,
    Equals {
        field: Box<[Box<str>]>,
        value: Box<str>,
        comparison: Comparison,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Comparison {
    Exact,
    Label,
}

/// Why a pattern did not parse, and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("path pattern is malformed at character {column}: {problem}")]
pub struct PatternError {
    /// The 1-based position, in characters, where the problem was found.
    pub column: usize,
    /// What is wrong there.
    pub problem: PatternProblem,
}

/// The ways a pattern can be malformed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PatternProblem {
    /// The pattern text is empty.
    #[error("the pattern is empty")]
    Empty,
    /// Two dots in a row, a leading or trailing dot, or a selector with nothing before it.
    #[error("expected a key, `*` or `**` here")]
    MissingSegment,
    /// A segment is followed by something other than a dot or a selector.
    #[error("expected `.` or `[` after the segment")]
    ExpectedDot,
    /// `*` appears inside a key, or `**` is followed by more than a dot.
    #[error("`*` must be a whole segment (`*` or `**`) or a whole selector (`[*]`)")]
    StrayWildcard,
    /// A `]` without a matching `[`.
    #[error("`]` closes no selector")]
    StrayBracket,
    /// A `[` without a `]`.
    #[error("the selector is not closed with `]`")]
    UnclosedSelector,
    /// The selector is neither `[*]` nor `[field=value]`.
    #[error("a selector must be `[*]`, `[field=value]` or `[field~=label]`")]
    MalformedSelector,
    /// The selector's field path is empty or has an empty or invalid part.
    #[error("the selector's field must be keys separated by dots, without `[`, `]`, `*` or `~`")]
    MalformedSelectorField,
}

impl PathPattern {
    /// The pattern as text.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Whether the leaf at `steps` matches, where `nodes[i]` is the document's value after
    /// `steps[..i]` (so `nodes[0]` is the document): selectors look at the array elements.
    pub(crate) fn matches_site(&self, steps: &[PathStep], nodes: &[&Value]) -> bool {
        if self.exact_len.is_some_and(|len| len != steps.len()) {
            return false;
        }
        if let Some(key) = &self.last_key
            && steps.last().and_then(PathStep::as_key) != Some(&**key)
        {
            return false;
        }
        match_segments(&self.segments, steps, nodes, 0)
    }

    /// Whether the pattern matches the path `steps` inside `document`.
    ///
    /// A path that does not exist in the document matches only patterns without value
    /// selectors.
    pub fn matches(&self, document: &Value, steps: &[PathStep]) -> bool {
        let nodes = nodes_along(document, steps);
        if nodes.len() == steps.len() + 1 {
            return self.matches_site(steps, &nodes);
        }
        let mut padded = nodes;
        padded.resize(steps.len() + 1, &Value::Null);
        self.matches_site(steps, &padded)
    }
}

/// The values reached along `steps`, starting with the document, stopping where the path
/// leaves the document.
pub(crate) fn nodes_along<'v>(document: &'v Value, steps: &[PathStep]) -> Vec<&'v Value> {
    let mut nodes = Vec::with_capacity(steps.len() + 1);
    nodes.push(document);
    let mut current = document;
    for step in steps {
        let next = match (step, current) {
            (PathStep::Key(key), Value::Object(map)) => map.get(&**key),
            (PathStep::Index(index), Value::Array(items)) => items.get(*index as usize),
            _ => None,
        };
        let Some(next) = next else { break };
        nodes.push(next);
        current = next;
    }
    nodes
}

fn match_segments(segments: &[Segment], steps: &[PathStep], nodes: &[&Value], at: usize) -> bool {
    let Some((segment, rest)) = segments.split_first() else {
        return at == steps.len();
    };
    match segment {
        Segment::AnyDepth => {
            (at..=steps.len()).any(|from| match_segments(rest, steps, nodes, from))
        }
        Segment::Key(key) => {
            matches!(steps.get(at), Some(PathStep::Key(step)) if **step == **key)
                && match_segments(rest, steps, nodes, at + 1)
        }
        Segment::AnyKey => {
            matches!(steps.get(at), Some(PathStep::Key(_)))
                && match_segments(rest, steps, nodes, at + 1)
        }
        Segment::Element(selector) => {
            matches!(steps.get(at), Some(PathStep::Index(_)))
                && nodes
                    .get(at + 1)
                    .is_some_and(|element| selector.accepts(element))
                && match_segments(rest, steps, nodes, at + 1)
        }
    }
}

impl Selector {
    fn accepts(&self, element: &Value) -> bool {
        match self {
            Selector::Any => true,
            Selector::Equals {
                field,
                value,
                comparison,
            } => field_equals(element, field, value, *comparison, crate::walk::MAX_DEPTH),
        }
    }
}

/// Whether `node` has, at `field`, a scalar equal to `expected`; arrays on the way (and at the
/// end) match when any element does. `budget` bounds the recursion through nested arrays.
fn field_equals(
    node: &Value,
    field: &[Box<str>],
    expected: &str,
    comparison: Comparison,
    budget: usize,
) -> bool {
    if budget == 0 {
        return false;
    }
    match (node, field.split_first()) {
        (Value::Array(items), _) => items
            .iter()
            .any(|item| field_equals(item, field, expected, comparison, budget - 1)),
        (Value::Object(map), Some((key, rest))) => map
            .get(&**key)
            .is_some_and(|child| field_equals(child, rest, expected, comparison, budget - 1)),
        (Value::String(text), None) => match comparison {
            Comparison::Exact => text == expected,
            Comparison::Label => label_key(text) == expected,
        },
        (Value::Bool(flag), None) => expected == if *flag { "true" } else { "false" },
        (Value::Number(number), None) => number.to_string() == expected,
        _ => false,
    }
}

/// A form label in the form `~=` selectors compare: trimmed, runs of whitespace collapsed to one
/// space, lowercase.
pub fn label_key(label: &str) -> String {
    let mut key = String::with_capacity(label.len());
    for word in label.split_whitespace() {
        if !key.is_empty() {
            key.push(' ');
        }
        key.extend(word.chars().flat_map(char::to_lowercase));
    }
    key
}

impl FromStr for PathPattern {
    type Err = PatternError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let segments = Parser {
            chars: text.char_indices().collect(),
            at: 0,
        }
        .segments()?;
        let exact_len = if segments.contains(&Segment::AnyDepth) {
            None
        } else {
            Some(segments.len())
        };
        let last_key = match segments.last() {
            Some(Segment::Key(key)) => Some(key.clone()),
            _ => None,
        };
        Ok(PathPattern {
            text: text.into(),
            segments: segments.into(),
            exact_len,
            last_key,
        })
    }
}

struct Parser {
    chars: Vec<(usize, char)>,
    at: usize,
}

impl Parser {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.at).map(|&(_, c)| c)
    }

    fn fail(&self, problem: PatternProblem) -> PatternError {
        PatternError {
            column: self.at + 1,
            problem,
        }
    }

    fn segments(mut self) -> Result<Vec<Segment>, PatternError> {
        if self.chars.is_empty() {
            return Err(self.fail(PatternProblem::Empty));
        }

        let mut segments = Vec::new();
        loop {
            self.segment(&mut segments)?;
            match self.peek() {
                None => return Ok(segments),
                Some('.') => self.at += 1,
                Some(']') => return Err(self.fail(PatternProblem::StrayBracket)),
                Some(_) => return Err(self.fail(PatternProblem::ExpectedDot)),
            }
        }
    }

    fn segment(&mut self, segments: &mut Vec<Segment>) -> Result<(), PatternError> {
        match self.peek() {
            None | Some('.') | Some('[') => return Err(self.fail(PatternProblem::MissingSegment)),
            Some(']') => return Err(self.fail(PatternProblem::StrayBracket)),
            Some('*') => {
                self.at += 1;
                if self.peek() == Some('*') {
                    self.at += 1;
                    if !matches!(self.peek(), None | Some('.')) {
                        return Err(self.fail(PatternProblem::StrayWildcard));
                    }
                    segments.push(Segment::AnyDepth);
                    return Ok(());
                }
                segments.push(Segment::AnyKey);
            }
            Some(_) => {
                let key = self.take_while(|c| !matches!(c, '.' | '[' | ']' | '*'));
                if self.peek() == Some('*') {
                    return Err(self.fail(PatternProblem::StrayWildcard));
                }
                segments.push(Segment::Key(key.into()));
            }
        }

        while self.peek() == Some('[') {
            self.at += 1;
            let selector = self.selector()?;
            segments.push(Segment::Element(selector));
        }
        Ok(())
    }

    fn take_while(&mut self, keep: impl Fn(char) -> bool) -> String {
        let mut taken = String::new();
        while let Some(c) = self.peek().filter(|&c| keep(c)) {
            taken.push(c);
            self.at += 1;
        }
        taken
    }

    fn selector(&mut self) -> Result<Selector, PatternError> {
        let start = self.at;
        let body = self.take_while(|c| c != ']');
        if self.peek() != Some(']') {
            return Err(self.fail(PatternProblem::UnclosedSelector));
        }
        self.at += 1;

        if body == "*" {
            return Ok(Selector::Any);
        }
        // Selector problems point at the `[` that opens the selector.
        let failure = |problem| PatternError {
            column: start,
            problem,
        };
        let Some((field, value)) = body.split_once('=') else {
            return Err(failure(PatternProblem::MalformedSelector));
        };
        let (field, comparison) = match field.strip_suffix('~') {
            Some(field) => (field, Comparison::Label),
            None => (field, Comparison::Exact),
        };

        let parts: Vec<Box<str>> = field.split('.').map(Box::from).collect();
        let malformed = |part: &str| part.is_empty() || part.contains(['[', ']', '*', '~', '=']);
        if parts.iter().any(|part| malformed(part)) {
            return Err(failure(PatternProblem::MalformedSelectorField));
        }

        let value = match comparison {
            Comparison::Exact => value.into(),
            Comparison::Label => label_key(value).into(),
        };
        Ok(Selector::Equals {
            field: parts.into(),
            value,
            comparison,
        })
    }
}

impl fmt::Display for PathPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl fmt::Debug for PathPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PathPattern({})", self.text)
    }
}

impl PartialEq for PathPattern {
    fn eq(&self, other: &Self) -> bool {
        self.segments == other.segments
    }
}

impl Eq for PathPattern {}

impl PathPattern {
    /// The first object key every match starts with, when the pattern names one: rules are
    /// indexed by it so that classifying a leaf tries only the rules that can match.
    pub(crate) fn leading_key(&self) -> Option<&str> {
        match self.segments.first() {
            Some(Segment::Key(key)) => Some(key),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::path::LeafPath;
    use serde_json::json;

    fn pattern(text: &str) -> PathPattern {
        text.parse().unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    fn path(text: &str) -> LeafPath {
        text.parse().unwrap()
    }

    fn matches(pattern_text: &str, document: &Value, leaf: &str) -> bool {
        pattern(pattern_text).matches(document, path(leaf).steps())
    }

    #[test]
    fn dotted_keys_match_exactly() {
        let doc = json!({"name": {"family": "Fadel"}});
        assert!(matches("name.family", &doc, "name.family"));
        assert!(!matches("name.family", &doc, "name"));
        assert!(!matches("name", &doc, "name.family"));
        assert!(!matches("name.given", &doc, "name.family"));
    }

    #[test]
    fn arrays_must_be_spelled_out() {
        let doc = json!({"name": [{"given": ["Eddy", "J"]}]});
        assert!(matches("name[*].given[*]", &doc, "name[0].given[1]"));
        assert!(!matches("name.given", &doc, "name[0].given[1]"));
        assert!(!matches("name[*].given", &doc, "name[0].given[1]"));
        assert!(!matches("name[*][*].given[*]", &doc, "name[0].given[1]"));

        let nested = json!({"grid": [[1, 2], [3]]});
        assert!(matches("grid[*][*]", &nested, "grid[1][0]"));
        assert!(!matches("grid[*]", &nested, "grid[1][0]"));
    }

    #[test]
    fn star_is_one_key_and_double_star_any_depth() {
        let doc = json!({"text": {"div": "x", "deep": [{"a": 1}]}, "meta": 1});
        assert!(matches("*.div", &doc, "text.div"));
        assert!(!matches("*", &doc, "text.div"));
        assert!(!matches("text.*", &doc, "text.deep[0].a"));
        assert!(matches("text.**", &doc, "text.deep[0].a"));
        assert!(matches("text.**", &doc, "text.div"));
        assert!(
            matches("meta.**", &doc, "meta"),
            "`**` also matches no step at all"
        );
        assert!(matches("**.a", &doc, "text.deep[0].a"));
        assert!(matches("**", &doc, "text.deep[0].a"));
        assert!(!matches("**.b", &doc, "text.deep[0].a"));
        assert!(matches("text.**.a", &doc, "text.deep[0].a"));
    }

    #[test]
    fn selectors_look_at_the_element() {
        let doc = json!({"identifier": [
            {"system": "https://github.com/synthetichealth/synthea", "value": "abc"},
            {"type": {"coding": [{"code": "MR"}]}, "system": "http://h.org", "value": "m1"},
            {"system": "http://hl7.org/fhir/sid/us-ssn", "value": "999-38-8871"},
        ]});
        let ssn = "identifier[system=http://hl7.org/fhir/sid/us-ssn].value";
        assert!(matches(ssn, &doc, "identifier[2].value"));
        assert!(!matches(ssn, &doc, "identifier[0].value"));
        assert!(matches(
            "identifier[type.coding.code=MR].value",
            &doc,
            "identifier[1].value"
        ));
        assert!(!matches(
            "identifier[type.coding.code=MR].value",
            &doc,
            "identifier[2].value"
        ));
        assert!(!matches(
            "identifier[type.coding.code=SS].value",
            &doc,
            "identifier[1].value"
        ));
    }

    #[test]
    fn selectors_compare_numbers_and_booleans_by_their_text() {
        let doc = json!({"item": [{"sequence": 1, "focal": true, "x": null}]});
        assert!(matches("item[sequence=1].x", &doc, "item[0].x"));
        assert!(matches("item[focal=true].x", &doc, "item[0].x"));
        assert!(!matches("item[x=null].x", &doc, "item[0].x"));
        assert!(!matches("item[missing=1].x", &doc, "item[0].x"));
    }

    #[test]
    fn label_selectors_ignore_case_and_spacing() {
        let doc =
            json!({"note_attributes": [{"name": "  Date   of BIRTH ", "value": "1984-03-09"}]});
        assert!(matches(
            "note_attributes[name~=date of birth].value",
            &doc,
            "note_attributes[0].value"
        ));
        assert!(matches(
            "note_attributes[name~= Date  Of Birth].value",
            &doc,
            "note_attributes[0].value"
        ));
        assert!(!matches(
            "note_attributes[name=date of birth].value",
            &doc,
            "note_attributes[0].value"
        ));
        assert!(!matches(
            "note_attributes[name~=date of birth x].value",
            &doc,
            "note_attributes[0].value"
        ));
    }

    #[test]
    fn selector_values_may_hold_dots_equals_and_spaces() {
        let doc = json!({"x": [{"url": "a.b=c d", "v": 1}]});
        assert!(matches("x[url=a.b=c d].v", &doc, "x[0].v"));
        assert_eq!(pattern("x[url=a.b=c d].v").to_string(), "x[url=a.b=c d].v");
    }

    #[test]
    fn malformed_patterns_say_where_and_what() {
        let cases = [
            ("", 1, PatternProblem::Empty),
            (".a", 1, PatternProblem::MissingSegment),
            ("a..b", 3, PatternProblem::MissingSegment),
            ("a.", 3, PatternProblem::MissingSegment),
            ("[*].a", 1, PatternProblem::MissingSegment),
            ("a*b", 2, PatternProblem::StrayWildcard),
            ("**[*]", 3, PatternProblem::StrayWildcard),
            ("***", 3, PatternProblem::StrayWildcard),
            ("a]", 2, PatternProblem::StrayBracket),
            ("a[*", 4, PatternProblem::UnclosedSelector),
            ("a[system]", 2, PatternProblem::MalformedSelector),
            ("a[=x]", 2, PatternProblem::MalformedSelectorField),
            ("a[b..c=x]", 2, PatternProblem::MalformedSelectorField),
            ("a[*]b", 5, PatternProblem::ExpectedDot),
        ];
        for (text, column, problem) in cases {
            let error = text.parse::<PathPattern>().unwrap_err();
            assert_eq!(
                (error.column, error.problem),
                (column, problem),
                "pattern {text:?}"
            );
        }
        let message = "a[system]".parse::<PathPattern>().unwrap_err().to_string();
        assert!(message.contains("character 2"), "{message}");
    }

    #[test]
    fn paths_outside_the_document_match_only_without_value_selectors() {
        let doc = json!({});
        assert!(matches("a[*].b", &doc, "a[0].b"));
        assert!(!matches("a[b=1].b", &doc, "a[0].b"));
    }

    proptest::proptest! {
        #[test]
        fn any_text_parses_or_fails_cleanly(text in ".{0,24}") {
            if let Ok(pattern) = text.parse::<PathPattern>() {
                proptest::prop_assert_eq!(pattern.as_str(), text.as_str());
            }
        }

        #[test]
        fn pattern_like_text_parses_or_fails_cleanly(text in "[a-c.*=~\\[\\]]{0,16}") {
            let _ = text.parse::<PathPattern>();
        }
    }

    #[test]
    fn label_keys_collapse_spaces_and_case() {
        assert_eq!(label_key("  Insurance\tMember  ID "), "insurance member id");
        assert_eq!(label_key("ÉTAT"), "état");
        assert_eq!(label_key("   "), "");
    }
}
