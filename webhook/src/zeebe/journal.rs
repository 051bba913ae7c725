//! The embedded default: the journal used when no Zeebe is configured.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use serde::Serialize;
use tokio::sync::Notify;

use super::{Command, DispatchError, DispatchFuture, Dispatcher, Outcome, StatusCode};
use crate::sync::lock;

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
/// Atomic lines: the file is opened in append mode and whole lines (with
/// their `\n`) are written by one `write_all` while holding a lock, so
/// concurrent dispatches never interleave or leave half lines. Lines that
/// arrive together share that write (see `Appender`). Give each service
/// process its own journal: across processes only `O_APPEND` orders the writes.
///
/// Durability ([`SyncPolicy`]): by default a line is handed to the OS before
/// `dispatch` returns (it survives a crash of the service, not a power loss);
/// [`SyncPolicy::EveryLine`] also calls `fdatasync` before it returns (one per
/// shared write).
#[derive(Debug, Clone)]
pub struct JournalDispatcher {
    path: PathBuf,
    appender: Arc<Appender>,
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
        let written = file.metadata().map(|m| m.len()).unwrap_or(0);
        Ok(Self {
            path,
            appender: Arc::new(Appender {
                file: Mutex::new(Journal {
                    file,
                    written,
                    handed_over: written,
                }),
                pending: Mutex::new(Pending::default()),
                sync,
                batches: AtomicU64::new(0),
            }),
        })
    }

    /// The journal file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// Group writes: lines that arrive while a batch is open join it, and the
/// batch goes to the file in one `write` (and, with [`SyncPolicy::EveryLine`],
/// one `fdatasync`). The first line of a batch spawns the task that writes
/// it; that task yields once first, so requests already runnable add their
/// lines. Every caller returns only once its own line was written. The
/// writing task is spawned, not run by the first caller, so a caller that
/// goes away (a closed connection) cannot strand the others.
#[derive(Debug)]
struct Appender {
    /// Held while a batch is taken and written, so batches reach the file
    /// in the order they were opened.
    file: Mutex<Journal>,
    pending: Mutex<Pending>,
    sync: SyncPolicy,
    /// Batches written (for tests: how well lines are grouped).
    batches: AtomicU64,
}

/// The journal file, and how much of it is handed to the disk.
#[derive(Debug)]
struct Journal {
    file: File,
    /// Its length.
    written: u64,
    /// Up to here, writing out to disk has been started.
    handed_over: u64,
}

/// [`Journal::hand_over`] starts writing out each this much.
const HAND_OVER_EVERY: u64 = 1 << 20;

impl Journal {
    /// Starts writing out (without waiting) what was written since the last
    /// time, once it is [`HAND_OVER_EVERY`] or more, and lets the page cache
    /// drop it once on disk (the journal is not read back). Left to the
    /// kernel, it went out in bursts of tens of MB that every sync on the
    /// same disk then waited behind: with the outbox syncing each commit,
    /// that held commits 20-70 ms in long load runs.
    fn hand_over(&mut self) {
        let len = self.written - self.handed_over;
        let Some(len) = std::num::NonZeroU64::new(len).filter(|l| l.get() >= HAND_OVER_EVERY)
        else {
            return;
        };
        // Advice only: a failure changes nothing that was written.
        let _ = rustix::fs::fadvise(
            &self.file,
            self.handed_over,
            Some(len),
            rustix::fs::Advice::DontNeed,
        );
        self.handed_over = self.written;
    }
}

#[derive(Debug, Default)]
struct Pending {
    lines: Vec<u8>,
    batch: Arc<Batch>,
}

/// One batch's outcome, shared by every line in it.
#[derive(Debug, Default)]
struct Batch {
    written: OnceLock<Result<(), String>>,
    done: Notify,
}

impl Appender {
    async fn append(self: &Arc<Self>, line: &[u8]) -> Result<(), String> {
        let (batch, leader) = {
            let mut pending = lock(&self.pending);
            let leader = pending.lines.is_empty();
            pending.lines.extend_from_slice(line);
            (Arc::clone(&pending.batch), leader)
        };
        if leader {
            let this = Arc::clone(self);
            let batch = Arc::clone(&batch);
            tokio::spawn(async move {
                tokio::task::yield_now().await;
                let result = match this.sync {
                    SyncPolicy::OsBuffered => this.write_batch(),
                    // fdatasync blocks for milliseconds: not on a runtime thread.
                    SyncPolicy::EveryLine => {
                        let writer = Arc::clone(&this);
                        tokio::task::spawn_blocking(move || writer.write_batch())
                            .await
                            .unwrap_or_else(|err| Err(format!("the journal writer stopped: {err}")))
                    }
                };
                let _ = batch.written.set(result);
                batch.done.notify_waiters();
            });
        }
        loop {
            let done = batch.done.notified();
            if let Some(result) = batch.written.get() {
                return result.clone();
            }
            done.await;
        }
    }

    /// Takes the open batch and writes it; returns its outcome.
    fn write_batch(&self) -> Result<(), String> {
        let mut journal = lock(&self.file);
        let lines = {
            let mut pending = lock(&self.pending);
            pending.batch = Arc::new(Batch::default());
            std::mem::take(&mut pending.lines)
        };
        self.batches.fetch_add(1, Ordering::Relaxed);
        journal.file.write_all(&lines).map_err(|e| e.to_string())?;
        journal.written += lines.len() as u64;
        if self.sync == SyncPolicy::EveryLine {
            journal.file.sync_data().map_err(|e| e.to_string())?;
        }
        journal.hand_over();
        Ok(())
    }
}

impl Dispatcher for JournalDispatcher {
    fn dispatch(&self, command: Command) -> DispatchFuture<'_> {
        Box::pin(async move {
            let recorded_at_ms = super::now_ms();
            // Room for a typical SMS command, so the line is not regrown.
            let mut line = Vec::with_capacity(512);
            serde_json::to_writer(
                &mut line,
                &Entry {
                    recorded_at_ms,
                    command: &command,
                },
            )
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
            self.appender.append(&line).await.map_err(|err| {
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn journal(name: &str) -> (JournalDispatcher, PathBuf) {
        let dir = std::env::temp_dir().join(format!("journal-unit-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("journal.jsonl");
        let _ = std::fs::remove_file(&path);
        (
            JournalDispatcher::open(&path, SyncPolicy::OsBuffered).unwrap(),
            path,
        )
    }

    fn publish(key: usize) -> Command {
        Command::PublishMessage {
            name: "m".to_owned(),
            correlation_key: key.to_string(),
            message_id: String::new(),
            time_to_live: Duration::from_secs(1),
            tenant_id: None,
            variables: crate::zeebe::Variables::empty(),
        }
    }

    fn keys(path: &Path) -> Vec<String> {
        std::fs::read_to_string(path)
            .unwrap()
            .lines()
            .map(|line| {
                let entry: serde_json::Value = serde_json::from_str(line).unwrap();
                entry["command"]["correlationKey"]
                    .as_str()
                    .unwrap()
                    .to_owned()
            })
            .collect()
    }

    #[tokio::test(flavor = "current_thread")]
    async fn concurrent_lines_share_one_write_in_arrival_order() {
        let (journal, path) = journal("batch");
        let mut tasks = Vec::new();
        for key in 0..50 {
            let journal = journal.clone();
            tasks.push(tokio::spawn(
                async move { journal.dispatch(publish(key)).await },
            ));
        }
        for task in tasks {
            assert_eq!(task.await.unwrap(), Ok(Outcome::Journaled));
        }
        // All 50 tasks were runnable together, so the first one's batch
        // took every line.
        assert_eq!(journal.appender.batches.load(Ordering::Relaxed), 1);
        let expected: Vec<String> = (0..50).map(|k| k.to_string()).collect();
        assert_eq!(keys(&path), expected);

        // A lone line is written at once, in a batch of its own.
        journal.dispatch(publish(50)).await.unwrap();
        assert_eq!(journal.appender.batches.load(Ordering::Relaxed), 2);
        assert_eq!(keys(&path).len(), 51);
    }

    #[tokio::test(flavor = "current_thread")]
    async fn a_caller_that_goes_away_strands_no_one() {
        let (journal, path) = journal("cancel");
        // The first caller opens the batch and is dropped before it is
        // written, as when Twilio closes the connection.
        let mut first = journal.dispatch(publish(1));
        let polled =
            std::future::poll_fn(|cx| std::task::Poll::Ready(first.as_mut().poll(cx))).await;
        assert!(polled.is_pending());
        drop(first);
        let second = tokio::time::timeout(Duration::from_secs(5), journal.dispatch(publish(2)))
            .await
            .expect("the second line is written although the first caller left");
        assert_eq!(second, Ok(Outcome::Journaled));
        assert_eq!(keys(&path), ["1", "2"]);
    }
}
