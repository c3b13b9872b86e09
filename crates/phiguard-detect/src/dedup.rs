//! Folding repeats into open alerts, and naming alerts deterministically.
//!
//! One alert is open per (tenant, actor, rule). A firing within the deduplication window after
//! the open alert's `last_seen` folds into it; a later one opens a new alert. An alert's id is
//! the first 10 bytes of SHA-256 over the rule, tenant, actor and the sequence number of its
//! first evidence event, so replaying the same events names the same alerts.

use jiff::{SignedDuration, Timestamp};
use phiguard_core::{ActorId, ActorKind, Alert, AlertId, DetectionRule, TenantId};
use sha2::{Digest, Sha256};

use crate::finding::Finding;

/// What one observed event did to the alerts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AlertChange {
    /// A new alert opened.
    Raised(Alert),
    /// An open alert took in another occurrence; this is its new state.
    Updated(Alert),
}

impl AlertChange {
    /// The alert as it now stands.
    pub fn alert(&self) -> &Alert {
        match self {
            AlertChange::Raised(alert) | AlertChange::Updated(alert) => alert,
        }
    }

    /// Whether the change opened a new alert.
    pub fn is_new(&self) -> bool {
        matches!(self, AlertChange::Raised(_))
    }
}

/// The deterministic id of an alert.
pub(crate) fn alert_id(
    rule: DetectionRule,
    tenant: &TenantId,
    actor: &ActorId,
    first_seq: u64,
) -> AlertId {
    let mut hasher = Sha256::new();
    hasher.update(b"phiguard-detect alert v1\0");
    hasher.update(rule.as_str().as_bytes());
    hasher.update(b"\0");
    hasher.update(tenant.as_str().as_bytes());
    hasher.update(b"\0");
    hasher.update(actor.as_str().as_bytes());
    hasher.update(b"\0");
    hasher.update(first_seq.to_be_bytes());
    let digest = hasher.finalize();

    let mut bytes = [0u8; AlertId::RANDOM_BYTES];
    bytes.copy_from_slice(&digest[..AlertId::RANDOM_BYTES]);
    AlertId::from_random(bytes)
}

/// The rules of folding.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Folding {
    pub(crate) window: SignedDuration,
    pub(crate) evidence_cap: usize,
}

/// Who an alert is about.
pub(crate) struct Subject<'a> {
    pub(crate) tenant: &'a TenantId,
    pub(crate) actor: &'a ActorId,
    pub(crate) kind: ActorKind,
}

impl Folding {
    /// Whether an open alert whose last event was at `last_seen` still takes a firing at `at`.
    pub(crate) fn is_open(&self, last_seen: Timestamp, at: Timestamp) -> bool {
        at.duration_since(last_seen) <= self.window
    }

    /// Folds a finding into the open alert for its rule, or opens a new one.
    pub(crate) fn fold(
        &self,
        open: &mut Option<Alert>,
        finding: Finding,
        at: Timestamp,
        who: &Subject<'_>,
    ) -> AlertChange {
        if let Some(alert) = open.as_mut()
            && self.is_open(alert.last_seen, at)
        {
            alert.occurrences += 1;
            alert.last_seen = alert.last_seen.max(at);
            alert.severity = alert.severity.max(finding.severity);
            let room = self.evidence_cap.saturating_sub(alert.evidence.len());
            alert
                .evidence
                .extend(finding.evidence.iter().copied().take(room));
            alert.evidence_total += finding.evidence_total;
            alert.summary = finding.facts.to_string();
            return AlertChange::Updated(alert.clone());
        }

        let first_seq = finding.evidence.first().map_or(0, |evidence| evidence.seq);
        let mut evidence = finding.evidence;
        evidence.truncate(self.evidence_cap);
        let alert = Alert {
            id: alert_id(finding.rule, who.tenant, who.actor, first_seq),
            rule: finding.rule,
            severity: finding.severity,
            tenant: who.tenant.clone(),
            actor: who.actor.clone(),
            actor_kind: who.kind,
            first_seen: at,
            last_seen: at,
            occurrences: 1,
            evidence,
            evidence_total: finding.evidence_total,
            summary: finding.facts.to_string(),
        };
        *open = Some(alert.clone());
        AlertChange::Raised(alert)
    }
}
