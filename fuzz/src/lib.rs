//! What the fuzz targets share: the engine they run, FEEL values built from
//! fuzz bytes, and the oracles that go beyond "does not panic".
//!
//! Values are built through the public API only: numbers, strings, lists and
//! contexts directly, temporal values and ranges by evaluating FEEL
//! conversion calls (`date(s)`, `[lo..hi]`) that are compiled once.

use std::sync::OnceLock;

use arbitrary::Arbitrary;
use feel::{Context, Engine, ErrorKind, Expression, Number, Value, ValueKind};

/// Fuel for one evaluation: enough for every realistic expression, small
/// enough that a loop ends in milliseconds.
pub const FUEL: u64 = 200_000;

/// How deep fuzz-built values nest.
const MAX_VALUE_DEPTH: usize = 4;

/// The engine the targets use: default depth limit (the one users get),
/// bounded fuel, and a fixed clock so runs are reproducible.
pub fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| {
        let noon = chrono::DateTime::parse_from_rfc3339("2024-05-01T12:00:00+02:00")
            .expect("a valid fixed instant");
        Engine::builder()
            .fuel(FUEL)
            .clock(feel::FixedClock(noon))
            .build()
    })
}

/// Whether an evaluation error is one a limit is allowed to cause.
pub fn is_limit(kind: ErrorKind) -> bool {
    matches!(
        kind,
        ErrorKind::FuelExhausted | ErrorKind::DepthExceeded | ErrorKind::SizeExceeded
    )
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
    /// A range `[lo..hi]`, `(lo..hi)`, …
    Range {
        /// Lower end.
        start: Box<FuzzValue>,
        /// Upper end.
        end: Box<FuzzValue>,
        /// Whether `start` is included.
        start_included: bool,
        /// Whether `end` is included.
        end_included: bool,
    },
}

/// Compiled conversion calls that turn text into temporal values and ends
/// into ranges.
struct Builders {
    date: Expression,
    time: Expression,
    date_time: Expression,
    duration: Expression,
    /// `[lo..hi]`, `[lo..hi)`, `(lo..hi]`, `(lo..hi)`.
    ranges: [Expression; 4],
}

fn builders() -> &'static Builders {
    static BUILDERS: OnceLock<Builders> = OnceLock::new();
    BUILDERS.get_or_init(|| {
        let engine = engine();
        let compile = |src: &str| {
            engine
                .compile_expression(src)
                .unwrap_or_else(|e| panic!("the fuzz setup expression {src} does not parse: {e}"))
        };
        Builders {
            date: compile("date(s)"),
            time: compile("time(s)"),
            date_time: compile("date and time(s)"),
            duration: compile("duration(s)"),
            ranges: [
                compile("[lo..hi]"),
                compile("[lo..hi)"),
                compile("(lo..hi]"),
                compile("(lo..hi)"),
            ],
        }
    })
}

/// Evaluates a setup expression; its own failures (null, limits) are fine.
fn run(expr: &Expression, vars: &Context) -> Value {
    expr.evaluate(vars).map(|e| e.value).unwrap_or_default()
}

fn from_text(expr: &Expression, text: String) -> Value {
    let vars: Context = [("s", Value::from(text))].into_iter().collect();
    run(expr, &vars)
}

impl FuzzValue {
    /// The FEEL value.
    pub fn to_value(&self) -> Value {
        self.build(0)
    }

    fn build(&self, depth: usize) -> Value {
        let b = builders();
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
                from_text(
                    &b.date,
                    format!(
                        "{sign}{:04}-{:02}-{:02}",
                        year.unsigned_abs(),
                        month % 13,
                        day % 32
                    ),
                )
            }
            FuzzValue::Time {
                hour,
                minute,
                second,
                nanos,
                zone,
            } => {
                let fraction = nanos % 1_000_000_000;
                from_text(
                    &b.time,
                    format!(
                        "{:02}:{:02}:{:02}.{fraction:09}{}",
                        hour % 25,
                        minute % 61,
                        second % 61,
                        zone.suffix()
                    ),
                )
            }
            FuzzValue::DateTime {
                year,
                month,
                day,
                seconds,
                zone,
            } => {
                let s = seconds % 86_400;
                from_text(
                    &b.date_time,
                    format!(
                        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}{}",
                        year.unsigned_abs() % 10_000,
                        month % 13,
                        day % 32,
                        s / 3600,
                        s / 60 % 60,
                        s % 60,
                        zone.suffix()
                    ),
                )
            }
            FuzzValue::DayTime { seconds, nanos } => {
                let sign = if *seconds < 0 { "-" } else { "" };
                let fraction = nanos % 1_000_000_000;
                from_text(
                    &b.duration,
                    format!("{sign}PT{}.{fraction:09}S", seconds.unsigned_abs()),
                )
            }
            FuzzValue::YearMonth(months) => {
                let sign = if *months < 0 { "-" } else { "" };
                from_text(&b.duration, format!("{sign}P{}M", months.unsigned_abs()))
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
            FuzzValue::Range {
                start,
                end,
                start_included,
                end_included,
            } if depth < MAX_VALUE_DEPTH => {
                let index = usize::from(!start_included) * 2 + usize::from(!end_included);
                let vars: Context = [("lo", start.build(depth + 1)), ("hi", end.build(depth + 1))]
                    .into_iter()
                    .collect();
                run(&b.ranges[index], &vars)
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
        Err(e) if is_limit(e.kind()) => {}
        Err(e) => panic!("the FEEL form of a value fails to evaluate: {text}\n{e}"),
    }
}
