//! Benchmark inputs: the named expressions of `inputs/expressions.json`, each
//! with its context and the value it must produce.
//!
//! The first ten entries are the shared benchmark set
//! (`shared/bench/expressions.json`, copied verbatim); the rest are ours. An
//! entry is `{name, expression, context, expected}` with plain JSON for the
//! context and the expected value, plus optional `expected_disputed` (the
//! spec is read differently by different engines: null is accepted too) and
//! `note`.
//!
//! [`Case::check`] runs before any timing, so an engine that computes the
//! wrong answer is never reported as fast.

use feel::{Context, Engine, Value};
use serde_json::Value as Json;

/// The bench inputs, compiled into the bench binary.
pub const EXPRESSIONS_JSON: &str = include_str!("../inputs/expressions.json");

/// One named benchmark expression.
#[derive(Debug, Clone)]
pub struct Case {
    /// The bench name (`parse/<name>`, `eval/<name>`).
    pub name: String,
    /// The FEEL source.
    pub source: String,
    /// The variables, as JSON (for the JSON conversion bench).
    pub context_json: Json,
    /// The variables, converted once.
    pub context: Context,
    /// The value the expression must produce.
    pub expected: Value,
    /// Whether engines disagree on this one, so that null is accepted too.
    pub disputed: bool,
}

/// Reads the bench inputs.
pub fn cases() -> Result<Vec<Case>, String> {
    parse_cases(EXPRESSIONS_JSON)
}

/// Reads bench inputs from JSON text.
pub fn parse_cases(text: &str) -> Result<Vec<Case>, String> {
    let json: Json =
        serde_json::from_str(text).map_err(|e| format!("inputs/expressions.json: {e}"))?;
    let Json::Array(entries) = json else {
        return Err("inputs/expressions.json: expected an array of cases".into());
    };
    entries
        .iter()
        .enumerate()
        .map(|(i, entry)| parse_case(entry).map_err(|e| format!("case {i}: {e}")))
        .collect()
}

fn parse_case(entry: &Json) -> Result<Case, String> {
    let text = |key: &str| {
        entry
            .get(key)
            .and_then(Json::as_str)
            .map(str::to_owned)
            .ok_or_else(|| format!("`{key}` must be a string"))
    };
    let name = text("name")?;
    let source = text("expression")?;
    let context_json = entry.get("context").cloned().unwrap_or(Json::Null);
    let context = match &context_json {
        Json::Null => Context::new(),
        other => Context::from_json(other)
            .ok_or_else(|| format!("{name}: `context` must be an object"))?,
    };
    let expected = entry
        .get("expected")
        .map(Value::from_json)
        .ok_or_else(|| format!("{name}: no `expected` value"))?;
    let disputed = entry
        .get("expected_disputed")
        .and_then(Json::as_bool)
        .unwrap_or(false);
    Ok(Case {
        name,
        source,
        context_json,
        context,
        expected,
        disputed,
    })
}

/// How a case's result relates to its expected value.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// The expected value.
    Expected,
    /// Null on a disputed case: the other reading of the spec.
    DisputedNull,
}

impl Case {
    /// Compiles and evaluates the case once and compares the result with the
    /// expected value (FEEL equality, so `2357.940` equals `2357.94`).
    pub fn check(&self, engine: &Engine) -> Result<Verdict, String> {
        let expr = engine
            .compile_expression(&self.source)
            .map_err(|e| format!("{}: does not parse: {e}", self.name))?;
        let evaluation = expr
            .evaluate(&self.context)
            .map_err(|e| format!("{}: evaluation failed: {e}", self.name))?;
        let value = evaluation.value;
        if value.feel_eq(&self.expected) == Some(true) {
            return Ok(Verdict::Expected);
        }
        if self.disputed && value.is_null() {
            return Ok(Verdict::DisputedNull);
        }
        let warnings: Vec<String> = evaluation.warnings.iter().map(|w| w.to_string()).collect();
        Err(format!(
            "{}: expected {}, got {value} (warnings: [{}])",
            self.name,
            self.expected,
            warnings.join("; ")
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inputs_load_with_unique_names() {
        let cases = cases().unwrap();
        assert!(cases.len() >= 14);
        let mut names: Vec<&str> = cases.iter().map(|c| c.name.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), cases.len(), "duplicate bench names");
    }

    /// The shared set must be in our inputs unchanged (when the shared folder
    /// is checked out beside the repository).
    #[test]
    fn inputs_include_the_shared_set() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../shared/bench/expressions.json"
        );
        let Ok(text) = std::fs::read_to_string(path) else {
            eprintln!("skipped: {path} is not there");
            return;
        };
        let shared: Vec<Json> = serde_json::from_str(&text).unwrap();
        let ours: Vec<Json> = serde_json::from_str(EXPRESSIONS_JSON).unwrap();
        for entry in &shared {
            assert!(
                ours.contains(entry),
                "missing or changed: {}",
                entry["name"]
            );
        }
    }

    #[test]
    fn malformed_inputs_are_reported() {
        let err = parse_cases(r#"[{"name": "x", "expression": 1}]"#).unwrap_err();
        assert_eq!(err, "case 0: `expression` must be a string");
        let err = parse_cases(r#"[{"name": "x", "expression": "1", "context": []}]"#).unwrap_err();
        assert!(err.contains("`context` must be an object"), "{err}");
    }

    #[test]
    fn check_rejects_a_wrong_answer() {
        let wrong = r#"[{"name": "w", "expression": "1 + 1", "context": {}, "expected": 3}]"#;
        let case = &parse_cases(wrong).unwrap()[0];
        let err = case.check(&Engine::new()).unwrap_err();
        assert!(err.starts_with("w: expected 3, got 2"), "{err}");
    }

    #[test]
    fn every_case_gives_its_expected_value() {
        let engine = Engine::new();
        for case in cases().unwrap() {
            case.check(&engine).unwrap();
        }
    }
}
