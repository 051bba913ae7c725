//! `days and time duration` and `years and months duration`
//! (DMN 1.5 §10.3.2.3.7).

use std::fmt;

use chrono::TimeDelta;

use super::parse::{self, DurationParts};
use crate::value::Number;

pub(crate) const NANOS_PER_SEC: i128 = 1_000_000_000;
const NANOS_PER_MINUTE: i128 = 60 * NANOS_PER_SEC;
const NANOS_PER_HOUR: i128 = 60 * NANOS_PER_MINUTE;
pub(crate) const NANOS_PER_DAY: i128 = 24 * NANOS_PER_HOUR;

/// A days-and-time duration (`P1DT2H`), exact to the nanosecond.
///
/// # Examples
///
/// ```
/// use feel::DayTimeDuration;
///
/// let d = DayTimeDuration::parse("PT49H").unwrap();
/// assert_eq!(d.to_string(), "P2DT1H");
/// assert_eq!(DayTimeDuration::from_seconds(-90).to_string(), "-PT1M30S");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DayTimeDuration(pub(crate) i128);

/// A years-and-months duration (`P1Y2M`), as a number of months.
///
/// # Examples
///
/// ```
/// use feel::YearMonthDuration;
///
/// assert_eq!(YearMonthDuration::parse("P25M").unwrap().to_string(), "P2Y1M");
/// assert_eq!(YearMonthDuration::from_months(0).to_string(), "P0M");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct YearMonthDuration(pub(crate) i64);

impl DayTimeDuration {
    /// The zero duration (`PT0S`).
    pub const ZERO: DayTimeDuration = DayTimeDuration(0);

    /// A duration of `nanos` nanoseconds.
    pub fn from_nanos(nanos: i128) -> Self {
        DayTimeDuration(nanos)
    }

    /// A duration of whole seconds.
    pub fn from_seconds(seconds: i64) -> Self {
        DayTimeDuration(i128::from(seconds) * NANOS_PER_SEC)
    }

    /// Parses an ISO 8601 days-and-time duration (`P1DT2H3M4.5S`, `-PT1H`).
    pub fn parse(s: &str) -> Option<Self> {
        match parse::duration(s)? {
            DurationParts::DayTime(n) => Some(DayTimeDuration(n)),
            DurationParts::YearMonth(_) => None,
        }
    }

    /// The total length in nanoseconds.
    pub fn as_nanos(self) -> i128 {
        self.0
    }

    /// The total length in seconds, with the fraction (`None` beyond ±292
    /// billion years).
    pub fn total_seconds(self) -> Option<Number> {
        nanos_to_seconds(self.0)
    }

    /// The duration as a chrono `TimeDelta`, if it fits.
    pub fn to_time_delta(self) -> Option<TimeDelta> {
        let secs = i64::try_from(self.0.div_euclid(NANOS_PER_SEC)).ok()?;
        let nanos = u32::try_from(self.0.rem_euclid(NANOS_PER_SEC)).ok()?;
        TimeDelta::new(secs, nanos)
    }

    /// The length of a chrono `TimeDelta`.
    pub fn from_time_delta(d: TimeDelta) -> Self {
        DayTimeDuration(i128::from(d.num_seconds()) * NANOS_PER_SEC + i128::from(d.subsec_nanos()))
    }

    /// `self + rhs`, `None` on overflow.
    pub fn checked_add(self, rhs: Self) -> Option<Self> {
        self.0.checked_add(rhs.0).map(DayTimeDuration)
    }

    /// `self - rhs`, `None` on overflow.
    pub fn checked_sub(self, rhs: Self) -> Option<Self> {
        self.0.checked_sub(rhs.0).map(DayTimeDuration)
    }

    /// `-self`, `None` on overflow.
    pub fn checked_neg(self) -> Option<Self> {
        self.0.checked_neg().map(DayTimeDuration)
    }

    /// Scales by a number, truncating to whole nanoseconds; `None` on overflow.
    pub fn checked_mul(self, n: Number) -> Option<Self> {
        seconds_to_nanos(nanos_to_seconds(self.0)?.mul(n)?).map(DayTimeDuration)
    }

    /// Divides by a number, truncating to whole nanoseconds; `None` for zero.
    pub fn checked_div(self, n: Number) -> Option<Self> {
        seconds_to_nanos(nanos_to_seconds(self.0)?.div(n)?).map(DayTimeDuration)
    }

    /// The ratio of two durations; `None` when `rhs` is zero.
    pub fn ratio(self, rhs: Self) -> Option<Number> {
        nanos_to_seconds(self.0)?.div(nanos_to_seconds(rhs.0)?)
    }

    /// The `days` component (whole days, with the duration's sign).
    pub fn days(self) -> i128 {
        self.0 / NANOS_PER_DAY
    }

    /// The `hours` component (0 to ±23).
    pub fn hours(self) -> i128 {
        self.0 % NANOS_PER_DAY / NANOS_PER_HOUR
    }

    /// The `minutes` component (0 to ±59).
    pub fn minutes(self) -> i128 {
        self.0 % NANOS_PER_HOUR / NANOS_PER_MINUTE
    }

    /// The `seconds` component with its fraction (0 to ±59.999999999).
    pub fn seconds(self) -> Number {
        // Below a minute: always representable.
        nanos_to_seconds(self.0 % NANOS_PER_MINUTE).unwrap_or(Number::ZERO)
    }
}

impl YearMonthDuration {
    /// The zero duration (`P0M`).
    pub const ZERO: YearMonthDuration = YearMonthDuration(0);

    /// A duration of `months` months.
    pub fn from_months(months: i64) -> Self {
        YearMonthDuration(months)
    }

    /// Parses an ISO 8601 years-and-months duration (`P1Y2M`, `-P3M`).
    pub fn parse(s: &str) -> Option<Self> {
        match parse::duration(s)? {
            DurationParts::YearMonth(m) => Some(YearMonthDuration(m)),
            DurationParts::DayTime(_) => None,
        }
    }

    /// The total number of months.
    pub fn total_months(self) -> i64 {
        self.0
    }

    /// The `years` component (whole years, with the duration's sign).
    pub fn years(self) -> i64 {
        self.0 / 12
    }

    /// The `months` component (0 to ±11).
    pub fn months(self) -> i64 {
        self.0 % 12
    }

    /// `self + rhs`, `None` on overflow.
    pub fn checked_add(self, rhs: Self) -> Option<Self> {
        self.0.checked_add(rhs.0).map(YearMonthDuration)
    }

    /// `self - rhs`, `None` on overflow.
    pub fn checked_sub(self, rhs: Self) -> Option<Self> {
        self.0.checked_sub(rhs.0).map(YearMonthDuration)
    }

    /// `-self`, `None` on overflow.
    pub fn checked_neg(self) -> Option<Self> {
        self.0.checked_neg().map(YearMonthDuration)
    }

    /// Scales by a number, truncating toward zero to whole months
    /// (`P2M * 1.5 = P3M`, `P1Y11M * 2.5 = P4Y9M`), as feel-scala does.
    pub fn checked_mul(self, n: Number) -> Option<Self> {
        Number::from(self.0)
            .mul(n)?
            .trunc_i64()
            .map(YearMonthDuration)
    }

    /// Divides by a number, truncating toward zero; `None` for zero.
    pub fn checked_div(self, n: Number) -> Option<Self> {
        Number::from(self.0)
            .div(n)?
            .trunc_i64()
            .map(YearMonthDuration)
    }

    /// The ratio of two durations; `None` when `rhs` is zero.
    pub fn ratio(self, rhs: Self) -> Option<Number> {
        Number::from(self.0).div(Number::from(rhs.0))
    }
}

/// Nanoseconds as an exact number of seconds; `None` beyond ±292 billion
/// years, which no date arithmetic can reach anyway.
pub(crate) fn nanos_to_seconds(nanos: i128) -> Option<Number> {
    let whole = Number::from(i64::try_from(nanos / NANOS_PER_SEC).ok()?);
    let frac = i64::try_from(nanos % NANOS_PER_SEC).ok()?;
    if frac == 0 {
        return Some(whole);
    }
    let frac = Number::from(frac).div(Number::from(NANOS_PER_SEC as i64))?;
    whole.add(frac)
}

/// A number of seconds as nanoseconds, truncated toward zero; `None` if out of range.
pub(crate) fn seconds_to_nanos(seconds: Number) -> Option<i128> {
    let whole = seconds.trunc_i64()?;
    let frac = seconds.sub(Number::from(whole))?;
    let frac_nanos = frac.mul(Number::from(NANOS_PER_SEC as i64))?.trunc_i64()?;
    i128::from(whole)
        .checked_mul(NANOS_PER_SEC)?
        .checked_add(i128::from(frac_nanos))
}

impl fmt::Display for DayTimeDuration {
    /// `P1DT2H3M4.5S`; zero is `PT0S`, negative durations start with `-`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 == 0 {
            return f.write_str("PT0S");
        }
        if self.0 < 0 {
            f.write_str("-")?;
        }
        let n = self.0.unsigned_abs();
        let day = NANOS_PER_DAY.unsigned_abs();
        let hour = NANOS_PER_HOUR.unsigned_abs();
        let minute = NANOS_PER_MINUTE.unsigned_abs();
        let sec = NANOS_PER_SEC.unsigned_abs();
        let (days, hours, minutes) = (n / day, n % day / hour, n % hour / minute);
        let (seconds, nanos) = (n % minute / sec, n % sec);
        f.write_str("P")?;
        if days > 0 {
            write!(f, "{days}D")?;
        }
        if hours == 0 && minutes == 0 && seconds == 0 && nanos == 0 {
            return Ok(());
        }
        f.write_str("T")?;
        if hours > 0 {
            write!(f, "{hours}H")?;
        }
        if minutes > 0 {
            write!(f, "{minutes}M")?;
        }
        if seconds > 0 || nanos > 0 {
            write!(f, "{seconds}")?;
            write_fraction(f, nanos as u32)?;
            f.write_str("S")?;
        }
        Ok(())
    }
}

/// Writes `.fff` with trailing zeros removed; nothing for zero.
pub(crate) fn write_fraction(f: &mut impl fmt::Write, nanos: u32) -> fmt::Result {
    if nanos == 0 {
        return Ok(());
    }
    let digits = format!("{nanos:09}");
    write!(f, ".{}", digits.trim_end_matches('0'))
}

impl fmt::Display for YearMonthDuration {
    /// `P1Y2M`; zero is `P0M`, negative durations start with `-`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 == 0 {
            return f.write_str("P0M");
        }
        let sign = if self.0 < 0 { "-" } else { "" };
        let n = self.0.unsigned_abs();
        let (years, months) = (n / 12, n % 12);
        write!(f, "{sign}P")?;
        if years > 0 {
            write!(f, "{years}Y")?;
        }
        if months > 0 {
            write!(f, "{months}M")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dt(s: &str) -> String {
        DayTimeDuration::parse(s).unwrap().to_string()
    }

    fn ym(s: &str) -> String {
        YearMonthDuration::parse(s).unwrap().to_string()
    }

    fn num(s: &str) -> Number {
        Number::parse(s).unwrap()
    }

    #[test]
    fn canonical_day_time_forms() {
        assert_eq!(dt("P1D"), "P1D");
        assert_eq!(dt("-P1D"), "-P1D");
        assert_eq!(dt("P0D"), "PT0S");
        assert_eq!(dt("-PT0S"), "PT0S");
        assert_eq!(dt("P1DT2H3M4.1234S"), "P1DT2H3M4.1234S");
        assert_eq!(dt("PT49H"), "P2DT1H");
        assert_eq!(dt("PT0.5S"), "PT0.5S");
        assert_eq!(dt("-PT0.5S"), "-PT0.5S");
        assert_eq!(dt("PT90M"), "PT1H30M");
        assert_eq!(dt("PT0.000000001S"), "PT0.000000001S");
        assert_eq!(dt("P13DT2H14S"), "P13DT2H14S");
    }

    #[test]
    fn canonical_year_month_forms() {
        assert_eq!(ym("P1Y"), "P1Y");
        assert_eq!(ym("-P1Y"), "-P1Y");
        assert_eq!(ym("P0Y"), "P0M");
        assert_eq!(ym("P25M"), "P2Y1M");
        assert_eq!(ym("-P1Y8M"), "-P1Y8M");
    }

    #[test]
    fn kinds_do_not_cross() {
        assert_eq!(DayTimeDuration::parse("P1Y"), None);
        assert_eq!(YearMonthDuration::parse("P1D"), None);
    }

    #[test]
    fn components_carry_the_sign() {
        let d = DayTimeDuration::parse("-P1DT2H3M4.5S").unwrap();
        assert_eq!((d.days(), d.hours(), d.minutes()), (-1, -2, -3));
        assert_eq!(d.seconds(), num("-4.5"));
        let y = YearMonthDuration::parse("-P1Y2M").unwrap();
        assert_eq!((y.years(), y.months()), (-1, -2));
    }

    #[test]
    fn scaling() {
        let d = |s| DayTimeDuration::parse(s).unwrap();
        let y = |s| YearMonthDuration::parse(s).unwrap();
        assert_eq!(d("P4DT1H").checked_mul(num("1.5")), Some(d("P6DT1H30M")));
        assert_eq!(d("PT23H").checked_mul(num("2.5")), Some(d("P2DT9H30M")));
        assert_eq!(d("P10DT23H").checked_div(num("2.5")), Some(d("P4DT9H12M")));
        assert_eq!(d("P1D").checked_div(num("0")), None);
        assert_eq!(d("P10D").ratio(d("P5D")), Some(num("2")));
        assert_eq!(d("P10D").ratio(DayTimeDuration::ZERO), None);
        assert_eq!(y("P2M").checked_mul(num("-1.5")), Some(y("-P3M")));
        assert_eq!(y("P1Y11M").checked_mul(num("-2.5")), Some(y("-P4Y9M")));
        assert_eq!(y("P10Y11M").checked_div(num("2.5")), Some(y("P4Y4M")));
        assert_eq!(y("P10Y").ratio(y("P5Y")), Some(num("2")));
        assert_eq!(y("P10Y").checked_div(num("0")), None);
        assert_eq!(
            d("PT1S").checked_mul(num("0.0000000001")),
            Some(DayTimeDuration::ZERO)
        );
    }

    #[test]
    fn seconds_conversions_round_trip() {
        for n in [
            0,
            1,
            -1,
            999_999_999,
            -1_500_000_000,
            86_400 * NANOS_PER_SEC * 365 * 5000 + 7,
        ] {
            assert_eq!(
                seconds_to_nanos(nanos_to_seconds(n).unwrap()),
                Some(n),
                "{n}"
            );
        }
    }

    #[test]
    fn overflow_is_none() {
        let max = DayTimeDuration::from_nanos(i128::MAX);
        assert_eq!(max.checked_add(DayTimeDuration::from_nanos(1)), None);
        assert_eq!(max.checked_mul(num("2")), None);
        assert_eq!(
            YearMonthDuration::from_months(i64::MAX).checked_add(YearMonthDuration::from_months(1)),
            None
        );
        assert_eq!(
            YearMonthDuration::from_months(i64::MAX).checked_mul(num("2")),
            None
        );
    }
}
