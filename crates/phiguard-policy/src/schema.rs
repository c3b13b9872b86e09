//! The Cedar schema every phiguard policy is validated against, and the entity uids it names.

use std::str::FromStr;

use cedar_policy::{EntityId, EntityTypeName, EntityUid, Schema};
use phiguard_core::{ActorId, RecordId, Role, SubjectId, TenantId};

use crate::{Action, PolicyError};

/// The phiguard Cedar schema, in Cedar schema syntax (namespace `Phiguard`).
///
/// Entity uids are unique across tenants: `Phiguard::Tenant::"<tenant>"`,
/// `Phiguard::Actor::"<tenant>/<actor>"`, `Phiguard::Subject::"<tenant>/<subject>"`,
/// `Phiguard::Record::"<tenant>/<record>"`; roles are shared, `Phiguard::Role::"<role>"`.
pub const SCHEMA: &str = include_str!("../cedar/phiguard.cedarschema");

/// Parses [`SCHEMA`].
pub(crate) fn parse_schema() -> Result<Schema, PolicyError> {
    Schema::from_cedarschema_str(SCHEMA)
        .map(|(schema, _warnings)| schema)
        .map_err(|e| PolicyError::BuiltInSchema {
            message: e.to_string(),
        })
}

/// The entity type names of the schema, parsed once, and the uids built from them.
#[derive(Debug, Clone)]
pub(crate) struct Vocabulary {
    tenant: EntityTypeName,
    role: EntityTypeName,
    actor: EntityTypeName,
    subject: EntityTypeName,
    record: EntityTypeName,
    actions: Vec<EntityUid>,
}

impl Vocabulary {
    pub(crate) fn new() -> Result<Self, PolicyError> {
        let type_name = |name: &str| {
            EntityTypeName::from_str(name).map_err(|e| PolicyError::BuiltInSchema {
                message: e.to_string(),
            })
        };

        let action = type_name("Phiguard::Action")?;
        let actions = Action::ALL
            .into_iter()
            .map(|a| EntityUid::from_type_name_and_id(action.clone(), EntityId::new(a.as_str())))
            .collect();

        Ok(Vocabulary {
            tenant: type_name("Phiguard::Tenant")?,
            role: type_name("Phiguard::Role")?,
            actor: type_name("Phiguard::Actor")?,
            subject: type_name("Phiguard::Subject")?,
            record: type_name("Phiguard::Record")?,
            actions,
        })
    }

    pub(crate) fn tenant(&self, tenant: &TenantId) -> EntityUid {
        EntityUid::from_type_name_and_id(self.tenant.clone(), EntityId::new(tenant.as_str()))
    }

    pub(crate) fn role(&self, role: &Role) -> EntityUid {
        EntityUid::from_type_name_and_id(self.role.clone(), EntityId::new(role.as_str()))
    }

    pub(crate) fn actor(&self, tenant: &TenantId, actor: &ActorId) -> EntityUid {
        self.scoped(&self.actor, tenant, actor.as_str())
    }

    pub(crate) fn subject(&self, tenant: &TenantId, subject: &SubjectId) -> EntityUid {
        self.scoped(&self.subject, tenant, subject.as_str())
    }

    pub(crate) fn record(&self, tenant: &TenantId, record: &RecordId) -> EntityUid {
        self.scoped(&self.record, tenant, record.as_str())
    }

    /// The role a uid names, if it is a `Phiguard::Role`.
    pub(crate) fn role_name<'u>(&self, uid: &'u EntityUid) -> Option<&'u str> {
        (uid.type_name() == &self.role).then(|| uid.id().unescaped())
    }

    pub(crate) fn action(&self, action: Action) -> &EntityUid {
        &self.actions[action.index()]
    }

    /// `<tenant>/<id>`: the slash never occurs in a tenant slug, so two tenants cannot share
    /// a uid.
    fn scoped(&self, kind: &EntityTypeName, tenant: &TenantId, id: &str) -> EntityUid {
        let mut scoped = String::with_capacity(tenant.as_str().len() + 1 + id.len());
        scoped.push_str(tenant.as_str());
        scoped.push('/');
        scoped.push_str(id);
        EntityUid::from_type_name_and_id(kind.clone(), EntityId::new(scoped))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schema_parses_and_declares_every_action() {
        let schema = parse_schema().unwrap();
        let vocabulary = Vocabulary::new().unwrap();
        let declared: Vec<_> = schema.actions().collect();
        assert_eq!(declared.len(), Action::ALL.len());
        for action in Action::ALL {
            assert!(
                declared.contains(&vocabulary.action(action)),
                "{action} is not declared"
            );
        }
    }

    #[test]
    fn the_schema_declares_no_action_groups() {
        // Decisions split policy sets by the actions named in each policy's scope, which is
        // exact only while `action in [...]` means membership.
        assert_eq!(parse_schema().unwrap().action_groups().count(), 0);
    }

    #[test]
    fn roles_have_no_ancestors() {
        // Decisions leave out policies scoped to a role the actor does not hold directly,
        // which is exact only while roles sit in no hierarchy.
        let schema = parse_schema().unwrap();
        let role = EntityTypeName::from_str("Phiguard::Role").unwrap();
        assert_eq!(schema.ancestors(&role).unwrap().count(), 0);
    }

    #[test]
    fn uids_are_scoped_by_tenant() {
        let vocabulary = Vocabulary::new().unwrap();
        let actor: ActorId = "dr-okafor".parse().unwrap();
        let north = vocabulary.actor(&"north".parse().unwrap(), &actor);
        let south = vocabulary.actor(&"south".parse().unwrap(), &actor);
        assert_ne!(north, south);
        assert_eq!(north.to_string(), r#"Phiguard::Actor::"north/dr-okafor""#);
    }
}
