//! Small words every part of the crate uses: a three-valued answer and how sure a rule is.

use serde::{Deserialize, Serialize};

/// A yes/no fact that may not be established yet.
///
/// `Unknown` is the default and is never treated as `Yes` or as `No` where that would spare a
/// notification: every way out of notifying needs a positive answer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Answer {
    /// Established and true.
    Yes,
    /// Established and false.
    No,
    /// Not established (yet).
    #[default]
    Unknown,
}

impl Answer {
    /// `yes`, `no` or `unknown`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Answer::Yes => "yes",
            Answer::No => "no",
            Answer::Unknown => "unknown",
        }
    }
}

/// How far a rule has been checked against its source.
///
/// Ordered from least to most certain, so the confidence of a result built from several rules
/// is the minimum of theirs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Confidence {
    /// Not checked against the regulation or statute: show it, but do not rely on it as a hard
    /// rule (REGULATION.md marks such rows *verify*).
    Unverified,
    /// Several secondary sources agree; the primary text has not been read.
    Secondary,
    /// Checked against the regulation or statute text.
    Sourced,
}

impl Confidence {
    /// `unverified`, `secondary` or `sourced`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Confidence::Unverified => "unverified",
            Confidence::Secondary => "secondary",
            Confidence::Sourced => "sourced",
        }
    }
}
