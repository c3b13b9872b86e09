//! State breach-notification rules as data (`data/states.toml`).
//!
//! One [`StateRule`] per row of REGULATION.md's table of state laws that are shorter than
//! HIPAA's 60 days or add a regulator notice. The table is embedded in the binary, parsed and
//! checked when loaded; the crate's tests load it, so a shipped build never fails to.
//!
//! A rule is shown with its [`Confidence`]: rows the summary marks *verify* are
//! [`Confidence::Unverified`] and must not be shipped as hard rules until someone reads the
//! statute. Whether a HIPAA-compliant notice satisfies the state law is recorded per rule and
//! defaults to unknown; it is never assumed.

use std::collections::BTreeSet;
use std::fmt;

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::days::Counting;
use crate::jurisdiction::Jurisdiction;
use crate::terms::{Answer, Confidence};

const SHIPPED: &str = include_str!("../data/states.toml");

/// The longest period a row may give, in days: anything longer is a typo.
const MAX_DAYS: u32 = 365;

/// The state rules, in the order the data file lists them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StateTable {
    rules: Vec<StateRule>,
}

/// One state's breach-notification rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StateRule {
    /// Stable slug (`ca`, `ca-health-facility`), unique in the table.
    pub id: String,
    /// The state whose residents the rule protects.
    pub jurisdiction: Jurisdiction,
    /// What the rule is called in reports (`California licensed health facilities`).
    pub name: String,
    /// Which entities the rule binds.
    pub entities: EntityScope,
    /// Discoveries before this date are not under the rule (it took effect later).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effective_from: Option<Date>,
    /// The deadline for notifying the state's residents.
    pub individuals: IndividualsDeadline,
    /// Whether a notice that complies with HIPAA is deemed to satisfy the state law. Unknown
    /// until someone reads the statute; phiguard never assumes it.
    pub hipaa_notice_sufficient: Answer,
    /// How far the individuals deadline has been checked.
    pub confidence: Confidence,
    /// The statute the rule comes from, for the reader to check.
    pub statute: String,
    /// Where the row's facts come from.
    pub source: String,
    /// The notice to a state regulator, if the summary records one.
    pub regulator: RegulatorNotice,
}

/// Which entities a state rule binds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntityScope {
    /// Any entity holding the residents' data.
    Any,
    /// Only facilities licensed by the state as health facilities (clinics, hospitals, home
    /// health agencies, hospices); the incident must say whether the covered entity is one.
    LicensedHealthFacility,
}

/// The deadline a state sets for notifying its residents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum IndividualsDeadline {
    /// At most `days` days after discovery (day 0), counted as `counting` says.
    Within {
        /// The number of days.
        days: u32,
        /// Calendar or business days.
        counting: Counting,
    },
    /// No fixed number of days (typically "without unreasonable delay"); HIPAA's 60 days
    /// still bind the covered entity.
    NoneFixed,
}

/// The notice to a state regulator (attorney general, health department).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum RegulatorNotice {
    /// The summary says the regulator notice varies and records no details: the deadline
    /// list shows it as undetermined so that someone reads the statute.
    NotRecorded,
    /// A regulator must be notified.
    Notify {
        /// Who is notified (`Attorney General`).
        name: String,
        /// How many residents trigger it. `None`: the summary gives no threshold, so any
        /// resident is taken to trigger it (errs towards notifying).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        threshold: Option<Threshold>,
        /// When the notice is due. `None`: no deadline recorded.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        deadline: Option<RegulatorDeadline>,
        /// How far the regulator part of the rule has been checked.
        confidence: Confidence,
    },
}

/// A number of residents that triggers a notice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Threshold {
    /// Strictly more than N residents (`> 500`).
    MoreThan(u64),
    /// N residents or more (`>= 500`).
    AtLeast(u64),
}

impl Threshold {
    /// Whether `count` residents meet the threshold.
    pub const fn is_met(self, count: u64) -> bool {
        match self {
            Threshold::MoreThan(limit) => count > limit,
            Threshold::AtLeast(limit) => count >= limit,
        }
    }
}

impl fmt::Display for Threshold {
    /// `> 500` or `>= 250`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Threshold::MoreThan(limit) => write!(f, "> {limit}"),
            Threshold::AtLeast(limit) => write!(f, ">= {limit}"),
        }
    }
}

/// When a regulator notice is due.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegulatorDeadline {
    /// The number of days.
    pub days: u32,
    /// Calendar or business days.
    pub counting: Counting,
    /// The day the count starts from (day 0).
    pub from: DeadlineStart,
}

/// The event a deadline counts from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeadlineStart {
    /// The HIPAA discovery date.
    Discovery,
    /// The day the individuals were notified.
    IndividualNotice,
}

/// The state table is malformed. The shipped table is checked by the test suite, so this comes
/// only from a table handed to [`StateTable::parse`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StateTableError {
    /// The text is not TOML of the table's shape.
    #[error("the state table does not match its schema ({problem}); see data/states.toml")]
    Schema {
        /// The TOML parser's account of what is wrong.
        problem: String,
    },
    /// A rule parses but contradicts itself or another rule.
    #[error("state rule `{rule}` is invalid: {problem}; fix the row in the state table")]
    Rule {
        /// The rule's id.
        rule: String,
        /// What is wrong with it.
        problem: &'static str,
    },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TableFile {
    rule: Vec<StateRule>,
}

impl StateTable {
    /// The table shipped with phiguard (`data/states.toml`, embedded at build time).
    ///
    /// # Errors
    ///
    /// [`StateTableError`] if the shipped data is malformed; the test suite loads it, so a
    /// released build does not return one.
    pub fn shipped() -> Result<StateTable, StateTableError> {
        StateTable::parse(SHIPPED)
    }

    /// Parses and checks a table in the format of `data/states.toml`.
    ///
    /// # Errors
    ///
    /// [`StateTableError::Schema`] when the text does not match the format (unknown fields
    /// included), [`StateTableError::Rule`] when a rule has a duplicate or malformed id, an
    /// empty name, statute or source, a period of 0 or more than 365 days, or a threshold of 0.
    pub fn parse(text: &str) -> Result<StateTable, StateTableError> {
        let file: TableFile = toml::from_str(text).map_err(|error| StateTableError::Schema {
            problem: error.message().to_owned(),
        })?;

        let mut ids = BTreeSet::new();
        for rule in &file.rule {
            check_rule(rule)?;
            if !ids.insert(rule.id.as_str()) {
                return Err(rule_error(rule, "its id is used by another rule"));
            }
        }

        Ok(StateTable { rules: file.rule })
    }

    /// Every rule, in the order of the data file.
    pub fn rules(&self) -> &[StateRule] {
        &self.rules
    }

    /// The rules protecting residents of `jurisdiction` (California has two).
    pub fn for_jurisdiction(
        &self,
        jurisdiction: Jurisdiction,
    ) -> impl Iterator<Item = &StateRule> + '_ {
        self.rules
            .iter()
            .filter(move |rule| rule.jurisdiction == jurisdiction)
    }

    /// The rule with this id.
    pub fn get(&self, id: &str) -> Option<&StateRule> {
        self.rules.iter().find(|rule| rule.id == id)
    }
}

fn check_rule(rule: &StateRule) -> Result<(), StateTableError> {
    let slug = !rule.id.is_empty()
        && rule
            .id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !slug {
        return Err(rule_error(
            rule,
            "the id must be lowercase letters, digits and '-'",
        ));
    }

    let texts = [&rule.name, &rule.statute, &rule.source];
    if texts.iter().any(|text| text.trim().is_empty()) {
        return Err(rule_error(
            rule,
            "name, statute and source must not be empty",
        ));
    }

    if let IndividualsDeadline::Within { days, .. } = rule.individuals {
        check_days(rule, days)?;
    }

    if let RegulatorNotice::Notify {
        name,
        threshold,
        deadline,
        ..
    } = &rule.regulator
    {
        if name.trim().is_empty() {
            return Err(rule_error(rule, "the regulator's name must not be empty"));
        }
        if let Some(Threshold::MoreThan(0) | Threshold::AtLeast(0)) = threshold {
            return Err(rule_error(rule, "a threshold must be at least 1 resident"));
        }
        if let Some(deadline) = deadline {
            check_days(rule, deadline.days)?;
        }
    }

    Ok(())
}

fn check_days(rule: &StateRule, days: u32) -> Result<(), StateTableError> {
    if days == 0 || days > MAX_DAYS {
        return Err(rule_error(rule, "a period must be between 1 and 365 days"));
    }
    Ok(())
}

fn rule_error(rule: &StateRule, problem: &'static str) -> StateTableError {
    StateTableError::Rule {
        rule: rule.id.clone(),
        problem,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(text: &str) -> Jurisdiction {
        text.parse().unwrap()
    }

    #[test]
    fn the_shipped_table_loads_with_one_rule_per_row_of_the_summary() {
        let table = StateTable::shipped().unwrap();
        let ids: Vec<&str> = table.rules().iter().map(|rule| rule.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "ca",
                "ca-health-facility",
                "co",
                "fl",
                "ny",
                "wa",
                "me",
                "tx",
                "al",
                "az",
                "in",
                "md",
                "nm",
                "oh",
                "or",
                "ri",
                "tn",
                "vt",
                "wi",
                "de",
                "ok"
            ]
        );
        assert_eq!(table.for_jurisdiction(code("CA")).count(), 2);
    }

    #[test]
    fn no_rule_assumes_a_hipaa_notice_is_enough() {
        let table = StateTable::shipped().unwrap();
        assert!(
            table
                .rules()
                .iter()
                .all(|rule| rule.hipaa_notice_sufficient == Answer::Unknown)
        );
    }

    #[test]
    fn rows_marked_verify_are_unverified() {
        let table = StateTable::shipped().unwrap();
        for id in [
            "wa", "me", "tx", "in", "md", "nm", "oh", "or", "ri", "tn", "vt", "wi",
        ] {
            assert_eq!(
                table.get(id).unwrap().confidence,
                Confidence::Unverified,
                "{id}"
            );
        }
        for id in ["ca", "co", "fl", "al", "az", "de", "ok"] {
            assert_eq!(
                table.get(id).unwrap().confidence,
                Confidence::Sourced,
                "{id}"
            );
        }

        // "sourced (AG part *verify*)": the regulator part alone is unverified.
        for id in ["co", "al", "az"] {
            let RegulatorNotice::Notify { confidence, .. } = table.get(id).unwrap().regulator
            else {
                panic!("{id} has a regulator");
            };
            assert_eq!(confidence, Confidence::Unverified, "{id}");
        }
    }

    #[test]
    fn the_rows_say_what_the_summary_says() {
        let table = StateTable::shipped().unwrap();

        let facility = table.get("ca-health-facility").unwrap();
        assert_eq!(facility.entities, EntityScope::LicensedHealthFacility);
        assert_eq!(
            facility.individuals,
            IndividualsDeadline::Within {
                days: 15,
                counting: Counting::Business
            }
        );

        let oklahoma = table.get("ok").unwrap();
        assert_eq!(oklahoma.individuals, IndividualsDeadline::NoneFixed);
        let RegulatorNotice::Notify {
            threshold,
            deadline,
            ..
        } = &oklahoma.regulator
        else {
            panic!("Oklahoma notifies its AG");
        };
        assert_eq!(*threshold, Some(Threshold::AtLeast(500)));
        assert_eq!(deadline.unwrap().from, DeadlineStart::IndividualNotice);

        let texas = table.get("tx").unwrap();
        let RegulatorNotice::Notify { threshold, .. } = &texas.regulator else {
            panic!("Texas notifies its AG");
        };
        assert_eq!(*threshold, Some(Threshold::AtLeast(250)));
        assert_eq!(
            table.get("in").unwrap().regulator,
            RegulatorNotice::NotRecorded
        );
    }

    #[test]
    fn thresholds_compare_as_written() {
        assert!(!Threshold::MoreThan(500).is_met(500));
        assert!(Threshold::MoreThan(500).is_met(501));
        assert!(Threshold::AtLeast(500).is_met(500));
        assert!(!Threshold::AtLeast(500).is_met(499));
        assert_eq!(Threshold::AtLeast(250).to_string(), ">= 250");
    }

    const ROW: &str = r#"
        [[rule]]
        id = "xx"
        jurisdiction = "TX"
        name = "Test"
        entities = "any"
        individuals = { kind = "within", days = 30, counting = "calendar" }
        hipaa_notice_sufficient = "unknown"
        confidence = "sourced"
        statute = "s"
        source = "s"
        [rule.regulator]
        kind = "not_recorded"
    "#;

    #[test]
    fn malformed_tables_are_refused_with_the_rule_named() {
        assert!(StateTable::parse(ROW).is_ok());

        let twice = format!("{ROW}{ROW}");
        let error = StateTable::parse(&twice).unwrap_err();
        assert!(error.to_string().contains("`xx`"), "{error}");

        let zero = ROW.replace("days = 30", "days = 0");
        assert!(matches!(
            StateTable::parse(&zero),
            Err(StateTableError::Rule { .. })
        ));

        let unknown_field = ROW.replace("statute = \"s\"", "statute = \"s\"\nextra = 1");
        assert!(matches!(
            StateTable::parse(&unknown_field),
            Err(StateTableError::Schema { .. })
        ));

        let bad_state = ROW.replace("\"TX\"", "\"ZZ\"");
        assert!(StateTable::parse(&bad_state).is_err());
    }
}
