//! warp filters only: paths, methods, extractors, state, and the one
//! rejection handler for everything no route matched.

use std::convert::Infallible;

use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use warp::filters::path::FullPath;
use warp::http::{HeaderMap, Method};
use warp::reply::Response;
use warp::{Buf, Filter, Rejection};

use super::connections::Connections;
use super::handlers::{self, Inbound};
use super::limits::{self, BodyError, InFlight};
use crate::error::AppError;
use crate::state::AppState;

fn with_state(state: AppState) -> impl Filter<Extract = (AppState,), Error = Infallible> + Clone {
    warp::any().map(move || state.clone())
}

/// The raw query string, or `None` when the URL has none.
fn raw_query() -> impl Filter<Extract = (Option<String>,), Error = Infallible> + Clone {
    warp::query::raw()
        .map(Some)
        .or(warp::any().map(|| None))
        .unify()
}

/// The request body as a stream of chunks, cut off at the body read timeout.
pub type BodyStream = Pin<Box<dyn Stream<Item = Result<Bytes, BodyError<warp::Error>>> + Send>>;

fn to_bytes_stream<S, B>(stream: S, limit: Duration) -> BodyStream
where
    S: Stream<Item = Result<B, warp::Error>> + Send + 'static,
    B: Buf,
{
    let bytes = stream.map(|chunk| chunk.map(|mut buf| buf.copy_to_bytes(buf.remaining())));
    Box::pin(limits::with_deadline(Box::pin(bytes), limit))
}

/// All routes: `/inbound/<id>`, `GET /health`, `GET /metrics`
/// (`connections`: the server's, for the metrics; `None` in process).
pub fn routes(
    state: AppState,
    connections: Option<Arc<Connections>>,
) -> impl Filter<Extract = (Response,), Error = Infallible> + Clone {
    let body_timeout = state.settings().limits.body_read_timeout;
    let limits = &state.settings().limits;
    let in_flight = Arc::new(InFlight::new(limits.max_in_flight, limits.in_flight_wait));
    let inbound = warp::path!("inbound" / String)
        .and(warp::method())
        .and(warp::path::full())
        .and(raw_query())
        .and(warp::header::headers_cloned())
        .and(warp::body::stream().map(move |s| to_bytes_stream(s, body_timeout)))
        .and(with_state(state.clone()))
        .and_then(
            move |id: String,
                  method: Method,
                  path: FullPath,
                  query: Option<String>,
                  headers: HeaderMap,
                  body: BodyStream,
                  state: AppState| {
                let webhook = state.webhook(&id);
                let request = Inbound {
                    id,
                    webhook,
                    method,
                    path: path.as_str().to_owned(),
                    query,
                    headers,
                    body,
                    in_flight: Arc::clone(&in_flight),
                };
                // Boxed: the pipeline's state machine is a few KB, and warp
                // and hyper would otherwise move it by value.
                Box::pin(handlers::inbound(request, state))
            },
        );
    let health = warp::path!("health")
        .and(warp::get())
        .and(with_state(state.clone()))
        .and_then(handlers::health);
    let metrics = warp::path!("metrics")
        .and(warp::get())
        .and(with_state(state))
        .and(warp::any().map(move || connections.clone()))
        .and_then(handlers::metrics);
    inbound
        .or(health)
        .unify()
        .or(metrics)
        .unify()
        .recover(handle_rejection)
        .unify()
}

/// Requests no route matched: 404, or 405 for a known path with the wrong
/// method.
async fn handle_rejection(rejection: Rejection) -> Result<Response, Infallible> {
    let error = if rejection.is_not_found() {
        AppError::NoRoute
    } else if rejection.find::<warp::reject::MethodNotAllowed>().is_some() {
        AppError::MethodNotAllowed(None)
    } else {
        tracing::error!(?rejection, "unhandled rejection");
        AppError::Internal(format!("{rejection:?}"))
    };
    Ok(error.into_response())
}
