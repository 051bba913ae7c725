//! `date and time` (DMN 1.5 §10.3.2.3.5): a date and a time of day, local
//! or with a zone.

use std::fmt;

use chrono::{FixedOffset, NaiveDateTime, TimeDelta};
use chrono_tz::Tz;

use super::date::{add_months, write_date};
use super::duration::DayTimeDuration;
use super::time::write_time;
use super::{parse, Date, Time, Zone};

/// A date and time: local (no zone), with a fixed offset, or in an IANA zone.
///
/// A value in an IANA zone keeps the offset in force at its instant, so the
/// two occurrences of a wall-clock time at the end of summer time stay
/// distinct. Wall-clock times that a zone skips (spring forward) are moved
/// forward by the length of the gap, and ambiguous ones take the earlier
/// offset, as in `java.time` (and so in feel-scala).
///
/// # Examples
///
/// ```
/// use feel::DateTime;
///
/// let dt = DateTime::parse("2021-03-28T02:30:00@Europe/Paris").unwrap();
/// assert_eq!(dt.to_string(), "2021-03-28T03:30:00@Europe/Paris");
/// assert_eq!(dt.offset().unwrap().local_minus_utc(), 7200);
/// assert_eq!(DateTime::parse("2021-01-01T24:00:00").unwrap().to_string(), "2021-01-02T00:00:00");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateTime {
    pub(crate) local: NaiveDateTime,
    /// The zone and the offset in force at this instant.
    pub(crate) zone: Option<(Zone, FixedOffset)>,
}

impl DateTime {
    /// A local date and time (no zone).
    pub fn local(local: NaiveDateTime) -> DateTime {
        DateTime { local, zone: None }
    }

    /// A date and time at a fixed offset.
    pub fn with_offset(local: NaiveDateTime, offset: FixedOffset) -> DateTime {
        DateTime {
            local,
            zone: Some((Zone::Offset(offset), offset)),
        }
    }

    /// A wall-clock date and time in an IANA zone (see the type's docs for
    /// gaps and overlaps); `None` when out of range.
    pub fn in_zone(local: NaiveDateTime, tz: Tz) -> Option<DateTime> {
        Self::with_zone(local, Zone::Id(tz), None)
    }

    /// A wall-clock date and time in `zone`, preferring `preferred` as the
    /// offset when the time is ambiguous.
    pub(crate) fn with_zone(
        local: NaiveDateTime,
        zone: Zone,
        preferred: Option<FixedOffset>,
    ) -> Option<DateTime> {
        let (local, offset) = zone.resolve_local(local, preferred)?;
        Some(DateTime {
            local,
            zone: Some((zone, offset)),
        })
    }

    /// The instant `utc` seen in `zone`; `None` when out of range.
    pub fn from_utc(utc: NaiveDateTime, zone: Zone) -> Option<DateTime> {
        let offset = zone.offset_at_utc(&utc);
        let local = utc.checked_add_signed(TimeDelta::seconds(offset.local_minus_utc().into()))?;
        Some(DateTime {
            local,
            zone: Some((zone, offset)),
        })
    }

    /// A chrono date-time with a fixed offset (`Z` for UTC).
    pub fn from_chrono(dt: chrono::DateTime<FixedOffset>) -> DateTime {
        DateTime::with_offset(dt.naive_local(), *dt.offset())
    }

    /// Parses `yyyy-mm-ddThh:mm:ss[.f][zone]` (see [`Time::parse`] for the
    /// time and zone forms); `24:00:00` is midnight of the next day.
    pub fn parse(s: &str) -> Option<DateTime> {
        let (date, t) = parse::date_time(s)?;
        let mut local = date.and_time(t.time);
        if t.end_of_day {
            local = local.checked_add_signed(TimeDelta::days(1))?;
        }
        match t.suffix {
            parse::Suffix::Local => Some(DateTime::local(local)),
            parse::Suffix::Offset(o) => Some(DateTime::with_offset(local, o)),
            parse::Suffix::Id(tz, preferred) => DateTime::with_zone(local, Zone::Id(tz), preferred),
        }
    }

    /// The wall-clock date and time.
    pub fn naive_local(self) -> NaiveDateTime {
        self.local
    }

    /// The date part.
    pub fn date(self) -> Date {
        Date(self.local.date())
    }

    /// The time part, with this value's zone.
    pub fn time(self) -> Time {
        Time::from_naive(self.local.time(), self.zone())
    }

    /// The zone, if any.
    pub fn zone(self) -> Option<Zone> {
        self.zone.map(|(z, _)| z)
    }

    /// The offset from UTC at this instant; `None` for a local value.
    pub fn offset(self) -> Option<FixedOffset> {
        self.zone.map(|(_, o)| o)
    }

    /// The instant as a UTC date and time; `None` for a local value.
    pub fn to_utc(self) -> Option<NaiveDateTime> {
        let (_, o) = self.zone?;
        self.local
            .checked_sub_signed(TimeDelta::seconds(o.local_minus_utc().into()))
    }

    /// The same wall-clock reading moved to `zone`'s interpretation of a
    /// new wall-clock time (keeping the offset when still valid).
    fn rezoned(self, local: NaiveDateTime) -> Option<DateTime> {
        match self.zone {
            None => Some(DateTime::local(local)),
            Some((zone, offset)) => DateTime::with_zone(local, zone, Some(offset)),
        }
    }

    /// Adds a days-and-time duration. A zoned value moves on the time line
    /// (in an IANA zone the offset is recomputed at the new instant); a local
    /// value moves its wall-clock time. `None` when out of range.
    pub fn add_duration(self, d: DayTimeDuration) -> Option<DateTime> {
        let delta = d.to_time_delta()?;
        match self.zone {
            None => Some(DateTime::local(self.local.checked_add_signed(delta)?)),
            Some((zone, _)) => DateTime::from_utc(self.to_utc()?.checked_add_signed(delta)?, zone),
        }
    }

    /// Adds a number of months to the wall-clock date, clamping the day to
    /// the end of a shorter month. `None` when out of range.
    pub fn add_months(self, months: i64) -> Option<DateTime> {
        self.rezoned(add_months(self.local, months)?)
    }

    /// This instant seen in another zone (Camunda's `date and time(date,
    /// timezone)`). A local value is taken to be UTC.
    pub fn at_zone(self, zone: Zone) -> Option<DateTime> {
        let utc = self.to_utc().unwrap_or(self.local);
        DateTime::from_utc(utc, zone)
    }
}

impl fmt::Display for DateTime {
    /// `2017-01-01T10:00:00`, `2017-01-01T10:00:00Z`,
    /// `2017-01-01T10:00:00.5+01:00`, `2017-01-01T10:00:00@Europe/Paris`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_date(f, self.local.date())?;
        f.write_str("T")?;
        write_time(f, self.local.time())?;
        match self.zone {
            Some((z, _)) => write!(f, "{z}"),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dt(s: &str) -> DateTime {
        DateTime::parse(s).unwrap()
    }

    fn plus(s: &str, d: &str) -> String {
        dt(s)
            .add_duration(DayTimeDuration::parse(d).unwrap())
            .unwrap()
            .to_string()
    }

    #[test]
    fn display_round_trips() {
        for s in [
            "2017-01-01T10:00:00",
            "2017-01-01T10:00:00Z",
            "2018-12-10T10:30:00.0001+05:00:01",
            "2018-12-10T10:30:00@Etc/UTC",
            "-2021-01-01T10:10:10@Australia/Melbourne",
            "2017-01-01T10:00:00.5-01:00",
        ] {
            assert_eq!(dt(s).to_string(), s);
        }
        assert_eq!(
            dt("2021-01-01T24:00:00Z").to_string(),
            "2021-01-02T00:00:00Z"
        );
        assert_eq!(
            dt("2018-04-29T09:30:00+02:00[Europe/Berlin]").to_string(),
            "2018-04-29T09:30:00@Europe/Berlin"
        );
        assert_eq!(
            DateTime::parse("2018-04-29T09:30:00"),
            DateTime::parse("2018-04-29T09:30:00.000")
        );
        assert_eq!(DateTime::parse("2024-06-31T10:00:00"), None);
    }

    #[test]
    fn dst_gap_and_overlap() {
        // Paris skips 02:00-03:00 on 2021-03-28.
        assert_eq!(
            dt("2021-03-28T02:30:00@Europe/Paris").to_string(),
            "2021-03-28T03:30:00@Europe/Paris"
        );
        // Adding an hour across the change moves the instant: 01:30+01:00 + 1h = 03:30+02:00.
        assert_eq!(
            plus("2021-03-28T01:30:00@Europe/Paris", "PT1H"),
            "2021-03-28T03:30:00@Europe/Paris"
        );
        // 02:30 happens twice on 2021-10-31; the earlier one is chosen, and an
        // hour later is the second 02:30.
        let first = dt("2021-10-31T02:30:00@Europe/Paris");
        assert_eq!(first.offset().unwrap().local_minus_utc(), 7200);
        let second = first
            .add_duration(DayTimeDuration::from_seconds(3600))
            .unwrap();
        assert_eq!(second.to_string(), "2021-10-31T02:30:00@Europe/Paris");
        assert_eq!(second.offset().unwrap().local_minus_utc(), 3600);
        // The Camunda form with an offset picks the occurrence.
        let late = dt("2021-10-31T02:30:00+01:00[Europe/Paris]");
        assert_eq!(late, second);
        // A day across the change is 23 hours of wall-clock time in spring.
        assert_eq!(
            plus("2021-03-27T12:00:00@Europe/Paris", "P1D"),
            "2021-03-28T13:00:00@Europe/Paris"
        );
    }

    #[test]
    fn month_arithmetic() {
        assert_eq!(
            dt("2024-01-31T10:00:00").add_months(1).unwrap().to_string(),
            "2024-02-29T10:00:00"
        );
        assert_eq!(
            dt("-2021-01-01T10:10:10+11:00")
                .add_months(-1)
                .unwrap()
                .to_string(),
            "-2022-12-01T10:10:10+11:00"
        );
        // Landing in a gap moves forward.
        assert_eq!(
            dt("2021-02-28T02:30:00@Europe/Paris")
                .add_months(1)
                .unwrap()
                .to_string(),
            "2021-03-28T03:30:00@Europe/Paris"
        );
    }

    #[test]
    fn duration_arithmetic() {
        assert_eq!(plus("2021-01-01T24:00:00", "PT1S"), "2021-01-02T00:00:01");
        assert_eq!(
            plus("2021-01-01T10:10:10+11:00", "-PT1H"),
            "2021-01-01T09:10:10+11:00"
        );
        assert_eq!(
            plus("-2021-01-01T10:10:10@Australia/Melbourne", "-P1D"),
            "-2022-12-31T10:10:10@Australia/Melbourne"
        );
        let max = DayTimeDuration::from_nanos(i128::MAX);
        assert_eq!(dt("2021-01-01T00:00:00").add_duration(max), None);
    }

    #[test]
    fn changing_zone_keeps_the_instant() {
        let berlin = dt("2020-07-31T14:27:30@Europe/Berlin");
        let la = berlin
            .at_zone(Zone::parse("America/Los_Angeles").unwrap())
            .unwrap();
        assert_eq!(la.to_string(), "2020-07-31T05:27:30@America/Los_Angeles");
        let utc = dt("2020-07-31T14:27:30").at_zone(Zone::UTC).unwrap();
        assert_eq!(utc.to_string(), "2020-07-31T14:27:30Z");
    }
}
