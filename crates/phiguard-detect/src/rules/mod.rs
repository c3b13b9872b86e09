//! The rules, one module per kind of state they keep.
//!
//! - [`burst`]: denied_burst, over the actor's latest refusals (at most `threshold`).
//! - [`volume`]: bulk_read over the actor's current and past active hours; bulk_export over
//!   its open requests.
//! - [`network`]: new_network, over the ranges each credential (or actor) was seen in.
//! - [`access`]: cross_tenant, off_hours, dormant_actor, break_glass, recipient_without_baa
//!   and outside_declared_purpose, which need only the directory and the last activity.

pub(crate) mod access;
pub(crate) mod burst;
pub(crate) mod network;
pub(crate) mod volume;

use phiguard_core::{AuditAction, AuditEvent, Decision, Disclosure};

/// Whether PHI left the vault with the event (clear or masked).
pub(crate) fn discloses(event: &AuditEvent) -> bool {
    event
        .disclosed
        .values()
        .any(|level| *level != Disclosure::Withheld)
}

/// Whether the event is a PHI read: a record read, search or listing that was allowed or
/// disclosed something.
pub(crate) fn is_phi_read(event: &AuditEvent) -> bool {
    matches!(
        event.action,
        AuditAction::ReadRecord | AuditAction::Search | AuditAction::ListRecords
    ) && (event.decision == Decision::Allow || discloses(event))
}
