//! The built-in function registry.
//!
//! Built-ins are data: each area file (`conversion.rs`, `string.rs`, …) exports
//! a `FUNCTIONS` table of [`Overload`]s, and [`lookup`] finds the overloads of
//! a name. Each overload lists its parameter names exactly as the spec (or
//! Camunda, for extensions) names them, so named arguments work
//! (`substring(string: "abc", start position: 2)`).
//!
//! An overload receives its arguments in parameter order (for a variadic
//! overload, the last parameter collects the rest as a list). It returns
//! `Ok(value)`; a type error or invalid argument is `Ok(ctx.null(..))`, which
//! records a warning naming the function and the argument. `Err` is reserved
//! for failures that stop the evaluation (fuel, host functions).

use std::collections::HashMap;
use std::sync::OnceLock;

mod args;
mod boolean;
mod context;
mod conversion;
mod ctx;
mod list;
mod numeric;
mod range;
mod regex;
mod string;
mod temporal;

pub(crate) use args::Overload;
pub(crate) use ctx::{Ctx, Host};

/// Every area's table.
fn tables() -> [&'static [Overload]; 8] {
    [
        conversion::FUNCTIONS,
        boolean::FUNCTIONS,
        string::FUNCTIONS,
        list::FUNCTIONS,
        numeric::FUNCTIONS,
        context::FUNCTIONS,
        range::FUNCTIONS,
        temporal::FUNCTIONS,
    ]
}

/// Built-in names are fixed, so a fixed-seed hash is enough (and several
/// times cheaper than SipHash on every call by name).
type Registry = HashMap<&'static str, Vec<&'static Overload>, foldhash::fast::FixedState>;

fn registry() -> &'static Registry {
    static REGISTRY: OnceLock<Registry> = OnceLock::new();
    REGISTRY.get_or_init(|| {
        let mut map = Registry::default();
        for table in tables() {
            for o in table {
                map.entry(o.name).or_default().push(o);
            }
        }
        map
    })
}

/// The overloads of the built-in `name`, if it exists.
pub(crate) fn lookup(name: &str) -> Option<&'static [&'static Overload]> {
    registry().get(name).map(Vec::as_slice)
}

/// The canonical `&'static str` of a built-in name (for function values).
pub(crate) fn static_name(name: &str) -> Option<&'static str> {
    registry().get_key_value(name).map(|(k, _)| *k)
}

/// Every built-in name (for tools, dictionaries and docs).
pub fn names() -> impl Iterator<Item = &'static str> {
    let mut names: Vec<&'static str> = registry().keys().copied().collect();
    names.sort_unstable();
    names.into_iter()
}

/// One-line helpers for the built-ins' unit tests.
#[cfg(test)]
pub(crate) mod test_support {
    use crate::error::Warning;
    use crate::value::{Number, Value};

    /// Calls a built-in and returns the result.
    pub(crate) fn call(name: &str, args: &[Value]) -> Value {
        crate::eval::call_builtin(name, args).0
    }

    /// Calls a built-in and returns the result and the warnings.
    pub(crate) fn call_w(name: &str, args: &[Value]) -> (Value, Vec<Warning>) {
        crate::eval::call_builtin(name, args)
    }

    /// A number value from its literal.
    pub(crate) fn n(s: &str) -> Value {
        Value::Number(Number::parse(s).unwrap())
    }

    /// A string value.
    pub(crate) fn s(s: &str) -> Value {
        Value::from(s)
    }

    /// A list value.
    pub(crate) fn l<const N: usize>(items: [Value; N]) -> Value {
        Value::list(items)
    }

    /// Asserts that calling `name` yields null and exactly one warning that
    /// names the function.
    pub(crate) fn assert_null(name: &str, args: &[Value]) {
        let (v, w) = call_w(name, args);
        assert_eq!(v, Value::Null, "{name}{args:?} should be null");
        assert_eq!(w.len(), 1, "{name}{args:?} warnings: {w:?}");
        assert!(w[0].message.starts_with(name), "{}", w[0].message);
    }

    /// Asserts the result's FEEL literal text.
    pub(crate) fn assert_text(name: &str, args: &[Value], expected: &str) {
        let (v, w) = call_w(name, args);
        assert_eq!(v.to_string(), expected, "{name}{args:?} (warnings {w:?})");
    }
}

/// Whole expressions through the engine: overload selection by arity and by
/// parameter names, and built-ins that call back into FEEL functions.
#[cfg(test)]
mod engine_tests {
    use crate::{Context, Engine, WarningKind};

    /// The result's FEEL literal text.
    fn eval(src: &str) -> String {
        let e = Engine::new().evaluate_expression(src, &Context::new());
        e.unwrap_or_else(|e| panic!("{src}: {e}")).value.to_string()
    }

    /// The kinds of the warnings.
    fn warnings(src: &str) -> Vec<WarningKind> {
        let e = Engine::new().evaluate_expression(src, &Context::new());
        let e = e.unwrap_or_else(|e| panic!("{src}: {e}"));
        e.warnings.iter().map(|w| w.kind).collect()
    }

    #[test]
    fn named_arguments_pick_the_overload_by_name() {
        assert_eq!(
            eval(r#"substring(string: "foobar", start position: 3)"#),
            r#""obar""#
        );
        assert_eq!(
            eval(r#"number(from: "1.000,5", decimal separator: ",", grouping separator: ".")"#),
            "1000.5"
        );
        assert_eq!(
            eval(r#"context put(context: {y: {a: 0}}, keys: ["y", "a"], value: 2)"#),
            "{y: {a: 2}}"
        );
        // `key` promises one key, so a key path under that name is refused.
        assert_eq!(
            eval(r#"context put(context: {y: {a: 0}}, key: ["y", "a"], value: 2)"#),
            "null"
        );
        assert_eq!(eval(r#"get value(m: {a: {b: 1}}, key: "a")"#), "{b: 1}");
        assert_eq!(
            eval(r#"get value(context: {a: {b: 1}}, keys: ["a", "b"])"#),
            "1"
        );
        assert_eq!(eval("decimal(n: 15/7, scale: 3)"), "2.143");
        assert_eq!(eval("exp(n: 4)"), "null");
        assert_eq!(warnings("exp(n: 4)"), [WarningKind::InvalidArguments]);
    }

    #[test]
    fn positional_arguments_pick_the_overload_by_arity() {
        assert_eq!(eval("max(1, 5, 3)"), "5");
        assert_eq!(eval("max([1, 5, 3])"), "5");
        assert_eq!(eval("sum(4)"), "4");
        assert_eq!(eval("all()"), "null");
        assert_eq!(eval("all([])"), "true");
        assert_eq!(
            eval(r#"string join(["a", "b"], ", ", "[", "]")"#),
            r#""[a, b]""#
        );
        assert_eq!(eval(r#"before([1..5], 10)"#), "true");
        assert_eq!(eval(r#"before(1, [2..5])"#), "true");
        assert_eq!(eval(r#"includes([1..10], [4..6])"#), "true");
    }

    #[test]
    fn functions_passed_to_built_ins() {
        assert_eq!(
            eval("sort([3, 1, 4, 1, 5], function(x, y) x < y)"),
            "[1, 1, 3, 4, 5]"
        );
        assert_eq!(
            eval(r#"sort(list: ["b", "a", "c"], precedes: function(x, y) x > y)"#),
            r#"["c", "b", "a"]"#
        );
        assert_eq!(
            eval("list replace([2, 4, 7, 8], function(item, newItem) item < newItem, 5)"),
            "[5, 5, 7, 8]"
        );
        assert_eq!(eval("list replace([2, 4, 7, 8], 3, 5)"), "[2, 4, 5, 8]");
        assert_eq!(eval(r#"sort([1, "a"], function(x, y) x < y)"#), "null");
    }

    #[test]
    fn camunda_helpers_over_missing_variables() {
        assert_eq!(eval("is defined(x)"), "false");
        assert_eq!(eval("is defined(1)"), "true");
        assert_eq!(eval(r#"get or else(x, "default")"#), r#""default""#);
        assert_eq!(eval("assert(4, 4 > 0)"), "4");
        let err = Engine::new()
            .evaluate_expression(r#"assert(-1, -1 > 0, "must be positive")"#, &Context::new())
            .unwrap_err();
        assert!(err.detail().contains("must be positive"), "{err}");
    }

    #[test]
    fn regex_and_conversions_in_expressions() {
        assert_eq!(eval(r##"replace("abc", "[a-z-[b]]", "#")"##), r##""#b#""##);
        assert_eq!(eval(r#"matches("a\nb", "^a.b$", "s")"#), "true");
        assert_eq!(eval(r#"split("a;b;;c", ";")"#), r#"["a", "b", "", "c"]"#);
        assert_eq!(
            eval(r#"string([1, "a", {b: null}])"#),
            r#""[1, \"a\", {b: null}]""#
        );
        assert_eq!(eval(r#"range("[1..3)")"#), "[1..3)");
        assert_eq!(eval(r#"2 in range("[1..3)")"#), "true");
        assert_eq!(eval("10 / 3"), "3.333333333333333333333333333");
        assert_eq!(eval("2 ** 0.5"), "1.414213562373095048801688724");
    }
}
