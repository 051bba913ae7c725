//! `date` (DMN 1.5 §10.3.2.3.4): a calendar date without a time or zone.

use std::fmt;

use chrono::{Datelike, Months, NaiveDate, NaiveDateTime, NaiveTime};

use super::parse;

/// A calendar date in the proleptic Gregorian calendar (years may be
/// negative; year 0 exists, as in ISO 8601).
///
/// # Examples
///
/// ```
/// use feel::Date;
///
/// let d = Date::parse("2024-01-31").unwrap();
/// assert_eq!(d.add_months(1).unwrap().to_string(), "2024-02-29");
/// assert_eq!(Date::new(2017, 13, 1), None);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date(pub(crate) NaiveDate);

impl Date {
    /// The date `year-month-day`, if it exists.
    pub fn new(year: i32, month: u32, day: u32) -> Option<Date> {
        NaiveDate::from_ymd_opt(year, month, day).map(Date)
    }

    /// Wraps a chrono date.
    pub fn from_naive(date: NaiveDate) -> Date {
        Date(date)
    }

    /// Parses `yyyy-mm-dd` (at least four year digits, optional leading `-`).
    pub fn parse(s: &str) -> Option<Date> {
        parse::date(s).map(Date)
    }

    /// The chrono date.
    pub fn naive(self) -> NaiveDate {
        self.0
    }

    /// The year.
    pub fn year(self) -> i32 {
        self.0.year()
    }

    /// The month, 1 to 12.
    pub fn month(self) -> u32 {
        self.0.month()
    }

    /// The day of the month, 1 to 31.
    pub fn day(self) -> u32 {
        self.0.day()
    }

    /// The ISO day of the week: 1 (Monday) to 7 (Sunday).
    pub fn weekday(self) -> u32 {
        self.0.weekday().number_from_monday()
    }

    /// Midnight at the start of this date.
    pub(crate) fn midnight(self) -> NaiveDateTime {
        self.0.and_time(NaiveTime::MIN)
    }

    /// Adds `months` (negative to go back), clamping the day to the end of a
    /// shorter month: `2024-01-31` plus one month is `2024-02-29`. `None` when
    /// out of range.
    pub fn add_months(self, months: i64) -> Option<Date> {
        add_months(self.0.and_time(NaiveTime::MIN), months).map(|dt| Date(dt.date()))
    }
}

/// `dt` plus `months` with end-of-month clamping; `None` when out of range.
pub(crate) fn add_months(dt: NaiveDateTime, months: i64) -> Option<NaiveDateTime> {
    let n = Months::new(u32::try_from(months.unsigned_abs()).ok()?);
    if months < 0 {
        dt.checked_sub_months(n)
    } else {
        dt.checked_add_months(n)
    }
}

/// Writes `yyyy-mm-dd`: the year has at least four digits and a `-` when
/// negative.
pub(crate) fn write_date(f: &mut impl fmt::Write, d: NaiveDate) -> fmt::Result {
    let y = d.year();
    let sign = if y < 0 { "-" } else { "" };
    write!(
        f,
        "{sign}{:04}-{:02}-{:02}",
        y.unsigned_abs(),
        d.month(),
        d.day()
    )
}

impl fmt::Display for Date {
    /// `2017-01-01`, `-0044-03-15`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_date(f, self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> Date {
        Date::parse(s).unwrap()
    }

    fn plus_months(s: &str, m: i64) -> String {
        date(s).add_months(m).unwrap().to_string()
    }

    #[test]
    fn display_round_trips() {
        for s in [
            "2017-01-01",
            "2024-02-29",
            "-2017-02-28",
            "0001-01-01",
            "0000-01-01",
            "12017-12-31",
        ] {
            assert_eq!(date(s).to_string(), s);
        }
    }

    #[test]
    fn month_arithmetic_clamps_to_the_end_of_the_month() {
        assert_eq!(plus_months("2024-01-31", 1), "2024-02-29");
        assert_eq!(plus_months("2023-01-31", 1), "2023-02-28");
        assert_eq!(plus_months("2024-03-31", -1), "2024-02-29");
        assert_eq!(plus_months("2024-02-29", 12), "2025-02-28");
        assert_eq!(plus_months("2021-01-01", -1), "2020-12-01");
        assert_eq!(plus_months("-2021-01-01", 1), "-2021-02-01");
        assert_eq!(plus_months("2021-05-15", 0), "2021-05-15");
        assert_eq!(date("2021-01-01").add_months(i64::MAX), None);
    }

    #[test]
    fn properties() {
        let d = date("2018-12-10");
        assert_eq!(
            (d.year(), d.month(), d.day(), d.weekday()),
            (2018, 12, 10, 1)
        );
        assert_eq!(date("2019-09-22").weekday(), 7);
    }
}
