//! denied_burst: at least `threshold` refused events by one actor within `window_minutes`.
//!
//! Only the latest `threshold` refusals are kept: the rule fires when the oldest of them is no
//! more than the window before the newest. Refused `authenticate` events count — a burst of
//! them is someone guessing at a credential.

use std::collections::VecDeque;

use jiff::Timestamp;
use phiguard_core::{AuditEvent, Decision, DetectionRule, EvidenceRef, Severity};

use crate::config::{DeniedBurstConfig, minutes};
use crate::finding::{Facts, Finding};

/// One actor's latest refusals.
#[derive(Debug, Default)]
pub(crate) struct DeniedWindow {
    refusals: VecDeque<(Timestamp, EvidenceRef)>,
    /// The sequence number of the latest refusal already given as evidence.
    reported_through: Option<u64>,
}

impl DeniedWindow {
    pub(crate) fn observe(
        &mut self,
        event: &AuditEvent,
        evidence: EvidenceRef,
        config: &DeniedBurstConfig,
    ) -> Option<Finding> {
        if event.decision != Decision::Deny {
            return None;
        }

        let threshold = usize::try_from(config.threshold).unwrap_or(usize::MAX);
        self.refusals.push_back((event.time, evidence));
        while self.refusals.len() > threshold {
            self.refusals.pop_front();
        }
        if self.refusals.len() < threshold {
            return None;
        }

        let oldest = self.refusals.front().map_or(event.time, |(time, _)| *time);
        let span = event.time.duration_since(oldest);
        if span > minutes(config.window_minutes) {
            return None;
        }

        let fresh: Vec<EvidenceRef> = self
            .refusals
            .iter()
            .map(|(_, evidence)| *evidence)
            .filter(|evidence| self.reported_through.is_none_or(|seq| evidence.seq > seq))
            .collect();
        self.reported_through = Some(evidence.seq);
        Some(Finding {
            rule: DetectionRule::DeniedBurst,
            severity: Severity::Medium,
            evidence_total: fresh.len() as u64,
            evidence: fresh,
            facts: Facts::DeniedBurst {
                refused: self.refusals.len(),
                span,
                threshold: config.threshold,
                window_minutes: config.window_minutes,
                action: event.action,
            },
        })
    }

    /// How many refusals are kept.
    pub(crate) fn len(&self) -> usize {
        self.refusals.len()
    }

    /// Forgets refusals that can no longer be part of a burst.
    pub(crate) fn sweep(&mut self, now: Timestamp, config: &DeniedBurstConfig) {
        let stale = self
            .refusals
            .back()
            .is_some_and(|(time, _)| now.duration_since(*time) > minutes(config.window_minutes));
        if stale {
            self.refusals = VecDeque::new();
        }
    }
}
