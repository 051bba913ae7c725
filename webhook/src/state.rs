//! [`AppState`]: what every request shares. Cheap to clone (one `Arc`).

use std::sync::{Arc, RwLock};

use crate::metrics::Metrics;
use crate::outbox::Outbox;
use crate::settings::Settings;
use crate::webhooks::watch::SharedRegistry;
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
    registry: SharedRegistry,
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
    /// The state of a service: its settings, the webhooks it serves (swapped
    /// whole on reload), where commands go, the outbox (when the settings
    /// ask for one) and the compiled `--dedup-key`.
    pub fn new(
        settings: Settings,
        registry: SharedRegistry,
        dispatcher: Arc<dyn Dispatcher>,
        outbox: Option<Outbox>,
        dedup_key: Option<feel::Expression>,
    ) -> AppState {
        let dedup_parts = match &dedup_key {
            Some(dedup) if outbox.is_some() => ContextParts::read_by(dedup, &[]),
            _ => ContextParts::BODY,
        };
        AppState {
            inner: Arc::new(Inner {
                settings,
                registry,
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
            Arc::new(RwLock::new(Arc::new(registry))),
            dispatcher,
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
        match self.inner.registry.read() {
            Ok(guard) => Arc::clone(&guard),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
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
