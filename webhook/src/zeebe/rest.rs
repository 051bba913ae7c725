//! The REST transport: Camunda 8 REST API v2, `POST /v2/process-instances`
//! and `POST /v2/messages/publication`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::Full;
use serde::Deserialize;
use serde_json::{json, Value};

use super::auth::Authorizer;
use super::{
    retry, ttl_millis, Command, DispatchError, DispatchFuture, Dispatcher, Outcome, StatusCode,
};
use crate::http_client::{excerpt, HttpClient, HttpResponse};

/// Sends commands to the Camunda 8 REST API (v2).
///
/// Built by [`ZeebeSettings::build_dispatcher`](super::ZeebeSettings::build_dispatcher).
#[derive(Debug, Clone)]
pub struct RestDispatcher {
    client: HttpClient,
    auth: Option<Arc<Authorizer>>,
    /// Without a trailing `/` and without `/v2`.
    base_url: String,
    timeout: Duration,
    backpressure_retries: u32,
}

impl RestDispatcher {
    pub(crate) fn new(
        client: HttpClient,
        auth: Option<Arc<Authorizer>>,
        base_url: &str,
        timeout: Duration,
        backpressure_retries: u32,
    ) -> Self {
        Self {
            client,
            auth,
            base_url: base_url.to_owned(),
            timeout,
            backpressure_retries,
        }
    }

    async fn send(&self, command: Command) -> Result<Outcome, DispatchError> {
        match command {
            Command::CreateProcessInstance {
                bpmn_process_id,
                version,
                tenant_id,
                variables,
            } => {
                let mut body = json!({
                    "processDefinitionId": bpmn_process_id,
                    "processDefinitionVersion": version,
                    "variables": variables,
                });
                if let (Some(tenant), Some(map)) = (tenant_id, body.as_object_mut()) {
                    map.insert("tenantId".to_owned(), Value::String(tenant));
                }
                let response = self.post("/v2/process-instances", &body).await?;
                if !is_success(response.status) {
                    return Err(problem(&response));
                }
                let created: Created = parse(&response)?;
                Ok(Outcome::ProcessInstanceCreated {
                    process_instance_key: created.process_instance_key.get()?,
                    tenant_id: created.tenant_id.filter(|t| !t.is_empty()),
                })
            }
            Command::PublishMessage {
                name,
                correlation_key,
                message_id,
                time_to_live,
                tenant_id,
                variables,
            } => {
                let mut body = json!({
                    "name": name,
                    "correlationKey": correlation_key,
                    "timeToLive": ttl_millis(time_to_live),
                    "variables": variables,
                });
                if let Some(map) = body.as_object_mut() {
                    if !message_id.is_empty() {
                        map.insert("messageId".to_owned(), Value::String(message_id));
                    }
                    if let Some(tenant) = tenant_id {
                        map.insert("tenantId".to_owned(), Value::String(tenant));
                    }
                }
                let response = self.post("/v2/messages/publication", &body).await?;
                if !is_success(response.status) {
                    let error = problem(&response);
                    if error.status == StatusCode::AlreadyExists {
                        // Same message id still buffered: a duplicate delivery.
                        return Ok(Outcome::MessageAlreadyPublished);
                    }
                    return Err(error);
                }
                let published: Published = parse(&response)?;
                Ok(Outcome::MessagePublished {
                    message_key: published.message_key.get()?,
                    tenant_id: published.tenant_id.filter(|t| !t.is_empty()),
                })
            }
        }
    }

    async fn post(&self, path: &str, body: &Value) -> Result<HttpResponse, DispatchError> {
        let url = format!("{}{path}", self.base_url);
        let body = serde_json::to_vec(body).map_err(|err| {
            DispatchError::new(
                StatusCode::InvalidArgument,
                format!("the request body cannot be written as JSON: {err}"),
            )
        })?;
        let mut request = hyper::Request::post(url.as_str())
            .header(hyper::header::CONTENT_TYPE, "application/json")
            .header(hyper::header::ACCEPT, "application/json");
        if let Some(auth) = &self.auth {
            request = request.header(hyper::header::AUTHORIZATION, auth.authorization().await?);
        }
        let request = request.body(Full::new(Bytes::from(body))).map_err(|err| {
            DispatchError::new(
                StatusCode::InvalidArgument,
                format!("cannot build a request to {url}: {err}"),
            )
        })?;
        Ok(self.client.send(request, "the Camunda REST API").await?)
    }
}

impl Dispatcher for RestDispatcher {
    fn dispatch(&self, command: Command) -> DispatchFuture<'_> {
        Box::pin(async move {
            let deadline = Instant::now() + self.timeout;
            let attempts =
                retry::on_backpressure(command, deadline, self.backpressure_retries, |c| {
                    self.send(c)
                });
            let result = match tokio::time::timeout_at(deadline.into(), attempts).await {
                Ok(result) => result,
                Err(_) => Err(DispatchError::new(
                    StatusCode::DeadlineExceeded,
                    format!(
                        "the Camunda REST API at {} did not answer within {} ms",
                        self.base_url,
                        self.timeout.as_millis()
                    ),
                )),
            };
            if let (Err(error), Some(auth)) = (&result, &self.auth) {
                if error.status == StatusCode::Unauthenticated {
                    // The token was rejected: fetch a new one next time.
                    auth.invalidate().await;
                }
            }
            result
        })
    }
}

fn is_success(status: u16) -> bool {
    (200..300).contains(&status)
}

/// A key, sent as a string by current versions (`LongKey`) and as a number by
/// older ones.
#[derive(Deserialize)]
#[serde(untagged)]
enum Key {
    Text(String),
    Number(i64),
}

impl Key {
    fn get(&self) -> Result<i64, DispatchError> {
        match self {
            Key::Number(n) => Ok(*n),
            Key::Text(text) => text.parse().map_err(|_| {
                DispatchError::new(
                    StatusCode::Internal,
                    format!(
                        "the Camunda REST API answered with a key that is not a number: {text:?}"
                    ),
                )
            }),
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Created {
    process_instance_key: Key,
    tenant_id: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Published {
    message_key: Key,
    tenant_id: Option<String>,
}

fn parse<T: for<'de> Deserialize<'de>>(response: &HttpResponse) -> Result<T, DispatchError> {
    serde_json::from_slice(&response.body).map_err(|err| {
        DispatchError::new(
            StatusCode::Internal,
            format!(
                "the Camunda REST API answered HTTP {} with an unexpected body ({err}): {}",
                response.status,
                excerpt(&response.body, 200)
            ),
        )
    })
}

#[derive(Deserialize, Default)]
struct Problem {
    title: Option<String>,
    detail: Option<String>,
}

/// Maps an error answer (RFC 9457 `application/problem+json`) to a
/// [`DispatchError`]. Camunda's `title` is the gRPC status name (e.g.
/// `RESOURCE_EXHAUSTED`, which shares HTTP 503 with `UNAVAILABLE`), so it wins
/// over the HTTP status; other titles and bodies fall back to the status.
pub(crate) fn problem_error(http_status: u16, body: &[u8]) -> DispatchError {
    let problem: Problem = serde_json::from_slice(body).unwrap_or_default();
    let from_title = problem.title.as_deref().and_then(|title| {
        let title = title.trim();
        StatusCode::from_name(title).or(match title {
            "INVALID_STATE" => Some(StatusCode::FailedPrecondition),
            "UNAUTHORIZED" => Some(StatusCode::Unauthenticated),
            "FORBIDDEN" => Some(StatusCode::PermissionDenied),
            _ => None,
        })
    });
    let status = from_title.unwrap_or(match http_status {
        400 | 413 | 415 | 422 => StatusCode::InvalidArgument,
        401 => StatusCode::Unauthenticated,
        403 => StatusCode::PermissionDenied,
        404 => StatusCode::NotFound,
        408 | 504 => StatusCode::DeadlineExceeded,
        409 => StatusCode::Aborted,
        412 => StatusCode::FailedPrecondition,
        429 => StatusCode::ResourceExhausted,
        501 => StatusCode::Unimplemented,
        502 | 503 => StatusCode::Unavailable,
        500 => StatusCode::Internal,
        _ => StatusCode::Unknown,
    });
    let message = match (problem.detail, problem.title) {
        (Some(detail), _) if !detail.trim().is_empty() => detail,
        (_, Some(title)) if !title.trim().is_empty() => {
            format!("the Camunda REST API answered HTTP {http_status} ({title})")
        }
        _ if !body.is_empty() => format!(
            "the Camunda REST API answered HTTP {http_status}: {}",
            excerpt(body, 200)
        ),
        _ => format!("the Camunda REST API answered HTTP {http_status}"),
    };
    DispatchError::new(status, message)
}

fn problem(response: &HttpResponse) -> DispatchError {
    problem_error(response.status, &response.body)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status_of(http: u16, body: &str) -> StatusCode {
        problem_error(http, body.as_bytes()).status
    }

    #[test]
    fn title_wins_over_http_status() {
        let body =
            r#"{"type":"about:blank","title":"RESOURCE_EXHAUSTED","status":503,"detail":"busy"}"#;
        assert_eq!(status_of(503, body), StatusCode::ResourceExhausted);
        assert_eq!(problem_error(503, body.as_bytes()).message, "busy");
        assert_eq!(
            status_of(503, r#"{"title":"UNAVAILABLE"}"#),
            StatusCode::Unavailable
        );
        assert_eq!(
            status_of(409, r#"{"title":"ALREADY_EXISTS"}"#),
            StatusCode::AlreadyExists
        );
        assert_eq!(
            status_of(409, r#"{"title":"INVALID_STATE"}"#),
            StatusCode::FailedPrecondition
        );
    }

    #[test]
    fn http_status_is_the_fallback() {
        assert_eq!(
            status_of(400, r#"{"title":"Bad Request"}"#),
            StatusCode::InvalidArgument
        );
        assert_eq!(status_of(401, ""), StatusCode::Unauthenticated);
        assert_eq!(status_of(403, "nope"), StatusCode::PermissionDenied);
        assert_eq!(status_of(404, ""), StatusCode::NotFound);
        assert_eq!(status_of(409, ""), StatusCode::Aborted);
        assert_eq!(status_of(429, ""), StatusCode::ResourceExhausted);
        assert_eq!(status_of(500, "<html>"), StatusCode::Internal);
        assert_eq!(status_of(502, ""), StatusCode::Unavailable);
        assert_eq!(status_of(503, ""), StatusCode::Unavailable);
        assert_eq!(status_of(504, ""), StatusCode::DeadlineExceeded);
        assert_eq!(status_of(418, ""), StatusCode::Unknown);
    }

    #[test]
    fn message_says_what_came_back() {
        assert_eq!(
            problem_error(500, b"<html>oops</html>").message,
            "the Camunda REST API answered HTTP 500: <html>oops</html>"
        );
        assert_eq!(
            problem_error(400, br#"{"title":"Bad Request"}"#).message,
            "the Camunda REST API answered HTTP 400 (Bad Request)"
        );
    }
}
