//! US states and jurisdictions by their two-letter USPS codes.
//!
//! HIPAA's media notice (164.406) counts residents of "a State or jurisdiction", and state
//! breach laws are keyed by state, so affected counts are kept per jurisdiction: the 50 states,
//! the District of Columbia and the five inhabited territories (AS, GU, MP, PR, VI).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Every jurisdiction phiguard knows, as (USPS code, name), sorted by code.
const JURISDICTIONS: [(&str, &str); 56] = [
    ("AK", "Alaska"),
    ("AL", "Alabama"),
    ("AR", "Arkansas"),
    ("AS", "American Samoa"),
    ("AZ", "Arizona"),
    ("CA", "California"),
    ("CO", "Colorado"),
    ("CT", "Connecticut"),
    ("DC", "District of Columbia"),
    ("DE", "Delaware"),
    ("FL", "Florida"),
    ("GA", "Georgia"),
    ("GU", "Guam"),
    ("HI", "Hawaii"),
    ("IA", "Iowa"),
    ("ID", "Idaho"),
    ("IL", "Illinois"),
    ("IN", "Indiana"),
    ("KS", "Kansas"),
    ("KY", "Kentucky"),
    ("LA", "Louisiana"),
    ("MA", "Massachusetts"),
    ("MD", "Maryland"),
    ("ME", "Maine"),
    ("MI", "Michigan"),
    ("MN", "Minnesota"),
    ("MO", "Missouri"),
    ("MP", "Northern Mariana Islands"),
    ("MS", "Mississippi"),
    ("MT", "Montana"),
    ("NC", "North Carolina"),
    ("ND", "North Dakota"),
    ("NE", "Nebraska"),
    ("NH", "New Hampshire"),
    ("NJ", "New Jersey"),
    ("NM", "New Mexico"),
    ("NV", "Nevada"),
    ("NY", "New York"),
    ("OH", "Ohio"),
    ("OK", "Oklahoma"),
    ("OR", "Oregon"),
    ("PA", "Pennsylvania"),
    ("PR", "Puerto Rico"),
    ("RI", "Rhode Island"),
    ("SC", "South Carolina"),
    ("SD", "South Dakota"),
    ("TN", "Tennessee"),
    ("TX", "Texas"),
    ("UT", "Utah"),
    ("VA", "Virginia"),
    ("VI", "U.S. Virgin Islands"),
    ("VT", "Vermont"),
    ("WA", "Washington"),
    ("WI", "Wisconsin"),
    ("WV", "West Virginia"),
    ("WY", "Wyoming"),
];

/// A US state, the District of Columbia or an inhabited territory, named by its USPS code.
///
/// Parsing accepts the code in either case and refuses anything else (no full names, no
/// military APO/FPO codes). Serialises as the upper-case code. Ordered by code.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Jurisdiction(u8);

impl Jurisdiction {
    /// Every jurisdiction, ordered by code.
    pub fn all() -> impl Iterator<Item = Jurisdiction> {
        (0..JURISDICTIONS.len()).filter_map(|index| u8::try_from(index).ok().map(Jurisdiction))
    }

    /// The two-letter USPS code, upper case (`TX`).
    pub fn code(self) -> &'static str {
        JURISDICTIONS[usize::from(self.0)].0
    }

    /// The jurisdiction's name in English (`Texas`).
    pub fn name(self) -> &'static str {
        JURISDICTIONS[usize::from(self.0)].1
    }
}

impl fmt::Display for Jurisdiction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl fmt::Debug for Jurisdiction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Jurisdiction({})", self.code())
    }
}

/// The text is not the USPS code of a state, DC or an inhabited territory.
///
/// The rejected text is not repeated: it may have been pasted from a patient's address.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown jurisdiction; use the two-letter USPS code of a state, DC or a territory \
     (AS, GU, MP, PR, VI)"
)]
pub struct UnknownJurisdiction;

impl FromStr for Jurisdiction {
    type Err = UnknownJurisdiction;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let position = JURISDICTIONS
            .iter()
            .position(|(code, _)| code.eq_ignore_ascii_case(s))
            .ok_or(UnknownJurisdiction)?;
        u8::try_from(position)
            .map(Jurisdiction)
            .map_err(|_| UnknownJurisdiction)
    }
}

impl Serialize for Jurisdiction {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.code())
    }
}

impl<'de> Deserialize<'de> for Jurisdiction {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_sorted_unique_and_round_trip() {
        assert!(JURISDICTIONS.windows(2).all(|pair| pair[0].0 < pair[1].0));
        assert_eq!(Jurisdiction::all().count(), 56);
        for jurisdiction in Jurisdiction::all() {
            assert_eq!(
                jurisdiction.code().parse::<Jurisdiction>().unwrap(),
                jurisdiction
            );
        }
    }

    #[test]
    fn dc_and_territories_parse_and_names_do_not() {
        for code in ["dc", "PR", "gu", "VI", "AS", "MP"] {
            assert!(code.parse::<Jurisdiction>().is_ok(), "{code}");
        }
        for text in ["Texas", "AE", "", "TXX"] {
            assert_eq!(text.parse::<Jurisdiction>(), Err(UnknownJurisdiction));
        }
        assert_eq!("tx".parse::<Jurisdiction>().unwrap().name(), "Texas");
    }

    #[test]
    fn serialises_as_the_code() {
        let tx: Jurisdiction = "TX".parse().unwrap();
        assert_eq!(serde_json::to_string(&tx).unwrap(), "\"TX\"");
        assert!(serde_json::from_str::<Jurisdiction>("\"ZZ\"").is_err());
    }
}
