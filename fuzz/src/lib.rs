//! What the fuzz targets share: the engine they run, FEEL values built from
//! fuzz bytes, and the oracles that go beyond "does not panic".
//!
//! Values are built through the public API only (constructors and the
//! temporal parsers), not through FEEL source, so `value_ops` reaches values
//! the parser never produces, such as a range from a date to a string.

use std::sync::OnceLock;

use arbitrary::Arbitrary;
use std::sync::Arc;

use feel::{
    Bound, Context, Date, DateTime, DayTimeDuration, Engine, Error, ErrorKind, Number, Range,
    RangeForm, Time, Value, ValueKind, YearMonthDuration,
};

/// Fuel for one evaluation: enough for every realistic expression, small
/// enough that a loop ends in milliseconds.
pub const FUEL: u64 = 200_000;

/// How deep fuzz-built values nest.
const MAX_VALUE_DEPTH: usize = 4;

/// The engine the targets use: default depth limit (the one users get),
/// bounded fuel, and a fixed clock so runs are reproducible.
pub fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| build_engine(true))
}

/// The same engine without constant folding, to check that folding changes
/// no value and no warning.
pub fn engine_without_folding() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| build_engine(false))
}

fn build_engine(fold_constants: bool) -> Engine {
    let noon = chrono::DateTime::parse_from_rfc3339("2024-05-01T12:00:00+02:00")
        .expect("a valid fixed instant");
    Engine::builder()
        .fuel(FUEL)
        .clock(feel::FixedClock(noon))
        .fold_constants(fold_constants)
        .build()
}

/// Whether an evaluation may fail this way: a limit, or Camunda's
/// `assert(value, condition)`, whose whole point is to fail the evaluation.
pub fn is_expected_failure(e: &Error) -> bool {
    match e.kind() {
        ErrorKind::FuelExhausted
        | ErrorKind::DepthExceeded
        | ErrorKind::SizeExceeded
        | ErrorKind::MemoryExhausted => true,
        ErrorKind::HostFunction => e.detail().starts_with("assert:"),
        _ => false,
    }
}

/// A zone for fuzz-built times and date-times.
#[derive(Debug, Clone, Arbitrary)]
pub enum FuzzZone {
    /// No zone (local).
    None,
    /// `Z`.
    Utc,
    /// An offset in minutes.
    Offset(i16),
    /// An IANA zone from a short list.
    Id(u8),
}

const ZONE_IDS: &[&str] = &[
    "Europe/Paris",
    "America/New_York",
    "Asia/Kolkata",
    "Australia/Lord_Howe",
    "Etc/UTC",
    "Pacific/Kiritimati",
];

impl FuzzZone {
    fn suffix(&self) -> String {
        match self {
            FuzzZone::None => String::new(),
            FuzzZone::Utc => "Z".into(),
            FuzzZone::Offset(minutes) => {
                let sign = if *minutes < 0 { '-' } else { '+' };
                let m = minutes.unsigned_abs() % (19 * 60);
                format!("{sign}{:02}:{:02}", m / 60, m % 60)
            }
            FuzzZone::Id(i) => format!("@{}", ZONE_IDS[usize::from(*i) % ZONE_IDS.len()]),
        }
    }
}

/// A context key: usually one FEEL can write as a name, sometimes anything.
#[derive(Debug, Clone, Arbitrary)]
pub enum FuzzKey {
    /// One of a few interesting keys.
    Known(u8),
    /// Any string.
    Any(String),
}

const KNOWN_KEYS: &[&str] = &[
    "a",
    "b",
    "x",
    "name",
    "Full Name",
    "a.b",
    "?",
    "",
    "$x",
    "true",
    "for",
    "item",
    "date",
    "é",
];

impl FuzzKey {
    /// The key.
    pub fn text(&self) -> String {
        match self {
            FuzzKey::Known(i) => KNOWN_KEYS[usize::from(*i) % KNOWN_KEYS.len()].to_owned(),
            FuzzKey::Any(s) => s.clone(),
        }
    }
}

/// A FEEL value described by fuzz bytes.
#[derive(Debug, Clone, Arbitrary)]
pub enum FuzzValue {
    /// `null`
    Null,
    /// A boolean.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// `mantissa × 10^-scale`.
    Decimal {
        /// The digits.
        mantissa: i64,
        /// Where the point goes.
        scale: u8,
    },
    /// A long numeral (digits only), rounded to what a number holds.
    Digits(String),
    /// A string.
    String(String),
    /// A date (`date("…")`), possibly invalid (then null).
    Date {
        /// Year.
        year: i32,
        /// Month.
        month: u8,
        /// Day.
        day: u8,
    },
    /// A time (`time("…")`).
    Time {
        /// Hour.
        hour: u8,
        /// Minute.
        minute: u8,
        /// Second.
        second: u8,
        /// Fraction, in nanoseconds.
        nanos: u32,
        /// Zone.
        zone: FuzzZone,
    },
    /// A date and time (`date and time("…")`).
    DateTime {
        /// Year.
        year: i16,
        /// Month.
        month: u8,
        /// Day.
        day: u8,
        /// Seconds into the day.
        seconds: u32,
        /// Zone.
        zone: FuzzZone,
    },
    /// A days-and-time duration of this many seconds (and nanoseconds).
    DayTime {
        /// Seconds, signed.
        seconds: i64,
        /// Fraction.
        nanos: u32,
    },
    /// A years-and-months duration of this many months.
    YearMonth(i32),
    /// A list.
    List(Vec<FuzzValue>),
    /// A context.
    Context(Vec<(FuzzKey, FuzzValue)>),
    /// A range; its ends need not be of one kind.
    Range {
        /// Lower end.
        start: FuzzBound,
        /// Upper end.
        end: FuzzBound,
        /// How it was written: an interval, `= x` or `!= x` (mod 3).
        form: u8,
    },
}

/// One end of a fuzz-built range.
#[derive(Debug, Clone, Arbitrary)]
pub enum FuzzBound {
    /// Included end point.
    Included(Box<FuzzValue>),
    /// Excluded end point.
    Excluded(Box<FuzzValue>),
    /// No bound.
    Unbounded,
}

impl FuzzBound {
    fn build(&self, depth: usize) -> Bound {
        match self {
            FuzzBound::Included(v) => Bound::Included(v.build(depth)),
            FuzzBound::Excluded(v) => Bound::Excluded(v.build(depth)),
            FuzzBound::Unbounded => Bound::Unbounded,
        }
    }
}

impl FuzzValue {
    /// The FEEL value.
    pub fn to_value(&self) -> Value {
        self.build(0)
    }

    fn build(&self, depth: usize) -> Value {
        match self {
            FuzzValue::Null => Value::Null,
            FuzzValue::Bool(v) => Value::Boolean(*v),
            FuzzValue::Int(i) => Value::from(*i),
            FuzzValue::Decimal { mantissa, scale } => {
                Number::parse(&format!("{mantissa}e-{}", scale % 30))
                    .map_or(Value::Null, Value::Number)
            }
            FuzzValue::Digits(s) => {
                let digits: String = s.chars().filter(char::is_ascii_digit).take(40).collect();
                Number::parse(&digits).map_or(Value::Null, Value::Number)
            }
            FuzzValue::String(s) => Value::from(s.as_str()),
            FuzzValue::Date { year, month, day } => {
                let year = year % 1_000_000;
                let sign = if year < 0 { "-" } else { "" };
                let text = format!(
                    "{sign}{:04}-{:02}-{:02}",
                    year.unsigned_abs(),
                    month % 13,
                    day % 32
                );
                Date::parse(&text).map_or(Value::Null, Value::Date)
            }
            FuzzValue::Time {
                hour,
                minute,
                second,
                nanos,
                zone,
            } => {
                let fraction = nanos % 1_000_000_000;
                Time::parse(&format!(
                    "{:02}:{:02}:{:02}.{fraction:09}{}",
                    hour % 25,
                    minute % 61,
                    second % 61,
                    zone.suffix()
                ))
                .map_or(Value::Null, Value::Time)
            }
            FuzzValue::DateTime {
                year,
                month,
                day,
                seconds,
                zone,
            } => {
                let s = seconds % 86_400;
                DateTime::parse(&format!(
                    "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}{}",
                    year.unsigned_abs() % 10_000,
                    month % 13,
                    day % 32,
                    s / 3600,
                    s / 60 % 60,
                    s % 60,
                    zone.suffix()
                ))
                .map_or(Value::Null, Value::DateTime)
            }
            FuzzValue::DayTime { seconds, nanos } => {
                let sign = if *seconds < 0 { "-" } else { "" };
                let fraction = nanos % 1_000_000_000;
                let text = format!("{sign}PT{}.{fraction:09}S", seconds.unsigned_abs());
                DayTimeDuration::parse(&text).map_or(Value::Null, Value::DayTimeDuration)
            }
            FuzzValue::YearMonth(months) => {
                Value::YearMonthDuration(YearMonthDuration::from_months(i64::from(*months)))
            }
            FuzzValue::List(items) if depth < MAX_VALUE_DEPTH => {
                Value::list(items.iter().map(|v| v.build(depth + 1)))
            }
            FuzzValue::Context(entries) if depth < MAX_VALUE_DEPTH => Value::Context(
                entries
                    .iter()
                    .map(|(k, v)| (k.text(), v.build(depth + 1)))
                    .collect(),
            ),
            FuzzValue::Range { start, end, form } if depth < MAX_VALUE_DEPTH => {
                Value::Range(Arc::new(Range {
                    start: start.build(depth + 1),
                    end: end.build(depth + 1),
                    form: match form % 3 {
                        0 => RangeForm::Interval,
                        1 => RangeForm::Equal,
                        _ => RangeForm::NotEqual,
                    },
                }))
            }
            FuzzValue::List(_) | FuzzValue::Context(_) | FuzzValue::Range { .. } => Value::Null,
        }
    }
}

/// Whether `value` (and everything inside it) has a FEEL literal form that
/// reads back as an expression: not ranges (their Display is a unary test
/// for open ends) and not functions.
fn has_expression_form(value: &Value) -> bool {
    match value.kind() {
        ValueKind::Range | ValueKind::Function => false,
        ValueKind::List => value
            .as_list()
            .is_some_and(|l| l.iter().all(has_expression_form)),
        ValueKind::Context => value
            .as_context()
            .is_some_and(|c| c.iter().all(|(_, v)| has_expression_form(v))),
        _ => true,
    }
}

/// Oracle: a value's Display is FEEL literal syntax, so evaluating it must
/// give back a value with the same Display.
pub fn check_round_trip(value: &Value) {
    if !has_expression_form(value) {
        return;
    }
    let text = value.to_string();
    let expr = match engine().compile_expression(&text) {
        Ok(expr) => expr,
        Err(e) => panic!(
            "the FEEL form of a {} value does not parse back: {text}\n{e}",
            value.kind()
        ),
    };
    match expr.evaluate(&Context::new()) {
        Ok(again) => assert_eq!(
            again.value.to_string(),
            text,
            "the FEEL form of a value evaluates to a different value (warnings: {:?})",
            again.warnings
        ),
        Err(e) if is_expected_failure(&e) => {}
        Err(e) => panic!("the FEEL form of a value fails to evaluate: {text}\n{e}"),
    }
}
