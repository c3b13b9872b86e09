//! Counting days the way the deadlines do.
//!
//! Day 0 is the start (usually the day of discovery) and "N days after" is the date N days
//! later: 60 calendar days after 2026-01-01 is 2026-03-02. A deadline that lands on a weekend
//! or a holiday is not moved: HIPAA counts calendar days and does not roll forward.
//!
//! Business days skip Saturdays and Sundays only. Federal and state holidays are *not* skipped,
//! so a business-day deadline computed here is never later than the statute's and may be a day
//! or two earlier: the safe side.

use jiff::Span;
use jiff::civil::{Date, Weekday};
use serde::{Deserialize, Serialize};

/// How a period of days is counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Counting {
    /// Every day counts.
    Calendar,
    /// Monday to Friday count; weekends are skipped; holidays are not (they count as business
    /// days, which errs early).
    Business,
}

impl Counting {
    /// `calendar` or `business`, for reasoning text.
    pub const fn as_str(self) -> &'static str {
        match self {
            Counting::Calendar => "calendar",
            Counting::Business => "business",
        }
    }
}

/// The date `days` days after `start` (day 0), counted as `counting` says.
///
/// With [`Counting::Business`], each step lands on a weekday, so the result is a weekday
/// whenever `days > 0`; with `days == 0` the result is `start` itself. Returns `None` only when
/// the result would fall beyond jiff's last date (9999-12-31).
pub fn add_days(start: Date, days: u32, counting: Counting) -> Option<Date> {
    match counting {
        Counting::Calendar => {
            let span = Span::new().try_days(i64::from(days)).ok()?;
            start.checked_add(span).ok()
        }
        Counting::Business => {
            let mut date = start;
            let mut counted = 0;
            while counted < days {
                date = date.tomorrow().ok()?;
                if !is_weekend(date) {
                    counted += 1;
                }
            }
            Some(date)
        }
    }
}

/// Days from `today` to `due`: positive while time is left, 0 on the due date, negative when
/// the deadline has passed (`-3` means three days overdue).
///
/// `today` is a parameter, never read from a clock, so the caller chooses the time zone in
/// which "today" is reckoned.
pub fn days_remaining(due: Date, today: Date) -> i64 {
    today.duration_until(due).as_secs() / 86_400
}

fn is_weekend(date: Date) -> bool {
    matches!(date.weekday(), Weekday::Saturday | Weekday::Sunday)
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;
    use proptest::prelude::*;

    #[test]
    fn day_zero_is_the_start() {
        let start = date(2026, 1, 1);
        assert_eq!(
            add_days(start, 60, Counting::Calendar),
            Some(date(2026, 3, 2))
        );
        assert_eq!(add_days(start, 0, Counting::Calendar), Some(start));
        assert_eq!(add_days(start, 0, Counting::Business), Some(start));
    }

    #[test]
    fn business_days_skip_the_weekend() {
        // 2026-01-02 is a Friday: one business day later is Monday the 5th, five is Friday the
        // 9th, and 15 business days span three weekends.
        let friday = date(2026, 1, 2);
        assert_eq!(friday.weekday(), Weekday::Friday);
        assert_eq!(
            add_days(friday, 1, Counting::Business),
            Some(date(2026, 1, 5))
        );
        assert_eq!(
            add_days(friday, 5, Counting::Business),
            Some(date(2026, 1, 9))
        );
        assert_eq!(
            add_days(friday, 15, Counting::Business),
            Some(date(2026, 1, 23))
        );

        // From a Saturday the weekend's Sunday does not count either.
        assert_eq!(
            add_days(date(2026, 1, 3), 1, Counting::Business),
            Some(date(2026, 1, 5))
        );
    }

    #[test]
    fn holidays_are_not_skipped() {
        // 2026-01-19 is Martin Luther King Jr. Day, a Monday: it still counts.
        let friday = date(2026, 1, 16);
        assert_eq!(
            add_days(friday, 1, Counting::Business),
            Some(date(2026, 1, 19))
        );
    }

    #[test]
    fn remaining_days_go_negative_when_overdue() {
        let due = date(2026, 3, 2);
        assert_eq!(days_remaining(due, date(2026, 1, 1)), 60);
        assert_eq!(days_remaining(due, due), 0);
        assert_eq!(days_remaining(due, date(2026, 3, 5)), -3);
    }

    #[test]
    fn the_end_of_time_is_refused_not_panicked_on() {
        assert_eq!(add_days(date(9999, 12, 1), 60, Counting::Calendar), None);
        assert_eq!(add_days(date(9999, 12, 30), 5, Counting::Business), None);
    }

    fn any_date() -> impl Strategy<Value = Date> {
        (1990i16..2200, 1i16..=365).prop_map(|(year, day)| {
            date(year, 1, 1)
                .checked_add(Span::new().days(day - 1))
                .unwrap()
        })
    }

    proptest! {
        #[test]
        fn counting_agrees_with_days_remaining(start in any_date(), days in 0u32..400) {
            let due = add_days(start, days, Counting::Calendar).unwrap();
            prop_assert_eq!(days_remaining(due, start), i64::from(days));
            prop_assert_eq!(days_remaining(start, due), -i64::from(days));
        }

        #[test]
        fn business_days_land_on_weekdays_and_never_before_calendar(
            start in any_date(),
            days in 1u32..60,
        ) {
            let business = add_days(start, days, Counting::Business).unwrap();
            let calendar = add_days(start, days, Counting::Calendar).unwrap();
            prop_assert!(!is_weekend(business));
            prop_assert!(business >= calendar);
            prop_assert!(days_remaining(business, calendar) <= i64::from(days / 5 * 2 + 2));
        }
    }
}
