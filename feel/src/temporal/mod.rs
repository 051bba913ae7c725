//! FEEL dates, times, date-times and durations (DMN 1.5 §10.3.2.3.4–7),
//! built on chrono and chrono-tz.
//!
//! One file per type ([`Date`], [`Time`], [`DateTime`], the two durations,
//! [`Zone`]), the lexical forms in `parse.rs` and the operator tables in
//! `arith.rs`. This module holds the interface the evaluator calls:
//! [`parse_literal`] for `@"…"`, the arithmetic operators, ordering and
//! equality, and the properties (`x.year`, `d.hours`, …).
//!
//! Rules where the spec leaves a choice (matching feel-scala and the TCK):
//!
//! * Offsets and zone ids are kept apart: `+01:00` never turns into
//!   `Europe/Paris` or back; `Z`, `+00:00` and `-00:00` are one offset.
//! * A zoned and a local value (time or date and time) are not comparable and
//!   cannot be subtracted: the result is null.
//! * In arithmetic a date stands for midnight UTC (`date - date and time`
//!   needs a zoned date and time). In comparisons a date is midnight local
//!   against a local date and time, midnight UTC against a zoned one.
//! * DST: see [`DateTime`] (gaps move forward, overlaps take the earlier
//!   offset) and [`Time`] (zone-id times use their zone's offset on a fixed
//!   reference date when compared across zones).
//! * `24:00:00` is accepted as midnight at the end of the day.
//! * Multiplying or dividing a duration truncates toward zero (to whole
//!   months, or whole nanoseconds).

mod arith;
mod date;
mod date_time;
mod duration;
mod parse;
#[cfg(test)]
mod props;
mod time;
mod zone;

use std::cmp::Ordering;

pub use date::Date;
pub use date_time::DateTime;
pub use duration::{DayTimeDuration, YearMonthDuration};
pub use time::Time;
pub use zone::Zone;

use crate::value::{Number, Value};

/// Parses the text of an `@"…"` literal: a date, time, date and time or
/// duration; `None` if it is none of them.
pub(crate) fn parse_literal(s: &str) -> Option<Value> {
    if s.starts_with('P') || s.starts_with("-P") {
        return parse_duration(s);
    }
    if s.as_bytes().get(2) == Some(&b':') {
        return Time::parse(s).map(Value::Time);
    }
    // A zone id may contain a `T` too (`Etc/UTC`), so look at the date part.
    if s.split_once('@').map_or(s, |(head, _)| head).contains('T') {
        DateTime::parse(s).map(Value::DateTime)
    } else {
        Date::parse(s).map(Value::Date)
    }
}

/// Parses either kind of duration.
pub(crate) fn parse_duration(s: &str) -> Option<Value> {
    duration_value(parse::duration(s)?)
}

/// Parses either kind of duration, each component with an optional `-` of its
/// own (`PT-5M`), as Camunda does.
pub(crate) fn parse_duration_signed_parts(s: &str) -> Option<Value> {
    duration_value(parse::duration_signed_parts(s)?)
}

fn duration_value(parts: parse::DurationParts) -> Option<Value> {
    match parts {
        parse::DurationParts::YearMonth(m) => Some(Value::YearMonthDuration(YearMonthDuration(m))),
        parse::DurationParts::DayTime(n) => Some(Value::DayTimeDuration(DayTimeDuration(n))),
    }
}

/// `a + b` where either side is temporal; `None` when the combination is not
/// defined (`date + date`) or the result is out of range.
pub(crate) fn add(a: &Value, b: &Value) -> Option<Value> {
    arith::add(a, b)
}

/// `a - b` where either side is temporal; `None` when not defined (a zoned
/// minus a local date and time) or out of range.
pub(crate) fn sub(a: &Value, b: &Value) -> Option<Value> {
    arith::sub(a, b)
}

/// Whether `a op b` is one of the temporal operations the spec defines
/// (then a `None` from [`add`] and friends means out of range).
pub(crate) fn defined(op: char, a: &Value, b: &Value) -> bool {
    arith::defined(op, a, b)
}

/// `a * b`: a duration and a number, either way round.
pub(crate) fn mul(a: &Value, b: &Value) -> Option<Value> {
    arith::mul(a, b)
}

/// `a / b`: a duration by a number, or a duration by a duration of its kind.
pub(crate) fn div(a: &Value, b: &Value) -> Option<Value> {
    arith::div(a, b)
}

/// FEEL ordering of two temporal values of one kind (or a date and a date and
/// time); `None` if they are not comparable.
pub(crate) fn compare(a: &Value, b: &Value) -> Option<Ordering> {
    arith::compare(a, b)
}

/// FEEL equality of two temporal values: equal instants for zoned values,
/// equal readings for local ones; `None` if they cannot be compared.
pub(crate) fn equal(a: &Value, b: &Value) -> Option<bool> {
    arith::compare(a, b).map(Ordering::is_eq)
}

/// A property (`year`, `time offset`, `days`, …) of a temporal value.
///
/// `Some(Value::Null)` when the property exists but has no value here (the
/// `timezone` of a local time); `None` when the kind has no such property.
pub(crate) fn property(v: &Value, name: &str) -> Option<Value> {
    let int = |i: i64| Some(Value::Number(Number::from(i)));
    match v {
        Value::Date(d) => date_property(*d, name),
        Value::DateTime(dt) => match name {
            "hour" | "minute" | "second" | "time offset" | "timezone" => {
                time_property(dt.time(), dt.offset(), name)
            }
            _ => date_property(dt.date(), name),
        },
        Value::Time(t) => time_property(*t, t.offset(), name),
        Value::DayTimeDuration(d) => match name {
            "days" => Some(Value::Number(i128_number(d.days())?)),
            "hours" => int(d.hours() as i64),
            "minutes" => int(d.minutes() as i64),
            "seconds" => Some(Value::Number(d.seconds())),
            _ => None,
        },
        Value::YearMonthDuration(d) => match name {
            "years" => int(d.years()),
            "months" => int(d.months()),
            _ => None,
        },
        _ => None,
    }
}

fn i128_number(i: i128) -> Option<Number> {
    i64::try_from(i).ok().map(Number::from)
}

fn date_property(d: Date, name: &str) -> Option<Value> {
    let n = match name {
        "year" => Number::from(d.year()),
        "month" => Number::from(d.month()),
        "day" => Number::from(d.day()),
        "weekday" => Number::from(d.weekday()),
        _ => return None,
    };
    Some(Value::Number(n))
}

/// `offset` is the offset in force (a date and time in a zone id has one; a
/// time in a zone id has none).
fn time_property(t: Time, offset: Option<chrono::FixedOffset>, name: &str) -> Option<Value> {
    Some(match name {
        "hour" => Value::Number(Number::from(t.hour())),
        "minute" => Value::Number(Number::from(t.minute())),
        "second" => {
            let nanos =
                i128::from(t.second()) * duration::NANOS_PER_SEC + i128::from(t.nanosecond());
            Value::Number(duration::nanos_to_seconds(nanos)?)
        }
        "time offset" => match offset {
            Some(o) => Value::DayTimeDuration(arith::offset_duration(o)),
            None => Value::Null,
        },
        "timezone" => match t.zone() {
            Some(z) => Value::from(z.name()),
            None => Value::Null,
        },
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lit(s: &str) -> Value {
        parse_literal(s).unwrap_or_else(|| panic!("bad literal {s}"))
    }

    /// A property as a display string; "none" for an unknown property.
    fn prop(s: &str, name: &str) -> String {
        match property(&lit(s), name) {
            Some(Value::String(s)) => s.to_string(),
            Some(Value::DayTimeDuration(d)) => d.to_string(),
            Some(v) => v.to_string(),
            None => "none".to_owned(),
        }
    }

    #[test]
    fn literals_pick_the_kind() {
        assert!(matches!(lit("2019-03-31"), Value::Date(_)));
        assert!(matches!(lit("2018-12-08T10:30:11"), Value::DateTime(_)));
        assert!(matches!(lit("10:30:11+11:00"), Value::Time(_)));
        assert!(matches!(lit("10:30:11@Etc/UTC"), Value::Time(_)));
        assert!(matches!(
            lit("2018-12-08T10:30:11@Etc/UTC"),
            Value::DateTime(_)
        ));
        assert!(matches!(lit("P10D"), Value::DayTimeDuration(_)));
        assert!(matches!(lit("-P10Y"), Value::YearMonthDuration(_)));
        for bad in ["foo", "", "2019-02-29", "P", "10:30", "T10:00:00", "P1Y1D"] {
            assert_eq!(parse_literal(bad), None, "{bad}");
        }
    }

    #[test]
    fn date_properties() {
        assert_eq!(prop("2018-12-10", "year"), "2018");
        assert_eq!(prop("2018-12-10", "month"), "12");
        assert_eq!(prop("2018-12-10", "day"), "10");
        assert_eq!(prop("2018-12-10", "weekday"), "1");
        assert_eq!(prop("2018-12-10", "hour"), "none");
    }

    #[test]
    fn date_time_properties() {
        let dt = "2018-12-10T10:30:01.25+05:00";
        assert_eq!(prop(dt, "year"), "2018");
        assert_eq!(prop(dt, "weekday"), "1");
        assert_eq!(prop(dt, "hour"), "10");
        assert_eq!(prop(dt, "minute"), "30");
        assert_eq!(prop(dt, "second"), "1.25");
        assert_eq!(prop(dt, "time offset"), "PT5H");
        assert_eq!(prop(dt, "timezone"), "+05:00");
        assert_eq!(prop("2018-12-10T10:30:00", "time offset"), "null");
        assert_eq!(prop("2018-12-10T10:30:00", "timezone"), "null");
        assert_eq!(prop("2018-12-10T10:30:00@Etc/UTC", "timezone"), "Etc/UTC");
        assert_eq!(
            prop("2018-07-10T10:30:00@Europe/Paris", "time offset"),
            "PT2H"
        );
        assert_eq!(prop("2018-12-10T10:30:00-01:30", "time offset"), "-PT1H30M");
        assert_eq!(prop(dt, "days"), "none");
    }

    #[test]
    fn time_properties() {
        assert_eq!(prop("10:30:01", "hour"), "10");
        assert_eq!(prop("10:30:01", "minute"), "30");
        assert_eq!(prop("10:30:01", "second"), "1");
        assert_eq!(prop("10:30:00+05:00", "time offset"), "PT5H");
        assert_eq!(prop("10:30:00Z", "time offset"), "PT0S");
        assert_eq!(prop("10:30:00", "time offset"), "null");
        assert_eq!(prop("10:30:00@Europe/Paris", "time offset"), "null");
        assert_eq!(prop("10:30:00@Europe/Paris", "timezone"), "Europe/Paris");
        assert_eq!(prop("10:30:00", "year"), "none");
    }

    #[test]
    fn duration_properties() {
        assert_eq!(prop("P1Y2M", "years"), "1");
        assert_eq!(prop("P2M", "years"), "0");
        assert_eq!(prop("P1Y", "months"), "0");
        assert_eq!(prop("-P1Y2M", "months"), "-2");
        assert_eq!(prop("P1Y", "days"), "none");
        assert_eq!(prop("P1D", "days"), "1");
        assert_eq!(prop("PT2H", "days"), "0");
        assert_eq!(prop("P1DT2H3M4.5S", "hours"), "2");
        assert_eq!(prop("P1DT2H3M4.5S", "minutes"), "3");
        assert_eq!(prop("P1DT2H3M4.5S", "seconds"), "4.5");
        assert_eq!(prop("PT49H", "days"), "2");
        assert_eq!(prop("P1D", "years"), "none");
    }

    #[test]
    fn equality_is_by_value() {
        let eq = |a: &str, b: &str| equal(&lit(a), &lit(b));
        assert_eq!(eq("2018-12-10", "2018-12-10"), Some(true));
        assert_eq!(eq("10:00:00+01:00", "09:00:00Z"), Some(true));
        assert_eq!(eq("10:00:00", "10:00:00Z"), None);
        assert_eq!(
            eq("2018-12-10T10:00:00@Europe/Paris", "2018-12-10T09:00:00Z"),
            Some(true)
        );
        assert_eq!(
            eq("2018-12-10T10:00:00", "2018-12-10T10:00:00.000"),
            Some(true)
        );
        assert_eq!(eq("PT24H", "P1D"), Some(true));
        assert_eq!(eq("P0D", "P0M"), None);
    }
}
