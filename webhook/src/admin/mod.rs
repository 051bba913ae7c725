//! Operator commands on the outbox, run either directly on the store (service
//! stopped: redb lets one process open it) or through the running service's
//! admin endpoint, `POST /outbox` on a loopback address (`--admin-listen`),
//! which takes an [`Op`] as JSON and answers the result as JSON.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value as Json};
use warp::http::StatusCode;
use warp::{Filter, Reply as _};

use super::{EntryState, Outbox, OutboxError};

/// One operator command.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "camelCase")]
pub enum Op {
    /// Entries in one state, oldest first.
    List {
        /// Which table.
        state: EntryState,
        /// At most this many.
        limit: usize,
    },
    /// One entry, wherever it is.
    Show {
        /// Its id.
        id: u64,
    },
    /// Dead entries back to pending (`ids: None`: all dead entries).
    Retry {
        /// The ids.
        ids: Option<Vec<u64>>,
    },
    /// Delete delivered and/or dead entries.
    Purge {
        /// Delivered entries.
        delivered: bool,
        /// Dead entries.
        dead: bool,
    },
}

/// Runs `op` on the outbox; the answer as JSON.
pub async fn apply(outbox: &Outbox, op: Op) -> Result<Json, OutboxError> {
    Ok(match op {
        Op::List { state, limit } => {
            let entries = outbox.list(state, limit).await?;
            json!({"state": state, "entries": entries})
        }
        Op::Show { id } => match outbox.get(id).await? {
            Some((state, entry)) => json!({"state": state, "entry": entry}),
            None => return Err(OutboxError::Refused(format!("no outbox entry {id}"))),
        },
        Op::Retry { ids } => json!({"moved": outbox.retry(ids).await?}),
        Op::Purge { delivered, dead } => {
            let mut removed = 0;
            if delivered {
                removed += outbox.purge(EntryState::Delivered).await?;
            }
            if dead {
                removed += outbox.purge(EntryState::Dead).await?;
            }
            json!({"removed": removed})
        }
    })
}

async fn handle(op: Op, outbox: Outbox) -> Result<warp::reply::Response, Infallible> {
    let (status, body) = match apply(&outbox, op).await {
        Ok(body) => (StatusCode::OK, body),
        Err(OutboxError::Refused(reason)) => (StatusCode::BAD_REQUEST, json!({"reason": reason})),
        Err(e) => {
            tracing::error!(error = %e, "admin command failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                json!({"reason": e.to_string()}),
            )
        }
    };
    Ok(warp::reply::with_status(warp::reply::json(&body), status).into_response())
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
