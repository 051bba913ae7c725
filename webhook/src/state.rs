//! [`AppState`]: what every request shares. Cheap to clone (one `Arc`).

use std::sync::Arc;

use crate::metrics::Metrics;
use crate::outbox::Outbox;
use crate::settings::Settings;
use crate::webhooks::catalog::Catalog;
use crate::webhooks::discovery;
use crate::webhooks::{ContextParts, Registry, WebhookDefinition};
use crate::zeebe::Dispatcher;

/// Shared by every request.
#[derive(Clone, Debug)]
pub struct AppState {
    inner: Arc<Inner>,
}

/// What a service's state is made of ([`AppState::new`]).
#[derive(Debug)]
pub struct Parts {
    /// The settings.
    pub settings: Settings,
    /// The webhooks served (changed whole on reload and discovery).
    pub catalog: Arc<Catalog>,
    /// Where commands go.
    pub dispatcher: Arc<dyn Dispatcher>,
    /// The durable outbox, when the settings ask for one.
    pub outbox: Option<Outbox>,
    /// `--dedup-key`, compiled.
    pub dedup_key: Option<feel::Expression>,
    /// Cluster discovery's health, with `--from-cluster`.
    pub discovery: Option<Arc<discovery::Status>>,
}

#[derive(Debug)]
struct Inner {
    parts: Parts,
    /// The parts of the request context the deduplication key may read
    /// (worked out once; it runs only with an outbox).
    dedup_parts: ContextParts,
    metrics: Metrics,
}

impl AppState {
    /// The state of a service.
    pub fn new(parts: Parts) -> AppState {
        let dedup_parts = match &parts.dedup_key {
            Some(dedup) if parts.outbox.is_some() => ContextParts::read_by(dedup, &[]),
            _ => ContextParts::BODY,
        };
        AppState {
            inner: Arc::new(Inner {
                parts,
                dedup_parts,
                metrics: Metrics::default(),
            }),
        }
    }

    /// A state over a fixed registry, without an outbox (tests, benches,
    /// embedding).
    pub fn fixed(
        registry: Registry,
        dispatcher: Arc<dyn Dispatcher>,
        settings: Settings,
    ) -> AppState {
        AppState::new(Parts {
            settings,
            catalog: Arc::new(Catalog::new(&registry)),
            dispatcher,
            outbox: None,
            dedup_key: None,
            discovery: None,
        })
    }

    /// The settings.
    pub fn settings(&self) -> &Settings {
        &self.inner.parts.settings
    }

    /// The current registry (a snapshot: reloads don't affect a running request).
    pub fn registry(&self) -> Arc<Registry> {
        self.inner.parts.catalog.registry()
    }

    /// Where the webhooks come from, and which are not served.
    pub fn catalog(&self) -> &Catalog {
        &self.inner.parts.catalog
    }

    /// Cluster discovery's health, with `--from-cluster`.
    pub fn discovery(&self) -> Option<&discovery::Status> {
        self.inner.parts.discovery.as_deref()
    }

    /// The webhook with this id.
    pub fn webhook(&self, id: &str) -> Option<Arc<WebhookDefinition>> {
        self.registry().get(id).cloned()
    }

    /// Where commands go.
    pub fn dispatcher(&self) -> &dyn Dispatcher {
        &*self.inner.parts.dispatcher
    }

    /// The durable outbox, unless the service runs without one.
    pub fn outbox(&self) -> Option<&Outbox> {
        self.inner.parts.outbox.as_ref()
    }

    /// The compiled `--dedup-key`, if one was given.
    pub fn dedup_key(&self) -> Option<&feel::Expression> {
        self.inner.parts.dedup_key.as_ref()
    }

    /// The parts of the request context the deduplication key may read.
    pub fn dedup_parts(&self) -> ContextParts {
        self.inner.dedup_parts
    }

    /// The metrics.
    pub fn metrics(&self) -> &Metrics {
        &self.inner.metrics
    }
}
