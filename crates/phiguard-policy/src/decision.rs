//! Deciding one request: a single Cedar evaluation, read into allow or deny and one disclosure
//! per PHI category.

use std::collections::HashMap;
use std::sync::Arc;

use cedar_policy::{
    AuthorizationError, Entities, EntityUid, PolicyId, PolicySet, Request, Response,
};
use phiguard_core::{Category, Decision, Disclosure, Disclosures, Outcome, TenantId};

use crate::compile::EngineCore;
use crate::disclosure_rule::DisclosureRule;
use crate::selection::Selection;
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
    /// satisfied permits and, for `read_record` and `list_records`, the satisfied ceilings; on
    /// a deny, the satisfied forbids (empty when nothing permitted); on a policy error, the
    /// policies that failed.
    pub policies: Vec<String>,
    /// Why the request could not be decided, for logging: Cedar's evaluation errors (outcome
    /// `PolicyError`) or the reason it could not be put to Cedar (outcome `Failed`). They name
    /// policies, entity uids, tenants and attribute names, and quote policy literals; entities
    /// and contexts hold no PHI, so neither do these.
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
    selection: Selection,
    rules: HashMap<PolicyId, DisclosureRule>,
}

/// A request translated into Cedar's terms, with the policies that can apply to it.
struct CedarRequest {
    principal: EntityUid,
    resource: EntityUid,
    entities: Entities,
    policies: Arc<PolicySet>,
}

impl TenantPolicies {
    pub(crate) fn new(
        engine: Arc<EngineCore>,
        tenant: TenantId,
        selection: Selection,
        rules: HashMap<PolicyId, DisclosureRule>,
    ) -> Self {
        TenantPolicies(Arc::new(Compiled {
            engine,
            tenant,
            selection,
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

    #[cfg(test)]
    pub(crate) fn selection_for_tests(&self) -> &Selection {
        &self.0.selection
    }

    /// Decides `request` with every policy of the tenant, not only those the selection keeps;
    /// tests check that the selection never changes a decision.
    #[cfg(test)]
    pub(crate) fn decide_unselected(&self, request: &AccessRequest<'_>) -> AccessDecision {
        let mut cedar = self.translate(request).unwrap();
        cedar.policies = Arc::new(self.0.selection.everything());
        let response = self.evaluate(request, &cedar, None).unwrap();
        self.interpret(request.action, &response)
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
        let entities = request
            .principal
            .entities
            .clone()
            .add_entities(resource_entities, None)
            .map_err(|e| format!("the request's Cedar entities could not be assembled: {e}"))?;

        let policies = compiled
            .selection
            .for_request(request.action, request.principal.roles())
            .ok_or_else(|| format!("no policy set was compiled for action {}", request.action))?;

        Ok(CedarRequest {
            principal: request.principal.uid.clone(),
            resource,
            entities,
            policies,
        })
    }

    fn evaluate(
        &self,
        request: &AccessRequest<'_>,
        cedar: &CedarRequest,
        category: Option<Category>,
    ) -> Result<Response, String> {
        let compiled = &*self.0;
        let context = compiled
            .engine
            .contexts
            .get(request.purpose, request.break_glass, category)
            .cloned()
            .ok_or_else(|| format!("no request context exists for purpose {}", request.purpose))?;

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
            &cedar.policies,
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
        if response.decision() == cedar_policy::Decision::Deny {
            let forbids = reasons.iter().map(ToString::to_string).collect();
            return AccessDecision::deny(Outcome::Denied, forbids, Vec::new());
        }

        let mut granted = Disclosures::withhold_all();
        let mut ceiling = Disclosures::uniform(Disclosure::Clear);
        let mut permitted = false;
        let mut determining = Vec::with_capacity(reasons.len());
        for id in reasons {
            match self.0.rules.get(id) {
                Some(DisclosureRule::Plain) => permitted = true,
                Some(DisclosureRule::Grant(grant)) => {
                    permitted = true;
                    for (category, level) in grant.iter() {
                        granted.raise(category, level);
                    }
                }
                // A ceiling caps disclosures; on an action without any it determined nothing.
                Some(DisclosureRule::Ceiling(_)) if !action.discloses_phi() => continue,
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
            determining.push(id.to_string());
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
            policies: determining,
            errors: Vec::new(),
        }
    }
}

fn erroring_policy(error: &AuthorizationError) -> String {
    match error {
        AuthorizationError::PolicyEvaluationError(e) => e.policy_id().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use phiguard_core::{ActorKind, PurposeOfUse, Role};
    use proptest::prelude::*;

    use cedar_policy::Entity;

    use super::*;
    use crate::Resource;
    use crate::schema::parse_schema;
    use crate::testing::{World, actor_in, decide, levels};

    const OVERFLOW: &str = r#"@clear("name")
        permit (principal, action == Phiguard::Action::"read_record", resource)
        when { 9223372036854775807 + 1 > 0 };"#;

    #[test]
    fn an_evaluation_error_denies_even_when_other_policies_permit() {
        let world = World::new();
        let policies = world.policies(&[("overflow", OVERFLOW)]);
        let clinician = world.actor(&["clinician"], ActorKind::User);
        let record = world.record(&world.home, false);

        let decision = decide(
            &policies,
            &clinician,
            Action::ReadRecord,
            record,
            PurposeOfUse::Treat,
            false,
        );
        assert_eq!(decision.decision, Decision::Deny);
        assert_eq!(decision.outcome, Outcome::PolicyError);
        assert_eq!(decision.disclosures, Disclosures::withhold_all());
        assert_eq!(decision.policies, ["tenant/overflow"]);
        assert_eq!(decision.errors.len(), 1);
        assert!(
            decision.errors[0].contains("tenant/overflow"),
            "{:?}",
            decision.errors
        );
        assert!(
            decision.errors[0].contains("overflow"),
            "{:?}",
            decision.errors
        );

        let search = Resource::Tenant(&world.home);
        let unaffected = decide(
            &policies,
            &clinician,
            Action::Search,
            search,
            PurposeOfUse::Treat,
            false,
        );
        assert!(
            unaffected.is_allowed(),
            "the failing policy's scope excludes search"
        );
    }

    #[test]
    fn a_failing_policy_out_of_the_request_scope_changes_nothing() {
        let world = World::new();
        let nurses_only = r#"@clear("name")
            permit (
              principal in Phiguard::Role::"nurse",
              action == Phiguard::Action::"read_record",
              resource
            )
            when { 9223372036854775807 + 1 > 0 };"#;
        let policies = world.policies(&[("nurses-only", nurses_only)]);
        let record = world.record(&world.home, false);

        let clinician = world.actor(&["clinician"], ActorKind::User);
        let read = decide(
            &policies,
            &clinician,
            Action::ReadRecord,
            record,
            PurposeOfUse::Treat,
            false,
        );
        assert!(read.is_allowed());
        assert!(read.errors.is_empty());

        let nurse = world.actor(&["clinician", "nurse"], ActorKind::User);
        let read = decide(
            &policies,
            &nurse,
            Action::ReadRecord,
            record,
            PurposeOfUse::Treat,
            false,
        );
        assert_eq!(read.outcome, Outcome::PolicyError);
    }

    #[test]
    fn an_erroring_ceiling_or_forbid_also_denies() {
        let world = World::new();
        let reads =
            r#"action in [Phiguard::Action::"read_record", Phiguard::Action::"list_records"]"#;
        let ceiling = format!(
            r#"@withhold("clinical") forbid (principal, {reads}, resource)
               when {{ 9223372036854775807 * 2 > 0 }};"#
        );
        let forbid = r#"forbid (principal, action == Phiguard::Action::"search", resource)
               when { -9223372036854775807 - 2 < 0 };"#;
        let policies = world.policies(&[("bad-ceiling", &ceiling), ("bad-forbid", forbid)]);
        let clinician = world.actor(&["clinician"], ActorKind::User);

        let record = world.record(&world.home, false);
        let read = decide(
            &policies,
            &clinician,
            Action::ReadRecord,
            record,
            PurposeOfUse::Treat,
            false,
        );
        assert_eq!(
            (read.decision, read.outcome),
            (Decision::Deny, Outcome::PolicyError)
        );
        assert_eq!(read.policies, ["tenant/bad-ceiling"]);

        let tenant = Resource::Tenant(&world.home);
        let search = decide(
            &policies,
            &clinician,
            Action::Search,
            tenant,
            PurposeOfUse::Treat,
            false,
        );
        assert_eq!(
            (search.decision, search.outcome),
            (Decision::Deny, Outcome::PolicyError)
        );
        assert_eq!(search.policies, ["tenant/bad-forbid"]);
    }

    #[test]
    fn evaluation_errors_quote_policy_text_not_entity_contents() {
        // Strict validation leaves arithmetic overflow (and extension functions on literals)
        // as the only errors a phiguard policy can raise: every attribute is required, tags
        // must be guarded with hasTag, extension constructors take literals, and every entity
        // a policy can reach is in the request. The message quotes the policy and operands
        // that come from policy text, not the entities' contents.
        let world = World::new();
        let policies = world.policies(&[("overflow", OVERFLOW)]);
        let clinician = actor_in(
            &world.home,
            &["clinician"],
            ActorKind::User,
            &[("department", "cardiology")],
        );
        let record = world.record(&world.home, false);
        let decision = decide(
            &policies,
            &clinician,
            Action::ReadRecord,
            record,
            PurposeOfUse::Treat,
            false,
        );

        let text = decision.errors.join(" ");
        assert!(!text.contains(world.subject.as_str()), "{text}");
        assert!(!text.contains(world.record.as_str()), "{text}");
        assert!(!text.contains("cardiology"), "{text}");
    }

    #[test]
    fn the_entities_and_context_of_every_request_conform_to_the_schema() {
        let world = World::new();
        let schema = parse_schema().unwrap();
        let policies = world.policies(&[]);
        let principal = actor_in(
            &world.home,
            &["clinician", "nurse"],
            ActorKind::Service,
            &[("department", "cardiology"), ("facility", "north-3")],
        );

        for action in Action::ALL {
            let mut resources = vec![world.resource(action, &world.home, true)];
            if action == Action::ReadAudit {
                resources.push(Resource::Subject {
                    tenant: &world.home,
                    subject: &world.subject,
                    restricted: false,
                });
            }
            for resource in resources {
                let request = AccessRequest {
                    principal: &principal,
                    action,
                    resource,
                    purpose: PurposeOfUse::Etreat,
                    break_glass: true,
                };
                let cedar = policies.translate(&request).unwrap();
                let entities: Vec<Entity> = cedar.entities.iter().cloned().collect();
                Entities::from_entities(entities, Some(&schema)).unwrap();
                let context = policies
                    .0
                    .engine
                    .contexts
                    .get(request.purpose, request.break_glass, None)
                    .unwrap()
                    .clone();
                let action_uid = policies.0.engine.vocabulary.action(action).clone();
                Request::new(
                    cedar.principal,
                    action_uid,
                    cedar.resource,
                    context,
                    Some(&schema),
                )
                .unwrap_or_else(|e| panic!("{action}: {e}"));
            }
        }
    }

    /// What each policy in the proptest set grants, written from the policy texts by hand.
    const GRANTS: &[(&str, &str)] = &[
        ("global/clinician-treatment", "CCCCCCCWC"),
        ("global/pharmacist-treatment", "CCCMCCCWC"),
        ("global/break-glass-treatment", "CCCCCCCWC"),
        ("global/fulfillment-operations", "WCCCWWWWW"),
        ("global/billing-payment", "CMWWMWWCW"),
        ("global/support-masked", "MMMMMWWWW"),
        ("global/storefront-masked", "WMMMWWWWW"),
        ("global/analytics-deidentified", "WWWWMCWWW"),
        ("tenant/nurse-care", "WCMWWWCWW"),
    ];

    const NURSE_CARE: &str = r#"@clear("name, clinical") @masked("contact")
        permit (
          principal in Phiguard::Role::"nurse",
          action in [Phiguard::Action::"read_record", Phiguard::Action::"list_records"],
          resource
        )
        when { ["TREAT", "CAREMGT"].contains(context.purpose) && !resource.restricted };"#;

    const CARE_CEILING: &str = r#"@mask("identifier, contact") @withhold("free_text")
        forbid (
          principal,
          action in [Phiguard::Action::"read_record", Phiguard::Action::"list_records"],
          resource
        )
        when { context.purpose == "CAREMGT" };"#;

    fn request_parts() -> impl Strategy<Value = (u16, usize, usize, usize, bool, bool, bool, bool)>
    {
        (
            0u16..1 << 10,
            0usize..3,
            0..PurposeOfUse::ALL.len(),
            0..Action::ALL.len(),
            any::<bool>(),
            any::<bool>(),
            any::<bool>(),
            any::<bool>(),
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn a_deny_never_discloses_and_an_allow_never_exceeds_its_grants(
            (role_bits, kind, purpose, action, break_glass, restricted, away, with_tenant_policies)
                in request_parts()
        ) {
            let world = World::new();
            let policies = if with_tenant_policies {
                world.policies(&[("nurse-care", NURSE_CARE), ("care-ceiling", CARE_CEILING)])
            } else {
                world.policies(&[])
            };
            let mut roles: Vec<&str> = Role::DEFAULTS
                .iter()
                .copied()
                .chain(["nurse"])
                .enumerate()
                .filter(|(bit, _)| role_bits & (1 << bit) != 0)
                .map(|(_, role)| role)
                .collect();
            roles.sort();
            let kind = [ActorKind::User, ActorKind::Service, ActorKind::System][kind];
            let actor = world.actor(&roles, kind);
            let action = Action::ALL[action];
            let tenant = if away { &world.away } else { &world.home };
            let resource = world.resource(action, tenant, restricted);
            let purpose = PurposeOfUse::ALL[purpose];

            let decision = decide(&policies, &actor, action, resource, purpose, break_glass);

            if !decision.is_allowed() {
                prop_assert_eq!(decision.disclosures, Disclosures::withhold_all());
                return Ok(());
            }
            prop_assert!(!away, "an allow across the tenant wall: {:?}", decision);
            if !action.discloses_phi() {
                prop_assert_eq!(decision.disclosures, Disclosures::withhold_all());
            }
            let mut union = Disclosures::withhold_all();
            for id in &decision.policies {
                if let Some((_, code)) = GRANTS.iter().find(|(grant, _)| grant == id) {
                    for (category, level) in levels(code).iter() {
                        union.raise(category, level);
                    }
                }
            }
            for (category, level) in decision.disclosures.iter() {
                prop_assert!(
                    level <= union.get(category),
                    "{category} is {level} beyond the grants of {:?}", decision.policies
                );
            }
            if restricted && action.discloses_phi() {
                prop_assert_eq!(&decision.policies, &["global/break-glass-treatment".to_owned()]);
            }
        }
    }
}
