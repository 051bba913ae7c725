//! The delivery worker: takes due entries (the first pending one per order
//! key), sends them through the [`Dispatcher`], and settles each one:
//! delivered, rescheduled with backoff, or dead.

use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use futures_util::stream::FuturesUnordered;
use futures_util::{FutureExt, StreamExt};
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender};
use tokio::sync::{oneshot, Semaphore};

use super::{is_retryable, now_ms, Entry, EntryState, Outbox, Settlement};
use crate::zeebe::{millis, Command, DispatchError, Dispatcher, StatusCode};

/// How long one attempt may take before it counts as `DEADLINE_EXCEEDED`.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(10);
/// The longest the worker sleeps without looking at the store; also how
/// long entries whose outcomes could not be recorded wait to be sent again.
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

/// The delivery worker running on its thread. [`Delivery::stop`] ends it
/// and waits until it has let go of the outbox; dropping the handle ends it
/// without waiting.
#[derive(Debug)]
pub struct Delivery {
    /// Dropping it ends the thread's loop.
    stop: oneshot::Sender<()>,
    /// Completes once the thread has dropped its runtime, and with it the
    /// outbox and every task it spawned.
    ended: oneshot::Receiver<()>,
}

impl Delivery {
    /// Ends the worker: calls to Zeebe in flight are dropped (their entries
    /// stay pending and are sent again after a restart). Returns once the
    /// thread holds nothing of the outbox any more, so the store can be
    /// opened again at once.
    pub async fn stop(self) {
        let Delivery { stop, ended } = self;
        drop(stop);
        // An error means the thread is gone too (it never started, or it
        // ended with a panic).
        let _ = ended.await;
    }
}

/// Runs the worker on a thread of its own until it is stopped (see
/// [`Delivery`]).
///
/// Why a thread with a single-threaded runtime, as for the connection
/// workers (`http/workers.rs`): on the shared work-stealing runtime, every
/// accepted event's wake-up and every journal write the worker spawned
/// woke the runtime's other thread to steal a task it then did not get, so
/// the runtime's threads parked and woke about 0.4 times per request.
pub fn spawn(outbox: Outbox, dispatcher: Arc<dyn Dispatcher>) -> Delivery {
    let (stop, stopped) = oneshot::channel::<()>();
    let (ended, end) = oneshot::channel::<()>();
    let started = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .and_then(|runtime| {
            std::thread::Builder::new()
                .name("outbox-delivery".into())
                .spawn(move || {
                    runtime.block_on(async {
                        tokio::select! {
                            () = run(outbox, dispatcher) => {}
                            _ = stopped => {}
                        }
                    });
                    drop(runtime);
                    let _ = ended.send(());
                })
        });
    if let Err(e) = started {
        tracing::error!(error = %e, "cannot start the outbox delivery thread; accepted events stay in the outbox until a restart");
    }
    Delivery { stop, ended: end }
}

/// Two loops side by side: one sends, one records. Sending never waits for
/// a record to be committed (the store does not hand a taken entry out
/// again until it is settled), so deliveries keep pace with accepted events
/// however long a commit takes.
async fn run(outbox: Outbox, dispatcher: Arc<dyn Dispatcher>) {
    let (outcomes, known) = tokio::sync::mpsc::unbounded_channel();
    tokio::join!(
        send(&outbox, &*dispatcher, outcomes),
        record(&outbox, known)
    );
}

/// Keeps up to four times `concurrency` entries taken (at most
/// `concurrency` calls to Zeebe at once) and passes each outcome on to
/// [`record`] as soon as it is known.
async fn send(outbox: &Outbox, dispatcher: &dyn Dispatcher, outcomes: UnboundedSender<Settlement>) {
    let concurrency = outbox.settings().concurrency.max(1);
    let window = concurrency * 4;
    let calls = Semaphore::new(concurrency);
    let mut sending = FuturesUnordered::new();
    // When the earliest backed-off entry is due.
    let mut next: Option<u64> = None;
    loop {
        // Refill once a quarter of the window is free (or when idle), not
        // after every single outcome: each look at the store walks the
        // waiting entries from the oldest, those backing off included.
        let room = window - sending.len();
        let now = now_ms();
        let refill = sending.is_empty() || room >= window / 4 || next.is_some_and(|t| t <= now);
        if room > 0 && refill {
            match outbox.take_due(now, room) {
                Ok((entries, later)) => {
                    next = later;
                    for entry in entries {
                        sending.push(deliver(outbox, dispatcher, &calls, entry));
                    }
                }
                Err(e) => {
                    tracing::error!(error = %e, "cannot read the outbox");
                    tokio::time::sleep(IDLE_POLL).await;
                    continue;
                }
            }
        }
        let wait = next.map_or(IDLE_POLL, |t| {
            Duration::from_millis(t.saturating_sub(now)).min(IDLE_POLL)
        });
        // A new event wakes us early; a stored permit covers the race
        // between reading the store and starting to wait.
        tokio::select! {
            Some(settled) = sending.next() => {
                // The receiver lives as long as this loop (`run` joins both).
                let _ = outcomes.send(settled);
                while let Some(Some(settled)) = sending.next().now_or_never() {
                    let _ = outcomes.send(settled);
                }
            }
            () = outbox.inner.wake.notified() => {}
            () = tokio::time::sleep(wait) => {}
        }
    }
}

/// Records outcomes as they arrive: those that arrive while one record is
/// being committed share the next write (one record each, one commit), so
/// a crash re-sends as little as possible.
async fn record(outbox: &Outbox, mut known: UnboundedReceiver<Settlement>) {
    while let Some(first) = known.recv().await {
        let mut settlements = vec![first];
        while let Ok(more) = known.try_recv() {
            settlements.push(more);
        }
        let ids: Vec<u64> = settlements.iter().map(|s| s.id).collect();
        if let Err(e) = outbox.settle(settlements).await {
            // Those entries stay pending as they were and will be sent
            // again (at least once), which Zeebe's message id deduplication
            // absorbs. The store cannot write (a full disk): sending them
            // again at once would only repeat the same calls, so they wait
            // until it may have recovered.
            tracing::error!(entries = ids.len(), error = %e, "outbox: cannot record the deliveries");
            tokio::time::sleep(IDLE_POLL).await;
            outbox.put_back(&ids);
            outbox.inner.wake.notify_one();
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
