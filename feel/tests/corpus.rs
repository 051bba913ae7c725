//! Snapshot tests over the shared FEEL corpus in `../tests/corpus`.
//!
//! Each `*.feel` file holds a JSON object with the variables, a line `---`,
//! then the expression. Files under `unary/` hold unary tests instead, tested
//! against the variable `?`. Files under `dialect/camunda/` are evaluated in
//! Camunda's dialect (each has a twin of the same name under
//! `dialect/standard/`, so the two snapshots show the difference). The
//! snapshot records the value in FEEL literal syntax and the warnings, or the
//! error (a parse error with its caret).

// Test helpers fail loudly on broken fixtures; the library lints are for user input.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::fmt::Write as _;
use std::path::Path;

use feel::{Context, Dialect, Engine, FixedClock, Value};

fn engine(dialect: Dialect) -> Engine {
    let now = chrono_now();
    Engine::builder()
        .clock(FixedClock(now))
        .fuel(1_000_000)
        .dialect(dialect)
        .build()
}

/// Camunda's dialect for files under `dialect/camunda/`.
fn dialect_of(path: &Path) -> Dialect {
    let parts: Vec<_> = path.components().map(|c| c.as_os_str()).collect();
    let camunda = parts
        .windows(2)
        .any(|w| w[0] == "dialect" && w[1] == "camunda");
    if camunda {
        Dialect::Camunda
    } else {
        Dialect::Standard
    }
}

/// A fixed instant so `now()` and `today()` snapshots are stable.
fn chrono_now() -> chrono::DateTime<chrono::FixedOffset> {
    chrono::DateTime::parse_from_rfc3339("2024-05-17T10:30:00+02:00").expect("valid instant")
}

fn run(path: &Path) -> String {
    let text = std::fs::read_to_string(path).expect("readable corpus file");
    let (vars, source) = text
        .split_once("\n---\n")
        .unwrap_or_else(|| panic!("{}: missing the `---` line", path.display()));
    // Read with the exact reader, so numbers keep digits an f64 would lose.
    let vars = Context::from_json_text(vars)
        .unwrap_or_else(|e| panic!("{}: bad JSON context: {e}", path.display()));
    let source = source.strip_suffix('\n').unwrap_or(source);
    let engine = engine(dialect_of(path));
    let unary = path.components().any(|c| c.as_os_str() == "unary");
    let result = if unary {
        let input = vars.get("?").cloned().unwrap_or(Value::Null);
        engine
            .compile_unary_tests(source)
            .map_err(feel::Error::from)
            .and_then(|t| t.evaluate(&input, &vars))
    } else {
        engine
            .compile_expression(source)
            .map_err(feel::Error::from)
            .and_then(|e| e.evaluate(&vars))
    };
    let mut out = String::new();
    match result {
        Ok(eval) => {
            writeln!(out, "{}", eval.value).ok();
            for w in &eval.warnings {
                let excerpt = source.get(w.span.range()).unwrap_or("");
                writeln!(out, "warning: {:?}: {} [{excerpt}]", w.kind, w.message).ok();
            }
        }
        Err(e) => {
            writeln!(out, "error ({:?}): {e}", e.kind()).ok();
        }
    }
    out
}

#[test]
fn corpus() {
    insta::glob!("../../tests/corpus", "**/*.feel", |path| {
        insta::assert_snapshot!(run(path));
    });
}

#[test]
fn every_dialect_case_has_a_twin() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/corpus/dialect");
    let names = |d: &str| -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(root.join(d))
            .unwrap_or_else(|e| panic!("{d}: {e}"))
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    };
    assert_eq!(names("standard"), names("camunda"));
    assert!(!names("camunda").is_empty());
}
