//! Who must be told by when: the deadlines of 45 CFR 164.404-164.412 and of the state table.
//!
//! ```text
//!   DeadlineFacts ─┬─► individuals   164.404   discovery + 60 calendar days
//!   (discovery,    ├─► HHS           164.408   + 60 days if >= 500 affected, else 60 days
//!    counts per    │                           after the end of the year of discovery
//!    state, role,  ├─► media         164.406   + 60 days, per state with > 500 residents
//!    delay)        ├─► covered entity 164.410  + 60 days (or a shorter BAA term), BA only
//!                  └─► each state rule: individuals and regulator, per data/states.toml
//! ```
//!
//! # Counting
//!
//! Day 0 is the discovery date and "N days after" is N days later, so 60 days after 2026-01-01
//! is 2026-03-02. Dates are not moved off weekends or holidays. Business days skip weekends
//! only; state holidays count as business days, so such dates may be a day or two early.
//! The 60 days are an outer limit: every notice is owed "without unreasonable delay".
//!
//! # Law-enforcement delay (164.412) — *verify*
//!
//! A written statement delays notices to the end date it gives. An oral statement delays them
//! at most 30 days from the day it was made, unless a written statement is received within
//! those 30 days, which then governs. How the delay moves a deadline is our reading and is
//! marked unverified: each federal deadline (individuals, HHS, media, covered entity) falls
//! due on the **later** of its own date and the day the delay ends. The delay is not added on
//! top of the deadline, which is the earliest defensible reading. State deadlines are not
//! moved: states have their own law-enforcement provisions, which this crate does not model.
//! A written statement received after an oral delay has run out is not applied (shown in the
//! notes).
//!
//! # Business associates
//!
//! When the platform is the business associate, it owes the covered entity notice (164.410)
//! and the covered entity owes the rest. Those are counted from the business associate's
//! discovery: the covered entity's clock starts then if the business associate acts as its
//! agent (164.404(a)(2)) and later otherwise, so this is the earliest date it can be.

use std::collections::BTreeMap;

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::days::{Counting, add_days};
use crate::jurisdiction::Jurisdiction;
use crate::states::{
    DeadlineStart, EntityScope, IndividualsDeadline, RegulatorNotice, StateRule, StateTable,
    Threshold,
};
use crate::terms::{Answer, Confidence};

/// HIPAA's outer limit for individuals, media, HHS (500 or more) and business associates.
pub const HIPAA_DAYS: u32 = 60;

/// The number of affected individuals at which HHS must be told within 60 days (164.408(b)).
pub const HHS_IMMEDIATE_THRESHOLD: u64 = 500;

/// Media notice is owed when *more than* this many residents of one state are affected
/// (164.406(a)).
pub const MEDIA_THRESHOLD: u64 = 500;

/// The longest an oral law-enforcement statement delays notices, in days (164.412(b)).
pub const ORAL_DELAY_DAYS: u32 = 30;

/// How many people are affected, per state and in total.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Affected {
    /// Affected individuals per state or jurisdiction of residence.
    #[serde(default)]
    pub by_jurisdiction: BTreeMap<Jurisdiction, u64>,
    /// Affected individuals whose state is not known (including residents abroad).
    #[serde(default)]
    pub unknown_jurisdiction: u64,
}

impl Affected {
    /// Everyone affected: the per-state counts plus those whose state is unknown (saturating).
    pub fn total(&self) -> u64 {
        self.by_jurisdiction
            .values()
            .fold(self.unknown_jurisdiction, |sum, count| {
                sum.saturating_add(*count)
            })
    }

    /// Affected residents of `jurisdiction` known so far.
    pub fn in_jurisdiction(&self, jurisdiction: Jurisdiction) -> u64 {
        self.by_jurisdiction
            .get(&jurisdiction)
            .copied()
            .unwrap_or(0)
    }
}

/// The platform's role towards the PHI that was breached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum PlatformRole {
    /// The platform is the covered entity and owes every notice itself.
    CoveredEntity,
    /// The platform is a business associate: it owes the covered entity notice (164.410).
    BusinessAssociate {
        /// A shorter deadline from the business associate agreement, in calendar days after
        /// discovery. A value of 60 or more changes nothing; 0 means the day of discovery.
        #[serde(default)]
        baa_notice_days: Option<u32>,
    },
}

/// A law-enforcement official's statement that notice would impede an investigation or
/// damage national security (164.412).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum LawEnforcementDelay {
    /// A written statement giving the time for which delay is required (164.412(a)).
    Written {
        /// When the statement was received; not before discovery.
        stated_on: Date,
        /// The last day of the delay; not before `stated_on`.
        until: Date,
    },
    /// An oral statement, documented with the official's identity (164.412(b)).
    Oral {
        /// When the statement was made; not before discovery.
        stated_on: Date,
        /// A written statement that followed, if any.
        #[serde(default)]
        written_follow_up: Option<WrittenFollowUp>,
    },
}

/// A written statement that follows an oral one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WrittenFollowUp {
    /// When it was received. It governs only if received within 30 days of the oral one.
    pub received_on: Date,
    /// The last day of the delay it requires; not before `received_on`.
    pub until: Date,
}

/// What the deadlines are computed from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeadlineFacts {
    /// The first day the breach was known, or would have been with reasonable diligence, to
    /// any workforce member or agent (164.404(a)(2)). Day 0 of every count.
    pub discovered: Date,
    /// How many people are affected, and where they live.
    pub affected: Affected,
    /// Whether the platform is the covered entity or its business associate.
    pub role: PlatformRole,
    /// A law-enforcement delay, if one was requested.
    #[serde(default)]
    pub law_enforcement_delay: Option<LawEnforcementDelay>,
    /// Whether the covered entity is a state-licensed health facility (for rules such as
    /// California's 15 business days). Unknown leaves those rules undetermined.
    #[serde(default)]
    pub licensed_health_facility: Answer,
    /// When the individuals were notified, if they have been (some regulator deadlines count
    /// from it). Not before discovery.
    #[serde(default)]
    pub individuals_notified_on: Option<Date>,
}

/// Who owes a notice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Party {
    /// The covered entity (the tenant, or the platform when it is the covered entity).
    CoveredEntity,
    /// The business associate (the platform).
    BusinessAssociate,
}

/// Who must be told.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Recipient {
    /// Each affected individual (164.404).
    Individuals,
    /// The Secretary of HHS (164.408).
    Hhs,
    /// Prominent media outlets serving a state (164.406). `None`: a state not yet known,
    /// because some affected people have no known state.
    Media {
        /// The state whose media are told.
        jurisdiction: Option<Jurisdiction>,
    },
    /// The covered entity, told by its business associate (164.410).
    CoveredEntity,
    /// A state's residents, under a state rule.
    StateIndividuals {
        /// The state rule's id.
        rule: String,
        /// The state.
        jurisdiction: Jurisdiction,
    },
    /// A state regulator, under a state rule.
    StateRegulator {
        /// The state rule's id.
        rule: String,
        /// The state.
        jurisdiction: Jurisdiction,
        /// Who is told; `None` when the table does not record the regulator.
        regulator: Option<String>,
    },
}

/// Whether a deadline binds this incident.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Applicability {
    /// It binds.
    Applies,
    /// It may bind: something it depends on is unknown (residents' states, the entity's
    /// licence, a regulator the table does not record). Treat it as binding until resolved.
    Undetermined,
    /// It does not bind; the reasoning says why.
    DoesNotApply,
}

/// One notice and when it is due.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deadline {
    /// Who must be told.
    pub recipient: Recipient,
    /// Who must tell them.
    pub owed_by: Party,
    /// The last day the notice may go out. `None` when the rule fixes no number of days or
    /// the table records none; the reasoning says so.
    pub due: Option<Date>,
    /// The date it would have been without the law-enforcement delay, when the delay moved it.
    pub undelayed_due: Option<Date>,
    /// The citation or statute the deadline rests on.
    pub basis: String,
    /// Whether it binds this incident.
    pub applies: Applicability,
    /// Why it applies or not, with the threshold arithmetic ("501 residents of TX > 500").
    pub reasoning: String,
    /// How far the rule is checked: from the state table's row, `sourced` for the CFR, and
    /// `unverified` whenever the law-enforcement delay moved the date.
    pub confidence: Confidence,
}

/// Every deadline of an incident.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Schedule {
    /// Day 0.
    pub discovered: Date,
    /// Everyone affected, including those whose state is unknown.
    pub total_affected: u64,
    /// The last day of the law-enforcement delay, if one applies.
    pub delay_ends: Option<Date>,
    /// The deadlines: those that apply first, then undetermined, then those that do not;
    /// earliest due first within each group.
    pub deadlines: Vec<Deadline>,
    /// How the dates were counted and what the reader should check.
    pub notes: Vec<String>,
}

impl Schedule {
    /// The deadlines that apply or may apply (undetermined counts as binding).
    pub fn binding(&self) -> impl Iterator<Item = &Deadline> + '_ {
        self.deadlines
            .iter()
            .filter(|deadline| deadline.applies != Applicability::DoesNotApply)
    }

    /// The binding deadline that falls due first.
    pub fn earliest(&self) -> Option<&Deadline> {
        self.binding()
            .filter(|deadline| deadline.due.is_some())
            .min_by_key(|deadline| deadline.due)
    }
}

/// Why deadlines cannot be computed. Messages name the input and never echo dates or counts
/// that could identify anyone.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeadlineError {
    /// Nobody is counted as affected.
    #[error(
        "no affected individuals are counted; give the number per state, or put it in \
         unknown_jurisdiction (an estimate is acceptable and can be corrected later)"
    )]
    NoneAffected,
    /// A date is after jiff's last representable day.
    #[error("{what} would fall after 9999-12-31; check the dates of the incident")]
    DateOutOfRange {
        /// Which deadline or date overflowed.
        what: &'static str,
    },
    /// The law-enforcement delay's dates contradict each other or the discovery date.
    #[error("law_enforcement_delay: {problem}")]
    LawEnforcementDates {
        /// What is wrong.
        problem: &'static str,
    },
    /// The individuals were notified before the breach was discovered.
    #[error("individuals_notified_on is before discovered; correct one of them")]
    NotifiedBeforeDiscovery,
}

/// Computes every deadline of an incident from its facts and the state table.
///
/// Call it only for an incident that [`crate::determine`] found to be a breach: it does not
/// ask whether notification is owed, only by when.
///
/// # Errors
///
/// [`DeadlineError`] when nobody is counted as affected, when dates contradict each other
/// (a delay ending before it was stated, a notice before discovery), or when a date would fall
/// beyond 9999-12-31.
pub fn deadlines(facts: &DeadlineFacts, states: &StateTable) -> Result<Schedule, DeadlineError> {
    let total = facts.affected.total();
    if total == 0 {
        return Err(DeadlineError::NoneAffected);
    }
    if facts
        .individuals_notified_on
        .is_some_and(|notified| notified < facts.discovered)
    {
        return Err(DeadlineError::NotifiedBeforeDiscovery);
    }

    let mut notes = counting_notes(facts);
    let delay = facts
        .law_enforcement_delay
        .map(|delay| delay_end(delay, facts.discovered, &mut notes))
        .transpose()?;
    let context = Context {
        facts,
        delay_ends: delay,
    };

    let mut all = Vec::new();
    if let PlatformRole::BusinessAssociate { baa_notice_days } = facts.role {
        all.push(covered_entity_notice(&context, baa_notice_days)?);
    }
    let individuals = individuals_notice(&context)?;
    let individuals_due = individuals.due;
    all.push(individuals);
    all.extend(hhs_notices(&context, total)?);
    all.extend(media_notices(&context)?);
    for rule in states.rules() {
        all.extend(state_notices(&context, rule, individuals_due)?);
    }

    all.sort_by_key(|deadline| (deadline.applies, deadline.due.is_none(), deadline.due));
    Ok(Schedule {
        discovered: facts.discovered,
        total_affected: total,
        delay_ends: delay,
        deadlines: all,
        notes,
    })
}

/// What every deadline is computed against. The covered entity owes every notice except the
/// business associate's own (164.410), whichever role the platform plays.
struct Context<'a> {
    facts: &'a DeadlineFacts,
    delay_ends: Option<Date>,
}

impl Context<'_> {
    fn after(
        &self,
        days: u32,
        counting: Counting,
        what: &'static str,
    ) -> Result<Date, DeadlineError> {
        add_days(self.facts.discovered, days, counting)
            .ok_or(DeadlineError::DateOutOfRange { what })
    }

    /// A federal deadline, moved by the law-enforcement delay where it ends later.
    fn federal(&self, draft: Draft) -> Deadline {
        let mut deadline = Deadline {
            recipient: draft.recipient,
            owed_by: draft.owed_by,
            due: Some(draft.due),
            undelayed_due: None,
            basis: draft.basis,
            applies: draft.applies,
            reasoning: draft.reasoning,
            confidence: Confidence::Sourced,
        };

        if let Some(end) = self.delay_ends {
            if end > draft.due {
                deadline.due = Some(end);
                deadline.undelayed_due = Some(draft.due);
                deadline.basis.push_str(", delayed under 45 CFR 164.412");
                deadline.confidence = Confidence::Unverified;
                deadline.reasoning.push_str(&format!(
                    " Law enforcement delayed notice to {end}; the notice falls due that day \
                     (tolling method unverified)."
                ));
            } else {
                deadline.reasoning.push_str(&format!(
                    " The law-enforcement delay ends on {end}, no later than this date, so it does \
                     not move it."
                ));
            }
        }
        deadline
    }
}

struct Draft {
    recipient: Recipient,
    owed_by: Party,
    due: Date,
    basis: String,
    applies: Applicability,
    reasoning: String,
}

fn counting_notes(facts: &DeadlineFacts) -> Vec<String> {
    let mut notes = vec![
        format!(
            "Day 0 is the discovery date, {}; \"N days after\" is N days later. Dates are not \
             moved off weekends or holidays, and every notice is owed without unreasonable \
             delay: the dates are outer limits.",
            facts.discovered
        ),
        "Business days skip Saturdays and Sundays only; state holidays are counted as \
         business days, so such deadlines may be a day or two earlier than the statute's."
            .to_owned(),
        "State rules are counted from the HIPAA discovery date; some statutes count from a \
         later event (determination of the breach), so these dates err early."
            .to_owned(),
    ];

    if let PlatformRole::BusinessAssociate { .. } = facts.role {
        notes.push(
            "The platform is a business associate: it owes the covered entity notice; the \
             covered entity owes the others, counted here from the business associate's \
             discovery (the earliest its clock can start, 164.404(a)(2))."
                .to_owned(),
        );
    }
    if facts.affected.unknown_jurisdiction > 0 {
        notes.push(format!(
            "{} affected individuals have no known state: media and state rows they could \
             trigger are shown as undetermined until their states are known.",
            facts.affected.unknown_jurisdiction
        ));
    }
    notes
}

/// The last day of the law-enforcement delay, after checking its dates.
fn delay_end(
    delay: LawEnforcementDelay,
    discovered: Date,
    notes: &mut Vec<String>,
) -> Result<Date, DeadlineError> {
    let problem = |problem| DeadlineError::LawEnforcementDates { problem };

    match delay {
        LawEnforcementDelay::Written { stated_on, until } => {
            if stated_on < discovered {
                return Err(problem("stated_on is before the discovery date"));
            }
            if until < stated_on {
                return Err(problem("until is before stated_on"));
            }
            notes.push(format!(
                "Written law-enforcement statement (164.412(a)): notices delayed to {until}. \
                 Federal deadlines fall due on the later of their own date and {until}; state \
                 deadlines are not moved (verify both)."
            ));
            Ok(until)
        }
        LawEnforcementDelay::Oral {
            stated_on,
            written_follow_up,
        } => {
            if stated_on < discovered {
                return Err(problem("stated_on is before the discovery date"));
            }
            let cap = add_days(stated_on, ORAL_DELAY_DAYS, Counting::Calendar).ok_or(
                DeadlineError::DateOutOfRange {
                    what: "the end of the oral law-enforcement delay",
                },
            )?;

            let end = match written_follow_up {
                Some(written) if written.received_on < stated_on => {
                    return Err(problem("written_follow_up.received_on is before stated_on"));
                }
                Some(written) if written.until < written.received_on => {
                    return Err(problem(
                        "written_follow_up.until is before written_follow_up.received_on",
                    ));
                }
                Some(written) if written.received_on <= cap => {
                    notes.push(format!(
                        "Oral law-enforcement statement on {stated_on}, followed in writing \
                         within 30 days: the written statement governs and notices are delayed \
                         to {} (164.412; verify).",
                        written.until
                    ));
                    written.until
                }
                Some(_) => {
                    notes.push(format!(
                        "Oral law-enforcement statement on {stated_on}: delay at most 30 days, \
                         to {cap}. The written statement arrived after those 30 days and is not \
                         applied; ask counsel whether it starts a new delay (164.412; verify)."
                    ));
                    cap
                }
                None => {
                    notes.push(format!(
                        "Oral law-enforcement statement on {stated_on}: document it with the \
                         official's identity; notices are delayed at most 30 days, to {cap}, \
                         unless a written statement follows within them (164.412(b); verify)."
                    ));
                    cap
                }
            };
            Ok(end)
        }
    }
}

fn covered_entity_notice(
    context: &Context<'_>,
    baa_notice_days: Option<u32>,
) -> Result<Deadline, DeadlineError> {
    let (days, basis, reasoning) = match baa_notice_days {
        Some(days) if days < HIPAA_DAYS => (
            days,
            format!("Business associate agreement ({days} days), within 45 CFR 164.410(b)"),
            format!(
                "The platform is the business associate: it must tell the covered entity, and \
                 the agreement's {days} days are shorter than the regulation's 60."
            ),
        ),
        Some(days) => (
            HIPAA_DAYS,
            "45 CFR 164.410(b)".to_owned(),
            format!(
                "The platform is the business associate: it must tell the covered entity \
                 within 60 days; the agreement's {days} days cannot extend that."
            ),
        ),
        None => (
            HIPAA_DAYS,
            "45 CFR 164.410(b)".to_owned(),
            "The platform is the business associate: it must tell the covered entity within \
             60 days, identifying each affected individual where possible."
                .to_owned(),
        ),
    };

    let due = context.after(days, Counting::Calendar, "the covered entity notice")?;
    Ok(context.federal(Draft {
        recipient: Recipient::CoveredEntity,
        owed_by: Party::BusinessAssociate,
        due,
        basis,
        applies: Applicability::Applies,
        reasoning,
    }))
}

fn individuals_notice(context: &Context<'_>) -> Result<Deadline, DeadlineError> {
    let due = context.after(HIPAA_DAYS, Counting::Calendar, "the individuals notice")?;
    Ok(context.federal(Draft {
        recipient: Recipient::Individuals,
        owed_by: Party::CoveredEntity,
        due,
        basis: "45 CFR 164.404(b)".to_owned(),
        applies: Applicability::Applies,
        reasoning: "Any breach of unsecured PHI: notify each affected individual without \
                    unreasonable delay, at most 60 calendar days after discovery."
            .to_owned(),
    }))
}

fn hhs_notices(context: &Context<'_>, total: u64) -> Result<[Deadline; 2], DeadlineError> {
    let discovered = context.facts.discovered;
    let large = total >= HHS_IMMEDIATE_THRESHOLD;

    let immediate = context.after(HIPAA_DAYS, Counting::Calendar, "the HHS notice")?;
    let immediate_reasoning = if large {
        format!(
            "{total} individuals affected >= 500: tell HHS at the same time as the individuals, \
             at most 60 days after discovery."
        )
    } else {
        format!("{total} individuals affected, not >= 500: the annual HHS report applies instead.")
    };

    let year_end = discovered.last_of_year();
    let annual = add_days(year_end, HIPAA_DAYS, Counting::Calendar).ok_or(
        DeadlineError::DateOutOfRange {
            what: "the annual HHS report",
        },
    )?;
    let annual_reasoning = if large {
        format!("{total} individuals affected, not < 500: HHS is told within 60 days instead.")
    } else {
        format!(
            "{total} individuals affected < 500: log the breach and report it to HHS within 60 \
             days after the end of {}, the calendar year of discovery.",
            discovered.year()
        )
    };

    let applies = |yes| {
        if yes {
            Applicability::Applies
        } else {
            Applicability::DoesNotApply
        }
    };
    Ok([
        context.federal(Draft {
            recipient: Recipient::Hhs,
            owed_by: Party::CoveredEntity,
            due: immediate,
            basis: "45 CFR 164.408(b)".to_owned(),
            applies: applies(large),
            reasoning: immediate_reasoning,
        }),
        context.federal(Draft {
            recipient: Recipient::Hhs,
            owed_by: Party::CoveredEntity,
            due: annual,
            basis: "45 CFR 164.408(c)".to_owned(),
            applies: applies(!large),
            reasoning: annual_reasoning,
        }),
    ])
}

fn media_notices(context: &Context<'_>) -> Result<Vec<Deadline>, DeadlineError> {
    let affected = &context.facts.affected;
    let due = context.after(HIPAA_DAYS, Counting::Calendar, "the media notice")?;
    let mut notices = Vec::new();

    for (&jurisdiction, &count) in &affected.by_jurisdiction {
        if count == 0 {
            continue;
        }
        let (applies, reasoning) = if count > MEDIA_THRESHOLD {
            (
                Applicability::Applies,
                format!(
                    "{count} residents of {jurisdiction} > 500: notify prominent media outlets \
                     serving {}, at most 60 days after discovery.",
                    jurisdiction.name()
                ),
            )
        } else {
            (
                Applicability::DoesNotApply,
                format!("{count} residents of {jurisdiction}, not > 500."),
            )
        };
        notices.push(context.federal(Draft {
            recipient: Recipient::Media {
                jurisdiction: Some(jurisdiction),
            },
            owed_by: Party::CoveredEntity,
            due,
            basis: "45 CFR 164.406".to_owned(),
            applies,
            reasoning,
        }));
    }

    // Some state without media notice yet could pass 500 once the unknown states are known.
    let unknown = affected.unknown_jurisdiction;
    let could_tip = Jurisdiction::all().any(|jurisdiction| {
        let known = affected.in_jurisdiction(jurisdiction);
        known <= MEDIA_THRESHOLD && known.saturating_add(unknown) > MEDIA_THRESHOLD
    });
    if unknown > 0 && could_tip {
        notices.push(context.federal(Draft {
            recipient: Recipient::Media { jurisdiction: None },
            owed_by: Party::CoveredEntity,
            due,
            basis: "45 CFR 164.406".to_owned(),
            applies: Applicability::Undetermined,
            reasoning: format!(
                "{unknown} affected individuals have no known state: if they bring more than \
                 500 residents of one state together, media notice is owed there. Establish \
                 their states."
            ),
        }));
    }
    Ok(notices)
}

/// The individuals and regulator rows of one state rule; none when no affected person can
/// live in the state.
fn state_notices(
    context: &Context<'_>,
    rule: &StateRule,
    hipaa_individuals_due: Option<Date>,
) -> Result<Vec<Deadline>, DeadlineError> {
    let facts = context.facts;
    let jurisdiction = rule.jurisdiction;
    let known = facts.affected.in_jurisdiction(jurisdiction);
    let unknown = facts.affected.unknown_jurisdiction;
    if known == 0 && unknown == 0 {
        return Ok(Vec::new());
    }

    let (gate, gate_reason) = state_gate(rule, facts, known, unknown);
    let sufficiency = format!(
        "Whether a HIPAA-compliant notice satisfies it: {}.",
        rule.hipaa_notice_sufficient.as_str()
    );
    let basis = format!("{} (state rule `{}`)", rule.statute, rule.id);

    let (individuals_due, deadline_text) = match rule.individuals {
        IndividualsDeadline::Within { days, counting } => (
            Some(context.after(days, counting, "a state individuals notice")?),
            format!("at most {days} {} days after discovery", counting.as_str()),
        ),
        IndividualsDeadline::NoneFixed => (
            None,
            "no fixed number of days (without unreasonable delay; HIPAA's 60 days still bind)"
                .to_owned(),
        ),
    };
    let individuals = Deadline {
        recipient: Recipient::StateIndividuals {
            rule: rule.id.clone(),
            jurisdiction,
        },
        owed_by: Party::CoveredEntity,
        due: individuals_due,
        undelayed_due: None,
        basis: basis.clone(),
        applies: gate,
        reasoning: format!(
            "{gate_reason} {}: notify residents {deadline_text}. {sufficiency}{}",
            rule.name,
            state_delay_remark(context)
        ),
        confidence: rule.confidence,
    };

    let regulator = match &rule.regulator {
        RegulatorNotice::NotRecorded => Deadline {
            recipient: Recipient::StateRegulator {
                rule: rule.id.clone(),
                jurisdiction,
                regulator: None,
            },
            owed_by: Party::CoveredEntity,
            due: None,
            undelayed_due: None,
            basis,
            applies: gate.max(Applicability::Undetermined),
            reasoning: format!(
                "{gate_reason} {}: the regulator notice varies and the table does not record \
                 it; read the statute.",
                rule.name
            ),
            confidence: Confidence::Unverified,
        },
        RegulatorNotice::Notify {
            name,
            threshold,
            deadline,
            confidence,
        } => {
            let (met, threshold_text) =
                regulator_threshold(*threshold, known, unknown, jurisdiction);
            let applies = gate.max(met);

            let latest_individuals = [individuals_due, hipaa_individuals_due]
                .into_iter()
                .flatten()
                .min();
            let (due, due_text) = match deadline {
                None => (None, "no deadline recorded; read the statute".to_owned()),
                Some(deadline) => {
                    let days = deadline.days;
                    let unit = deadline.counting.as_str();
                    match (deadline.from, facts.individuals_notified_on) {
                        (DeadlineStart::Discovery, _) => (
                            Some(context.after(days, deadline.counting, "a regulator notice")?),
                            format!("at most {days} {unit} days after discovery"),
                        ),
                        (DeadlineStart::IndividualNotice, Some(notified)) => (
                            Some(add_days(notified, days, deadline.counting).ok_or(
                                DeadlineError::DateOutOfRange {
                                    what: "a regulator notice",
                                },
                            )?),
                            format!(
                                "at most {days} {unit} days after the individuals were notified"
                            ),
                        ),
                        (DeadlineStart::IndividualNotice, None) => (
                            latest_individuals
                                .and_then(|start| add_days(start, days, deadline.counting)),
                            format!(
                                "at most {days} {unit} days after the individuals are notified; \
                                 counted from the last day they may be, so it falls due earlier \
                                 if they are notified earlier"
                            ),
                        ),
                    }
                }
            };
            Deadline {
                recipient: Recipient::StateRegulator {
                    rule: rule.id.clone(),
                    jurisdiction,
                    regulator: Some(name.clone()),
                },
                owed_by: Party::CoveredEntity,
                due,
                undelayed_due: None,
                basis,
                applies,
                reasoning: format!(
                    "{gate_reason} {threshold_text} Notify the {name}: {due_text}.{}",
                    state_delay_remark(context)
                ),
                confidence: *confidence,
            }
        }
    };

    // A regulator nobody known lives under, whose threshold the unknown states cannot reach
    // either, is left out: the state's individuals row already says what is unknown.
    let unreachable = known == 0 && regulator.applies == Applicability::DoesNotApply;
    if unreachable {
        Ok(vec![individuals])
    } else {
        Ok(vec![individuals, regulator])
    }
}

/// Whether the rule reaches this incident at all: residents, effective date, entity kind.
fn state_gate(
    rule: &StateRule,
    facts: &DeadlineFacts,
    known: u64,
    unknown: u64,
) -> (Applicability, String) {
    let jurisdiction = rule.jurisdiction;

    if let Some(effective) = rule.effective_from
        && facts.discovered < effective
    {
        return (
            Applicability::DoesNotApply,
            format!(
                "Discovered before the {} rule took effect on {effective}.",
                rule.name
            ),
        );
    }

    let (residents, residents_text) = if known > 0 {
        (
            Applicability::Applies,
            format!("{known} residents of {jurisdiction} affected."),
        )
    } else {
        (
            Applicability::Undetermined,
            format!(
                "No known residents of {jurisdiction}, but {unknown} affected individuals have \
                 no known state."
            ),
        )
    };

    match (rule.entities, facts.licensed_health_facility) {
        (EntityScope::Any, _) | (EntityScope::LicensedHealthFacility, Answer::Yes) => {
            (residents, residents_text)
        }
        (EntityScope::LicensedHealthFacility, Answer::No) => (
            Applicability::DoesNotApply,
            format!("The covered entity is not a licensed health facility. {residents_text}"),
        ),
        (EntityScope::LicensedHealthFacility, Answer::Unknown) => (
            Applicability::Undetermined,
            format!(
                "Unknown whether the covered entity is a licensed health facility. \
                 {residents_text}"
            ),
        ),
    }
}

fn regulator_threshold(
    threshold: Option<Threshold>,
    known: u64,
    unknown: u64,
    jurisdiction: Jurisdiction,
) -> (Applicability, String) {
    let Some(threshold) = threshold else {
        return if known > 0 {
            (
                Applicability::Applies,
                format!(
                    "No threshold recorded, so any resident triggers it ({known} residents of \
                     {jurisdiction})."
                ),
            )
        } else {
            (
                Applicability::Undetermined,
                "No threshold recorded; whether any resident is affected is unknown.".to_owned(),
            )
        };
    };

    if threshold.is_met(known) {
        (
            Applicability::Applies,
            format!("{known} residents of {jurisdiction} {threshold}."),
        )
    } else if threshold.is_met(known.saturating_add(unknown)) {
        (
            Applicability::Undetermined,
            format!(
                "{known} residents of {jurisdiction}, not {threshold}, but {unknown} more have no \
                 known state and could reach it."
            ),
        )
    } else {
        (
            Applicability::DoesNotApply,
            format!("{known} residents of {jurisdiction}, not {threshold}."),
        )
    }
}

fn state_delay_remark(context: &Context<'_>) -> &'static str {
    if context.delay_ends.is_some() {
        " Not moved by the federal law-enforcement delay; the state's own provision may allow \
         one (read the statute)."
    } else {
        ""
    }
}

#[cfg(test)]
mod tests;
