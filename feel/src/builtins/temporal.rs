//! Temporal conversion functions (DMN 1.5 §10.3.4.1: `date`, `time`,
//! `date and time`, `duration`, `years and months duration`) and the date
//! and time functions (§10.3.4.11: `day of year`, `day of week`,
//! `month of year`, `week of year`, `now`, `today`), plus Camunda's
//! `date and time(date, timezone)` and `last day of month`.
//!
//! Every function accepts a date and time wherever it takes a `date`, using
//! its date part. Bad strings and out-of-range components give null with an
//! `InvalidValue` warning; wrong types give null with an `InvalidType` one.

use chrono::{Datelike, NaiveDate, NaiveTime};

use super::args::Overload;
use super::ctx::Ctx;
use crate::dialect::Dialect;
use crate::error::{Error, WarningKind};
use crate::temporal::{
    parse_duration, parse_duration_signed_parts, Date, DateTime, DayTimeDuration, Time, Zone,
};
use crate::value::{Number, Value};

pub(crate) const FUNCTIONS: &[Overload] = &[
    Overload::new("date", &["from"], date_from),
    Overload::new("date", &["year", "month", "day"], date_from_parts),
    Overload::new("date and time", &["from"], date_time_from),
    // Positional calls with two arguments land here; a string second
    // argument is Camunda's `timezone` form.
    Overload::new("date and time", &["date", "time"], date_time_from_parts),
    Overload::new("date and time", &["date", "timezone"], date_time_in_zone),
    Overload::new("time", &["from"], time_from),
    Overload::new("time", &["hour", "minute", "second"], time_from_parts),
    Overload::new(
        "time",
        &["hour", "minute", "second", "offset"],
        time_from_parts,
    ),
    Overload::new("duration", &["from"], duration_from),
    Overload::new(
        "years and months duration",
        &["from", "to"],
        years_and_months_duration,
    ),
    Overload::new("day of year", &["date"], day_of_year),
    Overload::new("day of week", &["date"], day_of_week),
    Overload::new("month of year", &["date"], month_of_year),
    Overload::new("week of year", &["date"], week_of_year),
    Overload::new("last day of month", &["date"], last_day_of_month),
    Overload::new("now", &[], now),
    Overload::new("today", &[], today),
];

const DATE_TYPES: &str = "date or date and time";

/// The date of a date or a date and time argument.
fn date_arg(v: &Value) -> Option<Date> {
    match v {
        Value::Date(d) => Some(*d),
        Value::DateTime(dt) => Some(dt.date()),
        _ => None,
    }
}

/// `date(from)`: parses `yyyy-mm-dd`, or takes the date of a date and time.
fn date_from(ctx: &mut Ctx<'_>, args: &[Value]) -> Result<Value, Error> {
    Ok(match &args[0] {
        Value::String(s) => match Date::parse(s) {
            Some(d) => Value::Date(d),
            None => ctx.null(
                WarningKind::InvalidValue,
                format!("`from` is not a date (yyyy-mm-dd): \"{s}\""),
            ),
        },
        other => match date_arg(other) {
            Some(d) => Value::Date(d),
            None => ctx.invalid_type("from", "a string or a date and time", other),
        },
    })
}

/// An integer argument, or the warning-carrying null to return.
fn int_arg(ctx: &mut Ctx<'_>, param: &str, v: &Value) -> Result<i64, Value> {
    match v {
        Value::Number(n) => n.to_i64().ok_or_else(|| {
            ctx.null(
                WarningKind::InvalidValue,
                format!("`{param}` must be a whole number, not {n}"),
            )
        }),
        other => Err(ctx.invalid_type(param, "a number", other)),
    }
}

/// `date(year, month, day)`.
fn date_from_parts(ctx: &mut Ctx<'_>, args: &[Value]) -> Result<Value, Error> {
    let parts = (|| {
        let y = int_arg(ctx, "year", &args[0])?;
        let m = int_arg(ctx, "month", &args[1])?;
        let d = int_arg(ctx, "day", &args[2])?;
        let date = i32::try_from(y)
            .ok()
            .zip(u32::try_from(m).ok().zip(u32::try_from(d).ok()))
            .and_then(|(y, (m, d))| Date::new(y, m, d));
        date.ok_or_else(|| {
            ctx.null(
                WarningKind::InvalidValue,
                format!("{y}-{m}-{d} is not a calendar date"),
            )
        })
    })();
    Ok(parts.map_or_else(|null| null, Value::Date))
}

/// `date and time(from)`: parses a date and time string (or a date string,
/// giving midnight).
fn date_time_from(ctx: &mut Ctx<'_>, args: &[Value]) -> Result<Value, Error> {
    Ok(match &args[0] {
        Value::String(s) => {
            let parsed = DateTime::parse(s).or_else(|| Date::parse(s).map(DateTime::at_midnight));
            match parsed {
                Some(dt) => Value::DateTime(dt),
                None => ctx.null(
                    WarningKind::InvalidValue,
                    format!(
                        "`from` is not a date and time (yyyy-mm-ddThh:mm:ss[zone]): \"{s}\"{}",
                        precision_hint(s)
                    ),
                ),
            }
        }
        Value::DateTime(dt) => Value::DateTime(*dt),
        Value::Date(d) => Value::DateTime(DateTime::at_midnight(*d)),
        other => ctx.invalid_type("from", "a string", other),
    })
}

/// `date and time(date, time)`: the date of `date` at `time`, in `time`'s zone.
fn date_time_from_parts(ctx: &mut Ctx<'_>, args: &[Value]) -> Result<Value, Error> {
    if matches!(args[1], Value::String(_)) {
        return date_time_in_zone(ctx, args);
    }
    let Some(date) = date_arg(&args[0]) else {
        return Ok(ctx.invalid_type("date", DATE_TYPES, &args[0]));
    };
    let Value::Time(time) = &args[1] else {
        return Ok(ctx.invalid_type("time", "a time", &args[1]));
    };
    Ok(match DateTime::combine(date, *time) {
        Some(dt) => Value::DateTime(dt),
        None => ctx.null(
            WarningKind::InvalidValue,
            "the date and time is out of range",
        ),
    })
}

/// `date and time(date, timezone)` (Camunda): the same instant in another
/// zone. A local date and time is taken to be UTC.
fn date_time_in_zone(ctx: &mut Ctx<'_>, args: &[Value]) -> Result<Value, Error> {
    let dt = match &args[0] {
        Value::DateTime(dt) => *dt,
        Value::Date(d) => DateTime::at_midnight(*d),
        other => return Ok(ctx.invalid_type("date", DATE_TYPES, other)),
    };
    let Value::String(name) = &args[1] else {
        return Ok(ctx.invalid_type("timezone", "a string", &args[1]));
    };
    let Some(zone) = Zone::parse(name) else {
        return Ok(ctx.null(
            WarningKind::InvalidValue,
            format!("`timezone` is not an offset or IANA zone id: \"{name}\""),
        ));
    };
    Ok(match dt.at_zone(zone) {
        Some(dt) => Value::DateTime(dt),
        None => ctx.null(
            WarningKind::InvalidValue,
            "the date and time is out of range",
        ),
    })
}

/// `time(from)`: parses a time string, or takes the time of a date and time
/// (with its zone); a date gives `00:00:00Z` (as the TCK expects).
fn time_from(ctx: &mut Ctx<'_>, args: &[Value]) -> Result<Value, Error> {
    Ok(match &args[0] {
        Value::String(s) => match Time::parse(s) {
            Some(t) => Value::Time(t),
            None => ctx.null(
                WarningKind::InvalidValue,
                format!(
                    "`from` is not a time (hh:mm:ss[zone]): \"{s}\"{}",
                    precision_hint(s)
                ),
            ),
        },
        Value::DateTime(dt) => Value::Time(dt.time()),
        Value::Date(_) => Value::Time(Time::from_naive(NaiveTime::MIN, Some(Zone::UTC))),
        Value::Time(t) => Value::Time(*t),
        other => ctx.invalid_type("from", "a string or a date and time", other),
    })
}

/// `time(hour, minute, second[, offset])`: `second` may have a fraction;
/// `offset` is a days-and-time duration of whole seconds within ±18 hours,
/// or null for a local time.
fn time_from_parts(ctx: &mut Ctx<'_>, args: &[Value]) -> Result<Value, Error> {
    let built = (|| {
        let hour = int_arg(ctx, "hour", &args[0])?;
        let minute = int_arg(ctx, "minute", &args[1])?;
        let second = match &args[2] {
            Value::Number(n) => *n,
            other => return Err(ctx.invalid_type("second", "a number", other)),
        };
        let zone = match args.get(3) {
            None | Some(Value::Null) => None,
            Some(Value::DayTimeDuration(d)) => Some(offset_zone(*d).ok_or_else(|| {
                ctx.null(
                    WarningKind::InvalidValue,
                    format!("`offset` must be whole seconds within ±18 hours, not {d}"),
                )
            })?),
            Some(other) => {
                return Err(ctx.invalid_type("offset", "a days and time duration", other))
            }
        };
        let (whole, nanos) = split_seconds(second).unwrap_or((-1, 0));
        let time = u32::try_from(hour)
            .ok()
            .zip(u32::try_from(minute).ok())
            .zip(u32::try_from(whole).ok())
            .and_then(|((h, m), s)| Time::new(h, m, s, nanos, zone));
        time.ok_or_else(|| {
            ctx.null(
                WarningKind::InvalidValue,
                format!(
                    "{hour}:{minute}:{second} is not a time of day (0-23, 0-59, 0 to below 60)"
                ),
            )
        })
    })();
    Ok(built.map_or_else(|null| null, Value::Time))
}

/// Whole seconds and nanoseconds of a non-negative number of seconds.
fn split_seconds(s: Number) -> Option<(i64, u32)> {
    if s.is_negative() {
        return None;
    }
    let whole = s.trunc_i64()?;
    let frac = s.sub(Number::from(whole))?;
    let nanos = frac.mul(Number::from(1_000_000_000i64))?.trunc_i64()?;
    Some((whole, u32::try_from(nanos).ok()?))
}

fn offset_zone(d: DayTimeDuration) -> Option<Zone> {
    let nanos = d.as_nanos();
    if nanos % 1_000_000_000 != 0 {
        return None;
    }
    Zone::offset_seconds(i32::try_from(nanos / 1_000_000_000).ok()?)
}

/// Why a temporal string with a long fraction of a second was refused: values
/// are exact to the nanosecond, and cutting a non-zero digit would make two
/// different values equal.
fn precision_hint(s: &str) -> &'static str {
    let long_fraction = s.split('.').skip(1).any(|part| {
        let digits: Vec<u8> = part.bytes().take_while(u8::is_ascii_digit).collect();
        digits.iter().skip(9).any(|&b| b != b'0')
    });
    if long_fraction {
        " (seconds are exact to the nanosecond: at most nine fractional digits that are not zero)"
    } else {
        ""
    }
}

/// `duration(from)`: an ISO 8601 duration of either kind. In the Camunda
/// dialect each component may carry its own sign (`PT-5M`), as `java.time`
/// reads durations; XML Schema, and so the standard, allows only a leading one.
fn duration_from(ctx: &mut Ctx<'_>, args: &[Value]) -> Result<Value, Error> {
    let parse = match ctx.dialect() {
        Dialect::Standard => parse_duration,
        Dialect::Camunda => parse_duration_signed_parts,
    };
    Ok(match &args[0] {
        Value::String(s) => match parse(s) {
            Some(v) => v,
            None => ctx.null(
                WarningKind::InvalidValue,
                format!(
                    "`from` is not a days-and-time or years-and-months duration: \"{s}\"{}",
                    precision_hint(s)
                ),
            ),
        },
        v @ (Value::DayTimeDuration(_) | Value::YearMonthDuration(_)) => v.clone(),
        other => ctx.invalid_type("from", "a string", other),
    })
}

/// `years and months duration(from, to)`: the whole months between the two
/// dates (the time of day is ignored), as `java.time.Period` counts them.
fn years_and_months_duration(ctx: &mut Ctx<'_>, args: &[Value]) -> Result<Value, Error> {
    let Some(from) = date_arg(&args[0]) else {
        return Ok(ctx.invalid_type("from", DATE_TYPES, &args[0]));
    };
    let Some(to) = date_arg(&args[1]) else {
        return Ok(ctx.invalid_type("to", DATE_TYPES, &args[1]));
    };
    Ok(Value::YearMonthDuration(
        crate::temporal::YearMonthDuration::from_months(months_between(from, to)),
    ))
}

/// Whole months from `a` to `b`, truncated toward zero.
fn months_between(a: Date, b: Date) -> i64 {
    let month_index = |d: Date| i64::from(d.year()) * 12 + i64::from(d.month()) - 1;
    let mut months = month_index(b) - month_index(a);
    let days = i64::from(b.day()) - i64::from(a.day());
    if months > 0 && days < 0 {
        months -= 1;
    } else if months < 0 && days > 0 {
        months += 1;
    }
    months
}

/// Applies `f` to the date of a date or date and time argument named `date`,
/// given as a chrono date with the same calendar facts (see `Date::proxy`).
fn with_date(ctx: &mut Ctx<'_>, v: &Value, f: impl FnOnce(NaiveDate) -> Value) -> Value {
    match date_arg(v) {
        Some(d) => f(d.proxy()),
        None => ctx.invalid_type("date", DATE_TYPES, v),
    }
}

/// `day of year(date)`: 1 to 366.
fn day_of_year(ctx: &mut Ctx<'_>, args: &[Value]) -> Result<Value, Error> {
    Ok(with_date(ctx, &args[0], |d| {
        Value::from(i64::from(d.ordinal()))
    }))
}

const DAY_NAMES: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

const MONTH_NAMES: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// `day of week(date)`: the English name of the day (`"Tuesday"`).
fn day_of_week(ctx: &mut Ctx<'_>, args: &[Value]) -> Result<Value, Error> {
    Ok(with_date(ctx, &args[0], |d| {
        Value::from(DAY_NAMES[d.weekday().num_days_from_monday() as usize])
    }))
}

/// `month of year(date)`: the English name of the month (`"September"`).
fn month_of_year(ctx: &mut Ctx<'_>, args: &[Value]) -> Result<Value, Error> {
    Ok(with_date(ctx, &args[0], |d| {
        Value::from(MONTH_NAMES[d.month0() as usize])
    }))
}

/// `week of year(date)`: the ISO 8601 week number, 1 to 53.
fn week_of_year(ctx: &mut Ctx<'_>, args: &[Value]) -> Result<Value, Error> {
    Ok(with_date(ctx, &args[0], |d| {
        Value::from(i64::from(d.iso_week().week()))
    }))
}

/// `last day of month(date)` (Camunda): the last date of the date's month.
fn last_day_of_month(ctx: &mut Ctx<'_>, args: &[Value]) -> Result<Value, Error> {
    let Some(d) = date_arg(&args[0]) else {
        return Ok(ctx.invalid_type("date", DATE_TYPES, &args[0]));
    };
    let first = d
        .proxy()
        .with_day(1)
        .and_then(|f| Date::from_era(i64::from(d.era()), f));
    let last = first
        .and_then(|f| f.add_months(1))
        .and_then(|next| next.plus_days(-1));
    Ok(match last {
        Some(l) => Value::Date(l),
        None => ctx.null(WarningKind::InvalidValue, "the date is out of range"),
    })
}

/// `now()`: the engine clock's current date and time, with its offset.
fn now(ctx: &mut Ctx<'_>, _args: &[Value]) -> Result<Value, Error> {
    Ok(Value::DateTime(DateTime::from_chrono(ctx.now())))
}

/// `today()`: the engine clock's current date (in the clock's offset).
fn today(ctx: &mut Ctx<'_>, _args: &[Value]) -> Result<Value, Error> {
    Ok(Value::Date(Date::from_naive(ctx.now().date_naive())))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::call_builtin;
    use crate::temporal::parse_literal;

    fn s(x: &str) -> Value {
        Value::from(x)
    }

    fn n(x: &str) -> Value {
        Value::Number(Number::parse(x).unwrap())
    }

    fn at(x: &str) -> Value {
        parse_literal(x).unwrap()
    }

    /// The result as its canonical string ("null" for null), and whether a
    /// warning came with a null.
    fn call(name: &str, args: &[Value]) -> String {
        let (v, warnings) = call_builtin(name, args);
        let shown = match &v {
            Value::Null => "null".to_owned(),
            Value::String(x) => x.to_string(),
            Value::Date(d) => d.to_string(),
            Value::Time(t) => t.to_string(),
            Value::DateTime(t) => t.to_string(),
            Value::DayTimeDuration(d) => d.to_string(),
            Value::YearMonthDuration(d) => d.to_string(),
            other => other.to_string(),
        };
        if v.is_null() {
            assert!(!warnings.is_empty(), "{name}: null without a warning");
            assert!(
                warnings[0].message.starts_with(name),
                "{}",
                warnings[0].message
            );
        } else {
            assert!(warnings.is_empty(), "{name}: {warnings:?}");
        }
        shown
    }

    #[test]
    fn date_conversions() {
        assert_eq!(call("date", &[s("2017-01-01")]), "2017-01-01");
        assert_eq!(call("date", &[s("-2017-01-01")]), "-2017-01-01");
        assert_eq!(call("date", &[s("2017-13-01")]), "null");
        assert_eq!(call("date", &[s("2023-02-29")]), "null");
        assert_eq!(call("date", &[s("")]), "null");
        assert_eq!(call("date", &[at("2012-12-25T11:00:00Z")]), "2012-12-25");
        assert_eq!(call("date", &[n("2017")]), "null");
        assert_eq!(call("date", &[n("2012"), n("12"), n("25")]), "2012-12-25");
        assert_eq!(call("date", &[n("2024"), n("2"), n("29")]), "2024-02-29");
        assert_eq!(call("date", &[n("2024"), n("6"), n("31")]), "null");
        assert_eq!(call("date", &[n("2024"), n("1.5"), n("1")]), "null");
        assert_eq!(call("date", &[n("2024"), n("-1"), n("1")]), "null");
        assert_eq!(call("date", &[n("99999999999"), n("1"), n("1")]), "null");
        assert_eq!(call("date", &[s("2024"), n("1"), n("1")]), "null");
    }

    #[test]
    fn date_and_time_conversions() {
        assert_eq!(
            call("date and time", &[s("2016-12-24T23:59:00-08:00")]),
            "2016-12-24T23:59:00-08:00"
        );
        assert_eq!(
            call("date and time", &[s("2018-12-10")]),
            "2018-12-10T00:00:00"
        );
        assert_eq!(
            call("date and time", &[s("2018-12-10T10:30:00@Etc/UTC")]),
            "2018-12-10T10:30:00@Etc/UTC"
        );
        assert_eq!(
            call("date and time", &[s("2018-12-10T10:30:00@Mars/Olympus")]),
            "null"
        );
        assert_eq!(call("date and time", &[s("2012T-12-2511:00:00Z")]), "null");
        assert_eq!(call("date and time", &[n("1")]), "null");
        assert_eq!(
            call(
                "date and time",
                &[at("2017-08-10T10:20:00"), at("23:59:01.987654321")]
            ),
            "2017-08-10T23:59:01.987654321"
        );
        assert_eq!(
            call("date and time", &[at("2012-12-24"), at("23:59:00+01:00")]),
            "2012-12-24T23:59:00+01:00"
        );
        assert_eq!(
            call(
                "date and time",
                &[at("2012-12-24"), at("23:59:00@Europe/Paris")]
            ),
            "2012-12-24T23:59:00@Europe/Paris"
        );
        assert_eq!(call("date and time", &[at("2012-12-24"), s("x")]), "null");
        assert_eq!(call("date and time", &[at("2012-12-24"), n("1")]), "null");
        assert_eq!(
            call("date and time", &[at("10:00:00"), at("10:00:00")]),
            "null"
        );
    }

    #[test]
    fn date_and_time_in_a_zone() {
        let berlin = at("2020-07-31T14:27:30@Europe/Berlin");
        assert_eq!(
            call("date and time", &[berlin.clone(), s("America/Los_Angeles")]),
            "2020-07-31T05:27:30@America/Los_Angeles"
        );
        assert_eq!(
            call("date and time", &[berlin.clone(), s("Z")]),
            "2020-07-31T12:27:30Z"
        );
        assert_eq!(
            call("date and time", &[berlin.clone(), s("+05:30")]),
            "2020-07-31T17:57:30+05:30"
        );
        assert_eq!(
            call("date and time", &[at("2020-07-31T14:27:30"), s("Z")]),
            "2020-07-31T14:27:30Z"
        );
        assert_eq!(call("date and time", &[berlin, s("Nowhere")]), "null");
    }

    #[test]
    fn time_conversions() {
        assert_eq!(call("time", &[s("11:22:33.444")]), "11:22:33.444");
        assert_eq!(call("time", &[s("11:22:33-00:00")]), "11:22:33Z");
        assert_eq!(
            call("time", &[s("00:01:00@Europe/Paris")]),
            "00:01:00@Europe/Paris"
        );
        assert_eq!(call("time", &[s("23:59:60")]), "null");
        assert_eq!(call("time", &[s("13:20:00+19:00")]), "null");
        assert_eq!(
            call("time", &[at("2017-08-10T10:20:00-01:00")]),
            "10:20:00-01:00"
        );
        assert_eq!(
            call("time", &[at("2017-09-04T11:20:00@Asia/Dhaka")]),
            "11:20:00@Asia/Dhaka"
        );
        assert_eq!(call("time", &[at("2017-08-10")]), "00:00:00Z");
        assert_eq!(call("time", &[n("2017")]), "null");
        assert_eq!(call("time", &[Value::list([])]), "null");
    }

    #[test]
    fn time_from_parts() {
        let d = |x: &str| at(x);
        assert_eq!(call("time", &[n("23"), n("59"), n("0")]), "23:59:00");
        assert_eq!(
            call("time", &[n("12"), n("0"), n("0"), Value::Null]),
            "12:00:00"
        );
        assert_eq!(
            call("time", &[n("12"), n("59"), n("1.3"), d("-PT1H")]),
            "12:59:01.3-01:00"
        );
        assert_eq!(
            call("time", &[n("11"), n("59"), n("45"), d("PT0H")]),
            "11:59:45Z"
        );
        assert_eq!(
            call("time", &[n("11"), n("59"), n("0"), d("PT2H1M")]),
            "11:59:00+02:01"
        );
        assert_eq!(
            call("time", &[n("11"), n("59"), n("45"), d("-PT2H45M55S")]),
            "11:59:45-02:45:55"
        );
        assert_eq!(
            call("time", &[n("24"), n("59"), n("45"), Value::Null]),
            "null"
        );
        assert_eq!(
            call("time", &[n("-24"), n("59"), n("45"), Value::Null]),
            "null"
        );
        assert_eq!(
            call("time", &[n("23"), n("60"), n("45"), Value::Null]),
            "null"
        );
        assert_eq!(
            call("time", &[n("23"), n("59"), n("60"), Value::Null]),
            "null"
        );
        assert_eq!(call("time", &[n("23"), n("59"), n("-1")]), "null");
        assert_eq!(
            call("time", &[Value::Null, n("11"), n("45"), d("P0D")]),
            "null"
        );
        assert_eq!(
            call("time", &[n("12"), n("11"), Value::Null, Value::Null]),
            "null"
        );
        assert_eq!(call("time", &[n("12"), n("0"), n("0"), d("PT19H")]), "null");
        assert_eq!(
            call("time", &[n("12"), n("0"), n("0"), d("PT0.5S")]),
            "null"
        );
        assert_eq!(call("time", &[n("12"), n("0"), n("0"), d("P1Y")]), "null");
    }

    #[test]
    fn duration_conversions() {
        assert_eq!(call("duration", &[s("P13DT2H14S")]), "P13DT2H14S");
        assert_eq!(call("duration", &[s("P0D")]), "PT0S");
        assert_eq!(call("duration", &[s("P25M")]), "P2Y1M");
        assert_eq!(call("duration", &[s("P1Y2D")]), "null");
        assert_eq!(call("duration", &[s("")]), "null");
        assert_eq!(call("duration", &[n("1")]), "null");
    }

    #[test]
    fn years_and_months_between() {
        let ym = |a: &str, b: &str| call("years and months duration", &[at(a), at(b)]);
        assert_eq!(ym("2011-12-22", "2013-08-24"), "P1Y8M");
        assert_eq!(ym("2013-08-24", "2011-12-22"), "-P1Y8M");
        assert_eq!(ym("2016-01-01", "2016-01-01"), "P0M");
        assert_eq!(ym("2017-12-31T13:00:00", "2017-12-31T12:00:00"), "P0M");
        assert_eq!(ym("2016-09-30T23:25:00", "2017-12-28T12:12:12"), "P1Y2M");
        assert_eq!(ym("-2016-01-30T09:05:00", "-2017-02-28T02:02:02"), "-P11M");
        assert_eq!(
            ym("2014-12-31T23:59:59", "-2019-10-01T12:32:59"),
            "-P4033Y2M"
        );
        assert_eq!(
            ym("2017-09-05T10:20:00-01:00", "-2019-10-01T12:32:59+02:00"),
            "-P4035Y11M"
        );
        assert_eq!(ym("2014-12-31T23:59:59", "2016-12-31T00:00:01"), "P2Y");
        assert_eq!(ym("2013-08-24", "2017-12-15T00:59:59"), "P4Y3M");
        assert_eq!(
            call(
                "years and months duration",
                &[at("2017-08-11"), Value::Null]
            ),
            "null"
        );
        assert_eq!(
            call("years and months duration", &[n("1"), at("2017-08-11")]),
            "null"
        );
    }

    #[test]
    fn date_functions() {
        assert_eq!(call("day of year", &[at("1970-01-01")]), "1");
        assert_eq!(call("day of year", &[at("2020-12-31T10:10:10")]), "366");
        assert_eq!(call("day of year", &[at("2019-09-17")]), "260");
        assert_eq!(call("day of year", &[s("foo")]), "null");
        assert_eq!(call("day of week", &[at("2019-09-17")]), "Tuesday");
        assert_eq!(call("day of week", &[at("2019-09-22T10:10:10")]), "Sunday");
        assert_eq!(call("day of week", &[Value::Null]), "null");
        assert_eq!(call("month of year", &[at("2019-09-17")]), "September");
        assert_eq!(
            call("month of year", &[at("2019-01-17T00:00:00Z")]),
            "January"
        );
        assert_eq!(call("week of year", &[at("2019-09-17")]), "38");
        assert_eq!(call("week of year", &[at("2003-12-29")]), "1");
        assert_eq!(call("week of year", &[at("2004-01-01")]), "1");
        assert_eq!(call("week of year", &[at("2010-01-01")]), "53");
        assert_eq!(call("week of year", &[at("1970-01-01T10:10:10")]), "1");
        assert_eq!(call("last day of month", &[at("2022-10-01")]), "2022-10-31");
        assert_eq!(
            call("last day of month", &[at("2024-02-16T12:00:00")]),
            "2024-02-29"
        );
        assert_eq!(call("last day of month", &[at("2023-12-05")]), "2023-12-31");
        assert_eq!(call("last day of month", &[n("1")]), "null");
    }

    #[test]
    fn clock_functions_read_the_engine_clock() {
        let (now_v, _) = call_builtin("now", &[]);
        let (today_v, _) = call_builtin("today", &[]);
        let (Value::DateTime(now_dt), Value::Date(today_d)) = (now_v, today_v) else {
            panic!("now() and today() must be a date and time and a date");
        };
        assert!(now_dt.offset().is_some());
        // The two calls may straddle midnight, but never by more than a day.
        let gap = now_dt.date().days_since(today_d).abs();
        assert!(gap <= 1);
    }
}
