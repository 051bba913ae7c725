//! Conversion functions (DMN 1.5 §10.3.4.1): `date`, `time`, `date and time`,
//! `duration`, `years and months duration`, `number`, `string`, `context`.

use super::Overload;
use crate::error::{Error, WarningKind};
use crate::eval::Ctx;
use crate::value::{Number, Value};

pub(crate) const FUNCTIONS: &[Overload] = &[
    Overload::new("number", &["from"], number_from),
    Overload::new("string", &["from"], string_from),
];

/// `number(from)`: parses a FEEL numeral; null (with a warning) otherwise.
fn number_from(ctx: &mut Ctx<'_, '_>, args: &[Value]) -> Result<Value, Error> {
    Ok(match &args[0] {
        Value::String(s) => match Number::parse(s) {
            Some(n) => Value::Number(n),
            None => ctx.null(
                WarningKind::InvalidValue,
                format!("number: `from` is not a number: \"{s}\""),
            ),
        },
        other => ctx.invalid_type("from", "string", other),
    })
}

/// `string(from)`: the value in its canonical string form.
fn string_from(_ctx: &mut Ctx<'_, '_>, args: &[Value]) -> Result<Value, Error> {
    Ok(match &args[0] {
        Value::Null => Value::Null,
        Value::String(s) => Value::String(s.clone()),
        Value::Date(d) => Value::from(d.to_string()),
        Value::Time(t) => Value::from(t.to_string()),
        Value::DateTime(d) => Value::from(d.to_string()),
        Value::DayTimeDuration(d) => Value::from(d.to_string()),
        Value::YearMonthDuration(d) => Value::from(d.to_string()),
        other => Value::from(other.to_string()),
    })
}
