//! Choosing the dispatcher: Zeebe when configured, else the embedded journal.
//!
//! WIRING POINT: the Zeebe transports (gRPC, REST, OAuth) and the embedded
//! `zeebe::JournalDispatcher` are built in `zeebe/`. Until they are merged,
//! [`build_dispatcher`] returns [`LineJournal`], a minimal JSON-lines appender
//! with the same contract, so the whole pipeline runs end to end, and refuses
//! to start when a Zeebe address is configured. Once merged, its body becomes:
//!
//! ```text
//! let env: HashMap<String, String> = std::env::vars().collect();
//! let flags = ZeebeFlags {
//!     zeebe_address: config.zeebe_address.clone(),
//!     zeebe_rest_address: config.zeebe_rest_address.clone(),
//! };
//! Ok(ZeebeConfig::from_env_and_flags(&env, &flags)?.build_dispatcher(&config.journal)?)
//! ```
//!
//! and [`LineJournal`] can go.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use tokio::io::AsyncWriteExt;
use tokio::sync::Mutex;

use crate::zeebe::{Command, DispatchError, DispatchFuture, Dispatcher, Outcome, StatusCode};

/// Where commands go.
#[derive(Debug, Clone, Default)]
pub struct DispatchConfig {
    /// `--zeebe-address`: the gRPC gateway.
    pub zeebe_address: Option<String>,
    /// `--zeebe-rest-address`: the REST API.
    pub zeebe_rest_address: Option<String>,
    /// The journal file of the embedded default (no Zeebe configured).
    pub journal: PathBuf,
}

/// The environment variables that configure a Zeebe connection.
const ZEEBE_VARIABLES: [&str; 4] = [
    "ZEEBE_ADDRESS",
    "ZEEBE_GRPC_ADDRESS",
    "ZEEBE_REST_ADDRESS",
    "CAMUNDA_REST_ADDRESS",
];

/// Builds the dispatcher for this configuration (call it inside the runtime).
pub fn build_dispatcher(config: &DispatchConfig) -> anyhow::Result<Arc<dyn Dispatcher>> {
    let configured = config.zeebe_address.is_some()
        || config.zeebe_rest_address.is_some()
        || ZEEBE_VARIABLES
            .iter()
            .any(|v| std::env::var(v).is_ok_and(|v| !v.trim().is_empty()));
    if configured {
        anyhow::bail!("a Zeebe address is configured, but this build has no Zeebe transport yet");
    }
    tracing::info!(journal = %config.journal.display(), "no Zeebe configured: commands are journaled");
    Ok(Arc::new(LineJournal::new(&config.journal)))
}

/// One journal line: the command's fields plus when it was recorded (the
/// format of the Zeebe helper's journal).
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct Entry<'a> {
    recorded_at_ms: u64,
    #[serde(flatten)]
    command: &'a Command,
}

/// Appends every command as one JSON line
/// (`{"recordedAtMs": …, "command": "publishMessage", "name": …}`).
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
        let recorded_at_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
            .unwrap_or_default();
        let mut line = serde_json::to_vec(&Entry {
            recorded_at_ms,
            command: &command,
        })
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
