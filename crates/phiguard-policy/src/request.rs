//! What a decision is about: who asks, for what action, on which resource, for what purpose.

use std::collections::BTreeMap;

use cedar_policy::{Context, Entities, Entity, EntityUid, RestrictedExpression};
use phiguard_core::{
    ActorId, ActorKind, Category, PurposeOfUse, RecordId, Role, SubjectId, TenantId,
};

use crate::schema::Vocabulary;
use crate::{Action, PolicyError};

/// An actor as policies see it, prepared once and reused for every request the actor makes.
///
/// Building the actor's Cedar entity and closing over its roles costs about as much as a
/// decision, so the vault builds a `Principal` when it loads the actor (or its credential) and
/// keeps it while the actor is unchanged. Attributes become Cedar tags on the actor
/// (`principal.getTag("department")`); they describe the workforce member or integration and
/// must never hold a subject's PHI.
#[derive(Debug, Clone)]
pub struct Principal {
    tenant: TenantId,
    actor: ActorId,
    kind: ActorKind,
    roles: Vec<Role>,
    attributes: BTreeMap<String, String>,
    pub(crate) uid: EntityUid,
    /// The actor alone, its ancestors (roles) already closed over; a request adds only the
    /// resource's entities to a copy.
    pub(crate) entities: Entities,
}

impl Principal {
    /// Prepares the actor `actor` of `tenant`, holding `roles`, with free-form `attributes`.
    ///
    /// # Errors
    ///
    /// [`PolicyError::Principal`] if Cedar refuses the entity; with string attributes only,
    /// that does not happen in practice, but the failure is reported rather than hidden.
    pub fn new(
        tenant: TenantId,
        actor: ActorId,
        kind: ActorKind,
        roles: impl IntoIterator<Item = Role>,
        attributes: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Self, PolicyError> {
        let vocabulary = Vocabulary::new()?;
        let mut roles: Vec<Role> = roles.into_iter().collect();
        roles.sort();
        roles.dedup();
        let attributes: BTreeMap<String, String> = attributes.into_iter().collect();

        let uid = vocabulary.actor(&tenant, &actor);
        let attrs = [
            (
                "tenant".to_owned(),
                RestrictedExpression::new_entity_uid(vocabulary.tenant(&tenant)),
            ),
            (
                "kind".to_owned(),
                RestrictedExpression::new_string(kind.as_str().to_owned()),
            ),
        ];
        let parents = roles.iter().map(|role| vocabulary.role(role));
        let tags = attributes
            .iter()
            .map(|(key, value)| (key.clone(), RestrictedExpression::new_string(value.clone())));
        let refused = |message: String| PolicyError::Principal {
            actor: actor.as_str().to_owned(),
            message,
        };
        let entity = Entity::new_with_tags(uid.clone(), attrs, parents, tags)
            .map_err(|e| refused(e.to_string()))?;
        let entities =
            Entities::from_entities([entity], None).map_err(|e| refused(e.to_string()))?;

        Ok(Principal {
            tenant,
            actor,
            kind,
            roles,
            attributes,
            uid,
            entities,
        })
    }

    /// The actor's tenant.
    pub fn tenant(&self) -> &TenantId {
        &self.tenant
    }

    /// The actor's id within its tenant.
    pub fn actor(&self) -> &ActorId {
        &self.actor
    }

    /// What kind of actor this is.
    pub fn kind(&self) -> ActorKind {
        self.kind
    }

    /// The actor's roles, sorted and without repeats.
    pub fn roles(&self) -> &[Role] {
        &self.roles
    }

    /// The actor's free-form attributes, visible to policies as tags.
    pub fn attributes(&self) -> &BTreeMap<String, String> {
        &self.attributes
    }
}

/// What a request touches. Every variant names its tenant, so the tenant wall can hold for
/// every action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resource<'a> {
    /// A whole tenant: search, configuration, keys, audit, tenant creation.
    Tenant(&'a TenantId),
    /// One subject: listing its records, creating a record about it, disposal, restriction,
    /// its audit events.
    Subject {
        /// The subject's tenant.
        tenant: &'a TenantId,
        /// The subject.
        subject: &'a SubjectId,
        /// Whether the subject's records need break-glass access.
        restricted: bool,
    },
    /// One record.
    Record {
        /// The record's tenant.
        tenant: &'a TenantId,
        /// The subject the record is about.
        subject: &'a SubjectId,
        /// The record.
        record: &'a RecordId,
        /// The record type's name, such as `fhir.Observation` (a type name, never PHI).
        record_type: &'a str,
        /// Copied from the subject: whether its records need break-glass access.
        restricted: bool,
    },
}

impl Resource<'_> {
    /// The tenant the resource belongs to.
    pub fn tenant(&self) -> &TenantId {
        match self {
            Resource::Tenant(tenant) => tenant,
            Resource::Subject { tenant, .. } | Resource::Record { tenant, .. } => tenant,
        }
    }

    /// The resource's uid and the Cedar entities a decision about it needs: none for a tenant
    /// (policies compare tenant uids only), the subject for a subject, and the record with its
    /// subject for a record.
    pub(crate) fn entities(
        &self,
        vocabulary: &Vocabulary,
    ) -> Result<(EntityUid, Vec<Entity>), String> {
        match *self {
            Resource::Tenant(tenant) => Ok((vocabulary.tenant(tenant), Vec::new())),

            Resource::Subject {
                tenant,
                subject,
                restricted,
            } => {
                let subject = subject_entity(vocabulary, tenant, subject, restricted)?;
                Ok((subject.uid(), vec![subject]))
            }

            Resource::Record {
                tenant,
                subject,
                record,
                record_type,
                restricted,
            } => {
                let subject = subject_entity(vocabulary, tenant, subject, restricted)?;
                let uid = vocabulary.record(tenant, record);
                let attrs = [
                    tenant_attr(vocabulary, tenant),
                    (
                        "subject".to_owned(),
                        RestrictedExpression::new_entity_uid(subject.uid()),
                    ),
                    (
                        "record_type".to_owned(),
                        RestrictedExpression::new_string(record_type.to_owned()),
                    ),
                    (
                        "restricted".to_owned(),
                        RestrictedExpression::new_bool(restricted),
                    ),
                ];
                let record =
                    Entity::new_with_tags(uid.clone(), attrs, [], []).map_err(|e| e.to_string())?;
                Ok((uid, vec![record, subject]))
            }
        }
    }
}

fn tenant_attr(vocabulary: &Vocabulary, tenant: &TenantId) -> (String, RestrictedExpression) {
    (
        "tenant".to_owned(),
        RestrictedExpression::new_entity_uid(vocabulary.tenant(tenant)),
    )
}

fn subject_entity(
    vocabulary: &Vocabulary,
    tenant: &TenantId,
    subject: &SubjectId,
    restricted: bool,
) -> Result<Entity, String> {
    let attrs = [
        tenant_attr(vocabulary, tenant),
        (
            "restricted".to_owned(),
            RestrictedExpression::new_bool(restricted),
        ),
    ];
    Entity::new_with_tags(vocabulary.subject(tenant, subject), attrs, [], [])
        .map_err(|e| e.to_string())
}

/// One request to decide.
#[derive(Debug, Clone, Copy)]
pub struct AccessRequest<'a> {
    /// Who asks.
    pub principal: &'a Principal,
    /// What they ask to do.
    pub action: Action,
    /// What they ask to do it to.
    pub resource: Resource<'a>,
    /// Why: the purpose of use the request names.
    pub purpose: PurposeOfUse,
    /// True only when the vault holds an active break-glass grant for this actor and subject,
    /// or the request carries a written reason and names ETREAT (the vault then opens a grant).
    pub break_glass: bool,
}

/// Every request context there can be, built once: the purpose code and the break-glass flag,
/// and for the per-category alternative also the category.
#[derive(Debug)]
pub(crate) struct Contexts {
    table: Vec<Context>,
}

impl Contexts {
    const CATEGORY_SLOTS: usize = Category::ALL.len() + 1;

    pub(crate) fn new() -> Result<Self, PolicyError> {
        let mut table = Vec::with_capacity(PurposeOfUse::ALL.len() * 2 * Self::CATEGORY_SLOTS);
        for purpose in PurposeOfUse::ALL {
            for break_glass in [false, true] {
                let categories = std::iter::once(None).chain(Category::ALL.map(Some));
                for category in categories {
                    let mut pairs = vec![
                        (
                            "purpose".to_owned(),
                            RestrictedExpression::new_string(purpose.code().to_owned()),
                        ),
                        (
                            "break_glass".to_owned(),
                            RestrictedExpression::new_bool(break_glass),
                        ),
                    ];
                    if let Some(category) = category {
                        pairs.push((
                            "category".to_owned(),
                            RestrictedExpression::new_string(category.as_str().to_owned()),
                        ));
                    }
                    let context = Context::from_pairs(pairs).map_err(|e| PolicyError::Context {
                        message: e.to_string(),
                    })?;
                    table.push(context);
                }
            }
        }
        Ok(Contexts { table })
    }

    /// The context for `purpose` and `break_glass`, naming `category` when given.
    pub(crate) fn get(
        &self,
        purpose: PurposeOfUse,
        break_glass: bool,
        category: Option<Category>,
    ) -> Option<&Context> {
        let purpose = PurposeOfUse::ALL.iter().position(|p| *p == purpose)?;
        let slot = category.map_or(0, |category| category.index() + 1);
        let index = (purpose * 2 + usize::from(break_glass)) * Self::CATEGORY_SLOTS + slot;
        self.table.get(index)
    }
}
