//! `time` (DMN 1.5 §10.3.2.3.4): a time of day, local or with a zone.

use std::fmt;

use chrono::{FixedOffset, NaiveDate, NaiveTime, TimeDelta, Timelike};

use super::duration::{write_fraction, DayTimeDuration, NANOS_PER_DAY, NANOS_PER_SEC};
use super::{parse, Zone};

/// A time of day with an optional offset or IANA zone.
///
/// A time with a zone id (`10:00:00@Europe/Paris`) has no date, so its
/// offset is not determined by the value. To compare or subtract such times
/// with others, the zone's offset on [`Time::ZONE_REFERENCE_DATE`] is used;
/// two times in the same zone compare by their wall-clock times.
///
/// # Examples
///
/// ```
/// use feel::Time;
///
/// let t = Time::parse("10:30:00.5+01:00").unwrap();
/// assert_eq!((t.hour(), t.minute(), t.second()), (10, 30, 0));
/// assert_eq!(t.to_string(), "10:30:00.5+01:00");
/// assert_eq!(Time::parse("24:00:00").unwrap().to_string(), "00:00:00");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Time {
    pub(crate) time: NaiveTime,
    pub(crate) zone: Option<Zone>,
}

impl Time {
    /// The date whose offset a zone-id time uses when compared with times in
    /// other zones.
    pub const ZONE_REFERENCE_DATE: NaiveDate = match NaiveDate::from_ymd_opt(2000, 1, 1) {
        Some(d) => d,
        None => NaiveDate::MIN,
    };

    /// `hour:minute:second.nanosecond` in `zone`; `None` if a field is out of
    /// range (hour 0–23, minute and second 0–59, nanosecond below 10⁹).
    pub fn new(
        hour: u32,
        minute: u32,
        second: u32,
        nanosecond: u32,
        zone: Option<Zone>,
    ) -> Option<Time> {
        if second > 59 || nanosecond >= 1_000_000_000 {
            return None;
        }
        NaiveTime::from_hms_nano_opt(hour, minute, second, nanosecond)
            .map(|time| Time { time, zone })
    }

    /// Wraps a chrono time (a leap second becomes second 59.999999999).
    pub fn from_naive(time: NaiveTime, zone: Option<Zone>) -> Time {
        let time = if time.nanosecond() >= 1_000_000_000 {
            time.with_nanosecond(999_999_999).unwrap_or(time)
        } else {
            time
        };
        Time { time, zone }
    }

    /// Parses `hh:mm:ss[.fffffffff][zone]`, where the zone is `Z`, `±hh:mm`,
    /// `±hh:mm:ss` or `@` and an IANA id. `24:00:00` is midnight.
    pub fn parse(s: &str) -> Option<Time> {
        let p = parse::time(s)?;
        Some(Time {
            time: p.time,
            zone: p.suffix.zone(),
        })
    }

    /// The wall-clock time.
    pub fn naive(self) -> NaiveTime {
        self.time
    }

    /// The zone, if any.
    pub fn zone(self) -> Option<Zone> {
        self.zone
    }

    /// The hour, 0 to 23.
    pub fn hour(self) -> u32 {
        self.time.hour()
    }

    /// The minute, 0 to 59.
    pub fn minute(self) -> u32 {
        self.time.minute()
    }

    /// The whole second, 0 to 59.
    pub fn second(self) -> u32 {
        self.time.second()
    }

    /// The fraction of the second, in nanoseconds.
    pub fn nanosecond(self) -> u32 {
        self.time.nanosecond()
    }

    /// The offset of a time with a fixed offset; `None` for local times and
    /// for zone ids (whose offset depends on a date).
    pub fn offset(self) -> Option<FixedOffset> {
        match self.zone {
            Some(Zone::Offset(o)) => Some(o),
            _ => None,
        }
    }

    /// Nanoseconds since midnight of the wall-clock time.
    pub(crate) fn nanos_of_day(self) -> i128 {
        i128::from(self.time.num_seconds_from_midnight()) * NANOS_PER_SEC
            + i128::from(self.time.nanosecond())
    }

    /// Nanoseconds since midnight UTC (may be negative or beyond a day);
    /// `None` for a local time.
    pub(crate) fn utc_nanos(self) -> Option<i128> {
        let offset = match self.zone? {
            Zone::Offset(o) => o,
            zone @ Zone::Id(_) => {
                let local = Self::ZONE_REFERENCE_DATE.and_time(self.time);
                zone.resolve_local(local, None)?.1
            }
        };
        Some(self.nanos_of_day() - i128::from(offset.local_minus_utc()) * NANOS_PER_SEC)
    }

    /// This time moved by `d`, wrapping around midnight; the zone is kept.
    pub fn add_duration(self, d: DayTimeDuration) -> Time {
        let nanos = d.as_nanos().rem_euclid(NANOS_PER_DAY);
        let secs = (nanos / NANOS_PER_SEC) as i64;
        let sub = (nanos % NANOS_PER_SEC) as u32;
        let delta = TimeDelta::new(secs, sub).unwrap_or_default();
        Time {
            time: self.time.overflowing_add_signed(delta).0,
            zone: self.zone,
        }
    }
}

/// Writes `hh:mm:ss[.f]`.
pub(crate) fn write_time(f: &mut impl fmt::Write, t: NaiveTime) -> fmt::Result {
    write!(f, "{:02}:{:02}:{:02}", t.hour(), t.minute(), t.second())?;
    write_fraction(f, t.nanosecond())
}

impl fmt::Display for Time {
    /// `10:00:00`, `10:00:00.5+01:00`, `10:00:00Z`, `10:00:00@Europe/Paris`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_time(f, self.time)?;
        match self.zone {
            Some(z) => write!(f, "{z}"),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn time(s: &str) -> Time {
        Time::parse(s).unwrap()
    }

    fn canon(s: &str) -> String {
        time(s).to_string()
    }

    fn plus(s: &str, d: &str) -> String {
        time(s)
            .add_duration(DayTimeDuration::parse(d).unwrap())
            .to_string()
    }

    #[test]
    fn display_round_trips() {
        for s in [
            "01:02:03",
            "11:22:33.444",
            "11:22:33.123456789",
            "23:59:00Z",
            "13:20:00+02:00",
            "13:20:00-05:00",
            "10:30:00.0001+05:00:01",
            "00:01:00@Etc/UTC",
            "00:01:00@Europe/Paris",
        ] {
            assert_eq!(canon(s), s);
        }
        assert_eq!(canon("11:22:33-00:00"), "11:22:33Z");
        assert_eq!(canon("11:22:33+00:00"), "11:22:33Z");
        assert_eq!(canon("11:22:33.500"), "11:22:33.5");
        assert_eq!(canon("24:00:00"), "00:00:00");
        assert_eq!(
            canon("10:00:00+01:00[Europe/Paris]"),
            "10:00:00@Europe/Paris"
        );
    }

    #[test]
    fn adding_wraps_around_the_day() {
        assert_eq!(plus("10:15:00", "PT1H"), "11:15:00");
        assert_eq!(plus("10:15:00", "P1D"), "10:15:00");
        assert_eq!(plus("10:15:00+11:00", "-P1D"), "10:15:00+11:00");
        assert_eq!(plus("23:30:00", "PT1H"), "00:30:00");
        assert_eq!(
            plus("00:30:00@Europe/Paris", "-PT1H"),
            "23:30:00@Europe/Paris"
        );
        assert_eq!(plus("00:00:00", "-PT0.5S"), "23:59:59.5");
        assert_eq!(plus("10:00:00", "P36500000DT1H"), "11:00:00");
    }

    #[test]
    fn utc_view() {
        assert_eq!(time("10:00:00").utc_nanos(), None);
        assert_eq!(
            time("10:00:00+01:00").utc_nanos(),
            time("09:00:00Z").utc_nanos()
        );
        // Paris on the reference date (winter): +01:00.
        assert_eq!(
            time("10:00:00@Europe/Paris").utc_nanos(),
            time("09:00:00Z").utc_nanos()
        );
    }

    #[test]
    fn constructor_checks_ranges() {
        assert!(Time::new(23, 59, 59, 999_999_999, None).is_some());
        assert_eq!(Time::new(24, 0, 0, 0, None), None);
        assert_eq!(Time::new(12, 60, 0, 0, None), None);
        assert_eq!(Time::new(12, 0, 60, 0, None), None);
        assert_eq!(Time::new(12, 0, 59, 1_000_000_000, None), None);
    }
}
