//! Deciding one request: a single Cedar evaluation, read into allow or deny and one disclosure
//! per PHI category.

use std::collections::HashMap;
use std::sync::Arc;

use cedar_policy::{
    AuthorizationError, Context, Entities, Entity, EntityUid, PolicyId, PolicySet, Request,
    Response, RestrictedExpression,
};
use phiguard_core::{Category, Decision, Disclosure, Disclosures, Outcome, TenantId};

use crate::compile::EngineCore;
use crate::disclosure_rule::DisclosureRule;
use crate::{AccessRequest, Action};

/// The outcome of one decision, ready for the audit event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessDecision {
    /// Allow or deny.
    pub decision: Decision,
    /// [`Outcome::Success`] when allowed; [`Outcome::Denied`] when policy denied;
    /// [`Outcome::PolicyError`] when a policy failed to evaluate (the request is denied);
    /// [`Outcome::Failed`] when the request could not be put to Cedar at all.
    pub outcome: Outcome,
    /// What the caller may see, per category. Always [`Disclosures::withhold_all`] on a deny
    /// and for actions that return no PHI.
    pub disclosures: Disclosures,
    /// The ids of the policies that determined the decision, sorted: on an allow, the
    /// satisfied grants and ceilings; on a deny, the satisfied forbids (empty when nothing
    /// permitted); on a policy error, the policies that failed.
    pub policies: Vec<String>,
    /// Cedar's evaluation errors, for logging. They name policy ids, entity uids, attribute
    /// and tag names, and values of entity attributes, tags and context, none of which is PHI.
    pub errors: Vec<String>,
}

impl AccessDecision {
    /// Whether the request may proceed.
    pub fn is_allowed(&self) -> bool {
        self.decision == Decision::Allow
    }

    fn deny(outcome: Outcome, policies: Vec<String>, errors: Vec<String>) -> Self {
        AccessDecision {
            decision: Decision::Deny,
            outcome,
            disclosures: Disclosures::withhold_all(),
            policies,
            errors,
        }
    }
}

/// The global policies plus one tenant's own, compiled and ready to decide that tenant's
/// requests. Immutable and cheap to clone (an `Arc`); build it with
/// [`PolicyEngine::compile_tenant`](crate::PolicyEngine::compile_tenant).
#[derive(Debug, Clone)]
pub struct TenantPolicies(Arc<Compiled>);

#[derive(Debug)]
struct Compiled {
    engine: Arc<EngineCore>,
    tenant: TenantId,
    policy_set: PolicySet,
    rules: HashMap<PolicyId, DisclosureRule>,
}

/// A request translated into Cedar's terms.
struct CedarRequest {
    principal: EntityUid,
    resource: EntityUid,
    entities: Entities,
}

impl TenantPolicies {
    pub(crate) fn new(
        engine: Arc<EngineCore>,
        tenant: TenantId,
        policy_set: PolicySet,
        rules: HashMap<PolicyId, DisclosureRule>,
    ) -> Self {
        TenantPolicies(Arc::new(Compiled {
            engine,
            tenant,
            policy_set,
            rules,
        }))
    }

    /// The tenant whose policies these are.
    pub fn tenant(&self) -> &TenantId {
        &self.0.tenant
    }

    /// The ids of every policy in the set, global and the tenant's own, sorted.
    pub fn policy_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = self.0.rules.keys().map(ToString::to_string).collect();
        ids.sort();
        ids
    }

    /// Decides `request` with one Cedar evaluation.
    ///
    /// The principal must belong to this tenant: decisions run on the requesting tenant's
    /// policies. Otherwise, or when the request cannot be put to Cedar, the decision is a deny
    /// with [`Outcome::Failed`]. Any evaluation error denies with [`Outcome::PolicyError`].
    pub fn decide(&self, request: &AccessRequest<'_>) -> AccessDecision {
        let cedar = match self.translate(request) {
            Ok(cedar) => cedar,
            Err(message) => {
                return AccessDecision::deny(Outcome::Failed, Vec::new(), vec![message]);
            }
        };

        match self.evaluate(request, &cedar, None) {
            Ok(response) => self.interpret(request.action, &response),
            Err(message) => AccessDecision::deny(Outcome::Failed, Vec::new(), vec![message]),
        }
    }

    /// Decides `request` the slow way, with one Cedar evaluation per category (nine), each
    /// context naming its category; the level of each category is read from its own
    /// evaluation.
    ///
    /// This is the alternative design that [`TenantPolicies::decide`] replaces. It exists to
    /// measure the two against each other (`examples/bench_decide.rs`) and as a cross-check in
    /// tests; the two always agree.
    #[doc(hidden)]
    pub fn decide_per_category(&self, request: &AccessRequest<'_>) -> AccessDecision {
        let cedar = match self.translate(request) {
            Ok(cedar) => cedar,
            Err(message) => {
                return AccessDecision::deny(Outcome::Failed, Vec::new(), vec![message]);
            }
        };

        let mut disclosures = Disclosures::withhold_all();
        let mut last = None;
        for category in Category::ALL {
            let decision = match self.evaluate(request, &cedar, Some(category)) {
                Ok(response) => self.interpret(request.action, &response),
                Err(message) => {
                    return AccessDecision::deny(Outcome::Failed, Vec::new(), vec![message]);
                }
            };
            if !decision.is_allowed() {
                return decision;
            }
            disclosures.set(category, decision.disclosures.get(category));
            last = Some(decision);
        }

        match last {
            Some(decision) => AccessDecision {
                disclosures,
                ..decision
            },
            None => AccessDecision::deny(Outcome::Failed, Vec::new(), Vec::new()),
        }
    }

    /// Builds the request's entities: the principal (prepared once per actor), the resource
    /// and, for a record, its subject. Nothing else is needed: roles are the principal's
    /// ancestors, and tenants are only compared, never dereferenced.
    fn translate(&self, request: &AccessRequest<'_>) -> Result<CedarRequest, String> {
        let compiled = &*self.0;
        if request.principal.tenant() != &compiled.tenant {
            return Err(format!(
                "the principal belongs to tenant `{}` but these are the policies of tenant `{}`; \
                 decide with the requesting tenant's policies",
                request.principal.tenant(),
                compiled.tenant
            ));
        }

        let (resource, resource_entities) = request
            .resource
            .entities(&compiled.engine.vocabulary)
            .map_err(|e| format!("the resource's Cedar entities could not be built: {e}"))?;
        let principal: Entity = request.principal.entity.clone();
        let entities =
            Entities::from_entities(std::iter::once(principal).chain(resource_entities), None)
                .map_err(|e| format!("the request's Cedar entities could not be assembled: {e}"))?;

        Ok(CedarRequest {
            principal: request.principal.uid.clone(),
            resource,
            entities,
        })
    }

    fn evaluate(
        &self,
        request: &AccessRequest<'_>,
        cedar: &CedarRequest,
        category: Option<Category>,
    ) -> Result<Response, String> {
        let compiled = &*self.0;
        let mut context = vec![
            (
                "purpose".to_owned(),
                RestrictedExpression::new_string(request.purpose.code().to_owned()),
            ),
            (
                "break_glass".to_owned(),
                RestrictedExpression::new_bool(request.break_glass),
            ),
        ];
        if let Some(category) = category {
            context.push((
                "category".to_owned(),
                RestrictedExpression::new_string(category.as_str().to_owned()),
            ));
        }
        let context = Context::from_pairs(context)
            .map_err(|e| format!("the request context could not be built: {e}"))?;

        let cedar_request = Request::new(
            cedar.principal.clone(),
            compiled.engine.vocabulary.action(request.action).clone(),
            cedar.resource.clone(),
            context,
            None,
        )
        .map_err(|e| format!("the Cedar request could not be built: {e}"))?;

        Ok(compiled.engine.authorizer.is_authorized(
            &cedar_request,
            &compiled.policy_set,
            &cedar.entities,
        ))
    }

    /// Reads Cedar's response: errors deny (fail closed); a Cedar allow needs at least one
    /// satisfied permit that is not a ceiling; disclosures are the most revealing grant per
    /// category, capped by every satisfied ceiling.
    fn interpret(&self, action: Action, response: &Response) -> AccessDecision {
        let diagnostics = response.diagnostics();

        if diagnostics.errors().next().is_some() {
            let mut failed: Vec<String> = diagnostics.errors().map(erroring_policy).collect();
            failed.sort();
            failed.dedup();
            let errors = diagnostics.errors().map(ToString::to_string).collect();
            return AccessDecision::deny(Outcome::PolicyError, failed, errors);
        }

        let mut reasons: Vec<&PolicyId> = diagnostics.reason().collect();
        reasons.sort();
        let policies: Vec<String> = reasons.iter().map(ToString::to_string).collect();
        if response.decision() == cedar_policy::Decision::Deny {
            return AccessDecision::deny(Outcome::Denied, policies, Vec::new());
        }

        let mut granted = Disclosures::withhold_all();
        let mut ceiling = Disclosures::uniform(Disclosure::Clear);
        let mut permitted = false;
        for id in reasons {
            match self.0.rules.get(id) {
                Some(DisclosureRule::Plain) => permitted = true,
                Some(DisclosureRule::Grant(grant)) => {
                    permitted = true;
                    for (category, level) in grant.iter() {
                        granted.raise(category, level);
                    }
                }
                Some(DisclosureRule::Ceiling(cap)) => {
                    for (category, level) in cap.iter() {
                        ceiling.cap(category, level);
                    }
                }
                None => {
                    let error =
                        format!("policy `{id}` was satisfied but is not in the compiled set");
                    return AccessDecision::deny(
                        Outcome::PolicyError,
                        vec![id.to_string()],
                        vec![error],
                    );
                }
            }
        }

        if !permitted {
            return AccessDecision::deny(Outcome::Denied, Vec::new(), Vec::new());
        }

        let mut disclosures = Disclosures::withhold_all();
        if action.discloses_phi() {
            for (category, level) in granted.iter() {
                disclosures.set(category, level.min(ceiling.get(category)));
            }
        }
        AccessDecision {
            decision: Decision::Allow,
            outcome: Outcome::Success,
            disclosures,
            policies,
            errors: Vec::new(),
        }
    }
}

fn erroring_policy(error: &AuthorizationError) -> String {
    match error {
        AuthorizationError::PolicyEvaluationError(e) => e.policy_id().to_string(),
    }
}
