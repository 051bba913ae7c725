//! `parse/<name>`, `eval/<name>`, `parse_eval/<name>` and `json/<name>` over
//! `inputs/expressions.json`.
//!
//! In `eval`, compilation and context conversion happen outside the timed
//! loop; `parse_eval` compiles and evaluates each time (an expression used
//! once). Every expression's result is checked against its expected value
//! before anything is timed.
//!
//! Run: `cargo bench -p feel-benches --bench feel` (add `-- eval/` to pick a group, or
//! `-- --measurement-time 5` for steadier numbers).

use std::hint::black_box;
use std::sync::OnceLock;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use feel::{Engine, Value};
use feel_benches::{Case, Verdict};

/// The inputs, checked once: panics (before any timing) if one is wrong.
fn checked_cases(engine: &Engine) -> &'static [Case] {
    static CASES: OnceLock<Vec<Case>> = OnceLock::new();
    CASES.get_or_init(|| {
        let cases = feel_benches::cases().unwrap_or_else(|e| panic!("bad bench inputs: {e}"));
        let mut wrong = Vec::new();
        for case in &cases {
            match case.check(engine) {
                Ok(Verdict::Expected) => {}
                Ok(Verdict::DisputedNull) => eprintln!(
                    "note: {} yields null (a disputed case: the engine takes the other reading); \
                     benchmarked as it is",
                    case.name
                ),
                Err(e) => wrong.push(e),
            }
        }
        assert!(
            wrong.is_empty(),
            "refusing to benchmark an engine that gives wrong answers:\n  {}",
            wrong.join("\n  ")
        );
        cases
    })
}

fn parse(c: &mut Criterion) {
    let engine = Engine::new();
    let cases = checked_cases(&engine);
    let mut group = c.benchmark_group("parse");
    for case in cases {
        group.bench_function(&case.name, |b| {
            b.iter(|| engine.compile_expression(black_box(&case.source)))
        });
    }
    group.finish();
}

fn eval(c: &mut Criterion) {
    let engine = Engine::new();
    let cases = checked_cases(&engine);
    let mut group = c.benchmark_group("eval");
    for case in cases {
        let expr = engine
            .compile_expression(&case.source)
            .unwrap_or_else(|e| panic!("{}: {e}", case.name));
        group.bench_function(&case.name, |b| {
            b.iter(|| expr.evaluate(black_box(&case.context)))
        });
    }
    group.finish();
}

/// Compile and evaluate, each time.
fn parse_eval(c: &mut Criterion) {
    let engine = Engine::new();
    let cases = checked_cases(&engine);
    let mut group = c.benchmark_group("parse_eval");
    for case in cases {
        group.bench_function(&case.name, |b| {
            b.iter(|| {
                engine
                    .compile_expression(black_box(&case.source))
                    .map(|expr| expr.evaluate(black_box(&case.context)))
            })
        });
    }
    group.finish();
}

/// JSON → FEEL conversion of the Twilio request context (what the webhook
/// does per request) and back.
fn json(c: &mut Criterion) {
    let cases = feel_benches::cases().unwrap_or_else(|e| panic!("bad bench inputs: {e}"));
    let twilio = cases
        .iter()
        .find(|c| c.name == "activation")
        .map(|c| c.context_json.clone())
        .unwrap_or_else(|| panic!("the `activation` case (the Twilio context) is missing"));
    let value = Value::from_json(&twilio);
    let mut group = c.benchmark_group("json");
    group.bench_function("twilio_context", |b| {
        b.iter(|| Value::from_json(black_box(&twilio)))
    });
    group.bench_function("twilio_context_to_json", |b| {
        b.iter(|| black_box(&value).to_json())
    });
    group.finish();
}

fn config() -> Criterion {
    // Modest times: the whole run stays a few minutes on two cores.
    Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(50)
}

criterion_group! {
    name = benches;
    config = config();
    targets = parse, eval, parse_eval, json
}
criterion_main!(benches);
