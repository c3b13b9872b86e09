//! Misuse detectors over the audit stream.
//!
//! ```text
//!   audit table ──(AuditEvent, EvidenceRef)──► Detector::observe ──► Vec<AlertChange>
//!   (in seq order)            │                     │                  Raised | Updated
//!                             │                     ├─ rules::burst    denied_burst
//!   history ──► Detector::learn (no alerts)         ├─ rules::volume   bulk_read, bulk_export
//!                                                   ├─ rules::network  new_network
//!   Directory (tenants' zones and hours, actors'    ├─ rules::access   the other six
//!   kinds, purposes, recipients, history; BAAs) ──► └─ dedup: fold per (tenant, actor, rule)
//! ```
//!
//! # What this crate owns
//!
//! The ten [`DetectionRule`]s, their configuration ([`DetectConfig`], defaults documented in
//! one table there), the per-actor state they keep (baselines, windows, known networks), the
//! folding of repeats into open alerts with deterministic ids, and the [`Warning`]s that say
//! where a rule could not judge events.
//!
//! | rule | fires on (defaults) | severity |
//! | --- | --- | --- |
//! | `denied_burst` | 20 refused events by one actor within 5 minutes | medium |
//! | `cross_tenant` | any event with `requested_tenant` set | high |
//! | `bulk_read` | an hour's PHI reads above `max(floor, k × quantile)` of history | high |
//! | `bulk_export` | 100 distinct subjects in one request, or a `count` of 100 | high |
//! | `off_hours` | a user's PHI access outside business hours, local time | low |
//! | `dormant_actor` | activity after 30 idle days | medium |
//! | `break_glass` | every `ETREAT` event and `break_glass` action | high; medium if denied |
//! | `recipient_without_baa` | PHI disclosed to a recipient without a BAA | high; critical* |
//! | `outside_declared_purpose` | service or system naming an undeclared purpose | high; medium* |
//! | `new_network` | a credential in a range it has not used, after its first | medium |
//!
//! \* recipient_without_baa is critical when a category left in clear; outside_declared_purpose
//! is medium when nothing was disclosed. A folded alert keeps the highest severity it saw.
//!
//! # What it refuses to do
//!
//! - No I/O and no clock reads: time comes from event timestamps, so a replay gives the same
//!   alerts and ids.
//! - No PHI in alerts: summaries are rendered from counts, thresholds, times, codes, ranges
//!   and minted credential ids only. Text a caller chose (a break-glass reason, a recipient or
//!   tenant named in a header, a request id) stays in the audit events the alert points to.
//! - No silent zeros: where a rule cannot judge (a tenant without a time zone, a service with
//!   no declared purposes) it counts the events in a [`Warning`] instead of passing them.
//! - No rule is off unless the configuration says `enabled = false` for it.
//! - No unbounded state: refusal windows keep at most `threshold` entries, requests and open
//!   alerts are dropped once they cannot grow, histories and known ranges are capped. What
//!   remains per actor and per credential is a few hundred bytes plus the capped history.
//! - No calendar of holidays: a public holiday on a weekday counts as business hours.
//!
//! Events are expected in audit order; times that step back a little are tolerated (they
//! count toward the current hour and window).
//!
//! # Example
//!
//! ```
//! use phiguard_core::{
//!     ActorKind, AuditAction, AuditEvent, Decision, DetectionRule, EvidenceRef, Outcome,
//!     PurposeOfUse,
//! };
//! use phiguard_detect::{DetectConfig, Detector, Directory};
//!
//! let mut detector = Detector::new(DetectConfig::default(), Directory::new()).unwrap();
//!
//! let mut event = AuditEvent::new(
//!     "northwind".parse().unwrap(),
//!     "dr-okafor".parse().unwrap(),
//!     ActorKind::User,
//!     AuditAction::BreakGlass,
//!     Decision::Allow,
//!     Outcome::Success,
//! );
//! event.time = "2026-03-03T14:00:00Z".parse().unwrap();
//! event.purpose = Some(PurposeOfUse::Etreat);
//!
//! let changes = detector.observe(&event, EvidenceRef { seq: 1, leaf: 0 });
//! let alert = changes[0].alert();
//! assert_eq!(alert.rule, DetectionRule::BreakGlass);
//! assert_eq!(alert.evidence, [EvidenceRef { seq: 1, leaf: 0 }]);
//! ```

mod config;
mod dedup;
mod detector;
mod directory;
mod finding;
mod hours;
mod rules;
mod warnings;

pub use config::{
    BulkExportConfig, BulkReadConfig, ConfigError, DedupConfig, DeniedBurstConfig, DetectConfig,
    DormantActorConfig, NewNetworkConfig, OffHoursConfig, RuleSwitch, TenantHours,
};
pub use dedup::AlertChange;
pub use detector::{Detector, Footprint};
pub use directory::{ActorProfile, Directory, DirectoryError, TenantProfile};
pub use hours::{BadClockTime, BusinessHours, ClockTime, Day};
pub use warnings::Warning;

#[doc(no_inline)]
pub use phiguard_core::{Alert, DetectionRule, EvidenceRef, Severity};
