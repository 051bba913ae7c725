//! Parses every expression of the TCK corpus (`shared/feel-tck/dev.jsonl`,
//! beside the repository root) and reports what fails.

use super::{parse_expression, parse_unary_tests, DEPTH};
use crate::test_support::tck_corpus;

#[test]
fn tck_expressions_parse() {
    let Some(text) = tck_corpus() else {
        println!("skipped: shared/feel-tck/dev.jsonl not found (set FEEL_TCK to its path)");
        return;
    };
    let mut total = 0;
    let mut literal_only = 0;
    let mut expected_errors: Vec<String> = Vec::new();
    let mut failures: Vec<String> = Vec::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let case: serde_json::Value = serde_json::from_str(line).expect("a JSON line");
        let source = case["expression"].as_str().expect("an expression");
        let id = case["id"].as_str().unwrap_or("?");
        let tags: Vec<&str> = case["tags"]
            .as_array()
            .map(|t| t.iter().filter_map(|t| t.as_str()).collect())
            .unwrap_or_default();
        total += 1;
        let result = if tags.contains(&"unary-test") {
            parse_unary_tests(source, DEPTH).map(|_| ())
        } else {
            parse_expression(source, DEPTH).map(|_| ())
        };
        let Err(e) = result else { continue };
        let report = format!(
            "{id}: {source:?}\n    {}",
            e.to_string().replace('\n', "\n    ")
        );
        let refused_literal = e.message().contains("is not a valid date, time");
        if tags.contains(&"error") {
            expected_errors.push(report);
        } else if refused_literal && parse_expression(&without_at(source), DEPTH).is_ok() {
            // With every `@"…"` read as a plain string the source parses: only
            // the literal's conversion (`temporal::parse_literal`) failed.
            literal_only += 1;
        } else {
            failures.push(report);
        }
    }
    println!(
        "TCK: {total} expressions; {} failed to parse: {literal_only} only because \
         temporal::parse_literal refused an @-literal, {} that the TCK expects to fail, \
         {} others",
        literal_only + expected_errors.len() + failures.len(),
        expected_errors.len(),
        failures.len()
    );
    println!("Refused where the TCK expects an error:");
    for f in &expected_errors {
        println!("  {f}");
    }
    println!("Refused, but the TCK expects a value:");
    for f in &failures {
        println!("  {f}");
    }
    assert!(
        failures.is_empty(),
        "{} TCK expressions failed to parse",
        failures.len()
    );
}

/// `source` with the `@` of every `@"…"` literal removed (strings kept).
fn without_at(source: &str) -> String {
    let mut out = String::with_capacity(source.len());
    let mut chars = source.chars().peekable();
    let mut in_string = false;
    while let Some(c) = chars.next() {
        match c {
            '\\' if in_string => {
                out.push(c);
                out.extend(chars.next());
                continue;
            }
            '"' => in_string = !in_string,
            '@' if !in_string && chars.peek() == Some(&'"') => continue,
            _ => {}
        }
        out.push(c);
    }
    out
}
