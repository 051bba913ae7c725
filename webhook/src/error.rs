//! Every way a request can fail, mapped to exactly one status and body here.
//!
//! 4xx bodies are `{"reason": "..."}` saying what was wrong; 5xx bodies stay
//! generic and the detail goes to the log.

use warp::http::{header, HeaderValue, StatusCode};
use warp::reply::Response;

use crate::zeebe::{DispatchError, StatusCode as Grpc};

/// Why a request was not accepted.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// No webhook with this id.
    #[error("no webhook with id `{0}`")]
    UnknownWebhook(String),
    /// `inbound.method` does not allow this method.
    #[error("Method {0} not supported")]
    MethodNotAllowed(String),
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
    /// A bug or an unexpected state; details are logged only.
    #[error("internal error: {0}")]
    Internal(String),
}

impl AppError {
    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::UnknownWebhook(_) => StatusCode::NOT_FOUND,
            AppError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            AppError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::BodyRead(_) | AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::MissingSignature(_) | AppError::InvalidSignature => StatusCode::UNAUTHORIZED,
            AppError::ActivationConditionNotMet | AppError::InvalidInput { .. } => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            AppError::Dispatch(e) => dispatch_status(e.status),
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// A short label for metrics.
    pub fn outcome(&self) -> &'static str {
        match self {
            AppError::UnknownWebhook(_) => "not_found",
            AppError::MethodNotAllowed(_) => "method_not_allowed",
            AppError::PayloadTooLarge { .. } => "too_large",
            AppError::BodyRead(_) | AppError::BadRequest(_) => "bad_request",
            AppError::MissingSignature(_) | AppError::InvalidSignature => "unauthorized",
            AppError::ActivationConditionNotMet => "not_activated",
            AppError::InvalidInput { .. } => "invalid_input",
            AppError::Dispatch(_) => "dispatch_error",
            AppError::Internal(_) => "internal_error",
        }
    }

    /// The response sent to the caller.
    pub fn into_response(self) -> Response {
        let status = self.status();
        let mut body = serde_json::Map::new();
        match &self {
            AppError::Dispatch(e) => {
                body.insert("reason".into(), "Zeebe did not accept the command".into());
                body.insert("status".into(), e.status.as_str().into());
            }
            AppError::Internal(_) => {
                body.insert("reason".into(), "internal error".into());
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
        let text = serde_json::Value::Object(body).to_string();
        let mut response = Response::new(text.into());
        *response.status_mut() = status;
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        if matches!(
            status,
            StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE
        ) {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        response
    }
}

/// Camunda's mapping of gRPC status codes to HTTP (spec §2.8).
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
        let e = AppError::Internal("secret detail".into());
        let r = e.into_response();
        assert_eq!(r.status(), 500);
        let e = AppError::Dispatch(DispatchError {
            status: Grpc::Unavailable,
            message: "gateway at 10.0.0.1 refused".into(),
        });
        let r = e.into_response();
        assert_eq!(r.status(), 503);
        assert_eq!(r.headers()[header::RETRY_AFTER], "1");
    }
}
