//! PHI categories and how much of each a decision discloses.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The unit of disclosure: every PHI value phiguard stores belongs to exactly one category, and
/// every access decision says, per category, how much of it the caller may see.
///
/// A record type maps JSON paths to categories. A value in a PHI record whose path no rule
/// maps is [`Category::FreeText`], never treated as safe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// Numbers that single a person out: SSN, medical record number, driver's licence,
    /// passport, insurance member id, and references that embed them.
    Identifier,
    /// Personal names, including maiden names.
    Name,
    /// Telephone numbers, fax numbers and email addresses.
    Contact,
    /// Postal addresses and geographic detail below the state.
    Address,
    /// Date of birth.
    Birthdate,
    /// Gender, race, ethnicity, marital status, language.
    Demographic,
    /// Conditions, observations, medications, procedures, encounters, prescriptions and the
    /// dates of care.
    Clinical,
    /// Claims, payments, coverage and amounts.
    Financial,
    /// Narrative text and any value no rule classified.
    FreeText,
}

impl Category {
    /// Every category, in a fixed order that [`Disclosures`] also uses.
    pub const ALL: [Category; 9] = [
        Category::Identifier,
        Category::Name,
        Category::Contact,
        Category::Address,
        Category::Birthdate,
        Category::Demographic,
        Category::Clinical,
        Category::Financial,
        Category::FreeText,
    ];

    /// The category's name as it appears in APIs, policies and audit events.
    pub const fn as_str(self) -> &'static str {
        match self {
            Category::Identifier => "identifier",
            Category::Name => "name",
            Category::Contact => "contact",
            Category::Address => "address",
            Category::Birthdate => "birthdate",
            Category::Demographic => "demographic",
            Category::Clinical => "clinical",
            Category::Financial => "financial",
            Category::FreeText => "free_text",
        }
    }

    /// The position of this category in [`Category::ALL`].
    pub const fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The text is not one of the nine PHI category names.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown PHI category; expected one of identifier, name, contact, address, birthdate, \
     demographic, clinical, financial, free_text"
)]
pub struct UnknownCategory;

impl FromStr for Category {
    type Err = UnknownCategory;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Category::ALL
            .into_iter()
            .find(|category| category.as_str() == s)
            .ok_or(UnknownCategory)
    }
}

/// How much of one category a caller may see.
///
/// Ordered from least to most revealing, so that combining grants is taking the maximum and
/// applying a ceiling is taking the minimum.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Disclosure {
    /// Nothing of the category leaves the vault, and its ciphertext is not opened.
    #[default]
    Withheld,
    /// A reduced form: initials, birth year, last four digits, first letter and domain of an
    /// email, city/state/ZIP3 of an address. Categories without a safe reduced form (clinical,
    /// demographic, financial, free text) are withheld when masked.
    Masked,
    /// The stored value as it is.
    Clear,
}

impl Disclosure {
    /// The level's name as it appears in APIs, policy annotations and audit events.
    pub const fn as_str(self) -> &'static str {
        match self {
            Disclosure::Withheld => "withheld",
            Disclosure::Masked => "masked",
            Disclosure::Clear => "clear",
        }
    }
}

impl fmt::Display for Disclosure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One [`Disclosure`] per [`Category`]: the outcome of an access decision.
///
/// Serialises as a JSON object from category name to level, with every category present.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Disclosures([Disclosure; 9]);

impl Disclosures {
    /// Nothing disclosed: the starting point of every decision.
    pub const fn withhold_all() -> Self {
        Disclosures([Disclosure::Withheld; 9])
    }

    /// The same level for every category.
    pub const fn uniform(level: Disclosure) -> Self {
        Disclosures([level; 9])
    }

    /// The level granted for `category`.
    pub fn get(&self, category: Category) -> Disclosure {
        self.0[category.index()]
    }

    /// Sets the level for `category`, whatever it was.
    pub fn set(&mut self, category: Category, level: Disclosure) {
        self.0[category.index()] = level;
    }

    /// Grants at least `level` for `category`: grants from several policies combine by taking
    /// the most revealing.
    pub fn raise(&mut self, category: Category, level: Disclosure) {
        let slot = &mut self.0[category.index()];
        *slot = (*slot).max(level);
    }

    /// Caps `category` at `level`: a restriction wins over any grant.
    pub fn cap(&mut self, category: Category, level: Disclosure) {
        let slot = &mut self.0[category.index()];
        *slot = (*slot).min(level);
    }

    /// Every category with its level, in [`Category::ALL`] order.
    pub fn iter(&self) -> impl Iterator<Item = (Category, Disclosure)> + '_ {
        Category::ALL
            .into_iter()
            .map(|category| (category, self.get(category)))
    }

    /// The categories disclosed at all (clear or masked).
    pub fn disclosed(&self) -> impl Iterator<Item = Category> + '_ {
        self.iter()
            .filter(|(_, level)| *level != Disclosure::Withheld)
            .map(|(category, _)| category)
    }

    /// Whether any category is disclosed at all.
    pub fn discloses_anything(&self) -> bool {
        self.disclosed().next().is_some()
    }
}

impl Serialize for Disclosures {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;

        let mut map = serializer.serialize_map(Some(9))?;
        for (category, level) in self.iter() {
            map.serialize_entry(category.as_str(), level.as_str())?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for Disclosures {
    /// Accepts a map from category to level; categories left out are withheld.
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let map = std::collections::BTreeMap::<Category, Disclosure>::deserialize(deserializer)?;
        let mut disclosures = Disclosures::withhold_all();
        for (category, level) in map {
            disclosures.set(category, level);
        }
        Ok(disclosures)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn category_names_round_trip() {
        for category in Category::ALL {
            assert_eq!(category.as_str().parse::<Category>().unwrap(), category);
            assert_eq!(Category::ALL[category.index()], category);
        }
        assert!("ssn".parse::<Category>().is_err());
    }

    #[test]
    fn grants_take_the_maximum_and_ceilings_the_minimum() {
        let mut d = Disclosures::withhold_all();
        d.raise(Category::Clinical, Disclosure::Clear);
        d.raise(Category::Clinical, Disclosure::Masked);
        assert_eq!(d.get(Category::Clinical), Disclosure::Clear);

        d.cap(Category::Clinical, Disclosure::Masked);
        d.raise(Category::Address, Disclosure::Masked);
        d.cap(Category::Address, Disclosure::Clear);
        assert_eq!(d.get(Category::Clinical), Disclosure::Masked);
        assert_eq!(d.get(Category::Address), Disclosure::Masked);
        assert_eq!(
            d.disclosed().collect::<Vec<_>>(),
            [Category::Address, Category::Clinical]
        );
    }

    #[test]
    fn disclosures_serialise_as_a_full_map() {
        let mut d = Disclosures::withhold_all();
        d.set(Category::Name, Disclosure::Masked);
        let json = serde_json::to_value(d).unwrap();
        assert_eq!(json["name"], "masked");
        assert_eq!(json["free_text"], "withheld");
        assert_eq!(json.as_object().unwrap().len(), 9);

        let back: Disclosures = serde_json::from_str(r#"{"name":"masked"}"#).unwrap();
        assert_eq!(back, d);
    }
}
