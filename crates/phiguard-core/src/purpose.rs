//! Purposes of use, from the HL7 v3 `PurposeOfUse` value set (a subset of ActReason).
//!
//! Every request to the vault names exactly one purpose; policies grant disclosures per purpose,
//! so that the same clinician sees less when acting for payment than for treatment.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

macro_rules! purposes {
    ($( $(#[$doc:meta])* $variant:ident = $code:literal, $title:literal; )*) => {
        /// An HL7 v3 ActReason purpose-of-use code.
        ///
        /// Parsed case-sensitively from the code (`TREAT`, `ETREAT`, …), as HL7 spells it.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum PurposeOfUse {
            $( $(#[$doc])* $variant, )*
        }

        impl PurposeOfUse {
            /// Every purpose phiguard understands.
            pub const ALL: &'static [PurposeOfUse] = &[ $( PurposeOfUse::$variant, )* ];

            /// The HL7 code, such as `TREAT`.
            pub const fn code(self) -> &'static str {
                match self { $( PurposeOfUse::$variant => $code, )* }
            }

            /// HL7's display name for the code.
            pub const fn title(self) -> &'static str {
                match self { $( PurposeOfUse::$variant => $title, )* }
            }
        }
    };
}

purposes! {
    /// Treatment of the subject.
    Treat = "TREAT", "treatment";
    /// Emergency treatment: break-glass access that needs a written reason and raises an alert.
    Etreat = "ETREAT", "emergency treatment";
    /// Care management and coordination.
    Caremgt = "CAREMGT", "care management";
    /// Payment for health care.
    Hpaymt = "HPAYMT", "healthcare payment";
    /// Health care operations, including order fulfilment and customer service.
    Hoperat = "HOPERAT", "healthcare operations";
    /// Administration of the systems that hold the information (phiguard's own jobs).
    Hsysadmin = "HSYSADMIN", "healthcare system administration";
    /// Research.
    Hresch = "HRESCH", "healthcare research";
    /// Clinical trial.
    Clintrl = "CLINTRL", "clinical trial research";
    /// Public health.
    Pubhlth = "PUBHLTH", "public health";
    /// A request by the subject.
    Patrqt = "PATRQT", "patient requested";
    /// A request by the subject's family.
    Famrqt = "FAMRQT", "family requested";
    /// A request by a person holding power of attorney.
    Pwatrny = "PWATRNY", "power of attorney";
    /// Legal proceedings.
    Hlegal = "HLEGAL", "legal";
    /// Compliance review.
    Hcompl = "HCOMPL", "compliance";
    /// Quality improvement.
    Hqualimp = "HQUALIMP", "healthcare quality improvement";
    /// Marketing.
    Hmarkt = "HMARKT", "healthcare marketing";
    /// Testing of systems.
    Htest = "HTEST", "test health data";
}

impl PurposeOfUse {
    /// Whether the purpose is treatment, ordinary or emergency.
    pub const fn is_treatment(self) -> bool {
        matches!(self, PurposeOfUse::Treat | PurposeOfUse::Etreat)
    }

    /// Whether the purpose is break-glass emergency access.
    pub const fn is_break_glass(self) -> bool {
        matches!(self, PurposeOfUse::Etreat)
    }
}

impl fmt::Display for PurposeOfUse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// The text is not a purpose-of-use code phiguard understands.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown purpose of use; expected an HL7 ActReason code such as TREAT, ETREAT, HPAYMT, \
         HOPERAT, HRESCH, PUBHLTH or PATRQT"
)]
pub struct UnknownPurpose;

impl FromStr for PurposeOfUse {
    type Err = UnknownPurpose;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        PurposeOfUse::ALL
            .iter()
            .copied()
            .find(|purpose| purpose.code() == s)
            .ok_or(UnknownPurpose)
    }
}

impl Serialize for PurposeOfUse {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.code())
    }
}

impl<'de> Deserialize<'de> for PurposeOfUse {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let code = String::deserialize(deserializer)?;
        code.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for purpose in PurposeOfUse::ALL {
            assert_eq!(purpose.code().parse::<PurposeOfUse>().unwrap(), *purpose);
        }
    }

    #[test]
    fn codes_are_case_sensitive_and_closed() {
        assert!("treat".parse::<PurposeOfUse>().is_err());
        assert!("SNOOP".parse::<PurposeOfUse>().is_err());
        assert!("".parse::<PurposeOfUse>().is_err());
    }

    #[test]
    fn only_etreat_breaks_glass() {
        let breakers: Vec<_> = PurposeOfUse::ALL
            .iter()
            .filter(|p| p.is_break_glass())
            .collect();
        assert_eq!(breakers, [&PurposeOfUse::Etreat]);
    }
}
