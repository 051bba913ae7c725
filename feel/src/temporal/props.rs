//! Property tests: canonical strings read back as the same value, and the
//! identities the spec's arithmetic implies.

use chrono::{FixedOffset, NaiveDate, NaiveTime};
use proptest::prelude::*;

use super::{
    add, parse_literal, sub, Date, DateTime, DayTimeDuration, Time, YearMonthDuration, Zone,
};
use crate::value::Value;

const ZONE_IDS: [&str; 5] = [
    "Europe/Paris",
    "America/New_York",
    "Australia/Melbourne",
    "Asia/Kolkata",
    "Etc/UTC",
];

fn naive_date() -> impl Strategy<Value = NaiveDate> {
    (-9999i32..=9999, 1u32..=366).prop_map(|(y, ord)| {
        NaiveDate::from_yo_opt(y, ord)
            .or_else(|| NaiveDate::from_yo_opt(y, 365))
            .unwrap()
    })
}

fn naive_time() -> impl Strategy<Value = NaiveTime> {
    (0u32..86_400, prop_oneof![Just(0u32), 0u32..1_000_000_000])
        .prop_map(|(s, n)| NaiveTime::from_num_seconds_from_midnight_opt(s, n).unwrap())
}

fn zone() -> impl Strategy<Value = Option<Zone>> {
    prop_oneof![
        Just(None),
        (-18 * 60..=18 * 60i32)
            .prop_map(|m| Some(Zone::Offset(FixedOffset::east_opt(m * 60).unwrap()))),
        (0..ZONE_IDS.len()).prop_map(|i| Zone::parse(ZONE_IDS[i])),
    ]
}

fn date_time() -> impl Strategy<Value = DateTime> {
    (naive_date(), naive_time(), zone()).prop_map(|(d, t, z)| {
        let local = d.and_time(t);
        match z {
            None => DateTime::local(local),
            Some(z) => DateTime::with_zone(0, local, z, None).unwrap(),
        }
    })
}

/// Dates over all of FEEL's years, beyond chrono's.
fn far_date() -> impl Strategy<Value = Date> {
    (-999_999_999i32..=999_999_999, 1u32..=12, 1u32..=28)
        .prop_map(|(y, m, d)| Date::new(y, m, d).unwrap())
}

fn day_time() -> impl Strategy<Value = DayTimeDuration> {
    (-(1i128 << 70)..(1i128 << 70)).prop_map(DayTimeDuration::from_nanos)
}

proptest! {
    #[test]
    fn dates_read_back(d in naive_date()) {
        let d = Date::from_naive(d);
        prop_assert_eq!(parse_literal(&d.to_string()), Some(Value::Date(d)));
    }

    #[test]
    fn times_read_back(t in naive_time(), z in zone()) {
        let t = Time::from_naive(t, z);
        prop_assert_eq!(parse_literal(&t.to_string()), Some(Value::Time(t)));
    }

    #[test]
    fn date_times_read_back(dt in date_time()) {
        // A zone id alone does not say which of two repeated wall-clock times
        // is meant: the reading takes the earlier, so compare the strings.
        let back = parse_literal(&dt.to_string());
        prop_assert_eq!(back.map(|v| match v { Value::DateTime(x) => x.to_string(), _ => String::new() }), Some(dt.to_string()));
    }

    #[test]
    fn durations_read_back(d in day_time(), m in any::<i64>()) {
        prop_assert_eq!(parse_literal(&d.to_string()), Some(Value::DayTimeDuration(d)));
        let m = YearMonthDuration::from_months(m);
        prop_assert_eq!(parse_literal(&m.to_string()), Some(Value::YearMonthDuration(m)));
    }

    #[test]
    fn adding_then_subtracting_a_duration_is_the_duration(dt in date_time(), secs in -(10i64.pow(10))..10i64.pow(10)) {
        let d = Value::DayTimeDuration(DayTimeDuration::from_seconds(secs));
        let start = Value::DateTime(dt);
        if let Some(end) = add(&start, &d) {
            // Local values and offsets move the wall clock by exactly `d`;
            // zone ids move the instant by `d`.
            prop_assert_eq!(sub(&end, &start), Some(d.clone()));
            prop_assert_eq!(sub(&end, &d).map(|v| v.to_string()), Some(start.to_string()));
        }
    }

    #[test]
    fn date_differences_invert_day_addition(d in naive_date(), days in -100_000i64..100_000) {
        let start = Value::Date(Date::from_naive(d));
        let step = Value::DayTimeDuration(DayTimeDuration::from_seconds(days * 86_400));
        if let Some(end) = add(&start, &step) {
            prop_assert_eq!(sub(&end, &start), Some(step));
        }
    }

    #[test]
    fn month_steps_never_panic(d in naive_date(), m in any::<i64>()) {
        let start = Value::Date(Date::from_naive(d));
        let _ = add(&start, &Value::YearMonthDuration(YearMonthDuration::from_months(m)));
    }

    #[test]
    fn far_dates_read_back_and_keep_their_order(a in far_date(), b in far_date()) {
        prop_assert_eq!(parse_literal(&a.to_string()), Some(Value::Date(a)));
        prop_assert_eq!(a.cmp(&b), a.year().cmp(&b.year()).then(a.month().cmp(&b.month())).then(a.day().cmp(&b.day())));
        let days = b.days_since(a);
        prop_assert_eq!(a.plus_days(days), Some(b));
    }

    #[test]
    fn far_date_times_read_back(d in far_date(), t in naive_time(), z in zone()) {
        let local = d.midnight().1.date().and_time(t);
        let dt = match z {
            None => Some(DateTime::with_zone(d.era(), local, Zone::UTC, None).map(|x| DateTime { zone: None, ..x })),
            Some(z) => Some(DateTime::with_zone(d.era(), local, z, None)),
        }.flatten();
        if let Some(dt) = dt {
            let back = parse_literal(&dt.to_string());
            prop_assert_eq!(back.map(|v| v.to_string()), Some(Value::DateTime(dt).to_string()));
        }
    }
}
