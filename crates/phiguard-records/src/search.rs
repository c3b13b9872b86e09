//! Search fields: which values feed the vault's blind indexes, and how they are normalised.
//!
//! The vault never indexes plaintext: it stores a keyed hash of each [`SearchTerm`]'s field and
//! normalised value. A query is found only if it normalises to exactly the same text, so the
//! vault must normalise a query with [`normalize`] (or [`SearchField::query_key`]) — the same
//! functions that produced the stored terms.
//!
//! A field with several parts (such as `family_birthdate`) combines one normalised value per
//! part as `<byte length>:<value>` pieces written one after another (`5:fadel10:1976-01-16`), so
//! no choice of values can make two different combinations collide.

use std::collections::HashSet;
use std::fmt;
use std::str::FromStr;

use serde_json::Value;
use unicode_normalization::UnicodeNormalization;

use crate::pattern::PathPattern;
use crate::record_type::RecordType;
use crate::walk::walk_leaves;

/// How a raw value becomes the text a blind index hashes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Normalizer {
    /// Trimmed and lowercased; must look like `local@domain`.
    Email,
    /// ASCII digits only (after NFKC, so full-width digits count); an 11-digit number starting
    /// with the US country code `1` loses it.
    Phone,
    /// ASCII digits only (after NFKC), for SSNs and other numeric identifiers.
    Digits,
    /// NFKC, uppercase, without whitespace and dashes, for MRNs, member ids and licences.
    Token,
    /// NFKC, lowercase, runs of whitespace collapsed to one space, trimmed.
    Name,
    /// A calendar date written exactly `YYYY-MM-DD` (surrounding spaces allowed); anything
    /// else, partial dates included, is rejected.
    Date,
}

/// Why a value could not be normalised. Never quotes the value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NormalizeError {
    /// Nothing is left after normalisation (no digits in a phone number, a blank name).
    #[error("the value is empty once normalised as {normalizer}")]
    Empty {
        /// The normaliser's name.
        normalizer: &'static str,
    },
    /// An email address without a local part, an `@` or a domain, or with spaces inside.
    #[error("the value is not an email address of the form local@domain")]
    NotAnEmail,
    /// Not a valid `YYYY-MM-DD` date.
    #[error("the value is not a calendar date written YYYY-MM-DD")]
    NotADate,
    /// The name is neither a normaliser nor a known search field.
    #[error(
        "unknown search field or normaliser; normalisers are email, phone, digits, token, name \
         and date"
    )]
    UnknownField,
    /// A query for a compound field has the wrong number of parts.
    #[error("the field takes {expected} parts separated by `|`, but the query has {found}")]
    PartCount {
        /// The number of parts the field has.
        expected: usize,
        /// The number of parts the query has.
        found: usize,
    },
}

impl Normalizer {
    /// Every normaliser.
    pub const ALL: [Normalizer; 6] = [
        Normalizer::Email,
        Normalizer::Phone,
        Normalizer::Digits,
        Normalizer::Token,
        Normalizer::Name,
        Normalizer::Date,
    ];

    /// The normaliser's name in definitions.
    pub const fn as_str(self) -> &'static str {
        match self {
            Normalizer::Email => "email",
            Normalizer::Phone => "phone",
            Normalizer::Digits => "digits",
            Normalizer::Token => "token",
            Normalizer::Name => "name",
            Normalizer::Date => "date",
        }
    }

    /// The normalised form of `raw`.
    pub fn apply(self, raw: &str) -> Result<String, NormalizeError> {
        let normalized = match self {
            Normalizer::Email => return email(raw),
            Normalizer::Date => return date(raw),
            Normalizer::Phone => {
                let digits = ascii_digits(raw);
                match digits.strip_prefix('1') {
                    Some(national) if digits.len() == 11 => national.to_owned(),
                    _ => digits,
                }
            }
            Normalizer::Digits => ascii_digits(raw),
            Normalizer::Token => raw
                .nfkc()
                .filter(|c| !c.is_whitespace() && !is_dash(*c))
                .flat_map(char::to_uppercase)
                .collect(),
            Normalizer::Name => {
                let folded: String = raw.nfkc().flat_map(char::to_lowercase).collect();
                folded.split_whitespace().collect::<Vec<_>>().join(" ")
            }
        };
        if normalized.is_empty() {
            return Err(NormalizeError::Empty {
                normalizer: self.as_str(),
            });
        }
        Ok(normalized)
    }
}

fn ascii_digits(raw: &str) -> String {
    raw.nfkc().filter(char::is_ascii_digit).collect()
}

fn is_dash(c: char) -> bool {
    matches!(
        c,
        '-' | '\u{2010}'..='\u{2015}' | '\u{2212}' | '\u{FE58}' | '\u{FE63}' | '\u{FF0D}'
    )
}

fn email(raw: &str) -> Result<String, NormalizeError> {
    let lowered: String = raw.trim().chars().flat_map(char::to_lowercase).collect();
    let well_formed = lowered.rsplit_once('@').is_some_and(|(local, domain)| {
        !local.is_empty() && !domain.is_empty() && !domain.contains('@')
    }) && !lowered.contains(char::is_whitespace);
    if well_formed {
        Ok(lowered)
    } else {
        Err(NormalizeError::NotAnEmail)
    }
}

fn date(raw: &str) -> Result<String, NormalizeError> {
    let text = raw.trim();
    let bytes = text.as_bytes();
    let shaped = bytes.len() == 10
        && bytes[4] == b'-'
        && bytes[7] == b'-'
        && bytes
            .iter()
            .enumerate()
            .all(|(i, b)| i == 4 || i == 7 || b.is_ascii_digit());
    if !shaped {
        return Err(NormalizeError::NotADate);
    }

    let number = |range: std::ops::Range<usize>| {
        bytes[range]
            .iter()
            .fold(0u32, |acc, b| acc * 10 + u32::from(b - b'0'))
    };
    let (year, month, day) = (number(0..4), number(5..7), number(8..10));
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days_in_month = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return Err(NormalizeError::NotADate),
    };
    if day == 0 || day > days_in_month {
        return Err(NormalizeError::NotADate);
    }
    Ok(text.to_owned())
}

impl fmt::Display for Normalizer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The text is not a normaliser name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown normaliser; expected one of email, phone, digits, token, name, date")]
pub struct UnknownNormalizer;

impl FromStr for Normalizer {
    type Err = UnknownNormalizer;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Normalizer::ALL
            .into_iter()
            .find(|n| n.as_str() == text)
            .ok_or(UnknownNormalizer)
    }
}

/// The name of a search field, such as `ssn` or `family_birthdate`: 1 to 64 characters,
/// lowercase ASCII letters, digits and `_`, starting with a letter.
///
/// Fields with the same name share one blind index across record types, so a search for `ssn`
/// finds it in any type that declares `ssn`; they must normalise alike.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SearchFieldName(Box<str>);

/// The text is not a valid search field name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "a search field name must be 1 to 64 lowercase ASCII letters, digits or `_`, starting with \
     a letter"
)]
pub struct SearchFieldNameError;

impl SearchFieldName {
    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for SearchFieldName {
    type Err = SearchFieldNameError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let valid = (1..=64).contains(&text.len())
            && text.starts_with(|c: char| c.is_ascii_lowercase())
            && text
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if valid {
            Ok(SearchFieldName(text.into()))
        } else {
            Err(SearchFieldNameError)
        }
    }
}

impl fmt::Display for SearchFieldName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One part of a search field: the leaves it reads (any of several patterns) and how their
/// values are normalised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchPart {
    /// Leaves matching any of these patterns feed the part.
    pub patterns: Vec<PathPattern>,
    /// How each value is normalised.
    pub normalizer: Normalizer,
}

/// A search field a record type declares, such as `ssn` (one part) or `family_birthdate`
/// (family name and birth date).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchField {
    name: SearchFieldName,
    parts: Vec<SearchPart>,
}

impl SearchField {
    /// The most terms one field yields for one document; further combinations are dropped.
    pub const MAX_TERMS: usize = 16;

    /// A field from its name and parts (at least one).
    pub fn new(name: SearchFieldName, parts: Vec<SearchPart>) -> Self {
        SearchField { name, parts }
    }

    /// The field's name.
    pub fn name(&self) -> &SearchFieldName {
        &self.name
    }

    /// The field's parts.
    pub fn parts(&self) -> &[SearchPart] {
        &self.parts
    }

    /// The normaliser of each part, in order.
    pub fn normalizers(&self) -> Vec<Normalizer> {
        self.parts.iter().map(|part| part.normalizer).collect()
    }

    /// The normalised key of a query giving one raw value per part.
    pub fn query_key(&self, raw_parts: &[&str]) -> Result<String, NormalizeError> {
        compound_key(&self.normalizers(), raw_parts)
    }
}

fn compound_key(normalizers: &[Normalizer], raw_parts: &[&str]) -> Result<String, NormalizeError> {
    if normalizers.len() != raw_parts.len() {
        return Err(NormalizeError::PartCount {
            expected: normalizers.len(),
            found: raw_parts.len(),
        });
    }
    let normalized = normalizers
        .iter()
        .zip(raw_parts)
        .map(|(normalizer, raw)| normalizer.apply(raw))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(combine(
        &normalized.iter().map(String::as_str).collect::<Vec<_>>(),
    ))
}

/// One normalised value per part, combined: the value itself for one part, length-prefixed
/// pieces for several.
fn combine(normalized: &[&str]) -> String {
    if let [single] = normalized {
        return (*single).to_owned();
    }
    let mut key = String::new();
    for piece in normalized {
        key.push_str(&piece.len().to_string());
        key.push(':');
        key.push_str(piece);
    }
    key
}

/// One value for the blind index of one field.
///
/// `Debug` does not show the value, which is PHI.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SearchTerm {
    /// The search field's name.
    pub field: String,
    /// The normalised value (or combination, for compound fields).
    pub normalized: String,
}

impl fmt::Debug for SearchTerm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "SearchTerm {{ field: {:?}, normalized: <redacted> }}",
            self.field
        )
    }
}

/// Every search term `document` yields under `record_type`, field by field in declaration
/// order, without duplicates.
///
/// A part reads every string or number leaf its patterns match; values that do not normalise
/// (a partial birth date, a phone without digits) are skipped. A compound field yields one term
/// per combination of its parts' values, at most [`SearchField::MAX_TERMS`], and none when any
/// part has no value.
pub fn search_terms(record_type: &RecordType, document: &Value) -> Vec<SearchTerm> {
    let fields = record_type.search_fields();
    if fields.is_empty() {
        return Vec::new();
    }

    let mut values: Vec<Vec<Vec<String>>> = fields
        .iter()
        .map(|field| vec![Vec::new(); field.parts.len()])
        .collect();
    // Documents too deep to split are refused by `split`; their terms are whatever was found.
    let _ = walk_leaves(document, &mut |site| {
        let raw = match site.value() {
            Value::String(text) => text.clone(),
            Value::Number(number) => number.to_string(),
            _ => return,
        };
        for (field, field_values) in fields.iter().zip(values.iter_mut()) {
            for (part, part_values) in field.parts.iter().zip(field_values.iter_mut()) {
                let matched = part
                    .patterns
                    .iter()
                    .any(|p| p.matches_site(site.steps, site.nodes));
                if !matched {
                    continue;
                }
                if let Ok(normalized) = part.normalizer.apply(&raw)
                    && !part_values.contains(&normalized)
                {
                    part_values.push(normalized);
                }
            }
        }
    });

    let mut terms = Vec::new();
    let mut seen = HashSet::new();
    for (field, part_values) in fields.iter().zip(&values) {
        for combination in combinations(part_values, SearchField::MAX_TERMS) {
            let term = SearchTerm {
                field: field.name.to_string(),
                normalized: combine(&combination),
            };
            if seen.insert(term.clone()) {
                terms.push(term);
            }
        }
    }
    terms
}

/// The first `limit` ways of picking one value from each list, in order.
fn combinations(lists: &[Vec<String>], limit: usize) -> Vec<Vec<&str>> {
    let mut result: Vec<Vec<&str>> = vec![Vec::new()];
    for list in lists {
        let mut next = Vec::new();
        for prefix in &result {
            for value in list {
                if next.len() == limit {
                    break;
                }
                let mut extended = prefix.clone();
                extended.push(value.as_str());
                next.push(extended);
            }
        }
        result = next;
    }
    result
}

/// The fields the import parsers emit as subject match keys, with their normalisers.
pub(crate) const MATCH_KEY_FIELDS: [(&str, Normalizer); 3] = [
    (crate::fhir::SOURCE_PATIENT_FIELD, Normalizer::Token),
    (crate::shopify::SOURCE_CUSTOMER_FIELD, Normalizer::Digits),
    (crate::shopify::SOURCE_EMAIL_FIELD, Normalizer::Email),
];

/// Normalises a search query the way stored values were normalised.
///
/// `field_or_normalizer` is either a normaliser name (`email`, `phone`, `digits`, `token`,
/// `name`, `date`), a search field of a built-in type (`ssn`, `mrn`, `family_birthdate`, …) or a
/// subject match key field (`source_fhir_patient`, …). A compound field takes its parts in
/// `raw` separated by `|`, such as `Fadel|1976-01-16`. For a tenant's custom type, use
/// [`RecordType::search_field`] and [`SearchField::query_key`].
pub fn normalize(field_or_normalizer: &str, raw: &str) -> Result<String, NormalizeError> {
    if let Ok(normalizer) = field_or_normalizer.parse::<Normalizer>() {
        return normalizer.apply(raw);
    }
    if let Some((_, normalizer)) = MATCH_KEY_FIELDS
        .iter()
        .find(|(field, _)| *field == field_or_normalizer)
    {
        return normalizer.apply(raw);
    }

    let field = crate::builtin::builtin_types()
        .iter()
        .find_map(|record_type| record_type.search_field(field_or_normalizer))
        .ok_or(NormalizeError::UnknownField)?;
    if field.parts.len() == 1 {
        return field.query_key(&[raw]);
    }
    field.query_key(&raw.split('|').collect::<Vec<_>>())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record_type::RecordTypeName;
    use serde_json::json;

    #[test]
    fn emails_are_trimmed_and_lowercased() {
        assert_eq!(
            Normalizer::Email.apply("  Marisol.Q@Example.ORG ").unwrap(),
            "marisol.q@example.org"
        );
        for bad in ["marisol", "@example.org", "m@", "m q@example.org", ""] {
            assert_eq!(
                Normalizer::Email.apply(bad),
                Err(NormalizeError::NotAnEmail),
                "{bad}"
            );
        }
    }

    #[test]
    fn phones_keep_digits_and_drop_the_us_country_code() {
        assert_eq!(
            Normalizer::Phone.apply("+1 617-555-0142").unwrap(),
            "6175550142"
        );
        assert_eq!(
            Normalizer::Phone.apply("(617) 555-0142").unwrap(),
            "6175550142"
        );
        assert_eq!(
            Normalizer::Phone.apply("555-996-7155").unwrap(),
            "5559967155"
        );
        assert_eq!(
            Normalizer::Phone.apply("+44 20 7946 0958").unwrap(),
            "442079460958"
        );
        assert_eq!(
            Normalizer::Phone.apply("１２３４").unwrap(),
            "1234",
            "full-width digits"
        );
        assert!(Normalizer::Phone.apply("call me").is_err());
    }

    #[test]
    fn digits_tokens_and_names() {
        assert_eq!(
            Normalizer::Digits.apply("999-38-8871").unwrap(),
            "999388871"
        );
        assert_eq!(
            Normalizer::Token.apply(" mbr-448 20–1187 ").unwrap(),
            "MBR448201187"
        );
        assert_eq!(
            Normalizer::Token.apply("c0cd7d3c-da6a").unwrap(),
            "C0CD7D3CDA6A"
        );
        assert_eq!(
            Normalizer::Name.apply("  Zoë   O'Brien ").unwrap(),
            "zoë o'brien"
        );
        // NFKC folds the compatibility ligature and composes e + combining acute.
        assert_eq!(
            Normalizer::Name.apply("ﬁnn Rene\u{301}e").unwrap(),
            "finn renée"
        );
        assert_eq!(Normalizer::Name.apply("Eddy123").unwrap(), "eddy123");
        assert!(Normalizer::Name.apply(" \t ").is_err());
        assert!(Normalizer::Token.apply("- -").is_err());
    }

    #[test]
    fn dates_must_be_exact_calendar_dates() {
        assert_eq!(
            Normalizer::Date.apply(" 1976-01-16 ").unwrap(),
            "1976-01-16"
        );
        assert!(Normalizer::Date.apply("2000-02-29").is_ok());
        for bad in [
            "1900-02-29",
            "1976-13-01",
            "1976-04-31",
            "1976-00-10",
            "1976-01",
            "1976",
            "16/01/1976",
            "1976-1-16",
            "1976-01-16T00:00:00",
            "１９７６-01-16",
        ] {
            assert_eq!(
                Normalizer::Date.apply(bad),
                Err(NormalizeError::NotADate),
                "{bad}"
            );
        }
    }

    #[test]
    fn compound_keys_are_unambiguous() {
        let a = combine(&["ab", "c"]);
        let b = combine(&["a", "bc"]);
        assert_ne!(a, b);
        assert_eq!(a, "2:ab1:c");
        assert_eq!(combine(&["fadel"]), "fadel");
    }

    #[test]
    fn normalize_resolves_normalisers_and_builtin_fields() {
        assert_eq!(normalize("ssn", "999 38 8871").unwrap(), "999388871");
        assert_eq!(normalize("digits", "999-38-8871").unwrap(), "999388871");
        assert_eq!(
            normalize("family_birthdate", " Fadel |1976-01-16").unwrap(),
            "5:fadel10:1976-01-16"
        );
        assert_eq!(
            normalize("family_birthdate", "Fadel"),
            Err(NormalizeError::PartCount {
                expected: 2,
                found: 1
            })
        );
        assert_eq!(normalize("source_fhir_patient", "ab-c").unwrap(), "ABC");
        assert_eq!(
            normalize("favourite_colour", "x"),
            Err(NormalizeError::UnknownField)
        );
    }

    fn record_type(definition: Value) -> RecordType {
        RecordType::from_definition_json(definition.to_string().as_bytes()).unwrap()
    }

    #[test]
    fn terms_combine_every_value_of_every_part() {
        let record_type = record_type(json!({
            "name": "acme.person",
            "description": "test",
            "rules": [],
            "search": [
                {"field": "email", "parts": [
                    {"paths": ["email", "contacts[*].email"], "normalizer": "email"}
                ]},
                {"field": "family_birthdate", "parts": [
                    {"path": "names[*].family", "normalizer": "name"},
                    {"path": "birth", "normalizer": "date"}
                ]}
            ]
        }));
        assert_eq!(
            record_type.name(),
            &"acme.person".parse::<RecordTypeName>().unwrap()
        );

        let doc = json!({
            "email": "A@x.org",
            "contacts": [{"email": "a@X.org"}, {"email": "b@x.org"}, {"email": "broken"}],
            "names": [{"family": "Gerhold"}, {"family": "Bechtelar"}],
            "birth": "1980-02-03"
        });
        let terms = search_terms(&record_type, &doc);
        let texts: Vec<_> = terms
            .iter()
            .map(|t| format!("{}={}", t.field, t.normalized))
            .collect();
        assert_eq!(
            texts,
            [
                "email=a@x.org",
                "email=b@x.org",
                "family_birthdate=7:gerhold10:1980-02-03",
                "family_birthdate=9:bechtelar10:1980-02-03",
            ]
        );

        let partial = json!({"names": [{"family": "Gerhold"}], "birth": "1980"});
        assert!(search_terms(&record_type, &partial).is_empty());
        assert!(!format!("{:?}", terms[0]).contains("x.org"));
    }

    #[test]
    fn combinations_stop_at_the_limit() {
        let many: Vec<String> = (0..10).map(|n| n.to_string()).collect();
        assert_eq!(combinations(&[many.clone(), many], 16).len(), 16);
        assert_eq!(combinations(&[vec!["a".into()], vec![]], 16).len(), 0);
    }
}
