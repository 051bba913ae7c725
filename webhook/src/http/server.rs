//! Accepting connections and serving them on the worker threads, with the
//! HTTP/1 limits of [`super::limits::http1`] and the connection cap of
//! [`super::connections`], until shutdown.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use super::connections::{self, Connections};
use super::limits;
use super::workers::Workers;
use crate::settings::Limits;

/// Accepts connections until `shutdown`, then waits for open ones to finish.
///
/// This is warp's own loop, with the HTTP/1 connection settings of
/// [`limits::http1`] (header count and size, header read timeout), which
/// `warp::serve` does not expose. HTTP/1 only: Twilio does not speak HTTP/2.
pub async fn serve<F>(
    filter: F,
    limits: &Limits,
    connections: &Arc<Connections>,
    workers: &Workers,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) where
    F: warp::Filter<Extract = (warp::reply::Response,), Error = std::convert::Infallible>
        + Clone
        + Send
        + Sync
        + 'static,
    F::Future: Send,
{
    let http1 = limits::http1(limits);
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, remote) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(e) => {
                    // Out of file descriptors and the like: back off briefly.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let Some(admitted) = connections.admit().await else {
            // At the cap and every connection is processing a request.
            tracing::debug!(%remote, "connection refused: at the connection cap");
            continue;
        };
        let filter = filter.clone();
        let http1 = http1.clone();
        let watcher = graceful.watcher();
        workers.serve(stream, move |stream| async move {
            let conn = Arc::clone(admitted.conn());
            let service = hyper_util::service::TowerToHyperService::new(warp::service(filter));
            let connection = http1.serve_connection(hyper_util::rt::TokioIo::new(stream), service);
            let served = connections::serve_as(Arc::clone(&conn), watcher.watch(connection));
            tokio::select! {
                result = served => {
                    if let Err(e) = result {
                        tracing::debug!(%remote, error = %e, "connection ended with an error");
                    }
                }
                () = conn.shed() => tracing::debug!(%remote, "connection shed to make room for a new one"),
            }
            drop(admitted);
        });
    }
    drop(listener);
    graceful.shutdown().await;
}

/// Completes on SIGINT (Ctrl-C) or SIGTERM.
pub async fn shutdown_signal() {
    let interrupt = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
    tracing::info!("shutting down; finishing in-flight requests");
}
