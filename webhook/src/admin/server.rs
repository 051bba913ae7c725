//! The admin endpoint: `POST /outbox` with an [`Op`] as JSON, on a loopback
//! address only.
//!
//! A loopback address keeps the network out, but not a web page open in a
//! browser on the same host: a form can post to `127.0.0.1`, and a page on a
//! domain that resolves to it (DNS rebinding) can even read the answers. So
//! every request must name the endpoint itself in `Host` (a rebound page
//! sends its own domain), a command must come as `application/json` (which
//! a page can only send after a CORS preflight this endpoint never grants),
//! and with `--admin-token` it must carry `Authorization: Bearer <token>`.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;

use bytes::Bytes;
use serde_json::json;
use warp::http::{header, HeaderMap, Method, StatusCode};
use warp::reply::Response;
use warp::{Filter, Rejection};

use super::{apply, Op};
use crate::error::{json_reply, AppError};
use crate::outbox::{Outbox, OutboxError};
use crate::secret::Secret;

/// The largest command body taken.
const MAX_BODY: u64 = 64 * 1024;

/// What every admin request must show.
#[derive(Debug, Clone)]
pub struct Guard {
    /// The address the endpoint listens on (the only `Host` it answers to,
    /// with `localhost:<port>`).
    pub addr: SocketAddr,
    /// The bearer token required, if any.
    pub token: Option<Secret>,
}

impl Guard {
    /// Checks `Host` and the token; an error says what is wrong.
    pub fn check(&self, headers: &HeaderMap) -> Result<(), AppError> {
        let host = headers
            .get(header::HOST)
            .and_then(|v| v.to_str().ok())
            .map(str::to_ascii_lowercase)
            .unwrap_or_default();
        let port = self.addr.port();
        let allowed = [self.addr.to_string(), format!("localhost:{port}")];
        if !allowed.contains(&host) {
            return Err(AppError::Forbidden(format!(
                "the admin endpoint answers to Host {} or localhost:{port} only, not `{host}`",
                self.addr
            )));
        }
        if let Some(token) = &self.token {
            let given = headers
                .get(header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.strip_prefix("Bearer "))
                .unwrap_or_default();
            if !constant_time_eq(given.as_bytes(), token.expose().as_bytes()) {
                return Err(AppError::Unauthorized(
                    "the admin endpoint needs `Authorization: Bearer <its --admin-token>`".into(),
                ));
            }
        }
        Ok(())
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

async fn outbox_command(
    method: Method,
    headers: HeaderMap,
    body: Bytes,
    outbox: Outbox,
    guard: Guard,
) -> Result<Response, Infallible> {
    if let Err(error) = guard.check(&headers) {
        tracing::warn!(error = %error, "admin request refused");
        return Ok(error.into_response());
    }
    if method != Method::POST {
        return Ok(AppError::MethodNotAllowed(Some(method.to_string())).into_response());
    }
    let media = crate::form::media_type(&headers);
    if media.as_deref() != Some("application/json") {
        return Ok(AppError::UnsupportedMediaType(format!(
            "send the command as Content-Type: application/json, not {}",
            media.as_deref().unwrap_or("no content type")
        ))
        .into_response());
    }
    let op: Op = match serde_json::from_slice(&body) {
        Ok(op) => op,
        Err(e) => {
            return Ok(AppError::BadRequest(format!("not an outbox command: {e}")).into_response())
        }
    };
    let (status, body) = match apply(&outbox, op).await {
        Ok(body) => (StatusCode::OK, body),
        Err(OutboxError::Refused(reason)) => (StatusCode::BAD_REQUEST, json!({"reason": reason})),
        Err(e) => {
            // The operator asked: the detail is theirs to see.
            tracing::error!(error = %e, "admin command failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                json!({"reason": e.to_string()}),
            )
        }
    };
    Ok(json_reply(status, &body))
}

/// The admin routes: `POST /outbox` with an [`Op`] as JSON, behind `guard`.
pub fn routes(outbox: Outbox, guard: Guard) -> warp::filters::BoxedFilter<(Response,)> {
    warp::path!("outbox")
        .and(warp::method())
        .and(warp::header::headers_cloned())
        .and(warp::body::content_length_limit(MAX_BODY))
        .and(warp::body::bytes())
        .and(warp::any().map(move || outbox.clone()))
        .and(warp::any().map(move || guard.clone()))
        .and_then(outbox_command)
        .recover(|rejection: Rejection| async move { Ok::<_, Infallible>(rejected(&rejection)) })
        .unify()
        .boxed()
}

/// Requests the routes did not take: no such path, or a body over the limit.
fn rejected(rejection: &Rejection) -> Response {
    let error = if rejection.find::<warp::reject::PayloadTooLarge>().is_some()
        || rejection.find::<warp::reject::LengthRequired>().is_some()
    {
        AppError::PayloadTooLarge {
            limit: MAX_BODY as usize,
        }
    } else if rejection.is_not_found() {
        AppError::NoRoute
    } else {
        AppError::BadRequest(format!("{rejection:?}"))
    };
    error.into_response()
}

/// Serves the admin routes on `listener` until `shutdown`. Refuses a
/// non-loopback address.
pub async fn serve(
    outbox: Outbox,
    token: Option<Secret>,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), String> {
    let addr: SocketAddr = listener.local_addr().map_err(|e| e.to_string())?;
    if !addr.ip().is_loopback() {
        return Err(format!(
            "the admin endpoint must listen on a loopback address, not {addr}"
        ));
    }
    let route = routes(outbox, Guard { addr, token });
    tracing::info!(%addr, "admin endpoint listening");
    warp::serve(route)
        .incoming(listener)
        .graceful(shutdown)
        .run()
        .await;
    Ok(())
}
