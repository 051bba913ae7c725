//! Time zones: fixed offsets and IANA zone ids.

use std::fmt;
use std::str::FromStr;

use chrono::{FixedOffset, LocalResult, NaiveDateTime, Offset, TimeDelta, TimeZone};
use chrono_tz::Tz;

/// The largest offset FEEL accepts, as XML Schema and `java.time` do: 18 hours.
const MAX_OFFSET_SECS: i32 = 18 * 3600;

/// A time zone: a fixed offset or an IANA zone id.
///
/// The two forms are never converted into each other: `+01:00` and
/// `Europe/Paris` stay distinct values, visible through `string()` and the
/// `time offset` / `timezone` properties.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Zone {
    /// A fixed offset from UTC (`+01:00`, `Z`).
    Offset(FixedOffset),
    /// An IANA zone (`Europe/Paris`).
    Id(Tz),
}

impl Zone {
    /// UTC as an offset (`Z`).
    pub const UTC: Zone = Zone::Offset(UTC_OFFSET);

    /// A fixed offset of `seconds` east of UTC; `None` beyond ±18 hours.
    pub fn offset_seconds(seconds: i32) -> Option<Zone> {
        if seconds.abs() > MAX_OFFSET_SECS {
            return None;
        }
        FixedOffset::east_opt(seconds).map(Zone::Offset)
    }

    /// Parses `Z`, an offset (`+01:00`, `-05:30`, `+05:00:01`) or an IANA
    /// zone id (`Europe/Paris`, `Etc/UTC`).
    pub fn parse(s: &str) -> Option<Zone> {
        if s.eq_ignore_ascii_case("z") {
            return Some(Zone::UTC);
        }
        if s.starts_with(['+', '-']) {
            return parse_offset(s).map(Zone::Offset);
        }
        Tz::from_str(s).ok().map(Zone::Id)
    }

    /// The IANA name of a zone id, or the offset in `+01:00` form (`Z` for UTC).
    pub fn name(&self) -> String {
        match self {
            Zone::Offset(o) => format_offset(*o),
            Zone::Id(tz) => tz.name().to_owned(),
        }
    }

    /// The zone's standard offset (without daylight saving) at the UTC
    /// instant `utc`: what `java.time` calls the standard offset, and what
    /// feel-scala gives a time in a zone id. (Only `to json` needs it.)
    #[cfg(feature = "json")]
    pub(crate) fn standard_offset_at_utc(&self, utc: &NaiveDateTime) -> FixedOffset {
        use chrono_tz::OffsetComponents;
        match self {
            Zone::Offset(o) => *o,
            Zone::Id(tz) => {
                let base = tz.offset_from_utc_datetime(utc).base_utc_offset();
                i32::try_from(base.num_seconds())
                    .ok()
                    .and_then(FixedOffset::east_opt)
                    .unwrap_or(UTC_OFFSET)
            }
        }
    }

    /// The offset in force at the UTC instant `utc`.
    pub(crate) fn offset_at_utc(&self, utc: &NaiveDateTime) -> FixedOffset {
        match self {
            Zone::Offset(o) => *o,
            Zone::Id(tz) => tz.offset_from_utc_datetime(utc).fix(),
        }
    }

    /// Resolves a wall-clock time in this zone to a valid wall-clock time and
    /// its offset, following `java.time` (and so feel-scala):
    ///
    /// * in a gap (spring forward) the time moves forward by the length of the
    ///   gap (`02:30` on a day Paris skips 02:00–03:00 becomes `03:30+02:00`);
    /// * in an overlap (fall back) the `preferred` offset wins if it is one of
    ///   the two, otherwise the earlier instant (the offset before the change).
    ///
    /// `None` only when the time is out of chrono's range.
    pub(crate) fn resolve_local(
        &self,
        local: NaiveDateTime,
        preferred: Option<FixedOffset>,
    ) -> Option<(NaiveDateTime, FixedOffset)> {
        let tz = match self {
            Zone::Offset(o) => return Some((local, *o)),
            Zone::Id(tz) => tz,
        };
        match tz.from_local_datetime(&local) {
            LocalResult::Single(dt) => Some((local, dt.offset().fix())),
            LocalResult::Ambiguous(early, late) => {
                let (e, l) = (early.offset().fix(), late.offset().fix());
                let offset = if preferred == Some(l) { l } else { e };
                Some((local, offset))
            }
            LocalResult::None => {
                // The offset before the gap, read a day earlier.
                let before = local.checked_sub_signed(TimeDelta::days(1))?;
                let old = tz.offset_from_utc_datetime(&before).fix();
                let utc =
                    local.checked_sub_signed(TimeDelta::seconds(old.local_minus_utc().into()))?;
                let new = tz.offset_from_utc_datetime(&utc).fix();
                let shifted =
                    utc.checked_add_signed(TimeDelta::seconds(new.local_minus_utc().into()))?;
                Some((shifted, new))
            }
        }
    }
}

/// The zero offset.
pub(crate) const UTC_OFFSET: FixedOffset = match FixedOffset::east_opt(0) {
    Some(o) => o,
    None => unreachable!(),
};

/// Parses `±hh:mm` or `±hh:mm:ss`, at most 18 hours.
pub(crate) fn parse_offset(s: &str) -> Option<FixedOffset> {
    let b = s.as_bytes();
    let sign = match b.first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let two = |i: usize| -> Option<i32> {
        let (h, l) = (*b.get(i)?, *b.get(i + 1)?);
        (h.is_ascii_digit() && l.is_ascii_digit())
            .then(|| i32::from(h - b'0') * 10 + i32::from(l - b'0'))
    };
    let hours = two(1)?;
    if b.get(3) != Some(&b':') {
        return None;
    }
    let minutes = two(4)?;
    let seconds = match b.len() {
        6 => 0,
        9 if b[6] == b':' => two(7)?,
        _ => return None,
    };
    if minutes > 59 || seconds > 59 {
        return None;
    }
    let total = hours * 3600 + minutes * 60 + seconds;
    if total > MAX_OFFSET_SECS {
        return None;
    }
    FixedOffset::east_opt(sign * total)
}

/// `Z` for UTC, else `+hh:mm`, with `:ss` only when the seconds are not zero.
pub(crate) fn format_offset(o: FixedOffset) -> String {
    let total = o.local_minus_utc();
    if total == 0 {
        return "Z".to_owned();
    }
    let sign = if total < 0 { '-' } else { '+' };
    let abs = total.unsigned_abs();
    let (h, m, s) = (abs / 3600, abs / 60 % 60, abs % 60);
    if s == 0 {
        format!("{sign}{h:02}:{m:02}")
    } else {
        format!("{sign}{h:02}:{m:02}:{s:02}")
    }
}

impl fmt::Display for Zone {
    /// The zone as it follows a time in a FEEL temporal string: `Z`,
    /// `+01:00`, or `@Europe/Paris`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Zone::Offset(o) => f.write_str(&format_offset(*o)),
            Zone::Id(tz) => write!(f, "@{}", tz.name()),
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;

    fn zone(s: &str) -> Option<String> {
        Zone::parse(s).map(|z| z.to_string())
    }

    fn at(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(y, mo, d)
            .unwrap()
            .and_hms_opt(h, mi, 0)
            .unwrap()
    }

    #[test]
    fn parses_offsets_and_ids() {
        assert_eq!(zone("Z").as_deref(), Some("Z"));
        assert_eq!(zone("z").as_deref(), Some("Z"));
        assert_eq!(zone("+00:00").as_deref(), Some("Z"));
        assert_eq!(zone("-00:00").as_deref(), Some("Z"));
        assert_eq!(zone("+01:00").as_deref(), Some("+01:00"));
        assert_eq!(zone("-05:30").as_deref(), Some("-05:30"));
        assert_eq!(zone("+05:00:01").as_deref(), Some("+05:00:01"));
        assert_eq!(zone("+18:00").as_deref(), Some("+18:00"));
        assert_eq!(zone("Europe/Paris").as_deref(), Some("@Europe/Paris"));
        assert_eq!(zone("Etc/UTC").as_deref(), Some("@Etc/UTC"));
    }

    #[test]
    fn rejects_bad_zones() {
        for bad in [
            "+19:00", "-19:00", "+18:01", "+5:00", "+5", "+05", "+05:60", "+0500", "xyz/abc", "",
        ] {
            assert_eq!(zone(bad), None, "{bad}");
        }
    }

    #[test]
    fn gap_moves_forward_overlap_takes_earlier() {
        let paris = Zone::parse("Europe/Paris").unwrap();
        // 2021-03-28: 02:00 -> 03:00 in Paris.
        let (local, off) = paris.resolve_local(at(2021, 3, 28, 2, 30), None).unwrap();
        assert_eq!(local, at(2021, 3, 28, 3, 30));
        assert_eq!(off.local_minus_utc(), 7200);
        // 2021-10-31: 03:00 -> 02:00 in Paris; 02:30 happens twice.
        let (_, off) = paris.resolve_local(at(2021, 10, 31, 2, 30), None).unwrap();
        assert_eq!(off.local_minus_utc(), 7200);
        let winter = FixedOffset::east_opt(3600);
        let (_, off) = paris
            .resolve_local(at(2021, 10, 31, 2, 30), winter)
            .unwrap();
        assert_eq!(off.local_minus_utc(), 3600);
    }
}
