//! `date and time` (DMN 1.5 §10.3.2.3.5): a date and a time of day, local
//! or with a zone.

use std::fmt;

use chrono::{Datelike, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta};
use chrono_tz::Tz;

use super::date::{add_months, normalize, write_date, DAYS_PER_ERA, ERA_YEARS};
use super::duration::{DayTimeDuration, NANOS_PER_DAY, NANOS_PER_SEC};
use super::time::write_time;
use super::{parse, Date, Time, Zone};

/// Nanoseconds per era (see `date.rs`).
const NANOS_PER_ERA: i128 = DAYS_PER_ERA as i128 * NANOS_PER_DAY;

/// 1970-01-01T00:00:00, the origin of [`DateTime::local_nanos`].
const EPOCH: NaiveDateTime = match NaiveDate::from_ymd_opt(1970, 1, 1) {
    Some(d) => d.and_time(NaiveTime::MIN),
    None => NaiveDateTime::MIN,
};

/// A date and time: local (no zone), with a fixed offset, or in an IANA zone.
///
/// A value in an IANA zone keeps the offset in force at its instant, so the
/// two occurrences of a wall-clock time at the end of summer time stay
/// distinct. Wall-clock times that a zone skips (spring forward) are moved
/// forward by the length of the gap, and ambiguous ones take the earlier
/// offset, as in `java.time` (and so in feel-scala).
///
/// Years run from -999,999,999 to 999,999,999, as for [`Date`] (the value
/// holds an era and a chrono date-time, see `date.rs`). Beyond the years the
/// time-zone database describes, a zone's offsets are those of its last
/// rules for the future (taken at a year of the same place in the 400-year
/// cycle) and of its local mean time for the past.
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
/// let far = DateTime::parse("999999999-12-31T23:59:59.999999999@Europe/Paris").unwrap();
/// assert_eq!(far.to_string(), "999999999-12-31T23:59:59.999999999@Europe/Paris");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateTime {
    /// The era of `local` (see `date.rs`).
    pub(crate) era: i32,
    /// The wall-clock date and time, as a base in its era.
    pub(crate) local: NaiveDateTime,
    /// The zone and the offset in force at this instant.
    pub(crate) zone: Option<(Zone, FixedOffset)>,
}

/// Days to add to a base date-time of era `era` to look up its zone's offset:
/// none within chrono's years (and for the far past, where every zone keeps
/// its local mean time); for the far future, enough to land in the same
/// place of the 400-year cycle between 2400 and 2800, where zones keep the
/// last rules they have.
fn zone_probe_days(era: i32, local: NaiveDateTime) -> i64 {
    if era <= 0 {
        return 0;
    }
    let year = i64::from(local.year()) + i64::from(era) * ERA_YEARS;
    let target = 2400 + (year - 2400).rem_euclid(400);
    (target - i64::from(local.year())) / 400 * 146_097
}

fn shift_days(dt: NaiveDateTime, days: i64) -> Option<NaiveDateTime> {
    dt.checked_add_signed(TimeDelta::try_days(days)?)
}

impl DateTime {
    /// A value from its parts, the era made canonical; `None` beyond FEEL's years.
    fn build(
        era: i64,
        local: NaiveDateTime,
        zone: Option<(Zone, FixedOffset)>,
    ) -> Option<DateTime> {
        let (era, date) = normalize(era, local.date())?;
        Some(DateTime {
            era,
            local: date.and_time(local.time()),
            zone,
        })
    }

    /// A local date and time (no zone).
    pub fn local(local: NaiveDateTime) -> DateTime {
        // Every chrono date-time is within FEEL's years.
        DateTime::build(0, local, None).unwrap_or(DateTime {
            era: 0,
            local,
            zone: None,
        })
    }

    /// A date and time at a fixed offset.
    pub fn with_offset(local: NaiveDateTime, offset: FixedOffset) -> DateTime {
        let zone = Some((Zone::Offset(offset), offset));
        DateTime::build(0, local, zone).unwrap_or(DateTime {
            era: 0,
            local,
            zone,
        })
    }

    /// A wall-clock date and time in an IANA zone (see the type's docs for
    /// gaps and overlaps); `None` when out of range.
    pub fn in_zone(local: NaiveDateTime, tz: Tz) -> Option<DateTime> {
        Self::with_zone(0, local, Zone::Id(tz), None)
    }

    /// Midnight at the start of `date`, local.
    pub fn at_midnight(date: Date) -> DateTime {
        let (era, local) = date.midnight();
        DateTime {
            era,
            local,
            zone: None,
        }
    }

    /// `date` at the wall-clock time `time`, in `time`'s zone; `None` when
    /// out of range.
    pub fn combine(date: Date, time: Time) -> Option<DateTime> {
        let (era, midnight) = date.midnight();
        let local = midnight.date().and_time(time.naive());
        match time.zone() {
            None => DateTime::build(i64::from(era), local, None),
            Some(Zone::Offset(o)) => {
                DateTime::build(i64::from(era), local, Some((Zone::Offset(o), o)))
            }
            Some(zone) => DateTime::with_zone(era, local, zone, None),
        }
    }

    /// A wall-clock date and time (a base in era `era`) in `zone`, preferring
    /// `preferred` as the offset when the time is ambiguous.
    pub(crate) fn with_zone(
        era: i32,
        local: NaiveDateTime,
        zone: Zone,
        preferred: Option<FixedOffset>,
    ) -> Option<DateTime> {
        let probe = zone_probe_days(era, local);
        let (resolved, offset) = zone.resolve_local(shift_days(local, probe)?, preferred)?;
        DateTime::build(
            i64::from(era),
            shift_days(resolved, -probe)?,
            Some((zone, offset)),
        )
    }

    /// The instant `utc` seen in `zone`; `None` when out of range.
    pub fn from_utc(utc: NaiveDateTime, zone: Zone) -> Option<DateTime> {
        let (era, date) = normalize(0, utc.date())?;
        DateTime::from_utc_era(era, date.and_time(utc.time()), zone)
    }

    /// The instant `utc` (a base in era `era`) seen in `zone`.
    fn from_utc_era(era: i32, utc: NaiveDateTime, zone: Zone) -> Option<DateTime> {
        let probe = zone_probe_days(era, utc);
        let offset = zone.offset_at_utc(&shift_days(utc, probe)?);
        let local = utc.checked_add_signed(TimeDelta::seconds(offset.local_minus_utc().into()))?;
        DateTime::build(i64::from(era), local, Some((zone, offset)))
    }

    /// A chrono date-time with a fixed offset (`Z` for UTC).
    pub fn from_chrono(dt: chrono::DateTime<FixedOffset>) -> DateTime {
        DateTime::with_offset(dt.naive_local(), *dt.offset())
    }

    /// Parses `yyyy-mm-ddThh:mm:ss[.f][zone]` (see [`Time::parse`] for the
    /// time and zone forms); `24:00:00` is midnight of the next day.
    pub fn parse(s: &str) -> Option<DateTime> {
        let (date, t) = parse::date_time(s)?;
        let (era, midnight) = date.midnight();
        let mut local = midnight.date().and_time(t.time);
        if t.end_of_day {
            local = local.checked_add_signed(TimeDelta::days(1))?;
        }
        match t.suffix {
            parse::Suffix::Local => DateTime::build(i64::from(era), local, None),
            parse::Suffix::Offset(o) => {
                DateTime::build(i64::from(era), local, Some((Zone::Offset(o), o)))
            }
            parse::Suffix::Id(tz, preferred) => {
                DateTime::with_zone(era, local, Zone::Id(tz), preferred)
            }
        }
    }

    /// The wall-clock date and time, if chrono's range holds it.
    pub fn naive_local(self) -> Option<NaiveDateTime> {
        shift_days(self.local, i64::from(self.era) * DAYS_PER_ERA)
    }

    /// The date part.
    pub fn date(self) -> Date {
        // The era and base are canonical already.
        Date::from_era(i64::from(self.era), self.local.date())
            .unwrap_or_else(|| Date::from_naive(self.local.date()))
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

    /// The instant as a UTC date and time; `None` for a local value, or
    /// beyond chrono's range.
    pub fn to_utc(self) -> Option<NaiveDateTime> {
        let (era, utc) = split_nanos(self.utc_nanos()?)?;
        shift_days(utc, era.checked_mul(DAYS_PER_ERA)?)
    }

    /// Nanoseconds from 1970-01-01T00:00:00 to the wall-clock reading.
    pub(crate) fn local_nanos(self) -> i128 {
        let d = self.local.signed_duration_since(EPOCH);
        i128::from(self.era) * NANOS_PER_ERA
            + i128::from(d.num_seconds()) * NANOS_PER_SEC
            + i128::from(d.subsec_nanos())
    }

    /// Nanoseconds from 1970-01-01T00:00:00Z to the instant; `None` for a
    /// local value.
    pub(crate) fn utc_nanos(self) -> Option<i128> {
        let (_, o) = self.zone?;
        Some(self.local_nanos() - i128::from(o.local_minus_utc()) * NANOS_PER_SEC)
    }

    /// The same wall-clock reading moved to `zone`'s interpretation of a
    /// new wall-clock time (keeping the offset when still valid).
    fn rezoned(self, era: i32, local: NaiveDateTime) -> Option<DateTime> {
        match self.zone {
            None => DateTime::build(i64::from(era), local, None),
            Some((zone, offset)) => DateTime::with_zone(era, local, zone, Some(offset)),
        }
    }

    /// Adds a days-and-time duration. A zoned value moves on the time line
    /// (in an IANA zone the offset is recomputed at the new instant); a local
    /// value moves its wall-clock time. `None` when out of range.
    pub fn add_duration(self, d: DayTimeDuration) -> Option<DateTime> {
        match self.zone {
            None => {
                let (era, local) = split_nanos(self.local_nanos().checked_add(d.as_nanos())?)?;
                DateTime::build(era, local, None)
            }
            Some((zone, _)) => {
                let (era, utc) = split_nanos(self.utc_nanos()?.checked_add(d.as_nanos())?)?;
                let (era, date) = normalize(era, utc.date())?;
                DateTime::from_utc_era(era, date.and_time(utc.time()), zone)
            }
        }
    }

    /// Adds a number of months to the wall-clock date, clamping the day to
    /// the end of a shorter month. `None` when out of range.
    pub fn add_months(self, months: i64) -> Option<DateTime> {
        let (era, local) = add_months(self.era, self.local, months)?;
        self.rezoned(era, local)
    }

    /// This instant seen in another zone (Camunda's `date and time(date,
    /// timezone)`). A local value is taken to be UTC.
    pub fn at_zone(self, zone: Zone) -> Option<DateTime> {
        let utc = self.utc_nanos().unwrap_or_else(|| self.local_nanos());
        let (era, utc) = split_nanos(utc)?;
        let (era, date) = normalize(era, utc.date())?;
        DateTime::from_utc_era(era, date.and_time(utc.time()), zone)
    }
}

/// Nanoseconds since 1970 within one era as a chrono date-time.
fn from_nanos(nanos: i128) -> Option<NaiveDateTime> {
    let secs = i64::try_from(nanos.div_euclid(NANOS_PER_SEC)).ok()?;
    let sub = u32::try_from(nanos.rem_euclid(NANOS_PER_SEC)).ok()?;
    EPOCH.checked_add_signed(TimeDelta::new(secs, sub)?)
}

/// Nanoseconds since 1970 as an era and a chrono date-time within it (not yet
/// canonical).
fn split_nanos(nanos: i128) -> Option<(i64, NaiveDateTime)> {
    let era = i64::try_from(nanos.div_euclid(NANOS_PER_ERA)).ok()?;
    Some((era, from_nanos(nanos.rem_euclid(NANOS_PER_ERA))?))
}

impl fmt::Display for DateTime {
    /// `2017-01-01T10:00:00`, `2017-01-01T10:00:00Z`,
    /// `2017-01-01T10:00:00.5+01:00`, `2017-01-01T10:00:00@Europe/Paris`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_date(f, self.era, self.local.date())?;
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
