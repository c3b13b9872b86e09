//! Statuses and how several of them combine into one.

use serde::{Deserialize, Serialize};

/// How far a control, or one check of it, is satisfied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// The evidence shows the control in place.
    Met,
    /// Some of it is in place, some is not.
    PartiallyMet,
    /// The evidence shows it is not in place.
    NotMet,
    /// There is not enough evidence to say: a source is missing or an inventory value is
    /// `unknown`. Never counted as a pass.
    NotAssessed,
    /// The control does not apply; a reason is always given.
    NotApplicable,
}

impl Status {
    /// Every status, best first.
    pub const ALL: [Status; 5] = [
        Status::Met,
        Status::PartiallyMet,
        Status::NotMet,
        Status::NotAssessed,
        Status::NotApplicable,
    ];

    /// The status in words.
    pub const fn label(self) -> &'static str {
        match self {
            Status::Met => "met",
            Status::PartiallyMet => "partially met",
            Status::NotMet => "not met",
            Status::NotAssessed => "not assessed",
            Status::NotApplicable => "not applicable",
        }
    }

    /// Whether a control with this status is a gap for the roadmap.
    pub const fn is_gap(self) -> bool {
        matches!(
            self,
            Status::PartiallyMet | Status::NotMet | Status::NotAssessed
        )
    }

    /// Points towards a family score: 1 for met, ½ for partially met, 0 otherwise.
    pub const fn points(self) -> f64 {
        match self {
            Status::Met => 1.0,
            Status::PartiallyMet => 0.5,
            _ => 0.0,
        }
    }

    /// Combines the statuses of the parts of one thing.
    ///
    /// Not applicable parts are ignored; with nothing left the whole is not applicable. A
    /// failing part makes the whole not met, or partially met when another part is met. Without
    /// a failing part, any part lacking evidence makes the whole not assessed: missing
    /// evidence never lets a control pass.
    pub fn combine(parts: impl IntoIterator<Item = Status>) -> Status {
        let mut any = false;
        let (mut met, mut partial, mut failed, mut unknown) = (false, false, false, false);
        for part in parts {
            match part {
                Status::Met => met = true,
                Status::PartiallyMet => partial = true,
                Status::NotMet => failed = true,
                Status::NotAssessed => unknown = true,
                Status::NotApplicable => continue,
            }
            any = true;
        }

        if !any {
            Status::NotApplicable
        } else if failed {
            if met || partial {
                Status::PartiallyMet
            } else {
                Status::NotMet
            }
        } else if partial {
            Status::PartiallyMet
        } else if unknown {
            Status::NotAssessed
        } else {
            Status::Met
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Status::*;
    use super::*;

    #[test]
    fn missing_evidence_never_passes() {
        assert_eq!(Status::combine([Met, Met, NotAssessed]), NotAssessed);
        assert_eq!(Status::combine([NotAssessed]), NotAssessed);
        assert_eq!(Status::combine([Met, NotApplicable]), Met);
        assert_eq!(Status::combine([NotApplicable]), NotApplicable);
        assert_eq!(Status::combine([]), NotApplicable);
    }

    #[test]
    fn failures_dominate() {
        assert_eq!(Status::combine([NotMet, NotAssessed]), NotMet);
        assert_eq!(Status::combine([NotMet, Met]), PartiallyMet);
        assert_eq!(Status::combine([PartiallyMet, NotAssessed]), PartiallyMet);
    }
}
