//! The delivery worker: takes due entries (the first pending one per order
//! key), sends them through the [`Dispatcher`], and settles each one:
//! delivered, rescheduled with backoff, or dead.

use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use tokio::sync::Semaphore;

use super::{is_retryable, now_ms, Entry, EntryState, Outbox};
use crate::zeebe::{millis, Command, DispatchError, Dispatcher, StatusCode};

/// How long one attempt may take before it counts as `DEADLINE_EXCEEDED`.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(10);
/// The longest the worker sleeps without looking at the store; also its
/// pause after a round whose outcomes could not be recorded.
const IDLE_POLL: Duration = Duration::from_secs(1);

/// A delay in `[d/2, d]`, so retries after an outage do not arrive together.
fn jitter(d: Duration, salt: u64) -> Duration {
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u64(salt);
    let fraction = (hasher.finish() % 1000) as f64 / 1000.0;
    d.mul_f64(0.5 + 0.5 * fraction)
}

/// The delay before attempt `attempts + 1`: base · 2^(attempts−1), capped.
pub fn backoff(base: Duration, max: Duration, attempts: u32) -> Duration {
    let factor = 2u32.saturating_pow(attempts.saturating_sub(1).min(30));
    base.saturating_mul(factor).min(max)
}

/// Runs the worker until the task is aborted.
pub fn spawn(outbox: Outbox, dispatcher: Arc<dyn Dispatcher>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(run(outbox, dispatcher))
}

async fn run(outbox: Outbox, dispatcher: Arc<dyn Dispatcher>) {
    loop {
        let concurrency = outbox.settings().concurrency.max(1);
        let now = now_ms();
        let due = outbox.due(now, concurrency * 4);
        let (entries, next) = match due {
            Ok(due) => due,
            Err(e) => {
                tracing::error!(error = %e, "cannot read the outbox");
                tokio::time::sleep(IDLE_POLL).await;
                continue;
            }
        };
        if entries.is_empty() {
            let wait = next.map_or(IDLE_POLL, |t| {
                Duration::from_millis(t.saturating_sub(now)).min(IDLE_POLL)
            });
            // A new event wakes us early; a stored permit covers the race
            // between reading the store and starting to wait.
            let _ = tokio::time::timeout(wait, outbox.inner.wake.notified()).await;
            continue;
        }
        // At most `concurrency` calls to Zeebe at once, but the outcomes are
        // recorded outside that limit: while they wait for their (group)
        // commit, the next entries of the round are already being sent.
        let calls = Semaphore::new(concurrency);
        let unrecorded = std::sync::atomic::AtomicBool::new(false);
        futures_util::stream::iter(entries)
            .for_each_concurrent(None, |entry| async {
                if !deliver(&outbox, &*dispatcher, &calls, entry).await {
                    unrecorded.store(true, Ordering::Relaxed);
                }
            })
            .await;
        if unrecorded.load(Ordering::Relaxed) {
            // The store cannot write (a full disk): those entries are still
            // pending, and sending them again at once would only repeat the
            // same calls. Wait until it may have recovered.
            tokio::time::sleep(IDLE_POLL).await;
        }
    }
}

/// Sends one entry and records the outcome; `false` when the outcome could
/// not be recorded.
async fn deliver(
    outbox: &Outbox,
    dispatcher: &dyn Dispatcher,
    calls: &Semaphore,
    mut entry: Entry,
) -> bool {
    let command = Command::from(entry.command.clone());
    let is_publish = matches!(command, Command::PublishMessage { .. });
    let result = {
        // The semaphore is never closed, so `acquire` always succeeds.
        let _call = calls.acquire().await.ok();
        match tokio::time::timeout(ATTEMPT_TIMEOUT, dispatcher.dispatch(command)).await {
            Ok(result) => result,
            Err(_) => Err(DispatchError::new(
                StatusCode::DeadlineExceeded,
                format!("no answer within {ATTEMPT_TIMEOUT:?}"),
            )),
        }
    };
    entry.attempts = entry.attempts.saturating_add(1);
    let now = now_ms();
    let to = match result {
        Ok(outcome) => {
            outbox.set_reachable(true);
            tracing::info!(id = entry.id, webhook = %entry.webhook, ?outcome, "outbox: delivered");
            entry.finished_ms = Some(now);
            entry.last_error = None;
            EntryState::Delivered
        }
        Err(e) if e.status == StatusCode::AlreadyExists && is_publish => {
            outbox.set_reachable(true);
            tracing::info!(id = entry.id, "outbox: message id already published");
            entry.finished_ms = Some(now);
            EntryState::Delivered
        }
        Err(e) if is_retryable(e.status) => {
            outbox.set_reachable(false);
            outbox.inner.retries.fetch_add(1, Ordering::Relaxed);
            let settings = outbox.settings();
            let delay = jitter(
                backoff(settings.retry_base, settings.retry_max, entry.attempts),
                entry.id ^ u64::from(entry.attempts),
            );
            tracing::warn!(id = entry.id, attempts = entry.attempts, error = %e, ?delay, "outbox: will retry");
            entry.next_attempt_ms = now.saturating_add(millis(delay));
            entry.last_error = Some(e.to_string());
            EntryState::Pending
        }
        Err(e) => {
            outbox.set_reachable(true);
            outbox.inner.dead_letters.fetch_add(1, Ordering::Relaxed);
            tracing::error!(id = entry.id, webhook = %entry.webhook, error = %e, "outbox: dead letter");
            entry.finished_ms = Some(now);
            entry.last_error = Some(e.to_string());
            EntryState::Dead
        }
    };
    let id = entry.id;
    match outbox.settle(entry, to).await {
        Ok(()) => true,
        Err(e) => {
            // The entry stays pending as it was: it will be sent again (at
            // least once), which Zeebe's message id deduplication absorbs.
            tracing::error!(id, error = %e, "outbox: cannot record the delivery");
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_then_caps() {
        let base = Duration::from_millis(100);
        let max = Duration::from_secs(1);
        let delays: Vec<u128> = (1..=6).map(|a| backoff(base, max, a).as_millis()).collect();
        assert_eq!(delays, [100, 200, 400, 800, 1000, 1000]);
    }

    #[test]
    fn jitter_stays_within_half_and_whole() {
        for salt in 0..100 {
            let d = jitter(Duration::from_millis(1000), salt).as_millis();
            assert!((500..=1000).contains(&d), "{d}");
        }
    }
}
