//! Turning policy text into the policy set a tenant's decisions run on.
//!
//! Every policy, global or tenant, goes through the same steps: parse it as exactly one static
//! Cedar policy, validate it against the schema in strict mode, read its disclosure
//! annotations, and, for a ceiling `forbid`, rewrite it into a `permit` that carries
//! [`CEILING_MARKER`] (through Cedar's JSON policy format) so that it shows up among the
//! reasons of an allowed request instead of denying it.

use std::collections::{HashMap, HashSet};
use std::str::FromStr;
use std::sync::Arc;

use cedar_policy::{Authorizer, Policy, PolicyId, PolicySet, Schema, ValidationMode, Validator};
use phiguard_core::TenantId;

use crate::defaults::DEFAULT_POLICIES;
use crate::disclosure_rule::{CEILING_MARKER, DisclosureRule, read_rule};
use crate::request::Contexts;
use crate::schema::{Vocabulary, parse_schema};
use crate::selection::Selection;
use crate::{Action, PolicyError, TenantPolicies};

/// The prefix of every global policy id.
pub const GLOBAL_PREFIX: &str = "global/";

/// The prefix of every tenant policy id.
pub const TENANT_PREFIX: &str = "tenant/";

/// One policy a tenant wrote, as stored by the vault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantPolicy {
    /// The tenant's name for the policy: a slug (lowercase letters, digits, `-`, `_`, `.`, at
    /// most 63 characters). Decisions and errors call it `tenant/<id>`.
    pub id: String,
    /// Exactly one static Cedar policy in Cedar syntax.
    pub text: String,
}

/// A policy ready for evaluation with what it contributes to disclosures.
#[derive(Debug, Clone)]
pub(crate) struct CompiledPolicy {
    pub(crate) policy: Policy,
    pub(crate) rule: DisclosureRule,
}

/// What every tenant's decisions share: the schema, its validator, the entity vocabulary, the
/// authorizer and the compiled global policies.
#[derive(Debug)]
pub(crate) struct EngineCore {
    pub(crate) schema: Schema,
    validator: Validator,
    pub(crate) vocabulary: Vocabulary,
    pub(crate) contexts: Contexts,
    pub(crate) authorizer: Authorizer,
    global: Vec<CompiledPolicy>,
}

/// The schema and the global policies, compiled once per process; it compiles each tenant's
/// policies into a [`TenantPolicies`].
///
/// Cheap to clone (an `Arc`).
#[derive(Debug, Clone)]
pub struct PolicyEngine(Arc<EngineCore>);

impl PolicyEngine {
    /// Loads the embedded schema and [`DEFAULT_POLICIES`].
    ///
    /// # Errors
    ///
    /// Only if this crate's own embedded files are broken (its tests prove they are not).
    pub fn new() -> Result<Self, PolicyError> {
        let schema = parse_schema()?;
        let mut core = EngineCore {
            validator: Validator::new(schema.clone()),
            schema,
            vocabulary: Vocabulary::new()?,
            contexts: Contexts::new()?,
            authorizer: Authorizer::new(),
            global: Vec::new(),
        };

        let parsed =
            PolicySet::from_str(DEFAULT_POLICIES).map_err(|e| PolicyError::BuiltInPolicies {
                message: e.to_string(),
            })?;
        let mut parsed: Vec<&Policy> = parsed.policies().collect();
        parsed.sort_by(|a, b| a.id().cmp(b.id()));

        let mut seen = HashSet::new();
        for policy in parsed {
            let Some(name) = policy.annotation("id") else {
                return Err(PolicyError::MissingGlobalId {
                    policy: policy.id().to_string(),
                });
            };
            let id = format!("{GLOBAL_PREFIX}{name}");
            if !seen.insert(id.clone()) {
                return Err(PolicyError::DuplicatePolicy { policy: id });
            }
            let compiled = core.compile(&id, policy.new_id(PolicyId::new(&id)))?;
            core.global.push(compiled);
        }

        Ok(PolicyEngine(Arc::new(core)))
    }

    /// The ids of the global policies, `global/<id>`, sorted.
    pub fn global_policy_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = self
            .0
            .global
            .iter()
            .map(|compiled| compiled.policy.id().to_string())
            .collect();
        ids.sort();
        ids
    }

    /// Compiles `policies`, the complete set of `tenant`'s own policies, together with the
    /// global ones.
    ///
    /// Each policy is parsed (exactly one static policy per text), validated against the schema
    /// in strict mode and checked for its disclosure annotations; the first failure is
    /// returned and names the policy as `tenant/<id>`. The result is immutable: to change a
    /// tenant's policies, compile the new complete set and swap it in.
    ///
    /// # Errors
    ///
    /// [`PolicyError::InvalidPolicyId`], [`PolicyError::DuplicatePolicy`],
    /// [`PolicyError::Syntax`], [`PolicyError::Validation`], [`PolicyError::Annotation`],
    /// [`PolicyError::MissingDisclosure`] or [`PolicyError::Ceiling`].
    pub fn compile_tenant(
        &self,
        tenant: &TenantId,
        policies: &[TenantPolicy],
    ) -> Result<TenantPolicies, PolicyError> {
        let core = &self.0;
        let mut compiled: Vec<&CompiledPolicy> = core.global.iter().collect();
        let mut own = Vec::with_capacity(policies.len());
        let mut seen = HashSet::new();

        for policy in policies {
            if !is_slug(&policy.id) {
                return Err(PolicyError::InvalidPolicyId);
            }
            let id = format!("{TENANT_PREFIX}{}", policy.id);
            if !seen.insert(id.clone()) {
                return Err(PolicyError::DuplicatePolicy { policy: id });
            }
            check_nesting(&id, &policy.text)?;
            let parsed = Policy::parse(Some(PolicyId::new(&id)), &policy.text).map_err(|e| {
                PolicyError::Syntax {
                    policy: id.clone(),
                    message: e.to_string(),
                }
            })?;
            own.push(core.compile(&id, parsed)?);
        }
        compiled.extend(own.iter());

        let rules: HashMap<PolicyId, DisclosureRule> = compiled
            .iter()
            .map(|policy| (policy.policy.id().clone(), policy.rule))
            .collect();
        let selection = Selection::new(
            compiled.iter().map(|policy| &policy.policy),
            &core.vocabulary,
        )?;

        Ok(TenantPolicies::new(
            Arc::clone(&self.0),
            tenant.clone(),
            selection,
            rules,
        ))
    }
}

impl EngineCore {
    /// Validates one parsed policy, reads its rule and rewrites a ceiling into its marked
    /// permit.
    fn compile(&self, id: &str, policy: Policy) -> Result<CompiledPolicy, PolicyError> {
        self.validate(id, &policy)?;

        let may_disclose = policy.get_valid_request_envs(&self.schema).any(|env| {
            env.action() == self.vocabulary.action(Action::ReadRecord)
                || env.action() == self.vocabulary.action(Action::ListRecords)
        });
        let rule = read_rule(id, &policy, may_disclose)?;

        let policy = match rule {
            DisclosureRule::Ceiling(_) => ceiling_permit(id, &policy)?,
            DisclosureRule::Plain | DisclosureRule::Grant(_) => policy,
        };
        Ok(CompiledPolicy { policy, rule })
    }

    fn validate(&self, id: &str, policy: &Policy) -> Result<(), PolicyError> {
        let alone =
            PolicySet::from_policies([policy.clone()]).map_err(|e| PolicyError::Syntax {
                policy: id.to_owned(),
                message: e.to_string(),
            })?;
        let result = self.validator.validate(&alone, ValidationMode::Strict);
        if result.validation_passed() {
            return Ok(());
        }

        let message = result
            .validation_errors()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("; ");
        Err(PolicyError::Validation {
            policy: id.to_owned(),
            message,
        })
    }
}

/// The same policy with effect `permit` and the ceiling marker: satisfied, it lands among the
/// reasons of an allowed request, where the decision applies its caps.
fn ceiling_permit(id: &str, forbid: &Policy) -> Result<Policy, PolicyError> {
    let failed = |message: String| PolicyError::Ceiling {
        policy: id.to_owned(),
        message,
    };

    let mut json = forbid.to_json().map_err(|e| failed(e.to_string()))?;
    let Some(fields) = json.as_object_mut() else {
        return Err(failed(
            "Cedar's JSON form of the policy is not an object".to_owned(),
        ));
    };
    fields.insert("effect".to_owned(), serde_json::Value::from("permit"));
    let annotations = fields
        .entry("annotations")
        .or_insert_with(|| serde_json::Value::Object(serde_json::Map::new()));
    let Some(annotations) = annotations.as_object_mut() else {
        return Err(failed(
            "the annotations of the policy's JSON form are not an object".into(),
        ));
    };
    annotations.insert(CEILING_MARKER.to_owned(), serde_json::Value::from(""));

    Policy::from_json(Some(PolicyId::new(id)), json).map_err(|e| failed(e.to_string()))
}

/// A tenant policy id: 1 to 63 lowercase letters, digits, `-`, `_` and `.`, starting with a
/// letter or digit (the alphabet of tenant and actor slugs).
fn is_slug(id: &str) -> bool {
    let mut bytes = id.bytes();
    let first_ok = bytes
        .next()
        .is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    let rest_ok =
        bytes.all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-_.".contains(&b));
    first_ok && rest_ok && id.len() <= 63
}

#[cfg(test)]
mod tests {
    use phiguard_core::{ActorKind, Decision, Disclosures, Outcome, PurposeOfUse};

    use super::*;
    use crate::AnnotationProblem;
    use crate::testing::{World, decide, levels, tenant_policies};

    const READS: &str =
        r#"action in [Phiguard::Action::"read_record", Phiguard::Action::"list_records"]"#;

    fn compile(id: &str, text: &str) -> Result<TenantPolicies, PolicyError> {
        let world = World::new();
        world
            .engine
            .compile_tenant(&world.home, &tenant_policies(&[(id, text)]))
    }

    fn read_as(
        policies: &TenantPolicies,
        world: &World,
        role: &str,
        purpose: PurposeOfUse,
    ) -> crate::AccessDecision {
        let kind = crate::testing::natural_kind(role);
        let actor = world.actor(&[role], kind);
        let record = world.record(&world.home, false);
        decide(policies, &actor, Action::ReadRecord, record, purpose, false)
    }

    #[test]
    fn a_withhold_ceiling_removes_clinical_for_clinicians_and_keeps_the_rest() {
        let world = World::new();
        let text = format!(
            r#"@withhold("clinical")
               forbid (principal in Phiguard::Role::"clinician", {READS}, resource);"#
        );
        let policies = world.policies(&[("no-clinical", &text)]);

        let decision = read_as(&policies, &world, "clinician", PurposeOfUse::Treat);
        assert_eq!(decision.decision, Decision::Allow);
        assert_eq!(decision.disclosures, levels("CCCCCCWWC"));
        assert_eq!(
            decision.policies,
            ["global/clinician-treatment", "tenant/no-clinical"]
        );

        let pharmacist = read_as(&policies, &world, "pharmacist", PurposeOfUse::Treat);
        assert_eq!(
            pharmacist.disclosures,
            levels("CCCMCCCWC"),
            "the ceiling names clinicians"
        );
    }

    #[test]
    fn a_mask_ceiling_lowers_clear_to_masked_and_leaves_lower_levels_alone() {
        let world = World::new();
        let text = format!(r#"@mask("identifier, name") forbid (principal, {READS}, resource);"#);
        let policies = world.policies(&[("mask-ids", &text)]);

        let fulfillment = read_as(&policies, &world, "fulfillment", PurposeOfUse::Hoperat);
        assert_eq!(fulfillment.disclosures, levels("WMCCWWWWW"));
        let billing = read_as(&policies, &world, "billing", PurposeOfUse::Hpaymt);
        assert_eq!(billing.disclosures, levels("MMWWMWWCW"));
    }

    #[test]
    fn a_ceiling_applies_only_when_its_condition_holds() {
        let world = World::new();
        let text = format!(
            r#"@withhold("*") forbid (principal, {READS}, resource)
               when {{ context.purpose == "CAREMGT" }};"#
        );
        let policies = world.policies(&[("no-care-management", &text)]);

        let treat = read_as(&policies, &world, "clinician", PurposeOfUse::Treat);
        assert_eq!(treat.disclosures, levels("CCCCCCCWC"));
        assert_eq!(treat.policies, ["global/clinician-treatment"]);

        let care = read_as(&policies, &world, "clinician", PurposeOfUse::Caremgt);
        assert_eq!(care.decision, Decision::Allow, "a ceiling never denies");
        assert_eq!(care.disclosures, Disclosures::withhold_all());
    }

    #[test]
    fn a_satisfied_ceiling_without_a_grant_allows_nothing() {
        let world = World::new();
        let text = format!(r#"@mask("name") forbid (principal, {READS}, resource);"#);
        let policies = world.policies(&[("mask-names", &text)]);

        let admin = read_as(&policies, &world, "tenant_admin", PurposeOfUse::Hoperat);
        assert_eq!(admin.decision, Decision::Deny);
        assert_eq!(admin.outcome, Outcome::Denied);
        assert!(admin.policies.is_empty());
    }

    #[test]
    fn a_ceiling_does_not_deny_actions_without_disclosures() {
        let world = World::new();
        let policies = world.policies(&[(
            "withhold-all",
            r#"@withhold("*") forbid (principal, action, resource);"#,
        )]);
        let clinician = world.actor(&["clinician"], ActorKind::User);
        let tenant = crate::Resource::Tenant(&world.home);

        let search = decide(
            &policies,
            &clinician,
            Action::Search,
            tenant,
            PurposeOfUse::Treat,
            false,
        );
        assert!(search.is_allowed());
        assert_eq!(search.policies, ["global/clinical-search"]);
        let read = read_as(&policies, &world, "clinician", PurposeOfUse::Treat);
        assert!(read.is_allowed());
        assert_eq!(read.disclosures, Disclosures::withhold_all());
        assert_eq!(
            read.policies,
            ["global/clinician-treatment", "tenant/withhold-all"]
        );
    }

    #[test]
    fn a_plain_forbid_denies_the_whole_request() {
        let world = World::new();
        let text = format!(
            r#"forbid (principal in Phiguard::Role::"clinician", {READS}, resource)
               when {{ resource has record_type && resource.record_type == "fhir.Observation" }};"#
        );
        let policies = world.policies(&[("no-observations", &text)]);

        let decision = read_as(&policies, &world, "clinician", PurposeOfUse::Treat);
        assert_eq!(decision.decision, Decision::Deny);
        assert_eq!(decision.outcome, Outcome::Denied);
        assert_eq!(decision.disclosures, Disclosures::withhold_all());
        assert_eq!(decision.policies, ["tenant/no-observations"]);
    }

    #[test]
    fn a_tenant_grant_adds_to_the_global_ones() {
        let world = World::new();
        let text = format!(
            r#"@clear("name, clinical") @masked("contact")
               permit (principal in Phiguard::Role::"nurse", {READS}, resource)
               when {{ principal.hasTag("ward") && principal.getTag("ward") == "oncology" }};"#
        );
        let policies = world.policies(&[("oncology-nurses", &text)]);
        let record = world.record(&world.home, false);

        for (ward, allowed) in [
            (Some("oncology"), true),
            (Some("cardiology"), false),
            (None, false),
        ] {
            let attributes: Vec<(&str, &str)> = ward.map(|w| ("ward", w)).into_iter().collect();
            let nurse =
                crate::testing::actor_in(&world.home, &["nurse"], ActorKind::User, &attributes);
            let decision = decide(
                &policies,
                &nurse,
                Action::ReadRecord,
                record,
                PurposeOfUse::Treat,
                false,
            );
            assert_eq!(decision.is_allowed(), allowed, "{ward:?}");
            if allowed {
                assert_eq!(decision.disclosures, levels("WCMWWWCWW"));
            }
        }
    }

    #[test]
    fn a_permit_on_reads_without_disclosure_annotations_is_rejected() {
        for text in [
            format!(r#"permit (principal, {READS}, resource);"#),
            r#"permit (principal, action, resource);"#.to_owned(),
            r#"@id("x") @description("reads")
               permit (principal, action == Phiguard::Action::"list_records", resource);"#
                .to_owned(),
        ] {
            let error = compile("reads", &text).unwrap_err();
            assert_eq!(
                error,
                PolicyError::MissingDisclosure {
                    policy: "tenant/reads".into()
                }
            );
            assert!(error.to_string().contains("`tenant/reads`"), "{error}");
        }
        assert!(
            compile(
                "search",
                r#"permit (principal, action == Phiguard::Action::"search", resource);"#
            )
            .is_ok()
        );
    }

    #[test]
    fn invalid_cedar_is_rejected_with_a_message_naming_the_policy() {
        let cases = [
            (
                "typo",
                r#"permit (principal, action, resource) when { true "#,
            ),
            (
                "two",
                r#"@clear("*") permit (principal, action, resource);
                   @clear("*") permit (principal, action, resource);"#,
            ),
            (
                "template",
                r#"@clear("*") permit (principal == ?principal, action, resource);"#,
            ),
            (
                "no-such-attribute",
                r#"permit (principal, action == Phiguard::Action::"search", resource)
                   when { principal.salary > 3 };"#,
            ),
            (
                "no-such-action",
                r#"permit (principal, action == Phiguard::Action::"export", resource);"#,
            ),
            (
                "unguarded-tag",
                r#"permit (principal, action == Phiguard::Action::"search", resource)
                   when { principal.getTag("ward") == "a" };"#,
            ),
        ];
        for (id, text) in cases {
            let error = compile(id, text).unwrap_err();
            assert!(
                matches!(
                    error,
                    PolicyError::Syntax { .. } | PolicyError::Validation { .. }
                ),
                "{id}: {error:?}"
            );
            assert!(
                error.to_string().contains(&format!("`tenant/{id}`")),
                "{error}"
            );
        }
    }

    #[test]
    fn disclosure_annotations_are_checked() {
        let search = r#"action == Phiguard::Action::"search""#;
        let cases: Vec<(String, &str, AnnotationProblem)> = vec![
            (
                format!(r#"@clear("name, ssn") permit (principal, {READS}, resource);"#),
                "clear",
                AnnotationProblem::UnknownCategory { name: "ssn".into() },
            ),
            (
                format!(r#"@cleer("name") permit (principal, {READS}, resource);"#),
                "cleer",
                AnnotationProblem::Unknown,
            ),
            (
                format!(
                    r#"@phiguard_ceiling("") @clear("name") permit (principal, {READS}, resource);"#
                ),
                "phiguard_ceiling",
                AnnotationProblem::Unknown,
            ),
            (
                format!(r#"@clear("name") forbid (principal, {READS}, resource);"#),
                "clear",
                AnnotationProblem::WrongEffect {
                    belongs_on: "permit",
                },
            ),
            (
                format!(r#"@withhold("name") permit (principal, {READS}, resource);"#),
                "withhold",
                AnnotationProblem::WrongEffect {
                    belongs_on: "forbid",
                },
            ),
            (
                format!(
                    r#"@clear("name") @masked("contact, name")
                       permit (principal, {READS}, resource);"#
                ),
                "masked",
                AnnotationProblem::Conflict {
                    category: phiguard_core::Category::Name,
                },
            ),
            (
                format!(r#"@clear(" , ") permit (principal, {READS}, resource);"#),
                "clear",
                AnnotationProblem::Empty,
            ),
            (
                format!(r#"@clear("name") permit (principal, {search}, resource);"#),
                "clear",
                AnnotationProblem::NotPhiAction,
            ),
            (
                format!(r#"@withhold("name") forbid (principal, {search}, resource);"#),
                "withhold",
                AnnotationProblem::NotPhiAction,
            ),
        ];

        for (text, annotation, problem) in cases {
            let error = compile("p", &text).unwrap_err();
            let expected = PolicyError::Annotation {
                policy: "tenant/p".into(),
                annotation: annotation.into(),
                problem,
            };
            assert_eq!(error, expected, "{text}");
            assert!(
                error
                    .to_string()
                    .contains(&format!("`tenant/p`, annotation @{annotation}"))
            );
        }
    }

    #[test]
    fn a_star_grants_all_nine_and_lists_tolerate_spacing_and_repeats() {
        let world = World::new();
        let everything = format!(
            r#"@clear("*") permit (principal in Phiguard::Role::"chart_auditor", {READS}, resource)
               when {{ context.purpose == "HCOMPL" }};"#
        );
        let spaced = format!(
            r#"@masked(" name ,name,  birthdate ")
               permit (principal in Phiguard::Role::"greeter", {READS}, resource);"#
        );
        let policies = world.policies(&[("auditors", &everything), ("greeters", &spaced)]);

        let auditor = read_as(&policies, &world, "chart_auditor", PurposeOfUse::Hcompl);
        assert_eq!(auditor.disclosures, levels("CCCCCCCCC"));
        let greeter = read_as(&policies, &world, "greeter", PurposeOfUse::Hoperat);
        assert_eq!(greeter.disclosures, levels("WMWWMWWWW"));
    }

    #[test]
    fn tenant_policy_ids_are_slugs_unique_and_apart_from_global_ids() {
        let world = World::new();
        let search = r#"permit (principal, action == Phiguard::Action::"search", resource);"#;

        for bad in ["", "Upper", "has space", "a/b", "-lead", &"x".repeat(64)] {
            let error = world
                .engine
                .compile_tenant(&world.home, &tenant_policies(&[(bad, search)]))
                .unwrap_err();
            assert_eq!(error, PolicyError::InvalidPolicyId, "{bad:?}");
        }

        let twice = tenant_policies(&[("same", search), ("same", search)]);
        let error = world
            .engine
            .compile_tenant(&world.home, &twice)
            .unwrap_err();
        assert_eq!(
            error,
            PolicyError::DuplicatePolicy {
                policy: "tenant/same".into()
            }
        );

        let shadow = world.policies(&[("tenant-wall", search)]);
        let ids = shadow.policy_ids();
        assert!(ids.contains(&"global/tenant-wall".to_owned()));
        assert!(ids.contains(&"tenant/tenant-wall".to_owned()));
    }

    #[test]
    fn each_tenant_decides_with_its_own_policies_only() {
        let world = World::new();
        let grant = format!(
            r#"@clear("name") permit (principal in Phiguard::Role::"nurse", {READS}, resource);"#
        );
        let home = world.policies(&[("nurses", &grant)]);
        let away = world.engine.compile_tenant(&world.away, &[]).unwrap();
        assert_eq!(away.tenant(), &world.away);
        assert!(
            !away
                .policy_ids()
                .iter()
                .any(|id| id.starts_with(TENANT_PREFIX))
        );

        let nurse_home = world.actor(&["nurse"], ActorKind::User);
        let nurse_away = crate::testing::actor_in(&world.away, &["nurse"], ActorKind::User, &[]);
        let treat = PurposeOfUse::Treat;
        let home_record = world.record(&world.home, false);
        let away_record = world.record(&world.away, false);
        assert!(
            decide(
                &home,
                &nurse_home,
                Action::ReadRecord,
                home_record,
                treat,
                false
            )
            .is_allowed()
        );
        assert!(
            !decide(
                &away,
                &nurse_away,
                Action::ReadRecord,
                away_record,
                treat,
                false
            )
            .is_allowed()
        );
    }
}

/// The deepest nesting of brackets a tenant policy may use.
pub(crate) const MAX_POLICY_NESTING: usize = 32;

/// Refuses a policy whose brackets nest deeper than [`MAX_POLICY_NESTING`].
///
/// Cedar's parser recurses once per level, so a few hundred nested parentheses in a
/// half-kilobyte policy would exhaust a server thread's stack and abort the process for every
/// tenant. No policy a person writes needs more than a handful of levels. Brackets inside string
/// literals and `//` comments do not count.
fn check_nesting(id: &str, text: &str) -> Result<(), PolicyError> {
    let mut depth = 0usize;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                while let Some(c) = chars.next() {
                    match c {
                        '\\' => {
                            chars.next();
                        }
                        '"' => break,
                        _ => {}
                    }
                }
            }
            '/' if chars.peek() == Some(&'/') => {
                for c in chars.by_ref() {
                    if c == '\n' {
                        break;
                    }
                }
            }
            '(' | '[' | '{' => {
                depth += 1;
                if depth > MAX_POLICY_NESTING {
                    return Err(PolicyError::TooDeep {
                        policy: id.to_owned(),
                        max: MAX_POLICY_NESTING,
                    });
                }
            }
            ')' | ']' | '}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod nesting_tests {
    use super::*;

    #[test]
    fn deep_brackets_are_refused_before_cedar_parses_them() {
        let deep = format!(
            "permit (principal, action, resource) when {{ {}true{} }};",
            "(".repeat(200),
            ")".repeat(200)
        );
        assert!(matches!(
            check_nesting("tenant/deep", &deep),
            Err(PolicyError::TooDeep {
                max: MAX_POLICY_NESTING,
                ..
            })
        ));
        let lists = format!(
            "permit (principal, action, resource) when {{ {}1{} }};",
            "[".repeat(40),
            "]".repeat(40)
        );
        assert!(check_nesting("tenant/lists", &lists).is_err());

        let ordinary = r#"permit (principal, action, resource)
            when { (context.purpose == "TREAT") && ["a(", "b"].contains("b") }; // ((((("#;
        assert!(check_nesting("tenant/ordinary", ordinary).is_ok());
        let quoted = format!(
            "permit (principal, action, resource) when {{ \"{}\" == \"x\" }};",
            "(".repeat(500)
        );
        assert!(check_nesting("tenant/quoted", &quoted).is_ok());
    }
}
