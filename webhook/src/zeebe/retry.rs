//! Retrying back-pressure: Zeebe answers `RESOURCE_EXHAUSTED` when a partition
//! is overloaded and has *rejected* the command, so sending it again is safe.
//! A few quick retries inside the call's deadline spare Twilio a failed
//! webhook (it does not retry such answers itself by default).

use std::future::Future;
use std::time::{Duration, Instant};

use super::{Command, DispatchError, Outcome, StatusCode};

/// The wait before the first retry; it doubles for every further one.
const FIRST_BACKOFF: Duration = Duration::from_millis(100);

/// Sends `command` with `send`, retrying up to `retries` times on
/// `RESOURCE_EXHAUSTED` while the next attempt can still start before
/// `deadline`. Any other answer, or the last back-pressure answer, is
/// returned as is.
pub(crate) async fn on_backpressure<F, Fut>(
    command: Command,
    deadline: Instant,
    retries: u32,
    mut send: F,
) -> Result<Outcome, DispatchError>
where
    F: FnMut(Command) -> Fut,
    Fut: Future<Output = Result<Outcome, DispatchError>>,
{
    let mut backoff = FIRST_BACKOFF;
    let mut left = retries;
    loop {
        let result = send(command.clone()).await;
        match &result {
            Err(error)
                if error.status == StatusCode::ResourceExhausted
                    && left > 0
                    && Instant::now() + backoff < deadline =>
            {
                tracing::debug!(
                    retries_left = left,
                    backoff_ms = super::millis(backoff),
                    "Zeebe applies back-pressure; retrying"
                );
                tokio::time::sleep(backoff).await;
                backoff *= 2;
                left -= 1;
            }
            _ => return result,
        }
    }
}
