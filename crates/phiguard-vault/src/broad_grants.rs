//! Tenant policies that disclose PHI in the clear more widely than minimum necessary suggests:
//! the `broad_phi_grants` of the vault's posture.
//!
//! Only a tenant's own policies are read; the global ones are phiguard's baseline. A policy is
//! reported when it is a `permit` whose `@clear` annotation names at least one category (what
//! `@masked` grants is reduced, so it does not count) and it reaches one of:
//!
//! - **every principal**: its scope names no role and no actor, and no condition limits it to
//!   some. Tests of an actor's kind or attributes do not count as a limit: administrators set
//!   attributes freely, so they are no boundary.
//! - **a broad role**, [`BROAD_ROLES`]: roles whose work needs no PHI in the clear (support
//!   desks, the storefront, analytics, administrators). Every category it clears is named.
//! - **any role, for `clinical` or `free_text`**: the most sensitive categories, which the global
//!   policies clear only for treating people; a tenant grant of them is always worth a review.
//!
//! Whom a policy reaches is read from its scope (`principal in Phiguard::Role::"support"`) and,
//! when the scope names no one, from its `when` conditions: a condition that must hold (one side
//! of a top-level `&&`) and tests `principal in` a role or a set of roles limits the policy to
//! those roles; `principal == Phiguard::Actor::"..."` limits it to one actor, which is never
//! broad. A role test under `||`, `!` or `if` limits nothing, so such a policy counts as reaching
//! every principal: the heuristic errs towards reporting. Ceilings the tenant also wrote
//! (`@withhold`, `@mask`) are not subtracted either; a report is a policy to review, not proof of
//! a disclosure.

use std::collections::BTreeSet;

use cedar_policy::{Effect, PrincipalConstraint};
use phiguard_core::posture::BroadGrant;
use phiguard_core::{Category, PolicyId, Role};
use phiguard_store::Policy;
use serde_json::Value;

/// Roles whose work needs no PHI in the clear: any category they are granted in the clear is
/// reported.
pub(crate) const BROAD_ROLES: [&str; 4] = [
    Role::SUPPORT,
    Role::STOREFRONT,
    Role::ANALYTICS,
    Role::TENANT_ADMIN,
];

/// Categories reported whichever role a tenant policy clears them for.
const SENSITIVE: [Category; 2] = [Category::Clinical, Category::FreeText];

/// The schema's entity types a scope or condition can name.
const ROLE_TYPE: &str = "Phiguard::Role";
const ACTOR_TYPE: &str = "Phiguard::Actor";

/// Whom a permit reaches.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Reach {
    /// Every actor of the tenant.
    Everyone,
    /// Actors holding one of these roles.
    Roles(BTreeSet<String>),
    /// One named actor.
    Named,
}

/// The tenant policies among `policies` that grant PHI in the clear broadly, in the order
/// given, with why. A policy whose text does not parse (stored policies always do) is skipped:
/// a tenant whose policies no longer compile is denied everything.
pub(crate) fn broad_grants(policies: &[Policy]) -> Vec<BroadGrant> {
    policies.iter().filter_map(broad_grant).collect()
}

fn broad_grant(policy: &Policy) -> Option<BroadGrant> {
    let parsed = cedar_policy::Policy::parse(None, &policy.text).ok()?;
    if parsed.effect() != Effect::Permit {
        return None;
    }
    let clear = categories(parsed.annotation("clear")?);
    if clear.is_empty() {
        return None;
    }

    let reach = match scope_reach(&parsed) {
        Reach::Everyone => condition_reach(&parsed.to_json().ok()?),
        scoped => scoped,
    };
    let reasons = reasons(&reach, &clear);
    if reasons.is_empty() {
        return None;
    }

    let id: PolicyId = policy.id.parse().ok()?;
    Some(BroadGrant {
        policy: id,
        reason: reasons.join("; "),
    })
}

fn reasons(reach: &Reach, clear: &[Category]) -> Vec<String> {
    match reach {
        Reach::Named => Vec::new(),
        Reach::Everyone => vec![format!(
            "permits every principal, with {} in the clear",
            names(clear)
        )],
        Reach::Roles(roles) => roles
            .iter()
            .filter_map(|role| {
                let granted: Vec<Category> = if BROAD_ROLES.contains(&role.as_str()) {
                    clear.to_vec()
                } else {
                    clear
                        .iter()
                        .copied()
                        .filter(|c| SENSITIVE.contains(c))
                        .collect()
                };
                (!granted.is_empty())
                    .then(|| format!("grants {} in the clear to role {role}", names(&granted)))
            })
            .collect(),
    }
}

fn names(categories: &[Category]) -> String {
    categories
        .iter()
        .map(|c| c.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The categories an annotation value lists, in the canonical order; `*` is all nine. Names
/// that do not parse are left out (stored policies were checked when they were added).
fn categories(annotation: &str) -> Vec<Category> {
    let named: BTreeSet<Category> = if annotation.trim() == "*" {
        Category::ALL.into_iter().collect()
    } else {
        annotation
            .split(',')
            .filter_map(|name| name.trim().parse().ok())
            .collect()
    };
    Category::ALL
        .into_iter()
        .filter(|c| named.contains(c))
        .collect()
}

fn scope_reach(policy: &cedar_policy::Policy) -> Reach {
    match policy.principal_constraint() {
        PrincipalConstraint::Any | PrincipalConstraint::Is(_) => Reach::Everyone,
        PrincipalConstraint::In(uid) | PrincipalConstraint::IsIn(_, uid) => {
            if uid.type_name().to_string() == ROLE_TYPE {
                Reach::Roles(BTreeSet::from([uid.id().unescaped().to_owned()]))
            } else {
                Reach::Named
            }
        }
        PrincipalConstraint::Eq(_) => Reach::Named,
    }
}

/// Whom the `when` conditions of a policy with an open scope limit it to, from its JSON form.
fn condition_reach(policy: &Value) -> Reach {
    let mut roles = BTreeSet::new();
    let mut named = false;

    let clauses = policy["conditions"].as_array().into_iter().flatten();
    for clause in clauses.filter(|c| c["kind"] == "when") {
        let mut must_hold = Vec::new();
        conjuncts(&clause["body"], &mut must_hold);
        for condition in must_hold {
            if let Some(tested) = roles_tested(condition) {
                roles.extend(tested);
            } else if names_one_actor(condition) {
                named = true;
            }
        }
    }

    if named {
        Reach::Named
    } else if roles.is_empty() {
        Reach::Everyone
    } else {
        Reach::Roles(roles)
    }
}

/// The sides of the top-level `&&`s of `expr`: each must hold for the policy to apply.
fn conjuncts<'a>(expr: &'a Value, out: &mut Vec<&'a Value>) {
    match expr.get("&&") {
        Some(and) => {
            conjuncts(&and["left"], out);
            conjuncts(&and["right"], out);
        }
        None => out.push(expr),
    }
}

fn is_principal(expr: &Value) -> bool {
    expr["Var"] == "principal"
}

/// The `(type, id)` of an entity literal.
fn entity(expr: &Value) -> Option<(&str, &str)> {
    let uid = &expr["Value"]["__entity"];
    Some((uid["type"].as_str()?, uid["id"].as_str()?))
}

/// The roles `principal in <role or set of roles>` (or `principal is ... in ...`) tests.
fn roles_tested(expr: &Value) -> Option<Vec<String>> {
    let (left, right) = if let Some(test) = expr.get("in") {
        (&test["left"], &test["right"])
    } else if let Some(test) = expr.get("is") {
        (&test["left"], test.get("in")?)
    } else {
        return None;
    };
    if !is_principal(left) {
        return None;
    }

    let targets: Vec<&Value> = match right.get("Set").and_then(Value::as_array) {
        Some(items) => items.iter().collect(),
        None => vec![right],
    };
    let mut roles = Vec::with_capacity(targets.len());
    for target in targets {
        match entity(target)? {
            (ROLE_TYPE, id) => roles.push(id.to_owned()),
            _ => return None,
        }
    }
    (!roles.is_empty()).then_some(roles)
}

/// Whether `expr` is `principal == Phiguard::Actor::"..."`.
fn names_one_actor(expr: &Value) -> bool {
    let Some(test) = expr.get("==") else {
        return false;
    };
    let actor = |side: &Value| entity(side).is_some_and(|(kind, _)| kind == ACTOR_TYPE);
    (is_principal(&test["left"]) && actor(&test["right"]))
        || (is_principal(&test["right"]) && actor(&test["left"]))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "a test fails loudly")]

    use phiguard_core::Timestamp;

    use super::*;

    fn policy(id: &str, text: &str) -> Policy {
        Policy {
            tenant: "northwind".parse().unwrap(),
            id: id.into(),
            text: text.into(),
            created_at: Timestamp::UNIX_EPOCH,
            updated_at: Timestamp::UNIX_EPOCH,
        }
    }

    fn reason(text: &str) -> Option<String> {
        broad_grant(&policy("p", text)).map(|grant| grant.reason)
    }

    #[test]
    fn an_open_permit_reaches_every_principal() {
        assert_eq!(
            reason(r#"@clear("*") permit (principal, action, resource);"#).as_deref(),
            Some(
                "permits every principal, with identifier, name, contact, address, birthdate, \
                 demographic, clinical, financial, free_text in the clear"
            )
        );
        let kind_only = r#"@clear("name")
            permit (principal is Phiguard::Actor, action == Phiguard::Action::"read_record",
                    resource)
            when { principal.kind == "service" && context.purpose == "HOPERAT" };"#;
        assert_eq!(
            reason(kind_only).as_deref(),
            Some("permits every principal, with name in the clear")
        );
    }

    #[test]
    fn a_role_test_limits_only_when_it_must_hold() {
        let must = r#"@clear("name")
            permit (principal, action == Phiguard::Action::"read_record", resource)
            when { context.purpose == "HOPERAT" && principal in Phiguard::Role::"fulfillment" };"#;
        assert_eq!(
            reason(must),
            None,
            "fulfillment is neither broad nor clinical"
        );

        let either = r#"@clear("name")
            permit (principal, action == Phiguard::Action::"read_record", resource)
            when { context.purpose == "HOPERAT" || principal in Phiguard::Role::"fulfillment" };"#;
        assert_eq!(
            reason(either).as_deref(),
            Some("permits every principal, with name in the clear")
        );

        let set = r#"@clear("name, clinical")
            permit (principal, action == Phiguard::Action::"read_record", resource)
            when { principal in [Phiguard::Role::"support", Phiguard::Role::"nurse"] };"#;
        assert_eq!(
            reason(set).as_deref(),
            Some(
                "grants clinical in the clear to role nurse; grants name, clinical in the clear \
                 to role support"
            )
        );
    }

    #[test]
    fn broad_roles_and_sensitive_categories_are_reported() {
        let support = r#"@clear("clinical")
            permit (principal in Phiguard::Role::"support",
                    action == Phiguard::Action::"read_record", resource);"#;
        assert_eq!(
            reason(support).as_deref(),
            Some("grants clinical in the clear to role support")
        );

        let storefront = r#"@clear("address") @masked("name")
            permit (principal is Phiguard::Actor in Phiguard::Role::"storefront",
                    action == Phiguard::Action::"read_record", resource);"#;
        assert_eq!(
            reason(storefront).as_deref(),
            Some("grants address in the clear to role storefront")
        );

        let nurse_notes = r#"@clear("name, free_text")
            permit (principal in Phiguard::Role::"nurse",
                    action == Phiguard::Action::"read_record", resource);"#;
        assert_eq!(
            reason(nurse_notes).as_deref(),
            Some("grants free_text in the clear to role nurse")
        );
    }

    #[test]
    fn narrow_grants_masked_grants_and_ceilings_are_not_reported() {
        for text in [
            r#"@clear("address") permit (principal in Phiguard::Role::"fulfillment",
                   action == Phiguard::Action::"read_record", resource);"#,
            r#"@masked("*") permit (principal, action == Phiguard::Action::"read_record",
                   resource);"#,
            r#"@clear("*") permit (principal == Phiguard::Actor::"northwind/dr-okafor",
                   action == Phiguard::Action::"read_record", resource);"#,
            r#"@clear("*") permit (principal, action == Phiguard::Action::"read_record", resource)
                   when { principal == Phiguard::Actor::"northwind/dr-okafor" };"#,
            r#"@withhold("clinical") forbid (principal, action, resource);"#,
            r#"permit (principal, action == Phiguard::Action::"search", resource);"#,
            "not cedar at all",
        ] {
            assert_eq!(reason(text), None, "{text}");
        }
    }

    #[test]
    fn grants_come_back_in_the_order_given_with_their_ids() {
        let found = broad_grants(&[
            policy(
                "open-door",
                r#"@clear("*") permit (principal, action, resource);"#,
            ),
            policy(
                "shipping",
                r#"@clear("address") permit (principal in Phiguard::Role::"fulfillment",
                   action == Phiguard::Action::"read_record", resource);"#,
            ),
            policy(
                "support-notes",
                r#"@clear("free_text") permit (principal in Phiguard::Role::"support",
                   action == Phiguard::Action::"read_record", resource);"#,
            ),
        ]);
        let ids: Vec<&str> = found.iter().map(|g| g.policy.as_str()).collect();
        assert_eq!(ids, ["open-door", "support-notes"]);
    }
}
