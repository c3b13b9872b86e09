//! Recording audit events, and reading them back.

use phiguard_core::{
    AuditAction, AuditEvent, Decision, Outcome, PurposeOfUse, RecordId, SubjectId, TenantId,
};
use phiguard_policy::{Action, Resource};
use phiguard_store::{AuditQuery, Change, StoredAuditEvent};

use crate::{Caller, Vault, VaultError};

impl Vault {
    /// An event for `caller` with the request's purpose, reason and id filled in.
    pub(crate) fn event(
        &self,
        caller: &Caller,
        action: AuditAction,
        decision: Decision,
        outcome: Outcome,
    ) -> AuditEvent {
        let mut event = AuditEvent::new(
            caller.tenant().clone(),
            caller.actor_id().clone(),
            caller.actor_kind(),
            action,
            decision,
            outcome,
        );
        event.purpose = caller.purpose;
        // A reason belongs only to a break-glass request; on any other purpose the header is
        // ignored. A reason that fails the checks (too long, PHI-shaped) is never written
        // anywhere.
        event.break_glass_reason = caller
            .break_glass_reason
            .as_deref()
            .filter(|_| caller.purpose.is_some_and(PurposeOfUse::is_break_glass))
            .map(str::trim)
            .filter(|r| {
                crate::records::acceptable_reason(r, self.config().break_glass_reason_max_chars)
            })
            .map(str::to_owned);
        event.request_id = caller.request_id.clone();
        event.credential = caller.authenticated().map(|auth| auth.credential.clone());
        event.network = caller.network;
        event.recipient = caller.recipient.clone();
        event
    }

    /// Commits events durably; returns once they are on disk.
    pub(crate) async fn record(&self, events: Vec<AuditEvent>) -> Result<(), VaultError> {
        let changes = events.into_iter().map(Change::Audit).collect();
        self.store().submit(changes).await?;
        Ok(())
    }

    /// Records that `caller`'s attempt at `action` failed with `error`, and returns the error.
    ///
    /// If the failure cannot be recorded either, the original error is still returned and the
    /// recording failure is logged: a caller is never told "allowed" because auditing failed,
    /// and nothing was disclosed.
    pub(crate) async fn refuse(
        &self,
        caller: &Caller,
        action: AuditAction,
        subject: Option<&SubjectId>,
        record: Option<&RecordId>,
        error: VaultError,
    ) -> VaultError {
        let mut event = self.event(caller, action, Decision::Deny, error.outcome());
        if let VaultError::TenantMismatch { requested } = &error {
            let known = matches!(self.store().tenant(requested), Ok(Some(_)));
            event.requested_tenant = if known {
                Some(requested.clone())
            } else {
                crate::UNKNOWN_TENANT.parse().ok()
            };
        }
        event.subject = subject.cloned();
        event.record = record.cloned();
        if let Err(audit_error) = self.record(vec![event]).await {
            tracing::error!(
                action = action.as_str(),
                error = %audit_error,
                "could not record a refused request in the audit trail"
            );
        }
        error
    }

    /// Records a request the API refused before it reached an operation (a malformed id or
    /// body, say), and returns the error for the response.
    pub async fn refuse_request(
        &self,
        caller: &Caller,
        action: AuditAction,
        error: VaultError,
    ) -> VaultError {
        self.refuse(caller, action, None, None, error).await
    }

    /// A tenant's audit events, optionally about one subject. Allowed by the `read_audit`
    /// action; the read itself is recorded.
    ///
    /// # Errors
    ///
    /// [`VaultError::Forbidden`] when policy does not allow it; storage failures.
    pub async fn audit_events(
        &self,
        caller: &Caller,
        tenant: &TenantId,
        query: &AuditQuery,
    ) -> Result<Vec<StoredAuditEvent>, VaultError> {
        let subject = query.subject.as_ref();
        let resource = match subject {
            Some(subject) => Resource::Subject {
                tenant,
                subject,
                restricted: false,
            },
            None => Resource::Tenant(tenant),
        };
        if let Err(error) = self.authorize(caller, tenant, Action::ReadAudit, resource) {
            return Err(self
                .refuse(caller, AuditAction::ReadAudit, subject, None, error)
                .await);
        }

        let events = self.store().audit_events(tenant, query)?;
        let mut event = self.event(
            caller,
            AuditAction::ReadAudit,
            Decision::Allow,
            Outcome::Success,
        );
        event.subject = subject.cloned();
        event.count = Some(events.len() as u64);
        self.record(vec![event]).await?;
        Ok(events)
    }
}
