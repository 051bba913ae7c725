//! Every built-in Camunda documents, called by name with every parameter name
//! its documentation gives (`../shared/spec/camunda-feel-builtins.json`,
//! beside the repository, or the file `CAMUNDA_BUILTINS` names).
//!
//! A call binds when it yields no `InvalidArguments` or `NoFunctionFound`
//! warning: the arguments are all null, so warnings about their types are
//! expected and ignored. When the file is absent the test says so and passes.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;

use feel::{Context, Dialect, Engine, WarningKind};

fn spec() -> Option<(PathBuf, serde_json::Value)> {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let candidates = [
        std::env::var_os("CAMUNDA_BUILTINS").map(PathBuf::from),
        manifest
            .parent()
            .and_then(|root| root.parent())
            .map(|p| p.join("shared/spec/camunda-feel-builtins.json")),
    ];
    candidates.into_iter().flatten().find_map(|p| {
        let text = std::fs::read_to_string(&p).ok()?;
        let json = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{}: not JSON: {e}", p.display()));
        Some((p, json))
    })
}

/// `name(p1: null, p2: null, …)`; `assert` gets a true `condition`, or it
/// would stop the evaluation (as Camunda's does).
fn named_call(name: &str, params: &[&str]) -> String {
    let args: Vec<String> = params
        .iter()
        .map(|p| match *p {
            "condition" => format!("{p}: true"),
            _ => format!("{p}: null"),
        })
        .collect();
    format!("{name}({})", args.join(", "))
}

#[test]
fn every_documented_builtin_binds_by_parameter_name() {
    let Some((path, spec)) = spec() else {
        eprintln!(
            "SKIPPED: shared/spec/camunda-feel-builtins.json not found beside the repository \
             (set CAMUNDA_BUILTINS to its path to run this test)"
        );
        return;
    };
    let builtins = spec["builtins"]
        .as_array()
        .unwrap_or_else(|| panic!("{}: no `builtins` array", path.display()));
    assert!(
        builtins.len() > 100,
        "{}: too few built-ins",
        path.display()
    );
    let mut failures = Vec::new();
    for dialect in [Dialect::Standard, Dialect::Camunda] {
        let engine = Engine::builder().dialect(dialect).build();
        for b in builtins {
            let name = b["name"].as_str().unwrap();
            let params: Vec<&str> = b["params"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p.as_str().unwrap())
                .collect();
            let src = named_call(name, &params);
            let eval = match engine.evaluate_expression(&src, &Context::new()) {
                Ok(e) => e,
                Err(e) => {
                    failures.push(format!("{dialect:?}: {src}: {e}"));
                    continue;
                }
            };
            for w in &eval.warnings {
                if matches!(
                    w.kind,
                    WarningKind::InvalidArguments | WarningKind::NoFunctionFound
                ) {
                    failures.push(format!("{dialect:?}: {src}: {}", w.message));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} calls did not bind:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn named_calls_are_checked_for_real() {
    // The test above must be able to fail: a wrong name does not bind.
    let eval = Engine::new()
        .evaluate_expression(&named_call("substring", &["strin"]), &Context::new())
        .unwrap();
    assert!(eval
        .warnings
        .iter()
        .any(|w| w.kind == WarningKind::InvalidArguments));
}
