//! The webhooks being served right now: those of the files (reloaded when
//! they change) and, with `--from-cluster`, those of the deployed process
//! definitions, merged into one [`Registry`] that every request reads a
//! snapshot of (see [`Registry::merge`] for who wins an id).

use std::sync::{Arc, Mutex, RwLock};

use super::{Registry, Skipped, WebhookDefinition};
use crate::sync::lock;

/// The current registry and the sources it is merged from.
#[derive(Debug)]
pub struct Catalog {
    current: RwLock<Arc<Registry>>,
    parts: Mutex<Parts>,
}

#[derive(Debug, Default)]
struct Parts {
    files: Vec<Arc<WebhookDefinition>>,
    deployed: Vec<Arc<WebhookDefinition>>,
    /// Deployed webhooks left out by discovery (invalid, missing secret).
    deployed_skipped: Vec<Skipped>,
    /// Everything not served, as `/health` lists it.
    skipped: Arc<Vec<Skipped>>,
}

impl Catalog {
    /// A catalog serving the webhooks of `files` (already checked for
    /// duplicate ids).
    pub fn new(files: &Registry) -> Catalog {
        let catalog = Catalog {
            current: RwLock::new(Arc::new(files.clone())),
            parts: Mutex::new(Parts::default()),
        };
        catalog.set_files(files);
        catalog
    }

    /// The current registry (a snapshot: a reload does not change a running
    /// request's webhook).
    pub fn registry(&self) -> Arc<Registry> {
        match self.current.read() {
            Ok(guard) => Arc::clone(&guard),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    /// The webhooks not served, with the reason.
    pub fn skipped(&self) -> Arc<Vec<Skipped>> {
        Arc::clone(&lock(&self.parts).skipped)
    }

    /// The file sources changed (a valid new set).
    pub fn set_files(&self, files: &Registry) {
        let mut parts = lock(&self.parts);
        parts.files = files.definitions().cloned().collect();
        self.publish(&mut parts);
    }

    /// A discovery poll found these deployed webhooks, and skipped those.
    pub fn set_deployed(&self, deployed: Vec<Arc<WebhookDefinition>>, skipped: Vec<Skipped>) {
        let mut parts = lock(&self.parts);
        parts.deployed = deployed;
        parts.deployed_skipped = skipped;
        self.publish(&mut parts);
    }

    fn publish(&self, parts: &mut Parts) {
        let previous = self.registry();
        let (registry, conflicts) = Registry::merge(&previous, &parts.files, &parts.deployed);
        for conflict in &conflicts {
            if !parts.skipped.contains(conflict) {
                tracing::error!(origin = %conflict.origin, reason = %conflict.reason, "webhook not served");
            }
        }
        let mut skipped = parts.deployed_skipped.clone();
        skipped.extend(conflicts);
        parts.skipped = Arc::new(skipped);
        let changed = previous.ids().ne(registry.ids())
            || previous
                .definitions()
                .zip(registry.definitions())
                .any(|(a, b)| !Arc::ptr_eq(a, b));
        if changed {
            let ids: Vec<&str> = registry.ids().collect();
            tracing::info!(webhooks = ?ids, "serving webhooks");
        }
        let registry = Arc::new(registry);
        match self.current.write() {
            Ok(mut guard) => *guard = registry,
            Err(poisoned) => *poisoned.into_inner() = registry,
        }
    }
}
