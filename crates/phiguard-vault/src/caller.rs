//! Who is asking, and why.

use std::sync::Arc;

use phiguard_core::{
    ActorId, ActorKind, CredentialId, NetworkRange, PurposeOfUse, RecipientId, RequestId, TenantId,
};
use phiguard_policy::Principal;
use phiguard_store::Actor;

use crate::VaultError;

/// An actor whose credential the vault accepted.
#[derive(Debug, Clone)]
pub struct Authenticated {
    /// The credential presented.
    pub credential: CredentialId,
    /// The actor it is bound to, as stored.
    pub actor: Actor,
    /// The actor as policies see it.
    pub principal: Arc<Principal>,
    /// The tenant's configuration version when the credential was checked.
    pub config_version: u64,
}

/// The party behind one vault operation, with the purpose and context of the request.
#[derive(Debug, Clone)]
pub struct Caller {
    pub(crate) identity: Identity,
    /// The purpose of use the request names, if it names a valid one.
    pub purpose: Option<PurposeOfUse>,
    /// Whether the request named a purpose that is not a known code.
    purpose_invalid: bool,
    /// The written reason for break-glass access, if any.
    pub break_glass_reason: Option<String>,
    /// The request id, tying the audit event to the response and its log lines.
    pub request_id: Option<RequestId>,
    /// The network range the request came from.
    pub network: Option<NetworkRange>,
    /// The party the caller says it passes what it receives on to.
    pub recipient: Option<RecipientId>,
}

#[derive(Debug, Clone)]
pub(crate) enum Identity {
    /// An authenticated actor, decided by policy.
    Credential(Box<Authenticated>),
    /// One of phiguard's own jobs, run by an operator with access to the data directory and
    /// the root key. Not decided by policy, but audited like everyone else.
    System { tenant: TenantId, actor: ActorId },
}

/// phiguard's own jobs, each a system actor of its own in the audit trail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SystemJob {
    /// Bulk import of records from files.
    Import,
    /// Key rotation.
    KeyRotation,
    /// Administration from the command line (tenants, actors, credentials, policies).
    Administration,
    /// Disposal of subjects.
    Disposal,
    /// The detectors inside `phiguard serve`, which raise alerts.
    Detection,
    /// Incident response: working out whom a breach touched and where they live.
    BreachAnalysis,
}

impl SystemJob {
    /// The system actor's id, the same in every tenant.
    pub fn actor_id(self) -> &'static str {
        match self {
            SystemJob::Import => "phiguard-import",
            SystemJob::KeyRotation => "phiguard-key-rotation",
            SystemJob::Administration => "phiguard-admin",
            SystemJob::Disposal => "phiguard-disposal",
            SystemJob::Detection => "phiguard-detection",
            SystemJob::BreachAnalysis => "phiguard-breach-analysis",
        }
    }

    /// The purposes of use the job declares: what the detectors expect it to name.
    pub fn declared_purposes(self) -> &'static [PurposeOfUse] {
        match self {
            SystemJob::BreachAnalysis => &[PurposeOfUse::Hcompl, PurposeOfUse::Hsysadmin],
            _ => &[PurposeOfUse::Hsysadmin],
        }
    }

    /// The job whose system actor has this id, if any.
    pub fn from_actor(id: &ActorId) -> Option<SystemJob> {
        SystemJob::ALL
            .into_iter()
            .find(|job| job.actor_id() == id.as_str())
    }

    /// The system actor's id as an [`ActorId`].
    pub fn actor(self) -> ActorId {
        self.actor_id()
            .parse()
            .expect("system actor ids are valid slugs (tested)")
    }

    /// Every system job.
    pub const ALL: [SystemJob; 6] = [
        SystemJob::Import,
        SystemJob::KeyRotation,
        SystemJob::Administration,
        SystemJob::Disposal,
        SystemJob::Detection,
        SystemJob::BreachAnalysis,
    ];
}

impl Caller {
    /// A caller authenticated by credential.
    pub fn new(authenticated: Authenticated) -> Self {
        Caller {
            identity: Identity::Credential(Box::new(authenticated)),
            purpose: None,
            purpose_invalid: false,
            break_glass_reason: None,
            request_id: None,
            network: None,
            recipient: None,
        }
    }

    /// One of phiguard's own jobs acting in `tenant`.
    pub fn system(tenant: TenantId, job: SystemJob) -> Self {
        Caller {
            identity: Identity::System {
                tenant,
                actor: job.actor(),
            },
            purpose: Some(PurposeOfUse::Hsysadmin),
            purpose_invalid: false,
            break_glass_reason: None,
            request_id: None,
            network: None,
            recipient: None,
        }
    }

    /// Names the purpose of use.
    pub fn with_purpose(mut self, purpose: Option<PurposeOfUse>) -> Self {
        self.purpose = purpose;
        self.purpose_invalid = false;
        self
    }

    /// Names the purpose of use as the request spelled it. An unknown code is remembered, and
    /// every operation then refuses the request (and records the refusal) rather than treating
    /// it as if no purpose had been named.
    pub fn with_purpose_code(mut self, code: Option<&str>) -> Self {
        match code.map(str::parse::<PurposeOfUse>) {
            None => {
                self.purpose = None;
                self.purpose_invalid = false;
            }
            Some(Ok(purpose)) => {
                self.purpose = Some(purpose);
                self.purpose_invalid = false;
            }
            Some(Err(_)) => {
                self.purpose = None;
                self.purpose_invalid = true;
            }
        }
        self
    }

    /// Attaches a break-glass reason.
    pub fn with_break_glass_reason(mut self, reason: Option<String>) -> Self {
        self.break_glass_reason = reason;
        self
    }

    /// Attaches the network range the request came from.
    pub fn with_network(mut self, network: Option<NetworkRange>) -> Self {
        self.network = network;
        self
    }

    /// Attaches the recipient the caller names for what it receives.
    pub fn with_recipient(mut self, recipient: Option<RecipientId>) -> Self {
        self.recipient = recipient;
        self
    }

    /// Attaches the request id.
    pub fn with_request_id(mut self, request_id: Option<RequestId>) -> Self {
        self.request_id = request_id;
        self
    }

    /// The tenant the caller acts in.
    pub fn tenant(&self) -> &TenantId {
        match &self.identity {
            Identity::Credential(auth) => &auth.actor.tenant,
            Identity::System { tenant, .. } => tenant,
        }
    }

    /// The caller's actor id.
    pub fn actor_id(&self) -> &ActorId {
        match &self.identity {
            Identity::Credential(auth) => &auth.actor.id,
            Identity::System { actor, .. } => actor,
        }
    }

    /// The caller's actor kind.
    pub fn actor_kind(&self) -> ActorKind {
        match &self.identity {
            Identity::Credential(auth) => auth.actor.kind,
            Identity::System { .. } => ActorKind::System,
        }
    }

    /// The authenticated actor, unless this is a system job.
    pub fn authenticated(&self) -> Option<&Authenticated> {
        match &self.identity {
            Identity::Credential(auth) => Some(auth),
            Identity::System { .. } => None,
        }
    }

    /// The purpose of use, required.
    pub(crate) fn require_purpose(&self) -> Result<PurposeOfUse, VaultError> {
        self.check_purpose()?;
        self.purpose.ok_or(VaultError::PurposeRequired)
    }

    /// Refuses a request that named an unknown purpose, whether or not the operation needs one.
    pub(crate) fn check_purpose(&self) -> Result<(), VaultError> {
        if self.purpose_invalid {
            Err(VaultError::UnknownPurpose(phiguard_core::UnknownPurpose))
        } else {
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_actor_ids_are_valid_and_distinct() {
        let ids: std::collections::BTreeSet<_> = SystemJob::ALL.iter().map(|j| j.actor()).collect();
        assert_eq!(ids.len(), SystemJob::ALL.len());
    }
}
