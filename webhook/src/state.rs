//! The state every handler shares: cheap to clone, `Arc`s inside.

use std::sync::{Arc, RwLock};
use std::time::Duration;

use crate::config::watch::SharedRegistry;
use crate::config::{Registry, WebhookDefinition};
use crate::metrics::Metrics;
use crate::outbox::Outbox;
use crate::request_context::Parts;
use crate::zeebe::Dispatcher;

/// The default request body limit (1 MiB).
pub const DEFAULT_BODY_LIMIT: usize = 1024 * 1024;

/// Camunda's limit on the variables of one command (1.5 MB).
pub const MAX_VARIABLES_BYTES: usize = 3 * 1024 * 1024 / 2;

/// When an accepted event is sent to Zeebe (with an [`Outbox`] configured).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DispatchMode {
    /// Commit the event to the outbox and answer; the worker delivers it.
    #[default]
    Outbox,
    /// Camunda's behaviour: send inline and answer with Zeebe's result, but
    /// queue the event in the outbox (and answer 2xx) when Zeebe is
    /// unreachable or pushing back, or when an earlier event for the same
    /// correlation key is still queued.
    Sync,
}

/// How requests are handled.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The public base URL Twilio calls (`https://hooks.example.com`), used to
    /// rebuild the signed URL; the request path and query are appended.
    pub public_url: Option<String>,
    /// Rebuild the public URL from `Forwarded` / `X-Forwarded-*` headers.
    pub trust_forwarded_headers: bool,
    /// Answer successes with Camunda's empty 200 instead of `<Response/>`.
    pub camunda_compatible_responses: bool,
    /// The largest accepted body, in bytes.
    pub body_limit: usize,
    /// How long a dispatch may take before the caller gets 504.
    pub dispatch_timeout: Duration,
    /// Header, timeout and concurrency limits.
    pub limits: crate::limits::Limits,
    /// Threads serving connections, each with its own single-threaded
    /// runtime ([`crate::workers`]); `0`: one per CPU core.
    pub workers: usize,
    /// The durable outbox; `None` sends every command inline, unqueued and
    /// without deduplication (embedding and tests).
    pub outbox: Option<Outbox>,
    /// How accepted events reach Zeebe when there is an outbox.
    pub dispatch_mode: DispatchMode,
    /// The deduplication key beside the `I-Twilio-Idempotency-Token` header
    /// (with an outbox); `None`: `request.body.MessageSid` when present.
    pub dedup_expression: Option<Arc<feel::Expression>>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            public_url: None,
            trust_forwarded_headers: false,
            camunda_compatible_responses: false,
            body_limit: DEFAULT_BODY_LIMIT,
            dispatch_timeout: Duration::from_secs(10),
            limits: crate::limits::Limits::default(),
            workers: 0,
            outbox: None,
            dispatch_mode: DispatchMode::default(),
            dedup_expression: None,
        }
    }
}

/// Shared by every request.
#[derive(Clone, Debug)]
pub struct AppState {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    registry: SharedRegistry,
    dispatcher: Arc<dyn Dispatcher>,
    settings: Settings,
    metrics: Metrics,
    /// The parts of the request context the deduplication expression may
    /// read (worked out once; it runs only with an outbox).
    dedup_parts: Parts,
}

impl AppState {
    /// Builds the state.
    pub fn new(
        registry: SharedRegistry,
        dispatcher: Arc<dyn Dispatcher>,
        settings: Settings,
    ) -> AppState {
        let dedup_parts = match &settings.dedup_expression {
            Some(dedup) if settings.outbox.is_some() => Parts::read_by(dedup, &[]),
            _ => Parts::BODY,
        };
        AppState {
            inner: Arc::new(Inner {
                registry,
                dispatcher,
                settings,
                metrics: Metrics::default(),
                dedup_parts,
            }),
        }
    }

    /// A state over a fixed registry (tests, embedding).
    pub fn fixed(
        registry: Registry,
        dispatcher: Arc<dyn Dispatcher>,
        settings: Settings,
    ) -> AppState {
        AppState::new(
            Arc::new(RwLock::new(Arc::new(registry))),
            dispatcher,
            settings,
        )
    }

    /// The current registry (a snapshot: reloads don't affect a running request).
    pub fn registry(&self) -> Arc<Registry> {
        match self.inner.registry.read() {
            Ok(guard) => Arc::clone(&guard),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    /// The webhook with this id.
    pub fn webhook(&self, id: &str) -> Option<Arc<WebhookDefinition>> {
        self.registry().get(id).cloned()
    }

    /// The dispatcher.
    pub fn dispatcher(&self) -> &dyn Dispatcher {
        &*self.inner.dispatcher
    }

    /// The settings.
    pub fn settings(&self) -> &Settings {
        &self.inner.settings
    }

    /// The metrics.
    pub fn metrics(&self) -> &Metrics {
        &self.inner.metrics
    }

    /// The parts of the request context the deduplication key may read.
    pub fn dedup_parts(&self) -> Parts {
        self.inner.dedup_parts
    }
}
