//! Property tests for the laws FEEL's built-ins and values promise, through
//! the public API only (`Engine`, `Context`, `Value`).
//!
//! Each property binds generated inputs as variables, evaluates a FEEL
//! expression and checks the result against an independent oracle (Rust's
//! own ordering, integer arithmetic, string formatting) or an algebraic law.

// Test helpers fail loudly; the library lints are for user input.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::cmp::Ordering;

use feel::{Context, Engine, Number, Value};
use proptest::prelude::*;
use serde_json::Value as Json;

/// Evaluates `source` with the given variables; any error or warning fails
/// the property, since every input here is well-typed.
fn eval(source: &str, vars: &[(&str, Value)]) -> Value {
    let mut ctx = Context::new();
    for (name, value) in vars {
        ctx.insert(*name, value.clone());
    }
    let evaluation = Engine::new()
        .evaluate_expression(source, &ctx)
        .unwrap_or_else(|e| panic!("`{source}` failed: {e}"));
    assert!(
        evaluation.warnings.is_empty(),
        "`{source}` warned: {:?}",
        evaluation.warnings
    );
    evaluation.value
}

fn eval_bool(source: &str, vars: &[(&str, Value)]) -> bool {
    match eval(source, vars) {
        Value::Boolean(b) => b,
        other => panic!("`{source}` gave {other}, not a boolean"),
    }
}

fn number(text: &str) -> Value {
    Value::Number(Number::parse(text).unwrap_or_else(|| panic!("bad numeral {text}")))
}

fn int_list(items: &[i64]) -> Value {
    Value::list(items.iter().map(|&i| Value::from(i)))
}

/// A decimal as (mantissa, scale): the exact value is `mantissa / 10^scale`.
fn decimal() -> impl Strategy<Value = (i64, u32)> {
    (-1_000_000_000_000i64..1_000_000_000_000, 0u32..8)
}

fn decimal_text((mantissa, scale): (i64, u32)) -> String {
    let digits = mantissa.unsigned_abs().to_string();
    let sign = if mantissa < 0 { "-" } else { "" };
    let scale = scale as usize;
    if scale == 0 {
        return format!("{sign}{digits}");
    }
    let padded = format!("{digits:0>width$}", width = scale + 1);
    let (int, frac) = padded.split_at(padded.len() - scale);
    format!("{sign}{int}.{frac}")
}

/// Compares two decimals exactly by scaling both to a common scale.
fn decimal_cmp((m1, s1): (i64, u32), (m2, s2): (i64, u32)) -> Ordering {
    let scale = s1.max(s2);
    let a = i128::from(m1) * 10i128.pow(scale - s1);
    let b = i128::from(m2) * 10i128.pow(scale - s2);
    a.cmp(&b)
}

/// `[a < b, a = b, a > b, a <= b, a >= b, b < a, b = a]` in FEEL.
fn comparisons(a: Value, b: Value) -> Value {
    eval(
        "[a < b, a = b, a > b, a <= b, a >= b, b < a, b = a]",
        &[("a", a), ("b", b)],
    )
}

/// What [`comparisons`] must give for two values ordered as `order`.
fn comparisons_for(order: Ordering) -> Value {
    let (lt, eq, gt) = (order.is_lt(), order.is_eq(), order.is_gt());
    let expected = [lt, eq, gt, lt || eq, gt || eq, gt, eq];
    Value::list(expected.into_iter().map(Value::Boolean))
}

/// Numerals in FEEL's canonical form: no leading zeros, no trailing
/// fraction zeros, no `-0`, no exponent.
fn canonical_numeral() -> impl Strategy<Value = String> {
    "-?(0|[1-9][0-9]{0,14})(\\.[0-9]{0,7}[1-9])?".prop_filter("-0 is not canonical", |s| s != "-0")
}

/// JSON shaped values: objects with string keys, arrays, strings, booleans,
/// null, integers and decimals with at most 15 significant digits (so that
/// the f64 JSON numbers carry them exactly, well inside 28 digits).
fn json_value() -> impl Strategy<Value = Json> {
    let leaf = prop_oneof![
        Just(Json::Null),
        any::<bool>().prop_map(Json::Bool),
        any::<i64>().prop_map(Json::from),
        // No trailing fraction zero: `1.50` is the JSON float 1.5 and `2.0`
        // comes back as the integer 2, which is the same number but not
        // the same serde_json value.
        (-999_999_999_999_999i64..999_999_999_999_999, 1u32..10)
            .prop_filter("canonical decimal", |(m, _)| m % 10 != 0)
            .prop_map(|d| {
                serde_json::from_str::<Json>(&decimal_text(d)).expect("decimal numeral is JSON")
            }),
        "[a-zA-Z0-9 äß€😀\"\\\\]{0,8}".prop_map(Json::String),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Json::Array),
            prop::collection::vec(("[a-z][a-z ]{0,6}", inner), 0..6)
                .prop_map(|entries| Json::Object(entries.into_iter().collect())),
        ]
    })
}

/// A date as (year, month, day) in 1900..2100, any valid day of the month.
fn date() -> impl Strategy<Value = (i32, u32, u32)> {
    (1900i32..2100, 1u32..=12, 1u32..=31).prop_filter("a real calendar day", |&(y, m, d)| {
        chrono::NaiveDate::from_ymd_opt(y, m, d).is_some()
    })
}

fn date_literal((y, m, d): (i32, u32, u32)) -> String {
    format!("date(\"{y:04}-{m:02}-{d:02}\")")
}

proptest! {
    #[test]
    fn sort_is_an_ordered_permutation(items in prop::collection::vec(-1000i64..1000, 0..20)) {
        let sorted = eval("sort(l, function(x, y) x < y)", &[("l", int_list(&items))]);
        let mut expected = items.clone();
        expected.sort_unstable();
        prop_assert_eq!(sorted, int_list(&expected));
    }

    #[test]
    fn sort_with_precedes_orders_strings(items in prop::collection::vec("[a-zA-Zä]{0,4}", 0..12)) {
        let list = Value::list(items.iter().map(|s| Value::from(s.as_str())));
        let sorted = eval("sort(l, function(x, y) x > y)", &[("l", list)]);
        let mut expected = items.clone();
        expected.sort_unstable_by(|a, b| b.cmp(a));
        prop_assert_eq!(sorted, Value::list(expected.iter().map(|s| Value::from(s.as_str()))));
    }

    #[test]
    fn reverse_is_an_involution(items in prop::collection::vec(any::<i64>(), 0..20)) {
        let list = int_list(&items);
        prop_assert_eq!(eval("reverse(reverse(l))", &[("l", list.clone())]), list);
    }

    #[test]
    fn string_of_number_is_the_canonical_numeral(numeral in canonical_numeral()) {
        let text = eval("string(number(s))", &[("s", Value::from(numeral.as_str()))]);
        prop_assert_eq!(text, Value::from(numeral.as_str()));
    }

    #[test]
    fn count_of_concatenation_adds(
        a in prop::collection::vec(any::<i64>(), 0..10),
        b in prop::collection::vec(any::<i64>(), 0..10),
    ) {
        let total = eval(
            "count(concatenate(a, b)) = count(a) + count(b)",
            &[("a", int_list(&a)), ("b", int_list(&b))],
        );
        prop_assert_eq!(total, Value::Boolean(true));
        let n = eval("count(concatenate(a, b))", &[("a", int_list(&a)), ("b", int_list(&b))]);
        prop_assert_eq!(n, Value::from(i64::try_from(a.len() + b.len()).unwrap()));
    }

    /// Whole days are exact: `(d + P{n}D) - P{n}D = d`.
    #[test]
    fn date_plus_minus_days_is_identity(d in date(), days in -40_000i64..40_000) {
        let source = format!(
            "{date} + duration(p) - duration(p) = {date}",
            date = date_literal(d)
        );
        let p = Value::from(format!("P{days}D").replace("P-", "-P"));
        prop_assert!(eval_bool(&source, &[("p", p)]));
    }

    /// Years and months clamp at the end of the month, so the law is
    /// `(d + p) - p = date(d.year, d.month, (d + p).day)`: the day comes back
    /// unless the target month is shorter, and then it is that month's last day.
    #[test]
    fn date_plus_minus_months_clamps_to_month_end(d in date(), months in -1200i64..1200) {
        let p = Value::from(format!("P{months}M").replace("P-", "-P"));
        let source = format!(
            "{{d: {date}, q: d + duration(p), law: q - duration(p) = date(d.year, d.month, q.day)}}.law",
            date = date_literal(d)
        );
        prop_assert!(eval_bool(&source, &[("p", p.clone())]));
        if d.2 <= 28 {
            let exact = format!("{date} + duration(p) - duration(p) = {date}", date = date_literal(d));
            prop_assert!(eval_bool(&exact, &[("p", p)]));
        }
    }

    /// Days-time durations on a date and time with an offset are exact.
    #[test]
    fn date_time_plus_minus_days_time_is_identity(
        d in date(),
        (h, m, s) in (0u32..24, 0u32..60, 0u32..60),
        secs in -3_000_000_000i64..3_000_000_000,
    ) {
        let dt = format!(
            "date and time(\"{:04}-{:02}-{:02}T{h:02}:{m:02}:{s:02}+02:00\")",
            d.0, d.1, d.2
        );
        let p = Value::from(format!("PT{secs}S").replace("PT-", "-PT"));
        let source = format!("{dt} + duration(p) - duration(p) = {dt}");
        prop_assert!(eval_bool(&source, &[("p", p)]));
    }

    #[test]
    fn json_round_trips_through_values(json in json_value()) {
        let value = Value::from_json(&json);
        prop_assert_eq!(value.to_json(), json.clone());
        let text = Value::from(json.to_string());
        let through_feel = eval("to json(from json(s))", &[("s", text)]);
        let back: Json = serde_json::from_str(through_feel.as_str().expect("a string")).unwrap();
        prop_assert_eq!(back, json);
    }

    #[test]
    fn number_comparison_is_antisymmetric_and_agrees_with_equality(
        a in decimal(),
        b in decimal(),
    ) {
        let got = comparisons(number(&decimal_text(a)), number(&decimal_text(b)));
        prop_assert_eq!(got, comparisons_for(decimal_cmp(a, b)));
    }

    #[test]
    fn string_comparison_is_antisymmetric_and_agrees_with_equality(
        a in "[a-cäß😀]{0,3}",
        b in "[a-cäß😀]{0,3}",
    ) {
        let got = comparisons(Value::from(a.as_str()), Value::from(b.as_str()));
        // FEEL orders strings by code point, which is UTF-8 byte order.
        prop_assert_eq!(got, comparisons_for(a.cmp(&b)));
    }

    #[test]
    fn decimal_keeps_at_most_scale_fraction_digits(n in decimal(), scale in 0i64..10) {
        let vars = [("n", number(&decimal_text(n))), ("s", Value::from(scale))];
        let rounded = eval("string(decimal(n, s))", &vars);
        let text = rounded.as_str().expect("a string").to_owned();
        let fraction = text.split_once('.').map_or(0, |(_, f)| f.len());
        prop_assert!(fraction <= usize::try_from(scale).unwrap(), "{text} has more than {scale} fraction digits");
        // And it is the nearest such number (within half a unit of the last place).
        prop_assert!(eval_bool("abs(decimal(n, s) - n) <= 0.5 * 10 ** -s", &vars));
    }

    /// A number's Display is a FEEL literal that evaluates back to it.
    #[test]
    fn number_display_parses_back(n in decimal()) {
        let value = number(&decimal_text(n));
        prop_assert_eq!(eval(&value.to_string(), &[]), value);
    }

    /// `string` of a temporal value is accepted by its constructor and gives
    /// the same value back.
    #[test]
    fn temporal_strings_read_back(
        d in date(),
        (h, m, s, nanos) in (0u32..24, 0u32..60, 0u32..60, 0u32..1000),
        offset_minutes in -14 * 60i32..=14 * 60,
        months in -10_000i64..10_000,
        secs in -10_000_000_000i64..10_000_000_000,
    ) {
        let sign = if offset_minutes < 0 { '-' } else { '+' };
        let off = offset_minutes.unsigned_abs();
        let dt = format!(
            "{:04}-{:02}-{:02}T{h:02}:{m:02}:{s:02}.{nanos:03}{sign}{:02}:{:02}",
            d.0, d.1, d.2, off / 60, off % 60
        );
        let vars = [
            ("dt", Value::from(dt)),
            ("ym", Value::from(format!("P{months}M").replace("P-", "-P"))),
            ("dtd", Value::from(format!("PT{secs}S").replace("PT-", "-PT"))),
        ];
        let laws = "{x: date and time(dt), p: duration(ym), q: duration(dtd), laws: [\
            date and time(string(x)) = x, date(string(date(x))) = date(x), \
            time(string(time(x))) = time(x), duration(string(p)) = p, \
            duration(string(q)) = q]}.laws";
        let all_true = Value::list(std::iter::repeat_n(Value::Boolean(true), 5));
        prop_assert_eq!(eval(laws, &vars), all_true);
    }
}

/// FEEL source for an expression over constants, built-in calls and the
/// variables `x` (a number) and `s` (a string): what constant folding sees.
fn expression() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        (-20i64..20).prop_map(|i| i.to_string()),
        Just("2.5".to_string()),
        Just("0".to_string()),
        Just("1e3".to_string()),
        Just("\"ab\"".to_string()),
        Just("null".to_string()),
        Just("true".to_string()),
        Just("x".to_string()),
        Just("s".to_string()),
        Just("date(\"2024-02-29\")".to_string()),
        Just("duration(\"P1D\")".to_string()),
        Just("duration(\"P1Y2M\")".to_string()),
        Just("[1, 2, 3]".to_string()),
        Just("(< 5)".to_string()),
    ];
    leaf.prop_recursive(4, 40, 3, |inner| {
        let op = prop_oneof![
            Just("+"),
            Just("-"),
            Just("*"),
            Just("/"),
            Just("**"),
            Just("="),
            Just("!="),
            Just("<"),
            Just(">="),
            Just("and"),
            Just("or"),
        ];
        let call = prop_oneof![
            Just("upper case"),
            Just("string length"),
            Just("abs"),
            Just("string"),
            Just("count"),
            Just("floor"),
            Just("not"),
            Just("is defined"),
        ];
        prop_oneof![
            (inner.clone(), op, inner.clone()).prop_map(|(a, op, b)| format!("({a} {op} {b})")),
            (call, inner.clone()).prop_map(|(f, a)| format!("{f}({a})")),
            inner.clone().prop_map(|a| format!("-({a})")),
            (inner.clone(), inner.clone(), inner.clone())
                .prop_map(|(c, a, b)| format!("(if {c} then {a} else {b})")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("[{a}, {b}]")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("{{k: {a}, l: {b}}}.l")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a} in [{b}, 2])")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("[{a}, {b}][1]")),
            inner.prop_map(|a| format!("(for i in [1, 2] return {a})")),
        ]
    })
}

proptest! {
    /// Folding constants at compile time changes neither the value nor the
    /// warnings (kind, message, span) of an evaluation, nor whether it fails.
    #[test]
    fn constant_folding_gives_the_general_result(source in expression(), x in -5i64..5) {
        let vars: Context = [("x", Value::from(x)), ("s", Value::from("Hé"))].into_iter().collect();
        let run = |fold: bool| {
            let engine = Engine::builder().fold_constants(fold).build();
            engine
                .compile_expression(&source)
                .map_err(|e| e.to_string())
                .and_then(|e| e.evaluate(&vars).map_err(|e| e.to_string()))
        };
        let (folded, general) = (run(true), run(false));
        match (&folded, &general) {
            (Ok(f), Ok(g)) => {
                prop_assert_eq!(&f.value, &g.value, "{}", source);
                prop_assert_eq!(&f.warnings, &g.warnings, "{}", source);
            }
            _ => prop_assert_eq!(folded.is_ok(), general.is_ok(), "{}: {:?} / {:?}", source, folded, general),
        }
    }
}
