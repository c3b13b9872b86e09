//! Baselines: findings a team has looked at and accepted for a while, each with a reason and an
//! expiry date.
//!
//! ```toml
//! [[accepted]]
//! fingerprint = "3f1c…"           # from the JSON or SARIF output
//! rule = "PHI-LOG-001"
//! path = "src/checkout/debug.js"
//! justification = "Debug build only; removed in ticket SHOP-412"
//! expires = 2026-03-31
//! ```
//!
//! A justification is mandatory and an expiry date is mandatory: a baseline is a decision with
//! an owner and an end, not a mute button. An expired entry suppresses nothing and is listed in
//! the report.

use std::path::{Path, PathBuf};

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::finding::Finding;
use crate::rule::RuleId;

/// One accepted finding.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Accepted {
    /// The finding's fingerprint.
    pub fingerprint: String,
    /// The rule, for people reading the file.
    pub rule: RuleId,
    /// The path, for people reading the file.
    pub path: String,
    /// Why the finding is accepted.
    pub justification: String,
    /// The last day the acceptance holds.
    #[serde(with = "toml_date")]
    pub expires: Date,
}

/// A baseline file.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Baseline {
    /// The accepted findings.
    #[serde(default)]
    pub accepted: Vec<Accepted>,
}

/// Why a baseline could not be used.
#[derive(Debug, thiserror::Error)]
pub enum BaselineError {
    /// The file could not be read.
    #[error("cannot read the baseline {}: {source}", file.display())]
    Read {
        /// The file.
        file: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// The file is not a valid baseline.
    #[error("{}:{line}: {problem}", file.display())]
    Invalid {
        /// The file.
        file: PathBuf,
        /// 1-based line.
        line: usize,
        /// What is wrong.
        problem: String,
    },
    /// The baseline could not be written.
    #[error("cannot write the baseline {}: {source}", file.display())]
    Write {
        /// The file.
        file: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
}

impl Baseline {
    /// Reads and checks a baseline file.
    ///
    /// # Errors
    /// [`BaselineError::Read`] when unreadable, [`BaselineError::Invalid`] for bad TOML,
    /// unknown keys, empty justifications and missing expiry dates.
    pub fn from_path(path: &Path) -> Result<Baseline, BaselineError> {
        let text = std::fs::read_to_string(path).map_err(|source| BaselineError::Read {
            file: path.to_owned(),
            source,
        })?;
        Baseline::parse(&text, path)
    }

    /// Parses baseline text; `origin` names the file in errors.
    ///
    /// # Errors
    /// As [`Baseline::from_path`], without the read error.
    pub fn parse(text: &str, origin: &Path) -> Result<Baseline, BaselineError> {
        let baseline: Baseline = toml::from_str(text).map_err(|error| {
            let offset = error.span().map_or(0, |s| s.start);
            BaselineError::Invalid {
                file: origin.to_owned(),
                line: line_of(text, offset),
                problem: strip_quoted(error.message()),
            }
        })?;

        for (index, entry) in baseline.accepted.iter().enumerate() {
            if entry.justification.trim().is_empty() {
                let line = nth_entry_line(text, index);
                return Err(BaselineError::Invalid {
                    file: origin.to_owned(),
                    line,
                    problem: format!(
                        "accepted finding {} ({} in {}) has an empty justification; say why \
                         it is accepted",
                        index + 1,
                        entry.rule,
                        entry.path
                    ),
                });
            }
        }
        Ok(baseline)
    }

    /// The entry that accepts `finding` on `today`, if any.
    pub fn accepts(&self, finding: &Finding, today: Date) -> Option<&Accepted> {
        self.accepted
            .iter()
            .find(|entry| entry.fingerprint == finding.fingerprint && entry.expires >= today)
    }

    /// Entries that have expired by `today`.
    pub fn expired(&self, today: Date) -> impl Iterator<Item = &Accepted> {
        self.accepted
            .iter()
            .filter(move |entry| entry.expires < today)
    }

    /// A baseline accepting `findings` until `expires`, with empty justifications that the team
    /// must fill in before the file loads.
    pub fn skeleton(findings: &[Finding], expires: Date) -> Baseline {
        let accepted = findings
            .iter()
            .map(|finding| Accepted {
                fingerprint: finding.fingerprint.clone(),
                rule: finding.rule,
                path: finding.path.to_string_lossy().into_owned(),
                justification: String::new(),
                expires,
            })
            .collect();
        Baseline { accepted }
    }

    /// Writes the baseline as TOML.
    ///
    /// # Errors
    /// [`BaselineError::Write`] when the file cannot be written.
    pub fn write(&self, path: &Path) -> Result<(), BaselineError> {
        let mut text = String::from(
            "# phiguard scan baseline. Fill in every justification (mandatory) and check the\n\
             # expiry dates; an empty justification makes the file fail to load.\n\n",
        );
        text.push_str(&toml::to_string_pretty(self).unwrap_or_default());
        std::fs::write(path, text).map_err(|source| BaselineError::Write {
            file: path.to_owned(),
            source,
        })
    }
}

mod toml_date {
    use jiff::civil::Date;
    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(date: &Date, serializer: S) -> Result<S::Ok, S::Error> {
        let datetime = toml::value::Datetime {
            date: Some(toml::value::Date {
                year: date.year().unsigned_abs(),
                month: date.month().unsigned_abs(),
                day: date.day().unsigned_abs(),
            }),
            time: None,
            offset: None,
        };
        serde::Serialize::serialize(&datetime, serializer)
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Date, D::Error> {
        const WANTED: &str = "expires must be a plain date such as 2026-03-31";
        let datetime = toml::value::Datetime::deserialize(deserializer)?;
        let day = datetime
            .date
            .filter(|_| datetime.time.is_none())
            .ok_or_else(|| serde::de::Error::custom(WANTED))?;
        let year = i16::try_from(day.year).map_err(|_| serde::de::Error::custom(WANTED))?;
        let month = i8::try_from(day.month).map_err(|_| serde::de::Error::custom(WANTED))?;
        let day = i8::try_from(day.day).map_err(|_| serde::de::Error::custom(WANTED))?;
        Date::new(year, month, day).map_err(|_| serde::de::Error::custom(WANTED))
    }
}

fn line_of(text: &str, offset: usize) -> usize {
    text.get(..offset.min(text.len()))
        .map_or(0, |s| s.matches('\n').count())
        + 1
}

fn nth_entry_line(text: &str, index: usize) -> usize {
    text.lines()
        .enumerate()
        .filter(|(_, line)| line.trim() == "[[accepted]]")
        .nth(index)
        .map_or(1, |(number, _)| number + 1)
}

fn strip_quoted(message: &str) -> String {
    let mut out = String::new();
    let mut quoted = false;
    for c in message.chars() {
        if c == '"' {
            if quoted {
                out.push_str("a value");
            }
            quoted = !quoted;
        } else if !quoted {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
[[accepted]]
fingerprint = "abc"
rule = "PHI-LOG-001"
path = "a.js"
justification = "debug only"
expires = 2030-01-01
"#;

    #[test]
    fn a_valid_baseline_loads() {
        let baseline = Baseline::parse(GOOD, Path::new("b.toml")).unwrap();
        assert_eq!(baseline.accepted[0].rule, RuleId::Logging);
        let today = Date::constant(2031, 1, 1);
        assert_eq!(baseline.expired(today).count(), 1);
    }

    #[test]
    fn justification_and_expiry_are_mandatory() {
        let empty = GOOD.replace("debug only", " ");
        let error = Baseline::parse(&empty, Path::new("b.toml"))
            .unwrap_err()
            .to_string();
        assert!(error.starts_with("b.toml:2:"), "{error}");
        assert!(error.contains("justification"), "{error}");

        let no_expiry = GOOD.replace("expires = 2030-01-01\n", "");
        let error = Baseline::parse(&no_expiry, Path::new("b.toml"))
            .unwrap_err()
            .to_string();
        assert!(error.contains("expires"), "{error}");

        let unknown = GOOD.replace("path =", "file =");
        assert!(Baseline::parse(&unknown, Path::new("b.toml")).is_err());
    }

    #[test]
    fn skeletons_round_trip_but_need_justifications() {
        let baseline = Baseline::parse(GOOD, Path::new("b.toml")).unwrap();
        let mut skeleton = baseline.clone();
        skeleton.accepted[0].justification.clear();
        let text = toml::to_string_pretty(&skeleton).unwrap();
        assert!(Baseline::parse(&text, Path::new("s.toml")).is_err());
        let text = toml::to_string_pretty(&baseline).unwrap();
        let back = Baseline::parse(&text, Path::new("s.toml")).unwrap();
        assert_eq!(back.accepted[0].expires, baseline.accepted[0].expires);
    }
}
