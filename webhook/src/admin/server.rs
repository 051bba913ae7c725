//! The admin endpoint: `POST /outbox` with an [`Op`] as JSON, on a loopback
//! address only.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;

use serde_json::json;
use warp::http::StatusCode;
use warp::Filter;

use super::{apply, Op};
use crate::error::json_reply;
use crate::outbox::{Outbox, OutboxError};

async fn handle(op: Op, outbox: Outbox) -> Result<warp::reply::Response, Infallible> {
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

/// The admin routes: `POST /outbox` with an [`Op`] as JSON.
pub fn routes(outbox: Outbox) -> warp::filters::BoxedFilter<(warp::reply::Response,)> {
    warp::post()
        .and(warp::path!("outbox"))
        .and(warp::body::content_length_limit(64 * 1024))
        .and(warp::body::json::<Op>())
        .and(warp::any().map(move || outbox.clone()))
        .and_then(handle)
        .boxed()
}

/// Serves `POST /outbox` on `listener` until `shutdown`. Refuses a
/// non-loopback address: the endpoint has no authentication.
pub async fn serve(
    outbox: Outbox,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), String> {
    let addr: SocketAddr = listener.local_addr().map_err(|e| e.to_string())?;
    if !addr.ip().is_loopback() {
        return Err(format!(
            "the admin endpoint has no authentication; bind it to a loopback address, not {addr}"
        ));
    }
    let route = routes(outbox);
    tracing::info!(%addr, "admin endpoint listening");
    warp::serve(route)
        .incoming(listener)
        .graceful(shutdown)
        .run()
        .await;
    Ok(())
}
