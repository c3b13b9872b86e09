//! Business hours: the days and times of day in which a tenant's workforce is expected to work.
//!
//! Hours are read in the tenant's own time zone, so 07:00 stays 07:00 on the day the clocks
//! change. A shift may run past midnight (`start = "19:00"`, `end = "07:00"`): it then belongs
//! to the day it starts on.

use std::fmt;
use std::str::FromStr;

use jiff::civil::{DateTime, Weekday};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A day of the week, as configuration spells it (`monday` or `mon`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Day {
    /// Monday.
    #[serde(alias = "mon")]
    Monday,
    /// Tuesday.
    #[serde(alias = "tue")]
    Tuesday,
    /// Wednesday.
    #[serde(alias = "wed")]
    Wednesday,
    /// Thursday.
    #[serde(alias = "thu")]
    Thursday,
    /// Friday.
    #[serde(alias = "fri")]
    Friday,
    /// Saturday.
    #[serde(alias = "sat")]
    Saturday,
    /// Sunday.
    #[serde(alias = "sun")]
    Sunday,
}

impl Day {
    /// The three-letter abbreviation used in alert summaries.
    pub const fn short(self) -> &'static str {
        match self {
            Day::Monday => "mon",
            Day::Tuesday => "tue",
            Day::Wednesday => "wed",
            Day::Thursday => "thu",
            Day::Friday => "fri",
            Day::Saturday => "sat",
            Day::Sunday => "sun",
        }
    }

    /// The day a civil weekday falls on.
    pub const fn of(weekday: Weekday) -> Day {
        match weekday {
            Weekday::Monday => Day::Monday,
            Weekday::Tuesday => Day::Tuesday,
            Weekday::Wednesday => Day::Wednesday,
            Weekday::Thursday => Day::Thursday,
            Weekday::Friday => Day::Friday,
            Weekday::Saturday => Day::Saturday,
            Weekday::Sunday => Day::Sunday,
        }
    }

    const fn bit(self) -> u8 {
        1 << (self as u8)
    }

    const fn previous(self) -> Day {
        match self {
            Day::Monday => Day::Sunday,
            Day::Tuesday => Day::Monday,
            Day::Wednesday => Day::Tuesday,
            Day::Thursday => Day::Wednesday,
            Day::Friday => Day::Thursday,
            Day::Saturday => Day::Friday,
            Day::Sunday => Day::Saturday,
        }
    }
}

/// A time of day on a 24-hour clock, `00:00` to `24:00`, to the minute.
///
/// `24:00` exists so that an end of day can be written; it is the same instant as the next
/// day's `00:00`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ClockTime(u16);

impl ClockTime {
    /// Midnight at the start of a day.
    pub const MIDNIGHT: ClockTime = ClockTime(0);

    /// Midnight at the end of a day.
    pub const END_OF_DAY: ClockTime = ClockTime(24 * 60);

    /// A time from hours and minutes; `None` unless `hour` is 0–23 and `minute` 0–59, or the
    /// time is exactly 24:00.
    pub const fn new(hour: u8, minute: u8) -> Option<ClockTime> {
        if (hour < 24 && minute < 60) || (hour == 24 && minute == 0) {
            Some(ClockTime(hour as u16 * 60 + minute as u16))
        } else {
            None
        }
    }

    /// Minutes since the start of the day, 0 to 1440.
    pub const fn minutes(self) -> u16 {
        self.0
    }
}

/// Text that is not a time of day written `HH:MM`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a time of day is written HH:MM on a 24-hour clock, from 00:00 to 24:00 (such as 07:30)")]
pub struct BadClockTime;

impl FromStr for ClockTime {
    type Err = BadClockTime;

    fn from_str(s: &str) -> Result<Self, BadClockTime> {
        let bytes = s.as_bytes();
        let well_formed = bytes.len() == 5
            && bytes[2] == b':'
            && [0, 1, 3, 4].iter().all(|&i| bytes[i].is_ascii_digit());
        if !well_formed {
            return Err(BadClockTime);
        }

        let digit = |i: usize| bytes[i] - b'0';
        let hour = digit(0) * 10 + digit(1);
        let minute = digit(3) * 10 + digit(4);
        ClockTime::new(hour, minute).ok_or(BadClockTime)
    }
}

impl fmt::Display for ClockTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}:{:02}", self.0 / 60, self.0 % 60)
    }
}

impl Serialize for ClockTime {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ClockTime {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// The days and the times of day in which a tenant's workforce is expected to work.
///
/// The default is Monday to Friday, 07:00 to 19:00. When `end` is earlier than `start` the
/// shift runs past midnight and belongs to the day it starts on; `start` equal to `end` is
/// refused by validation (write `00:00` to `24:00` for a whole day).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BusinessHours {
    /// The days on which the hours start.
    pub days: Vec<Day>,
    /// When the working day starts, local time.
    pub start: ClockTime,
    /// When the working day ends, local time (exclusive).
    pub end: ClockTime,
}

impl Default for BusinessHours {
    fn default() -> Self {
        BusinessHours {
            days: vec![
                Day::Monday,
                Day::Tuesday,
                Day::Wednesday,
                Day::Thursday,
                Day::Friday,
            ],
            start: ClockTime(7 * 60),
            end: ClockTime(19 * 60),
        }
    }
}

impl BusinessHours {
    /// Why these hours cannot be used, if they cannot.
    pub(crate) fn problem(&self) -> Option<&'static str> {
        if self.days.is_empty() {
            Some(
                "names no days, so every access would be off hours; list the working days, or \
                 turn the rule off with off_hours.enabled = false",
            )
        } else if self.start == ClockTime::END_OF_DAY {
            Some("starts at 24:00; write start = \"00:00\" for a day that starts at midnight")
        } else if self.start == self.end {
            Some(
                "starts and ends at the same time; write start = \"00:00\" and end = \"24:00\" \
                 for a whole day",
            )
        } else {
            None
        }
    }

    /// Whether a local date and time falls within these hours.
    pub fn contains(&self, local: DateTime) -> bool {
        HoursMask::of(self).contains(local)
    }
}

impl fmt::Display for BusinessHours {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, day) in self.days.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            f.write_str(day.short())?;
        }
        write!(f, " {}-{}", self.start, self.end)
    }
}

/// Business hours compiled for the per-event test: a bit per day and minutes of the day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct HoursMask {
    days: u8,
    start: u16,
    end: u16,
}

impl HoursMask {
    pub(crate) fn of(hours: &BusinessHours) -> HoursMask {
        HoursMask {
            days: hours.days.iter().fold(0, |mask, day| mask | day.bit()),
            start: hours.start.minutes(),
            end: hours.end.minutes(),
        }
    }

    pub(crate) fn contains(self, local: DateTime) -> bool {
        let day = Day::of(local.weekday());
        let minute =
            u16::try_from(i16::from(local.hour()) * 60 + i16::from(local.minute())).unwrap_or(0);
        let listed = |day: Day| self.days & day.bit() != 0;

        if self.start < self.end {
            listed(day) && self.start <= minute && minute < self.end
        } else {
            (listed(day) && minute >= self.start) || (listed(day.previous()) && minute < self.end)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn clock_times_parse_strictly() {
        assert_eq!("07:00".parse::<ClockTime>().unwrap().minutes(), 420);
        assert_eq!("24:00".parse::<ClockTime>(), Ok(ClockTime::END_OF_DAY));
        for bad in ["7:00", "24:01", "12:60", "0700", "07:00 ", "ab:cd"] {
            assert!(bad.parse::<ClockTime>().is_err(), "{bad} should not parse");
        }
    }

    #[test]
    fn default_hours_are_weekdays_seven_to_seven() {
        let hours = BusinessHours::default();
        // 2026-03-02 is a Monday.
        assert!(hours.contains(date(2026, 3, 2).at(7, 0, 0, 0)));
        assert!(hours.contains(date(2026, 3, 2).at(18, 59, 59, 0)));
        assert!(!hours.contains(date(2026, 3, 2).at(19, 0, 0, 0)));
        assert!(!hours.contains(date(2026, 3, 2).at(6, 59, 0, 0)));
        assert!(!hours.contains(date(2026, 3, 7).at(12, 0, 0, 0)));
        assert_eq!(hours.to_string(), "mon,tue,wed,thu,fri 07:00-19:00");
    }

    #[test]
    fn night_shifts_belong_to_the_day_they_start() {
        let nights = BusinessHours {
            days: vec![Day::Friday],
            start: "22:00".parse().unwrap(),
            end: "06:00".parse().unwrap(),
        };
        assert!(nights.contains(date(2026, 3, 6).at(23, 0, 0, 0)));
        assert!(nights.contains(date(2026, 3, 7).at(5, 59, 0, 0)));
        assert!(!nights.contains(date(2026, 3, 7).at(23, 0, 0, 0)));
        assert!(!nights.contains(date(2026, 3, 6).at(5, 0, 0, 0)));
    }

    #[test]
    fn whole_days_run_to_midnight() {
        let always = BusinessHours {
            days: vec![Day::Saturday],
            start: ClockTime::MIDNIGHT,
            end: ClockTime::END_OF_DAY,
        };
        assert!(always.contains(date(2026, 3, 7).at(0, 0, 0, 0)));
        assert!(always.contains(date(2026, 3, 7).at(23, 59, 59, 0)));
        assert!(!always.contains(date(2026, 3, 8).at(0, 0, 0, 0)));
    }
}
