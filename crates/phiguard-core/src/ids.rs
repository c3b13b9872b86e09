//! Opaque identifiers.
//!
//! Tenant and actor ids are slugs an operator chooses (`northwind-pharmacy`, `dr-okafor`). Subject,
//! record and credential ids are minted by phiguard from random bytes, so they carry no personal
//! data and cannot be guessed from one tenant's ids to another's.

use std::fmt;
use std::str::FromStr;

use data_encoding::BASE32_NOPAD;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Why a string is not a valid identifier.
///
/// The message names the kind of identifier and the rule it broke, never the rejected text:
/// callers sometimes paste PHI where an id belongs, and errors must not echo it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    /// The string is empty or longer than the kind allows.
    #[error("{kind} must be between 1 and {max} characters long")]
    Length {
        /// Which identifier was being parsed.
        kind: &'static str,
        /// The longest accepted length.
        max: usize,
    },
    /// The string contains a character the kind does not allow.
    #[error("{kind} may contain only {allowed}")]
    Alphabet {
        /// Which identifier was being parsed.
        kind: &'static str,
        /// The characters that are allowed, in words.
        allowed: &'static str,
    },
    /// A minted id lacks its prefix or its random part is malformed.
    #[error("{kind} must look like `{prefix}` followed by {len} base32 characters")]
    Minted {
        /// Which identifier was being parsed.
        kind: &'static str,
        /// The prefix every id of this kind starts with.
        prefix: &'static str,
        /// How many base32 characters follow the prefix.
        len: usize,
    },
}

const SLUG_MAX: usize = 63;

fn check_slug(kind: &'static str, s: &str) -> Result<(), IdError> {
    if s.is_empty() || s.len() > SLUG_MAX {
        return Err(IdError::Length {
            kind,
            max: SLUG_MAX,
        });
    }

    let mut chars = s.chars();
    let first_ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    let rest_ok = chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "-_.".contains(c));
    if first_ok && rest_ok {
        Ok(())
    } else {
        Err(IdError::Alphabet {
            kind,
            allowed: "lowercase letters, digits, '-', '_' and '.', starting with a letter or digit",
        })
    }
}

macro_rules! string_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(String);

        impl $name {
            /// The id as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = String::deserialize(deserializer)?;
                text.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

macro_rules! slug_id {
    ($(#[$doc:meta])* $name:ident, $kind:literal) => {
        string_id!($(#[$doc])* $name);

        impl FromStr for $name {
            type Err = IdError;

            fn from_str(s: &str) -> Result<Self, IdError> {
                check_slug($kind, s)?;
                Ok(Self(s.to_owned()))
            }
        }
    };
}

macro_rules! minted_id {
    ($(#[$doc:meta])* $name:ident, $kind:literal, $prefix:literal, $bytes:literal) => {
        string_id!($(#[$doc])* $name);

        impl $name {
            /// The prefix every id of this kind starts with.
            pub const PREFIX: &'static str = $prefix;

            /// How many random bytes an id of this kind carries.
            pub const RANDOM_BYTES: usize = $bytes;

            /// Mints an id from fresh random bytes. The caller supplies the randomness (phiguard
            /// uses the AWS-LC generator) so that this crate stays free of I/O.
            pub fn from_random(bytes: [u8; $bytes]) -> Self {
                let encoded = BASE32_NOPAD.encode(&bytes).to_ascii_lowercase();
                Self(format!("{}{}", $prefix, encoded))
            }

            fn encoded_len() -> usize {
                BASE32_NOPAD.encode_len($bytes)
            }
        }

        impl FromStr for $name {
            type Err = IdError;

            fn from_str(s: &str) -> Result<Self, IdError> {
                let malformed = IdError::Minted {
                    kind: $kind,
                    prefix: $prefix,
                    len: Self::encoded_len(),
                };
                let Some(random) = s.strip_prefix($prefix) else {
                    return Err(malformed);
                };
                let well_formed = random.len() == Self::encoded_len()
                    && random
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || (b'2'..=b'7').contains(&b));
                if well_formed {
                    Ok(Self(s.to_owned()))
                } else {
                    Err(malformed)
                }
            }
        }
    };
}

slug_id!(
    /// A tenant: one healthcare organisation (a HIPAA covered entity) served by the platform.
    ///
    /// A lowercase slug of at most 63 characters, chosen by the operator when the tenant is
    /// created, such as `northwind-pharmacy`.
    TenantId,
    "tenant id"
);

slug_id!(
    /// An actor within one tenant: a workforce member, an integration or a phiguard job.
    ///
    /// A lowercase slug of at most 63 characters, unique within its tenant.
    ActorId,
    "actor id"
);

slug_id!(
    /// One of a tenant's own Cedar policies, named by the tenant.
    ///
    /// A lowercase slug of at most 63 characters, unique within its tenant, such as
    /// `pharmacists-see-insurance`. Checked before any policy text is read, so an error about a
    /// policy never quotes a name the caller sent.
    PolicyId,
    "policy id"
);

minted_id!(
    /// The pseudonymous id of the person a record is about (`sub_` + 26 base32 characters).
    SubjectId,
    "subject id",
    "sub_",
    16
);

minted_id!(
    /// The id of one stored record (`rec_` + 26 base32 characters).
    RecordId,
    "record id",
    "rec_",
    16
);

minted_id!(
    /// The public half of a bearer credential (`cred_` + 16 base32 characters). The secret half
    /// is never stored, only its hash.
    CredentialId,
    "credential id",
    "cred_",
    10
);

slug_id!(
    /// A party outside the vault that a caller passes PHI on to (a payment processor, a
    /// fulfilment partner, an analytics service), as the caller names it in `X-Recipient`.
    ///
    /// A lowercase slug of at most 63 characters, such as `stripe` or `mail-order-rx`. Whether a
    /// business associate agreement covers it is the platform's register, not the vault's.
    RecipientId,
    "recipient id"
);

minted_id!(
    /// One alert raised by a detector (`alr_` + 16 base32 characters). Detectors derive the
    /// bytes from what the alert is about, so a replay of the same events names the same alert.
    AlertId,
    "alert id",
    "alr_",
    10
);

minted_id!(
    /// One security incident under investigation (`inc_` + 16 base32 characters).
    IncidentId,
    "incident id",
    "inc_",
    10
);

string_id!(
    /// The id that ties a response, its log lines and its audit event together.
    ///
    /// Either minted by the server or taken from the caller's `X-Request-Id` header when that
    /// header is a short token of letters, digits, `-`, `_` and `.` (at most 64 characters);
    /// anything else is replaced, so a request id can never smuggle PHI into the logs.
    RequestId
);

impl RequestId {
    const MAX: usize = 64;
}

impl FromStr for RequestId {
    type Err = IdError;

    fn from_str(s: &str) -> Result<Self, IdError> {
        if s.is_empty() || s.len() > Self::MAX {
            return Err(IdError::Length {
                kind: "request id",
                max: Self::MAX,
            });
        }
        if s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
        {
            Ok(Self(s.to_owned()))
        } else {
            Err(IdError::Alphabet {
                kind: "request id",
                allowed: "ASCII letters, digits, '-', '_' and '.'",
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn slugs_accept_operator_names() {
        for ok in [
            "northwind-pharmacy",
            "a",
            "dr.okafor",
            "svc_storefront",
            "0day",
        ] {
            assert!(ok.parse::<TenantId>().is_ok(), "{ok} should parse");
        }
    }

    #[test]
    fn slugs_reject_other_text_without_echoing_it() {
        for bad in [
            "",
            "Upper",
            "-leading",
            "has space",
            "999-38-8871 ",
            &"x".repeat(64),
        ] {
            let err = bad.parse::<ActorId>().unwrap_err();
            let message = err.to_string();
            assert!(message.starts_with("actor id"), "{message}");
            if !bad.is_empty() {
                assert!(
                    !message.contains(bad.trim()),
                    "error echoed input: {message}"
                );
            }
        }
    }

    #[test]
    fn minted_ids_round_trip_and_reject_foreign_prefixes() {
        let subject = SubjectId::from_random([7; 16]);
        assert!(subject.as_str().starts_with("sub_"));
        assert_eq!(subject.as_str().parse::<SubjectId>().unwrap(), subject);

        let record = RecordId::from_random([7; 16]);
        assert!(record.as_str().parse::<SubjectId>().is_err());
        assert!("sub_short".parse::<SubjectId>().is_err());
        assert!(
            "sub_AAAAAAAAAAAAAAAAAAAAAAAAAA"
                .parse::<SubjectId>()
                .is_err()
        );
    }

    #[test]
    fn request_ids_refuse_anything_but_tokens() {
        assert!("req-1.a_B".parse::<RequestId>().is_ok());
        assert!("Jane Doe".parse::<RequestId>().is_err());
        assert!("a/b".parse::<RequestId>().is_err());
        assert!("x".repeat(65).parse::<RequestId>().is_err());
    }

    #[test]
    fn ids_serialize_as_plain_strings_and_validate_on_the_way_in() {
        let tenant: TenantId = "northwind".parse().unwrap();
        let json = serde_json::to_string(&tenant).unwrap();
        assert_eq!(json, "\"northwind\"");
        assert!(serde_json::from_str::<TenantId>("\"North Wind\"").is_err());
    }

    proptest! {
        #[test]
        fn every_minted_id_parses(bytes in any::<[u8; 16]>()) {
            let id = RecordId::from_random(bytes);
            prop_assert_eq!(id.as_str().parse::<RecordId>().unwrap(), id);
        }
    }
}
