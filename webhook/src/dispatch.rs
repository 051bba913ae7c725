//! Choosing the dispatcher: Zeebe when configured, else the embedded journal.
//!
//! WIRING POINT: the Zeebe transports (gRPC, REST, OAuth) and the embedded
//! `zeebe::journal::JournalDispatcher` are built in `zeebe/`. Until they are
//! merged, [`build_dispatcher`] returns [`LineJournal`], a minimal JSON-lines
//! appender with the same contract, so the whole pipeline runs end to end.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use tokio::io::AsyncWriteExt;
use tokio::sync::Mutex;

use crate::zeebe::{Command, DispatchError, DispatchFuture, Dispatcher, Outcome, StatusCode};

/// Where commands go when no Zeebe is configured.
#[derive(Debug, Clone)]
pub struct DispatchConfig {
    /// The journal file of the embedded default.
    pub journal: PathBuf,
}

/// Builds the dispatcher for this configuration.
pub fn build_dispatcher(config: &DispatchConfig) -> anyhow::Result<Arc<dyn Dispatcher>> {
    Ok(Arc::new(LineJournal::new(&config.journal)))
}

/// Appends every command as one JSON line (`{"at": <ms>, "command": …}`).
#[derive(Debug)]
pub struct LineJournal {
    path: PathBuf,
    lock: Mutex<()>,
}

impl LineJournal {
    /// A journal writing to `path` (created on first use).
    pub fn new(path: &Path) -> LineJournal {
        LineJournal {
            path: path.to_owned(),
            lock: Mutex::new(()),
        }
    }

    async fn append(&self, command: Command) -> Result<Outcome, DispatchError> {
        let at = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis())
            .unwrap_or_default();
        let mut line = serde_json::to_vec(&serde_json::json!({ "at": at, "command": command }))
            .map_err(|e| unavailable(&self.path, e))?;
        line.push(b'\n');
        let _guard = self.lock.lock().await;
        let mut file = tokio::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
            .await
            .map_err(|e| unavailable(&self.path, e))?;
        file.write_all(&line)
            .await
            .map_err(|e| unavailable(&self.path, e))?;
        file.flush().await.map_err(|e| unavailable(&self.path, e))?;
        Ok(Outcome::Journaled)
    }
}

fn unavailable(path: &Path, e: impl std::fmt::Display) -> DispatchError {
    DispatchError {
        status: StatusCode::Unavailable,
        message: format!("cannot write the journal {}: {e}", path.display()),
    }
}

impl Dispatcher for LineJournal {
    fn dispatch(&self, command: Command) -> DispatchFuture<'_> {
        Box::pin(self.append(command))
    }
}
