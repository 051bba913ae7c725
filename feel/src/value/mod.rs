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
mod json_text;
mod number;
mod quick;
mod range;
mod size;

use std::fmt;
use std::sync::Arc;

pub use context::Context;
pub(crate) use function::FunctionRepr;
pub use function::{Function, HostFn};
pub use number::{Number, Rounding};
pub(crate) use quick::quick;
pub use range::{Bound, Range, RangeForm};
pub(crate) use size::{context_bytes, list_bytes, new_bytes};

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
        // Strings of one ASCII character (what `substring(s, i, 1)`, `split`
        // on characters or a case change of one letter make) share one
        // allocation each: a reference count instead of an allocation.
        if let [b] = s.as_bytes() {
            if let Some(shared) = one_char_strings().get(usize::from(*b)) {
                return Value::String(shared.clone());
            }
        }
        Value::String(s.into())
    }
}

/// A string for each ASCII character, made once.
fn one_char_strings() -> &'static [Arc<str>] {
    static TABLE: std::sync::OnceLock<Vec<Arc<str>>> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| {
        (0u8..128)
            .map(|b| Arc::from(char::from(b).to_string()))
            .collect()
    })
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

/// Whether two strings are equal, compared in place: names and keys are
/// short, and a word or two of comparison costs less than a call of the C
/// library's `memcmp`.
#[inline]
pub(crate) fn same_text(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let n = a.len();
    if n != b.len() {
        return false;
    }
    // Two (possibly overlapping) words cover the whole string.
    fn word<const W: usize>(s: &[u8], at: usize) -> [u8; W] {
        s.get(at..at + W)
            .and_then(|w| <[u8; W]>::try_from(w).ok())
            .unwrap_or([0; W])
    }
    match n {
        0 => true,
        1 => a[0] == b[0],
        2..=3 => word::<2>(a, 0) == word::<2>(b, 0) && word::<2>(a, n - 2) == word::<2>(b, n - 2),
        4..=7 => word::<4>(a, 0) == word::<4>(b, 0) && word::<4>(a, n - 4) == word::<4>(b, n - 4),
        8..=16 => word::<8>(a, 0) == word::<8>(b, 0) && word::<8>(a, n - 8) == word::<8>(b, n - 8),
        _ => a == b,
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
/// A key written bare must read back as that key: it starts with a name
/// start character of the grammar (DMN rule 31) and goes on with name part
/// characters (rule 32) and single words separated by spaces; anything else
/// is written as a string literal.
fn write_key(f: &mut fmt::Formatter<'_>, key: &str) -> fmt::Result {
    let plain = key.chars().next().is_some_and(is_name_start)
        && key.chars().all(|c| c == ' ' || is_name_part(c))
        && !key.ends_with(' ')
        && !key.contains("  ");
    if plain {
        f.write_str(key)
    } else {
        write_string_literal(f, key)
    }
}

/// DMN rule 31 (`NameStartChar` without `?`), as `grammar/feel.pest` has it.
fn is_name_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_' || (!c.is_ascii() && is_name_start_non_ascii(c))
}

fn is_name_start_non_ascii(c: char) -> bool {
    matches!(c,
        '\u{C0}'..='\u{D6}' | '\u{D8}'..='\u{F6}' | '\u{F8}'..='\u{2FF}' | '\u{370}'..='\u{37D}'
        | '\u{37F}'..='\u{1FFF}' | '\u{200C}'..='\u{200D}' | '\u{2070}'..='\u{218F}'
        | '\u{2C00}'..='\u{2FEF}' | '\u{3001}'..='\u{D7FF}' | '\u{F900}'..='\u{FDCF}'
        | '\u{FDF0}'..='\u{FFFD}' | '\u{10000}'..='\u{EFFFF}')
}

/// DMN rule 32 (`NamePartChar`), without the apostrophes the grammar also
/// takes inside words (a key holding one is simply quoted).
fn is_name_part(c: char) -> bool {
    c.is_ascii_alphanumeric()
        || c == '_'
        || (!c.is_ascii()
            && (is_name_start_non_ascii(c)
                || matches!(c, '\u{B7}' | '\u{300}'..='\u{36F}' | '\u{203F}'..='\u{2040}')))
}

/// A value's FEEL text cut after [`Brief::CHARS`] characters (marked with
/// `…`), for messages: a warning about a megabyte string, or a list holding
/// it many times, must not copy all of it.
pub(crate) struct Brief<'a>(pub(crate) &'a Value);

impl Brief<'_> {
    /// The most characters of the value a message shows.
    pub(crate) const CHARS: usize = 200;
}

impl fmt::Display for Brief<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        struct Cut {
            out: String,
            left: usize,
            cut: bool,
        }
        impl fmt::Write for Cut {
            fn write_str(&mut self, s: &str) -> fmt::Result {
                for c in s.chars() {
                    if self.left == 0 {
                        self.cut = true;
                        // Stops the value's Display where the cut is.
                        return Err(fmt::Error);
                    }
                    self.out.push(c);
                    self.left -= 1;
                }
                Ok(())
            }
        }
        let mut cut = Cut {
            out: String::new(),
            left: Brief::CHARS,
            cut: false,
        };
        let _ = fmt::Write::write_fmt(&mut cut, format_args!("{}", self.0));
        f.write_str(&cut.out)?;
        if cut.cut {
            f.write_str("…")?;
        }
        Ok(())
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
                    // Values nest as deep as they were built.
                    crate::stack::grow_stack(|| write!(f, "{v}"))?;
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
                    crate::stack::grow_stack(|| write!(f, ": {v}"))?;
                }
                f.write_str("}")
            }
            Value::Range(r) if r.form != RangeForm::Interval => {
                let op = if r.form == RangeForm::Equal {
                    "="
                } else {
                    "!="
                };
                match r.start.value() {
                    Some(v) => write!(f, "{op} {v}"),
                    None => f.write_str(op),
                }
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

#[cfg(test)]
mod tests {
    use super::same_text;

    #[test]
    fn one_character_strings_are_the_strings_they_name() {
        use super::{Arc, Value};
        for b in 0u8..128 {
            let text = char::from(b).to_string();
            assert_eq!(
                Value::from(text.as_str()),
                Value::String(Arc::from(text.as_str()))
            );
        }
        for text in ["", "é", "ab", "\u{10FFFF}"] {
            assert_eq!(
                Value::from(text),
                Value::String(Arc::from(text)),
                "{text:?}"
            );
        }
    }

    #[test]
    fn same_text_agrees_with_string_equality() {
        let base: String = "abcdefghijklmnopqrstuvwxyzé0123456789".into();
        for len in 0..=base.len() {
            let Some(a) = base.get(..len) else { continue };
            assert!(same_text(a, a), "{a:?}");
            // Differ at each byte position in turn, and in length.
            for i in 0..a.len() {
                let mut b = a.as_bytes().to_vec();
                b[i] ^= 0x01;
                if let Ok(b) = String::from_utf8(b) {
                    assert_eq!(same_text(a, &b), a == b, "{a:?} {b:?}");
                }
            }
            if let Some(longer) = base.get(..len + 1) {
                assert!(!same_text(a, longer), "{a:?} {longer:?}");
            }
        }
    }
}
