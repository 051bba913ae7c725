//! The delivery worker: takes due entries (the first pending one per order
//! key), sends them through the [`Dispatcher`], and settles each one:
//! delivered, rescheduled with backoff, or dead.

use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use tokio::sync::Semaphore;

use super::{is_retryable, now_ms, Entry, EntryState, Outbox, Settlement};
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
        // At most `concurrency` calls to Zeebe at once. Each outcome is
        // recorded as soon as it is known, so a crash re-sends as little as
        // possible; outcomes that arrive while a record is being committed
        // share the next write (one record each, one commit).
        let calls = Semaphore::new(concurrency);
        let (outcomes, mut known) = tokio::sync::mpsc::unbounded_channel();
        let (store, dispatcher, calls) = (&outbox, &*dispatcher, &calls);
        let sending = async move {
            futures_util::stream::iter(entries)
                .map(|entry| deliver(store, dispatcher, calls, entry))
                .buffer_unordered(usize::MAX)
                .for_each(|settled| {
                    // The receiver lives until this sender is dropped below.
                    let _ = outcomes.send(settled);
                    async {}
                })
                .await;
            drop(outcomes);
        };
        let recording = async {
            let mut unrecorded = 0;
            while let Some(first) = known.recv().await {
                let mut settlements = vec![first];
                while let Ok(more) = known.try_recv() {
                    settlements.push(more);
                }
                let count = settlements.len();
                if let Err(e) = outbox.settle(settlements).await {
                    // Those entries stay pending as they were: they will be
                    // sent again (at least once), which Zeebe's message id
                    // deduplication absorbs.
                    tracing::error!(entries = count, error = %e, "outbox: cannot record the deliveries");
                    unrecorded += count;
                }
            }
            unrecorded
        };
        let ((), unrecorded) = tokio::join!(sending, recording);
        if unrecorded > 0 {
            // The store cannot write (a full disk): sending those entries
            // again at once would only repeat the same calls. Wait until it
            // may have recovered.
            tokio::time::sleep(IDLE_POLL).await;
        }
    }
}

/// Sends one entry; returns the outcome to record.
async fn deliver(
    outbox: &Outbox,
    dispatcher: &dyn Dispatcher,
    calls: &Semaphore,
    entry: Entry,
) -> Settlement {
    let Entry {
        id,
        webhook,
        command,
        attempts,
        next_attempt_ms,
        last_error,
        ..
    } = entry;
    // The command is handed over, not copied: the store reads it back from
    // its log if the entry stays pending.
    let command = Command::from(command);
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
    let attempts = attempts.saturating_add(1);
    let now = now_ms();
    let finished = |to, last_error| Settlement {
        id,
        to,
        attempts,
        next_attempt_ms,
        last_error,
        finished_ms: Some(now),
    };
    match result {
        Ok(outcome) => {
            outbox.set_reachable(true);
            tracing::info!(id, %webhook, ?outcome, "outbox: delivered");
            outbox.answered(id, outcome);
            finished(EntryState::Delivered, None)
        }
        Err(e) if e.status == StatusCode::AlreadyExists && is_publish => {
            outbox.set_reachable(true);
            tracing::info!(id, "outbox: message id already published");
            finished(EntryState::Delivered, last_error)
        }
        Err(e) if is_retryable(e.status) => {
            outbox.set_reachable(false);
            outbox.inner.retries.fetch_add(1, Ordering::Relaxed);
            let settings = outbox.settings();
            let delay = jitter(
                backoff(settings.retry_base, settings.retry_max, attempts),
                id ^ u64::from(attempts),
            );
            tracing::warn!(id, attempts, error = %e, ?delay, "outbox: will retry");
            Settlement {
                id,
                to: EntryState::Pending,
                attempts,
                next_attempt_ms: now.saturating_add(millis(delay)),
                last_error: Some(e.to_string()),
                finished_ms: None,
            }
        }
        Err(e) => {
            outbox.set_reachable(true);
            outbox.inner.dead_letters.fetch_add(1, Ordering::Relaxed);
            tracing::error!(id, %webhook, error = %e, "outbox: dead letter");
            finished(EntryState::Dead, Some(e.to_string()))
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
