//! How a built-in is declared (its overloads) and how it reads its arguments
//! and reports what it cannot do.

use std::borrow::Cow;

use super::ctx::Ctx;
use crate::error::{Error, WarningKind};
use crate::value::{new_bytes, Context, Number, Value};

/// The Rust signature of a built-in overload.
pub(crate) type BuiltinFn = fn(&mut Ctx<'_>, &[Value]) -> Result<Value, Error>;

/// One overload of a built-in function.
pub(crate) struct Overload {
    /// The FEEL name (`string length`).
    pub name: &'static str,
    /// The parameter names, in order.
    pub params: &'static [&'static str],
    /// Whether the last parameter collects any number of arguments.
    pub variadic: bool,
    /// The implementation.
    pub call: BuiltinFn,
}

impl Overload {
    /// A fixed-arity overload.
    pub const fn new(name: &'static str, params: &'static [&'static str], call: BuiltinFn) -> Self {
        Overload {
            name,
            params,
            variadic: false,
            call,
        }
    }

    /// An overload whose last parameter collects the remaining arguments.
    pub const fn variadic(
        name: &'static str,
        params: &'static [&'static str],
        call: BuiltinFn,
    ) -> Self {
        Overload {
            name,
            params,
            variadic: true,
            call,
        }
    }
}

/// The result of a built-in overload.
pub(crate) type Out = Result<Value, Error>;

/// Pays for `v`, a value the built-in has just built, and returns it.
///
/// For results no bigger than the arguments they come from (`sublist`,
/// `reverse`, `upper case`, …): building them first overshoots the budget by
/// at most what the arguments already hold. Results that can grow beyond
/// their arguments (`concatenate(l, l, l)`, `string join`, `replace`) are
/// paid for before they are built, with [`Ctx::charge`].
pub(crate) fn built(ctx: &mut Ctx<'_>, v: Value) -> Out {
    ctx.charge(new_bytes(&v))?;
    Ok(v)
}

/// Unwraps an argument check, or returns null from the built-in (the check has
/// already recorded the warning).
macro_rules! or_null {
    ($e:expr) => {
        match $e {
            Some(v) => v,
            None => return Ok(Value::Null),
        }
    };
}
pub(crate) use or_null;

/// Argument `param` as a number, or a warning. A singleton list stands for
/// its item (DMN 1.5 §10.3.2.9.4, "from singleton list"), here and in the
/// other scalar helpers.
pub(crate) fn number(ctx: &mut Ctx<'_>, v: &Value, param: &str) -> Option<Number> {
    scalar(ctx, v, param, "a number", |v| match v {
        Value::Number(n) => Some(*n),
        _ => None,
    })
}

/// What `pick` takes from argument `param`, or from the item of a singleton
/// list (any number of them deep); anything else is a warning that it should
/// have been `expected`. `pick` takes no list.
fn scalar<'v, T>(
    ctx: &mut Ctx<'_>,
    v: &'v Value,
    param: &str,
    expected: &str,
    pick: fn(&'v Value) -> Option<T>,
) -> Option<T> {
    if let Some(picked) = pick(v) {
        return Some(picked);
    }
    match v {
        Value::List(l) if l.len() == 1 => scalar(ctx, &l[0], param, expected, pick),
        other => {
            ctx.invalid_type(param, expected, other);
            None
        }
    }
}

/// Argument `param` as a whole number in `i64` range; a fraction is truncated
/// toward zero (as feel-scala does for positions and lengths).
pub(crate) fn integer(ctx: &mut Ctx<'_>, v: &Value, param: &str) -> Option<i64> {
    let n = number(ctx, v, param)?;
    match n.trunc_i64() {
        Some(i) => Some(i),
        None => {
            ctx.null(
                WarningKind::InvalidValue,
                format!("`{param}` is out of range: {n}"),
            );
            None
        }
    }
}

/// Argument `param` as a string, or a warning.
pub(crate) fn string<'v>(ctx: &mut Ctx<'_>, v: &'v Value, param: &str) -> Option<&'v str> {
    scalar(ctx, v, param, "a string", |v| match v {
        Value::String(s) => Some(s),
        _ => None,
    })
}

/// Argument `param` as a list, where a single non-list value counts as a
/// singleton list (DMN 1.5 §10.3.2.9.4, "to singleton list"). Null is not
/// converted: it is an error.
pub(crate) fn list_or_item<'v>(
    ctx: &mut Ctx<'_>,
    v: &'v Value,
    param: &str,
) -> Option<Cow<'v, [Value]>> {
    match v {
        Value::List(l) => Some(Cow::Borrowed(&l[..])),
        Value::Null => {
            ctx.invalid_type(param, "a list", v);
            None
        }
        other => Some(Cow::Owned(vec![other.clone()])),
    }
}

/// Argument `param` as a context, or a warning.
pub(crate) fn context<'v>(ctx: &mut Ctx<'_>, v: &'v Value, param: &str) -> Option<&'v Context> {
    scalar(ctx, v, param, "a context", |v| match v {
        Value::Context(c) => Some(c),
        _ => None,
    })
}

/// Argument `param` as a function, or a warning.
pub(crate) fn function<'v>(ctx: &mut Ctx<'_>, v: &'v Value, param: &str) -> Option<&'v Value> {
    match v {
        Value::Function(_) => Some(v),
        other => {
            ctx.invalid_type(param, "a function", other);
            None
        }
    }
}

/// A number result, or null with a warning when it did not fit (`what` names
/// the operation).
pub(crate) fn number_result(ctx: &mut Ctx<'_>, n: Option<Number>, what: &str) -> Value {
    match n {
        Some(n) => Value::Number(n),
        None => ctx.null(
            WarningKind::ArithmeticError,
            format!("{what} is undefined or outside the range of numbers"),
        ),
    }
}
