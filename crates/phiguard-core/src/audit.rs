//! Audit events: one per access, allowed or denied, by every kind of actor.
//!
//! The vault emits an [`AuditEvent`] for every request it decides and every job it runs; the
//! store keeps them append-only, and the tamper-evident ledger takes over the same type. An
//! event names who, what, when, why and with what result — ids, codes and category names only,
//! never a PHI value.

use std::collections::BTreeMap;
use std::fmt;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::{
    ActorId, ActorKind, Category, CredentialId, Disclosure, NetworkRange, PurposeOfUse,
    RecipientId, RecordId, RequestId, SubjectId, TenantId,
};

/// What the actor did or tried to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditAction {
    /// Presented a credential that was refused (expired, revoked, wrong secret, disabled
    /// actor). Only recorded when the credential's tenant is known.
    Authenticate,
    /// Read one record.
    ReadRecord,
    /// Listed the records of a subject.
    ListRecords,
    /// Searched by a blind index; one event per subject found.
    Search,
    /// Stored a new record.
    CreateRecord,
    /// Replaced an existing record.
    UpdateRecord,
    /// Created a subject and its key.
    CreateSubject,
    /// Marked a subject as restricted (break-glass needed) or lifted the restriction.
    RestrictSubject,
    /// Crypto-shredded a subject: destroyed its key and dropped its index entries.
    DisposeSubject,
    /// Opened a time-bounded break-glass grant.
    BreakGlass,
    /// Ran an import job.
    Import,
    /// Added a tenant key version and re-wrapped the keys beneath it.
    RotateKeys,
    /// Created a tenant.
    CreateTenant,
    /// Created or changed an actor.
    PutActor,
    /// Issued a bearer credential.
    IssueCredential,
    /// Revoked a bearer credential.
    RevokeCredential,
    /// Added or replaced a tenant policy.
    PutPolicy,
    /// Removed a tenant policy.
    DeletePolicy,
    /// Registered a custom record type or changed an attribute mapping.
    PutRecordType,
    /// Read the configuration of a tenant (actors, policies, record types).
    ReadConfiguration,
    /// Read audit events.
    ReadAudit,
    /// A detector raised an alert (`target` names the alert, `count` its occurrences).
    RaiseAlert,
    /// Listed or read alerts.
    ReadAlerts,
    /// Opened a security incident (`target` names it).
    OpenIncident,
    /// Recorded an incident's four-factor risk assessment and exclusions (45 CFR 164.402).
    AssessIncident,
    /// Worked out which subjects an incident touched (`count` of them).
    ComputeBlastRadius,
    /// Recorded a decision on an incident: breach or not, and why.
    DecideIncident,
    /// Recorded a law-enforcement delay of notification (45 CFR 164.412).
    DelayNotification,
    /// Recorded that a notice was sent (`target` names the recipient kind).
    RecordNotification,
    /// Read an incident, its timeline or its notices.
    ReadIncident,
}

impl AuditAction {
    /// The action's name as it appears in APIs and stored events.
    pub fn as_str(self) -> &'static str {
        match self {
            AuditAction::Authenticate => "authenticate",
            AuditAction::ReadRecord => "read_record",
            AuditAction::ListRecords => "list_records",
            AuditAction::Search => "search",
            AuditAction::CreateRecord => "create_record",
            AuditAction::UpdateRecord => "update_record",
            AuditAction::CreateSubject => "create_subject",
            AuditAction::RestrictSubject => "restrict_subject",
            AuditAction::DisposeSubject => "dispose_subject",
            AuditAction::BreakGlass => "break_glass",
            AuditAction::Import => "import",
            AuditAction::RotateKeys => "rotate_keys",
            AuditAction::CreateTenant => "create_tenant",
            AuditAction::PutActor => "put_actor",
            AuditAction::IssueCredential => "issue_credential",
            AuditAction::RevokeCredential => "revoke_credential",
            AuditAction::PutPolicy => "put_policy",
            AuditAction::DeletePolicy => "delete_policy",
            AuditAction::PutRecordType => "put_record_type",
            AuditAction::ReadConfiguration => "read_configuration",
            AuditAction::ReadAudit => "read_audit",
            AuditAction::RaiseAlert => "raise_alert",
            AuditAction::ReadAlerts => "read_alerts",
            AuditAction::OpenIncident => "open_incident",
            AuditAction::AssessIncident => "assess_incident",
            AuditAction::ComputeBlastRadius => "compute_blast_radius",
            AuditAction::DecideIncident => "decide_incident",
            AuditAction::DelayNotification => "delay_notification",
            AuditAction::RecordNotification => "record_notification",
            AuditAction::ReadIncident => "read_incident",
        }
    }
}

impl fmt::Display for AuditAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The access decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// Policy allowed the request.
    Allow,
    /// Policy denied the request, or could not be evaluated (fail closed).
    Deny,
}

impl Decision {
    /// The decision's name as it appears in APIs and stored events.
    pub const fn as_str(self) -> &'static str {
        match self {
            Decision::Allow => "allow",
            Decision::Deny => "deny",
        }
    }
}

/// How the request ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Done as asked.
    Success,
    /// Refused by policy.
    Denied,
    /// The subject or record does not exist for this tenant (or was disposed of).
    NotFound,
    /// The request was malformed.
    Invalid,
    /// A policy failed to evaluate, so the request was denied.
    PolicyError,
    /// An internal failure; nothing was disclosed.
    Failed,
}

impl Outcome {
    /// The outcome's name as it appears in APIs and stored events.
    pub const fn as_str(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::Denied => "denied",
            Outcome::NotFound => "not_found",
            Outcome::Invalid => "invalid",
            Outcome::PolicyError => "policy_error",
            Outcome::Failed => "failed",
        }
    }
}

/// One access to the vault, as the audit trail keeps it.
///
/// Contains ids, codes and category names only. Free text that a caller supplies — the
/// break-glass reason — is the one exception; it is bounded in length by the vault and the
/// reason's author is told that it is recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEvent {
    /// When the vault decided.
    pub time: Timestamp,
    /// The tenant whose data or configuration was touched.
    pub tenant: TenantId,
    /// Who asked.
    pub actor: ActorId,
    /// What kind of actor asked.
    pub actor_kind: ActorKind,
    /// What was asked.
    pub action: AuditAction,
    /// The purpose of use the request named, when it named one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purpose: Option<PurposeOfUse>,
    /// The written reason for break-glass access.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub break_glass_reason: Option<String>,
    /// The subject concerned, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<SubjectId>,
    /// The record concerned, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record: Option<RecordId>,
    /// The record's type, if a record was concerned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record_type: Option<String>,
    /// Allowed or denied.
    pub decision: Decision,
    /// The categories that actually left the vault, with the level at which they left. Empty
    /// when nothing was disclosed.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub disclosed: BTreeMap<Category, Disclosure>,
    /// How the request ended.
    pub outcome: Outcome,
    /// The ids of the policies that determined the decision.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub policies: Vec<String>,
    /// A non-PHI name for what was touched besides a record: an actor id, a credential id, a
    /// policy id, a key version, a search field name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// A count, where the action has one: records imported, keys re-wrapped, search hits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u64>,
    /// The request this event belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<RequestId>,
    /// The public id of the credential the request presented, when it presented one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential: Option<CredentialId>,
    /// The network range the request came from, when it came over the network.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network: Option<NetworkRange>,
    /// The party the caller said it passes what it receives on to (`X-Recipient`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recipient: Option<RecipientId>,
    /// Another tenant than the caller's that the request named (and was refused).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requested_tenant: Option<TenantId>,
}

impl AuditEvent {
    /// A new event with the required fields; the optional ones start empty.
    pub fn new(
        tenant: TenantId,
        actor: ActorId,
        actor_kind: ActorKind,
        action: AuditAction,
        decision: Decision,
        outcome: Outcome,
    ) -> Self {
        AuditEvent {
            time: Timestamp::now(),
            tenant,
            actor,
            actor_kind,
            action,
            purpose: None,
            break_glass_reason: None,
            subject: None,
            record: None,
            record_type: None,
            decision,
            disclosed: BTreeMap::new(),
            outcome,
            policies: Vec::new(),
            target: None,
            count: None,
            request_id: None,
            credential: None,
            network: None,
            recipient: None,
            requested_tenant: None,
        }
    }

    /// Whether this event records PHI leaving the vault.
    pub fn disclosed_phi(&self) -> bool {
        !self.disclosed.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_serialise_without_empty_fields() {
        let mut event = AuditEvent::new(
            "northwind".parse().unwrap(),
            "dr-okafor".parse().unwrap(),
            ActorKind::User,
            AuditAction::ReadRecord,
            Decision::Allow,
            Outcome::Success,
        );
        event.purpose = Some(PurposeOfUse::Treat);
        event
            .disclosed
            .insert(Category::Clinical, Disclosure::Clear);

        let json = serde_json::to_value(&event).unwrap();
        assert_eq!(json["action"], "read_record");
        assert_eq!(json["purpose"], "TREAT");
        assert_eq!(json["disclosed"]["clinical"], "clear");
        assert!(json.get("break_glass_reason").is_none());

        let back: AuditEvent = serde_json::from_value(json).unwrap();
        assert_eq!(back, event);
        assert!(back.disclosed_phi());
    }
}
