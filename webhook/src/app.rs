//! Start-up and shutdown, in one place the binary and the tests both use:
//! [`Service::start`] loads the webhooks, opens the outbox, builds the
//! dispatcher, binds the listeners and starts the connection workers, the
//! delivery worker, the reloader and the admin endpoint; [`Running::stop`]
//! (or [`Service::run`] on a signal) stops accepting, finishes in-flight
//! requests and stops the rest. Whatever is pending stays in the outbox for
//! the next start.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::admin;
use crate::http::connections::{cap_for, fd_limits, Connections};
use crate::http::server;
use crate::http::workers::Workers;
use crate::outbox::{worker, Outbox, OutboxError};
use crate::settings::Settings;
use crate::state::{self, AppState};
use crate::webhooks::catalog::Catalog;
use crate::webhooks::discovery::{self, Discovery};
use crate::webhooks::secrets::{EnvSecrets, SecretSource};
use crate::webhooks::watch::{self, Loader};
use crate::webhooks::{DefinitionErrors, Registry};
use crate::zeebe::{Dispatcher, SettingsError, ZeebeSettings};

/// Why the service could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The webhooks could not be loaded (every problem, with where it is).
    #[error("the webhooks could not be loaded:\n{0}")]
    Definitions(DefinitionErrors),
    /// `--dedup-key` is not a valid FEEL expression.
    #[error("--dedup-key: {0}")]
    DedupKey(feel::ParseError),
    /// The Zeebe settings (flags and environment) are wrong.
    #[error("{0}")]
    Zeebe(SettingsError),
    /// `--from-cluster` without the cluster's REST API address.
    #[error("--from-cluster needs the cluster's REST API address: --zeebe-rest-address, or CAMUNDA_CLIENT_RESTADDRESS / ZEEBE_REST_ADDRESS (SaaS: CAMUNDA_CLIENT_CLOUD_CLUSTERID and CAMUNDA_CLIENT_CLOUD_REGION)")]
    NoRestAddress,
    /// The outbox could not be opened.
    #[error("{0}")]
    Outbox(OutboxError),
    /// A listener could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// The admin endpoint was asked for on an address others can reach.
    #[error(
        "--admin-listen {0}: the admin endpoint has no authentication; use a loopback address"
    )]
    AdminNotLoopback(SocketAddr),
    /// The connection worker threads could not be started.
    #[error("cannot start the connection worker threads: {0}")]
    Workers(std::io::Error),
}

/// The service, configured: its settings, plus where secrets come from and
/// where commands go when the caller wants to decide (tests, embedding).
pub struct Service {
    settings: Settings,
    secrets: Arc<dyn SecretSource>,
    dispatcher: Option<Arc<dyn Dispatcher>>,
    zeebe: Option<ZeebeSettings>,
}

impl std::fmt::Debug for Service {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Service")
            .field("settings", &self.settings)
            .field("dispatcher", &self.dispatcher)
            .finish_non_exhaustive()
    }
}

impl Service {
    /// A service reading secrets from the environment and sending commands
    /// where the settings and the usual Camunda environment variables say
    /// (the embedded journal when no Zeebe is configured).
    pub fn new(settings: Settings) -> Service {
        let secrets = Arc::new(EnvSecrets::new(settings.sources.secret_prefix.clone()));
        Service {
            settings,
            secrets,
            dispatcher: None,
            zeebe: None,
        }
    }

    /// Reads `{{secrets.NAME}}` from `secrets` instead of the environment.
    pub fn with_secrets(mut self, secrets: Arc<dyn SecretSource>) -> Service {
        self.secrets = secrets;
        self
    }

    /// Reaches the cluster with these settings instead of the ones the
    /// flags and the process environment give.
    pub fn with_zeebe(mut self, zeebe: ZeebeSettings) -> Service {
        self.zeebe = Some(zeebe);
        self
    }

    /// Sends commands to `dispatcher` instead of the one the settings
    /// describe.
    pub fn with_dispatcher(mut self, dispatcher: Arc<dyn Dispatcher>) -> Service {
        self.dispatcher = Some(dispatcher);
        self
    }

    /// Loads the webhooks once, as start-up does (and `webhook check`): any
    /// error in any file is returned, with where it is.
    pub fn load(&self) -> Result<(Registry, Loader), DefinitionErrors> {
        let engine = self.settings.feel.engine();
        let mut loader = Loader::new(
            self.settings.sources.roots(),
            engine,
            Arc::clone(&self.secrets),
        )
        .with_tenant(self.settings.sources.tenant_id.clone());
        let registry = loader.load()?;
        Ok((registry, loader))
    }

    /// Starts everything and serves until [`Running::stop`].
    pub async fn start(self) -> Result<Running, StartError> {
        let settings = &self.settings;
        let sources = &settings.sources;
        if sources.bpmn.is_empty() && sources.toml.is_none() && !sources.from_cluster {
            tracing::warn!(
                "no --bpmn, --config or --from-cluster given: no webhooks will be served"
            );
        }
        let (registry, loader) = self.load().map_err(StartError::Definitions)?;
        let ids: Vec<&str> = registry.ids().collect();
        tracing::info!(webhooks = ?ids, "webhooks loaded");
        if settings.requests.public_url.is_none()
            && !settings.requests.trust_forwarded_headers
            && registry.definitions().any(|d| d.verification.is_some())
        {
            tracing::warn!("signatures are checked against the Host header; set --public-url to the URL configured in Twilio");
        }
        let dedup_key = match &settings.delivery.dedup_key {
            Some(source) => Some(
                settings
                    .feel
                    .engine()
                    .compile_expression(source)
                    .map_err(StartError::DedupKey)?,
            ),
            None => None,
        };
        // Transports may spawn tasks, so they are built inside the runtime.
        let (dispatcher, cluster) = match (&self.dispatcher, sources.from_cluster) {
            (Some(dispatcher), false) if self.zeebe.is_none() => (Arc::clone(dispatcher), None),
            (given, _) => {
                let zeebe = match &self.zeebe {
                    Some(zeebe) => zeebe.clone(),
                    None => ZeebeSettings::from_process_env(&settings.delivery.zeebe)
                        .map_err(StartError::Zeebe)?,
                };
                // Refused before anything is opened (the journal file included).
                if sources.from_cluster && zeebe.rest_api_address().is_none() {
                    return Err(StartError::NoRestAddress);
                }
                let connection = zeebe
                    .connect(&settings.delivery.journal)
                    .map_err(StartError::Zeebe)?;
                let dispatcher = given.clone().unwrap_or(connection.dispatcher);
                (dispatcher, connection.cluster)
            }
        };
        let discovery = match (sources.from_cluster, cluster) {
            (false, _) => None,
            (true, None) => return Err(StartError::NoRestAddress),
            (true, Some(client)) => {
                tracing::info!(cluster = client.base_url(), interval = ?sources.discovery_interval, "reading webhooks from the cluster's deployed definitions");
                Some(Discovery::new(
                    client,
                    settings.feel.engine(),
                    Arc::clone(&self.secrets),
                ))
            }
        };
        let outbox = match &settings.delivery.outbox_path {
            Some(path) => {
                let outbox = Outbox::open(path, settings.delivery.outbox.clone())
                    .map_err(StartError::Outbox)?;
                tracing::info!(outbox = %path.display(), "outbox open");
                Some(outbox)
            }
            None => {
                tracing::warn!("running without the outbox: events Zeebe can't take are answered with an error and not kept");
                None
            }
        };
        let admin_listener = match settings.admin_listen {
            None => None,
            Some(addr) if !addr.ip().is_loopback() => {
                return Err(StartError::AdminNotLoopback(addr))
            }
            Some(addr) => Some(bind(addr).await?),
        };
        let listener = bind(settings.listen).await?;
        let addr = local_addr(&listener, settings.listen);
        let admin_addr = admin_listener
            .as_ref()
            .zip(settings.admin_listen)
            .map(|(l, asked)| local_addr(l, asked));
        let max_connections = match settings.limits.max_connections {
            0 => fd_limits().map_or(0, |(soft, _)| cap_for(soft)),
            n => n,
        };
        tracing::info!(max_connections, "connection cap");
        let connections = Connections::new(max_connections);
        let workers = Workers::start(settings.workers).map_err(StartError::Workers)?;
        tracing::debug!(workers = workers.len(), "connection workers started");

        let catalog = Arc::new(Catalog::new(&registry));
        let mut background = Vec::new();
        if let Some(interval) = sources.reload_interval {
            background.push(watch::spawn(loader, Arc::clone(&catalog), interval));
        }
        let discovery_status = discovery.map(|discovery| {
            let status = Arc::new(discovery::Status::default());
            background.push(discovery::spawn(
                discovery,
                Arc::clone(&catalog),
                Arc::clone(&status),
                sources.discovery_interval,
            ));
            status
        });
        let delivery = outbox
            .as_ref()
            .map(|outbox| worker::spawn(outbox.clone(), Arc::clone(&dispatcher)));
        // Requests are captured for the inspector only when the admin
        // endpoint can show them.
        let mut state_settings = self.settings.clone();
        if admin_listener.is_none() {
            state_settings.inspect_capacity = 0;
        }
        let state = AppState::new(state::Parts {
            settings: state_settings,
            catalog,
            dispatcher,
            outbox,
            dedup_key,
            discovery: discovery_status,
        });
        if let Some(listener) = admin_listener {
            let state = state.clone();
            let token = settings.admin_token.clone();
            if let Some(addr) = admin_addr {
                tracing::info!(url = %format!("http://{addr}/inspect"), "request inspector");
            }
            background.push(tokio::spawn(async move {
                if let Err(e) =
                    admin::server::serve(state, token, listener, std::future::pending()).await
                {
                    tracing::error!(error = %e, "the admin endpoint stopped");
                }
            }));
        }
        tracing::info!(%addr, "listening");
        let (stop, stopped) = oneshot::channel::<()>();
        let routes = crate::http::routes(state.clone(), Some(Arc::clone(&connections)));
        let limits = self.settings.limits.clone();
        let server = tokio::spawn(async move {
            let shutdown = async {
                // A dropped sender stops the server too.
                let _ = stopped.await;
            };
            server::serve(routes, &limits, &connections, &workers, listener, shutdown).await;
            workers.stop().await;
        });
        Ok(Running {
            addr,
            admin_addr,
            state,
            stop: Some(stop),
            server,
            delivery,
            background,
        })
    }

    /// Starts, serves until `shutdown` completes (the binary passes
    /// [`server::shutdown_signal`]), then stops.
    pub async fn run(self, shutdown: impl Future<Output = ()>) -> Result<(), StartError> {
        let running = self.start().await?;
        shutdown.await;
        running.stop().await;
        Ok(())
    }
}

async fn bind(addr: SocketAddr) -> Result<TcpListener, StartError> {
    TcpListener::bind(addr)
        .await
        .map_err(|source| StartError::Bind { addr, source })
}

/// The address a listener got (port 0 becomes a real port).
fn local_addr(listener: &TcpListener, asked: SocketAddr) -> SocketAddr {
    listener.local_addr().unwrap_or(asked)
}

/// A started service.
#[derive(Debug)]
pub struct Running {
    addr: SocketAddr,
    admin_addr: Option<SocketAddr>,
    state: AppState,
    stop: Option<oneshot::Sender<()>>,
    server: JoinHandle<()>,
    /// The outbox's delivery worker.
    delivery: Option<worker::Delivery>,
    /// The reloader, cluster discovery and the admin endpoint.
    background: Vec<JoinHandle<()>>,
}

impl Running {
    /// The address the public listener is bound to.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The address the admin endpoint is bound to, if it runs.
    pub fn admin_addr(&self) -> Option<SocketAddr> {
        self.admin_addr
    }

    /// The state the requests share (webhooks, outbox, metrics).
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Stops accepting connections, waits for in-flight requests to finish,
    /// then stops the workers, the delivery worker, the reloader, cluster
    /// discovery and the admin endpoint. Once it returns, nothing of the
    /// service holds the outbox: it can be opened again at once.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Err(e) = (&mut self.server).await {
            tracing::error!(error = %e, "the server task failed");
        }
        if let Some(delivery) = self.delivery.take() {
            delivery.stop().await;
        }
        for task in std::mem::take(&mut self.background) {
            task.abort();
            // Returns once the task is dropped, with what it held.
            let _ = task.await;
        }
        tracing::info!("stopped");
    }
}

impl Drop for Running {
    /// Dropped without [`Running::stop`] (a failing test, an embedder's
    /// early return): the server stops accepting with its sender gone, and
    /// the delivery worker and the background tasks stop here, without
    /// being waited for.
    fn drop(&mut self) {
        for task in &self.background {
            task.abort();
        }
    }
}
