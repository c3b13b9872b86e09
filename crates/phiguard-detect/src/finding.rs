//! One firing of a rule, and the facts its alert summary is written from.
//!
//! A summary is rendered only from [`Facts`], whose fields are counts, thresholds, times,
//! codes from closed vocabularies (actions, decisions, purposes, categories), network ranges
//! and minted credential ids. Text a caller chose — a break-glass reason, a recipient or
//! tenant named in a header, a request id, a record type — has no field here, so it cannot
//! reach a summary; it stays in the audit events the alert points to.

use std::fmt;

use jiff::civil::DateTime;
use jiff::{SignedDuration, Timestamp};
use phiguard_core::{
    AuditAction, Category, CredentialId, Decision, DetectionRule, Disclosure, Disclosures,
    EvidenceRef, NetworkRange, PurposeOfUse, Severity,
};

/// A rule fired on one event.
#[derive(Debug, Clone)]
pub(crate) struct Finding {
    pub(crate) rule: DetectionRule,
    pub(crate) severity: Severity,
    /// Evidence this firing adds, ending with (or, once a cap is reached, standing for) the
    /// event that fired. Includes the events that built up to the threshold on the first
    /// firing of an episode.
    pub(crate) evidence: Vec<EvidenceRef>,
    /// How many evidence events this firing adds in all (at least `evidence.len()`).
    pub(crate) evidence_total: u64,
    pub(crate) facts: Facts,
}

impl Finding {
    /// A finding whose evidence is the one event that fired.
    pub(crate) fn single(
        rule: DetectionRule,
        severity: Severity,
        evidence: EvidenceRef,
        facts: Facts,
    ) -> Finding {
        Finding {
            rule,
            severity,
            evidence: vec![evidence],
            evidence_total: 1,
            facts,
        }
    }
}

/// Where the recipient of a disclosure was named.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RecipientSource {
    /// The request's `X-Recipient` header.
    Header,
    /// The actor's default recipient in the directory.
    ActorDefault,
}

/// How the bulk-read threshold of an hour was set.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum ReadBasis {
    /// Too little history: the floor applies.
    ColdStart {
        active_hours: usize,
        needed: u32,
        floor: u64,
    },
    /// `max(floor, ceil(multiplier × baseline))`.
    Baseline {
        floor: u64,
        multiplier: f64,
        quantile: f64,
        baseline: u64,
        active_hours: usize,
    },
}

/// What a rule saw, in words that hold no PHI.
#[derive(Debug, Clone)]
pub(crate) enum Facts {
    DeniedBurst {
        refused: usize,
        span: SignedDuration,
        threshold: u64,
        window_minutes: u64,
        action: AuditAction,
    },
    CrossTenant {
        action: AuditAction,
        decision: Decision,
        credential: Option<CredentialId>,
    },
    BulkRead {
        reads: u64,
        hour_start: Timestamp,
        threshold: u64,
        basis: ReadBasis,
    },
    BulkExport {
        amount: u64,
        threshold: u64,
        by_count: bool,
        action: AuditAction,
    },
    OffHours {
        action: AuditAction,
        purpose: Option<PurposeOfUse>,
        local: DateTime,
        zone: String,
        hours: String,
    },
    DormantActor {
        idle: SignedDuration,
        since: Timestamp,
        since_creation: bool,
        threshold_days: u64,
        action: AuditAction,
    },
    BreakGlass {
        action: AuditAction,
        decision: Decision,
        purpose: Option<PurposeOfUse>,
        reason_recorded: bool,
        disclosed: Disclosures,
    },
    RecipientWithoutBaa {
        action: AuditAction,
        source: RecipientSource,
        disclosed: Disclosures,
    },
    OutsideDeclaredPurpose {
        action: AuditAction,
        decision: Decision,
        purpose: PurposeOfUse,
        declared: Vec<PurposeOfUse>,
    },
    NewNetwork {
        range: NetworkRange,
        known_ranges: usize,
        credential: Option<CredentialId>,
    },
}

/// The disclosed categories of an event, as a fixed-size value with no allocation.
pub(crate) fn disclosures_of(
    disclosed: &std::collections::BTreeMap<Category, Disclosure>,
) -> Disclosures {
    let mut all = Disclosures::withhold_all();
    for (category, level) in disclosed {
        all.raise(*category, *level);
    }
    all
}

struct DisclosedList<'a>(&'a Disclosures);

impl fmt::Display for DisclosedList<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut any = false;
        for (category, level) in self.0.iter() {
            if level == Disclosure::Withheld {
                continue;
            }
            if any {
                f.write_str(", ")?;
            }
            write!(f, "{category} {level}")?;
            any = true;
        }
        if !any {
            f.write_str("nothing")?;
        }
        Ok(())
    }
}

struct PurposeText(Option<PurposeOfUse>);

impl fmt::Display for PurposeText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(purpose) => f.write_str(purpose.code()),
            None => f.write_str("none named"),
        }
    }
}

fn whole_days(duration: SignedDuration) -> i64 {
    duration.as_secs() / 86_400
}

impl fmt::Display for Facts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Facts::DeniedBurst {
                refused,
                span,
                threshold,
                window_minutes,
                action,
            } => write!(
                f,
                "{refused} refused requests within {} seconds (threshold: {threshold} within \
                 {window_minutes} minutes); latest refused action {action}",
                span.as_secs()
            ),
            Facts::CrossTenant {
                action,
                decision,
                credential,
            } => {
                write!(
                    f,
                    "a {action} request named a tenant other than the caller's own (decision \
                     {})",
                    decision.as_str()
                )?;
                if let Some(credential) = credential {
                    write!(f, "; credential {credential}")?;
                }
                f.write_str("; the tenant named is in the evidence events")
            }
            Facts::BulkRead {
                reads,
                hour_start,
                threshold,
                basis,
            } => {
                write!(
                    f,
                    "{reads} PHI reads (read_record, search, list_records) in the hour from \
                     {hour_start}, above the threshold of {threshold}: "
                )?;
                match basis {
                    ReadBasis::ColdStart {
                        active_hours,
                        needed,
                        floor,
                    } => write!(
                        f,
                        "the floor of {floor}, as {active_hours} of the {needed} active hours a \
                         baseline needs are known"
                    ),
                    ReadBasis::Baseline {
                        floor,
                        multiplier,
                        quantile,
                        baseline,
                        active_hours,
                    } => write!(
                        f,
                        "max(floor {floor}, {multiplier} x baseline {baseline}), the baseline \
                         being quantile {quantile} of {active_hours} past active hours"
                    ),
                }
            }
            Facts::BulkExport {
                amount,
                threshold,
                by_count,
                action,
            } => {
                if *by_count {
                    write!(
                        f,
                        "a {action} event counted {amount} results (threshold {threshold})"
                    )
                } else {
                    write!(
                        f,
                        "one request read {amount} distinct subjects (threshold {threshold}); \
                         latest action {action}"
                    )
                }
            }
            Facts::OffHours {
                action,
                purpose,
                local,
                zone,
                hours,
            } => write!(
                f,
                "PHI disclosed by {action} (purpose {}) at {} {} local time in {zone}, \
                 outside business hours {hours}",
                PurposeText(*purpose),
                local.strftime("%a %Y-%m-%d"),
                local.strftime("%H:%M"),
            ),
            Facts::DormantActor {
                idle,
                since,
                since_creation,
                threshold_days,
                action,
            } => {
                let what = if *since_creation {
                    "creation, with no activity since,"
                } else {
                    "last activity"
                };
                write!(
                    f,
                    "{action} after {} days idle (threshold {threshold_days} days); {what} on \
                     {}",
                    whole_days(*idle),
                    since.strftime("%Y-%m-%d")
                )
            }
            Facts::BreakGlass {
                action,
                decision,
                purpose,
                reason_recorded,
                disclosed,
            } => {
                write!(
                    f,
                    "break-glass: {action} with purpose {} (decision {}), disclosed {}; ",
                    PurposeText(*purpose),
                    decision.as_str(),
                    DisclosedList(disclosed)
                )?;
                if *reason_recorded {
                    f.write_str("a written reason is in the audit event")
                } else {
                    f.write_str("no written reason was recorded")
                }
            }
            Facts::RecipientWithoutBaa {
                action,
                source,
                disclosed,
            } => {
                let named = match source {
                    RecipientSource::Header => "named in the request's X-Recipient header",
                    RecipientSource::ActorDefault => "the actor's default recipient",
                };
                write!(
                    f,
                    "{} disclosed by {action} to a recipient no BAA covers ({named}); the \
                     recipient is in the evidence events",
                    DisclosedList(disclosed)
                )
            }
            Facts::OutsideDeclaredPurpose {
                action,
                decision,
                purpose,
                declared,
            } => {
                write!(
                    f,
                    "{action} (decision {}) with purpose {}, which the actor did not declare; \
                     declared:",
                    decision.as_str(),
                    purpose.code()
                )?;
                if declared.is_empty() {
                    f.write_str(" none")?;
                }
                for code in declared {
                    write!(f, " {}", code.code())?;
                }
                Ok(())
            }
            Facts::NewNetwork {
                range,
                known_ranges,
                credential,
            } => {
                match credential {
                    Some(credential) => write!(f, "credential {credential}")?,
                    None => f.write_str("the actor (no credential id)")?,
                }
                write!(
                    f,
                    " used from {range}, a range not seen before ({known_ranges} known)"
                )
            }
        }
    }
}
