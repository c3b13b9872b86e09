//! new_network: a credential (or, for events without one, the actor) seen from a network range
//! it has not used before.
//!
//! The first range a credential is seen in is learnt without an alert. Refused
//! `authenticate` events neither teach nor alert: anyone who knows a credential's public id can
//! cause them from anywhere, and a burst of them is denied_burst's business. Each credential
//! remembers its [`MAX_RANGES`] most recently used ranges.

use jiff::Timestamp;
use phiguard_core::{AuditAction, AuditEvent, DetectionRule, EvidenceRef, NetworkRange, Severity};

use crate::config::NewNetworkConfig;
use crate::finding::{Facts, Finding};

/// How many ranges one credential remembers; the least recently used is forgotten first.
pub(crate) const MAX_RANGES: usize = 64;

/// The ranges one credential or actor was seen in, with when each was last used.
#[derive(Debug, Default)]
pub(crate) struct NetworkMemory {
    ranges: Vec<(NetworkRange, Timestamp)>,
}

impl NetworkMemory {
    /// Records a sighting; the number of ranges known before, when `range` is new to a memory
    /// that already knew some.
    fn sight(&mut self, range: NetworkRange, at: Timestamp) -> Option<usize> {
        if let Some(known) = self.ranges.iter_mut().find(|(known, _)| *known == range) {
            known.1 = known.1.max(at);
            return None;
        }

        let known = self.ranges.len();
        if known >= MAX_RANGES
            && let Some(oldest) = self
                .ranges
                .iter()
                .enumerate()
                .min_by_key(|(_, (_, last))| *last)
                .map(|(index, _)| index)
        {
            self.ranges.swap_remove(oldest);
        }
        self.ranges.push((range, at));
        (known > 0).then_some(known)
    }
}

/// The range an event teaches or alerts on, if any.
pub(crate) fn range_of(event: &AuditEvent, config: &NewNetworkConfig) -> Option<NetworkRange> {
    if event.action == AuditAction::Authenticate {
        return None;
    }
    event
        .network
        .filter(|range| !(config.ignore_loopback && range.is_loopback()))
}

/// Records the event's range in `memory` and fires if the range is new.
pub(crate) fn observe(
    memory: &mut NetworkMemory,
    range: NetworkRange,
    event: &AuditEvent,
    evidence: EvidenceRef,
) -> Option<Finding> {
    let known_ranges = memory.sight(range, event.time)?;
    Some(Finding::single(
        DetectionRule::NewNetwork,
        Severity::Medium,
        evidence,
        Facts::NewNetwork {
            range,
            known_ranges,
            credential: event.credential.clone(),
        },
    ))
}
