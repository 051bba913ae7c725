//! Every way a request can fail, and the one place that turns a failure (or
//! any other JSON answer) into an HTTP reply.
//!
//! 4xx bodies are `{"reason": "..."}` saying what was wrong; 5xx bodies stay
//! generic and the detail goes to the log. Answers that ask the caller to come
//! back later (429, 503) carry `Retry-After` ([`json_reply`] sets it, nothing
//! else does): Twilio retries them.

use warp::http::{header, HeaderValue, StatusCode};
use warp::reply::Response;

use crate::zeebe::{DispatchError, StatusCode as Grpc};

/// Seconds a caller should wait before retrying a 429 or 503.
pub const RETRY_AFTER_SECS: u32 = 1;

/// Why a request was not accepted.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// No route matches the path.
    #[error("not found")]
    NoRoute,
    /// No webhook with this id.
    #[error("no webhook with id `{0}`")]
    UnknownWebhook(String),
    /// The route or the webhook's `inbound.method` does not allow this
    /// method (named when known).
    #[error("{}", match .0 { Some(m) => format!("Method {m} not supported"), None => "method not allowed".to_owned() })]
    MethodNotAllowed(Option<String>),
    /// The body is over the limit.
    #[error("the request body is larger than {limit} bytes")]
    PayloadTooLarge {
        /// The limit.
        limit: usize,
    },
    /// The body could not be read.
    #[error("the request body could not be read: {0}")]
    BodyRead(String),
    /// The signature header is absent.
    #[error("missing signature header `{0}`")]
    MissingSignature(String),
    /// The signature does not match.
    #[error("Reason: INVALID_SIGNATURE. Details: HMAC signature check didn't pass")]
    InvalidSignature,
    /// The request is malformed (form, JSON, query string).
    #[error("{0}")]
    BadRequest(String),
    /// The request lacks valid credentials (the admin endpoint's token).
    #[error("{0}")]
    Unauthorized(String),
    /// The request may not be served here (the admin endpoint's Host check).
    #[error("{0}")]
    Forbidden(String),
    /// The body's content type is not one this endpoint takes.
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// The webhook was handling as many requests as it may for as long as
    /// a request waits for a slot.
    #[error("this webhook is already handling {limit} requests and none finished within {waited_ms} ms; retry later")]
    TooManyRequests {
        /// The limit that was reached.
        limit: usize,
        /// How long the request waited for a slot.
        waited_ms: u64,
    },
    /// The activation condition was not met and unmatched events are not consumed.
    #[error("the activation condition was not met")]
    ActivationConditionNotMet,
    /// The input could not be processed (FEEL errors, keys, result shape, size).
    #[error("{reason}")]
    InvalidInput {
        /// What went wrong.
        reason: String,
        /// The expression involved, if any.
        expression: Option<String>,
    },
    /// Zeebe (or the transport) refused the command.
    #[error("dispatch failed: {0}")]
    Dispatch(DispatchError),
    /// The event cannot be stored now (the outbox cannot commit: a full
    /// disk); nothing was kept, and the caller should retry (503 with
    /// `Retry-After`). The reason is logged, not sent.
    #[error("the event cannot be stored now: {0}")]
    Unavailable(String),
    /// A bug or an unexpected state; details are logged only.
    #[error("internal error: {0}")]
    Internal(String),
}

impl AppError {
    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::NoRoute | AppError::UnknownWebhook(_) => StatusCode::NOT_FOUND,
            AppError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            AppError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::BodyRead(_) | AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::MissingSignature(_)
            | AppError::InvalidSignature
            | AppError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            AppError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::ActivationConditionNotMet | AppError::InvalidInput { .. } => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            AppError::Dispatch(e) => dispatch_status(e.status),
            AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// A short label for metrics.
    pub fn outcome(&self) -> &'static str {
        match self {
            AppError::NoRoute | AppError::UnknownWebhook(_) => "not_found",
            AppError::MethodNotAllowed(_) => "method_not_allowed",
            AppError::PayloadTooLarge { .. } => "too_large",
            AppError::BodyRead(_) | AppError::BadRequest(_) => "bad_request",
            AppError::MissingSignature(_)
            | AppError::InvalidSignature
            | AppError::Unauthorized(_) => "unauthorized",
            AppError::Forbidden(_) => "forbidden",
            AppError::UnsupportedMediaType(_) => "unsupported_media_type",
            AppError::TooManyRequests { .. } => "too_many_requests",
            AppError::ActivationConditionNotMet => "not_activated",
            AppError::InvalidInput { .. } => "invalid_input",
            AppError::Dispatch(_) => "dispatch_error",
            AppError::Unavailable(_) => "unavailable",
            AppError::Internal(_) => "internal_error",
        }
    }

    /// The JSON body sent to the caller: the reason for 4xx, nothing that
    /// could leak an internal detail for 5xx.
    pub fn body(&self) -> serde_json::Value {
        let mut body = serde_json::Map::new();
        match self {
            AppError::Dispatch(e) => {
                body.insert("reason".into(), "Zeebe did not accept the command".into());
                body.insert("status".into(), e.status.as_str().into());
            }
            AppError::Internal(_) => {
                body.insert("reason".into(), "internal error".into());
            }
            AppError::Unavailable(_) => {
                body.insert(
                    "reason".into(),
                    "the event cannot be stored right now; retry later".into(),
                );
            }
            AppError::ActivationConditionNotMet => {
                body.insert("reason".into(), self.to_string().into());
                body.insert("consumeUnmatched".into(), false.into());
            }
            AppError::InvalidInput {
                expression: Some(expression),
                ..
            } => {
                body.insert("reason".into(), self.to_string().into());
                body.insert("expression".into(), expression.clone().into());
            }
            _ => {
                body.insert("reason".into(), self.to_string().into());
            }
        }
        serde_json::Value::Object(body)
    }

    /// The reply sent to the caller.
    pub fn into_response(self) -> Response {
        json_reply(self.status(), &self.body())
    }
}

/// A JSON reply: every JSON answer of the service (errors, `/health`, the
/// admin endpoint) is built here, so every 429 and 503 carries
/// `Retry-After`.
pub fn json_reply(status: StatusCode, body: &serde_json::Value) -> Response {
    let mut response = Response::new(body.to_string().into());
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    if matches!(
        status,
        StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE
    ) {
        headers.insert(header::RETRY_AFTER, HeaderValue::from(RETRY_AFTER_SECS));
    }
    response
}

/// The HTTP status for a failed dispatch, as Camunda's connectors runtime
/// answers it (see [`crate::zeebe::http_status`]).
pub fn dispatch_status(code: Grpc) -> StatusCode {
    StatusCode::from_u16(crate::zeebe::http_status(code))
        .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_grpc_status_has_camundas_http_status() {
        let table = [
            (Grpc::Cancelled, 499),
            (Grpc::Unknown, 500),
            (Grpc::Internal, 500),
            (Grpc::DataLoss, 500),
            (Grpc::InvalidArgument, 400),
            (Grpc::DeadlineExceeded, 504),
            (Grpc::NotFound, 404),
            (Grpc::AlreadyExists, 409),
            (Grpc::Aborted, 409),
            (Grpc::PermissionDenied, 403),
            (Grpc::ResourceExhausted, 429),
            (Grpc::FailedPrecondition, 412),
            (Grpc::OutOfRange, 416),
            (Grpc::Unimplemented, 501),
            (Grpc::Unavailable, 503),
            (Grpc::Unauthenticated, 401),
        ];
        for (code, http) in table {
            assert_eq!(dispatch_status(code).as_u16(), http, "{code:?}");
        }
    }

    #[test]
    fn server_errors_stay_generic() {
        let r = AppError::Internal("secret detail".into()).into_response();
        assert_eq!(r.status(), 500);
        assert!(r.headers().get(header::RETRY_AFTER).is_none());
        let e = AppError::Dispatch(DispatchError {
            status: Grpc::Unavailable,
            message: "gateway at 10.0.0.1 refused".into(),
        });
        assert!(!e.body().to_string().contains("10.0.0.1"), "{}", e.body());
        let r = e.into_response();
        assert_eq!(r.status(), 503);
        assert_eq!(r.headers()[header::RETRY_AFTER], "1");
    }

    #[test]
    fn an_event_that_cannot_be_stored_is_503_with_retry_after_and_no_detail() {
        let e = AppError::Unavailable("cannot write /var/lib/outbox.log: disk full".into());
        assert_eq!(e.outcome(), "unavailable");
        assert!(!e.body().to_string().contains("/var/lib"), "{}", e.body());
        let r = e.into_response();
        assert_eq!(r.status(), 503);
        assert_eq!(r.headers()[header::RETRY_AFTER], "1");
    }

    #[test]
    fn too_many_requests_is_429_with_retry_after_and_a_reason() {
        let e = AppError::TooManyRequests {
            limit: 3,
            waited_ms: 50,
        };
        assert_eq!(e.outcome(), "too_many_requests");
        assert_eq!(
            e.body(),
            serde_json::json!({"reason": "this webhook is already handling 3 requests and none finished within 50 ms; retry later"})
        );
        let r = e.into_response();
        assert_eq!(r.status(), 429);
        assert_eq!(r.headers()[header::RETRY_AFTER], "1");
        assert_eq!(r.headers()[header::CONTENT_TYPE], "application/json");
    }

    #[test]
    fn only_429_and_503_ask_to_retry() {
        for status in [200, 400, 404, 422, 500, 504] {
            let status = StatusCode::from_u16(status).unwrap();
            let r = json_reply(status, &serde_json::json!({}));
            assert!(r.headers().get(header::RETRY_AFTER).is_none(), "{status}");
        }
    }

    #[test]
    fn method_not_allowed_names_the_method_when_known() {
        assert_eq!(
            AppError::MethodNotAllowed(Some("GET".into())).to_string(),
            "Method GET not supported"
        );
        assert_eq!(
            AppError::MethodNotAllowed(None).to_string(),
            "method not allowed"
        );
        assert_eq!(
            AppError::NoRoute.body(),
            serde_json::json!({"reason": "not found"})
        );
    }
}
