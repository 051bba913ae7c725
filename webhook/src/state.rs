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

#[derive(Debug)]
struct Inner {
    settings: Settings,
    catalog: Arc<Catalog>,
    /// Cluster discovery's health, with `--from-cluster`.
    discovery: Option<Arc<discovery::Status>>,
    dispatcher: Arc<dyn Dispatcher>,
    outbox: Option<Outbox>,
    /// `--dedup-key`, compiled.
    dedup_key: Option<feel::Expression>,
    /// The parts of the request context the deduplication key may read
    /// (worked out once; it runs only with an outbox).
    dedup_parts: ContextParts,
    metrics: Metrics,
}

impl AppState {
    /// The state of a service: its settings, the webhooks it serves (the
    /// catalog, changed whole on reload and discovery), where commands go,
    /// the outbox (when the settings ask for one) and the compiled
    /// `--dedup-key`, and cluster discovery's health with `--from-cluster`.
    pub fn new(
        settings: Settings,
        catalog: Arc<Catalog>,
        dispatcher: Arc<dyn Dispatcher>,
        outbox: Option<Outbox>,
        dedup_key: Option<feel::Expression>,
        discovery: Option<Arc<discovery::Status>>,
    ) -> AppState {
        let dedup_parts = match &dedup_key {
            Some(dedup) if outbox.is_some() => ContextParts::read_by(dedup, &[]),
            _ => ContextParts::BODY,
        };
        AppState {
            inner: Arc::new(Inner {
                settings,
                catalog,
                discovery,
                dispatcher,
                outbox,
                dedup_key,
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
        AppState::new(
            settings,
            Arc::new(Catalog::new(&registry)),
            dispatcher,
            None,
            None,
            None,
        )
    }

    /// The settings.
    pub fn settings(&self) -> &Settings {
        &self.inner.settings
    }

    /// The current registry (a snapshot: reloads don't affect a running request).
    pub fn registry(&self) -> Arc<Registry> {
        self.inner.catalog.registry()
    }

    /// Where the webhooks come from, and which are not served.
    pub fn catalog(&self) -> &Catalog {
        &self.inner.catalog
    }

    /// Cluster discovery's health, with `--from-cluster`.
    pub fn discovery(&self) -> Option<&discovery::Status> {
        self.inner.discovery.as_deref()
    }

    /// The webhook with this id.
    pub fn webhook(&self, id: &str) -> Option<Arc<WebhookDefinition>> {
        self.registry().get(id).cloned()
    }

    /// Where commands go.
    pub fn dispatcher(&self) -> &dyn Dispatcher {
        &*self.inner.dispatcher
    }

    /// The durable outbox, unless the service runs without one.
    pub fn outbox(&self) -> Option<&Outbox> {
        self.inner.outbox.as_ref()
    }

    /// The compiled `--dedup-key`, if one was given.
    pub fn dedup_key(&self) -> Option<&feel::Expression> {
        self.inner.dedup_key.as_ref()
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
