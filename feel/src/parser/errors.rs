//! Turns pest's errors into [`ParseError`]s with human names for what was
//! expected. Nothing outside this module sees a pest error.

use pest::error::{Error as PestError, ErrorVariant, InputLocation};

use super::literals::is_feel_whitespace;
use super::Rule;
use crate::error::{ParseError, Span};

/// What to call a rule in "expected …" lists; `None` leaves it out.
fn describe(rule: Rule) -> Option<&'static str> {
    use Rule::*;
    Some(match rule {
        EOI => "end of input",
        expression | arithmetic | range_bound | positive_unary_tests | in_list | paren
        | bracket | open_range | context | if_expr | for_expr | quantified_expr | function_def
        | at_literal | number | null_lit | true_lit | false_lit | input_value | neg | unary_op
        | any_input | negated_tests => "an expression",
        string => "a string",
        name | named_type | and_or_name => "a name",
        type_ref | list_type | range_type | context_type | function_type => "a type",
        op | arith_op_token | between_tail | in_op | instance_tail => "an operator",
        open_paren => "\"(\"",
        close_paren => "\")\"",
        close_bracket => "\"]\"",
        close_brace => "\"}\"",
        range_end => "\"]\", \")\" or \"[\"",
        range_dots => "\"..\"",
        comma => "\",\"",
        colon => "\":\"",
        kw_then => "\"then\"",
        kw_else => "\"else\"",
        kw_return => "\"return\"",
        kw_satisfies => "\"satisfies\"",
        kw_in => "\"in\"",
        kw_of => "\"of\"",
        between_and => "\"and\"",
        iteration => "a name",
        context_entry => "a context entry",
        formal_param => "a parameter",
        named_arg => "a named argument",
        _ => return None,
    })
}

/// Converts a pest error on `source` into a [`ParseError`].
pub(super) fn convert(source: &str, error: &PestError<Rule>) -> ParseError {
    let at = match error.location {
        InputLocation::Pos(p) => p,
        InputLocation::Span((start, _)) => start,
    };
    match &error.variant {
        ErrorVariant::ParsingError { positives, .. } => {
            let mut expected: Vec<String> = Vec::new();
            for name in positives.iter().filter_map(|r| describe(*r)) {
                if !expected.iter().any(|e| e == name) {
                    expected.push(name.to_string());
                }
            }
            // `..` is only worth naming when it is the one thing that fits.
            if expected.len() > 1 {
                expected.retain(|e| e != "\"..\"");
            }
            // After a complete operand, `in` and `(` (an invocation) are just
            // more operators; where an expression fits, so do names, strings
            // and parentheses.
            if expected.iter().any(|e| e == "an operator") {
                expected.retain(|e| e != "\"in\"" && e != "\"(\"");
            }
            if expected.iter().any(|e| e == "an expression") {
                expected.retain(|e| !matches!(e.as_str(), "a name" | "a string" | "\"(\""));
            }
            // Keep a stable, readable order: expressions first, operators last.
            expected.sort_by_key(|e| rank(e));
            let (span, found) = found_at(source, at);
            let message = if expected.is_empty() {
                format!("unexpected {found}")
            } else {
                format!("unexpected {found}, expected {}", join(&expected))
            };
            ParseError::new(source, span, message, expected)
        }
        // pest's own limits (native stack guard): only reached by nesting that
        // the bracket pre-scan does not count, such as `if if if …`.
        ErrorVariant::CustomError { .. } => ParseError::new(
            source,
            Span::new(at, at),
            "the expression is nested too deeply".into(),
            Vec::new(),
        ),
    }
}

fn rank(expected: &str) -> u8 {
    match expected {
        "an expression" | "a name" | "a type" | "a string" => 0,
        "an operator" => 2,
        "end of input" => 3,
        _ => 1,
    }
}

/// `a`, `a or b`, `a, b or c`.
pub(super) fn join(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

/// The span and a description of the token at byte `at`.
fn found_at(source: &str, at: usize) -> (Span, String) {
    let rest = source.get(at..).unwrap_or("");
    let Some(first) = rest.chars().next() else {
        return (Span::new(source.len(), source.len()), "end of input".into());
    };
    let len = if first.is_alphanumeric() || first == '_' {
        rest.find(|c: char| !(c.is_alphanumeric() || c == '_'))
            .unwrap_or(rest.len())
    } else if is_feel_whitespace(first) {
        first.len_utf8()
    } else {
        // Two-character operators read better whole.
        let two = rest.get(..2).unwrap_or("");
        if matches!(two, "**" | "<=" | ">=" | "!=" | ".." | "->") {
            2
        } else {
            first.len_utf8()
        }
    };
    let token = &rest[..len];
    let description = if first == '"' {
        "string literal".to_string()
    } else if first.is_control() || is_feel_whitespace(first) {
        format!("character U+{:04X}", first as u32)
    } else {
        format!("\"{token}\"")
    };
    (Span::new(at, at + len), description)
}
