//! Temporal arithmetic (the semantics tables of DMN 1.5 §10.3.2.9): every
//! defined combination, `None` for the rest and on overflow.

use chrono::FixedOffset;

use super::duration::{NANOS_PER_DAY, NANOS_PER_SEC};
use super::zone::UTC_OFFSET;
use super::{Date, DateTime, DayTimeDuration, Time, Zone};
use crate::value::Value;

type Dt = DayTimeDuration;

/// `a + b`.
pub(crate) fn add(a: &Value, b: &Value) -> Option<Value> {
    use Value as V;
    Some(match (a, b) {
        (V::DayTimeDuration(x), V::DayTimeDuration(y)) => V::DayTimeDuration(x.checked_add(*y)?),
        (V::YearMonthDuration(x), V::YearMonthDuration(y)) => {
            V::YearMonthDuration(x.checked_add(*y)?)
        }
        (V::Date(d), V::DayTimeDuration(x)) | (V::DayTimeDuration(x), V::Date(d)) => {
            V::Date(date_plus(*d, *x)?)
        }
        (V::Date(d), V::YearMonthDuration(m)) | (V::YearMonthDuration(m), V::Date(d)) => {
            V::Date(d.add_months(m.total_months())?)
        }
        (V::DateTime(t), V::DayTimeDuration(x)) | (V::DayTimeDuration(x), V::DateTime(t)) => {
            V::DateTime(t.add_duration(*x)?)
        }
        (V::DateTime(t), V::YearMonthDuration(m)) | (V::YearMonthDuration(m), V::DateTime(t)) => {
            V::DateTime(t.add_months(m.total_months())?)
        }
        (V::Time(t), V::DayTimeDuration(x)) | (V::DayTimeDuration(x), V::Time(t)) => {
            V::Time(t.add_duration(*x))
        }
        _ => return None,
    })
}

/// `a - b`.
pub(crate) fn sub(a: &Value, b: &Value) -> Option<Value> {
    use Value as V;
    Some(match (a, b) {
        (V::DayTimeDuration(x), V::DayTimeDuration(y)) => V::DayTimeDuration(x.checked_sub(*y)?),
        (V::YearMonthDuration(x), V::YearMonthDuration(y)) => {
            V::YearMonthDuration(x.checked_sub(*y)?)
        }
        (V::Date(d), V::DayTimeDuration(x)) => V::Date(date_plus(*d, x.checked_neg()?)?),
        (V::Date(d), V::YearMonthDuration(m)) => {
            V::Date(d.add_months(m.checked_neg()?.total_months())?)
        }
        (V::DateTime(t), V::DayTimeDuration(x)) => V::DateTime(t.add_duration(x.checked_neg()?)?),
        (V::DateTime(t), V::YearMonthDuration(m)) => {
            V::DateTime(t.add_months(m.checked_neg()?.total_months())?)
        }
        (V::Time(t), V::DayTimeDuration(x)) => V::Time(t.add_duration(x.checked_neg()?)),
        (V::Date(x), V::Date(y)) => {
            V::DayTimeDuration(Dt::from_nanos(i128::from(x.days_since(*y)) * NANOS_PER_DAY))
        }
        (V::DateTime(x), V::DateTime(y)) => V::DayTimeDuration(date_time_diff(*x, *y)?),
        (V::DateTime(x), V::Date(y)) => V::DayTimeDuration(date_time_diff(*x, utc_midnight(*y))?),
        (V::Date(x), V::DateTime(y)) => V::DayTimeDuration(date_time_diff(utc_midnight(*x), *y)?),
        (V::Time(x), V::Time(y)) => V::DayTimeDuration(time_diff(*x, *y)?),
        _ => return None,
    })
}

/// Whether `a op b` (`op` one of `+ - * /`) is defined for these kinds, so
/// that a `None` from the operation means the result was out of range rather
/// than that the operation does not apply.
pub(crate) fn defined(op: char, a: &Value, b: &Value) -> bool {
    use Value as V;
    let duration = |v: &Value| matches!(v, V::DayTimeDuration(_) | V::YearMonthDuration(_));
    let same_kind = a.kind() == b.kind();
    // In a difference, a date counts as UTC midnight, and local and zoned
    // values do not mix.
    let zoned = |v: &Value| match v {
        V::DateTime(d) => d.zone.is_some(),
        V::Time(t) => t.zone.is_some(),
        _ => true,
    };
    match op {
        '+' => {
            (duration(a) && same_kind)
                || matches!(
                    (a, b),
                    (
                        V::Date(_) | V::DateTime(_),
                        V::DayTimeDuration(_) | V::YearMonthDuration(_)
                    ) | (
                        V::DayTimeDuration(_) | V::YearMonthDuration(_),
                        V::Date(_) | V::DateTime(_)
                    ) | (V::Time(_), V::DayTimeDuration(_))
                        | (V::DayTimeDuration(_), V::Time(_))
                )
        }
        '-' => {
            (duration(a) && same_kind)
                || matches!(
                    (a, b),
                    (
                        V::Date(_) | V::DateTime(_),
                        V::DayTimeDuration(_) | V::YearMonthDuration(_)
                    ) | (V::Time(_), V::DayTimeDuration(_))
                )
                || (matches!(
                    (a, b),
                    (V::Date(_) | V::DateTime(_), V::Date(_) | V::DateTime(_))
                        | (V::Time(_), V::Time(_))
                ) && zoned(a) == zoned(b))
        }
        '*' => {
            (duration(a) && matches!(b, V::Number(_))) || (duration(b) && matches!(a, V::Number(_)))
        }
        '/' => duration(a) && (matches!(b, V::Number(_)) || same_kind),
        _ => false,
    }
}

/// `a * b`: a duration and a number, either way round.
pub(crate) fn mul(a: &Value, b: &Value) -> Option<Value> {
    use Value as V;
    Some(match (a, b) {
        (V::DayTimeDuration(x), V::Number(n)) | (V::Number(n), V::DayTimeDuration(x)) => {
            V::DayTimeDuration(x.checked_mul(*n)?)
        }
        (V::YearMonthDuration(x), V::Number(n)) | (V::Number(n), V::YearMonthDuration(x)) => {
            V::YearMonthDuration(x.checked_mul(*n)?)
        }
        _ => return None,
    })
}

/// `a / b`: a duration by a number, or a duration by one of its kind.
pub(crate) fn div(a: &Value, b: &Value) -> Option<Value> {
    use Value as V;
    Some(match (a, b) {
        (V::DayTimeDuration(x), V::Number(n)) => V::DayTimeDuration(x.checked_div(*n)?),
        (V::YearMonthDuration(x), V::Number(n)) => V::YearMonthDuration(x.checked_div(*n)?),
        (V::DayTimeDuration(x), V::DayTimeDuration(y)) => V::Number(x.ratio(*y)?),
        (V::YearMonthDuration(x), V::YearMonthDuration(y)) => V::Number(x.ratio(*y)?),
        _ => return None,
    })
}

/// A date moved by a days-and-time duration: the date of midnight plus the
/// duration (`2021-01-02 - PT1H = 2021-01-01`, `2021-01-01 + PT36H = 2021-01-02`).
fn date_plus(d: Date, x: Dt) -> Option<Date> {
    Some(DateTime::at_midnight(d).add_duration(x)?.date())
}

/// A date as a date and time: midnight UTC, as the spec's value of a date is
/// (so `date - date and time` works with zoned values only, like feel-scala
/// and the TCK).
pub(crate) fn utc_midnight(d: Date) -> DateTime {
    let (era, local) = d.midnight();
    DateTime {
        era,
        local,
        zone: Some((Zone::Offset(UTC_OFFSET), UTC_OFFSET)),
    }
}

/// Two local values or two zoned values; `None` for a mix (DMN 1.5: the
/// difference of a zoned and a local value is not defined).
fn date_time_pair(x: DateTime, y: DateTime) -> Option<(i128, i128)> {
    match (x.zone, y.zone) {
        (None, None) => Some((x.local_nanos(), y.local_nanos())),
        (Some(_), Some(_)) => Some((x.utc_nanos()?, y.utc_nanos()?)),
        _ => None,
    }
}

fn date_time_diff(x: DateTime, y: DateTime) -> Option<Dt> {
    let (a, b) = date_time_pair(x, y)?;
    Some(Dt::from_nanos(a.checked_sub(b)?))
}

/// Both local, both in one zone id (wall-clock difference), or both zoned
/// (difference of the UTC views); `None` for a mix.
fn time_pair(x: Time, y: Time) -> Option<(i128, i128)> {
    match (x.zone, y.zone) {
        (None, None) => Some((x.nanos_of_day(), y.nanos_of_day())),
        (Some(Zone::Id(a)), Some(Zone::Id(b))) if a == b => {
            Some((x.nanos_of_day(), y.nanos_of_day()))
        }
        (Some(_), Some(_)) => Some((x.utc_nanos()?, y.utc_nanos()?)),
        _ => None,
    }
}

fn time_diff(x: Time, y: Time) -> Option<Dt> {
    let (a, b) = time_pair(x, y)?;
    Some(Dt::from_nanos(a - b))
}

/// FEEL ordering of two temporal values (same kind, or a date and a date
/// and time); `None` when not comparable.
pub(crate) fn compare(a: &Value, b: &Value) -> Option<std::cmp::Ordering> {
    use Value as V;
    match (a, b) {
        (V::Date(x), V::Date(y)) => Some(x.cmp(y)),
        (V::DayTimeDuration(x), V::DayTimeDuration(y)) => Some(x.cmp(y)),
        (V::YearMonthDuration(x), V::YearMonthDuration(y)) => Some(x.cmp(y)),
        (V::Time(x), V::Time(y)) => {
            let (a, b) = time_pair(*x, *y)?;
            Some(a.cmp(&b))
        }
        (V::DateTime(x), V::DateTime(y)) => {
            let (a, b) = date_time_pair(*x, *y)?;
            Some(a.cmp(&b))
        }
        (V::Date(x), V::DateTime(y)) => compare(&V::DateTime(date_as(*x, *y)), b),
        (V::DateTime(x), V::Date(y)) => compare(a, &V::DateTime(date_as(*y, *x))),
        _ => None,
    }
}

/// A date compared with a date and time: midnight of that day, local when
/// the other value is local, UTC when it is zoned.
fn date_as(d: Date, other: DateTime) -> DateTime {
    match other.zone {
        None => DateTime::at_midnight(d),
        Some(_) => utc_midnight(d),
    }
}

/// Whole seconds of an offset as a duration.
pub(crate) fn offset_duration(o: FixedOffset) -> Dt {
    Dt::from_nanos(i128::from(o.local_minus_utc()) * NANOS_PER_SEC)
}

#[cfg(test)]
mod tests {
    use std::cmp::Ordering;

    use super::*;
    use crate::temporal::parse_literal;
    use crate::value::Number;

    fn v(s: &str) -> Value {
        parse_literal(s).unwrap_or_else(|| panic!("bad literal {s}"))
    }

    fn n(s: &str) -> Value {
        Value::Number(Number::parse(s).unwrap())
    }

    /// The canonical string of a temporal result, or "null".
    fn show(r: Option<Value>) -> String {
        match r {
            Some(Value::Date(d)) => d.to_string(),
            Some(Value::Time(t)) => t.to_string(),
            Some(Value::DateTime(t)) => t.to_string(),
            Some(Value::DayTimeDuration(d)) => d.to_string(),
            Some(Value::YearMonthDuration(d)) => d.to_string(),
            Some(other) => other.to_string(),
            None => "null".to_owned(),
        }
    }

    fn plus(a: &str, b: &str) -> String {
        let r = show(add(&v(a), &v(b)));
        assert_eq!(r, show(add(&v(b), &v(a))), "{a} + {b} is not symmetric");
        r
    }

    fn minus(a: &str, b: &str) -> String {
        show(sub(&v(a), &v(b)))
    }

    fn cmp(a: &str, b: &str) -> Option<Ordering> {
        compare(&v(a), &v(b))
    }

    #[test]
    fn date_plus_durations() {
        assert_eq!(plus("2021-01-01", "P1Y"), "2022-01-01");
        assert_eq!(plus("2021-01-01", "P1M"), "2021-02-01");
        assert_eq!(plus("2024-01-31", "P1M"), "2024-02-29");
        assert_eq!(plus("2021-01-01", "P1D"), "2021-01-02");
        assert_eq!(plus("2021-01-01", "PT36H"), "2021-01-02");
        assert_eq!(plus("2021-01-01", "PT48H"), "2021-01-03");
        assert_eq!(plus("2021-01-01", "2021-01-01"), "null");
        assert_eq!(plus("2021-01-01", "10:10:10"), "null");
    }

    #[test]
    fn date_minus_durations() {
        assert_eq!(minus("2021-01-02", "P1Y"), "2020-01-02");
        assert_eq!(minus("2021-01-02", "P1M"), "2020-12-02");
        assert_eq!(minus("2024-03-31", "P1M"), "2024-02-29");
        assert_eq!(minus("2021-01-02", "-P1Y"), "2022-01-02");
        assert_eq!(minus("2021-01-02", "PT1S"), "2021-01-01");
        assert_eq!(minus("2021-01-02", "-PT1H"), "2021-01-02");
        assert_eq!(minus("2021-01-02", "PT25H"), "2020-12-31");
        assert_eq!(minus("2021-01-02", "-PT24H"), "2021-01-03");
        assert_eq!(minus("2020-03-01", "PT24H"), "2020-02-29");
    }

    #[test]
    fn date_time_plus_durations() {
        assert_eq!(plus("2021-01-01T10:10:10", "P1Y"), "2022-01-01T10:10:10");
        assert_eq!(plus("2021-01-01T10:10:10", "-P1M"), "2020-12-01T10:10:10");
        assert_eq!(
            plus("2021-01-01T10:10:10+11:00", "P1M"),
            "2021-02-01T10:10:10+11:00"
        );
        assert_eq!(
            plus("-2021-01-01T10:10:10+11:00", "-P1M"),
            "-2022-12-01T10:10:10+11:00"
        );
        assert_eq!(
            plus("2021-01-12T10:10:10@Australia/Melbourne", "P1DT1H"),
            "2021-01-13T11:10:10@Australia/Melbourne"
        );
        assert_eq!(plus("2021-01-01T24:00:00", "-PT1S"), "2021-01-01T23:59:59");
        assert_eq!(plus("2021-01-01T10:10:10", "2021-01-01T10:10:10"), "null");
        assert_eq!(plus("2021-01-01T10:10:10", "10:10:10"), "null");
    }

    #[test]
    fn date_time_minus_durations() {
        assert_eq!(minus("2021-01-01T10:10:10", "P1Y"), "2020-01-01T10:10:10");
        assert_eq!(minus("2021-01-01T10:10:10", "-P1M"), "2021-02-01T10:10:10");
        assert_eq!(minus("2021-01-02T00:00:00", "PT1H"), "2021-01-01T23:00:00");
        assert_eq!(
            minus("-2021-01-01T10:10:10@Australia/Melbourne", "P1D"),
            "-2022-12-31T10:10:10@Australia/Melbourne"
        );
        assert_eq!(minus("2021-03-31T10:00:00Z", "P1M"), "2021-02-28T10:00:00Z");
    }

    #[test]
    fn differences_of_dates_and_date_times() {
        assert_eq!(minus("2021-01-02", "2021-01-01"), "P1D");
        assert_eq!(minus("2021-01-02", "1995-01-01"), "P9498D");
        assert_eq!(minus("2021-01-01", "2021-01-02"), "-P1D");
        assert_eq!(minus("2021-01-02T10:10:10", "2021-01-01T10:10:10"), "P1D");
        assert_eq!(
            minus(
                "2021-01-02T10:10:10@Europe/Paris",
                "2021-01-01T10:10:10@Asia/Dhaka"
            ),
            "P1DT5H"
        );
        assert_eq!(
            minus(
                "2021-01-02T10:10:10+01:00",
                "2021-01-01T10:10:10@Europe/Paris"
            ),
            "P1D"
        );
        assert_eq!(
            minus(
                "2021-01-02T10:10:10@Europe/Paris",
                "1995-01-01T10:10:10@Asia/Dhaka"
            ),
            "P9498DT5H"
        );
        // Zoned and local do not mix.
        assert_eq!(
            minus("2021-01-02T10:10:10@Europe/Paris", "2021-01-01T10:10:10"),
            "null"
        );
        assert_eq!(
            minus("2021-01-02T10:10:10", "2021-01-01T10:10:10+02:00"),
            "null"
        );
        // A date is midnight UTC.
        assert_eq!(minus("2021-01-02T00:00:00Z", "2021-01-02"), "PT0S");
        assert_eq!(
            minus("2021-01-02T10:10:10@Europe/Paris", "2021-01-01"),
            "P1DT9H10M10S"
        );
        assert_eq!(
            minus("2021-01-02", "2021-01-01T10:10:10+11:00"),
            "P1DT49M50S"
        );
        assert_eq!(
            minus("2021-01-02", "1995-01-01T10:10:10@Australia/Melbourne"),
            "P9498DT49M50S"
        );
        assert_eq!(minus("2021-01-01T00:00:00", "2021-01-02"), "null");
        assert_eq!(minus("2021-01-02", "2021-01-01T10:10:10"), "null");
        // Across a DST change, the difference is on the time line.
        assert_eq!(
            minus(
                "2021-03-28T12:00:00@Europe/Paris",
                "2021-03-27T12:00:00@Europe/Paris"
            ),
            "PT23H"
        );
    }

    #[test]
    fn times() {
        assert_eq!(plus("10:15:00", "PT1H"), "11:15:00");
        assert_eq!(plus("10:15:00+11:00", "P1D"), "10:15:00+11:00");
        assert_eq!(
            plus("10:15:00@Australia/Melbourne", "-PT1H"),
            "09:15:00@Australia/Melbourne"
        );
        assert_eq!(plus("10:15:00", "P1Y"), "null");
        assert_eq!(minus("10:10:10", "PT1H"), "09:10:10");
        assert_eq!(minus("10:10:10+11:00", "P1D"), "10:10:10+11:00");
        assert_eq!(minus("10:10:10", "09:10:10"), "PT1H");
        assert_eq!(minus("10:10:10", "11:10:10"), "-PT1H");
        assert_eq!(minus("10:10:10+11:00", "11:10:10+11:00"), "-PT1H");
        assert_eq!(
            minus(
                "10:10:10@Australia/Melbourne",
                "09:10:10@Australia/Melbourne"
            ),
            "PT1H"
        );
        assert_eq!(minus("10:00:00+01:00", "09:00:00Z"), "PT0S");
        assert_eq!(minus("10:10:10", "09:10:10Z"), "null");
        assert_eq!(minus("10:10:10", "P1Y"), "null");
    }

    #[test]
    fn durations() {
        assert_eq!(plus("P1Y", "-P2M"), "P10M");
        assert_eq!(plus("P1D", "PT24H"), "P2D");
        assert_eq!(plus("P1D", "P1Y"), "null");
        assert_eq!(minus("-P1Y", "P2M"), "-P1Y2M");
        assert_eq!(minus("P1D", "PT2H"), "PT22H");
        assert_eq!(minus("-P1D", "-PT2H"), "-PT22H");
        assert_eq!(minus("P1D", "P1Y"), "null");
    }

    #[test]
    fn scaling() {
        let times = |a: &Value, b: &Value| {
            let r = show(mul(a, b));
            assert_eq!(r, show(mul(b, a)));
            r
        };
        assert_eq!(times(&n("10"), &v("-P1D")), "-P10D");
        assert_eq!(times(&n("26"), &v("PT1H")), "P1DT2H");
        assert_eq!(times(&n("0"), &v("P1D")), "PT0S");
        assert_eq!(times(&n("1.5"), &v("P4DT1H")), "P6DT1H30M");
        assert_eq!(times(&n("26"), &v("P1M")), "P2Y2M");
        assert_eq!(times(&n("-2.5"), &v("P1Y11M")), "-P4Y9M");
        assert_eq!(times(&n("0"), &v("P1M")), "P0M");
        assert_eq!(times(&v("P1D"), &v("P1D")), "null");
        assert_eq!(times(&n("2"), &v("2021-01-01")), "null");
        assert_eq!(show(div(&v("P10Y11M"), &n("-2.5"))), "-P4Y4M");
        assert_eq!(show(div(&v("P10DT23H"), &n("2.5"))), "P4DT9H12M");
        assert_eq!(show(div(&v("P10D"), &v("P5D"))), "2");
        assert_eq!(show(div(&v("P10Y"), &v("P5Y"))), "2");
        assert_eq!(show(div(&v("P10D"), &n("0"))), "null");
        assert_eq!(show(div(&v("P10D"), &v("P0D"))), "null");
        assert_eq!(show(div(&v("P10D"), &v("P0Y"))), "null");
        assert_eq!(show(div(&n("10"), &v("P1D"))), "null");
    }

    #[test]
    fn comparisons() {
        assert_eq!(cmp("2018-12-01", "2018-12-02"), Some(Ordering::Less));
        assert_eq!(cmp("10:00:00+01:00", "09:00:00Z"), Some(Ordering::Equal));
        assert_eq!(cmp("10:00:00", "09:00:00Z"), None);
        assert_eq!(
            cmp("10:00:00@Europe/Paris", "11:00:00@Europe/Paris"),
            Some(Ordering::Less)
        );
        assert_eq!(
            cmp("2018-12-08T10:30:00+01:00", "2018-12-08T09:30:00Z"),
            Some(Ordering::Equal)
        );
        assert_eq!(
            cmp("2018-12-08T10:30:00@Europe/Paris", "2018-12-08T09:31:00Z"),
            Some(Ordering::Less)
        );
        assert_eq!(cmp("2018-12-08T10:30:00", "2018-12-08T10:30:00Z"), None);
        assert_eq!(
            cmp("2018-12-08", "2018-12-08T00:00:00"),
            Some(Ordering::Equal)
        );
        assert_eq!(
            cmp("2018-12-08T00:00:01", "2018-12-08"),
            Some(Ordering::Greater)
        );
        assert_eq!(
            cmp("2018-12-08", "2018-12-08T00:30:00+01:00"),
            Some(Ordering::Greater)
        );
        assert_eq!(cmp("P1D", "PT24H"), Some(Ordering::Equal));
        assert_eq!(cmp("P1Y", "P12M"), Some(Ordering::Equal));
        assert_eq!(cmp("P1Y", "P1D"), None);
        assert_eq!(cmp("2018-12-08", "10:00:00"), None);
        // The two occurrences of 02:30 in Paris on 2021-10-31 differ.
        assert_eq!(
            cmp(
                "2021-10-31T02:30:00+02:00[Europe/Paris]",
                "2021-10-31T02:30:00+01:00[Europe/Paris]"
            ),
            Some(Ordering::Less)
        );
    }

    #[test]
    fn defined_says_when_none_means_out_of_range() {
        assert!(defined('+', &v("2021-01-01"), &v("P1D")));
        assert!(defined('+', &v("P1Y"), &v("2021-01-01T00:00:00")));
        assert!(!defined('+', &v("2021-01-01"), &v("2021-01-01")));
        assert!(defined('-', &v("2021-01-01"), &v("2021-01-01T00:00:00Z")));
        assert!(!defined('-', &v("2021-01-01"), &v("2021-01-01T00:00:00")));
        assert!(!defined('-', &v("10:00:00"), &v("10:00:00Z")));
        assert!(defined('*', &n("2"), &v("P1M")));
        assert!(defined('/', &v("P1M"), &v("P2M")));
        assert!(!defined('/', &v("P1M"), &v("P1D")));
        assert!(!defined('+', &v("10:00:00"), &v("P1Y")));
    }

    #[test]
    fn overflow_is_none() {
        assert_eq!(plus("2021-01-01", "P999999999Y"), "null");
        assert_eq!(
            plus("2021-01-01T00:00:00Z", "P99999999999D"),
            "273792721-09-13T00:00:00Z"
        );
        assert_eq!(plus("2021-01-01T00:00:00Z", "P999999999999D"), "null");
        assert_eq!(minus("2021-01-01", "P999999999999D"), "null");
    }
}
