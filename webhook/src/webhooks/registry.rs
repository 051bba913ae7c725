//! The webhooks being served, by id.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::Serialize;

use super::{DefinitionError, DefinitionErrors, Source, WebhookDefinition};

/// A webhook that is not served, and why (`/health` lists them).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Skipped {
    /// Its id, when the element got as far as naming one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub webhook: Option<String>,
    /// Where it is defined (file or deployed definition, element).
    pub origin: String,
    /// What is wrong.
    pub reason: String,
}

/// The webhooks being served, by id.
#[derive(Debug, Clone, Default)]
pub struct Registry {
    by_id: BTreeMap<String, Arc<WebhookDefinition>>,
}

impl Registry {
    /// Builds a registry; two definitions claiming one id is an error naming both.
    pub fn build<I>(definitions: I) -> Result<Registry, DefinitionErrors>
    where
        I: IntoIterator<Item = Arc<WebhookDefinition>>,
    {
        let mut by_id: BTreeMap<String, Arc<WebhookDefinition>> = BTreeMap::new();
        let mut errors = Vec::new();
        for def in definitions {
            if let Some(first) = by_id.get(&def.id) {
                errors.push(DefinitionError::property(
                    &def.origin,
                    "inbound.context",
                    format!(
                        "webhook id `{}` is already used by {} (process `{}`)",
                        def.id, first.origin, first.process_id
                    ),
                ));
                continue;
            }
            by_id.insert(def.id.clone(), def);
        }
        if errors.is_empty() {
            Ok(Registry { by_id })
        } else {
            Err(DefinitionErrors(errors))
        }
    }

    /// The registry of file webhooks (unique among themselves: the loader
    /// checked) and deployed ones. The versions of one process (and tenant)
    /// that define the same id are one webhook, served by the newest version.
    /// Any other claim on a taken id is skipped with the reason: file
    /// webhooks come first, and an id keeps the definition that served it in
    /// `previous`, so a deployment elsewhere never takes a serving webhook
    /// away.
    pub fn merge(
        previous: &Registry,
        files: &[Arc<WebhookDefinition>],
        deployed: &[Arc<WebhookDefinition>],
    ) -> (Registry, Vec<Skipped>) {
        let mut by_id: BTreeMap<String, Arc<WebhookDefinition>> = BTreeMap::new();
        let mut skipped = Vec::new();
        let mut claim =
            |def: &Arc<WebhookDefinition>, by_id: &mut BTreeMap<String, Arc<WebhookDefinition>>| {
                match by_id.get(&def.id) {
                    Some(owner) => skipped.push(Skipped {
                        webhook: Some(def.id.clone()),
                        origin: def.origin.to_string(),
                        reason: format!(
                            "webhook id `{}` is already used by {} (process `{}`)",
                            def.id, owner.origin, owner.process_id
                        ),
                    }),
                    None => {
                        by_id.insert(def.id.clone(), Arc::clone(def));
                    }
                }
            };
        for def in files {
            claim(def, &mut by_id);
        }
        // One candidate per id, process and tenant: the newest version.
        let mut newest: BTreeMap<(&str, &str, &str), &Arc<WebhookDefinition>> = BTreeMap::new();
        for def in deployed {
            let key = (def.id.as_str(), def.process_id.as_str(), tenant(def));
            match newest.get(&key) {
                Some(kept) if version(kept) >= version(def) => {}
                _ => {
                    newest.insert(key, def);
                }
            }
        }
        let mut candidates: Vec<&Arc<WebhookDefinition>> = newest.into_values().collect();
        // The definition that served an id before claims it first; then
        // in a stable order (process id, tenant).
        candidates.sort_by_key(|def| {
            let served = previous.get(&def.id).is_some_and(|owner| {
                owner.process_id == def.process_id && tenant(owner) == tenant(def)
            });
            (!served, def.process_id.clone(), tenant(def).to_owned())
        });
        for def in candidates {
            claim(def, &mut by_id);
        }
        (Registry { by_id }, skipped)
    }

    /// The webhook with this id.
    pub fn get(&self, id: &str) -> Option<&Arc<WebhookDefinition>> {
        self.by_id.get(id)
    }

    /// The ids, sorted.
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.by_id.keys().map(String::as_str)
    }

    /// All definitions, sorted by id.
    pub fn definitions(&self) -> impl Iterator<Item = &Arc<WebhookDefinition>> {
        self.by_id.values()
    }

    /// How many webhooks there are.
    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }
}

fn tenant(def: &WebhookDefinition) -> &str {
    def.tenant_id.as_deref().unwrap_or_default()
}

fn version(def: &WebhookDefinition) -> i32 {
    match &def.origin.source {
        Source::Deployed(deployment) => deployment.version,
        Source::File(_) => -1,
    }
}
