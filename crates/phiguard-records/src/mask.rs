//! Masking: the reduced form of a leaf that a `masked` disclosure shows.
//!
//! [`mask`] decides by the leaf's category, the last object key on its path and the shape of
//! its value. It returns `None` — the leaf is dropped — whenever there is no safe reduced form.
//!
//! - `name`: initials, each word's first letter or digit (with the combining marks that
//!   follow it) and a dot: `Fadel` → `F.`, `Marisol Quintero` → `M. Q.`, `Łucja` → `Ł.`.
//! - `birthdate`: the year, when the text starts with four digits: `1976-01-16` → `1976`.
//! - `identifier`: `****` and the last four letters or digits, only if there are at least eight;
//!   otherwise `****` alone. Numbers count as their digits.
//! - `contact`: text with an `@` shows the first character of the local part (only if that
//!   has three or more), `***@` and the domain. Otherwise, with eight or more digits, `****`
//!   and the last four digits; with fewer, `****`; with none (a URL, a handle), dropped.
//! - `address`: `city`, `state`, `province`, `country` and their `*_code` / `*Code` forms are
//!   kept as they are. A postal code (`postalCode`, `zip`, …) that is a US ZIP (`12345` or
//!   `12345-6789`) becomes its first three digits and `**`, or `000**` for the three-digit
//!   areas of 20,000 people or fewer that HHS's de-identification guidance lists; other postal
//!   codes are dropped, because their granularity varies by country and cannot be judged from
//!   the value. Everything else (lines, names, companies, districts, geolocation) is dropped.
//! - `demographic`, `clinical`, `financial`, `free_text`: dropped.
//!
//! Only strings are kept for `address`, `name` and `birthdate`; `identifier` and `contact` also
//! accept numbers. Booleans and null are always dropped. The fixed `****` never reveals a
//! value's length, and no rule returns a short value whole.

use phiguard_core::Category;
use serde_json::Value;
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

use crate::path::LeafPath;

/// What a masked identifier or phone number shows before its last four characters.
pub const MASK_PREFIX: &str = "****";

/// The reduced form of the leaf at `path` with `value` in `category`, or `None` when the leaf
/// must be dropped. See the [module documentation](self) for the rules.
pub fn mask(category: Category, path: &LeafPath, value: &Value) -> Option<Value> {
    mask_by_key(category, path.last_key(), value)
}

/// [`mask`] for a leaf whose path ends with the object key `last_key`.
pub(crate) fn mask_by_key(
    category: Category,
    last_key: Option<&str>,
    value: &Value,
) -> Option<Value> {
    let masked = match category {
        Category::Name => initials(value.as_str()?),
        Category::Birthdate => birth_year(value.as_str()?),
        Category::Identifier => last_four(&scalar_text(value)?),
        Category::Contact => contact(&scalar_text(value)?),
        Category::Address => address(last_key?, value.as_str()?),
        Category::Demographic | Category::Clinical | Category::Financial | Category::FreeText => {
            None
        }
    }?;
    Some(Value::String(masked))
}

fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(text) => Some(text.clone()),
        Value::Number(number) => Some(number.to_string()),
        _ => None,
    }
}

/// The first letter or digit of `word` with the combining marks that follow it, composed, so
/// an initial is never half a character.
fn first_grapheme(word: &str) -> Option<String> {
    let start = word.find(char::is_alphanumeric)?;
    let mut chars = word[start..].chars();
    let mut initial: String = chars.next().into_iter().collect();
    initial.extend(chars.take_while(|c| is_combining_mark(*c)));
    Some(initial.nfc().collect())
}

fn initials(name: &str) -> Option<String> {
    let parts: Vec<String> = name
        .split_whitespace()
        .filter_map(first_grapheme)
        .map(|initial| initial + ".")
        .collect();
    if parts.is_empty() {
        None
    } else {
        Some(parts.join(" "))
    }
}

fn birth_year(date: &str) -> Option<String> {
    let year = date.trim().get(..4)?;
    year.bytes()
        .all(|b| b.is_ascii_digit())
        .then(|| year.to_owned())
}

fn last_four(text: &str) -> Option<String> {
    let kept: Vec<char> = text.chars().filter(|c| c.is_alphanumeric()).collect();
    if kept.is_empty() {
        return None;
    }
    if kept.len() < 8 {
        return Some(MASK_PREFIX.to_owned());
    }
    let tail: String = kept[kept.len() - 4..].iter().collect();
    Some(format!("{MASK_PREFIX}{tail}"))
}

fn contact(text: &str) -> Option<String> {
    let text = text.trim();
    if let Some((local, domain)) = text.rsplit_once('@') {
        if domain.is_empty() {
            return None;
        }
        let shown = if local.chars().count() >= 3 {
            first_grapheme(local)
        } else {
            None
        };
        return Some(format!("{}***@{domain}", shown.unwrap_or_default()));
    }

    let digits: Vec<char> = text.chars().filter(char::is_ascii_digit).collect();
    match digits.len() {
        0 => None,
        1..8 => Some(MASK_PREFIX.to_owned()),
        n => Some(format!(
            "{MASK_PREFIX}{}",
            digits[n - 4..].iter().collect::<String>()
        )),
    }
}

/// Three-digit ZIP areas of 20,000 people or fewer, which HHS's de-identification guidance
/// (2000 Census data) says to show as `000`.
const SPARSE_ZIP3: [&str; 17] = [
    "036", "059", "063", "102", "203", "556", "692", "790", "821", "823", "830", "831", "878",
    "879", "884", "890", "893",
];

fn address(key: &str, text: &str) -> Option<String> {
    const KEPT: [&str; 11] = [
        "city",
        "state",
        "province",
        "country",
        "state_code",
        "stateCode",
        "province_code",
        "provinceCode",
        "country_code",
        "countryCode",
        "countryName",
    ];
    const POSTAL: [&str; 6] = [
        "postalCode",
        "postal_code",
        "zip",
        "zip_code",
        "zipCode",
        "postcode",
    ];

    if KEPT.contains(&key) {
        return Some(text.to_owned());
    }
    if POSTAL.contains(&key) {
        return zip3(text);
    }
    None
}

fn zip3(postal: &str) -> Option<String> {
    let postal = postal.trim();
    let bytes = postal.as_bytes();
    let digits = |range: std::ops::Range<usize>| bytes[range].iter().all(u8::is_ascii_digit);
    let us_zip = match bytes.len() {
        5 => digits(0..5),
        9 => digits(0..9),
        10 => digits(0..5) && bytes[5] == b'-' && digits(6..10),
        _ => false,
    };
    if !us_zip {
        return None;
    }
    let area = &postal[..3];
    let shown = if SPARSE_ZIP3.contains(&area) {
        "000"
    } else {
        area
    };
    Some(format!("{shown}**"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn masked(category: Category, path: &str, value: Value) -> Option<Value> {
        mask(category, &path.parse().unwrap(), &value)
    }

    fn masked_text(category: Category, path: &str, value: &str) -> Option<String> {
        masked(category, path, json!(value)).map(|v| v.as_str().unwrap().to_owned())
    }

    #[test]
    fn names_become_initials() {
        let name = |text| masked_text(Category::Name, "name[0].family", text);
        assert_eq!(name("Fadel").as_deref(), Some("F."));
        assert_eq!(name("Eddy123").as_deref(), Some("E."));
        assert_eq!(name("Marisol Quintero").as_deref(), Some("M. Q."));
        assert_eq!(name("Łucja").as_deref(), Some("Ł."));
        assert_eq!(name("Øyvind Ådne").as_deref(), Some("Ø. Å."));
        assert_eq!(name("김민준").as_deref(), Some("김."));
        // An E followed by a combining acute accent keeps both, composed.
        assert_eq!(name("E\u{301}lodie").as_deref(), Some("\u{c9}."));
        assert_eq!(name("(Bob)").as_deref(), Some("B."));
        assert_eq!(name("  "), None);
        assert_eq!(name("--"), None);
        assert_eq!(masked(Category::Name, "name", json!(42)), None);
    }

    #[test]
    fn birthdates_become_years() {
        let date = |text| masked_text(Category::Birthdate, "birthDate", text);
        assert_eq!(date("1976-01-16").as_deref(), Some("1976"));
        assert_eq!(date("1976").as_deref(), Some("1976"));
        assert_eq!(date("16/01/1976"), None);
        assert_eq!(date("76"), None);
        assert_eq!(
            masked(Category::Birthdate, "birthDate", json!(19760116)),
            None
        );
    }

    #[test]
    fn identifiers_show_at_most_the_last_four_of_eight() {
        let id = |text| masked_text(Category::Identifier, "identifier[2].value", text);
        assert_eq!(id("999-38-8871").as_deref(), Some("****8871"));
        assert_eq!(
            id("c0cd7d3c-da6a-4e2f-a130-35e4d7db9d11").as_deref(),
            Some("****9d11")
        );
        assert_eq!(id("X45898258X").as_deref(), Some("****258X"));
        assert_eq!(
            id("AB1").as_deref(),
            Some("****"),
            "a short identifier is not revealed"
        );
        assert_eq!(id("1234567").as_deref(), Some("****"));
        assert_eq!(id("---"), None);
        assert_eq!(
            masked(Category::Identifier, "customer.id", json!(820018)),
            Some(json!("****"))
        );
        assert_eq!(
            masked(Category::Identifier, "customer.id", json!(12345678901u64)),
            Some(json!("****8901"))
        );
        assert_eq!(masked(Category::Identifier, "x", json!(true)), None);
    }

    #[test]
    fn contacts_keep_the_last_four_digits_or_the_domain() {
        let contact = |text| masked_text(Category::Contact, "telecom[0].value", text);
        assert_eq!(contact("+1 617-555-0142").as_deref(), Some("****0142"));
        assert_eq!(contact("555-996-7155").as_deref(), Some("****7155"));
        assert_eq!(contact("555-0142").as_deref(), Some("****"));
        assert_eq!(
            contact("marisol.q@example.org").as_deref(),
            Some("m***@example.org")
        );
        assert_eq!(
            contact("ål@example.org").as_deref(),
            Some("***@example.org")
        );
        assert_eq!(
            contact("élise@exämple.org").as_deref(),
            Some("é***@exämple.org")
        );
        assert_eq!(contact("broken@"), None);
        assert_eq!(contact("https://example.org/me"), None);
        assert_eq!(
            masked(Category::Contact, "phone", json!(6175550142u64)),
            Some(json!("****0142"))
        );
    }

    #[test]
    fn addresses_keep_city_state_country_and_zip3() {
        let address = |path, text| masked_text(Category::Address, path, text);
        assert_eq!(
            address("address[0].city", "Milford").as_deref(),
            Some("Milford")
        );
        assert_eq!(
            address("address[0].state", "Massachusetts").as_deref(),
            Some("Massachusetts")
        );
        assert_eq!(
            address("billing_address.province_code", "MA").as_deref(),
            Some("MA")
        );
        assert_eq!(
            address("billing_address.country_code", "US").as_deref(),
            Some("US")
        );
        assert_eq!(
            address("address[0].postalCode", "01757").as_deref(),
            Some("017**")
        );
        assert_eq!(
            address("billing_address.zip", "02143-1234").as_deref(),
            Some("021**")
        );
        assert_eq!(
            address("zip", "03601").as_deref(),
            Some("000**"),
            "sparse ZIP3 areas"
        );
        assert_eq!(
            address("zip", "K1A 0B1"),
            None,
            "non-US postal codes are dropped"
        );
        assert_eq!(address("zip", "0175"), None);
        assert_eq!(address("address[0].line[0]", "203 Jones Throughway"), None);
        assert_eq!(address("billing_address.address1", "41 Alder Row"), None);
        assert_eq!(address("billing_address.name", "Marisol Quintero"), None);
        assert_eq!(
            address("address[0].extension[0].extension[0].valueDecimal", "42.1"),
            None
        );
        assert_eq!(masked(Category::Address, "zip", json!(2143)), None);
    }

    #[test]
    fn categories_without_a_reduced_form_are_dropped() {
        for category in [
            Category::Demographic,
            Category::Clinical,
            Category::Financial,
            Category::FreeText,
        ] {
            assert_eq!(masked(category, "code.text", json!("Hypertension")), None);
            assert_eq!(masked(category, "value", json!(12)), None);
        }
    }

    #[test]
    fn no_rule_returns_a_short_value_whole() {
        for value in ["a", "ab", "abc", "abcd", "1234", "a@b", "ab@c"] {
            for category in Category::ALL {
                // A birth date that is only a year is already at the masked granularity.
                if category == Category::Birthdate && value == "1234" {
                    continue;
                }
                let shown = masked(category, "value", json!(value));
                assert_ne!(shown, Some(json!(value)), "{category} {value}");
            }
        }
    }
}
