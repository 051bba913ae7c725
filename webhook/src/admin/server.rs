//! The admin endpoint: `POST /outbox` with an [`Op`] as JSON, and the
//! request inspector under `/inspect` ([`crate::inspect`]), on a loopback
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
use warp::http::{HeaderMap, Method, StatusCode};
use warp::reply::Response;
use warp::{Filter, Rejection};

use super::guard::Guard;
use super::{apply, Op};
use crate::error::{json_reply, AppError};
use crate::outbox::{Outbox, OutboxError};
use crate::secret::Secret;
use crate::state::AppState;

/// The largest command body taken.
const MAX_BODY: u64 = 64 * 1024;

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

/// `/outbox` when the service runs without an outbox: an answer saying so
/// (behind the same guard), and not found elsewhere.
fn no_outbox(guard: Guard) -> warp::filters::BoxedFilter<(Response,)> {
    warp::path!("outbox")
        .and(warp::header::headers_cloned())
        .map(move |headers: HeaderMap| match guard.check(&headers) {
            Ok(()) => json_reply(
                StatusCode::NOT_FOUND,
                &json!({"reason": "this service runs without an outbox (--no-outbox): there are no outbox commands"}),
            ),
            Err(error) => error.into_response(),
        })
        .recover(|rejection: Rejection| async move { Ok::<_, Infallible>(rejected(&rejection)) })
        .unify()
        .boxed()
}

/// Everything the admin listener serves: the request inspector under
/// `/inspect` ([`crate::inspect::routes`]) and the outbox commands, each
/// behind `guard`.
pub fn listener_routes(state: AppState, guard: Guard) -> warp::filters::BoxedFilter<(Response,)> {
    let outbox = match state.outbox() {
        Some(outbox) => routes(outbox.clone(), guard.clone()),
        None => no_outbox(guard.clone()),
    };
    crate::inspect::routes::routes(state, guard)
        .or(outbox)
        .unify()
        .boxed()
}

/// Serves the admin routes on `listener` until `shutdown`. Refuses a
/// non-loopback address.
pub async fn serve(
    state: AppState,
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
    let route = listener_routes(state, Guard { addr, token });
    tracing::info!(%addr, "admin endpoint listening");
    warp::serve(route)
        .incoming(listener)
        .graceful(shutdown)
        .run()
        .await;
    Ok(())
}
