//! Values built from fuzz bytes, bound as `a` and `b`, through every FEEL
//! operator and every built-in called with them: never a panic, and equality
//! and ordering stay consistent (`a = a` is never false, `=` is symmetric,
//! `a < b` implies `b > a`).

#![no_main]

use std::sync::OnceLock;

use arbitrary::Arbitrary;
use feel::{Context, Expression, Value};
use feel_fuzz::FuzzValue;
use libfuzzer_sys::fuzz_target;

const OPERATORS: &[&str] = &[
    "a + b",
    "a - b",
    "a * b",
    "a / b",
    "a ** b",
    "-a",
    "a = b",
    "a != b",
    "a < b",
    "a <= b",
    "a > b",
    "a >= b",
    "a and b",
    "a or b",
    "not(a)",
    "a in b",
    "a in (b, a)",
    "a between b and a",
    "if a then b else a",
    "a[b]",
    "a[1]",
    "a[-1]",
    "a[item > b]",
    "a.b",
    "a instance of number",
    "a instance of list<number>",
    "a instance of context<b: string>",
    "for i in a return i",
    "some i in a satisfies i = b",
    "every i in b satisfies i != a",
    "[a, b]",
    "{a: a, b: b}.b",
    "string(a) + string(b)",
    "a + duration(\"P1D\")",
    "a - date(\"2024-02-29\")",
    "a.year",
    "a.days",
    "a.start",
];

/// Each operator, then each built-in applied to `(a)` and to `(a, b)`.
fn programs() -> &'static [Expression] {
    static PROGRAMS: OnceLock<Vec<Expression>> = OnceLock::new();
    PROGRAMS.get_or_init(|| {
        let engine = feel_fuzz::engine();
        let mut sources: Vec<String> = OPERATORS.iter().map(|s| (*s).to_owned()).collect();
        for name in feel::builtin_names() {
            sources.push(format!("{name}(a)"));
            sources.push(format!("{name}(a, b)"));
        }
        sources
            .iter()
            .map(|s| {
                engine
                    .compile_expression(s)
                    .unwrap_or_else(|e| panic!("the fuzz program {s} does not parse: {e}"))
            })
            .collect()
    })
}

fn equality() -> &'static [Expression; 4] {
    static EQ: OnceLock<[Expression; 4]> = OnceLock::new();
    EQ.get_or_init(|| {
        let engine = feel_fuzz::engine();
        let c = |s: &str| {
            engine
                .compile_expression(s)
                .unwrap_or_else(|e| panic!("{s} does not parse: {e}"))
        };
        [
            c("a = a"),
            c("a = b"),
            c("b = a"),
            c("if a < b then b > a else null"),
        ]
    })
}

#[derive(Debug, Arbitrary)]
struct Input {
    a: FuzzValue,
    b: FuzzValue,
    /// Which programs to run (indexes, wrapped around).
    picks: Vec<u16>,
}

fn eval(expr: &Expression, vars: &Context) -> Option<Value> {
    match expr.evaluate(vars) {
        Ok(evaluation) => Some(evaluation.value),
        Err(e) => {
            assert!(
                feel_fuzz::is_expected_failure(&e),
                "{} failed with {:?} which is neither a limit nor assert(): {e}",
                expr.source(),
                e.kind()
            );
            None
        }
    }
}

fuzz_target!(|input: Input| {
    let (a, b) = (input.a.to_value(), input.b.to_value());
    let vars: Context = [("a", a.clone()), ("b", b.clone())].into_iter().collect();

    let programs = programs();
    for &pick in input.picks.iter().take(6) {
        let _ = eval(&programs[usize::from(pick) % programs.len()], &vars);
    }

    let [self_eq, ab, ba, lt_gt] = equality();
    if let Some(v) = eval(self_eq, &vars) {
        assert_ne!(v, Value::Boolean(false), "a = a is false for a = {a}");
    }
    if let (Some(x), Some(y)) = (eval(ab, &vars), eval(ba, &vars)) {
        assert_eq!(x, y, "a = b is not b = a for a = {a}, b = {b}");
    }
    if let Some(v) = eval(lt_gt, &vars) {
        assert_ne!(
            v,
            Value::Boolean(false),
            "a < b but not b > a for a = {a}, b = {b}"
        );
    }
});
