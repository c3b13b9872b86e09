//! Deciding requests with the tenant's compiled policies, and managing tenant policies.

use std::collections::HashMap;

use parking_lot::RwLock;
use phiguard_core::{AuditAction, Decision, Outcome, PolicyId, TenantId, Timestamp};
use phiguard_policy::{
    AccessDecision, AccessRequest, Action, DEFAULT_POLICIES, PolicyEngine, Resource,
    TenantPolicies, TenantPolicy,
};
use phiguard_store::{Change, Policy};

use crate::caller::Identity;
use crate::{Caller, Vault, VaultError};

/// The compiled policies of each tenant, tagged with the configuration version they were
/// compiled from. A request that sees a newer version in the store recompiles first.
pub(crate) struct PolicyCache {
    engine: PolicyEngine,
    compiled: RwLock<HashMap<TenantId, (u64, TenantPolicies)>>,
}

impl PolicyCache {
    pub(crate) fn new(engine: PolicyEngine) -> Self {
        PolicyCache {
            engine,
            compiled: RwLock::new(HashMap::new()),
        }
    }
}

/// Actions whose resource may lie in another tenant than the caller's when the caller belongs to
/// the platform tenant: the platform operator creates tenants and their first administrators.
/// Policy still decides them; for every other caller and action a tenant mismatch is refused
/// before policy runs.
fn may_cross_tenants(action: Action) -> bool {
    matches!(action, Action::CreateTenant | Action::ManageActors)
}

impl Vault {
    /// The global policies plus `tenant`'s own, compiled, as of `version` (or the store's
    /// current version when `None`).
    pub(crate) fn tenant_policies(
        &self,
        tenant: &TenantId,
        version: Option<u64>,
    ) -> Result<TenantPolicies, VaultError> {
        let version = match version {
            Some(v) => v,
            None => self
                .store()
                .config_version(tenant)?
                .ok_or(VaultError::NotFound("tenant"))?,
        };
        if let Some((cached, policies)) = self.policies.compiled.read().get(tenant)
            && *cached == version
        {
            return Ok(policies.clone());
        }

        let stored: Vec<TenantPolicy> = self
            .store()
            .policies(tenant)?
            .into_iter()
            .map(|p| TenantPolicy {
                id: p.id,
                text: p.text,
            })
            .collect();
        let compiled = self.policies.engine.compile_tenant(tenant, &stored).map_err(|e| {
            // Stored policies were valid when added; if they no longer compile (after an
            // upgrade), the tenant is denied everything until an administrator fixes them.
            tracing::error!(tenant = %tenant, error = %e, "stored tenant policies do not compile");
            VaultError::PolicyFailure
        })?;
        self.policies
            .compiled
            .write()
            .insert(tenant.clone(), (version, compiled.clone()));
        Ok(compiled)
    }

    /// Decides `action` on `resource` for `caller`. A system job is allowed without
    /// disclosures; its own code limits what it opens.
    pub(crate) fn decide(
        &self,
        caller: &Caller,
        tenant: &TenantId,
        action: Action,
        resource: Resource<'_>,
        break_glass: bool,
    ) -> Result<AccessDecision, VaultError> {
        let auth = match &caller.identity {
            Identity::System { tenant: own, .. } => {
                if own != tenant {
                    return Err(VaultError::TenantMismatch {
                        requested: tenant.clone(),
                    });
                }
                return Ok(AccessDecision {
                    decision: Decision::Allow,
                    outcome: Outcome::Success,
                    disclosures: phiguard_core::Disclosures::withhold_all(),
                    policies: vec!["system-job".into()],
                    errors: Vec::new(),
                });
            }
            Identity::Credential(auth) => auth,
        };

        let platform_operation =
            caller.tenant().as_str() == crate::PLATFORM_TENANT && may_cross_tenants(action);
        if caller.tenant() != tenant && !platform_operation {
            return Err(VaultError::TenantMismatch {
                requested: tenant.clone(),
            });
        }
        caller.check_purpose()?;

        let purpose = match caller.purpose {
            Some(purpose) => purpose,
            None if action.discloses_phi() || action == Action::Search => {
                return Err(VaultError::PurposeRequired);
            }
            // Administrative actions that name no purpose are decided as operations.
            None => phiguard_core::PurposeOfUse::Hoperat,
        };

        let policies = self.tenant_policies(caller.tenant(), Some(auth.config_version))?;
        let decision = policies.decide(&AccessRequest {
            principal: &auth.principal,
            action,
            resource,
            purpose,
            break_glass,
        });

        if !decision.errors.is_empty() {
            tracing::warn!(
                tenant = %tenant,
                actor = %caller.actor_id(),
                action = action.as_str(),
                errors = ?decision.errors,
                "policy evaluation failed; denying"
            );
        }
        Ok(decision)
    }

    /// Decides a non-PHI action: `Ok` when allowed, the refusal otherwise.
    pub(crate) fn authorize(
        &self,
        caller: &Caller,
        tenant: &TenantId,
        action: Action,
        resource: Resource<'_>,
    ) -> Result<AccessDecision, VaultError> {
        let decision = self.decide(caller, tenant, action, resource, false)?;
        refusal(&decision, action)?;
        Ok(decision)
    }

    /// The global policies' Cedar text.
    pub fn global_policies(&self) -> &'static str {
        DEFAULT_POLICIES
    }

    /// A tenant's own policies. Allowed by `read_configuration`.
    ///
    /// # Errors
    ///
    /// [`VaultError::Forbidden`] when policy does not allow it; storage failures.
    pub async fn policies(
        &self,
        caller: &Caller,
        tenant: &TenantId,
    ) -> Result<Vec<Policy>, VaultError> {
        let action = Action::ReadConfiguration;
        if let Err(e) = self.authorize(caller, tenant, action, Resource::Tenant(tenant)) {
            return Err(self
                .refuse(caller, AuditAction::ReadConfiguration, None, None, e)
                .await);
        }

        let policies = self.store().policies(tenant)?;
        let mut event = self.event(
            caller,
            AuditAction::ReadConfiguration,
            Decision::Allow,
            Outcome::Success,
        );
        event.target = Some("policies".into());
        self.record(vec![event]).await?;
        Ok(policies)
    }

    /// Adds or replaces one of a tenant's policies after validating it, together with the
    /// tenant's other policies, against the schema and the annotation rules.
    ///
    /// # Errors
    ///
    /// [`VaultError::InvalidPolicy`] with the validator's message; [`VaultError::Forbidden`]
    /// when policy does not allow managing policies.
    pub async fn put_policy(
        &self,
        caller: &Caller,
        tenant: &TenantId,
        id: String,
        text: String,
    ) -> Result<Policy, VaultError> {
        let action = Action::ManagePolicies;
        if let Err(e) = self.authorize(caller, tenant, action, Resource::Tenant(tenant)) {
            return Err(self
                .refuse(caller, AuditAction::PutPolicy, None, None, e)
                .await);
        }

        if let Err(e) = check_policy_id(&id).and_then(|()| check_policy_size(&text)) {
            return Err(self
                .refuse(caller, AuditAction::PutPolicy, None, None, e)
                .await);
        }
        let mut proposed: Vec<TenantPolicy> = self
            .store()
            .policies(tenant)?
            .into_iter()
            .filter(|p| p.id != id)
            .map(|p| TenantPolicy {
                id: p.id,
                text: p.text,
            })
            .collect();
        proposed.push(TenantPolicy {
            id: id.clone(),
            text: text.clone(),
        });
        if proposed.len() > MAX_TENANT_POLICIES {
            let e = VaultError::InvalidInput {
                what: "the tenant's policies",
                reason: format!("a tenant may hold at most {MAX_TENANT_POLICIES} policies"),
            };
            return Err(self
                .refuse(caller, AuditAction::PutPolicy, None, None, e)
                .await);
        }
        if let Err(e) = self.policies.engine.compile_tenant(tenant, &proposed) {
            let error = VaultError::InvalidPolicy {
                id: id.clone(),
                message: e.to_string(),
            };
            return Err(self
                .refuse(caller, AuditAction::PutPolicy, None, None, error)
                .await);
        }

        let now = Timestamp::now();
        let created_at = self
            .store()
            .policies(tenant)?
            .into_iter()
            .find(|p| p.id == id)
            .map_or(now, |p| p.created_at);
        let policy = Policy {
            tenant: tenant.clone(),
            id,
            text,
            created_at,
            updated_at: now,
        };
        let mut event = self.event(
            caller,
            AuditAction::PutPolicy,
            Decision::Allow,
            Outcome::Success,
        );
        event.target = Some(policy.id.clone());
        self.store()
            .submit(vec![
                Change::PutPolicy(policy.clone()),
                Change::Audit(event),
            ])
            .await?;
        Ok(policy)
    }

    /// Removes one of a tenant's policies.
    ///
    /// # Errors
    ///
    /// [`VaultError::NotFound`] if it does not exist; [`VaultError::Forbidden`] when policy does
    /// not allow managing policies.
    pub async fn delete_policy(
        &self,
        caller: &Caller,
        tenant: &TenantId,
        id: &str,
    ) -> Result<(), VaultError> {
        let action = Action::ManagePolicies;
        if let Err(e) = self.authorize(caller, tenant, action, Resource::Tenant(tenant)) {
            return Err(self
                .refuse(caller, AuditAction::DeletePolicy, None, None, e)
                .await);
        }
        if let Err(e) = check_policy_id(id) {
            return Err(self
                .refuse(caller, AuditAction::DeletePolicy, None, None, e)
                .await);
        }

        let mut event = self.event(
            caller,
            AuditAction::DeletePolicy,
            Decision::Allow,
            Outcome::Success,
        );
        event.target = Some(id.to_owned());
        let change = Change::DeletePolicy {
            tenant: tenant.clone(),
            id: id.to_owned(),
        };
        match self
            .store()
            .submit(vec![change, Change::Audit(event)])
            .await
        {
            Ok(_) => Ok(()),
            Err(e) => {
                let error = VaultError::from(e);
                Err(self
                    .refuse(caller, AuditAction::DeletePolicy, None, None, error)
                    .await)
            }
        }
    }
}

/// The longest policy text accepted, in bytes.
const MAX_POLICY_BYTES: usize = 64 * 1024;

/// The most policies one tenant may hold.
const MAX_TENANT_POLICIES: usize = 500;

/// A policy id must be a slug; the error says which rule it breaks and never repeats it.
fn check_policy_id(id: &str) -> Result<(), VaultError> {
    id.parse::<PolicyId>()
        .map(drop)
        .map_err(|e| VaultError::InvalidInput {
            what: "the policy id",
            reason: e.to_string(),
        })
}

fn check_policy_size(text: &str) -> Result<(), VaultError> {
    if text.len() > MAX_POLICY_BYTES {
        return Err(VaultError::InvalidInput {
            what: "the policy",
            reason: format!("it is longer than {MAX_POLICY_BYTES} bytes"),
        });
    }
    Ok(())
}

/// The error a refused decision maps to.
pub(crate) fn refusal(decision: &AccessDecision, action: Action) -> Result<(), VaultError> {
    match decision.outcome {
        _ if decision.is_allowed() => Ok(()),
        Outcome::PolicyError | Outcome::Failed => Err(VaultError::PolicyFailure),
        _ => Err(VaultError::Forbidden {
            action: action.as_str(),
        }),
    }
}
