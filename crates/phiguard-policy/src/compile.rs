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

use crate::disclosure_rule::{CEILING_MARKER, DisclosureRule, read_rule};
use crate::schema::{Vocabulary, parse_schema};
use crate::{Action, PolicyError, TenantPolicies};

/// The global policies phiguard ships, in Cedar syntax. Each carries `@id("...")`; phiguard
/// names it `global/<id>`.
pub const DEFAULT_POLICIES: &str = include_str!("../cedar/defaults.cedar");

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
            let parsed = Policy::parse(Some(PolicyId::new(&id)), &policy.text).map_err(|e| {
                PolicyError::Syntax {
                    policy: id.clone(),
                    message: e.to_string(),
                }
            })?;
            own.push(core.compile(&id, parsed)?);
        }
        compiled.extend(own.iter());

        let mut rules = HashMap::with_capacity(compiled.len());
        let mut policy_set = PolicySet::new();
        for policy in compiled {
            rules.insert(policy.policy.id().clone(), policy.rule);
            policy_set
                .add(policy.policy.clone())
                .map_err(|e| PolicyError::DuplicatePolicy {
                    policy: format!("{} ({e})", policy.policy.id()),
                })?;
        }

        Ok(TenantPolicies::new(
            Arc::clone(&self.0),
            tenant.clone(),
            policy_set,
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
