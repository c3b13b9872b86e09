//! Whether a leaf is PHI, and of which category.

use std::fmt;
use std::str::FromStr;

use phiguard_core::Category;

/// What a record type says about one leaf of a document.
///
/// There is no "unknown": a leaf that no rule matches is [`Classification::Phi`] of
/// [`Category::FreeText`], never [`Classification::NotPhi`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Classification {
    /// Structure that reveals nothing about the subject: resource types, coding systems, status
    /// flags, form labels. Stored in the [`crate::Part::Structure`] fragment.
    NotPhi,
    /// PHI of one category.
    Phi(Category),
}

impl Classification {
    /// The default for leaves no rule matches.
    pub const UNMATCHED: Classification = Classification::Phi(Category::FreeText);

    /// The name used in record type definitions: `not_phi` or a category name.
    pub fn as_str(self) -> &'static str {
        match self {
            Classification::NotPhi => "not_phi",
            Classification::Phi(category) => category.as_str(),
        }
    }
}

impl fmt::Display for Classification {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The text is neither `not_phi` nor a category name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown classification; expected not_phi or one of identifier, name, contact, address, \
     birthdate, demographic, clinical, financial, free_text"
)]
pub struct UnknownClassification;

impl FromStr for Classification {
    type Err = UnknownClassification;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        if text == "not_phi" {
            return Ok(Classification::NotPhi);
        }
        text.parse()
            .map(Classification::Phi)
            .map_err(|_| UnknownClassification)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for category in Category::ALL {
            let classification = Classification::Phi(category);
            assert_eq!(classification.as_str().parse(), Ok(classification));
        }
        assert_eq!("not_phi".parse(), Ok(Classification::NotPhi));
        assert!("phi".parse::<Classification>().is_err());
        assert_eq!(
            Classification::UNMATCHED,
            Classification::Phi(Category::FreeText)
        );
    }
}
