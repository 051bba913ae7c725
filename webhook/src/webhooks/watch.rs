//! Loading the webhook sources and reloading them when they change.
//!
//! Directories are polled (modification time and size of each file): no
//! platform watcher, no extra dependency, and it works on network and
//! container file systems where inotify does not. A file that fails to load
//! keeps its previous good webhooks serving; the failure is logged once per
//! change.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use super::catalog::Catalog;
use super::secrets::SecretSource;
use super::{load_file, DefinitionError, DefinitionErrors, Registry, WebhookDefinition};

#[derive(Debug, Clone, PartialEq, Eq)]
struct Stamp {
    modified: Option<SystemTime>,
    len: u64,
}

#[derive(Clone)]
struct FileState {
    stamp: Stamp,
    definitions: Vec<Arc<WebhookDefinition>>,
}

/// The sources (BPMN files and directories, the TOML file) and what each
/// file currently contributes.
pub struct Loader {
    roots: Vec<PathBuf>,
    engine: feel::Engine,
    secrets: Arc<dyn SecretSource>,
    /// The tenant of the files' webhooks, unless a file names one.
    tenant: Option<String>,
    files: BTreeMap<PathBuf, FileState>,
}

impl std::fmt::Debug for Loader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Loader")
            .field("roots", &self.roots)
            .field("files", &self.files.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

fn stamp(path: &Path) -> Option<Stamp> {
    let meta = std::fs::metadata(path).ok()?;
    Some(Stamp {
        modified: meta.modified().ok(),
        len: meta.len(),
    })
}

impl Loader {
    /// A loader for these roots (files or directories).
    pub fn new(
        roots: Vec<PathBuf>,
        engine: feel::Engine,
        secrets: Arc<dyn SecretSource>,
    ) -> Loader {
        Loader {
            roots,
            engine,
            secrets,
            tenant: None,
            files: BTreeMap::new(),
        }
    }

    /// Puts the files' webhooks in `tenant` (unless a file names one).
    pub fn with_tenant(mut self, tenant: Option<String>) -> Loader {
        self.tenant = tenant;
        self
    }

    /// Whether any root is a directory (only then is polling useful for new files).
    pub fn watches_directories(&self) -> bool {
        self.roots.iter().any(|r| r.is_dir())
    }

    fn list(&self) -> Result<Vec<PathBuf>, DefinitionErrors> {
        let mut files = Vec::new();
        let mut errors = Vec::new();
        for root in &self.roots {
            match super::expand(root) {
                Ok(mut found) => files.append(&mut found),
                Err(e) => errors.push(DefinitionError::file(root, format!("cannot read: {e}"))),
            }
        }
        files.sort();
        files.dedup();
        if errors.is_empty() {
            Ok(files)
        } else {
            Err(DefinitionErrors(errors))
        }
    }

    /// The first load: every error (in any file) is returned.
    pub fn load(&mut self) -> Result<Registry, DefinitionErrors> {
        let mut errors = Vec::new();
        let files = self.list()?;
        for path in files {
            let stamp = stamp(&path).unwrap_or(Stamp {
                modified: None,
                len: 0,
            });
            match load_file(&path, &self.engine, &*self.secrets, self.tenant.as_deref()) {
                Ok(definitions) => {
                    self.files.insert(path, FileState { stamp, definitions });
                }
                Err(mut e) => errors.append(&mut e.0),
            }
        }
        if !errors.is_empty() {
            return Err(DefinitionErrors(errors));
        }
        self.registry()
    }

    fn registry(&self) -> Result<Registry, DefinitionErrors> {
        Registry::build(
            self.files
                .values()
                .flat_map(|f| f.definitions.iter().cloned()),
        )
    }

    /// Looks for changed, new and removed files. Returns the new registry
    /// when something changed and the result is valid; on any failure the
    /// previous webhooks of the affected files stay.
    pub fn rescan(&mut self) -> Option<Registry> {
        let files = match self.list() {
            Ok(files) => files,
            Err(e) => {
                tracing::error!(error = %e, "cannot list the webhook sources; keeping the current webhooks");
                return None;
            }
        };
        let previous = self.files.clone();
        let mut changed = false;
        self.files.retain(|path, _| {
            let keep = files.contains(path);
            if !keep {
                tracing::info!(file = %path.display(), "webhook file removed");
                changed = true;
            }
            keep
        });
        for path in files {
            let Some(now) = stamp(&path) else { continue };
            let old = self.files.get(&path);
            if old.is_some_and(|f| f.stamp == now) {
                continue;
            }
            match load_file(&path, &self.engine, &*self.secrets, self.tenant.as_deref()) {
                Ok(definitions) => {
                    tracing::info!(file = %path.display(), webhooks = definitions.len(), "webhook file loaded");
                    self.files.insert(
                        path,
                        FileState {
                            stamp: now,
                            definitions,
                        },
                    );
                    changed = true;
                }
                Err(e) => {
                    tracing::error!(file = %path.display(), error = %e, "webhook file is invalid; its previous version keeps serving");
                    // Remember the stamp so the same broken version is reported once.
                    let definitions = old.map(|f| f.definitions.clone()).unwrap_or_default();
                    self.files.insert(
                        path,
                        FileState {
                            stamp: now,
                            definitions,
                        },
                    );
                }
            }
        }
        if !changed {
            return None;
        }
        match self.registry() {
            Ok(registry) => Some(registry),
            Err(e) => {
                tracing::error!(error = %e, "reloaded webhooks conflict; keeping the previous set");
                // Keep the new stamps (so the conflict is logged once) but the old webhooks.
                for (path, state) in self.files.iter_mut() {
                    state.definitions = previous
                        .get(path)
                        .map(|f| f.definitions.clone())
                        .unwrap_or_default();
                }
                None
            }
        }
    }
}

/// Polls the sources every `interval` and hands each valid new set to the
/// catalog.
pub fn spawn(
    mut loader: Loader,
    catalog: Arc<Catalog>,
    interval: Duration,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        ticker.tick().await;
        loop {
            ticker.tick().await;
            // File I/O and compilation are blocking work.
            let result = tokio::task::spawn_blocking(move || {
                let registry = loader.rescan();
                (loader, registry)
            })
            .await;
            let Ok((back, registry)) = result else {
                tracing::error!("the webhook reloader stopped unexpectedly");
                return;
            };
            loader = back;
            if let Some(registry) = registry {
                let ids: Vec<&str> = registry.ids().collect();
                tracing::info!(webhooks = ?ids, "webhook files reloaded");
                catalog.set_files(&registry);
            }
        }
    })
}
