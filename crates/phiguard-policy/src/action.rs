//! What an actor asks to do: the actions of the phiguard Cedar schema.

use std::fmt;
use std::str::FromStr;

/// One action of the phiguard schema (`Phiguard::Action::"<name>"`).
///
/// Only [`Action::ReadRecord`] and [`Action::ListRecords`] return PHI; their decisions carry a
/// disclosure per category. Every other action is a plain allow or deny.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Action {
    /// Read one record (resource: the record).
    ReadRecord,
    /// List the records of one subject (resource: the subject).
    ListRecords,
    /// Search a tenant's blind indexes (resource: the tenant).
    Search,
    /// Store a new record about a subject (resource: the subject).
    CreateRecord,
    /// Crypto-shred a subject (resource: the subject).
    DisposeSubject,
    /// Mark a subject restricted or lift the restriction (resource: the subject).
    RestrictSubject,
    /// Create or change actors and their credentials (resource: the tenant).
    ManageActors,
    /// Add, replace or remove tenant policies (resource: the tenant).
    ManagePolicies,
    /// Register record types and attribute mappings (resource: the tenant).
    ManageRecordTypes,
    /// Read audit events (resource: the tenant, or one subject).
    ReadAudit,
    /// Read actors, policies and record types (resource: the tenant).
    ReadConfiguration,
    /// Add a tenant key version and re-wrap (resource: the tenant).
    RotateKeys,
    /// Create a tenant (resource: the new tenant).
    CreateTenant,
}

impl Action {
    /// Every action, in declaration order.
    pub const ALL: [Action; 13] = [
        Action::ReadRecord,
        Action::ListRecords,
        Action::Search,
        Action::CreateRecord,
        Action::DisposeSubject,
        Action::RestrictSubject,
        Action::ManageActors,
        Action::ManagePolicies,
        Action::ManageRecordTypes,
        Action::ReadAudit,
        Action::ReadConfiguration,
        Action::RotateKeys,
        Action::CreateTenant,
    ];

    /// The action's id in the schema, such as `read_record`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Action::ReadRecord => "read_record",
            Action::ListRecords => "list_records",
            Action::Search => "search",
            Action::CreateRecord => "create_record",
            Action::DisposeSubject => "dispose_subject",
            Action::RestrictSubject => "restrict_subject",
            Action::ManageActors => "manage_actors",
            Action::ManagePolicies => "manage_policies",
            Action::ManageRecordTypes => "manage_record_types",
            Action::ReadAudit => "read_audit",
            Action::ReadConfiguration => "read_configuration",
            Action::RotateKeys => "rotate_keys",
            Action::CreateTenant => "create_tenant",
        }
    }

    /// Whether the action returns PHI, so that its decision carries disclosures.
    pub const fn discloses_phi(self) -> bool {
        matches!(self, Action::ReadRecord | Action::ListRecords)
    }

    /// The position of this action in [`Action::ALL`].
    pub(crate) const fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The text is not one of the schema's action names.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown action; expected one of the phiguard schema's actions such as read_record")]
pub struct UnknownAction;

impl FromStr for Action {
    type Err = UnknownAction;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Action::ALL
            .into_iter()
            .find(|action| action.as_str() == s)
            .ok_or(UnknownAction)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_indexes_match_positions() {
        for (position, action) in Action::ALL.into_iter().enumerate() {
            assert_eq!(action.as_str().parse::<Action>().unwrap(), action);
            assert_eq!(action.index(), position);
        }
        assert!("read".parse::<Action>().is_err());
    }

    #[test]
    fn only_reads_and_lists_disclose_phi() {
        let phi: Vec<_> = Action::ALL
            .into_iter()
            .filter(|a| a.discloses_phi())
            .collect();
        assert_eq!(phi, [Action::ReadRecord, Action::ListRecords]);
    }
}
