//! Authenticating bearer credentials.

use std::collections::HashMap;
use std::sync::Arc;

use parking_lot::RwLock;
use phiguard_core::{ActorId, AuditAction, AuditEvent, Decision, Outcome, TenantId, Timestamp};
use phiguard_crypto::{BearerToken, CredentialSecretHash};
use phiguard_policy::Principal;
use phiguard_store::{Actor, Change, CredentialLookup};

use crate::{Authenticated, CredentialProblem, Vault, VaultError};

type PrincipalsByActor = HashMap<(TenantId, ActorId), (Timestamp, Arc<Principal>)>;

/// Prepared policy principals, rebuilt when the actor changes.
#[derive(Default)]
pub(crate) struct PrincipalCache(RwLock<PrincipalsByActor>);

impl PrincipalCache {
    fn get(&self, actor: &Actor) -> Result<Arc<Principal>, VaultError> {
        let key = (actor.tenant.clone(), actor.id.clone());
        if let Some((updated_at, principal)) = self.0.read().get(&key)
            && *updated_at == actor.updated_at
        {
            return Ok(Arc::clone(principal));
        }

        let principal = Arc::new(
            Principal::new(
                actor.tenant.clone(),
                actor.id.clone(),
                actor.kind,
                actor.roles.iter().cloned(),
                actor.attributes.iter().map(|(k, v)| (k.clone(), v.clone())),
            )
            .map_err(|e| VaultError::internal("preparing the actor for policy", e))?,
        );
        self.0
            .write()
            .insert(key, (actor.updated_at, Arc::clone(&principal)));
        Ok(principal)
    }
}

impl Vault {
    /// Checks a bearer token and returns the actor it is bound to.
    ///
    /// Refusals of a credential whose tenant is known (wrong secret, expired, revoked, disabled
    /// actor) are recorded in that tenant's audit trail; a token that matches no credential at
    /// all cannot be attributed to a tenant and is only logged.
    ///
    /// # Errors
    ///
    /// [`VaultError::Unauthenticated`] with the reason.
    pub async fn authenticate(&self, token: Option<&str>) -> Result<Authenticated, VaultError> {
        let token = token.ok_or(VaultError::Unauthenticated(CredentialProblem::Missing))?;
        let (id, secret) = BearerToken::parse(token)
            .map_err(|_| VaultError::Unauthenticated(CredentialProblem::Malformed))?;
        let Some(lookup) = self.store().credential(&id)? else {
            return Err(VaultError::Unauthenticated(CredentialProblem::Unknown));
        };

        let stored = CredentialSecretHash(lookup.credential.secret_hash);
        let problem = if !self.credentials.verify(&secret, &stored) {
            Some(CredentialProblem::Unknown)
        } else if lookup.credential.revoked_at.is_some() {
            Some(CredentialProblem::Revoked)
        } else if lookup.credential.expires_at <= Timestamp::now() {
            Some(CredentialProblem::Expired)
        } else if lookup.actor.disabled || lookup.actor.kind == phiguard_core::ActorKind::System {
            // phiguard's own jobs act without credentials: one bound to a job actor (left from
            // before that rule) is refused like a disabled actor's.
            Some(CredentialProblem::ActorDisabled)
        } else {
            None
        };

        if let Some(problem) = problem {
            self.record_refused_credential(&lookup, problem).await;
            return Err(VaultError::Unauthenticated(problem));
        }

        let principal = self.principals.get(&lookup.actor)?;
        Ok(Authenticated {
            credential: lookup.credential.id,
            actor: lookup.actor,
            principal,
            config_version: lookup.config_version,
        })
    }

    async fn record_refused_credential(
        &self,
        lookup: &CredentialLookup,
        problem: CredentialProblem,
    ) {
        let mut event = AuditEvent::new(
            lookup.credential.tenant.clone(),
            lookup.actor.id.clone(),
            lookup.actor.kind,
            AuditAction::Authenticate,
            Decision::Deny,
            Outcome::Denied,
        );
        event.target = Some(format!(
            "{}:{}",
            lookup.credential.id,
            problem_name(problem)
        ));
        if let Err(e) = self.store().submit(vec![Change::Audit(event)]).await {
            tracing::error!(error = %e, "could not record a refused credential");
        }
    }
}

fn problem_name(problem: CredentialProblem) -> &'static str {
    match problem {
        CredentialProblem::Missing => "missing",
        CredentialProblem::Malformed => "malformed",
        CredentialProblem::Unknown => "wrong_secret",
        CredentialProblem::Expired => "expired",
        CredentialProblem::Revoked => "revoked",
        CredentialProblem::ActorDisabled => "actor_disabled",
    }
}
