//! Alerts: keeping what the detectors raise, with an audit event for each, and reading them
//! back under the same rule as the audit trail they rest on.

use phiguard_core::{Alert, AlertId, AuditAction, Decision, Outcome, Severity, TenantId};
use phiguard_policy::{Action, Resource};
use phiguard_store::{AlertQuery, Change, DeadLetter, StoredAuditEvent};

use crate::{Caller, SystemJob, Vault, VaultError};

/// How an alert reached the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlertRecording {
    /// A new alert: kept, and a `raise_alert` event appended to its tenant's trail.
    Raised,
    /// A repeat folded into an open alert whose severity rose: kept, with a `raise_alert`
    /// event naming the new severity.
    Escalated,
    /// Repeats folded into an open alert at the same severity: its row is rewritten (counts,
    /// last seen, evidence) with a `raise_alert` event carrying the new digest, but it is not
    /// delivered again. The live detectors fold a whole batch of repeats into one write.
    Folded,
}

impl Vault {
    /// Keeps an alert raised or updated by phiguard's detectors, and records it as a
    /// `raise_alert` audit event of its tenant (with the SHA-256 of the kept alert) in the same
    /// commit.
    ///
    /// # Errors
    ///
    /// Storage failures.
    pub async fn record_alert(
        &self,
        alert: &Alert,
        previous: Option<Severity>,
    ) -> Result<AlertRecording, VaultError> {
        let (recording, changes) = self.alert_changes(alert, previous)?;
        self.store().submit(changes).await?;
        Ok(recording)
    }

    /// Keeps a batch of alerts — each at its latest state, with the severity it was last
    /// recorded at, if any — and moves the detectors' cursor, all in one commit: a batch of
    /// events is judged exactly once even across a crash, and a thousand repeats folded into
    /// one alert cost one row write, not a thousand.
    ///
    /// # Errors
    ///
    /// Storage failures.
    pub async fn record_alert_batch(
        &self,
        alerts: &[(Alert, Option<Severity>)],
        cursor: u64,
    ) -> Result<Vec<AlertRecording>, VaultError> {
        let mut recordings = Vec::with_capacity(alerts.len());
        let mut changes = Vec::new();
        for (alert, previous) in alerts {
            let (recording, mut more) = self.alert_changes(alert, *previous)?;
            recordings.push(recording);
            changes.append(&mut more);
        }
        changes.push(Change::SetDetectorCursor(cursor));
        self.store().submit(changes).await?;
        Ok(recordings)
    }

    /// The changes that keep one alert, and how it counts.
    fn alert_changes(
        &self,
        alert: &Alert,
        previous: Option<Severity>,
    ) -> Result<(AlertRecording, Vec<Change>), VaultError> {
        let recording = match previous {
            None => AlertRecording::Raised,
            Some(severity) if alert.severity > severity => AlertRecording::Escalated,
            Some(_) => AlertRecording::Folded,
        };

        let document =
            serde_json::to_vec(alert).map_err(|e| VaultError::internal("encoding an alert", e))?;
        let how = match recording {
            AlertRecording::Raised => "raised",
            AlertRecording::Escalated => "escalated",
            AlertRecording::Folded => "folded",
        };
        let detection = Caller::system(alert.tenant.clone(), SystemJob::Detection);
        let mut event = self.event(
            &detection,
            AuditAction::RaiseAlert,
            Decision::Allow,
            Outcome::Success,
        );
        event.target = Some(format!(
            "{} {} {} {how} sha256={}",
            alert.id,
            alert.rule.as_str(),
            alert.severity.as_str(),
            crate::sha256_hex(&document)
        ));
        event.count = Some(alert.occurrences);

        let changes = vec![Change::PutAlert(alert.clone()), Change::Audit(event)];
        Ok((recording, changes))
    }

    /// Keeps a delivery that failed for good.
    ///
    /// # Errors
    ///
    /// Storage failures.
    pub async fn record_dead_letter(&self, letter: DeadLetter) -> Result<(), VaultError> {
        self.store()
            .submit(vec![Change::PutDeadLetter(letter)])
            .await?;
        Ok(())
    }

    /// The last audit sequence number the detectors have seen.
    ///
    /// # Errors
    ///
    /// Storage failures.
    pub fn detector_cursor(&self) -> Result<Option<u64>, VaultError> {
        Ok(self.store().detector_cursor()?)
    }

    /// Up to `limit` audit events of every tenant after `after_seq`, in order: the stream the
    /// detectors inside `phiguard serve` read. The detectors are phiguard's own system job;
    /// nothing a credential can reach calls this.
    ///
    /// # Errors
    ///
    /// Storage failures.
    pub fn audit_stream(
        &self,
        after_seq: u64,
        limit: u32,
    ) -> Result<Vec<StoredAuditEvent>, VaultError> {
        Ok(self.store().audit_events_after(after_seq, limit)?)
    }

    /// Checks that `caller` may read `tenant`'s alerts (the `read_audit` action: alerts are a
    /// view of the audit trail), recording a refusal.
    async fn authorize_alerts(&self, caller: &Caller, tenant: &TenantId) -> Result<(), VaultError> {
        match self.authorize(caller, tenant, Action::ReadAudit, Resource::Tenant(tenant)) {
            Ok(_) => Ok(()),
            Err(error) => Err(self
                .refuse(caller, AuditAction::ReadAlerts, None, None, error)
                .await),
        }
    }

    /// A tenant's alerts, newest first, for a caller allowed to read its audit trail. The read
    /// is recorded.
    ///
    /// # Errors
    ///
    /// [`VaultError::Forbidden`] or [`VaultError::TenantMismatch`] (recorded); storage failures.
    pub async fn alerts(
        &self,
        caller: &Caller,
        tenant: &TenantId,
        query: &AlertQuery,
    ) -> Result<Vec<Alert>, VaultError> {
        self.authorize_alerts(caller, tenant).await?;

        let alerts = self.store().alerts(tenant, query)?;
        let mut event = self.event(
            caller,
            AuditAction::ReadAlerts,
            Decision::Allow,
            Outcome::Success,
        );
        event.count = Some(alerts.len() as u64);
        self.record(vec![event]).await?;
        Ok(alerts)
    }

    /// One alert of a tenant, with the audit events it rests on.
    ///
    /// # Errors
    ///
    /// [`VaultError::NotFound`] for an unknown alert (recorded); as for [`Vault::alerts`].
    pub async fn alert(
        &self,
        caller: &Caller,
        tenant: &TenantId,
        id: &AlertId,
    ) -> Result<(Alert, Vec<StoredAuditEvent>), VaultError> {
        self.authorize_alerts(caller, tenant).await?;

        let Some(alert) = self.store().alert(tenant, id)? else {
            let error = VaultError::NotFound("the alert");
            return Err(self
                .refuse(caller, AuditAction::ReadAlerts, None, None, error)
                .await);
        };
        let evidence = self.evidence_events(tenant, &alert)?;

        let mut event = self.event(
            caller,
            AuditAction::ReadAlerts,
            Decision::Allow,
            Outcome::Success,
        );
        event.target = Some(alert.id.to_string());
        self.record(vec![event]).await?;
        Ok((alert, evidence))
    }

    /// A tenant's failed alert deliveries, for a caller allowed to read its alerts.
    ///
    /// # Errors
    ///
    /// As for [`Vault::alerts`].
    pub async fn dead_letters(
        &self,
        caller: &Caller,
        tenant: &TenantId,
    ) -> Result<Vec<DeadLetter>, VaultError> {
        self.authorize_alerts(caller, tenant).await?;

        let letters = self.store().dead_letters(tenant)?;
        let mut event = self.event(
            caller,
            AuditAction::ReadAlerts,
            Decision::Allow,
            Outcome::Success,
        );
        event.target = Some("dead-letters".into());
        event.count = Some(letters.len() as u64);
        self.record(vec![event]).await?;
        Ok(letters)
    }

    /// The stored events an alert names as evidence, by their ledger positions.
    pub(crate) fn evidence_events(
        &self,
        tenant: &TenantId,
        alert: &Alert,
    ) -> Result<Vec<StoredAuditEvent>, VaultError> {
        let mut events = Vec::with_capacity(alert.evidence.len());
        for evidence in &alert.evidence {
            let query = phiguard_store::AuditQuery {
                after_seq: Some(evidence.seq.saturating_sub(1)),
                limit: 1,
                ..Default::default()
            };
            let found = self.store().audit_events(tenant, &query)?;
            events.extend(found.into_iter().filter(|e| e.seq == evidence.seq));
        }
        Ok(events)
    }
}
