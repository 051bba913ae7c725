//! The durable outbox: every accepted event is committed to an embedded redb
//! store (fsync) before the webhook answers 2xx. Concurrent events (and
//! delivery outcomes) share a commit ([`writer`]: group commit, one fsync per
//! batch, each caller answered once its batch is durable). A [`worker`]
//! delivers each event to Zeebe with exponential backoff and jitter, in
//! order per correlation key, and moves it to `delivered`, or to `dead` with
//! the reason when Zeebe refuses it for good.
//!
//! Without Zeebe, the worker delivers to the embedded journal file, so the
//! default mode keeps its JSON Lines journal while the store keeps every
//! event until it is written there.
//!
//! The store also holds the deduplication keys ([`Outbox::accept`]): an event
//! whose Twilio idempotency token or `MessageSid` was seen within the window
//! is answered as before and dispatched no more.

mod command;
mod store;
pub mod worker;
mod writer;

pub use command::{order_key, StoredCommand};
pub use store::{Enqueued, Entry, EntryState, Stats};

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::Notify;

use crate::settings::OutboxSettings;
use crate::sync::lock;
pub use crate::zeebe::now_ms;
use crate::zeebe::{millis, Command, StatusCode};
use store::{Enqueue, Store, Write, Written};
use writer::Writer;

/// Why an outbox operation failed.
#[derive(Debug, thiserror::Error)]
pub enum OutboxError {
    /// The store could not be opened.
    #[error("cannot open the outbox {0}: {1}")]
    Open(PathBuf, Box<redb::Error>),
    /// Another process (the running service) has the store open.
    #[error("the outbox {0} is open in another process (is the service running? use `webhook outbox --admin <addr>` with the service's --admin-listen)")]
    Locked(PathBuf),
    /// A read or write failed.
    #[error("outbox storage error: {0}")]
    Store(Box<redb::Error>),
    /// A stored entry could not be read back.
    #[error("an outbox entry is corrupt: {0}")]
    Corrupt(String),
    /// The operation is not allowed.
    #[error("{0}")]
    Refused(String),
    /// The blocking task running the operation stopped.
    #[error("the outbox task stopped: {0}")]
    Task(String),
    /// The transaction holding this event (with others: group commit)
    /// failed; none of its events is stored.
    #[error("the outbox could not commit: {0}")]
    Batch(Arc<OutboxError>),
}

/// The outbox: a cheap-to-clone handle on the store, its counters and the
/// worker's wake-up signal.
#[derive(Debug, Clone)]
pub struct Outbox {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    /// Declared before `store`: dropping it stops the writer thread first.
    writer: Writer,
    store: Arc<Store>,
    path: PathBuf,
    settings: OutboxSettings,
    wake: Notify,
    retries: AtomicU64,
    dead_letters: AtomicU64,
    /// Since when Zeebe has been unreachable (retryable failures only).
    unreachable_since: Mutex<Option<Instant>>,
}

/// Whether a failure may go away by itself (retry) or not (dead letter).
/// Connection failures reach us as `UNAVAILABLE`, timeouts as
/// `DEADLINE_EXCEEDED`.
pub fn is_retryable(status: StatusCode) -> bool {
    matches!(
        status,
        StatusCode::Unavailable
            | StatusCode::ResourceExhausted
            | StatusCode::DeadlineExceeded
            | StatusCode::Aborted
            | StatusCode::Cancelled
            | StatusCode::Internal
            | StatusCode::Unknown
    )
}

impl Outbox {
    /// Opens (creating if needed) the store at `path`.
    pub fn open(path: impl AsRef<Path>, settings: OutboxSettings) -> Result<Outbox, OutboxError> {
        let path = path.as_ref().to_path_buf();
        let store = Arc::new(Store::open(&path)?);
        let writer = Writer::spawn({
            let store = Arc::clone(&store);
            move |batch| store.write_batch(batch)
        })?;
        Ok(Outbox {
            inner: Arc::new(Inner {
                writer,
                store,
                path,
                settings,
                wake: Notify::new(),
                retries: AtomicU64::new(0),
                dead_letters: AtomicU64::new(0),
                unreachable_since: Mutex::new(None),
            }),
        })
    }

    /// The store file.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// The settings.
    pub fn settings(&self) -> &OutboxSettings {
        &self.inner.settings
    }

    async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Store) -> Result<T, OutboxError> + Send + 'static,
    ) -> Result<T, OutboxError> {
        let inner = Arc::clone(&self.inner);
        tokio::task::spawn_blocking(move || f(&inner.store))
            .await
            .map_err(|e| OutboxError::Task(e.to_string()))?
    }

    /// Durably stores an accepted event unless one of `dedup_keys` was seen
    /// within the window; wakes the worker.
    pub async fn accept(
        &self,
        webhook: &str,
        command: Command,
        dedup_keys: Vec<String>,
    ) -> Result<Enqueued, OutboxError> {
        let now = now_ms();
        let entry = Entry {
            id: 0,
            webhook: webhook.to_owned(),
            order_key: order_key(&command),
            command: command.into(),
            accepted_ms: now,
            attempts: 0,
            next_attempt_ms: now,
            last_error: None,
            finished_ms: None,
        };
        let result = self.enqueue(Some(entry), dedup_keys, now).await?;
        if matches!(result, Enqueued::Stored(_)) {
            self.inner.wake.notify_one();
        }
        Ok(result)
    }

    /// Claims deduplication keys without storing an event (synchronous
    /// dispatch); [`Enqueued::Duplicate`] when one is live.
    pub async fn claim(&self, dedup_keys: Vec<String>) -> Result<Enqueued, OutboxError> {
        self.enqueue(None, dedup_keys, now_ms()).await
    }

    /// Hands the request to the group-commit writer; answers once the
    /// transaction holding it has committed.
    async fn enqueue(
        &self,
        entry: Option<Entry>,
        keys: Vec<String>,
        now_ms: u64,
    ) -> Result<Enqueued, OutboxError> {
        let request = Enqueue {
            entry,
            keys,
            now_ms,
            expires_ms: now_ms.saturating_add(millis(self.inner.settings.dedup_window)),
        };
        match self.inner.writer.write(Write::Enqueue(request)).await? {
            Written::Enqueued(enqueued) => Ok(enqueued),
            Written::Settled => Err(OutboxError::Task(
                "the outbox writer answered an enqueue as a settle".into(),
            )),
        }
    }

    /// Records a delivery attempt (through the group-commit writer): moves
    /// the pending entry to `to`, or rewrites it when `to` is pending.
    pub(crate) async fn settle(&self, entry: Entry, to: EntryState) -> Result<(), OutboxError> {
        self.inner
            .writer
            .write(Write::Settle { entry, to })
            .await
            .map(|_| ())
    }

    /// Forgets claimed keys.
    pub async fn release(&self, dedup_keys: Vec<String>) -> Result<(), OutboxError> {
        self.blocking(move |s| s.release(&dedup_keys)).await
    }

    /// Whether an earlier event with this command's order key is pending
    /// (a synchronous dispatch must then queue behind it).
    pub async fn must_wait(&self, command: &Command) -> Result<bool, OutboxError> {
        match order_key(command) {
            None => Ok(false),
            Some(key) => self.blocking(move |s| s.has_pending(&key)).await,
        }
    }

    /// The entry with this id and where it is.
    pub async fn get(&self, id: u64) -> Result<Option<(EntryState, Entry)>, OutboxError> {
        self.blocking(move |s| s.get(id)).await
    }

    /// Entries in `state`, oldest first.
    pub async fn list(&self, state: EntryState, limit: usize) -> Result<Vec<Entry>, OutboxError> {
        self.blocking(move |s| s.list(state, limit)).await
    }

    /// Moves dead entries back to pending (`None`: all of them).
    pub async fn retry(&self, ids: Option<Vec<u64>>) -> Result<u64, OutboxError> {
        let now = now_ms();
        let moved = self.blocking(move |s| s.retry(ids.as_deref(), now)).await?;
        if moved > 0 {
            self.inner.wake.notify_one();
        }
        Ok(moved)
    }

    /// Deletes delivered or dead entries.
    pub async fn purge(&self, state: EntryState) -> Result<u64, OutboxError> {
        self.blocking(move |s| s.purge(state)).await
    }

    /// Counts.
    pub async fn stats(&self) -> Result<Stats, OutboxError> {
        self.blocking(Store::stats).await
    }

    /// How long Zeebe has been unreachable, if it is.
    pub fn unreachable_for(&self) -> Option<Duration> {
        let since = *lock(&self.inner.unreachable_since);
        since.map(|t| t.elapsed())
    }

    /// Whether `/health` should say degraded.
    pub fn degraded(&self) -> bool {
        self.unreachable_for()
            .is_some_and(|d| d >= self.inner.settings.degraded_after)
    }

    /// Records whether the last call to Zeebe got through (a retryable
    /// failure means it did not); drives [`Outbox::degraded`].
    pub(crate) fn set_reachable(&self, reachable: bool) {
        let mut guard = lock(&self.inner.unreachable_since);
        match (reachable, guard.is_some()) {
            (true, _) => *guard = None,
            (false, false) => *guard = Some(Instant::now()),
            (false, true) => {}
        }
    }

    /// The outbox families in the Prometheus text format.
    pub async fn render_metrics(&self) -> String {
        let (pending, oldest_age) = match self.stats().await {
            Ok(stats) => (
                stats.pending,
                stats
                    .oldest_pending_ms
                    .map_or(0.0, |t| now_ms().saturating_sub(t) as f64 / 1000.0),
            ),
            Err(e) => {
                tracing::error!(error = %e, "cannot read the outbox for metrics");
                (0, 0.0)
            }
        };
        let retries = self.inner.retries.load(Ordering::Relaxed);
        let dead = self.inner.dead_letters.load(Ordering::Relaxed);
        let commits = self.inner.writer.batches();
        let committed = self.inner.writer.requests();
        format!(
            "# HELP webhook_outbox_pending Accepted events not yet delivered.\n\
             # TYPE webhook_outbox_pending gauge\n\
             webhook_outbox_pending {pending}\n\
             # HELP webhook_outbox_oldest_pending_age_seconds Age of the oldest undelivered event.\n\
             # TYPE webhook_outbox_oldest_pending_age_seconds gauge\n\
             webhook_outbox_oldest_pending_age_seconds {oldest_age:.3}\n\
             # HELP webhook_outbox_retries_total Delivery attempts that failed and were rescheduled.\n\
             # TYPE webhook_outbox_retries_total counter\n\
             webhook_outbox_retries_total {retries}\n\
             # HELP webhook_outbox_dead_letters_total Events Zeebe refused for good.\n\
             # TYPE webhook_outbox_dead_letters_total counter\n\
             webhook_outbox_dead_letters_total {dead}\n\
             # HELP webhook_outbox_commits_total Transactions that stored accepted events and delivery outcomes (group commit: one per batch).\n\
             # TYPE webhook_outbox_commits_total counter\n\
             webhook_outbox_commits_total {commits}\n\
             # HELP webhook_outbox_committed_requests_total Events, key claims and delivery outcomes those transactions carried.\n\
             # TYPE webhook_outbox_committed_requests_total counter\n\
             webhook_outbox_committed_requests_total {committed}\n"
        )
    }
}

macro_rules! from_redb {
    ($($t:ty),*) => {$(
        impl From<$t> for OutboxError {
            fn from(e: $t) -> Self {
                OutboxError::Store(Box::new(redb::Error::from(e)))
            }
        }
    )*};
}
from_redb!(
    redb::Error,
    redb::TableError,
    redb::StorageError,
    redb::TransactionError,
    redb::CommitError
);
