//! `date` (DMN 1.5 §10.3.2.3.4): a calendar date without a time or zone.
//!
//! FEEL years run from -999,999,999 to 999,999,999; chrono's dates stop near
//! ±262,000. A value therefore holds an era and a chrono date (its base):
//! the year is the base's year plus [`ERA_YEARS`] per era. An era is a whole
//! number of 400-year Gregorian cycles, after which the calendar repeats
//! exactly (leap years, weekdays, ISO weeks), so every calendar fact of the
//! base is that of the date, and chrono does the work. The base's year is
//! kept in `[-ERA_YEARS / 2, ERA_YEARS / 2)`, which makes the representation
//! unique (derived equality and ordering are right) and leaves room for an
//! era's worth of arithmetic before chrono's limits.

use std::fmt;

use chrono::{Datelike, Months, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta};

use super::parse;

/// Years per era: 250 cycles of 400 years.
pub(crate) const ERA_YEARS: i64 = 100_000;
/// Days per era (146,097 days per 400 years).
pub(crate) const DAYS_PER_ERA: i64 = 146_097 * 250;
/// The largest year FEEL allows (and its negation the smallest).
pub const MAX_YEAR: i64 = 999_999_999;

/// Splits a year into its era and the base year in `[-ERA_YEARS / 2, ERA_YEARS / 2)`.
fn split_year(year: i64) -> (i64, i64) {
    let era = (year + ERA_YEARS / 2).div_euclid(ERA_YEARS);
    (era, year - era * ERA_YEARS)
}

/// A chrono date moved by whole eras (`delta` of them), through days so that
/// 29 February stays valid.
fn shift_eras(d: NaiveDate, delta: i64) -> Option<NaiveDate> {
    d.checked_add_signed(TimeDelta::try_days(delta.checked_mul(DAYS_PER_ERA)?)?)
}

/// The era and canonical base of `base` read in era `era`; `None` beyond
/// FEEL's years.
pub(crate) fn normalize(era: i64, base: NaiveDate) -> Option<(i32, NaiveDate)> {
    let year = i64::from(base.year()).checked_add(era.checked_mul(ERA_YEARS)?)?;
    if year.abs() > MAX_YEAR {
        return None;
    }
    let (new_era, _) = split_year(year);
    let base = shift_eras(base, era - new_era)?;
    Some((i32::try_from(new_era).ok()?, base))
}

/// A calendar date in the proleptic Gregorian calendar (years may be
/// negative; year 0 exists, as in ISO 8601), from year -999,999,999 to
/// 999,999,999.
///
/// # Examples
///
/// ```
/// use feel::Date;
///
/// let d = Date::parse("2024-01-31").unwrap();
/// assert_eq!(d.add_months(1).unwrap().to_string(), "2024-02-29");
/// assert_eq!(Date::new(2017, 13, 1), None);
/// let far = Date::new(999_999_999, 12, 31).unwrap();
/// assert_eq!((far.to_string(), far.weekday()), ("999999999-12-31".to_string(), 5));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    era: i32,
    base: NaiveDate,
}

impl Date {
    /// The date `year-month-day`, if it exists and the year is within ±999,999,999.
    pub fn new(year: i32, month: u32, day: u32) -> Option<Date> {
        let (era, base_year) = split_year(i64::from(year));
        let base = NaiveDate::from_ymd_opt(i32::try_from(base_year).ok()?, month, day)?;
        Date::from_era(era, base)
    }

    /// Wraps a chrono date.
    pub fn from_naive(date: NaiveDate) -> Date {
        // Every chrono date is within FEEL's years.
        Date::from_era(0, date).unwrap_or(Date { era: 0, base: date })
    }

    /// The date `base` read `era` eras later, normalized; `None` beyond FEEL's years.
    pub(crate) fn from_era(era: i64, base: NaiveDate) -> Option<Date> {
        normalize(era, base).map(|(era, base)| Date { era, base })
    }

    /// Parses `yyyy-mm-dd` (at least four year digits, optional leading `-`).
    pub fn parse(s: &str) -> Option<Date> {
        parse::date(s)
    }

    /// The chrono date, if chrono's range holds it.
    pub fn naive(self) -> Option<NaiveDate> {
        shift_eras(self.base, i64::from(self.era))
    }

    /// A chrono date with the same calendar facts (month, day, weekday, day
    /// of year, ISO week, leap year), whole eras away when the date itself is
    /// beyond chrono's range.
    pub(crate) fn proxy(self) -> NaiveDate {
        self.base
    }

    /// The era (see the module docs).
    pub(crate) fn era(self) -> i32 {
        self.era
    }

    /// The year.
    pub fn year(self) -> i32 {
        // At most ±999,999,999 by construction.
        self.base.year() + self.era * ERA_YEARS as i32
    }

    /// The month, 1 to 12.
    pub fn month(self) -> u32 {
        self.base.month()
    }

    /// The day of the month, 1 to 31.
    pub fn day(self) -> u32 {
        self.base.day()
    }

    /// The ISO day of the week: 1 (Monday) to 7 (Sunday).
    pub fn weekday(self) -> u32 {
        self.base.weekday().number_from_monday()
    }

    /// Midnight at the start of this date, as a base date-time and its era.
    pub(crate) fn midnight(self) -> (i32, NaiveDateTime) {
        (self.era, self.base.and_time(NaiveTime::MIN))
    }

    /// Whole days from `earlier` to this date (negative when it is later).
    pub(crate) fn days_since(self, earlier: Date) -> i64 {
        i64::from(self.era - earlier.era) * DAYS_PER_ERA
            + self.base.signed_duration_since(earlier.base).num_days()
    }

    /// This date moved by `days`; `None` beyond FEEL's years.
    pub(crate) fn plus_days(self, days: i64) -> Option<Date> {
        let eras = days.div_euclid(DAYS_PER_ERA);
        let rest = days.rem_euclid(DAYS_PER_ERA);
        let base = self.base.checked_add_signed(TimeDelta::try_days(rest)?)?;
        Date::from_era(i64::from(self.era) + eras, base)
    }

    /// Adds `months` (negative to go back), clamping the day to the end of a
    /// shorter month: `2024-01-31` plus one month is `2024-02-29`. `None` when
    /// beyond FEEL's years.
    pub fn add_months(self, months: i64) -> Option<Date> {
        let (era, dt) = add_months(self.era, self.base.and_time(NaiveTime::MIN), months)?;
        Some(Date {
            era,
            base: dt.date(),
        })
    }
}

/// `dt` (in era `era`) plus `months` with end-of-month clamping, normalized;
/// `None` beyond FEEL's years.
pub(crate) fn add_months(era: i32, dt: NaiveDateTime, months: i64) -> Option<(i32, NaiveDateTime)> {
    let per_era = ERA_YEARS * 12;
    let eras = months.div_euclid(per_era);
    let rest = months.rem_euclid(per_era);
    let moved = dt.checked_add_months(Months::new(u32::try_from(rest).ok()?))?;
    let (era, base) = normalize(i64::from(era) + eras, moved.date())?;
    Some((era, base.and_time(moved.time())))
}

/// Writes `yyyy-mm-dd` for the date `base` in era `era`: the year has at
/// least four digits and a `-` when negative.
pub(crate) fn write_date(f: &mut impl fmt::Write, era: i32, base: NaiveDate) -> fmt::Result {
    let y = i64::from(base.year()) + i64::from(era) * ERA_YEARS;
    let sign = if y < 0 { "-" } else { "" };
    write!(
        f,
        "{sign}{:04}-{:02}-{:02}",
        y.unsigned_abs(),
        base.month(),
        base.day()
    )
}

impl fmt::Display for Date {
    /// `2017-01-01`, `-0044-03-15`, `999999999-12-31`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_date(f, self.era, self.base)
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
            "999999999-12-31",
            "-999999999-01-01",
            "50000-01-01",
            "49999-12-31",
            "-50000-01-01",
            "-50001-12-31",
            "262144-02-29",
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
        assert_eq!(plus_months("49999-12-31", 1), "50000-01-31");
        assert_eq!(plus_months("2000-02-29", 12 * 400_000), "402000-02-29");
        assert_eq!(plus_months("999999998-12-31", 12), "999999999-12-31");
        assert_eq!(date("999999999-12-01").add_months(1), None);
        assert_eq!(date("2021-01-01").add_months(i64::MAX), None);
        assert_eq!(date("2021-01-01").add_months(i64::MIN), None);
    }

    #[test]
    fn properties() {
        let d = date("2018-12-10");
        assert_eq!(
            (d.year(), d.month(), d.day(), d.weekday()),
            (2018, 12, 10, 1)
        );
        assert_eq!(date("2019-09-22").weekday(), 7);
        // Java's LocalDate.MAX and MIN fall on a Friday and a Monday.
        assert_eq!(date("999999999-12-31").weekday(), 5);
        assert_eq!(date("-999999999-01-01").weekday(), 1);
        assert_eq!(date("-999999999-01-01").year(), -999_999_999);
    }

    #[test]
    fn the_range_is_feels() {
        assert!(Date::new(999_999_999, 12, 31).is_some());
        assert!(Date::new(-999_999_999, 1, 1).is_some());
        assert_eq!(Date::new(1_000_000_000, 1, 1), None);
        assert_eq!(Date::new(i32::MIN, 1, 1), None);
        assert_eq!(
            Date::new(100_000_000, 2, 29),
            Date::parse("100000000-02-29")
        );
        assert_eq!(Date::new(100_000_001, 2, 29), None);
        assert_eq!(date("999999999-12-31").plus_days(1), None);
        assert_eq!(date("-999999999-01-01").plus_days(-1), None);
    }

    #[test]
    fn days_and_order_across_eras() {
        let a = date("-999999999-01-01");
        let b = date("999999999-12-31");
        assert!(a < b);
        assert!(date("49999-12-31") < date("50000-01-01"));
        assert!(date("-50001-12-31") < date("-50000-01-01"));
        let days = b.days_since(a);
        assert_eq!(a.plus_days(days), Some(b));
        assert_eq!(b.plus_days(-days), Some(a));
        assert_eq!(date("50000-01-01").days_since(date("49999-12-31")), 1);
        assert_eq!(date("2000-01-01").days_since(date("1970-01-01")), 10_957);
        // Two 400-year cycles are exactly 292,194 days.
        assert_eq!(date("2800-03-01").days_since(date("2000-03-01")), 292_194);
        assert_eq!(
            date("2024-01-31").naive(),
            NaiveDate::from_ymd_opt(2024, 1, 31)
        );
        assert_eq!(date("999999999-12-31").naive(), None);
    }
}
