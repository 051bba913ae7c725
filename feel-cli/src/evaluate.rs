//! `feel eval` and `feel unary`: one evaluation, printed to stdout, with its
//! warnings on stderr.

use std::io::{self, Read, Write};

use feel::{Context, Engine, Evaluation, Value, Warning};

use crate::cli::{ContextArgs, OutputArgs};
use crate::typed_json;
use crate::Failure;

/// `feel eval`.
pub fn expression(
    engine: &Engine,
    source: &str,
    context: &ContextArgs,
    output: &OutputArgs,
) -> Result<(), Failure> {
    let source = read_source(source)?;
    let vars = read_context(context)?;
    let compiled = engine
        .compile_expression(&source)
        .map_err(|e| Failure::Feel(e.to_string()))?;
    let evaluation = compiled
        .evaluate(&vars)
        .map_err(|e| evaluation_failure(&source, &e))?;
    report(&source, &evaluation, output)
}

/// `feel unary`.
pub fn unary_tests(
    engine: &Engine,
    source: &str,
    input: &str,
    context: &ContextArgs,
    output: &OutputArgs,
) -> Result<(), Failure> {
    // `-` is FEEL's "any input" test here, so unary tests never come from stdin.
    let source = source.to_owned();
    let input = typed_json::decode_text(input).map_err(|e| bad_input("--input", &e))?;
    let vars = read_context(context)?;
    let compiled = engine
        .compile_unary_tests(&source)
        .map_err(|e| Failure::Feel(e.to_string()))?;
    let evaluation = compiled
        .evaluate(&input, &vars)
        .map_err(|e| evaluation_failure(&source, &e))?;
    report(&source, &evaluation, output)
}

/// An evaluation error with the line and column where it stopped (a limit
/// names the part of the expression that reached it), as warnings give
/// theirs: `1:30: evaluation memory budget exhausted: …`.
fn evaluation_failure(source: &str, e: &feel::Error) -> Failure {
    Failure::Feel(match e.span() {
        Some(span) => {
            let (line, column) = span.line_column(source);
            format!("{line}:{column}: {e}")
        }
        None => e.to_string(),
    })
}

/// The source text: the argument itself, or stdin for `-`.
fn read_source(arg: &str) -> Result<String, Failure> {
    if arg != "-" {
        return Ok(arg.to_owned());
    }
    let mut source = String::new();
    io::stdin()
        .read_to_string(&mut source)
        .map_err(|e| Failure::Input(format!("cannot read the expression from stdin: {e}")))?;
    Ok(source)
}

/// The variables from `--context` or `--context-file` (none if neither).
pub fn read_context(args: &ContextArgs) -> Result<Context, Failure> {
    let (what, text) = match (&args.context, &args.context_file) {
        (Some(text), _) => ("--context".to_owned(), text.clone()),
        (None, Some(path)) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| Failure::Input(format!("cannot read {}: {e}", path.display())))?;
            (path.display().to_string(), text)
        }
        (None, None) => return Ok(Context::new()),
    };
    typed_json::decode_context_text(&text).map_err(|e| bad_input(&what, &e))
}

/// The failure for typed JSON that `what` (an option or a file) could not be
/// read as: not JSON at all, or JSON that is not valid typed JSON.
pub(crate) fn bad_input(what: &str, e: &typed_json::DecodeError) -> Failure {
    if e.message.starts_with("invalid JSON") {
        Failure::Input(format!("{what} is not valid JSON: {}", e.message))
    } else {
        Failure::Input(format!("{what}: {e}"))
    }
}

/// Prints the value to stdout and the warnings to stderr.
fn report(source: &str, evaluation: &Evaluation, output: &OutputArgs) -> Result<(), Failure> {
    let rendered = render(&evaluation.value, output)?;
    let mut stderr = io::stderr().lock();
    for warning in &evaluation.warnings {
        writeln!(stderr, "{}", describe_warning(source, warning))?;
    }
    let mut stdout = io::stdout().lock();
    writeln!(stdout, "{rendered}")?;
    stdout.flush()?;
    Ok(())
}

fn render(value: &Value, output: &OutputArgs) -> Result<String, Failure> {
    if output.typed {
        let json = typed_json::encode(value)
            .map_err(|e| Failure::Feel(format!("cannot print the result as typed JSON: {e}")))?;
        Ok(json.to_string())
    } else if output.json {
        Ok(value.to_json().to_string())
    } else {
        Ok(value.to_string())
    }
}

/// `warning: 1:5: <message>`, with the line and column of the part of the
/// expression that yielded null.
pub fn describe_warning(source: &str, warning: &Warning) -> String {
    let (line, column) = warning.span.line_column(source);
    format!("warning: {line}:{column}: {}", warning.message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warnings_name_line_and_column() {
        let source = "1 +\n  missing";
        let evaluation = feel::Engine::new()
            .compile_expression(source)
            .unwrap()
            .evaluate(&feel::Context::new())
            .unwrap();
        let warning = evaluation
            .warnings
            .iter()
            .find(|w| w.kind == feel::WarningKind::NoVariableFound)
            .unwrap();
        assert_eq!(
            describe_warning(source, warning),
            "warning: 2:3: no variable found with name 'missing'"
        );
    }

    #[test]
    fn the_three_output_forms() {
        let value = Value::list([Value::from(1), Value::from("a")]);
        let as_feel = OutputArgs {
            json: false,
            typed: false,
        };
        let as_json = OutputArgs {
            json: true,
            typed: false,
        };
        let as_typed = OutputArgs {
            json: false,
            typed: true,
        };
        assert_eq!(render(&value, &as_feel).unwrap(), r#"[1, "a"]"#);
        assert_eq!(render(&value, &as_json).unwrap(), r#"[1,"a"]"#);
        assert_eq!(
            render(&value, &as_typed).unwrap(),
            r#"[{"$number":"1"},"a"]"#
        );
    }

    #[test]
    fn bad_json_says_where() {
        let e = typed_json::decode_context_text("{\"a\": }").unwrap_err();
        let Failure::Input(message) = bad_input("--context", &e) else {
            panic!("not an input failure");
        };
        assert!(
            message.starts_with("--context is not valid JSON"),
            "{message}"
        );
        assert!(message.contains("column 7"), "{message}");
    }

    #[test]
    fn context_numbers_keep_their_digits() {
        let c = typed_json::decode_context_text(
            r#"{"x": 0.12345678901234567890123, "d": {"$date": "2024-01-31"}}"#,
        )
        .unwrap();
        assert_eq!(
            Value::Context(c).to_string(),
            r#"{x: 0.12345678901234567890123, d: date("2024-01-31")}"#
        );
        let e = typed_json::decode_text(r#"{"$date": 1}"#).unwrap_err();
        assert!(e.message.contains("takes a string"), "{e}");
        let e = typed_json::decode_text(r#"{"$when": "x"}"#).unwrap_err();
        assert!(e.message.contains("unknown tag"), "{e}");
    }
}
