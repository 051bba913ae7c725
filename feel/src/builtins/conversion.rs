//! Conversion functions (DMN 1.5 §10.3.4.1): `number`, `string`, `context`,
//! and Camunda's `to json` and `from json`. The temporal conversions (`date`,
//! `time`, `date and time`, `duration`, `years and months duration`) live in
//! `temporal.rs`.

use super::args::{list_or_item, or_null, string, Out, Overload};
use super::ctx::Ctx;
use crate::dialect::Dialect;
use crate::error::WarningKind;
#[cfg(feature = "json")]
use crate::value::Zone;
use crate::value::{Brief, Context, Number, Value};

pub(crate) const FUNCTIONS: &[Overload] = &[
    Overload::new("number", &["from"], number_from),
    Overload::new("number", &["from", "grouping separator"], number_from),
    Overload::new(
        "number",
        &["from", "grouping separator", "decimal separator"],
        number_from,
    ),
    Overload::new("string", &["from"], string_from),
    Overload::new("context", &["entries"], context_from),
    #[cfg(feature = "json")]
    Overload::new("to json", &["value"], to_json),
    Overload::new("from json", &["value"], from_json),
];

/// `number(from)`, `number(from, grouping separator)` (Camunda) and
/// `number(from, grouping separator, decimal separator)`: parses a numeral.
///
/// The grouping separator is one of space, `,` and `.` (or null for none);
/// the decimal separator `,` or `.` (null for `.`); they must differ. Any
/// other character in `from` makes the result null. Exponents (`1.2e3`) are
/// accepted, as feel-scala does.
fn number_from(ctx: &mut Ctx<'_>, a: &[Value]) -> Out {
    let from = or_null!(string(ctx, &a[0], "from"));
    let grouping = match a.get(1) {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if matches!(&**s, " " | "," | ".") => s.chars().next(),
        Some(other) => {
            return Ok(ctx.invalid_type("grouping separator", "\" \", \",\" or \".\"", other))
        }
    };
    let decimal = match a.get(2) {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if matches!(&**s, "," | ".") => s.chars().next(),
        Some(other) => return Ok(ctx.invalid_type("decimal separator", "\",\" or \".\"", other)),
    };
    if grouping.is_some() && grouping == decimal {
        return Ok(ctx.null(
            WarningKind::InvalidValue,
            "`grouping separator` and `decimal separator` must differ",
        ));
    }
    let decimal = decimal.unwrap_or('.');
    let mut text = String::with_capacity(from.len());
    for c in from.chars() {
        if Some(c) == grouping {
            continue;
        }
        if c == decimal {
            text.push('.');
        } else if c == '.' {
            // A '.' that is neither separator.
            text.push('?');
        } else {
            text.push(c);
        }
    }
    Ok(match Number::parse(&text) {
        Some(n) => Value::Number(n),
        None => ctx.null(
            WarningKind::InvalidValue,
            format!("`from` is not a number: \"{from}\""),
        ),
    })
}

/// `string(from)`: the value in its canonical form: strings as they are,
/// numbers without exponent, temporal values in ISO 8601, and lists, contexts
/// and ranges as FEEL literal text (`[1, "a"]`, `{a: 1}`, `[1..2)`), as the
/// TCK expects. `string(null)` is null. In the Camunda dialect, values are
/// written as feel-scala writes them (see [`camunda_text`]).
fn string_from(ctx: &mut Ctx<'_>, a: &[Value]) -> Out {
    let mut text = Text::new(ctx.memory_left());
    match &a[0] {
        Value::Null => return Ok(Value::Null),
        Value::String(s) => return Ok(Value::String(s.clone())),
        other if ctx.dialect() == Dialect::Camunda => write_camunda(&mut text, other, true),
        other => write_text(&mut text, other),
    }
    text.finish(ctx)
}

/// Text written up to a length (what the memory budget has left): the text
/// of a list that holds one long string many times is far longer than the
/// list, so it is paid for as it is written, not after.
pub(crate) struct Text {
    out: String,
    max: usize,
    full: bool,
}

impl Text {
    pub(crate) fn new(max: usize) -> Self {
        Text {
            out: String::new(),
            max,
            full: false,
        }
    }

    fn push_str(&mut self, s: &str) {
        if self.full || self.out.len().saturating_add(s.len()) > self.max {
            self.full = true;
            return;
        }
        self.out.push_str(s);
    }

    fn push(&mut self, c: char) {
        self.push_str(c.encode_utf8(&mut [0; 4]));
    }

    /// Pays for the text and returns it as a string value; fails if it did
    /// not fit.
    pub(crate) fn finish(self, ctx: &mut Ctx<'_>) -> Out {
        let needed = if self.full {
            self.max.saturating_add(1)
        } else {
            self.out.len()
        };
        ctx.charge(needed)?;
        Ok(Value::from(self.out))
    }
}

impl std::fmt::Write for Text {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.push_str(s);
        if self.full {
            // Stops a `Display` that is writing a large value.
            return Err(std::fmt::Error);
        }
        Ok(())
    }
}

/// A value as Camunda's `string()` writes it: zero durations are `P0D` and
/// `P0Y` (the standard's are `PT0S` and `P0M`); inside lists, contexts and
/// ranges, strings are quoted but not escaped and temporal values appear as
/// their bare ISO text (`[2024-01-01, "a"]`); context entries are `key:value`
/// with the key as it is (`{a:1, b:"x"}`). Everything else is written as in
/// the standard dialect.
#[cfg(feature = "json")]
fn camunda_text(v: &Value) -> String {
    let mut out = Text::new(usize::MAX);
    write_camunda(&mut out, v, true);
    out.out
}

/// Writes the value of a list or context (which may nest deeply) on a stack
/// with room to recurse.
fn nested(out: &mut Text, write: impl FnOnce(&mut Text)) {
    crate::stack::grow_stack(|| write(out));
}

fn write_camunda(out: &mut Text, v: &Value, top: bool) {
    if out.full {
        return;
    }
    match v {
        Value::String(s) if top => out.push_str(s),
        Value::String(s) => {
            out.push('"');
            out.push_str(s);
            out.push('"');
        }
        Value::DayTimeDuration(d) if d.as_nanos() == 0 => out.push_str("P0D"),
        Value::YearMonthDuration(d) if d.total_months() == 0 => out.push_str("P0Y"),
        Value::List(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                nested(out, |out| write_camunda(out, item, false));
                if out.full {
                    return;
                }
            }
            out.push(']');
        }
        Value::Context(c) => {
            out.push('{');
            for (i, (k, item)) in c.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(k);
                out.push(':');
                nested(out, |out| write_camunda(out, item, false));
                if out.full {
                    return;
                }
            }
            out.push('}');
        }
        Value::Range(r) => match (r.start.value(), r.end.value()) {
            (Some(a), Some(b)) => {
                out.push(if r.start.is_included() { '[' } else { '(' });
                write_camunda(out, a, false);
                out.push_str("..");
                write_camunda(out, b, false);
                out.push(if r.end.is_included() { ']' } else { ')' });
            }
            _ => write_text(out, v),
        },
        other => write_text(out, other),
    }
}

/// Writes the canonical string of a value (see `string`).
fn write_text(out: &mut Text, v: &Value) {
    use std::fmt::Write as _;
    // An error here is only the text growing past its limit, which `out`
    // records.
    let _ = match v {
        Value::String(s) => out.write_str(s),
        Value::Date(d) => write!(out, "{d}"),
        Value::Time(t) => write!(out, "{t}"),
        Value::DateTime(d) => write!(out, "{d}"),
        Value::DayTimeDuration(d) => write!(out, "{d}"),
        Value::YearMonthDuration(d) => write!(out, "{d}"),
        other => crate::stack::grow_stack(|| write!(out, "{other}")),
    };
}

/// `context(entries)`: a context from a list of `{key, value}` contexts (a
/// single such context counts as a one-entry list). A missing `key` or
/// `value` entry, a non-string key, or a duplicate key makes it null.
fn context_from(ctx: &mut Ctx<'_>, a: &[Value]) -> Out {
    let entries = or_null!(list_or_item(ctx, &a[0], "entries"));
    ctx.charge(crate::value::context_bytes(entries.len()))?;
    let mut out = Context::new();
    for (i, e) in entries.iter().enumerate() {
        let pos = i + 1;
        let Value::Context(e) = e else {
            let what = format!(
                "entry {pos} of `entries` must be a context, not {}",
                Brief(e)
            );
            return Ok(ctx.null(WarningKind::InvalidType, what));
        };
        let key = match e.get("key") {
            Some(Value::String(k)) => k.clone(),
            Some(other) => {
                let what = format!(
                    "entry {pos} of `entries`: `key` must be a string, not {}",
                    Brief(other)
                );
                return Ok(ctx.null(WarningKind::InvalidType, what));
            }
            None => {
                let what = format!("entry {pos} of `entries` has no `key`");
                return Ok(ctx.null(WarningKind::InvalidValue, what));
            }
        };
        let Some(value) = e.get("value") else {
            let what = format!("entry {pos} of `entries` has no `value`");
            return Ok(ctx.null(WarningKind::InvalidValue, what));
        };
        if out.contains_key(&key) {
            let what = format!("duplicate key \"{key}\" in `entries`");
            return Ok(ctx.null(WarningKind::InvalidValue, what));
        }
        out.insert(key, value.clone());
    }
    Ok(Value::Context(out))
}

/// `to json(value)`: the value as JSON text (Camunda extension). Numbers keep
/// every digit; temporal values become ISO 8601 strings; functions become
/// `null`; ranges become `{"start", "end", "start included", "end included"}`.
/// In the Camunda dialect, as Camunda documents it, a range becomes the JSON
/// string of its text (`"[1..10]"`) and a function the string `"<function>"`.
#[cfg(feature = "json")]
fn to_json(ctx: &mut Ctx<'_>, a: &[Value]) -> Out {
    let mut out = Text::new(ctx.memory_left());
    let now = ctx.now().naive_utc();
    write_json(&mut out, &a[0], ctx.dialect(), Some(now));
    out.finish(ctx)
}

/// Writes `v` as JSON; `now` (UTC) dates the standard offset of a time in a
/// zone id, in the Camunda dialect.
#[cfg(feature = "json")]
fn write_json(out: &mut Text, v: &Value, dialect: Dialect, now: Option<chrono::NaiveDateTime>) {
    if out.full {
        return;
    }
    match v {
        Value::Range(_) if dialect == Dialect::Camunda => {
            out.push_str(&serde_json::Value::String(camunda_text(v)).to_string());
        }
        Value::Function(_) if dialect == Dialect::Camunda => out.push_str("\"<function>\""),
        // Camunda writes a time in a zone id as ISO text with the zone's
        // standard offset and the id in brackets, as it does date-times.
        Value::Time(t) if dialect == Dialect::Camunda => match (t.zone(), now) {
            (Some(zone @ Zone::Id(_)), Some(now)) => {
                let offset = zone.standard_offset_at_utc(&now);
                let text = t.to_string();
                let local = text.split('@').next().unwrap_or(&text);
                let iso = format!("{local}{}[{}]", Zone::Offset(offset).name(), zone.name());
                out.push_str(&serde_json::Value::String(iso).to_string());
            }
            _ => out.push_str(&v.to_json().to_string()),
        },
        Value::Number(n) => out.push_str(&n.to_string()),
        Value::List(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                nested(out, |out| write_json(out, item, dialect, now));
                if out.full {
                    return;
                }
            }
            out.push(']');
        }
        Value::Context(c) => {
            out.push('{');
            for (i, (k, item)) in c.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&serde_json::Value::String(k.to_string()).to_string());
                out.push(':');
                nested(out, |out| write_json(out, item, dialect, now));
                if out.full {
                    return;
                }
            }
            out.push('}');
        }
        Value::DateTime(d) => match (d.zone(), d.offset()) {
            // Camunda writes a zoned date-time as Java's ISO_ZONED_DATE_TIME:
            // the offset in force, then the zone id in brackets.
            (Some(zone @ Zone::Id(_)), Some(offset)) => {
                let text = d.to_string();
                let local = text.split('@').next().unwrap_or(&text);
                let iso = format!("{local}{}[{}]", Zone::Offset(offset).name(), zone.name());
                out.push_str(&serde_json::Value::String(iso).to_string());
            }
            _ => out.push_str(&v.to_json().to_string()),
        },
        other => out.push_str(&other.to_json().to_string()),
    }
}

/// `from json(value)`: parses JSON text into a FEEL value (Camunda extension),
/// keeping every digit of its numbers; null with a warning when the text is
/// not JSON.
fn from_json(ctx: &mut Ctx<'_>, a: &[Value]) -> Out {
    let text = or_null!(string(ctx, &a[0], "value"));
    Ok(match Value::from_json_text(text) {
        Ok(v) => v,
        Err(e) => ctx.null(
            WarningKind::InvalidValue,
            format!("`value` is not valid JSON: {}", e.detail()),
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use crate::value::{Context, Value};

    fn entry(k: &str, v: Value) -> Value {
        Value::from(
            [("key", Value::from(k)), ("value", v)]
                .into_iter()
                .collect::<Context>(),
        )
    }

    #[test]
    fn number_with_separators() {
        assert_text("number", &[s("1 000 000.01"), s(" "), s(".")], "1000000.01");
        assert_text("number", &[s("1.000.000,01"), s("."), s(",")], "1000000.01");
        assert_text("number", &[s("1,000,000"), s(","), Value::Null], "1000000");
        assert_text(
            "number",
            &[s("1000000.01"), Value::Null, s(".")],
            "1000000.01",
        );
        assert_text("number", &[s("-1.5e2")], "-150");
        assert_null("number", &[s("1,000,000.01"), s(" "), s(".")]);
        assert_null("number", &[s("1,000,000.00"), s(","), s(",")]);
        assert_null("number", &[s("1,000,000.01"), s(":"), s(".")]);
        assert_null("number", &[s("1.000.000,01"), s(".")]);
        assert_null("number", &[s("foo")]);
        assert_null("number", &[n("1")]);
    }

    #[test]
    fn string_of_every_kind() {
        assert_text("string", &[n("123.45")], "\"123.45\"");
        assert_text("string", &[n("0.0000001")], "\"0.0000001\"");
        assert_text("string", &[Value::Boolean(false)], "\"false\"");
        assert_text(
            "string",
            &[l([n("1"), s("\"foo\""), l([n("4")])])],
            r#""[1, \"\\\"foo\\\"\", [4]]""#,
        );
        let c: Context = [("a", s("foo")), (",", n("1"))].into_iter().collect();
        assert_text("string", &[Value::from(c)], r#""{a: \"foo\", \",\": 1}""#);
        assert_eq!(call_w("string", &[Value::Null]), (Value::Null, vec![]));
    }

    #[test]
    fn context_from_entries() {
        assert_text(
            "context",
            &[l([entry("a", n("1")), entry("b", Value::Null)])],
            "{a: 1, b: null}",
        );
        assert_text("context", &[entry("", n("1"))], r#"{"": 1}"#);
        assert_text("context", &[l([])], "{}");
        assert_null("context", &[l([entry("a", n("1")), entry("a", n("2"))])]);
        let no_value: Context = [("key", s("a"))].into_iter().collect();
        assert_null("context", &[Value::from(no_value)]);
        assert_null("context", &[s("foo")]);
        assert_null("context", &[Value::Null]);
    }

    #[cfg(feature = "json")]
    #[test]
    fn json_round_trip() {
        let c: Context = [
            ("a", n("0.1")),
            ("b", l([Value::Boolean(true), Value::Null])),
        ]
        .into_iter()
        .collect();
        assert_text(
            "to json",
            &[Value::from(c)],
            r#""{\"a\":0.1,\"b\":[true,null]}""#,
        );
        assert_text(
            "to json",
            &[n("0.3333333333333333333333333333")],
            "\"0.3333333333333333333333333333\"",
        );
        assert_text(
            "from json",
            &[s(r#"{"a": 1, "b": [2, "x"]}"#)],
            r#"{a: 1, b: [2, "x"]}"#,
        );
        assert_null("from json", &[s("{")]);
        let berlin = crate::temporal::parse_literal("2025-11-24T10:00:00@Europe/Berlin").unwrap();
        assert_text(
            "to json",
            &[berlin],
            r#""\"2025-11-24T10:00:00+01:00[Europe/Berlin]\"""#,
        );
        let date = crate::temporal::parse_literal("2023-06-14").unwrap();
        assert_text("to json", &[date], r#""\"2023-06-14\"""#);
    }
}
