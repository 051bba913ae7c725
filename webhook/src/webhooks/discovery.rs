//! Webhooks from what is deployed to the cluster (`--from-cluster`), found
//! the way Camunda's connectors runtime finds them: every poll reads the
//! latest active version of each process and the versions that still have
//! waiting message subscriptions, fetches the BPMN of definitions it has not
//! seen (a deployed definition never changes, so each is read and compiled
//! once), and reads it with the same BPMN reader as files.
//!
//! - Start events (plain and message) come from the latest version only;
//!   intermediate catch, boundary and receive-task webhooks of older versions
//!   stay while their subscriptions exist.
//! - A definition whose `state` is not `ACTIVE`, or that no longer appears,
//!   loses its webhooks.
//! - A webhook whose properties or FEEL are invalid, or that names a missing
//!   secret, is skipped and logged once, naming process id, version, element
//!   and property; the others keep serving.
//! - A start event creates its instance on the exact deployed version, in
//!   its definition's tenant; every dispatch carries that tenant.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::catalog::Catalog;
use super::secrets::SecretSource;
use super::{
    bpmn, compile, DefinitionError, Deployment, ElementKind, Skipped, Source, WebhookDefinition,
};
use crate::sync::lock;
use crate::zeebe::cluster::{ClusterClient, ClusterError, ProcessDefinition};

/// What one deployed definition yields, worked out once.
#[derive(Debug, Clone)]
struct Read {
    webhooks: Vec<Arc<WebhookDefinition>>,
    skipped: Vec<Skipped>,
}

/// What a poll found.
#[derive(Debug, Clone, Default)]
pub struct Found {
    /// The webhooks to serve.
    pub webhooks: Vec<Arc<WebhookDefinition>>,
    /// The webhooks left out, with why.
    pub skipped: Vec<Skipped>,
    /// How many deployed definitions are active (latest or subscribed).
    pub definitions: usize,
}

/// Reads webhooks from the cluster.
pub struct Discovery {
    client: ClusterClient,
    engine: feel::Engine,
    secrets: Arc<dyn SecretSource>,
    /// Per definition key, once read.
    read: HashMap<i64, Read>,
}

impl std::fmt::Debug for Discovery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Discovery")
            .field("cluster", &self.client.base_url())
            .field("definitions_read", &self.read.len())
            .finish_non_exhaustive()
    }
}

impl Discovery {
    /// Discovery through `client`, compiling with `engine` and resolving
    /// secrets from `secrets`.
    pub fn new(
        client: ClusterClient,
        engine: feel::Engine,
        secrets: Arc<dyn SecretSource>,
    ) -> Discovery {
        Discovery {
            client,
            engine,
            secrets,
            read: HashMap::new(),
        }
    }

    /// One poll: what the cluster has deployed now. Any failed call fails
    /// the whole poll (the caller keeps what it had), except a definition
    /// whose BPMN is not available yet (just deployed: the REST API is
    /// eventually consistent), which is left out until a later poll.
    pub async fn poll(&mut self) -> Result<Found, ClusterError> {
        let latest = self.client.latest_definitions().await?;
        let subscribed = self.client.subscribed_definitions().await?;
        let latest_keys: HashSet<i64> = latest.iter().map(|d| d.process_definition_key).collect();
        let older: Vec<i64> = subscribed
            .iter()
            .map(|s| s.process_definition_key)
            .filter(|key| !latest_keys.contains(key))
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        // Versions and states of the older ones (a definition deleted while
        // instances still wait is not ACTIVE: it serves nothing).
        let older = if older.is_empty() {
            Vec::new()
        } else {
            self.client.definitions(&older).await?
        };
        let active: Vec<&ProcessDefinition> = latest
            .iter()
            .chain(older.iter().filter(|d| d.is_active()))
            .collect();

        let mut found = Found {
            definitions: active.len(),
            ..Found::default()
        };
        let mut keep = HashSet::new();
        for definition in active {
            let key = definition.process_definition_key;
            keep.insert(key);
            if !self.read.contains_key(&key) {
                match self.client.definition_xml(key).await? {
                    Some(xml) => {
                        let read = self.read_definition(definition, &xml);
                        self.read.insert(key, read);
                    }
                    None => {
                        tracing::info!(
                            process = %definition.process_definition_id,
                            version = definition.version,
                            key,
                            "the BPMN of this definition is not available yet; trying again on the next poll"
                        );
                        continue;
                    }
                }
            }
            let Some(read) = self.read.get(&key) else {
                continue;
            };
            let is_latest = latest_keys.contains(&key);
            found.webhooks.extend(
                read.webhooks
                    .iter()
                    .filter(|w| is_latest || !is_start(w.kind))
                    .cloned(),
            );
            found.skipped.extend(read.skipped.iter().cloned());
        }
        // Definitions that are gone are forgotten (read again if they return).
        self.read.retain(|key, _| keep.contains(key));
        Ok(found)
    }

    /// Reads and compiles one definition's webhooks; every problem is logged
    /// here, once, and kept as a skipped webhook.
    fn read_definition(&self, definition: &ProcessDefinition, xml: &str) -> Read {
        let deployment = Deployment {
            process_id: definition.process_definition_id.clone(),
            version: definition.version,
            key: definition.process_definition_key,
            tenant_id: definition
                .tenant_id
                .clone()
                .unwrap_or_else(|| "<default>".to_owned()),
        };
        let source = Source::Deployed(deployment);
        let (raws, errors) = bpmn::read(&source, xml);
        let mut read = Read {
            webhooks: Vec::new(),
            skipped: Vec::new(),
        };
        for error in &errors {
            read.skipped.push(skip(None, error));
        }
        for raw in raws {
            let id = raw
                .properties
                .iter()
                .find(|(name, _)| name == "inbound.context")
                .map(|(_, value)| value.clone());
            match compile(&raw, &self.engine, &*self.secrets) {
                Ok(webhook) => read.webhooks.push(Arc::new(webhook)),
                Err(errors) => {
                    for error in &errors.0 {
                        read.skipped.push(skip(id.clone(), error));
                    }
                }
            }
        }
        tracing::info!(
            %source,
            webhooks = read.webhooks.len(),
            skipped = read.skipped.len(),
            "read a deployed definition"
        );
        read
    }
}

/// A skipped webhook, logged (once: each definition is read once).
fn skip(webhook: Option<String>, error: &DefinitionError) -> Skipped {
    let origin = match (&error.origin, &error.source) {
        (Some(origin), _) => origin.to_string(),
        (None, Some(source)) => source.to_string(),
        (None, None) => String::new(),
    };
    let reason = match &error.property {
        Some(property) => format!("property `{property}`: {}", error.message),
        None => error.message.clone(),
    };
    tracing::error!(
        webhook = webhook.as_deref().unwrap_or(""),
        %origin,
        %reason,
        "deployed webhook skipped; the other webhooks keep serving"
    );
    Skipped {
        webhook,
        origin,
        reason,
    }
}

fn is_start(kind: ElementKind) -> bool {
    matches!(
        kind,
        ElementKind::StartEvent | ElementKind::MessageStartEvent
    )
}

/// How discovery is doing: for `/health` and `/metrics`.
#[derive(Debug, Default)]
pub struct Status {
    polls: AtomicU64,
    failures: AtomicU64,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    /// The last poll's error; `None` after a success.
    error: Option<String>,
    last_success: Option<SystemTime>,
    definitions: usize,
    webhooks: usize,
}

/// Discovery's health, for `/health`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Health {
    /// Whether the last poll succeeded.
    pub ok: bool,
    /// Why not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// When a poll last succeeded (Unix seconds).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_success_unix: Option<u64>,
    /// Active deployed definitions.
    pub definitions: usize,
    /// Webhooks served from them.
    pub webhooks: usize,
}

impl Status {
    fn succeeded(&self, found: &Found) {
        self.polls.fetch_add(1, Ordering::Relaxed);
        let mut state = lock(&self.state);
        if let Some(previous) = state.error.take() {
            tracing::info!(previous_error = %previous, "cluster discovery recovered");
        }
        state.last_success = Some(SystemTime::now());
        state.definitions = found.definitions;
        state.webhooks = found.webhooks.len();
    }

    fn failed(&self, error: &ClusterError) {
        self.polls.fetch_add(1, Ordering::Relaxed);
        self.failures.fetch_add(1, Ordering::Relaxed);
        let message = error.to_string();
        let mut state = lock(&self.state);
        // Once per distinct error, not every poll.
        if state.error.as_deref() != Some(message.as_str()) {
            tracing::warn!(error = %message, "cluster discovery failed; keeping the webhooks found before");
        }
        state.error = Some(message);
    }

    /// The health: not ok until a poll succeeded, and while the last failed.
    pub fn health(&self) -> Health {
        let state = lock(&self.state);
        let reason = match (&state.error, state.last_success) {
            (Some(error), _) => Some(format!("cluster discovery failed: {error}")),
            (None, None) => Some("cluster discovery has not completed a poll yet".to_owned()),
            (None, Some(_)) => None,
        };
        Health {
            ok: reason.is_none(),
            reason,
            last_success_unix: state.last_success.map(unix_secs),
            definitions: state.definitions,
            webhooks: state.webhooks,
        }
    }

    /// The discovery families in the Prometheus text format.
    pub fn render_metrics(&self) -> String {
        let health = self.health();
        let polls = self.polls.load(Ordering::Relaxed);
        let failures = self.failures.load(Ordering::Relaxed);
        let last = health.last_success_unix.unwrap_or(0);
        format!(
            "# HELP webhook_discovery_polls_total Polls of the cluster for deployed webhooks.\n\
             # TYPE webhook_discovery_polls_total counter\n\
             webhook_discovery_polls_total {polls}\n\
             # HELP webhook_discovery_failures_total Polls that failed (the webhooks found before kept serving).\n\
             # TYPE webhook_discovery_failures_total counter\n\
             webhook_discovery_failures_total {failures}\n\
             # HELP webhook_discovery_definitions Active deployed process definitions (latest versions and versions with waiting instances).\n\
             # TYPE webhook_discovery_definitions gauge\n\
             webhook_discovery_definitions {}\n\
             # HELP webhook_discovery_webhooks Webhooks found in them.\n\
             # TYPE webhook_discovery_webhooks gauge\n\
             webhook_discovery_webhooks {}\n\
             # HELP webhook_discovery_last_success_timestamp_seconds When a poll last succeeded (0: never).\n\
             # TYPE webhook_discovery_last_success_timestamp_seconds gauge\n\
             webhook_discovery_last_success_timestamp_seconds {last}\n",
            health.definitions, health.webhooks
        )
    }
}

fn unix_secs(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// Polls every `interval` (the first poll at once; a fixed delay between
/// the end of one and the start of the next) and hands what it finds to the
/// catalog; on failure the webhooks found before keep serving.
pub fn spawn(
    mut discovery: Discovery,
    catalog: Arc<Catalog>,
    status: Arc<Status>,
    interval: Duration,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            match discovery.poll().await {
                Ok(found) => {
                    status.succeeded(&found);
                    catalog.set_deployed(found.webhooks, found.skipped);
                }
                Err(e) => status.failed(&e),
            }
            tokio::time::sleep(interval).await;
        }
    })
}
