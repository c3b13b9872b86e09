//! Alerts: what a detector found in the audit trail that may be misuse of PHI.
//!
//! An alert names the rule that fired, the tenant and actor, a severity, and the audit events
//! that are its evidence — by position, so that an investigator can fetch each one with an
//! inclusion proof. Like an audit event it carries ids, counts and times, never a PHI value.

use std::fmt;
use std::str::FromStr;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::{ActorId, ActorKind, AlertId, TenantId};

/// The misuse patterns phiguard watches for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DetectionRule {
    /// Many refused requests by one actor in a short time: probing, or a broken integration.
    DeniedBurst,
    /// A request that named another tenant than the credential's own.
    CrossTenant,
    /// Record reads or searches far above the actor's own hourly baseline.
    BulkRead,
    /// One request that returned or listed many subjects at once.
    BulkExport,
    /// PHI access by a person outside the tenant's business hours, in its time zone.
    OffHours,
    /// An actor that had been idle for a long time acting again.
    DormantActor,
    /// Any break-glass (`ETREAT`) access.
    BreakGlass,
    /// PHI passed to a recipient that no business associate agreement covers.
    RecipientWithoutBaa,
    /// A service or system actor using a purpose of use it did not declare.
    OutsideDeclaredPurpose,
    /// A credential used from a network range it has not been seen in.
    NewNetwork,
}

impl DetectionRule {
    /// Every rule, in a fixed order.
    pub const ALL: [DetectionRule; 10] = [
        DetectionRule::DeniedBurst,
        DetectionRule::CrossTenant,
        DetectionRule::BulkRead,
        DetectionRule::BulkExport,
        DetectionRule::OffHours,
        DetectionRule::DormantActor,
        DetectionRule::BreakGlass,
        DetectionRule::RecipientWithoutBaa,
        DetectionRule::OutsideDeclaredPurpose,
        DetectionRule::NewNetwork,
    ];

    /// The rule's name as it appears in configuration, APIs and alerts.
    pub const fn as_str(self) -> &'static str {
        match self {
            DetectionRule::DeniedBurst => "denied_burst",
            DetectionRule::CrossTenant => "cross_tenant",
            DetectionRule::BulkRead => "bulk_read",
            DetectionRule::BulkExport => "bulk_export",
            DetectionRule::OffHours => "off_hours",
            DetectionRule::DormantActor => "dormant_actor",
            DetectionRule::BreakGlass => "break_glass",
            DetectionRule::RecipientWithoutBaa => "recipient_without_baa",
            DetectionRule::OutsideDeclaredPurpose => "outside_declared_purpose",
            DetectionRule::NewNetwork => "new_network",
        }
    }
}

impl fmt::Display for DetectionRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Text that names no detection rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown detection rule; the rules are {}", rule_names())]
pub struct UnknownRule;

fn rule_names() -> String {
    DetectionRule::ALL.map(DetectionRule::as_str).join(", ")
}

impl FromStr for DetectionRule {
    type Err = UnknownRule;

    fn from_str(s: &str) -> Result<Self, UnknownRule> {
        DetectionRule::ALL
            .into_iter()
            .find(|rule| rule.as_str() == s)
            .ok_or(UnknownRule)
    }
}

/// How urgently a person should look.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Worth a look in the next review.
    Low,
    /// Look today.
    Medium,
    /// Look now: PHI may be leaving.
    High,
    /// Look now and consider opening an incident.
    Critical,
}

impl Severity {
    /// The severity's name as it appears in APIs and alerts.
    pub const fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    /// The RFC 5424 syslog severity that matches (warning, error, critical, alert).
    pub const fn syslog_code(self) -> u8 {
        match self {
            Severity::Low => 4,
            Severity::Medium => 3,
            Severity::High => 2,
            Severity::Critical => 1,
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One audit event that an alert rests on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct EvidenceRef {
    /// The event's sequence number in the store's audit table.
    pub seq: u64,
    /// The event's leaf index in its tenant's ledger (for an inclusion proof).
    pub leaf: u64,
}

/// A detector's finding.
///
/// Repeats of the same rule for the same actor within the deduplication window are folded into
/// one alert: `occurrences` counts them, `last_seen` moves on, and `evidence` keeps the first
/// events up to a cap while `evidence_total` counts them all.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Alert {
    /// The alert's id.
    pub id: AlertId,
    /// The rule that fired.
    pub rule: DetectionRule,
    /// How urgent it is.
    pub severity: Severity,
    /// The tenant whose trail holds the evidence.
    pub tenant: TenantId,
    /// The actor whose behaviour fired the rule.
    pub actor: ActorId,
    /// What kind of actor it is.
    pub actor_kind: ActorKind,
    /// The time of the first event that fired the rule.
    pub first_seen: Timestamp,
    /// The time of the latest event folded in.
    pub last_seen: Timestamp,
    /// How many times the rule fired for this actor within the window.
    pub occurrences: u64,
    /// The first evidence events, at most a detector-defined cap.
    pub evidence: Vec<EvidenceRef>,
    /// How many evidence events there were in all.
    pub evidence_total: u64,
    /// What was seen, in words: counts, thresholds, purpose codes, ranges, never PHI.
    pub summary: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_names_round_trip_and_match_serde() {
        for rule in DetectionRule::ALL {
            assert_eq!(rule.as_str().parse::<DetectionRule>().unwrap(), rule);
            let json = serde_json::to_string(&rule).unwrap();
            assert_eq!(json, format!("\"{}\"", rule.as_str()));
        }
        let error = "bulk-read".parse::<DetectionRule>().unwrap_err();
        assert!(error.to_string().contains("bulk_read"));
    }

    #[test]
    fn severities_order_by_urgency() {
        assert!(Severity::Low < Severity::Medium);
        assert!(Severity::High < Severity::Critical);
        assert!(Severity::Critical.syslog_code() < Severity::Low.syslog_code());
    }
}
