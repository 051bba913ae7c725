//! One async fn per endpoint. `inbound` runs the pipeline of spec §2.4:
//! find the webhook → method → body (size limit) → signature → `request`
//! context → activation condition → correlation key / message id →
//! variables (size guard) → dispatch → reply.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use feel::Value;
use futures_util::{Stream, StreamExt};
use serde_json::{Map, Value as Json};
use tracing::Instrument;
use warp::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use warp::reply::Response;

use crate::config::{Compiled, Target, WebhookDefinition};
use crate::error::AppError;
use crate::outbox::{is_retryable, Enqueued, Outbox, OutboxError};
use crate::request_context as rc;
use crate::response;
use crate::state::{AppState, DispatchMode, Settings, MAX_VARIABLES_BYTES};
use crate::verification::Received;
use crate::zeebe::{Command, DispatchError, Outcome, StatusCode as Grpc};

/// The methods `/inbound/<id>` serves at all (as Camunda maps them).
const SERVED_METHODS: [Method; 5] = [
    Method::GET,
    Method::HEAD,
    Method::POST,
    Method::PUT,
    Method::DELETE,
];

/// Everything the route extracts from one request.
pub struct Inbound<S> {
    /// The webhook id (last path segment).
    pub id: String,
    /// The webhook configured under `id`, if any (looked up once, by the route).
    pub webhook: Option<Arc<WebhookDefinition>>,
    /// The method.
    pub method: Method,
    /// The path as received.
    pub path: String,
    /// The raw query string, if any.
    pub query: Option<String>,
    /// The headers.
    pub headers: HeaderMap,
    /// The body, not read yet (so the size limit applies while reading).
    pub body: S,
}

/// `/inbound/<id>`: never fails at the warp level; every outcome is a response.
pub async fn inbound<S, E>(request: Inbound<S>, state: AppState) -> Result<Response, Infallible>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin + Send,
    E: std::fmt::Display,
{
    let started = Instant::now();
    let span = tracing::info_span!(
        "inbound",
        webhook = %request.id,
        method = %request.method,
        status = tracing::field::Empty,
    );
    async move {
        let id = request.id.clone();
        let (response, known, outcome) = match process(request, &state).await {
            Ok((response, outcome)) => (response, true, outcome),
            Err(error) => {
                let known = !matches!(error, AppError::UnknownWebhook(_));
                let outcome = error.outcome();
                if let AppError::Dispatch(e) = &error {
                    state.metrics().dispatch_error(e.status.as_str());
                }
                let status = error.status().as_u16();
                if error.status().is_server_error() {
                    tracing::error!(status, outcome, error = %error, "request failed");
                } else {
                    tracing::info!(status, outcome, error = %error, "request rejected");
                }
                (error.into_response(), known, outcome)
            }
        };
        let status = response.status().as_u16();
        let elapsed = started.elapsed();
        tracing::Span::current().record("status", status);
        if (200..300).contains(&status) {
            let elapsed_ms = elapsed.as_secs_f64() * 1000.0;
            tracing::info!(status, outcome, elapsed_ms, "request handled");
        }
        state
            .metrics()
            .record(known.then_some(id.as_str()), outcome, elapsed);
        Ok(response)
    }
    .instrument(span)
    .await
}

async fn process<S, E>(
    request: Inbound<S>,
    state: &AppState,
) -> Result<(Response, &'static str), AppError>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin + Send,
    E: std::fmt::Display,
{
    let Inbound {
        id,
        webhook,
        method,
        path,
        query,
        headers,
        body,
    } = request;
    let webhook = webhook.ok_or_else(|| AppError::UnknownWebhook(id.clone()))?;
    if !SERVED_METHODS.contains(&method) || !webhook.method.allows(method.as_str()) {
        return Err(AppError::MethodNotAllowed(method.to_string()));
    }
    let settings = state.settings();
    // A declared length over the limit is refused before reading anything.
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > settings.body_limit as u64) {
        return Err(AppError::PayloadTooLarge {
            limit: settings.body_limit,
        });
    }
    let body = read_limited(body, declared, settings.body_limit).await?;
    let verified = Received::new(method, path, query, headers, body)?
        .verify(webhook.verification.as_ref(), settings)?;
    // Only the parts some expression may read are built.
    let parts = webhook.context_parts.union(state.dedup_parts());
    let vars = rc::build(&verified, parts).map_err(|e| AppError::BadRequest(e.to_string()))?;

    if !activated(&webhook, &vars)? {
        if webhook.consume_unmatched {
            tracing::info!("activation condition not met; event consumed");
            return Ok((
                response::accepted(settings.camunda_compatible_responses),
                "not_activated_consumed",
            ));
        }
        return Err(AppError::ActivationConditionNotMet);
    }

    let variables = variables(&webhook, &vars)?;
    let size = json_size(&variables);
    if size > MAX_VARIABLES_BYTES {
        return Err(AppError::InvalidInput {
            reason: format!("the variables are {size} bytes; the limit is {MAX_VARIABLES_BYTES}"),
            expression: None,
        });
    }

    let command = command(&webhook, &vars, variables)?;
    let (outcome, label) = match &settings.outbox {
        None => (dispatch_inline(state, command).await?, "accepted"),
        Some(outbox) => {
            let keys = dedup_keys(&id, verified.headers(), &vars, settings)?;
            match webhook.dispatch.unwrap_or(settings.dispatch_mode) {
                DispatchMode::Outbox => queue(outbox, &id, command, keys).await?,
                DispatchMode::Sync => dispatch_sync(state, outbox, &id, command, keys).await?,
            }
        }
    };
    tracing::info!(?outcome, "dispatched");

    let reply = match &webhook.response_expression {
        Some(expr) => {
            response::from_expression(expr, &vars, &outcome, settings.camunda_compatible_responses)
        }
        None => response::accepted(settings.camunda_compatible_responses),
    };
    Ok((reply, label))
}

/// Sends the command now and maps Zeebe's answer (no outbox).
async fn dispatch_inline(state: &AppState, command: Command) -> Result<Outcome, AppError> {
    let is_publish = matches!(command, Command::PublishMessage { .. });
    let timeout = state.settings().dispatch_timeout;
    match tokio::time::timeout(timeout, state.dispatcher().dispatch(command)).await {
        Ok(Ok(outcome)) => Ok(outcome),
        Ok(Err(DispatchError {
            status: Grpc::AlreadyExists,
            ..
        })) if is_publish => Ok(Outcome::MessageAlreadyPublished),
        Ok(Err(e)) => Err(AppError::Dispatch(e)),
        Err(_) => Err(AppError::Dispatch(DispatchError {
            status: Grpc::DeadlineExceeded,
            message: format!("no answer within {timeout:?}"),
        })),
    }
}

fn outbox_error(e: OutboxError) -> AppError {
    AppError::Internal(format!("the event could not be stored: {e}"))
}

/// Commits the event to the outbox (unless it is a duplicate) and answers.
async fn queue(
    outbox: &Outbox,
    webhook: &str,
    command: Command,
    keys: Vec<String>,
) -> Result<(Outcome, &'static str), AppError> {
    match outbox
        .accept(webhook, command, keys)
        .await
        .map_err(outbox_error)?
    {
        Enqueued::Stored(entry) => {
            tracing::info!(entry, "queued in the outbox");
            Ok((Outcome::Journaled, "accepted"))
        }
        Enqueued::Duplicate => {
            tracing::info!("duplicate delivery: answered, not dispatched");
            Ok((Outcome::Journaled, "duplicate"))
        }
    }
}

/// `--dispatch sync`: Zeebe's answer inline, the outbox when Zeebe is
/// unreachable, pushing back, or an earlier event for the key is queued.
async fn dispatch_sync(
    state: &AppState,
    outbox: &Outbox,
    webhook: &str,
    command: Command,
    keys: Vec<String>,
) -> Result<(Outcome, &'static str), AppError> {
    if outbox.must_wait(&command).await.map_err(outbox_error)? {
        return queue(outbox, webhook, command, keys).await;
    }
    if outbox.claim(keys.clone()).await.map_err(outbox_error)? == Enqueued::Duplicate {
        tracing::info!("duplicate delivery: answered, not dispatched");
        return Ok((Outcome::Journaled, "duplicate"));
    }
    match dispatch_inline(state, command.clone()).await {
        Ok(outcome) => {
            outbox.set_reachable(true);
            Ok((outcome, "accepted"))
        }
        Err(AppError::Dispatch(e)) if is_retryable(e.status) => {
            outbox.set_reachable(false);
            tracing::warn!(error = %e, "Zeebe unavailable: queued in the outbox");
            // The keys are already claimed by this request.
            queue(outbox, webhook, command, Vec::new()).await
        }
        Err(error) => {
            // Nothing was delivered: a retry of this request may try again.
            if let Err(e) = outbox.release(keys).await {
                tracing::error!(error = %e, "cannot release the deduplication keys");
            }
            Err(error)
        }
    }
}

/// The deduplication keys of a request, namespaced by webhook: its
/// `I-Twilio-Idempotency-Token` and the dedup expression's value
/// (`request.body.MessageSid` by default).
fn dedup_keys(
    webhook: &str,
    headers: &HeaderMap,
    vars: &feel::Context,
    settings: &Settings,
) -> Result<Vec<String>, AppError> {
    let mut keys = Vec::new();
    let token = headers
        .get("i-twilio-idempotency-token")
        .map(|v| String::from_utf8_lossy(v.as_bytes()))
        .filter(|t| !t.is_empty());
    if let Some(token) = token {
        keys.push(format!("{webhook}\u{0}token\u{0}{token}"));
    }
    let value = match &settings.dedup_expression {
        Some(expr) => {
            let evaluation = expr.evaluate(vars).map_err(|e| AppError::InvalidInput {
                reason: format!("failed to evaluate the deduplication key: {e}"),
                expression: None,
            })?;
            as_key(evaluation.value)
        }
        None => message_sid(vars),
    };
    if let Some(value) = value.filter(|v| !v.is_empty()) {
        keys.push(format!("{webhook}\u{0}key\u{0}{value}"));
    }
    Ok(keys)
}

/// `request.body.MessageSid`, when the body has one.
fn message_sid(vars: &feel::Context) -> Option<String> {
    rc::text_at(vars, &["request", "body", "MessageSid"]).map(str::to_owned)
}

/// Reads the body, refusing more than `limit` bytes without buffering them;
/// `declared` (Content-Length, already checked against `limit`) sizes the
/// buffer.
async fn read_limited<S, E>(
    mut body: S,
    declared: Option<u64>,
    limit: usize,
) -> Result<Bytes, AppError>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin + Send,
    E: std::fmt::Display,
{
    let read = |chunk: Option<Result<Bytes, E>>| {
        chunk
            .transpose()
            .map_err(|e| AppError::BodyRead(e.to_string()))
    };
    let too_large = AppError::PayloadTooLarge { limit };
    let Some(first) = read(body.next().await)? else {
        return Ok(Bytes::new());
    };
    if first.len() > limit {
        return Err(too_large);
    }
    let Some(mut chunk) = read(body.next().await)? else {
        // The usual small body arrives in one piece: kept as it is.
        return Ok(first);
    };
    let expected = declared.map_or(0, |n| usize::try_from(n).unwrap_or(limit).min(limit));
    let mut buffer = Vec::with_capacity(expected.max(first.len() + chunk.len()));
    buffer.extend_from_slice(&first);
    loop {
        if buffer.len() + chunk.len() > limit {
            return Err(too_large);
        }
        buffer.extend_from_slice(&chunk);
        match read(body.next().await)? {
            Some(next) => chunk = next,
            None => return Ok(Bytes::from(buffer)),
        }
    }
}

fn evaluate(expr: &Compiled, vars: &feel::Context) -> Result<Value, AppError> {
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
fn activated(webhook: &WebhookDefinition, vars: &feel::Context) -> Result<bool, AppError> {
    match &webhook.activation {
        None => Ok(true),
        Some(expr) => Ok(matches!(evaluate(expr, vars)?, Value::Boolean(true))),
    }
}

/// `{resultVariable: context}` merged with the result expression's entries.
fn variables(
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

/// The length of the variables as compact JSON, counted without building
/// the text.
fn json_size(variables: &Map<String, Json>) -> usize {
    struct Count(usize);
    impl std::io::Write for Count {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0 += buf.len();
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut count = Count(0);
    match serde_json::to_writer(&mut count, variables) {
        Ok(()) => count.0,
        Err(_) => usize::MAX,
    }
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

fn command(
    webhook: &WebhookDefinition,
    vars: &feel::Context,
    variables: Map<String, Json>,
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
            // Without a message id expression, Twilio's MessageSid lets
            // Zeebe drop a message we deliver twice.
            let message_id = match message_id {
                Some(expr) => key_text(expr, vars)?.unwrap_or_default(),
                None => message_sid(vars).unwrap_or_default(),
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

/// `GET /health`: 200 with the loaded webhook ids.
pub async fn health(state: AppState) -> Result<Response, Infallible> {
    let registry = state.registry();
    let ids: Vec<&str> = registry.ids().collect();
    let mut body = serde_json::json!({"status": "ok", "webhooks": ids});
    if let Some(outbox) = &state.settings().outbox {
        if outbox.degraded() {
            body["status"] = "degraded".into();
        }
        if let Some(down) = outbox.unreachable_for() {
            body["zeebeUnreachableSeconds"] = down.as_secs().into();
        }
        match outbox.stats().await {
            Ok(stats) => {
                body["outbox"] = serde_json::json!({"pending": stats.pending, "dead": stats.dead});
            }
            Err(e) => tracing::error!(error = %e, "cannot read the outbox for /health"),
        }
    }
    Ok(json(StatusCode::OK, &body))
}

/// `GET /metrics`: Prometheus text format.
pub async fn metrics(state: AppState) -> Result<Response, Infallible> {
    let mut text = state.metrics().render();
    if let Some(outbox) = &state.settings().outbox {
        text.push_str(&outbox.render_metrics().await);
    }
    let mut r = Response::new(text.into());
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    Ok(r)
}

fn json(status: StatusCode, body: &Json) -> Response {
    let mut r = Response::new(body.to_string().into());
    *r.status_mut() = status;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}
