//! Breach-notification law as code: is an incident a notifiable breach, who must be told by
//! when, and what the notices say (45 CFR 164.400-414 and the state laws that are shorter).
//!
//! ```text
//!   BreachFacts ──► determine() ──► Determination ── breach? ──┐
//!   (exclusions, secured?, four factors)                        │
//!                                                               ▼
//!   DeadlineFacts ──► deadlines(&facts, &StateTable) ──► Schedule: every Deadline with
//!   (discovery, counts per state, BA?, law-enforcement delay)     recipient, due date, basis,
//!                      ▲                                          applicability, confidence
//!        data/states.toml (StateTable::shipped)
//!
//!   NoticeContent ──► draft_individual_notice() ──► NoticeDraft ──► to_text | to_markdown
//!   missing contacts ──► substitute_notice_plan() ──► SubstitutePlan
//!   HhsBreachReport ──► to_json(today) ──► the HHS portal's fields as JSON
//! ```
//!
//! # What this crate owns
//!
//! - The determination of 164.402: the three exclusions, the safe harbour for secured PHI and
//!   the four-factor risk assessment, with the reasoning written out ([`determine`]).
//! - The deadlines of 164.404-164.412 for individuals, HHS, the media and the covered entity,
//!   and of the state rules in `data/states.toml`, each with its citation, the threshold
//!   arithmetic and how far it is verified ([`deadlines`], [`days_remaining`]).
//! - The individual notice of 164.404(c) as a draft with recipient placeholders, the
//!   substitute-notice plan of 164.404(d)(2), and the HHS portal report ([`HhsBreachReport`]).
//!
//! # What it refuses to do
//!
//! - It never treats unknown as safe: an unknown answer never excludes an incident, never
//!   makes PHI secured and never supports a low probability of compromise; a rating without a
//!   written reason does not count. Thresholds that people of unknown state could reach are
//!   shown as undetermined, not dropped.
//! - It never guesses law: a state rule marked *verify* in the summary is `unverified`, whether
//!   a HIPAA-compliant notice satisfies a state is unknown until someone records it, and the
//!   way a law-enforcement delay moves a deadline is marked unverified.
//! - It reads no clock and does no I/O: every "today" is a parameter; the state table is
//!   embedded at build time.
//! - It holds no PHI: notices carry the placeholders [`RECIPIENT_NAME`] and
//!   [`RECIPIENT_ADDRESS`], and no error message repeats the text it rejects.
//! - It is not legal advice. The dates are outer limits; the law asks for notice without
//!   unreasonable delay.
//!
//! # Example
//!
//! ```
//! use jiff::civil::date;
//! use phiguard_breach::{
//!     Affected, Answer, Applicability, DeadlineFacts, PlatformRole, Recipient, StateTable,
//!     deadlines, days_remaining,
//! };
//!
//! let facts = DeadlineFacts {
//!     discovered: date(2026, 1, 1),
//!     affected: Affected {
//!         by_jurisdiction: [("TX".parse().unwrap(), 501)].into(),
//!         unknown_jurisdiction: 0,
//!     },
//!     role: PlatformRole::CoveredEntity,
//!     law_enforcement_delay: None,
//!     licensed_health_facility: Answer::No,
//!     individuals_notified_on: None,
//! };
//! let schedule = deadlines(&facts, &StateTable::shipped().unwrap()).unwrap();
//!
//! // Day 0 is discovery: 60 days after 2026-01-01 is 2026-03-02.
//! let individuals = schedule
//!     .deadlines
//!     .iter()
//!     .find(|d| d.recipient == Recipient::Individuals)
//!     .unwrap();
//! assert_eq!(individuals.due, Some(date(2026, 3, 2)));
//! assert_eq!(days_remaining(date(2026, 3, 2), date(2026, 3, 5)), -3);
//!
//! // 501 residents of one state: the media must be told.
//! let media = schedule
//!     .deadlines
//!     .iter()
//!     .find(|d| matches!(d.recipient, Recipient::Media { .. }))
//!     .unwrap();
//! assert_eq!(media.applies, Applicability::Applies);
//! assert!(media.reasoning.starts_with("501 residents of TX > 500"));
//! ```

mod assessment;
mod days;
mod deadlines;
mod hhs;
mod jurisdiction;
mod notice;
mod states;
mod terms;
mod text;

pub use assessment::{
    AcquisitionOrViewing, BreachFacts, Determination, Exclusion, ExclusionClaim, Mitigation,
    NatureAndExtent, Outcome, PersonKind, Rating, RiskAssessment, Secured, SecuredBy,
    UnauthorizedPerson, determine,
};
pub use days::{Counting, add_days, days_remaining};
pub use deadlines::{
    Affected, Applicability, Deadline, DeadlineError, DeadlineFacts, HHS_IMMEDIATE_THRESHOLD,
    HIPAA_DAYS, LawEnforcementDelay, MEDIA_THRESHOLD, ORAL_DELAY_DAYS, Party, PlatformRole,
    Recipient, Schedule, WrittenFollowUp, deadlines,
};
pub use hhs::{
    BreachType, BusinessAssociateDetails, ContactPerson, CoveredEntityDetails, EntityType,
    HhsBreachReport, HhsReportError, Location, PostalAddress, ReportType, Safeguard,
};
pub use jurisdiction::{Jurisdiction, UnknownJurisdiction};
pub use notice::{
    ContactProcedures, NOTICE_DATE, NoticeContent, NoticeDraft, NoticeError, NoticeSection,
    RECIPIENT_ADDRESS, RECIPIENT_NAME, SUBSTITUTE_CONSPICUOUS_THRESHOLD, SUBSTITUTE_DAYS,
    SubstitutePlan, describe_category, draft_individual_notice, substitute_notice_plan,
    suggested_steps,
};
pub use states::{
    DeadlineStart, EntityScope, IndividualsDeadline, RegulatorDeadline, RegulatorNotice, StateRule,
    StateTable, StateTableError, Threshold,
};
pub use terms::{Answer, Confidence};
