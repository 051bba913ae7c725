//! Unit tests of the analysis, and a soundness check over the TCK corpus.

use super::*;

fn paths(inputs: &Inputs) -> Vec<String> {
    inputs.paths().iter().map(|p| p.to_string()).collect()
}

fn of_expr(source: &str) -> Vec<String> {
    let expr = crate::parser::parse_expression(source, 256).unwrap();
    paths(&Inputs::of_expression(&expr))
}

#[test]
fn paths_are_sorted_and_a_prefix_covers_its_extensions() {
    assert_eq!(
        of_expr("a.b.c + a.b + z.y + a.bc + z.y.x"),
        ["a.b", "a.bc", "z.y"]
    );
    assert_eq!(of_expr("x + x + x"), ["x"]);
    assert_eq!(of_expr("1 + \"x\""), Vec::<String>::new());
}

#[test]
fn overlap_is_prefix_either_way() {
    let p = InputPath(vec![Name::from("a"), Name::from("b")].into());
    assert!(p.overlaps(&["a"]));
    assert!(p.overlaps(&["a", "b"]));
    assert!(p.overlaps(&["a", "b", "c"]));
    assert!(p.overlaps(&[]));
    assert!(!p.overlaps(&["a", "c"]));
    assert!(!p.overlaps(&["b"]));
}

#[test]
fn deep_trees_do_not_overflow_a_small_stack() {
    // Operator chains are the deepest trees the parser builds.
    let depth = 5_000;
    let source = format!("{}y", "x + ".repeat(depth));
    let expr = crate::parser::parse_expression(&source, depth + 10).unwrap();
    // The tree is dropped on this thread, which has the usual test stack.
    let (expr, inputs) = std::thread::Builder::new()
        .stack_size(128 * 1024)
        .spawn(move || {
            let inputs = paths(&Inputs::of_expression(&expr));
            (expr, inputs)
        })
        .unwrap()
        .join()
        .unwrap();
    assert_eq!(inputs, ["x", "y"]);
    drop(expr);
}

// --- Soundness over the TCK corpus (it reads JSON: json feature) ---
//
// For every TCK expression, every path it names (bound or not) and every path
// of its input that the analysis says is not read is set to other values, or
// removed: the result and the warnings must not change. Names the expression
// binds itself (loop variables, parameters, context entries, `item`,
// `partial`) get a same-named variable this way, which is where a scoping
// mistake would show.

#[cfg(feature = "json")]
use std::collections::BTreeSet;

#[cfg(feature = "json")]
#[path = "../../tests/support/paths.rs"]
mod paths;

#[cfg(feature = "json")]
use crate::test_support::tck_corpus;
#[cfg(feature = "json")]
use crate::value::{Context, Number, Value};
#[cfg(feature = "json")]
use crate::{Engine, Evaluation, FixedClock};

/// A value in the corpus's typed JSON (`{"$number": "1.5"}`, `{"$date": …}`).
#[cfg(feature = "json")]
fn typed(engine: &Engine, json: &serde_json::Value) -> Value {
    use serde_json::Value as J;
    match json {
        J::Object(map) => {
            if let (1, Some((key, J::String(text)))) = (map.len(), map.iter().next()) {
                if key == "$number" {
                    return Value::Number(Number::parse(text).unwrap());
                }
                if key.starts_with('$') {
                    let literal = format!("@\"{text}\"");
                    return engine
                        .evaluate_expression(&literal, &Context::new())
                        .unwrap()
                        .value;
                }
            }
            Value::Context(
                map.iter()
                    .map(|(k, v)| (k.as_str(), typed(engine, v)))
                    .collect(),
            )
        }
        J::Array(items) => Value::List(items.iter().map(|v| typed(engine, v)).collect()),
        other => Value::from_json(other),
    }
}

/// Every path the expression names, bound or not, and their prefixes.
#[cfg(feature = "json")]
fn named_paths(expr: &Expr) -> BTreeSet<Vec<String>> {
    let mut walker = Walker {
        everything: true,
        ..Walker::default()
    };
    walker.expr(expr);
    let mut out = BTreeSet::new();
    for path in walker.found {
        let segments: Vec<String> = path.segments().map(String::from).collect();
        for n in 1..=segments.len() {
            out.insert(segments[..n].to_vec());
        }
    }
    out
}

/// The words and runs of words of the source, as names: candidates that do
/// not depend on the walker under test.
#[cfg(feature = "json")]
fn words(source: &str) -> BTreeSet<Vec<String>> {
    let mut out = BTreeSet::new();
    for run in source.split(|c: char| !c.is_alphanumeric() && c != '_' && c != ' ') {
        let run = run.split_whitespace().collect::<Vec<_>>().join(" ");
        if run.is_empty() {
            continue;
        }
        for word in run.split(' ') {
            out.insert(vec![word.to_string()]);
        }
        out.insert(vec![run]);
    }
    out
}

#[cfg(feature = "json")]
fn has_function(v: &Value) -> bool {
    match v {
        Value::Function(_) => true,
        Value::List(items) => items.iter().any(has_function),
        Value::Context(c) => c.iter().any(|(_, v)| has_function(v)),
        _ => false,
    }
}

#[cfg(feature = "json")]
#[test]
fn tck_results_do_not_depend_on_what_is_not_read() {
    let Some(text) = tck_corpus() else {
        println!("skipped: shared/feel-tck/dev.jsonl not found (set FEEL_TCK to its path)");
        return;
    };
    let instant = chrono::DateTime::parse_from_rfc3339("2024-05-06T07:08:09+02:00").unwrap();
    let engine = Engine::builder()
        .clock(FixedClock(instant))
        .fuel(200_000)
        .build();
    // A function value hides a built-in of its name; a number does not.
    let function = engine
        .evaluate_expression("function(v) v", &Context::new())
        .unwrap()
        .value;
    let replacements = [
        None,
        Some(function),
        Some(Value::from(42)),
        Some(Value::from("other")),
        Some(Value::Context(
            [("a", Value::from(1)), ("item", Value::from(2))]
                .into_iter()
                .collect(),
        )),
    ];
    let (mut cases, mut compared) = (0, 0);
    let mut failures = Vec::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let case: serde_json::Value = serde_json::from_str(line).unwrap();
        let source = case["expression"].as_str().unwrap();
        let Ok(compiled) = engine.compile_expression(source) else {
            continue;
        };
        let Value::Context(vars) = typed(&engine, &case["context"]) else {
            continue;
        };
        let evaluate = |vars: &Context| -> Option<Evaluation> { compiled.evaluate(vars).ok() };
        let Some(expected) = evaluate(&vars) else {
            continue;
        };
        if has_function(&expected.value) {
            // User functions compare by identity: two runs never agree.
            continue;
        }
        cases += 1;
        let ast = crate::parser::parse_expression(source, crate::DEFAULT_MAX_DEPTH).unwrap();
        let mut candidates = named_paths(&ast);
        candidates.extend(words(source));
        let mut in_vars = Vec::new();
        paths::all_paths(&mut Vec::new(), &vars, &mut in_vars);
        candidates.extend(in_vars);
        for path in candidates {
            let segments: Vec<&str> = path.iter().map(String::as_str).collect();
            if compiled.reads(&segments) {
                continue;
            }
            for value in &replacements {
                let Some(changed) = paths::with_value_at(&vars, &path, value.as_ref()) else {
                    continue;
                };
                compared += 1;
                let got = evaluate(&changed);
                if got.as_ref() != Some(&expected) {
                    failures.push(format!(
                        "{source:?}: setting {} to {value:?} changed {expected:?} into {got:?}",
                        path.join(".")
                    ));
                }
            }
        }
    }
    println!("TCK: {cases} expressions, {compared} variations of unread paths");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(
        cases > 2000 && compared > 500,
        "{cases} cases, {compared} variations"
    );
}
