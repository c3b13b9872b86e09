//! Who asks: actor kinds and roles.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::IdError;

/// What kind of party an actor is. Every access by every kind is recorded; automated access
/// is never exempt from the audit trail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActorKind {
    /// A person: a clinician, pharmacist, support agent, administrator.
    User,
    /// An integration acting for the tenant: storefront, fulfilment, analytics, payment.
    Service,
    /// One of phiguard's own jobs: import, key rotation, export, disposal, detection.
    System,
}

impl ActorKind {
    /// The kind's name as it appears in APIs and audit events.
    pub const fn as_str(self) -> &'static str {
        match self {
            ActorKind::User => "user",
            ActorKind::Service => "service",
            ActorKind::System => "system",
        }
    }
}

impl fmt::Display for ActorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The text is not an actor kind.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown actor kind; expected user, service or system")]
pub struct UnknownActorKind;

impl FromStr for ActorKind {
    type Err = UnknownActorKind;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "user" => Ok(ActorKind::User),
            "service" => Ok(ActorKind::Service),
            "system" => Ok(ActorKind::System),
            _ => Err(UnknownActorKind),
        }
    }
}

/// A role an actor holds; policies grant disclosures to roles.
///
/// A lowercase slug. phiguard ships policies for the roles named by the associated constants;
/// tenants may define their own roles and write policies for them.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Role(String);

impl Role {
    /// Treats patients: clear access for treatment.
    pub const CLINICIAN: &'static str = "clinician";
    /// Dispenses prescriptions: clear access for treatment, address masked.
    pub const PHARMACIST: &'static str = "pharmacist";
    /// Ships orders: name, address and phone for operations.
    pub const FULFILLMENT: &'static str = "fulfillment";
    /// Bills for care: identifiers and financial data for payment.
    pub const BILLING: &'static str = "billing";
    /// Answers customers: masked data only.
    pub const SUPPORT: &'static str = "support";
    /// The storefront integration: masked data only.
    pub const STOREFRONT: &'static str = "storefront";
    /// The analytics integration: nothing that identifies a person.
    pub const ANALYTICS: &'static str = "analytics";
    /// Administers one tenant's configuration; sees no PHI.
    pub const TENANT_ADMIN: &'static str = "tenant_admin";
    /// Operates the platform; sees no PHI and no tenant data.
    pub const PLATFORM_OPERATOR: &'static str = "platform_operator";

    /// The roles phiguard ships default policies for.
    pub const DEFAULTS: [&'static str; 9] = [
        Role::CLINICIAN,
        Role::PHARMACIST,
        Role::FULFILLMENT,
        Role::BILLING,
        Role::SUPPORT,
        Role::STOREFRONT,
        Role::ANALYTICS,
        Role::TENANT_ADMIN,
        Role::PLATFORM_OPERATOR,
    ];

    /// The role's name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for Role {
    type Err = IdError;

    fn from_str(s: &str) -> Result<Self, IdError> {
        const MAX: usize = 63;
        if s.is_empty() || s.len() > MAX {
            return Err(IdError::Length {
                kind: "role",
                max: MAX,
            });
        }
        let valid = s.bytes().next().is_some_and(|b| b.is_ascii_lowercase())
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if valid {
            Ok(Role(s.to_owned()))
        } else {
            Err(IdError::Alphabet {
                kind: "role",
                allowed: "lowercase letters, digits and '_', starting with a letter",
            })
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Role({})", self.0)
    }
}

impl Serialize for Role {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Role {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_roles_are_valid_role_names() {
        for name in Role::DEFAULTS {
            assert_eq!(name.parse::<Role>().unwrap().as_str(), name);
        }
    }

    #[test]
    fn kinds_round_trip() {
        for kind in [ActorKind::User, ActorKind::Service, ActorKind::System] {
            assert_eq!(kind.as_str().parse::<ActorKind>().unwrap(), kind);
        }
        assert!("robot".parse::<ActorKind>().is_err());
    }
}
