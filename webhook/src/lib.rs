//! The webhook service: Twilio-verified `/inbound/<id>` → FEEL → Zeebe.
//!
//! [`run`] serves the routes of [`routes::routes`] on a bound listener until
//! SIGINT/SIGTERM, finishing in-flight requests; tests start the app the same
//! way on `127.0.0.1:0` with [`run_until`].

pub mod config;
pub mod dispatch;
pub mod error;
pub mod form;
pub mod handlers;
pub mod limits;
pub mod metrics;
pub mod outbox;
pub mod public_url;
pub mod request_context;
pub mod response;
pub mod routes;
pub mod state;
mod sync;
pub mod twilio;
pub mod verification;
pub mod workers;
pub mod zeebe;

use std::future::Future;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use config::secrets::SecretSource;
use config::watch::{self, Loader};
use config::{ConfigErrors, Registry};
use state::{AppState, Settings};
use zeebe::Dispatcher;

/// Fuel for one FEEL evaluation: generous for real expressions, bounded for
/// hostile ones.
pub const FEEL_FUEL: u64 = 100_000;
/// Nesting depth for FEEL parsing and evaluation.
pub const FEEL_MAX_DEPTH: usize = 64;

/// Why [`run`] could not serve.
#[derive(Debug)]
pub enum RunError {
    /// The webhooks could not be loaded (every problem, with where it is).
    Config(ConfigErrors),
    /// The connection worker threads could not be started.
    Workers(std::io::Error),
}

impl std::fmt::Display for RunError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RunError::Config(e) => write!(f, "the webhooks could not be loaded:\n{e}"),
            RunError::Workers(e) => write!(f, "cannot start the connection worker threads: {e}"),
        }
    }
}

impl std::error::Error for RunError {}

/// Everything [`run`] needs.
#[derive(Clone)]
pub struct Config {
    /// BPMN files or directories (`--bpmn`, repeatable).
    pub bpmn: Vec<PathBuf>,
    /// A TOML webhook file (`--config`).
    pub webhook_file: Option<PathBuf>,
    /// Request handling.
    pub settings: Settings,
    /// How often directories are checked for changes; `None` disables reloads.
    pub reload_interval: Option<Duration>,
    /// Where accepted commands go.
    pub dispatcher: Arc<dyn Dispatcher>,
    /// Where `{{secrets.NAME}}` values come from.
    pub secrets: Arc<dyn SecretSource>,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("bpmn", &self.bpmn)
            .field("webhook_file", &self.webhook_file)
            .field("settings", &self.settings)
            .field("reload_interval", &self.reload_interval)
            .field("dispatcher", &self.dispatcher)
            .finish_non_exhaustive()
    }
}

/// The FEEL engine every expression is compiled with (limits always set).
pub fn engine() -> feel::Engine {
    feel::Engine::builder()
        .fuel(FEEL_FUEL)
        .max_depth(FEEL_MAX_DEPTH)
        .build()
}

/// Loads every source once; any error stops start-up.
pub fn load(config: &Config) -> Result<(Registry, Loader), ConfigErrors> {
    let mut roots = config.bpmn.clone();
    roots.extend(config.webhook_file.clone());
    let mut loader = Loader::new(roots, engine(), Arc::clone(&config.secrets));
    let registry = loader.load()?;
    Ok((registry, loader))
}

/// Serves until SIGINT or SIGTERM, then finishes in-flight requests.
pub async fn run(config: Config, listener: tokio::net::TcpListener) -> Result<(), RunError> {
    run_until(config, listener, shutdown_signal()).await
}

/// Serves until `shutdown` completes, then finishes in-flight requests.
pub async fn run_until(
    config: Config,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), RunError> {
    let (registry, loader) = load(&config).map_err(RunError::Config)?;
    let ids: Vec<&str> = registry.ids().collect();
    tracing::info!(webhooks = ?ids, "webhooks loaded");
    if config.settings.public_url.is_none()
        && !config.settings.trust_forwarded_headers
        && registry.definitions().any(|d| d.verification.is_some())
    {
        tracing::warn!("signatures are checked against the Host header; set --public-url to the URL configured in Twilio");
    }
    let shared = Arc::new(RwLock::new(Arc::new(registry)));
    let reloader = config
        .reload_interval
        .map(|interval| watch::spawn(loader, Arc::clone(&shared), interval));
    let state = AppState::new(
        shared,
        Arc::clone(&config.dispatcher),
        config.settings.clone(),
    );
    if let Ok(addr) = listener.local_addr() {
        tracing::info!(%addr, "listening");
    }
    let workers = workers::Workers::start(config.settings.workers).map_err(RunError::Workers)?;
    tracing::debug!(workers = workers.len(), "connection workers started");
    serve(
        routes::routes(state),
        &config.settings.limits,
        &workers,
        listener,
        shutdown,
    )
    .await;
    workers.stop().await;
    if let Some(reloader) = reloader {
        reloader.abort();
    }
    tracing::info!("stopped");
    Ok(())
}

/// Accepts connections until `shutdown`, then waits for open ones to finish.
///
/// This is warp's own loop, with the HTTP/1 connection settings of
/// [`limits::http1`] (header count and size, header read timeout), which
/// `warp::serve` does not expose. HTTP/1 only: Twilio does not speak HTTP/2.
async fn serve<F>(
    filter: F,
    limits: &limits::Limits,
    workers: &workers::Workers,
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
        let filter = filter.clone();
        let http1 = http1.clone();
        let watcher = graceful.watcher();
        workers.serve(stream, move |stream| async move {
            let service = hyper_util::service::TowerToHyperService::new(warp::service(filter));
            let connection = http1.serve_connection(hyper_util::rt::TokioIo::new(stream), service);
            if let Err(e) = watcher.watch(connection).await {
                tracing::debug!(%remote, error = %e, "connection ended with an error");
            }
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
