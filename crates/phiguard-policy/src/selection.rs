//! Which policies can apply to a request, so that Cedar evaluates only those.
//!
//! Cedar evaluates every policy of the set it is given, and building each policy's condition
//! costs about as much as evaluating it. Two parts of a policy's scope can be checked before
//! evaluation, exactly and without ever hiding an error, because Cedar would evaluate them to
//! false without error: the action (`action == ...`, `action in [...]`) and a principal scope
//! `principal in Phiguard::Role::"..."` for a role the actor does not hold. Everything else
//! stays in the set.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use cedar_policy::{ActionConstraint, EntityUid, Policy, PolicySet, PrincipalConstraint};
use phiguard_core::Role;

use crate::schema::Vocabulary;
use crate::{Action, PolicyError};

/// How many distinct role sets one action remembers a policy set for; beyond that, requests
/// use the action's whole set, which decides the same, only slower.
const ROLE_SETS_PER_ACTION: usize = 256;

/// A tenant's compiled policies, split by action and, lazily, by the principal's roles.
#[derive(Debug)]
pub(crate) struct Selection {
    per_action: Vec<ActionPolicies>,
}

#[derive(Debug)]
struct ActionPolicies {
    /// Every policy whose scope admits the action.
    all: Arc<PolicySet>,
    /// The same policies, each with the role its principal scope requires.
    scoped: Vec<ScopedPolicy>,
    /// The policies that can apply for one set of roles (sorted, as `Principal` keeps them).
    by_roles: RwLock<HashMap<Vec<Role>, Arc<PolicySet>>>,
}

#[derive(Debug, Clone)]
struct ScopedPolicy {
    policy: Policy,
    /// The role named by a `principal in Phiguard::Role::"..."` scope.
    required_role: Option<String>,
}

impl Selection {
    pub(crate) fn new<'p>(
        policies: impl IntoIterator<Item = &'p Policy>,
        vocabulary: &Vocabulary,
    ) -> Result<Self, PolicyError> {
        let mut scoped_by_action: Vec<Vec<ScopedPolicy>> =
            Action::ALL.iter().map(|_| Vec::new()).collect();
        for policy in policies {
            let required_role = match policy.principal_constraint() {
                PrincipalConstraint::In(uid) => vocabulary.role_name(&uid).map(str::to_owned),
                _ => None,
            };
            let scoped = ScopedPolicy {
                policy: policy.clone(),
                required_role,
            };
            for action in actions_in_scope(policy, vocabulary) {
                scoped_by_action[action.index()].push(scoped.clone());
            }
        }

        let mut per_action = Vec::with_capacity(scoped_by_action.len());
        for scoped in scoped_by_action {
            let all =
                PolicySet::from_policies(scoped.iter().map(|s| s.policy.clone())).map_err(|e| {
                    PolicyError::DuplicatePolicy {
                        policy: e.to_string(),
                    }
                })?;
            per_action.push(ActionPolicies {
                all: Arc::new(all),
                scoped,
                by_roles: RwLock::new(HashMap::new()),
            });
        }
        Ok(Selection { per_action })
    }

    /// The policies that can apply when an actor holding `roles` (sorted) takes `action`.
    pub(crate) fn for_request(&self, action: Action, roles: &[Role]) -> Option<Arc<PolicySet>> {
        let policies = self.per_action.get(action.index())?;

        if let Ok(cache) = policies.by_roles.read() {
            if let Some(set) = cache.get(roles) {
                return Some(Arc::clone(set));
            }
            if cache.len() >= ROLE_SETS_PER_ACTION {
                return Some(Arc::clone(&policies.all));
            }
        }

        let applicable = policies.scoped.iter().filter(|scoped| {
            let required = scoped.required_role.as_deref();
            required.is_none_or(|role| roles.iter().any(|held| held.as_str() == role))
        });
        let Ok(set) = PolicySet::from_policies(applicable.map(|scoped| scoped.policy.clone()))
        else {
            return Some(Arc::clone(&policies.all));
        };
        let set = Arc::new(set);
        if let Ok(mut cache) = policies.by_roles.write() {
            cache.insert(roles.to_vec(), Arc::clone(&set));
        }
        Some(set)
    }
}

impl Selection {
    /// Every policy of every action, once.
    #[cfg(test)]
    pub(crate) fn everything(&self) -> PolicySet {
        let mut everything = PolicySet::new();
        for policies in &self.per_action {
            for policy in policies.all.policies() {
                if everything.policy(policy.id()).is_none() {
                    everything.add(policy.clone()).unwrap();
                }
            }
        }
        everything
    }
}

/// The actions a policy's scope admits. The schema declares no action groups (a test pins
/// this), so `action in [...]` is plain membership.
fn actions_in_scope(policy: &Policy, vocabulary: &Vocabulary) -> Vec<Action> {
    let named = |uid: &EntityUid| -> Vec<Action> {
        Action::ALL
            .into_iter()
            .filter(|action| vocabulary.action(*action) == uid)
            .collect()
    };
    match policy.action_constraint() {
        ActionConstraint::Any => Action::ALL.to_vec(),
        ActionConstraint::Eq(uid) => named(&uid),
        ActionConstraint::In(uids) => uids.iter().flat_map(named).collect(),
    }
}

#[cfg(test)]
mod tests {
    use phiguard_core::{ActorKind, PurposeOfUse};

    use super::*;
    use crate::testing::{World, decide};

    #[test]
    fn beyond_the_remembered_role_sets_decisions_use_the_whole_set_and_agree() {
        let world = World::new();
        let policies = world.policies(&[]);
        let record = world.record(&world.home, false);

        for n in 0..ROLE_SETS_PER_ACTION + 20 {
            let custom = format!("team_{n}");
            let roles = ["clinician", custom.as_str()];
            let actor = world.actor(&roles, ActorKind::User);
            let decision = decide(
                &policies,
                &actor,
                Action::ReadRecord,
                record,
                PurposeOfUse::Treat,
                false,
            );
            assert!(decision.is_allowed(), "{roles:?}");
        }
    }

    #[test]
    fn no_tenant_policy_reaches_past_a_restriction_without_break_glass() {
        let world = World::new();
        let policies = world.policies(&[(
            "admin-reads-all",
            r#"@clear("*")
permit (
  principal in Phiguard::Role::"tenant_admin",
  action in [Phiguard::Action::"read_record", Phiguard::Action::"list_records"],
  resource
);"#,
        )]);
        let admin = world.actor(&["tenant_admin"], ActorKind::User);
        let read = |restricted| {
            decide(
                &policies,
                &admin,
                Action::ReadRecord,
                world.record(&world.home, restricted),
                PurposeOfUse::Hoperat,
                false,
            )
        };

        assert!(read(false).is_allowed(), "the tenant's own grant applies");
        let refused = read(true);
        assert!(!refused.is_allowed());
        assert!(
            refused
                .policies
                .iter()
                .any(|p| p == "global/restriction-holds"),
            "{:?}",
            refused.policies
        );
    }

    #[test]
    fn policies_are_kept_for_the_actions_and_roles_their_scope_admits() {
        let world = World::new();
        let policies = world.policies(&[]);
        let selection = &policies.selection_for_tests();
        let ids = |action: Action, roles: &[&str]| -> Vec<String> {
            let roles: Vec<Role> = roles.iter().map(|r| r.parse().unwrap()).collect();
            let set = selection.for_request(action, &roles).unwrap();
            let mut ids: Vec<String> = set.policies().map(|p| p.id().to_string()).collect();
            ids.sort();
            ids
        };

        assert_eq!(
            ids(Action::ReadRecord, &["clinician"]),
            [
                "global/break-glass-treatment",
                "global/clinician-treatment",
                "global/restriction-holds",
                "global/tenant-wall",
            ]
        );
        assert_eq!(
            ids(Action::CreateTenant, &[]),
            ["global/only-operators-create-tenants", "global/tenant-wall",]
        );
        assert!(ids(Action::Search, &["billing"]).contains(&"global/billing-search".to_owned()));
        assert!(!ids(Action::Search, &["support"]).contains(&"global/billing-search".to_owned()));
    }
}
