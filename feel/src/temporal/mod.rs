//! FEEL dates, times, date-times and durations, built on chrono.
//!
//! SKELETON: the types and the interface the evaluator uses. The full
//! implementation (parsing, arithmetic, comparison, properties) is in progress.

use std::cmp::Ordering;
use std::fmt;

use chrono::{FixedOffset, NaiveDate, NaiveDateTime, NaiveTime};

use crate::value::Value;

/// A time zone: a fixed offset or an IANA zone id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Zone {
    /// A fixed offset from UTC (`+01:00`, `Z`).
    Offset(FixedOffset),
    /// An IANA zone (`Europe/Paris`).
    Id(chrono_tz::Tz),
}

/// A calendar date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Date(pub(crate) NaiveDate);

/// A time of day with an optional zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Time {
    pub(crate) time: NaiveTime,
    pub(crate) zone: Option<Zone>,
}

/// A date and time with an optional zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateTime {
    pub(crate) local: NaiveDateTime,
    pub(crate) zone: Option<Zone>,
}

/// A days-and-time duration, in nanoseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DayTimeDuration(pub(crate) i128);

/// A years-and-months duration, in months.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct YearMonthDuration(pub(crate) i64);

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.format("%Y-%m-%d"))
    }
}

impl fmt::Display for Time {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.time.format("%H:%M:%S"))
    }
}

impl fmt::Display for DateTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.local.format("%Y-%m-%dT%H:%M:%S"))
    }
}

impl fmt::Display for DayTimeDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PT{}S", self.0 / 1_000_000_000)
    }
}

impl fmt::Display for YearMonthDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "P{}M", self.0)
    }
}

/// Parses the text of an `@"…"` literal: a date, time, date and time or duration.
pub(crate) fn parse_literal(_s: &str) -> Option<Value> {
    None
}

/// `a + b` where either side is temporal; `None` when the combination is not defined.
pub(crate) fn add(_a: &Value, _b: &Value) -> Option<Value> {
    None
}

/// `a - b` where either side is temporal.
pub(crate) fn sub(_a: &Value, _b: &Value) -> Option<Value> {
    None
}

/// `a * b`: a duration and a number.
pub(crate) fn mul(_a: &Value, _b: &Value) -> Option<Value> {
    None
}

/// `a / b`: a duration by a number, or a duration by a duration.
pub(crate) fn div(_a: &Value, _b: &Value) -> Option<Value> {
    None
}

/// FEEL ordering of two temporal values of one kind; `None` if not comparable.
pub(crate) fn compare(_a: &Value, _b: &Value) -> Option<Ordering> {
    None
}

/// FEEL equality of two temporal values; `None` if they cannot be compared.
pub(crate) fn equal(_a: &Value, _b: &Value) -> Option<bool> {
    None
}

/// A property (`year`, `time offset`, `days`, …) of a temporal value.
pub(crate) fn property(_v: &Value, _name: &str) -> Option<Value> {
    None
}
