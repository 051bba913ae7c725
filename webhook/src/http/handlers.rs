//! One async fn per endpoint. `inbound` runs the steps of [`crate::inbound`]
//! in order: find the webhook → method → body (size limit) → signature →
//! `request` context → expressions → delivery → reply; every outcome,
//! failures included, is logged and counted once, here.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use futures_util::Stream;
use tracing::Instrument;
use warp::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use warp::reply::Response;

use super::connections::{self, Connections};
use super::limits::InFlight;
use super::{limits, reply};
use crate::error::{json_reply, AppError};
use crate::inbound::pipeline::{self, Decision};
use crate::inbound::verification::Received;
use crate::inbound::{delivery, request_context};
use crate::inspect::Capture;
use crate::state::AppState;
use crate::webhooks::WebhookDefinition;

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
    /// The webhooks' in-flight slots: a request takes one once its
    /// signature checked out, so slow or unsigned clients hold none.
    pub in_flight: Arc<InFlight>,
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
        let known = request.webhook.is_some();
        // The request inspector's copy (`None` when it is off).
        let mut capture = state.inspector().map(|i| i.start(&request));
        let (response, outcome) = match process(request, &state, capture.as_mut()).await {
            Ok(answered) => answered,
            Err(error) => {
                if let Some(c) = capture.as_mut() {
                    c.failed(&error);
                }
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
                (error.into_response(), outcome)
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
        if let (Some(inspector), Some(capture)) = (state.inspector(), capture) {
            inspector.record(capture, response.status(), outcome, elapsed);
        }
        Ok(response)
    }
    .instrument(span)
    .await
}

/// The steps of one request; the reply and its metrics label.
async fn process<S, E>(
    request: Inbound<S>,
    state: &AppState,
    mut capture: Option<&mut Capture>,
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
        in_flight,
    } = request;
    let webhook = webhook.ok_or(AppError::UnknownWebhook(id))?;
    if !SERVED_METHODS.contains(&method) || !webhook.method.allows(method.as_str()) {
        return Err(AppError::MethodNotAllowed(Some(method.to_string())));
    }
    let settings = &state.settings().requests;
    let body = limits::read_body(body, &headers, settings.body_limit).await?;
    if let Some(c) = capture.as_deref_mut() {
        c.body(&body);
    }
    let verified = Received::new(method, path, query, headers, body)?
        .verify(webhook.verification.as_ref(), settings)?;
    if let Some(c) = capture.as_deref_mut() {
        c.verified();
    }
    // Only now, past the signature check, does the request mark its
    // connection as one that must not be shed (waiting for a slot included:
    // a genuine request shed there would be lost) and take a slot of its
    // webhook.
    let _processing = connections::processing();
    let _slot = in_flight.acquire(&webhook.id).await?;
    // Only the parts some expression may read are built.
    let parts = webhook.context_parts.union(state.dedup_parts());
    let vars = request_context::build(&verified, parts)
        .map_err(|e| AppError::BadRequest(e.to_string()))?;

    let command = match pipeline::decide(&webhook, &vars)? {
        Decision::Consumed => {
            tracing::info!("activation condition not met; event consumed");
            let reply = reply::accepted(settings.camunda_compatible_responses);
            return Ok((reply, "not_activated_consumed"));
        }
        Decision::Dispatch(command) => command,
    };
    let keys = match state.outbox() {
        Some(_) => pipeline::dedup_keys(&webhook.id, verified.headers(), &vars, state.dedup_key())?,
        None => Vec::new(),
    };
    // The facts `correlation` needs, taken before the command moves on.
    let summary = webhook
        .response_expression
        .is_some()
        .then(|| command.without_variables());
    let delivered = delivery::deliver(state, &webhook, command, keys).await?;
    tracing::info!(?delivered, "dispatched");
    if let Some(c) = capture {
        c.delivered(&delivered);
    }

    let reply = match (&webhook.response_expression, summary) {
        (Some(expr), Some(command)) => reply::from_expression(
            expr,
            &vars,
            &delivery::correlation(&command, &delivered),
            settings.camunda_compatible_responses,
        ),
        _ => reply::accepted(settings.camunda_compatible_responses),
    };
    Ok((reply, delivered.label()))
}

/// `GET /health`: the served webhook ids, the ones left out and why, the
/// outbox and cluster discovery. 200 while the service can take events
/// (`status` `ok`, or `degraded` when Zeebe has been unreachable for a
/// while: the outbox keeps the events); 503 with the `reason` while the
/// outbox cannot store events (a full disk) or cluster discovery is failing
/// (or has not completed a poll yet).
pub async fn health(state: AppState) -> Result<Response, Infallible> {
    let registry = state.registry();
    let ids: Vec<&str> = registry.ids().collect();
    let mut body = serde_json::json!({"status": "ok", "webhooks": ids});
    let mut status = StatusCode::OK;
    let skipped = state.catalog().skipped();
    if !skipped.is_empty() {
        body["skipped"] = serde_json::json!(*skipped);
    }
    if let Some(outbox) = state.outbox() {
        if let Some((reason, since)) = outbox.unavailable() {
            status = StatusCode::SERVICE_UNAVAILABLE;
            body["status"] = "unavailable".into();
            body["reason"] = reason.into();
            body["unavailableSeconds"] = since.as_secs().into();
        }
        if outbox.degraded() && status == StatusCode::OK {
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
    if let Some(discovery) = state.discovery() {
        let health = discovery.health();
        if let Some(reason) = &health.reason {
            // Both can fail at once: say both.
            let reason = match body["reason"].as_str() {
                Some(outbox) => format!("{outbox}; {reason}"),
                None => reason.clone(),
            };
            status = StatusCode::SERVICE_UNAVAILABLE;
            body["status"] = "unavailable".into();
            body["reason"] = reason.into();
        }
        body["discovery"] = serde_json::json!(health);
    }
    Ok(json_reply(status, &body))
}

/// `GET /metrics`: Prometheus text format.
pub async fn metrics(
    state: AppState,
    connections: Option<Arc<Connections>>,
) -> Result<Response, Infallible> {
    let mut text = state.metrics().render();
    text.push_str(&format!(
        "# HELP webhook_webhooks_active Webhooks being served.\n\
         # TYPE webhook_webhooks_active gauge\n\
         webhook_webhooks_active {}\n",
        state.registry().len()
    ));
    if let Some(outbox) = state.outbox() {
        text.push_str(&outbox.render_metrics().await);
    }
    if let Some(discovery) = state.discovery() {
        text.push_str(&discovery.render_metrics());
    }
    if let Some(connections) = connections {
        text.push_str(&connections.render_metrics());
    }
    let mut r = Response::new(text.into());
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    Ok(r)
}
