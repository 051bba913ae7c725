//! FEEL values.
//!
//! [`Value`] is what expressions evaluate to and what contexts hold. Equality
//! and ordering follow FEEL (see [`Value::feel_eq`] and [`Value::feel_cmp`]),
//! not Rust's derived traits: `PartialEq` here is structural and meant for
//! tests and caches.

mod compare;
mod context;
mod function;
#[cfg(feature = "json")]
mod json;
mod number;
mod range;

use std::fmt;
use std::sync::Arc;

pub use context::Context;
pub(crate) use function::FunctionRepr;
pub use function::{Function, HostFn};
pub use number::{Number, Rounding};
pub use range::{Bound, Range};

pub use crate::temporal::{Date, DateTime, DayTimeDuration, Time, YearMonthDuration, Zone};

/// A FEEL value.
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub enum Value {
    /// `null`
    #[default]
    Null,
    /// `true` or `false`
    Boolean(bool),
    /// A decimal number.
    Number(Number),
    /// A string.
    String(Arc<str>),
    /// A calendar date.
    Date(Date),
    /// A time of day, with an optional offset or zone.
    Time(Time),
    /// A date and time, with an optional offset or zone.
    DateTime(DateTime),
    /// A days-and-time duration (`P1DT2H`).
    DayTimeDuration(DayTimeDuration),
    /// A years-and-months duration (`P1Y2M`).
    YearMonthDuration(YearMonthDuration),
    /// A list.
    List(Arc<[Value]>),
    /// An ordered context.
    Context(Context),
    /// A range (interval).
    Range(Arc<Range>),
    /// A function.
    Function(Function),
}

/// The kind of a [`Value`], for callers to match on without the payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ValueKind {
    /// `null`
    Null,
    /// `boolean`
    Boolean,
    /// `number`
    Number,
    /// `string`
    String,
    /// `date`
    Date,
    /// `time`
    Time,
    /// `date and time`
    DateTime,
    /// `days and time duration`
    DayTimeDuration,
    /// `years and months duration`
    YearMonthDuration,
    /// `list`
    List,
    /// `context`
    Context,
    /// `range`
    Range,
    /// `function`
    Function,
}

impl ValueKind {
    /// The FEEL type name (`days and time duration`, `date and time`, …).
    pub fn type_name(self) -> &'static str {
        match self {
            ValueKind::Null => "Null",
            ValueKind::Boolean => "boolean",
            ValueKind::Number => "number",
            ValueKind::String => "string",
            ValueKind::Date => "date",
            ValueKind::Time => "time",
            ValueKind::DateTime => "date and time",
            ValueKind::DayTimeDuration => "days and time duration",
            ValueKind::YearMonthDuration => "years and months duration",
            ValueKind::List => "list",
            ValueKind::Context => "context",
            ValueKind::Range => "range",
            ValueKind::Function => "function",
        }
    }
}

impl fmt::Display for ValueKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.type_name())
    }
}

impl Value {
    /// The kind of this value.
    pub fn kind(&self) -> ValueKind {
        match self {
            Value::Null => ValueKind::Null,
            Value::Boolean(_) => ValueKind::Boolean,
            Value::Number(_) => ValueKind::Number,
            Value::String(_) => ValueKind::String,
            Value::Date(_) => ValueKind::Date,
            Value::Time(_) => ValueKind::Time,
            Value::DateTime(_) => ValueKind::DateTime,
            Value::DayTimeDuration(_) => ValueKind::DayTimeDuration,
            Value::YearMonthDuration(_) => ValueKind::YearMonthDuration,
            Value::List(_) => ValueKind::List,
            Value::Context(_) => ValueKind::Context,
            Value::Range(_) => ValueKind::Range,
            Value::Function(_) => ValueKind::Function,
        }
    }

    /// Whether this is `null`.
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// The boolean, if this is one.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Boolean(b) => Some(*b),
            _ => None,
        }
    }

    /// The number, if this is one.
    pub fn as_number(&self) -> Option<Number> {
        match self {
            Value::Number(n) => Some(*n),
            _ => None,
        }
    }

    /// The string, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The list items, if this is a list.
    pub fn as_list(&self) -> Option<&[Value]> {
        match self {
            Value::List(l) => Some(l),
            _ => None,
        }
    }

    /// The context, if this is one.
    pub fn as_context(&self) -> Option<&Context> {
        match self {
            Value::Context(c) => Some(c),
            _ => None,
        }
    }

    /// Creates a string value.
    pub fn string(s: impl Into<Arc<str>>) -> Value {
        Value::String(s.into())
    }

    /// Creates a list value.
    pub fn list(items: impl IntoIterator<Item = Value>) -> Value {
        Value::List(items.into_iter().collect())
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Boolean(b)
    }
}

impl From<Number> for Value {
    fn from(n: Number) -> Self {
        Value::Number(n)
    }
}

impl From<i64> for Value {
    fn from(i: i64) -> Self {
        Value::Number(i.into())
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::String(s.into())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::String(s.into())
    }
}

impl From<Context> for Value {
    fn from(c: Context) -> Self {
        Value::Context(c)
    }
}

impl From<Vec<Value>> for Value {
    fn from(v: Vec<Value>) -> Self {
        Value::List(v.into())
    }
}

/// Writes `s` as a FEEL string literal.
pub(crate) fn write_string_literal(f: &mut impl fmt::Write, s: &str) -> fmt::Result {
    f.write_char('"')?;
    for c in s.chars() {
        match c {
            '"' => f.write_str("\\\"")?,
            '\\' => f.write_str("\\\\")?,
            '\n' => f.write_str("\\n")?,
            '\r' => f.write_str("\\r")?,
            '\t' => f.write_str("\\t")?,
            c if (c as u32) < 0x20 => write!(f, "\\u{:04x}", c as u32)?,
            c => f.write_char(c)?,
        }
    }
    f.write_char('"')
}

/// Writes a context key: bare when it is a plain name, quoted otherwise.
fn write_key(f: &mut fmt::Formatter<'_>, key: &str) -> fmt::Result {
    let mut chars = key.chars();
    let plain = chars.next().is_some_and(|c| c.is_alphabetic() || c == '_')
        && key
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == ' ')
        && !key.ends_with(' ');
    if plain {
        f.write_str(key)
    } else {
        write_string_literal(f, key)
    }
}

impl fmt::Display for Value {
    /// The value in FEEL literal syntax: `"text"`, `[1, 2]`, `{a: 1}`,
    /// `date("2020-01-01")`, `duration("P1D")`, `[1..10)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Null => f.write_str("null"),
            Value::Boolean(b) => write!(f, "{b}"),
            Value::Number(n) => write!(f, "{n}"),
            Value::String(s) => write_string_literal(f, s),
            Value::Date(d) => write!(f, "date(\"{d}\")"),
            Value::Time(t) => write!(f, "time(\"{t}\")"),
            Value::DateTime(d) => write!(f, "date and time(\"{d}\")"),
            Value::DayTimeDuration(d) => write!(f, "duration(\"{d}\")"),
            Value::YearMonthDuration(d) => write!(f, "duration(\"{d}\")"),
            Value::List(items) => {
                f.write_str("[")?;
                for (i, v) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{v}")?;
                }
                f.write_str("]")
            }
            Value::Context(c) => {
                f.write_str("{")?;
                for (i, (k, v)) in c.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write_key(f, k)?;
                    write!(f, ": {v}")?;
                }
                f.write_str("}")
            }
            Value::Range(r) => match (&r.start, &r.end) {
                (Bound::Unbounded, Bound::Unbounded) => f.write_str("(..)"),
                (Bound::Unbounded, Bound::Included(v)) => write!(f, "<= {v}"),
                (Bound::Unbounded, Bound::Excluded(v)) => write!(f, "< {v}"),
                (Bound::Included(v), Bound::Unbounded) => write!(f, ">= {v}"),
                (Bound::Excluded(v), Bound::Unbounded) => write!(f, "> {v}"),
                (s, e) => {
                    let open = if s.is_included() { "[" } else { "(" };
                    let close = if e.is_included() { "]" } else { ")" };
                    let (Some(a), Some(b)) = (s.value(), e.value()) else {
                        return Ok(());
                    };
                    write!(f, "{open}{a}..{b}{close}")
                }
            },
            Value::Function(func) => write!(f, "{func:?}"),
        }
    }
}
