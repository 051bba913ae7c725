//! An arbitrary expression evaluated against a context: never a panic or a
//! hang (fuel and the depth limit stop loops and deep recursion), a result's
//! FEEL form reads back as the same value, and constant folding changes
//! neither the value nor the warnings.
//!
//! Input layout: the expression text, then optionally a NUL byte and the
//! bytes that describe extra variables. Plain expression files (the seeds)
//! are thus valid inputs on their own.

#![no_main]

use arbitrary::{Arbitrary, Unstructured};
use feel::{Context, Value};
use feel_fuzz::{FuzzKey, FuzzValue};
use libfuzzer_sys::fuzz_target;

/// Variables every run has, so seeds that read them do real work.
fn base_context() -> Context {
    let item = |price: i64, qty: i64| -> Value {
        Value::Context(
            [("price", Value::from(price)), ("qty", Value::from(qty))]
                .into_iter()
                .collect(),
        )
    };
    let body: Context = [
        ("SmsStatus", Value::from("received")),
        ("From", Value::from("+14155550123")),
        ("Body", Value::from("Hello from Twilio")),
    ]
    .into_iter()
    .collect();
    let request: Context = [
        ("body", Value::Context(body)),
        ("params", Value::Context(Context::new())),
    ]
    .into_iter()
    .collect();
    [
        ("x", Value::from(7)),
        ("s", Value::from("a b c")),
        ("items", Value::list([item(12, 2), item(3, 5), item(30, 1)])),
        ("nums", Value::list((1..=10).map(Value::from))),
        ("request", Value::Context(request)),
        ("Full Name", Value::from("John Doe")),
        ("flag", Value::Boolean(false)),
        ("nothing", Value::Null),
    ]
    .into_iter()
    .collect()
}

fuzz_target!(|data: &[u8]| {
    let (text, rest) = match data.iter().position(|&b| b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[][..]),
    };
    let Ok(source) = std::str::from_utf8(text) else {
        return;
    };
    let Ok(expr) = feel_fuzz::engine().compile_expression(source) else {
        return;
    };
    let mut vars = base_context();
    let mut u = Unstructured::new(rest);
    if let Ok(extra) = Vec::<(FuzzKey, FuzzValue)>::arbitrary(&mut u) {
        for (key, value) in extra.iter().take(8) {
            vars.insert(key.text(), value.to_value());
        }
    }
    let result = expr.evaluate(&vars);
    match &result {
        Ok(evaluation) => feel_fuzz::check_round_trip(&evaluation.value),
        Err(e) => assert!(
            feel_fuzz::is_expected_failure(e),
            "evaluation failed with {:?} which is neither a limit nor assert(): {e}",
            e.kind()
        ),
    }
    // Constant folding changes no value and no warning. (Folded parts cost
    // less fuel and depth, so a limit may stop one evaluation and not the
    // other: only two completed evaluations are compared.)
    let general = feel_fuzz::engine_without_folding()
        .compile_expression(source)
        .expect("folding does not change what parses")
        .evaluate(&vars);
    if let (Ok(folded), Ok(general)) = (&result, &general) {
        // (Compared in FEEL form: two evaluations make distinct closures.)
        assert_eq!(
            folded.value.to_string(),
            general.value.to_string(),
            "value of {source:?}"
        );
        assert_eq!(folded.warnings, general.warnings, "warnings of {source:?}");
    }
});
