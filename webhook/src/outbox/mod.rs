//! The durable outbox: every accepted event is committed to an append-only,
//! checksummed log ([`log`], [`store`]) and synced (`fdatasync`) before the
//! webhook answers 2xx. Concurrent events (and delivery outcomes) share a
//! commit ([`writer`]: group commit, one frame and one sync per batch, each
//! caller answered once its batch is durable); the state the log describes
//! (pending events, deduplication keys, order keys) is kept in memory. A [`worker`]
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
//!
//! When a commit fails (a full disk), nothing of its batch is kept, its
//! callers get [`OutboxError::Unavailable`] (503 with `Retry-After`), and
//! [`Outbox::unavailable`] says why until a commit works again: the writer
//! tries an empty frame every second while it has nothing else to write.

mod command;
pub mod log;
mod store;
pub mod worker;
mod writer;

pub use command::{order_key, StoredCommand};
pub use store::{inspect, Enqueued, Entry, EntryState, OpenMode, Salvaged, Settlement, Stats};

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::Notify;

use crate::settings::OutboxSettings;
use crate::sync::lock;
pub use crate::zeebe::now_ms;
use crate::zeebe::{millis, Command, Outcome, StatusCode};
use store::{Enqueue, Store, Write, Written};
use writer::Writer;

/// Why an outbox operation failed.
#[derive(Debug, thiserror::Error)]
pub enum OutboxError {
    /// The file could not be opened, read or written.
    #[error("cannot {action} the outbox {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What was being done.
        action: &'static str,
        /// Why it failed.
        source: std::io::Error,
    },
    /// The file is not an outbox this build can read (empty, foreign,
    /// damaged); `problem` says what is wrong and what to do.
    #[error("the outbox {}: {problem}", path.display())]
    Unreadable {
        /// The file.
        path: PathBuf,
        /// What is wrong, and what to do.
        problem: String,
    },
    /// Another process (the running service) has the store open.
    #[error("the outbox {0} is open in another process (is the service running? use `webhook outbox --admin <addr>` with the service's --admin-listen)")]
    Locked(PathBuf),
    /// A commit failed (a full disk, an I/O error): nothing of it is stored,
    /// and the caller may try again later.
    #[error("{0}")]
    Unavailable(String),
    /// A stored entry could not be read back.
    #[error("an outbox entry is corrupt: {0}")]
    Corrupt(String),
    /// The operation is not allowed.
    #[error("{0}")]
    Refused(String),
    /// The blocking task running the operation stopped.
    #[error("the outbox task stopped: {0}")]
    Task(String),
    /// The commit holding this event (with others: group commit) failed;
    /// none of its events is stored.
    #[error("the outbox could not commit: {0}")]
    Batch(Arc<OutboxError>),
}

impl OutboxError {
    /// Why the outbox cannot store now, when that is the failure (the
    /// caller should come back later: 503).
    pub fn unavailable(&self) -> Option<&str> {
        match self {
            OutboxError::Unavailable(reason) => Some(reason),
            OutboxError::Batch(inner) => inner.unavailable(),
            _ => None,
        }
    }
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
    /// Wakes the worker: after each commit that stored events, and after a
    /// retry.
    wake: Arc<Notify>,
    retries: AtomicU64,
    dead_letters: AtomicU64,
    /// Since when Zeebe has been unreachable (retryable failures only).
    unreachable_since: Mutex<Option<Instant>>,
    /// Zeebe's answers to the latest deliveries, for the request inspector.
    answers: Answers,
}

/// Zeebe's answers to the latest deliveries (the process instance or
/// message key), kept in memory only and only when asked for
/// ([`Outbox::keep_answers`]): the log records that an entry was delivered,
/// not what Zeebe said.
#[derive(Debug, Default)]
struct Answers {
    /// How many are kept (0: none, nothing is locked).
    capacity: AtomicUsize,
    /// Entry id and answer, oldest first.
    kept: Mutex<VecDeque<(u64, Outcome)>>,
}

/// Whether this answer says an event was stored (key claims alone are
/// answered `Stored(0)`).
fn stored_an_event(answer: &store::Answer) -> bool {
    matches!(answer, Ok(Written::Enqueued(Enqueued::Stored(id))) if *id > 0)
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
    /// Opens (creating if needed) the store at `path`; with
    /// `settings.new_store`, an unreadable file is set aside for a new store
    /// (see [`OpenMode`]).
    pub fn open(path: impl AsRef<Path>, settings: OutboxSettings) -> Result<Outbox, OutboxError> {
        let mode = match settings.new_store {
            true => OpenMode::Replace,
            false => OpenMode::Create,
        };
        Outbox::open_with(path, settings, mode)
    }

    /// Opens the store at `path` as `mode` says.
    pub fn open_with(
        path: impl AsRef<Path>,
        settings: OutboxSettings,
        mode: OpenMode,
    ) -> Result<Outbox, OutboxError> {
        let path = path.as_ref().to_path_buf();
        let store = Arc::new(Store::open(&path, mode)?);
        let wake = Arc::new(Notify::new());
        let writer = Writer::spawn(
            {
                let store = Arc::clone(&store);
                let wake = Arc::clone(&wake);
                move |batch| {
                    let answers = store.write_batch(batch)?;
                    // One wake-up per commit, before its callers are
                    // answered: the worker takes the new events at once,
                    // instead of being woken by each caller in turn (each
                    // wake-up of a parked thread is a context switch).
                    if answers.iter().any(stored_an_event) {
                        wake.notify_one();
                    }
                    Ok(answers)
                }
            },
            {
                let store = Arc::clone(&store);
                move || store.idle()
            },
        )?;
        Ok(Outbox {
            inner: Arc::new(Inner {
                writer,
                store,
                path,
                settings,
                wake,
                retries: AtomicU64::new(0),
                dead_letters: AtomicU64::new(0),
                unreachable_since: Mutex::new(None),
                answers: Answers::default(),
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

    /// Copies every readable event of the stopped store `from` into a new
    /// store at `to` (which must not exist), skipping damage; see
    /// [`Salvaged`] for the counts.
    pub fn salvage(from: &Path, to: &Path) -> Result<Salvaged, OutboxError> {
        Store::salvage(from, to)
    }

    /// Why the outbox cannot store events now, and since how long, if it
    /// cannot (the last commit failed and none has worked since).
    pub fn unavailable(&self) -> Option<(String, Duration)> {
        self.inner.store.unavailable()
    }

    /// From now on every commit fails with OS error `errno`, as on a full
    /// disk (`None`: commits work again). For tests.
    #[cfg(feature = "testing")]
    pub fn inject_write_error(&self, errno: Option<i32>) {
        self.inner.store.inject_write_error(errno);
    }

    /// Takes entries due for delivery (the worker); see [`Store::take_due`].
    pub(crate) fn take_due(
        &self,
        now_ms: u64,
        limit: usize,
    ) -> Result<(Vec<Entry>, Option<u64>), OutboxError> {
        self.inner.store.take_due(now_ms, limit)
    }

    /// Makes taken entries due again (their outcomes were not recorded).
    pub(crate) fn put_back(&self, ids: &[u64]) {
        self.inner.store.put_back(ids);
    }

    async fn write(&self, write: Write) -> Result<Written, OutboxError> {
        self.inner.writer.write(write).await
    }

    /// Durably stores an accepted event unless one of `dedup_keys` was seen
    /// within the window (the commit wakes the worker).
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
        self.enqueue(Some(entry), dedup_keys, now).await
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
            keys: keys.iter().map(|key| store::digest(key)).collect(),
            now_ms,
            expires_ms: now_ms.saturating_add(millis(self.inner.settings.dedup_window)),
        };
        match self.write(Write::Enqueue(request)).await? {
            Written::Enqueued(enqueued) => Ok(enqueued),
            other => Err(OutboxError::Task(format!(
                "the outbox writer answered an enqueue with {other:?}"
            ))),
        }
    }

    /// Records delivery attempts, in one write through the group-commit
    /// writer (see [`Settlement`]).
    pub(crate) async fn settle(&self, settlements: Vec<Settlement>) -> Result<(), OutboxError> {
        if settlements.is_empty() {
            return Ok(());
        }
        self.write(Write::Settle(settlements)).await.map(|_| ())
    }

    /// Forgets claimed keys.
    pub async fn release(&self, dedup_keys: Vec<String>) -> Result<(), OutboxError> {
        self.write(Write::Release(dedup_keys)).await.map(|_| ())
    }

    /// Whether an earlier event with this command's order key is pending
    /// (a synchronous dispatch must then queue behind it).
    pub async fn must_wait(&self, command: &Command) -> Result<bool, OutboxError> {
        Ok(order_key(command).is_some_and(|key| self.inner.store.has_pending(&key)))
    }

    /// The entry with this id and where it is.
    pub async fn get(&self, id: u64) -> Result<Option<(EntryState, Entry)>, OutboxError> {
        self.inner.store.get(id)
    }

    /// Entries in `state`, oldest first.
    pub async fn list(&self, state: EntryState, limit: usize) -> Result<Vec<Entry>, OutboxError> {
        self.inner.store.list(state, limit)
    }

    /// Moves dead entries back to pending (`None`: all of them).
    pub async fn retry(&self, ids: Option<Vec<u64>>) -> Result<u64, OutboxError> {
        let now_ms = now_ms();
        let moved = match self.write(Write::Retry { ids, now_ms }).await? {
            Written::Count(moved) => moved,
            other => return Err(OutboxError::Task(format!("a retry answered {other:?}"))),
        };
        if moved > 0 {
            self.inner.wake.notify_one();
        }
        Ok(moved)
    }

    /// Deletes delivered or dead entries.
    pub async fn purge(&self, state: EntryState) -> Result<u64, OutboxError> {
        match self.write(Write::Purge(state)).await? {
            Written::Count(removed) => Ok(removed),
            other => Err(OutboxError::Task(format!("a purge answered {other:?}"))),
        }
    }

    /// Counts.
    pub async fn stats(&self) -> Result<Stats, OutboxError> {
        Ok(self.inner.store.stats())
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

    /// Keeps Zeebe's answers to the latest `capacity` deliveries in memory,
    /// for [`Outbox::answer`] (the request inspector shows them); 0, the
    /// start, keeps none.
    pub fn keep_answers(&self, capacity: usize) {
        let answers = &self.inner.answers;
        answers.capacity.store(capacity, Ordering::Relaxed);
        let mut kept = lock(&answers.kept);
        while kept.len() > capacity {
            kept.pop_front();
        }
    }

    /// Zeebe's answer to the delivery of entry `id`, while it is kept.
    pub fn answer(&self, id: u64) -> Option<Outcome> {
        if self.inner.answers.capacity.load(Ordering::Relaxed) == 0 {
            return None;
        }
        lock(&self.inner.answers.kept)
            .iter()
            .rev()
            .find(|(kept, _)| *kept == id)
            .map(|(_, outcome)| outcome.clone())
    }

    /// Keeps Zeebe's answer to entry `id`, if answers are kept.
    pub(crate) fn answered(&self, id: u64, outcome: Outcome) {
        let answers = &self.inner.answers;
        let capacity = answers.capacity.load(Ordering::Relaxed);
        if capacity == 0 {
            return;
        }
        let mut kept = lock(&answers.kept);
        if kept.len() >= capacity {
            kept.pop_front();
        }
        kept.push_back((id, outcome));
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
        let unavailable = u8::from(self.unavailable().is_some());
        let failures = self.inner.store.commit_failures();
        let log_bytes = self.inner.store.log_bytes();
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
             webhook_outbox_committed_requests_total {committed}\n\
             # HELP webhook_outbox_unavailable 1 while the outbox cannot commit (a full disk): events are answered 503.\n\
             # TYPE webhook_outbox_unavailable gauge\n\
             webhook_outbox_unavailable {unavailable}\n\
             # HELP webhook_outbox_commit_failures_total Commits that failed (nothing of them was stored or acknowledged).\n\
             # TYPE webhook_outbox_commit_failures_total counter\n\
             webhook_outbox_commit_failures_total {failures}\n\
             # HELP webhook_outbox_log_bytes The outbox log's size (it is compacted as it grows).\n\
             # TYPE webhook_outbox_log_bytes gauge\n\
             webhook_outbox_log_bytes {log_bytes}\n"
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn published(key: i64) -> Outcome {
        Outcome::MessagePublished {
            message_key: key,
            tenant_id: None,
        }
    }

    #[tokio::test]
    async fn zeebes_answers_are_kept_only_when_asked_and_only_the_latest() {
        let dir = tempfile::tempdir().unwrap();
        let outbox =
            Outbox::open(dir.path().join("outbox.log"), OutboxSettings::default()).unwrap();
        outbox.answered(1, published(10));
        assert_eq!(outbox.answer(1), None);
        outbox.keep_answers(2);
        for id in 1..=3 {
            outbox.answered(id, published(id as i64 * 10));
        }
        assert_eq!(outbox.answer(1), None);
        assert_eq!(outbox.answer(2), Some(published(20)));
        assert_eq!(outbox.answer(3), Some(published(30)));
        outbox.keep_answers(1);
        assert_eq!(outbox.answer(2), None);
        outbox.keep_answers(0);
        assert_eq!(outbox.answer(3), None);
    }
}
