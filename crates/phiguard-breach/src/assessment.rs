//! Is it a breach? The exclusions, the safe harbour for secured PHI and the four-factor risk
//! assessment of 45 CFR 164.402, ending in a [`Determination`].
//!
//! An impermissible acquisition, access, use or disclosure of PHI is presumed to be a breach.
//! [`determine`] looks for a way out in this order and takes the first that is *shown*:
//!
//! ```text
//!   exclusion claimed and every condition yes ──► Excluded        (not a breach)
//!   PHI encrypted (key intact) or destroyed ────► Secured         (no notification owed)
//!   all four factors low, reasons written ──────► LowProbability  (not a breach)
//!   anything else ──────────────────────────────► Breach          (notify)
//! ```
//!
//! Fail closed: `unknown` is never evidence. It never satisfies an exclusion, never makes PHI
//! secured, and anywhere in the risk assessment or in the securing status it rules out a low
//! probability. A rating without a written reason counts as unknown, because the entity bears
//! the burden of proof (164.414(b)). A rating that contradicts the facts recorded beside it
//! (PHI viewed but factor 3 low, say) is not accepted either.

use std::collections::BTreeSet;

use phiguard_core::Category;
use serde::{Deserialize, Serialize};

use crate::terms::Answer;

/// The risk a factor points to: how likely it makes it that the PHI was compromised.
///
/// The rating always speaks of *risk*, for every factor: a well-mitigated incident rates its
/// mitigation factor `low`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rating {
    /// Points to a low probability of compromise.
    Low,
    /// Points to some probability of compromise.
    Medium,
    /// Points to a high probability of compromise.
    High,
    /// Not assessed yet.
    #[default]
    Unknown,
}

impl Rating {
    /// `low`, `medium`, `high` or `unknown`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Rating::Low => "low",
            Rating::Medium => "medium",
            Rating::High => "high",
            Rating::Unknown => "unknown",
        }
    }
}

/// Factor 1 (164.402(2)(i)): the nature and extent of the PHI involved, including the types of
/// identifiers and the likelihood of re-identification.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NatureAndExtent {
    /// The kinds of PHI involved. Empty means not yet established.
    pub categories: BTreeSet<Category>,
    /// Whether direct identifiers (names, SSNs, record or member numbers, contact details)
    /// were among it.
    pub direct_identifiers: Answer,
    /// How likely the information could be tied to the people it is about. Must not be `low`
    /// when direct identifiers were involved.
    pub reidentification: Rating,
    /// The factor's rating.
    pub rating: Rating,
    /// Why the factor is rated so; required for the rating to count.
    pub note: String,
}

/// Who received or used the PHI without authorisation.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PersonKind {
    /// A workforce member of the entity (or of its business associate).
    WorkforceMember,
    /// Another covered entity or business associate, itself bound by HIPAA to protect it.
    HipaaEntity,
    /// Someone else who is known and can be reached (to ask for return or destruction).
    OtherIdentified,
    /// Someone nobody can identify: a thief, an attacker, an unknown finder. Cannot be rated
    /// `low`.
    Unidentified,
    /// Not established yet.
    #[default]
    Unknown,
}

/// Factor 2 (164.402(2)(ii)): the unauthorised person who used the PHI or to whom it was
/// disclosed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UnauthorizedPerson {
    /// Who it was, as far as known.
    pub kind: PersonKind,
    /// The factor's rating.
    pub rating: Rating,
    /// Why the factor is rated so; required for the rating to count.
    pub note: String,
}

/// Factor 3 (164.402(2)(iii)): whether the PHI was actually acquired or viewed, as opposed to
/// merely exposed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AcquisitionOrViewing {
    /// Whether it was acquired or viewed (forensics, logs, the recipient's attestation). When
    /// `yes`, the factor cannot be rated `low`.
    pub acquired_or_viewed: Answer,
    /// The factor's rating.
    pub rating: Rating,
    /// Why the factor is rated so; required for the rating to count.
    pub note: String,
}

/// Factor 4 (164.402(2)(iv)): how far the risk to the PHI has been mitigated.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mitigation {
    /// What was done (recipient's written assurance of destruction, remote wipe, credentials
    /// revoked). Without any measure the factor cannot be rated `low`.
    pub measures: Vec<String>,
    /// The factor's rating: the risk that remains.
    pub rating: Rating,
    /// Why the factor is rated so; required for the rating to count.
    pub note: String,
}

/// The four-factor risk assessment of 164.402(2). The default is "nothing assessed yet".
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RiskAssessment {
    /// Factor 1: the nature and extent of the PHI.
    pub nature_and_extent: NatureAndExtent,
    /// Factor 2: who received or used it.
    pub unauthorized_person: UnauthorizedPerson,
    /// Factor 3: whether it was actually acquired or viewed.
    pub acquisition: AcquisitionOrViewing,
    /// Factor 4: how far the risk was mitigated.
    pub mitigation: Mitigation,
}

/// The three exclusions from the definition of breach (164.402(1)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Exclusion {
    /// 164.402(1)(i): unintentional acquisition, access or use by a workforce member or a
    /// person acting under the entity's authority, in good faith, within the scope of
    /// authority, with no further impermissible use or disclosure.
    UnintentionalWorkforceAccess,
    /// 164.402(1)(ii): inadvertent disclosure by a person authorised to access PHI at a covered
    /// entity or business associate to another person authorised at the same covered entity,
    /// business associate or organised health care arrangement, with no further impermissible
    /// use or disclosure.
    InadvertentAuthorizedDisclosure,
    /// 164.402(1)(iii): a disclosure where the entity has a good-faith belief that the
    /// recipient could not reasonably have retained the information.
    UnableToRetain,
}

impl Exclusion {
    /// The paragraph of 45 CFR 164.402 that sets the exclusion out.
    pub const fn citation(self) -> &'static str {
        match self {
            Exclusion::UnintentionalWorkforceAccess => "45 CFR 164.402 (breach, (1)(i))",
            Exclusion::InadvertentAuthorizedDisclosure => "45 CFR 164.402 (breach, (1)(ii))",
            Exclusion::UnableToRetain => "45 CFR 164.402 (breach, (1)(iii))",
        }
    }

    /// A short description for reasoning text.
    pub const fn describe(self) -> &'static str {
        match self {
            Exclusion::UnintentionalWorkforceAccess => {
                "unintentional good-faith access by a workforce member within the scope of \
                 authority"
            }
            Exclusion::InadvertentAuthorizedDisclosure => {
                "inadvertent disclosure between persons authorised at the same covered entity, \
                 business associate or organised health care arrangement"
            }
            Exclusion::UnableToRetain => {
                "good-faith belief that the recipient could not reasonably retain the PHI"
            }
        }
    }
}

/// A claim that an exclusion applies, with an answer for each of its conditions. The exclusion
/// holds only when every condition is `yes` and the note says why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "exclusion", rename_all = "snake_case", deny_unknown_fields)]
pub enum ExclusionClaim {
    /// See [`Exclusion::UnintentionalWorkforceAccess`].
    UnintentionalWorkforceAccess {
        /// The access was unintentional and made in good faith.
        good_faith: Answer,
        /// It was within the person's scope of authority.
        within_scope: Answer,
        /// It led to no further use or disclosure the Privacy Rule does not permit.
        no_further_use: Answer,
        /// Why the conditions are met.
        note: String,
    },
    /// See [`Exclusion::InadvertentAuthorizedDisclosure`].
    InadvertentAuthorizedDisclosure {
        /// Both the person who disclosed and the recipient were authorised to access PHI at
        /// the same covered entity, business associate or organised health care arrangement.
        both_authorized: Answer,
        /// The disclosure was inadvertent.
        inadvertent: Answer,
        /// It led to no further use or disclosure the Privacy Rule does not permit.
        no_further_use: Answer,
        /// Why the conditions are met.
        note: String,
    },
    /// See [`Exclusion::UnableToRetain`].
    UnableToRetain {
        /// The entity believes, in good faith, that the recipient could not reasonably have
        /// retained the PHI.
        good_faith_belief: Answer,
        /// Why the belief is held.
        note: String,
    },
}

impl ExclusionClaim {
    /// The exclusion claimed.
    pub const fn exclusion(&self) -> Exclusion {
        match self {
            ExclusionClaim::UnintentionalWorkforceAccess { .. } => {
                Exclusion::UnintentionalWorkforceAccess
            }
            ExclusionClaim::InadvertentAuthorizedDisclosure { .. } => {
                Exclusion::InadvertentAuthorizedDisclosure
            }
            ExclusionClaim::UnableToRetain { .. } => Exclusion::UnableToRetain,
        }
    }

    fn conditions(&self) -> (Vec<(&'static str, Answer)>, &str) {
        match self {
            ExclusionClaim::UnintentionalWorkforceAccess {
                good_faith,
                within_scope,
                no_further_use,
                note,
            } => (
                vec![
                    ("made in good faith", *good_faith),
                    ("within the scope of authority", *within_scope),
                    (
                        "no further impermissible use or disclosure",
                        *no_further_use,
                    ),
                ],
                note,
            ),
            ExclusionClaim::InadvertentAuthorizedDisclosure {
                both_authorized,
                inadvertent,
                no_further_use,
                note,
            } => (
                vec![
                    (
                        "both persons authorised at the same entity",
                        *both_authorized,
                    ),
                    ("inadvertent", *inadvertent),
                    (
                        "no further impermissible use or disclosure",
                        *no_further_use,
                    ),
                ],
                note,
            ),
            ExclusionClaim::UnableToRetain {
                good_faith_belief,
                note,
            } => (
                vec![(
                    "good-faith belief the PHI could not be retained",
                    *good_faith_belief,
                )],
                note,
            ),
        }
    }
}

/// Whether the PHI was *secured* in the sense of HHS's guidance under HITECH 13402(h)(2):
/// unusable, unreadable or indecipherable to unauthorised persons.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Secured {
    /// Encrypted as the guidance requires (NIST SP 800-111 at rest; SP 800-52, 800-77 or
    /// 800-113 in transit, or FIPS 140 validated) and the key, kept apart from the data, was
    /// not compromised.
    Encrypted,
    /// Destroyed (media sanitised per NIST SP 800-88, paper shredded so it cannot be
    /// reconstructed) before the incident reached it.
    Destroyed,
    /// Not secured: readable to whoever got it.
    No,
    /// Not established.
    #[default]
    Unknown,
}

/// How secured PHI was secured, in a [`Outcome::Secured`] determination.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SecuredBy {
    /// Encryption with the key not compromised.
    Encryption,
    /// Destruction.
    Destruction,
}

/// What is known about an incident that bears on whether it is a notifiable breach.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BreachFacts {
    /// Exclusions the entity claims; none by default.
    #[serde(default)]
    pub exclusions: Vec<ExclusionClaim>,
    /// Whether the PHI was secured.
    #[serde(default)]
    pub secured: Secured,
    /// The four-factor risk assessment.
    #[serde(default)]
    pub risk: RiskAssessment,
}

/// The conclusion of [`determine`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Outcome {
    /// An exclusion applies: not a breach.
    Excluded {
        /// Which one.
        exclusion: Exclusion,
    },
    /// The PHI was secured: a breach of secured PHI owes no notification (164.404(a)(1)
    /// concerns unsecured PHI only).
    Secured {
        /// How it was secured.
        by: SecuredBy,
    },
    /// The risk assessment shows a low probability that the PHI was compromised: not a breach.
    LowProbability,
    /// A breach of unsecured PHI: notifications are owed.
    Breach,
}

/// The outcome with the reasoning that led to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Determination {
    /// The conclusion.
    pub outcome: Outcome,
    /// Whether notifications are owed (only for [`Outcome::Breach`]).
    pub notification_required: bool,
    /// Each step taken, with its citation, in order. Holds no note text from the facts.
    pub reasoning: Vec<String>,
    /// What is unknown or unsupported; answering these may change the outcome.
    pub open_questions: Vec<String>,
}

/// Decides whether an incident is a notifiable breach, fail closed (see the module docs).
///
/// The result is [`Outcome::Breach`] unless an exclusion, the secured safe harbour or a
/// four-factor assessment rated low throughout is positively shown.
pub fn determine(facts: &BreachFacts) -> Determination {
    let mut reasoning = vec![
        "An impermissible acquisition, access, use or disclosure of PHI is presumed a breach \
         unless an exclusion applies, the PHI was secured, or a risk assessment of at least \
         four factors shows a low probability of compromise (45 CFR 164.402)."
            .to_owned(),
    ];
    let mut open_questions = Vec::new();

    for claim in &facts.exclusions {
        let exclusion = claim.exclusion();
        let (conditions, note) = claim.conditions();
        let unmet: Vec<&str> = conditions
            .iter()
            .filter(|(_, answer)| *answer == Answer::No)
            .map(|(condition, _)| *condition)
            .collect();
        let unknown: Vec<&str> = conditions
            .iter()
            .filter(|(_, answer)| *answer == Answer::Unknown)
            .map(|(condition, _)| *condition)
            .collect();

        if !unmet.is_empty() {
            reasoning.push(format!(
                "Exclusion {} does not apply: not {}.",
                exclusion.citation(),
                unmet.join("; not ")
            ));
        } else if !unknown.is_empty() {
            reasoning.push(format!(
                "Exclusion {} is not shown: unknown whether {}.",
                exclusion.citation(),
                unknown.join("; whether ")
            ));
            open_questions.push(format!(
                "Establish for the claimed exclusion ({}): {}.",
                exclusion.describe(),
                unknown.join("; ")
            ));
        } else if note.trim().is_empty() {
            reasoning.push(format!(
                "Exclusion {} is not shown: its conditions are answered yes but no reason is \
                 written down (164.414(b) puts the burden of proof on the entity).",
                exclusion.citation()
            ));
            open_questions.push(format!(
                "Write down why the exclusion ({}) applies.",
                exclusion.describe()
            ));
        } else {
            reasoning.push(format!(
                "Exclusion {} applies: {}; every condition is met. Not a breach; keep the \
                 documentation that shows it (164.414(b), 164.530(j)).",
                exclusion.citation(),
                exclusion.describe()
            ));
            return Determination {
                outcome: Outcome::Excluded { exclusion },
                notification_required: false,
                reasoning,
                open_questions: Vec::new(),
            };
        }
    }

    let secured_by = match facts.secured {
        Secured::Encrypted => Some(SecuredBy::Encryption),
        Secured::Destroyed => Some(SecuredBy::Destruction),
        Secured::No => {
            reasoning.push("The PHI was not secured (not encrypted or destroyed).".to_owned());
            None
        }
        Secured::Unknown => {
            reasoning.push(
                "Whether the PHI was secured is unknown, so neither the safe harbour nor a low \
                 probability of compromise can be shown."
                    .to_owned(),
            );
            open_questions.push(
                "Establish whether the PHI was encrypted per HHS guidance with the key not \
                 compromised, or destroyed."
                    .to_owned(),
            );
            None
        }
    };
    if let Some(by) = secured_by {
        let how = match by {
            SecuredBy::Encryption => "encrypted per HHS guidance and the key was not compromised",
            SecuredBy::Destruction => "destroyed per HHS guidance",
        };
        reasoning.push(format!(
            "The PHI was secured ({how}): notification is owed only for unsecured PHI \
             (164.402, 164.404(a)(1)); keep the evidence of securing."
        ));
        return Determination {
            outcome: Outcome::Secured { by },
            notification_required: false,
            reasoning,
            open_questions,
        };
    }

    let verdicts = factor_verdicts(&facts.risk);
    let mut all_low = facts.secured != Secured::Unknown;
    for verdict in verdicts {
        reasoning.push(verdict.line);
        all_low &= verdict.shown_low;
        open_questions.extend(verdict.questions);
    }

    if all_low {
        reasoning.push(
            "All four factors are rated low with written reasons: a low probability that the \
             PHI has been compromised is shown (164.402(2)). Not a breach; keep the assessment \
             for 6 years."
                .to_owned(),
        );
        return Determination {
            outcome: Outcome::LowProbability,
            notification_required: false,
            reasoning,
            open_questions,
        };
    }

    reasoning.push(
        "A low probability of compromise is not shown, so the incident is presumed a breach of \
         unsecured PHI: notify individuals, HHS and, where thresholds are met, the media \
         (164.404-164.408)."
            .to_owned(),
    );
    Determination {
        outcome: Outcome::Breach,
        notification_required: true,
        reasoning,
        open_questions,
    }
}

struct Verdict {
    line: String,
    shown_low: bool,
    questions: Vec<String>,
}

struct FactorView<'a> {
    label: &'static str,
    rating: Rating,
    note: &'a str,
    unknown_facts: Vec<&'static str>,
    contradiction: Option<&'static str>,
}

fn factor_verdicts(risk: &RiskAssessment) -> [Verdict; 4] {
    let nature = &risk.nature_and_extent;
    let person = &risk.unauthorized_person;
    let acquisition = &risk.acquisition;
    let mitigation = &risk.mitigation;

    let mut nature_unknowns = Vec::new();
    if nature.categories.is_empty() {
        nature_unknowns.push("which kinds of PHI were involved");
    }
    if nature.direct_identifiers == Answer::Unknown {
        nature_unknowns.push("whether direct identifiers were involved");
    }
    if nature.reidentification == Rating::Unknown {
        nature_unknowns.push("how likely re-identification is");
    }
    let identifiers_contradiction = (nature.direct_identifiers == Answer::Yes
        && nature.reidentification == Rating::Low)
        .then_some("direct identifiers were involved, so re-identification cannot be unlikely");

    [
        judge(FactorView {
            label: "Factor 1 (nature and extent of the PHI, 164.402(2)(i))",
            rating: nature.rating,
            note: &nature.note,
            unknown_facts: nature_unknowns,
            contradiction: identifiers_contradiction,
        }),
        judge(FactorView {
            label: "Factor 2 (the unauthorised person, 164.402(2)(ii))",
            rating: person.rating,
            note: &person.note,
            unknown_facts: if person.kind == PersonKind::Unknown {
                vec!["who used or received the PHI"]
            } else {
                Vec::new()
            },
            contradiction: (person.kind == PersonKind::Unidentified
                && person.rating == Rating::Low)
                .then_some("an unidentified person cannot be shown to pose a low risk"),
        }),
        judge(FactorView {
            label: "Factor 3 (actually acquired or viewed, 164.402(2)(iii))",
            rating: acquisition.rating,
            note: &acquisition.note,
            unknown_facts: if acquisition.acquired_or_viewed == Answer::Unknown {
                vec!["whether the PHI was actually acquired or viewed"]
            } else {
                Vec::new()
            },
            contradiction: (acquisition.acquired_or_viewed == Answer::Yes
                && acquisition.rating == Rating::Low)
                .then_some("the PHI was acquired or viewed, so this factor cannot be low"),
        }),
        judge(FactorView {
            label: "Factor 4 (extent of mitigation, 164.402(2)(iv))",
            rating: mitigation.rating,
            note: &mitigation.note,
            unknown_facts: Vec::new(),
            contradiction: (mitigation.rating == Rating::Low
                && mitigation
                    .measures
                    .iter()
                    .all(|measure| measure.trim().is_empty()))
            .then_some("no mitigation measure is recorded, so the remaining risk is not low"),
        }),
    ]
}

fn judge(view: FactorView<'_>) -> Verdict {
    let mut questions: Vec<String> = view
        .unknown_facts
        .iter()
        .map(|fact| format!("{}: establish {fact}.", view.label))
        .collect();

    if view.rating == Rating::Unknown {
        questions.push(format!("{}: rate it low, medium or high.", view.label));
        return Verdict {
            line: format!("{} is not rated.", view.label),
            shown_low: false,
            questions,
        };
    }

    if view.note.trim().is_empty() {
        questions.push(format!(
            "{}: write down why it is rated {}.",
            view.label,
            view.rating.as_str()
        ));
        return Verdict {
            line: format!(
                "{} is rated {} without a written reason, so the rating does not count \
                 (164.414(b)).",
                view.label,
                view.rating.as_str()
            ),
            shown_low: false,
            questions,
        };
    }

    if let Some(contradiction) = view.contradiction {
        questions.push(format!("{}: {contradiction}; re-rate it.", view.label));
        return Verdict {
            line: format!(
                "{} is rated low, but {contradiction}: not accepted.",
                view.label
            ),
            shown_low: false,
            questions,
        };
    }

    let shown_low = view.rating == Rating::Low && questions.is_empty();
    let line = if view.rating == Rating::Low && !shown_low {
        format!(
            "{} is rated low with a written reason, but facts it rests on are unknown.",
            view.label
        )
    } else {
        format!(
            "{} is rated {} with a written reason.",
            view.label,
            view.rating.as_str()
        )
    };
    Verdict {
        line,
        shown_low,
        questions,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn note() -> String {
        "reason recorded in the incident file".to_owned()
    }

    fn all_low() -> RiskAssessment {
        RiskAssessment {
            nature_and_extent: NatureAndExtent {
                categories: BTreeSet::from([Category::Address]),
                direct_identifiers: Answer::No,
                reidentification: Rating::Low,
                rating: Rating::Low,
                note: note(),
            },
            unauthorized_person: UnauthorizedPerson {
                kind: PersonKind::HipaaEntity,
                rating: Rating::Low,
                note: note(),
            },
            acquisition: AcquisitionOrViewing {
                acquired_or_viewed: Answer::No,
                rating: Rating::Low,
                note: note(),
            },
            mitigation: Mitigation {
                measures: vec!["recipient attested deletion".to_owned()],
                rating: Rating::Low,
                note: note(),
            },
        }
    }

    fn facts(risk: RiskAssessment) -> BreachFacts {
        BreachFacts {
            exclusions: Vec::new(),
            secured: Secured::No,
            risk,
        }
    }

    #[test]
    fn each_exclusion_applies_when_every_condition_is_yes() {
        let claims = [
            ExclusionClaim::UnintentionalWorkforceAccess {
                good_faith: Answer::Yes,
                within_scope: Answer::Yes,
                no_further_use: Answer::Yes,
                note: note(),
            },
            ExclusionClaim::InadvertentAuthorizedDisclosure {
                both_authorized: Answer::Yes,
                inadvertent: Answer::Yes,
                no_further_use: Answer::Yes,
                note: note(),
            },
            ExclusionClaim::UnableToRetain {
                good_faith_belief: Answer::Yes,
                note: note(),
            },
        ];
        for claim in claims {
            let exclusion = claim.exclusion();
            let determination = determine(&BreachFacts {
                exclusions: vec![claim],
                ..BreachFacts::default()
            });
            assert_eq!(determination.outcome, Outcome::Excluded { exclusion });
            assert!(!determination.notification_required);
            assert!(
                determination
                    .reasoning
                    .iter()
                    .any(|line| line.contains(exclusion.citation()))
            );
        }
    }

    #[test]
    fn an_exclusion_with_an_unknown_or_failed_condition_or_no_reason_does_not_apply() {
        let unknown = ExclusionClaim::UnintentionalWorkforceAccess {
            good_faith: Answer::Yes,
            within_scope: Answer::Unknown,
            no_further_use: Answer::Yes,
            note: note(),
        };
        let failed = ExclusionClaim::UnableToRetain {
            good_faith_belief: Answer::No,
            note: note(),
        };
        let unreasoned = ExclusionClaim::InadvertentAuthorizedDisclosure {
            both_authorized: Answer::Yes,
            inadvertent: Answer::Yes,
            no_further_use: Answer::Yes,
            note: "  ".to_owned(),
        };
        let determination = determine(&BreachFacts {
            exclusions: vec![unknown, failed, unreasoned],
            ..BreachFacts::default()
        });
        assert_eq!(determination.outcome, Outcome::Breach);
        assert!(determination.notification_required);
        assert!(
            determination
                .open_questions
                .iter()
                .any(|q| q.contains("within the scope of authority"))
        );
    }

    #[test]
    fn secured_phi_owes_no_notification_even_with_high_factors() {
        let mut risk = all_low();
        risk.acquisition.rating = Rating::High;
        for (secured, by) in [
            (Secured::Encrypted, SecuredBy::Encryption),
            (Secured::Destroyed, SecuredBy::Destruction),
        ] {
            let determination = determine(&BreachFacts {
                secured,
                ..facts(risk.clone())
            });
            assert_eq!(determination.outcome, Outcome::Secured { by });
            assert!(!determination.notification_required);
        }
    }

    #[test]
    fn all_four_factors_low_is_a_low_probability() {
        let determination = determine(&facts(all_low()));
        assert_eq!(determination.outcome, Outcome::LowProbability);
        assert!(!determination.notification_required);
        assert!(determination.open_questions.is_empty());
    }

    #[test]
    fn one_high_or_medium_factor_is_a_breach() {
        for rating in [Rating::High, Rating::Medium] {
            let mut risk = all_low();
            risk.unauthorized_person.rating = rating;
            let determination = determine(&facts(risk));
            assert_eq!(determination.outcome, Outcome::Breach);
            assert!(determination.notification_required);
        }
    }

    #[test]
    fn anything_unknown_is_a_breach() {
        let mut unrated = all_low();
        unrated.mitigation.rating = Rating::Unknown;

        let mut unknown_fact = all_low();
        unknown_fact.acquisition.acquired_or_viewed = Answer::Unknown;

        let mut unknown_person = all_low();
        unknown_person.unauthorized_person.kind = PersonKind::Unknown;

        let mut no_reason = all_low();
        no_reason.nature_and_extent.note = String::new();

        for risk in [unrated, unknown_fact, unknown_person, no_reason] {
            let determination = determine(&facts(risk));
            assert_eq!(determination.outcome, Outcome::Breach);
            assert!(!determination.open_questions.is_empty());
        }

        let unknown_securing = BreachFacts {
            secured: Secured::Unknown,
            ..facts(all_low())
        };
        assert_eq!(determine(&unknown_securing).outcome, Outcome::Breach);
        assert_eq!(determine(&BreachFacts::default()).outcome, Outcome::Breach);
    }

    #[test]
    fn low_ratings_that_contradict_the_facts_are_not_accepted() {
        let mut viewed = all_low();
        viewed.acquisition.acquired_or_viewed = Answer::Yes;

        let mut thief = all_low();
        thief.unauthorized_person.kind = PersonKind::Unidentified;

        let mut identified = all_low();
        identified.nature_and_extent.direct_identifiers = Answer::Yes;

        let mut unmitigated = all_low();
        unmitigated.mitigation.measures.clear();

        for risk in [viewed, thief, identified, unmitigated] {
            let determination = determine(&facts(risk));
            assert_eq!(determination.outcome, Outcome::Breach);
            assert!(
                determination
                    .reasoning
                    .iter()
                    .any(|line| line.contains("not accepted"))
            );
        }
    }

    #[test]
    fn reasoning_never_repeats_the_notes() {
        let mut risk = all_low();
        risk.nature_and_extent.note = "Jane Q. Public's record".to_owned();
        let determination = determine(&facts(risk));
        let text = serde_json::to_string(&determination).unwrap();
        assert!(!text.contains("Jane"));
    }

    #[test]
    fn facts_read_from_json() {
        let json = r#"{
            "exclusions": [{ "exclusion": "unable_to_retain", "good_faith_belief": "yes",
                             "note": "envelope returned unopened" }],
            "secured": "no"
        }"#;
        let facts: BreachFacts = serde_json::from_str(json).unwrap();
        assert_eq!(
            determine(&facts).outcome,
            Outcome::Excluded {
                exclusion: Exclusion::UnableToRetain
            }
        );

        let typo = r#"{ "exclusions": [{ "exclusion": "unable_to_retain",
                         "good_faith_belief": "yes", "note": "n", "believed": "yes" }] }"#;
        assert!(serde_json::from_str::<BreachFacts>(typo).is_err());
    }
}
