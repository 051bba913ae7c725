//! Boolean functions (DMN 1.5 §10.3.4.2): `not`, `is`, and Camunda's `is
//! defined`, `get or else` and `assert`.

use super::args::{Out, Overload};
use super::ctx::Ctx;
use crate::error::{Error, ErrorKind};
use crate::value::{Brief, Value};

pub(crate) const FUNCTIONS: &[Overload] = &[
    Overload::new("not", &["negand"], not),
    Overload::new("is", &["value1", "value2"], is),
    Overload::new("is defined", &["value"], is_defined),
    Overload::new("get or else", &["value", "default"], get_or_else),
    Overload::new("assert", &["value", "condition"], assert),
    Overload::new("assert", &["value", "condition", "cause"], assert),
];

/// `not(negand)`: logical negation; null for null (three-valued logic) and,
/// with a warning, for anything that is not a boolean.
fn not(ctx: &mut Ctx<'_>, a: &[Value]) -> Out {
    Ok(match &a[0] {
        Value::Boolean(b) => Value::Boolean(!b),
        Value::Null => Value::Null,
        other => ctx.invalid_type("negand", "a boolean", other),
    })
}

/// `is(value1, value2)`: whether both are the same element of FEEL's semantic
/// domain. Unlike `=`, values of different kinds are simply not the same
/// (false, not null), and temporal values must agree in their zone or offset
/// too: `is(@"23:00:50Z", @"23:00:50")` is false although neither is wrong.
fn is(_ctx: &mut Ctx<'_>, a: &[Value]) -> Out {
    let (x, y) = (&a[0], &a[1]);
    let same = x.kind() == y.kind()
        && match x {
            Value::Date(_)
            | Value::Time(_)
            | Value::DateTime(_)
            | Value::DayTimeDuration(_)
            | Value::YearMonthDuration(_) => x == y,
            _ => x.feel_eq(y) == Some(true),
        };
    Ok(Value::Boolean(same))
}

/// `is defined(value)`: whether the value is not null (Camunda extension).
///
/// Camunda also answers false for a missing variable or path (`is defined(x.y)`
/// where `x` does not exist); that works because the evaluator yields null for
/// them. The evaluator may want to drop the "no variable found" warning for an
/// argument of `is defined`, since asking is the point.
fn is_defined(_ctx: &mut Ctx<'_>, a: &[Value]) -> Out {
    Ok(Value::Boolean(!a[0].is_null()))
}

/// `get or else(value, default)`: `value` unless it is null, else `default`
/// (Camunda extension).
fn get_or_else(_ctx: &mut Ctx<'_>, a: &[Value]) -> Out {
    Ok(if a[0].is_null() {
        a[1].clone()
    } else {
        a[0].clone()
    })
}

/// `assert(value, condition)` and `assert(value, condition, cause)`: `value`
/// when `condition` is true; otherwise the evaluation fails with an error
/// carrying `cause` (Camunda extension). As in feel-scala, a failed assertion
/// is an error, not a null: the caller asked for the evaluation to stop.
fn assert(ctx: &mut Ctx<'_>, a: &[Value]) -> Out {
    if a[1] == Value::Boolean(true) {
        return Ok(a[0].clone());
    }
    let detail = match a.get(2) {
        Some(Value::String(cause)) => format!("{}: {cause}", ctx.function_name()),
        Some(Value::Null) | None => format!(
            "{}: the condition is {}, not true",
            ctx.function_name(),
            a[1]
        ),
        Some(other) => format!("{}: {}", ctx.function_name(), Brief(other)),
    };
    Err(Error::new(ErrorKind::HostFunction, detail))
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use crate::value::Value;

    const T: Value = Value::Boolean(true);
    const F: Value = Value::Boolean(false);

    #[test]
    fn not_is_three_valued() {
        assert_eq!(call("not", &[T]), F);
        assert_eq!(call("not", &[F]), T);
        assert_eq!(call_w("not", &[Value::Null]), (Value::Null, vec![]));
        assert_null("not", &[n("1")]);
    }

    #[test]
    fn is_compares_kind_value_and_zone() {
        let at = |s: &str| crate::temporal::parse_literal(s).unwrap();
        assert_eq!(call("is", &[at("2012-12-25"), at("2012-12-25")]), T);
        assert_eq!(call("is", &[at("2012-12-25"), at("23:00:50")]), F);
        assert_eq!(call("is", &[at("23:00:50Z"), at("23:00:50")]), F);
        assert_eq!(call("is", &[at("23:00:50Z"), at("23:00:50+00:00")]), T);
        assert_eq!(call("is", &[n("1"), n("1.0")]), T);
        assert_eq!(call("is", &[n("1"), s("1")]), F);
        assert_eq!(call("is", &[Value::Null, Value::Null]), T);
    }

    #[test]
    fn camunda_helpers() {
        assert_eq!(call("is defined", &[n("1")]), T);
        assert_eq!(call("is defined", &[Value::Null]), F);
        assert_eq!(call("get or else", &[Value::Null, s("x")]), s("x"));
        assert_eq!(call("get or else", &[s("a"), s("x")]), s("a"));
        assert_eq!(call("assert", &[n("4"), T]), n("4"));
        assert_eq!(call("assert", &[n("4"), T, s("never")]), n("4"));
    }

    /// The panic message of `call_builtin` when the built-in returned `Err`
    /// (the test entry point has no other way to hand the error back).
    fn error_of(args: &[Value]) -> String {
        let args = args.to_vec();
        let err =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || call("assert", &args)))
                .unwrap_err();
        err.downcast_ref::<String>().cloned().unwrap_or_default()
    }

    #[test]
    fn failed_assertion_is_an_error() {
        let msg = error_of(&[n("-1"), F, s("'x' should be positive")]);
        assert!(msg.contains("assert: 'x' should be positive"), "{msg}");
        let msg = error_of(&[n("-1"), Value::Null]);
        assert!(msg.contains("the condition is null"), "{msg}");
    }
}
