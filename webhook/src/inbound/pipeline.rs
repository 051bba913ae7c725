//! The FEEL steps of one request, as plain functions over a webhook
//! definition and the `request` context: activation condition, variables
//! (result variable and result expression, with Camunda's size limit),
//! correlation key and message id, the command for Zeebe, and the
//! deduplication keys. No HTTP and no I/O: each step is unit-tested here.

use feel::Value;
use serde_json::{Map, Value as Json};
use warp::http::HeaderMap;

use super::request_context as rc;
use crate::error::AppError;
use crate::webhooks::{Compiled, Target, WebhookDefinition};
use crate::zeebe::{Command, Variables};

/// Camunda's limit on the variables of one command (1.5 MB).
pub const MAX_VARIABLES_BYTES: usize = 3 * 1024 * 1024 / 2;

/// What the expressions made of a request.
#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    /// The activation condition was not met, and the webhook consumes
    /// unmatched events: answer 2xx, dispatch nothing.
    Consumed,
    /// Send this command.
    Dispatch(Command),
}

/// Runs the webhook's expressions over the request context: the activation
/// condition, then the variables and the command.
pub fn decide(webhook: &WebhookDefinition, vars: &feel::Context) -> Result<Decision, AppError> {
    if !activated(webhook, vars)? {
        return if webhook.consume_unmatched {
            Ok(Decision::Consumed)
        } else {
            Err(AppError::ActivationConditionNotMet)
        };
    }
    let variables = written(&variables(webhook, vars)?)?;
    command(webhook, vars, variables).map(Decision::Dispatch)
}

/// Evaluates one compiled property; an engine error (fuel, depth) is a 422
/// naming the property and the expression.
pub fn evaluate(expr: &Compiled, vars: &feel::Context) -> Result<Value, AppError> {
    let evaluation = expr
        .expression
        .evaluate(vars)
        .map_err(|e| AppError::InvalidInput {
            reason: format!("failed to evaluate `{}`: {e}", expr.property),
            expression: Some(expr.source.clone()),
        })?;
    for w in &evaluation.warnings {
        tracing::debug!(property = expr.property, warning = %w, "FEEL warning");
    }
    Ok(evaluation.value)
}

/// Only boolean `true` activates; no condition always does.
pub fn activated(webhook: &WebhookDefinition, vars: &feel::Context) -> Result<bool, AppError> {
    match &webhook.activation {
        None => Ok(true),
        Some(expr) => Ok(matches!(evaluate(expr, vars)?, Value::Boolean(true))),
    }
}

/// `{resultVariable: context}` merged with the result expression's entries.
pub fn variables(
    webhook: &WebhookDefinition,
    vars: &feel::Context,
) -> Result<Map<String, Json>, AppError> {
    let mut out = Map::new();
    if let Some(name) = &webhook.result_variable {
        out.insert(name.clone(), Value::Context(vars.clone()).to_json());
    }
    if let Some(expr) = &webhook.result_expression {
        // `response` is the context itself (shared: contexts are
        // reference-counted), added only for expressions that use it.
        let result = if expr.expression.reads(&["response"]) {
            evaluate(
                expr,
                &rc::with_entry(vars, "response", Value::Context(vars.clone())),
            )?
        } else {
            evaluate(expr, vars)?
        };
        match result {
            Value::Null => {}
            Value::Context(entries) => {
                out.extend(
                    entries
                        .iter()
                        .map(|(k, v)| (k.as_ref().to_owned(), v.to_json())),
                );
            }
            other => {
                return Err(AppError::InvalidInput {
                    reason: format!(
                        "the result expression must return a context (JSON object), but got {}",
                        other.to_json()
                    ),
                    expression: Some(expr.source.clone()),
                })
            }
        }
    }
    Ok(out)
}

/// The variables as the JSON text they are sent as (written here, once:
/// see [`Variables`]); refused over [`MAX_VARIABLES_BYTES`], which Zeebe
/// would refuse anyway.
pub fn written(variables: &Map<String, Json>) -> Result<Variables, AppError> {
    let written = Variables::new(variables).map_err(|e| AppError::InvalidInput {
        reason: format!("the variables cannot be written as JSON: {e}"),
        expression: None,
    })?;
    let size = written.len();
    if size > MAX_VARIABLES_BYTES {
        return Err(AppError::InvalidInput {
            reason: format!("the variables are {size} bytes; the limit is {MAX_VARIABLES_BYTES}"),
            expression: None,
        });
    }
    Ok(written)
}

/// A correlation key or message id as text: strings as they are, numbers and
/// booleans as their text, contexts as compact JSON; null is "none".
fn key_text(expr: &Compiled, vars: &feel::Context) -> Result<Option<String>, AppError> {
    match evaluate(expr, vars)? {
        Value::List(_) => Err(AppError::InvalidInput {
            reason: format!("`{}` returned a list, which cannot be a key", expr.property),
            expression: Some(expr.source.clone()),
        }),
        other => Ok(as_key(other)),
    }
}

/// A value as key text: strings as they are, anything else as compact JSON;
/// null is "none".
fn as_key(value: Value) -> Option<String> {
    match value {
        Value::Null => None,
        Value::String(s) => Some(s.as_ref().to_owned()),
        other => Some(other.to_json().to_string()),
    }
}

/// The command for Zeebe: start the process, or publish the message with
/// its correlation key and message id.
pub fn command(
    webhook: &WebhookDefinition,
    vars: &feel::Context,
    variables: Variables,
) -> Result<Command, AppError> {
    Ok(match &webhook.target {
        Target::StartProcess {
            bpmn_process_id,
            version,
        } => Command::CreateProcessInstance {
            bpmn_process_id: bpmn_process_id.clone(),
            version: *version,
            tenant_id: webhook.tenant_id.clone(),
            variables,
        },
        Target::Message {
            name,
            correlation_key,
            key_required,
            message_id,
            time_to_live,
            ..
        } => {
            let key = match correlation_key {
                Some(expr) => key_text(expr, vars)?,
                None => None,
            };
            let correlation_key = match key {
                Some(k) => k,
                None if *key_required => {
                    return Err(AppError::InvalidInput {
                        reason: "the correlation key expression returned null".into(),
                        expression: correlation_key.as_ref().map(|e| e.source.clone()),
                    })
                }
                None => String::new(),
            };
            // Without a message id expression the id is empty, as in
            // Camunda: Zeebe then never drops a message as a duplicate (a
            // status callback repeats its message's MessageSid).
            let message_id = match message_id {
                Some(expr) => key_text(expr, vars)?.unwrap_or_default(),
                None => String::new(),
            };
            Command::PublishMessage {
                name: name.clone(),
                correlation_key,
                message_id,
                time_to_live: *time_to_live,
                tenant_id: webhook.tenant_id.clone(),
                variables,
            }
        }
    })
}

/// The deduplication keys of a request, namespaced by webhook.
///
/// Twilio's `I-Twilio-Idempotency-Token` is the same on every retry of one
/// callback and differs between callbacks, so it is the key whenever it is
/// there. Without it, the fallback must still tell distinct events apart:
/// status callbacks repeat their message's `MessageSid` once per status, so
/// the key is `MessageSid` plus the status (`MessageStatus`, else
/// `SmsStatus`). A `dedup_key` expression (`--dedup-key`) is the operator's
/// own key and is used as well, token or not.
pub fn dedup_keys(
    webhook: &str,
    headers: &HeaderMap,
    vars: &feel::Context,
    dedup_key: Option<&feel::Expression>,
) -> Result<Vec<String>, AppError> {
    let mut keys = Vec::new();
    let token = headers
        .get("i-twilio-idempotency-token")
        .map(|v| String::from_utf8_lossy(v.as_bytes()))
        .filter(|t| !t.is_empty());
    let has_token = token.is_some();
    if let Some(token) = token {
        keys.push(format!("{webhook}\u{0}token\u{0}{token}"));
    }
    let value = match dedup_key {
        Some(expr) => {
            let evaluation = expr.evaluate(vars).map_err(|e| AppError::InvalidInput {
                reason: format!("failed to evaluate the deduplication key: {e}"),
                expression: None,
            })?;
            as_key(evaluation.value)
        }
        None if has_token => None,
        None => sid_and_status(vars),
    };
    if let Some(value) = value.filter(|v| !v.is_empty()) {
        keys.push(format!("{webhook}\u{0}key\u{0}{value}"));
    }
    Ok(keys)
}

/// `MessageSid` and the status of the body, when it has a `MessageSid`.
fn sid_and_status(vars: &feel::Context) -> Option<String> {
    let sid = rc::text_at(vars, &["request", "body", "MessageSid"])?;
    let status = rc::text_at(vars, &["request", "body", "MessageStatus"])
        .or_else(|| rc::text_at(vars, &["request", "body", "SmsStatus"]))
        .unwrap_or_default();
    Some(format!("{sid}\u{0}{status}"))
}

#[cfg(test)]
#[path = "pipeline_tests.rs"]
mod tests;
