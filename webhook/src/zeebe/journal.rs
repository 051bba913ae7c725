//! The embedded default: the journal used when no Zeebe is configured.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::Serialize;

use super::{Command, DispatchError, DispatchFuture, Dispatcher, Outcome, StatusCode};

/// When the journal forces its lines to disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SyncPolicy {
    /// Write each line to the OS before returning; no `fsync`.
    #[default]
    OsBuffered,
    /// `fdatasync` after every line: slower, survives power loss.
    EveryLine,
}

/// The embedded default: with no Zeebe configured, every command the service
/// would have sent is logged and appended to a JSON Lines file.
///
/// Each line is one JSON object: `recordedAtMs` (Unix time in milliseconds)
/// and `command`, the [`Command`] as JSON (its own `command` field says
/// `createProcessInstance` or `publishMessage`; camelCase field names;
/// `timeToLive` in milliseconds), e.g.
/// `{"recordedAtMs":1764201600000,"command":{"command":"publishMessage","name":"sms",…}}`.
///
/// Atomic lines: the file is opened in append mode and every line (with its
/// `\n`) is written by one `write_all` while holding a lock, so concurrent
/// dispatches never interleave or leave half lines. Give each service process
/// its own journal: across processes only `O_APPEND` orders the writes.
///
/// Durability ([`SyncPolicy`]): by default a line is handed to the OS before
/// `dispatch` returns (it survives a crash of the service, not a power loss);
/// [`SyncPolicy::EveryLine`] also calls `fdatasync` per line.
#[derive(Debug, Clone)]
pub struct JournalDispatcher {
    path: PathBuf,
    file: Arc<Mutex<File>>,
    sync: SyncPolicy,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Entry<'a> {
    recorded_at_ms: u64,
    command: &'a Command,
}

impl JournalDispatcher {
    /// Opens (creating if needed) the journal at `path` for appending.
    pub fn open(path: impl AsRef<Path>, sync: SyncPolicy) -> io::Result<Self> {
        let path = path.as_ref().to_path_buf();
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(|err| {
                io::Error::new(
                    err.kind(),
                    format!("cannot open the journal {}: {err}", path.display()),
                )
            })?;
        Ok(Self {
            path,
            file: Arc::new(Mutex::new(file)),
            sync,
        })
    }

    /// The journal file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn append(file: &Mutex<File>, line: &[u8], sync: SyncPolicy) -> io::Result<()> {
        // A poisoned lock only means another writer panicked mid-call; the
        // file handle itself is still fine to append to.
        let mut file = file.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        file.write_all(line)?;
        if sync == SyncPolicy::EveryLine {
            file.sync_data()?;
        }
        Ok(())
    }
}

impl Dispatcher for JournalDispatcher {
    fn dispatch(&self, command: Command) -> DispatchFuture<'_> {
        Box::pin(async move {
            let recorded_at_ms = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
                .unwrap_or(0);
            let mut line = serde_json::to_vec(&Entry {
                recorded_at_ms,
                command: &command,
            })
            .map_err(|err| {
                DispatchError::new(
                    StatusCode::InvalidArgument,
                    format!("the command cannot be written as JSON: {err}"),
                )
            })?;
            line.push(b'\n');
            match &command {
                Command::CreateProcessInstance {
                    bpmn_process_id,
                    version,
                    ..
                } => tracing::info!(
                    journal = %self.path.display(),
                    bpmn_process_id,
                    version,
                    "no Zeebe configured: journaled CreateProcessInstance"
                ),
                Command::PublishMessage {
                    name,
                    correlation_key,
                    message_id,
                    ..
                } => tracing::info!(
                    journal = %self.path.display(),
                    name,
                    correlation_key,
                    message_id,
                    "no Zeebe configured: journaled PublishMessage"
                ),
            }
            let file = Arc::clone(&self.file);
            let sync = self.sync;
            let written = if sync == SyncPolicy::OsBuffered {
                // One buffered append: cheaper inline than the thread hand-off
                // of spawn_blocking, which dominated the load run's profile.
                Self::append(&file, &line, sync)
            } else {
                tokio::task::spawn_blocking(move || Self::append(&file, &line, sync))
                    .await
                    .map_err(|err| {
                        DispatchError::new(
                            StatusCode::Internal,
                            format!("the journal writer stopped: {err}"),
                        )
                    })?
            };
            written.map_err(|err| {
                DispatchError::new(
                    StatusCode::Internal,
                    format!(
                        "cannot append to the journal {}: {err}",
                        self.path.display()
                    ),
                )
            })?;
            Ok(Outcome::Journaled)
        })
    }
}
