//! Fixtures shared by the unit tests: two fictional tenants, actors and resources.

use phiguard_core::{
    ActorKind, Category, Disclosure, Disclosures, PurposeOfUse, RecordId, SubjectId, TenantId,
};

use crate::{
    AccessDecision, AccessRequest, Action, PolicyEngine, Principal, Resource, TenantPolicies,
    TenantPolicy,
};

/// The tenant the tests act in, its neighbour, and one subject and record id used in both.
pub(crate) struct World {
    pub(crate) engine: PolicyEngine,
    pub(crate) home: TenantId,
    pub(crate) away: TenantId,
    pub(crate) subject: SubjectId,
    pub(crate) record: RecordId,
}

impl World {
    pub(crate) fn new() -> Self {
        World {
            engine: PolicyEngine::new().unwrap(),
            home: "northwind".parse().unwrap(),
            away: "southgate".parse().unwrap(),
            subject: SubjectId::from_random([11; 16]),
            record: RecordId::from_random([22; 16]),
        }
    }

    /// The home tenant's policy set with these `(id, text)` tenant policies.
    pub(crate) fn policies(&self, own: &[(&str, &str)]) -> TenantPolicies {
        self.engine
            .compile_tenant(&self.home, &tenant_policies(own))
            .unwrap()
    }

    /// An actor of the home tenant.
    pub(crate) fn actor(&self, roles: &[&str], kind: ActorKind) -> Principal {
        actor_in(&self.home, roles, kind, &[])
    }

    /// The natural resource of `action` in `tenant`: a record for reads, the subject for
    /// subject actions, the tenant otherwise.
    pub(crate) fn resource<'a>(
        &'a self,
        action: Action,
        tenant: &'a TenantId,
        restricted: bool,
    ) -> Resource<'a> {
        match action {
            Action::ReadRecord => self.record(tenant, restricted),
            Action::ListRecords
            | Action::CreateRecord
            | Action::DisposeSubject
            | Action::RestrictSubject => Resource::Subject {
                tenant,
                subject: &self.subject,
                restricted,
            },
            _ => Resource::Tenant(tenant),
        }
    }

    /// A record of `tenant` about the world's subject.
    pub(crate) fn record<'a>(&'a self, tenant: &'a TenantId, restricted: bool) -> Resource<'a> {
        Resource::Record {
            tenant,
            subject: &self.subject,
            record: &self.record,
            record_type: "fhir.Observation",
            restricted,
        }
    }
}

pub(crate) fn tenant_policies(own: &[(&str, &str)]) -> Vec<TenantPolicy> {
    own.iter()
        .map(|(id, text)| TenantPolicy {
            id: (*id).into(),
            text: (*text).into(),
        })
        .collect()
}

pub(crate) fn actor_in(
    tenant: &TenantId,
    roles: &[&str],
    kind: ActorKind,
    attributes: &[(&str, &str)],
) -> Principal {
    Principal::new(
        tenant.clone(),
        "dana-ito".parse().unwrap(),
        kind,
        roles.iter().map(|role| role.parse().unwrap()),
        attributes
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
    )
    .unwrap()
}

/// The kind of actor each default role naturally has.
pub(crate) fn natural_kind(role: &str) -> ActorKind {
    match role {
        "storefront" | "analytics" | "fulfillment" => ActorKind::Service,
        _ => ActorKind::User,
    }
}

/// Decides one request.
pub(crate) fn decide(
    policies: &TenantPolicies,
    principal: &Principal,
    action: Action,
    resource: Resource<'_>,
    purpose: PurposeOfUse,
    break_glass: bool,
) -> AccessDecision {
    let request = AccessRequest {
        principal,
        action,
        resource,
        purpose,
        break_glass,
    };
    let decision = policies.decide(&request);
    assert_eq!(
        decision,
        policies.decide_per_category(&request),
        "the single evaluation and the per-category evaluations disagree"
    );
    if decision.outcome != phiguard_core::Outcome::Failed {
        assert_eq!(
            decision,
            policies.decide_unselected(&request),
            "selecting policies by action and role changed the decision"
        );
    }
    decision
}

/// Nine letters, one per category in `Category::ALL` order: `C` clear, `M` masked,
/// `W` withheld.
pub(crate) fn levels(code: &str) -> Disclosures {
    assert_eq!(
        code.len(),
        Category::ALL.len(),
        "a level code has nine letters: {code}"
    );
    let mut disclosures = Disclosures::withhold_all();
    for (category, letter) in Category::ALL.into_iter().zip(code.chars()) {
        let level = match letter {
            'C' => Disclosure::Clear,
            'M' => Disclosure::Masked,
            'W' => Disclosure::Withheld,
            other => panic!("unknown level letter {other} in {code}"),
        };
        disclosures.set(category, level);
    }
    disclosures
}
