//! The webhook's expressions over a captured request, for display: each
//! step in the pipeline's order with its value, warnings and carets (or why
//! it was not reached), beside the pipeline's own decision; and any
//! expression a person tries against a request's context.

use std::time::SystemTime;

use feel::{Context, Value};
use serde_json::{json, Map, Value as Json};

use super::capture::{shorten, Record};
use super::rebuild::context;
use crate::error::AppError;
use crate::inbound::pipeline::{self, Decision};
use crate::inbound::request_context as rc;
use crate::state::AppState;
use crate::webhooks::{Compiled, Target, WebhookDefinition};
use crate::zeebe::Command;

/// The most bytes of a value's text shown.
pub const MAX_VALUE_TEXT: usize = 64 * 1024;
/// The most bytes of an expression tried against a request.
pub const MAX_EXPRESSION: usize = 8 * 1024;

/// The definition with its expressions compiled again by `engine` (whose
/// clock `now()` reads).
pub(super) fn with_engine(webhook: &WebhookDefinition, engine: &feel::Engine) -> WebhookDefinition {
    let again = |compiled: &mut Option<Compiled>| {
        if let Some(c) = compiled {
            if let Ok(expression) = engine.compile_expression(&c.source) {
                c.expression = expression;
            }
        }
    };
    let mut webhook = webhook.clone();
    again(&mut webhook.activation);
    again(&mut webhook.result_expression);
    again(&mut webhook.response_expression);
    if let Target::Message {
        correlation_key,
        message_id,
        ..
    } = &mut webhook.target
    {
        again(correlation_key);
        again(message_id);
    }
    webhook
}

/// The service's FEEL engine with its clock stopped at `time`.
pub(super) fn engine_at(state: &AppState, time: SystemTime) -> feel::Engine {
    let limits = state.settings().feel;
    let now = chrono::DateTime::<chrono::Utc>::from(time).fixed_offset();
    feel::Engine::builder()
        .fuel(limits.fuel)
        .max_depth(limits.max_depth)
        .dialect(feel::Dialect::Camunda)
        .clock(feel::FixedClock(now))
        .build()
}

/// The source line holding `span`, with carets under it.
pub fn caret(source: &str, span: feel::Span) -> String {
    let floor = |mut i: usize| {
        i = i.min(source.len());
        while !source.is_char_boundary(i) {
            i -= 1;
        }
        i
    };
    let start = floor(span.start);
    let end = floor(span.end.max(span.start));
    let line_start = source[..start].rfind('\n').map_or(0, |i| i + 1);
    let line_end = source[start..]
        .find('\n')
        .map_or(source.len(), |i| start + i);
    let before: Vec<char> = source[line_start..start].chars().collect();
    let width = source[start..end.min(line_end)].chars().count().max(1);
    // Long lines: keep 40 characters before the span.
    let skip = before.len().saturating_sub(40);
    let prefix = if skip > 0 { "…" } else { "" };
    let shown: String = source[line_start..line_end]
        .chars()
        .skip(skip)
        .take(160)
        .collect();
    let pad = before.len() - skip + prefix.chars().count();
    format!(
        "{prefix}{shown}\n{}{}",
        " ".repeat(pad),
        "^".repeat(width.min(160))
    )
}

fn warnings_json(source: &str, warnings: &[feel::Warning]) -> Vec<Json> {
    warnings
        .iter()
        .map(|w| {
            let (line, column) = w.span.line_column(source);
            json!({
                "kind": format!("{:?}", w.kind),
                "message": w.message,
                "line": line,
                "column": column,
                "excerpt": caret(source, w.span),
            })
        })
        .collect()
}

/// A value as the page shows it: FEEL syntax (cut at [`MAX_VALUE_TEXT`])
/// and its kind.
pub(super) fn value_json(value: &Value) -> Json {
    json!({"feel": shorten(&value.to_string(), MAX_VALUE_TEXT), "kind": value.kind().to_string()})
}

/// Evaluates one expression for display.
fn evaluate_step(compiled: &Compiled, vars: &Context) -> Map<String, Json> {
    let mut step = Map::new();
    match compiled.expression.evaluate(vars) {
        Ok(evaluation) => {
            step.insert("value".into(), value_json(&evaluation.value));
            step.insert(
                "warnings".into(),
                warnings_json(&compiled.source, &evaluation.warnings).into(),
            );
        }
        Err(e) => {
            step.insert("error".into(), e.to_string().into());
        }
    }
    step
}

/// One expression of the webhook, in the pipeline's order.
struct Property<'d> {
    label: &'static str,
    compiled: Option<&'d Compiled>,
    /// What the step is when it has no expression (the result variable).
    plain: Option<String>,
}

/// What the expressions of `webhook` make of `vars`: each step with its
/// value and warnings (or why it was not reached), and the pipeline's own
/// decision.
pub struct Run {
    /// The steps, as JSON.
    pub steps: Vec<Json>,
    /// The pipeline's decision.
    pub decision: Result<Decision, AppError>,
}

/// Runs the expressions of `webhook` over `vars` for display;
/// `correlate` gives what the response expression sees as `correlation`
/// for the command the pipeline decided on (`None`: it did not run).
pub fn run(
    webhook: &WebhookDefinition,
    vars: &Context,
    correlate: impl FnOnce(&Command) -> Option<Json>,
) -> Run {
    let decision = pipeline::decide(webhook, vars);
    let correlation = match &decision {
        Ok(Decision::Dispatch(command)) => correlate(command),
        _ => None,
    };
    let correlation = correlation.as_ref();
    let mut properties = vec![Property {
        label: "activation condition",
        compiled: webhook.activation.as_ref(),
        plain: None,
    }];
    properties.push(Property {
        label: "result variable",
        compiled: None,
        plain: webhook.result_variable.clone(),
    });
    properties.push(Property {
        label: "result expression",
        compiled: webhook.result_expression.as_ref(),
        plain: None,
    });
    if let Target::Message {
        correlation_key,
        message_id,
        ..
    } = &webhook.target
    {
        properties.push(Property {
            label: "correlation key",
            compiled: correlation_key.as_ref(),
            plain: None,
        });
        properties.push(Property {
            label: "message id",
            compiled: message_id.as_ref(),
            plain: None,
        });
    }
    properties.push(Property {
        label: "response expression",
        compiled: webhook.response_expression.as_ref(),
        plain: None,
    });

    let failing_source = match &decision {
        Err(AppError::InvalidInput {
            expression: Some(source),
            ..
        }) => Some(source.as_str()),
        _ => None,
    };
    let not_activated = matches!(
        decision,
        Ok(Decision::Consumed) | Err(AppError::ActivationConditionNotMet)
    );
    let size_error = matches!(
        &decision,
        Err(AppError::InvalidInput {
            expression: None,
            ..
        })
    );
    let decision_reason = decision.as_ref().err().map(|e| e.to_string());
    let mut stopped: Option<String> = None;
    let mut steps = Vec::new();
    for property in properties {
        let mut step = Map::new();
        step.insert("label".into(), property.label.into());
        let source = property
            .compiled
            .map(|c| c.source.clone())
            .or(property.plain.clone());
        step.insert("source".into(), source.clone().into());
        if let Some(c) = property.compiled {
            step.insert("property".into(), c.property.into());
        }
        let Some(source) = source else {
            step.insert("state".into(), "absent".into());
            steps.push(Json::Object(step));
            continue;
        };
        if let Some(why) = &stopped {
            step.insert("state".into(), "skipped".into());
            step.insert("note".into(), format!("not reached: {why}").into());
            steps.push(Json::Object(step));
            continue;
        }
        let is_response = property.label == "response expression";
        match property.compiled {
            None => {
                step.insert("state".into(), "ok".into());
                step.insert(
                    "note".into(),
                    format!(
                        "`{source}` receives the whole context (request, connectorData, documents)"
                    )
                    .into(),
                );
            }
            Some(_) if is_response && correlation.is_none() => {
                step.insert("state".into(), "skipped".into());
                step.insert(
                    "note".into(),
                    "not reached: it runs only once the event was accepted".into(),
                );
            }
            Some(compiled) => {
                // As the pipeline runs them: the response expression also
                // sees `correlation`, the result expression `response`.
                let extended = if is_response {
                    correlation.map(|c| rc::with_entry(vars, "correlation", Value::from_json(c)))
                } else if compiled.expression.reads(&["response"]) {
                    Some(rc::with_entry(
                        vars,
                        "response",
                        Value::Context(vars.clone()),
                    ))
                } else {
                    None
                };
                step.extend(evaluate_step(compiled, extended.as_ref().unwrap_or(vars)));
                let failed = step.contains_key("error") || failing_source == Some(source.as_str());
                step.insert("state".into(), if failed { "failed" } else { "ok" }.into());
                if failing_source == Some(source.as_str()) {
                    step.insert("error".into(), decision_reason.clone().into());
                }
                if failed {
                    stopped = Some(format!("the {} failed", property.label));
                }
            }
        }
        if property.label == "activation condition" && not_activated {
            step.insert("state".into(), "failed".into());
            step.insert(
                "note".into(),
                "only boolean true activates: the event is not dispatched".into(),
            );
            stopped = Some("the activation condition is not true".into());
        }
        if size_error
            && (property.label == "result expression" || property.label == "result variable")
        {
            let last_variables =
                webhook.result_expression.is_none() || property.label == "result expression";
            if last_variables {
                step.insert("state".into(), "failed".into());
                step.insert("error".into(), decision_reason.clone().into());
                stopped = Some("the variables are too large".into());
            }
        }
        steps.push(Json::Object(step));
    }
    Run { steps, decision }
}

/// The decision as JSON: what the pipeline would do with the request.
pub(super) fn decision_json(decision: &Result<Decision, AppError>) -> Json {
    match decision {
        Ok(Decision::Dispatch(command)) => json!({
            "result": "dispatch",
            "command": serde_json::to_value(command).unwrap_or(Json::Null),
        }),
        Ok(Decision::Consumed) => json!({
            "result": "consumed",
            "reason": "the activation condition is not true and the webhook consumes unmatched events: 2xx, nothing dispatched",
        }),
        Err(e) => json!({
            "result": "refused",
            "status": e.status().as_u16(),
            "reason": e.to_string(),
            "expression": match e {
                AppError::InvalidInput { expression, .. } => expression.clone(),
                _ => None,
            },
        }),
    }
}

/// Why an expression could not be tried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TryError(pub String);

/// Evaluates `source` against the request context of `record`, with the
/// service's limits (fuel, depth) and `now()` at the request's arrival: the
/// value, its warnings, or the parse error with a caret.
pub fn try_expression(record: &Record, state: &AppState, source: &str) -> Result<Json, TryError> {
    if source.len() > MAX_EXPRESSION {
        return Err(TryError(format!(
            "the expression is {} bytes; the limit is {MAX_EXPRESSION}",
            source.len()
        )));
    }
    if source.trim().is_empty() {
        return Err(TryError("the expression is empty".into()));
    }
    let vars = context(record).map_err(TryError)?;
    let source = source.strip_prefix('=').unwrap_or(source);
    // `now()` and `today()` read the request's arrival, as in its steps.
    let engine = engine_at(state, record.time());
    let expression = match engine.compile_expression(source) {
        Ok(e) => e,
        Err(e) => {
            return Ok(json!({
                "source": source,
                "parseError": {
                    "message": e.message(),
                    "line": e.line(),
                    "column": e.column(),
                    "expected": e.expected(),
                    "excerpt": caret(source, e.span()),
                },
            }))
        }
    };
    Ok(match expression.evaluate(&vars) {
        Ok(evaluation) => json!({
            "source": source,
            "value": value_json(&evaluation.value),
            "warnings": warnings_json(source, &evaluation.warnings),
        }),
        Err(e) => json!({"source": source, "error": e.to_string()}),
    })
}
