//! Civil money penalties (45 CFR 160.404, amounts in 45 CFR 102.3) as data, and the exposure
//! note a gap carries.
//!
//! Both schedules are kept with their effective dates, as are the annual caps of HHS's 2019
//! notice of enforcement discretion. The amounts come from secondary sources that agree with
//! one another; they are shown as unverified against 45 CFR 102.3 until someone checks them.

use serde::{Deserialize, Serialize};

/// One culpability tier of 160.404(b)(2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tier {
    /// 1 to 4.
    pub tier: u8,
    /// The culpability the tier describes.
    pub culpability: &'static str,
    /// Minimum per violation, in dollars.
    pub minimum: u64,
    /// Maximum per violation, in dollars.
    pub maximum: u64,
    /// Calendar-year cap for identical violations, in dollars.
    pub annual_cap: u64,
    /// The annual cap under the 2019 notice of enforcement discretion, inflation-adjusted,
    /// where the schedule's sources give it.
    pub enforcement_discretion_cap: Option<u64>,
}

/// A penalty schedule and the day it took effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Schedule {
    /// The effective date, `YYYY-MM-DD`.
    pub effective: &'static str,
    /// Tiers 1 to 4.
    pub tiers: [Tier; 4],
    /// Whether the amounts were checked against 45 CFR 102.3.
    pub verified: bool,
}

const fn tier(
    tier: u8,
    culpability: &'static str,
    minimum: u64,
    maximum: u64,
    annual_cap: u64,
    enforcement_discretion_cap: Option<u64>,
) -> Tier {
    Tier {
        tier,
        culpability,
        minimum,
        maximum,
        annual_cap,
        enforcement_discretion_cap,
    }
}

const DID_NOT_KNOW: &str = "did not know";
const REASONABLE_CAUSE: &str = "reasonable cause";
const NEGLECT_CORRECTED: &str = "wilful neglect, corrected within 30 days";
const NEGLECT_UNCORRECTED: &str = "wilful neglect, not corrected";

/// The schedules, newest first.
pub const SCHEDULES: [Schedule; 2] = [
    Schedule {
        effective: "2026-01-28",
        tiers: [
            tier(1, DID_NOT_KNOW, 145, 73_011, 2_190_294, Some(36_505)),
            tier(2, REASONABLE_CAUSE, 1_461, 73_011, 2_190_294, Some(146_053)),
            tier(
                3,
                NEGLECT_CORRECTED,
                14_602,
                73_011,
                2_190_294,
                Some(365_052),
            ),
            tier(
                4,
                NEGLECT_UNCORRECTED,
                73_011,
                2_190_294,
                2_190_294,
                Some(2_190_294),
            ),
        ],
        verified: false,
    },
    Schedule {
        effective: "2024-08-08",
        tiers: [
            tier(1, DID_NOT_KNOW, 141, 71_162, 2_134_831, None),
            tier(2, REASONABLE_CAUSE, 1_424, 71_162, 2_134_831, None),
            tier(3, NEGLECT_CORRECTED, 14_232, 71_162, 2_134_831, None),
            tier(4, NEGLECT_UNCORRECTED, 71_162, 2_134_831, 2_134_831, None),
        ],
        verified: false,
    },
];

/// What a gap could cost if OCR found a violation through it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Exposure {
    /// The tier that fits the gap today.
    pub likely_tier: u8,
    /// Why that tier.
    pub reasoning: String,
    /// The note for the report, with the amounts of both schedules.
    pub note: String,
}

/// The exposure of a gap: tier 2 while the gap is newly identified, tier 4 when an earlier
/// assessment already reported it more than 30 days ago and it is still open.
pub(crate) fn exposure(carried_over_days: Option<i64>, addressable: bool) -> Exposure {
    let (likely, reasoning) = match carried_over_days {
        Some(days) if days > 30 => (
            4,
            format!(
                "an assessment {days} days ago already reported this gap and it is still open: \
                 knowing and not correcting within 30 days is wilful neglect"
            ),
        ),
        Some(days) => (
            3,
            format!(
                "an assessment {days} days ago reported this gap; correcting it within 30 days \
                 of knowing keeps it in tier 3"
            ),
        ),
        None => (
            2,
            "newly identified: reasonable cause, provided it is corrected promptly; left open \
             more than 30 days after this report it risks tier 4"
                .to_owned(),
        ),
    };

    let [current, previous] = SCHEDULES;
    let now = &current.tiers[usize::from(likely - 1)];
    let then = &previous.tiers[usize::from(likely - 1)];
    let worst = &current.tiers[3];
    let mut note = format!(
        "Tier {likely} ({}): ${} to ${} per violation, calendar-year cap ${} (schedule of {})",
        now.culpability,
        dollars(now.minimum),
        dollars(now.maximum),
        dollars(now.annual_cap),
        current.effective
    );
    if let Some(cap) = now.enforcement_discretion_cap {
        note.push_str(&format!(
            "; under the 2019 notice of enforcement discretion the annual cap is ${}",
            dollars(cap)
        ));
    }
    note.push_str(&format!(
        ". Previous schedule ({}): ${} to ${}, cap ${}.",
        previous.effective,
        dollars(then.minimum),
        dollars(then.maximum),
        dollars(then.annual_cap)
    ));
    if likely < 4 {
        note.push_str(&format!(
            " Tier 4 if left uncorrected: ${} to ${} per violation.",
            dollars(worst.minimum),
            dollars(worst.maximum)
        ));
    }
    if addressable {
        note.push_str(
            " Addressable: documenting why the specification is not reasonable and \
             appropriate, with an equivalent measure, also satisfies 164.306(d)(3).",
        );
    }
    if !current.verified {
        note.push_str(" Amounts unverified against 45 CFR 102.3.");
    }
    Exposure {
        likely_tier: likely,
        reasoning,
        note,
    }
}

/// `1234567` as `1,234,567`.
pub(crate) fn dollars(amount: u64) -> String {
    let digits = amount.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedules_keep_both_effective_dates_and_regulation_amounts() {
        assert_eq!(SCHEDULES[0].effective, "2026-01-28");
        assert_eq!(SCHEDULES[1].effective, "2024-08-08");
        let minimums: Vec<u64> = SCHEDULES[0].tiers.iter().map(|t| t.minimum).collect();
        assert_eq!(minimums, [145, 1_461, 14_602, 73_011]);
        let old: Vec<u64> = SCHEDULES[1].tiers.iter().map(|t| t.minimum).collect();
        assert_eq!(old, [141, 1_424, 14_232, 71_162]);
        assert_eq!(SCHEDULES[1].tiers[3].annual_cap, 2_134_831);
    }

    #[test]
    fn a_gap_left_open_escalates_to_wilful_neglect() {
        assert_eq!(exposure(None, false).likely_tier, 2);
        assert_eq!(exposure(Some(20), false).likely_tier, 3);
        let late = exposure(Some(95), false);
        assert_eq!(late.likely_tier, 4);
        assert!(late.note.contains("$73,011 to $2,190,294"), "{}", late.note);
        assert!(exposure(None, true).note.contains("Addressable"));
    }

    #[test]
    fn dollars_group_thousands() {
        assert_eq!(dollars(145), "145");
        assert_eq!(dollars(1_461), "1,461");
        assert_eq!(dollars(2_190_294), "2,190,294");
    }
}
