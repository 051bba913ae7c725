//! The lexical forms of FEEL temporal strings (XML Schema's, as DMN 1.5
//! §10.3.4.1 prescribes), parsed by hand: nothing is accepted that the
//! grammar below does not describe.
//!
//! ```text
//! date      = ["-"] yyyy{y} "-" mm "-" dd
//! time      = hh ":" mm ":" ss ["." digits] [zone]      (24:00:00 allowed)
//! zone      = "Z" | ("+"|"-") hh ":" mm [":" ss] ["[" iana "]"] | "@" iana
//! date-time = date "T" time
//! duration  = ["-"] "P" [n "Y"] [n "M"] [n "D"] ["T" [n "H"] [n "M"] [n ["." digits] "S"]]
//! ```
//!
//! A duration is either years-and-months (only `Y`/`M`) or days-and-time
//! (only `D` and the `T` part): FEEL has no type for a mix, so `P1Y2D` is
//! rejected.
//!
//! Camunda (through `java.time`'s `Duration.parse` and `Period.parse`) also
//! lets each component carry its own sign: `PT-5M`, `P-1Y-2M`, `PT1H-30M`.
//! [`duration_signed_parts`] reads those; [`duration`] keeps to XML Schema.

use chrono::{FixedOffset, NaiveTime};

use super::zone::parse_offset;
use super::{Date, Zone};

const NANOS_PER_SEC: i128 = 1_000_000_000;

/// A time zone suffix as written.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Suffix {
    /// No zone: a local time.
    Local,
    /// `Z` or `±hh:mm`.
    Offset(FixedOffset),
    /// `@Europe/Paris`, or `+01:00[Europe/Paris]` (whose offset picks the
    /// instant when the wall-clock time happens twice).
    Id(chrono_tz::Tz, Option<FixedOffset>),
}

impl Suffix {
    /// The zone, if any.
    pub(crate) fn zone(self) -> Option<Zone> {
        match self {
            Suffix::Local => None,
            Suffix::Offset(o) => Some(Zone::Offset(o)),
            Suffix::Id(tz, _) => Some(Zone::Id(tz)),
        }
    }
}

/// A parsed time of day. `end_of_day` is set for `24:00:00`, which stands for
/// midnight at the end of the day.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct TimeParts {
    pub time: NaiveTime,
    pub end_of_day: bool,
    pub suffix: Suffix,
}

/// A parsed duration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DurationParts {
    /// Total months.
    YearMonth(i64),
    /// Total nanoseconds.
    DayTime(i128),
}

struct Cursor<'a> {
    s: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn new(s: &'a str) -> Self {
        Cursor {
            s: s.as_bytes(),
            pos: 0,
        }
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.pos).copied()
    }

    fn eat(&mut self, b: u8) -> bool {
        if self.peek() == Some(b) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    /// A run of ASCII digits (possibly empty).
    fn digits(&mut self) -> &'a [u8] {
        let start = self.pos;
        while self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.pos += 1;
        }
        &self.s[start..self.pos]
    }

    /// Exactly two digits.
    fn two(&mut self) -> Option<u32> {
        let d = self.digits();
        (d.len() == 2).then(|| u32::from(d[0] - b'0') * 10 + u32::from(d[1] - b'0'))
    }

    fn rest(&self) -> &'a [u8] {
        &self.s[self.pos..]
    }

    fn at_end(&self) -> bool {
        self.pos == self.s.len()
    }
}

/// The value of a digit run, `None` if it is empty or too large.
fn number(d: &[u8]) -> Option<u128> {
    if d.is_empty() || d.len() > 30 {
        return None;
    }
    d.iter().try_fold(0u128, |acc, &b| {
        acc.checked_mul(10)?.checked_add(u128::from(b - b'0'))
    })
}

/// Fraction digits as nanoseconds. Values are exact to the nanosecond, so a
/// fraction with a non-zero digit beyond the ninth is refused (`None`)
/// rather than cut: two values that differ there would otherwise compare
/// equal. Trailing zeros are fine.
fn fraction_nanos(d: &[u8]) -> Option<u32> {
    if d.iter().skip(9).any(|&b| b != b'0') {
        return None;
    }
    Some(
        d.iter()
            .chain(std::iter::repeat(&b'0'))
            .take(9)
            .fold(0, |acc, &b| acc * 10 + u32::from(b - b'0')),
    )
}

fn date_at(c: &mut Cursor<'_>) -> Option<Date> {
    let negative = c.eat(b'-');
    let year = c.digits();
    // XML Schema: at least four digits, no superfluous leading zero; FEEL:
    // at most 999,999,999.
    if year.len() < 4 || (year.len() > 4 && year[0] == b'0') || year.len() > 9 {
        return None;
    }
    let year = i32::try_from(number(year)?).ok()?;
    let year = if negative { -year } else { year };
    if !c.eat(b'-') {
        return None;
    }
    let month = c.two()?;
    if !c.eat(b'-') {
        return None;
    }
    let day = c.two()?;
    Date::new(year, month, day)
}

fn time_at(c: &mut Cursor<'_>) -> Option<TimeParts> {
    let hour = c.two()?;
    if !c.eat(b':') {
        return None;
    }
    let minute = c.two()?;
    if !c.eat(b':') {
        return None;
    }
    let second = c.two()?;
    let nanos = if c.eat(b'.') {
        let f = c.digits();
        if f.is_empty() {
            return None;
        }
        fraction_nanos(f)?
    } else {
        0
    };
    let end_of_day = hour == 24 && minute == 0 && second == 0 && nanos == 0;
    if !(hour < 24 || end_of_day) || minute > 59 || second > 59 {
        return None;
    }
    let time = if end_of_day {
        NaiveTime::MIN
    } else {
        NaiveTime::from_hms_nano_opt(hour, minute, second, nanos)?
    };
    let suffix = suffix(c.rest())?;
    Some(TimeParts {
        time,
        end_of_day,
        suffix,
    })
}

fn suffix(rest: &[u8]) -> Option<Suffix> {
    let rest = std::str::from_utf8(rest).ok()?;
    if rest.is_empty() {
        return Some(Suffix::Local);
    }
    if rest.eq_ignore_ascii_case("z") {
        return Some(Suffix::Offset(FixedOffset::east_opt(0)?));
    }
    if let Some(id) = rest.strip_prefix('@') {
        return match Zone::parse(id)? {
            Zone::Id(tz) => Some(Suffix::Id(tz, None)),
            Zone::Offset(_) => None,
        };
    }
    if let Some((offset, id)) = rest.split_once('[') {
        let offset = parse_offset(offset)?;
        return match Zone::parse(id.strip_suffix(']')?)? {
            Zone::Id(tz) => Some(Suffix::Id(tz, Some(offset))),
            Zone::Offset(_) => None,
        };
    }
    parse_offset(rest).map(Suffix::Offset)
}

/// `yyyy-mm-dd`.
pub(crate) fn date(s: &str) -> Option<Date> {
    let mut c = Cursor::new(s);
    let d = date_at(&mut c)?;
    c.at_end().then_some(d)
}

/// `hh:mm:ss[.f][zone]`, optionally after ISO 8601's time designator `T`
/// (feel-scala documents `time("T23:59:00")`).
pub(crate) fn time(s: &str) -> Option<TimeParts> {
    time_at(&mut Cursor::new(s.strip_prefix('T').unwrap_or(s)))
}

/// `yyyy-mm-ddThh:mm:ss[.f][zone]`.
pub(crate) fn date_time(s: &str) -> Option<(Date, TimeParts)> {
    let mut c = Cursor::new(s);
    let d = date_at(&mut c)?;
    if !c.eat(b'T') {
        return None;
    }
    Some((d, time_at(&mut c)?))
}

/// An ISO 8601 duration of one of FEEL's two kinds.
pub(crate) fn duration(s: &str) -> Option<DurationParts> {
    duration_with(s, false)
}

/// A duration whose components may each have a `-` (Camunda's dialect):
/// `PT-5M` is minus five minutes, `-PT-5M` plus five.
pub(crate) fn duration_signed_parts(s: &str) -> Option<DurationParts> {
    duration_with(s, true)
}

/// A component's number, with its own `-` when `signed` allows one.
fn component(c: &mut Cursor<'_>, signed: bool) -> Option<(bool, i128)> {
    let negative = signed && c.eat(b'-');
    Some((negative, i128::try_from(number(c.digits())?).ok()?))
}

fn duration_with(s: &str, signed: bool) -> Option<DurationParts> {
    let mut c = Cursor::new(s);
    let negative = c.eat(b'-');
    if !c.eat(b'P') {
        return None;
    }
    let (mut months, mut nanos) = (0i128, 0i128);
    let (mut has_ym, mut has_dt) = (false, false);
    // Designators in their required order; each at most once.
    let mut order = 0;
    while !c.at_end() && c.peek() != Some(b'T') {
        let (minus, n) = component(&mut c, signed)?;
        let n = if minus { -n } else { n };
        let (rank, value) = match c.peek()? {
            b'Y' => (1, n.checked_mul(12)?),
            b'M' => (2, n),
            b'D' => (3, n.checked_mul(86_400 * NANOS_PER_SEC)?),
            _ => return None,
        };
        if rank <= order {
            return None;
        }
        order = rank;
        c.pos += 1;
        if rank == 3 {
            has_dt = true;
            nanos = nanos.checked_add(value)?;
        } else {
            has_ym = true;
            months = months.checked_add(value)?;
        }
    }
    if c.eat(b'T') {
        has_dt = true;
        let mut any = false;
        let mut order = 0;
        while !c.at_end() {
            let (minus, n) = component(&mut c, signed)?;
            let frac = if c.eat(b'.') {
                let f = c.digits();
                if f.is_empty() {
                    return None;
                }
                Some(i128::from(fraction_nanos(f)?))
            } else {
                None
            };
            let (rank, unit) = match c.peek()? {
                b'H' => (1, 3600),
                b'M' => (2, 60),
                b'S' => (3, 1),
                _ => return None,
            };
            if rank <= order || (frac.is_some() && rank != 3) {
                return None;
            }
            order = rank;
            c.pos += 1;
            any = true;
            let value = n
                .checked_mul(unit * NANOS_PER_SEC)?
                .checked_add(frac.unwrap_or(0))?;
            nanos = nanos.checked_add(if minus { -value } else { value })?;
        }
        if !any {
            return None;
        }
    }
    match (has_ym, has_dt) {
        (true, false) => {
            let m = i64::try_from(months).ok()?;
            Some(DurationParts::YearMonth(if negative { -m } else { m }))
        }
        (false, true) => Some(DurationParts::DayTime(if negative {
            -nanos
        } else {
            nanos
        })),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ym(s: &str) -> Option<i64> {
        match duration(s)? {
            DurationParts::YearMonth(m) => Some(m),
            DurationParts::DayTime(_) => None,
        }
    }

    fn dt(s: &str) -> Option<i128> {
        match duration(s)? {
            DurationParts::DayTime(n) => Some(n),
            DurationParts::YearMonth(_) => None,
        }
    }

    #[test]
    fn dates() {
        assert_eq!(date("2017-01-01"), Date::new(2017, 1, 1));
        assert_eq!(date("2024-02-29"), Date::new(2024, 2, 29));
        assert_eq!(date("-2017-02-28"), Date::new(-2017, 2, 28));
        assert_eq!(date("12017-01-01"), Date::new(12017, 1, 1));
        assert_eq!(date("999999999-12-31"), Date::new(999_999_999, 12, 31));
        assert_eq!(date("-999999999-01-01"), Date::new(-999_999_999, 1, 1));
        for bad in [
            "2017-13-01",
            "2023-02-29",
            "2017-06-31",
            "2017-1-01",
            "17-01-01",
            "2017-01-01T",
            "02017-01-01",
            "1000000000-01-01",
            "-1000000000-01-01",
            "9999999999-12-27",
            "",
            "2017/01/01",
            " 2017-01-01",
        ] {
            assert_eq!(date(bad), None, "{bad}");
        }
    }

    #[test]
    fn fractions_beyond_nanoseconds_are_refused_not_cut() {
        assert!(time("10:00:00.1234567891").is_none());
        assert!(time("10:00:00.1234567890000").is_some());
        assert!(date_time("2018-12-08T10:00:00.0000000001Z").is_none());
        assert_eq!(duration("PT0.0000000001S"), None);
        assert_eq!(
            duration("PT0.1000000000S"),
            Some(DurationParts::DayTime(NANOS_PER_SEC / 10))
        );
    }

    #[test]
    fn times() {
        let t = time("11:22:33.123456789").unwrap();
        assert_eq!(
            t.time,
            NaiveTime::from_hms_nano_opt(11, 22, 33, 123_456_789).unwrap()
        );
        assert_eq!(t.suffix, Suffix::Local);
        assert!(time("24:00:00").unwrap().end_of_day);
        assert!(!time("00:00:00").unwrap().end_of_day);
        assert!(matches!(
            time("10:00:00@Europe/Paris").unwrap().suffix,
            Suffix::Id(_, None)
        ));
        assert!(matches!(
            time("10:00:00+01:00[Europe/Paris]").unwrap().suffix,
            Suffix::Id(_, Some(_))
        ));
        for bad in [
            "23:59:60",
            "24:00:01",
            "24:01:00",
            "25:00:00",
            "00:60:00",
            "00:00:61",
            "7:00:00",
            "07:1:00",
            "07:01:2",
            "13:20:00@xyz/abc",
            "13:20:00+19:00",
            "13:20:00+5:00",
            "13:20:00+02:00@Europe/Paris",
            "7:20",
            "11:30:00T",
            "10:00:00.",
            "10:00:00@+01:00",
            "",
        ] {
            assert_eq!(time(bad), None, "{bad}");
        }
    }

    #[test]
    fn date_times() {
        assert!(date_time("2017-01-01T10:00:00Z").is_some());
        assert!(date_time("-2017-01-01T10:00:00+11:00").is_some());
        assert!(date_time("2021-01-01T24:00:00").unwrap().1.end_of_day);
        assert_eq!(date_time("2017-01-01"), None);
        assert_eq!(date_time("2017-01-01 10:00:00"), None);
        assert_eq!(date_time("2012T-12-2511:00:00Z"), None);
    }

    #[test]
    fn durations() {
        assert_eq!(ym("P1Y2M"), Some(14));
        assert_eq!(ym("-P3M"), Some(-3));
        assert_eq!(ym("P0Y"), Some(0));
        assert_eq!(dt("P1DT2H"), Some((26 * 3600) * NANOS_PER_SEC));
        assert_eq!(dt("-PT0.5S"), Some(-NANOS_PER_SEC / 2));
        assert_eq!(dt("PT1M"), Some(60 * NANOS_PER_SEC));
        assert_eq!(dt("P0D"), Some(0));
        for bad in [
            "P", "PT", "-P", "P1Y2D", "P1YT1H", "P1D1Y", "PT1S1M", "P1H", "PT1D", "P1.5D",
            "PT1.5M", "P-1D", "1D", "P1DT", "PT1.S", "P1W", "", "p1d",
        ] {
            assert_eq!(duration(bad), None, "{bad}");
        }
    }

    #[test]
    fn durations_with_signed_parts() {
        let dt = |s| match duration_signed_parts(s)? {
            DurationParts::DayTime(n) => Some(n),
            DurationParts::YearMonth(_) => None,
        };
        let ym = |s| match duration_signed_parts(s)? {
            DurationParts::YearMonth(m) => Some(m),
            DurationParts::DayTime(_) => None,
        };
        assert_eq!(dt("PT-5M"), Some(-300 * NANOS_PER_SEC));
        assert_eq!(dt("-PT-5M"), Some(300 * NANOS_PER_SEC));
        assert_eq!(dt("P-1D"), Some(-86_400 * NANOS_PER_SEC));
        assert_eq!(dt("PT1H-30M"), Some(1800 * NANOS_PER_SEC));
        assert_eq!(dt("PT-3M-4S"), Some(-184 * NANOS_PER_SEC));
        assert_eq!(dt("PT-0.5S"), Some(-NANOS_PER_SEC / 2));
        assert_eq!(ym("P-1Y-2M"), Some(-14));
        assert_eq!(ym("P-1Y2M"), Some(-10));
        assert_eq!(ym("-P-2M"), Some(2));
        // The unsigned forms read as before; a sign needs digits after it.
        for s in ["P1DT2H", "-PT0.5S", "P1Y2M", "P0D"] {
            assert_eq!(duration_signed_parts(s), duration(s), "{s}");
        }
        for bad in ["P-D", "PT-M", "P--1D", "PT+5M", "P-1Y-2D"] {
            assert_eq!(duration_signed_parts(bad), None, "{bad}");
        }
    }
}
