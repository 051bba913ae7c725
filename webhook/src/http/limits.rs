//! Limits that keep hostile or broken clients from exhausting the service.
//!
//! | limit | where | answer |
//! |---|---|---|
//! | header count, header bytes | hyper, while reading the head | 431, connection closed |
//! | header read time (slowloris) | hyper, from the first byte of a head | connection closed |
//! | body read time | [`with_deadline`] around the body stream | 400 naming the timeout, connection closed |
//! | body size | [`read_body`] | 413 |
//! | form / query pairs ([`crate::form::MAX_PAIRS`]) | [`crate::form::parse`] | 400 |
//! | requests in flight per webhook, taken once the signature checked out | [`InFlight`] in the handler | waits for a slot, then 429 + `Retry-After` |
//! | open connections | [`super::connections`], below the open-files limit | the oldest idle one is closed for a new one |
//! | FEEL fuel, depth and memory | [`crate::settings::FeelLimits`], for every configured expression | 422 |
//!
//! The numbers are [`crate::settings::Limits`].

use std::collections::HashMap;
use std::fmt;
use std::future::Future as _;
use std::pin::Pin;
use std::sync::{Arc, RwLock};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use warp::http::{header, HeaderMap};

use crate::error::AppError;
use crate::settings::Limits;

/// The HTTP/1 connection settings that enforce the header limits and the
/// header read timeout.
pub fn http1(limits: &Limits) -> hyper::server::conn::http1::Builder {
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .max_headers(limits.max_headers)
        .max_header_size(limits.max_header_bytes);
    builder
}

/// Per-webhook counters of requests in flight.
#[derive(Debug)]
pub struct InFlight {
    max: usize,
    wait: Duration,
    by_webhook: RwLock<HashMap<String, Arc<Semaphore>>>,
}

impl InFlight {
    /// At most `max` requests per webhook at once (0: no limit); one more
    /// waits up to `wait` for a slot.
    pub fn new(max: usize, wait: Duration) -> InFlight {
        InFlight {
            max,
            wait,
            by_webhook: RwLock::new(HashMap::new()),
        }
    }

    /// A slot for one request to webhook `id`, held until the permit is
    /// dropped. When all are taken the request waits for one, first come
    /// first served, and gets [`AppError::TooManyRequests`] if none frees
    /// up within the wait. Waiting costs no more than the connection it
    /// holds, and connections are capped; answering a burst from Twilio
    /// with 429s would lose its messages, as Twilio retries failed
    /// connections only. Only call this for configured ids, so random
    /// paths cannot grow the map.
    pub async fn acquire(&self, id: &str) -> Result<Option<OwnedSemaphorePermit>, AppError> {
        if self.max == 0 {
            return Ok(None);
        }
        let semaphore = self.semaphore(id);
        if let Ok(permit) = Arc::clone(&semaphore).try_acquire_owned() {
            return Ok(Some(permit));
        }
        match tokio::time::timeout(self.wait, semaphore.acquire_owned()).await {
            Ok(Ok(permit)) => Ok(Some(permit)),
            // Timed out, or the semaphore was closed (never done here).
            Ok(Err(_)) | Err(_) => Err(AppError::TooManyRequests {
                limit: self.max,
                waited_ms: self.wait.as_millis().try_into().unwrap_or(u64::MAX),
            }),
        }
    }

    fn semaphore(&self, id: &str) -> Arc<Semaphore> {
        // Every request after a webhook's first finds its semaphore under
        // the shared lock, without allocating.
        let known = match self.by_webhook.read() {
            Ok(map) => map.get(id).cloned(),
            Err(poisoned) => poisoned.into_inner().get(id).cloned(),
        };
        if let Some(semaphore) = known {
            return semaphore;
        }
        let mut map = match self.by_webhook.write() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        Arc::clone(
            map.entry(id.to_owned())
                .or_insert_with(|| Arc::new(Semaphore::new(self.max))),
        )
    }
}

/// Reads the body, refusing more than `limit` bytes without buffering them:
/// a declared `Content-Length` over the limit is refused before anything is
/// read, and sizes the buffer otherwise.
pub async fn read_body<S, E>(
    mut body: S,
    headers: &HeaderMap,
    limit: usize,
) -> Result<Bytes, AppError>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin + Send,
    E: fmt::Display,
{
    let too_large = || AppError::PayloadTooLarge { limit };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(too_large());
    }
    let read = |chunk: Option<Result<Bytes, E>>| {
        chunk
            .transpose()
            .map_err(|e| AppError::BodyRead(e.to_string()))
    };
    let Some(first) = read(body.next().await)? else {
        return Ok(Bytes::new());
    };
    if first.len() > limit {
        return Err(too_large());
    }
    let Some(mut chunk) = read(body.next().await)? else {
        // The usual small body arrives in one piece: kept as it is.
        return Ok(first);
    };
    let expected = declared.map_or(0, |n| usize::try_from(n).unwrap_or(limit).min(limit));
    let mut buffer = Vec::with_capacity(expected.max(first.len() + chunk.len()));
    buffer.extend_from_slice(&first);
    loop {
        if buffer.len() + chunk.len() > limit {
            return Err(too_large());
        }
        buffer.extend_from_slice(&chunk);
        match read(body.next().await)? {
            Some(next) => chunk = next,
            None => return Ok(Bytes::from(buffer)),
        }
    }
}

/// Why a body chunk could not be read.
#[derive(Debug)]
pub enum BodyError<E> {
    /// The transport failed.
    Read(E),
    /// The body did not arrive in time.
    TimedOut(Duration),
}

impl<E: fmt::Display> fmt::Display for BodyError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BodyError::Read(e) => e.fmt(f),
            BodyError::TimedOut(limit) => {
                write!(f, "the body did not arrive within {} ms", limit.as_millis())
            }
        }
    }
}

impl<E> BodyError<E> {
    /// Whether this is a timeout rather than a broken transport.
    pub fn is_timeout(&self) -> bool {
        matches!(self, BodyError::TimedOut(_))
    }
}

/// A body stream that fails with [`BodyError::TimedOut`] once `limit` has
/// passed since it first had to wait for data, and ends after that.
pub struct Deadline<S> {
    inner: S,
    limit: Duration,
    /// Armed on the first poll that has to wait (the handler polls at once,
    /// so the limit still runs from the start): a body already buffered, the
    /// usual Twilio form, never touches the clock or the timer wheel.
    sleep: Option<Pin<Box<tokio::time::Sleep>>>,
    expired: bool,
}

/// Wraps `stream` so reading it takes at most `limit`.
pub fn with_deadline<S>(stream: S, limit: Duration) -> Deadline<S> {
    Deadline {
        inner: stream,
        limit,
        sleep: None,
        expired: false,
    }
}

impl<S, E> Stream for Deadline<S>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
{
    type Item = Result<Bytes, BodyError<E>>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.expired {
            return Poll::Ready(None);
        }
        if let Poll::Ready(item) = Pin::new(&mut self.inner).poll_next(cx) {
            return Poll::Ready(item.map(|r| r.map_err(BodyError::Read)));
        }
        let limit = self.limit;
        let sleep = self
            .sleep
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(limit)));
        match sleep.as_mut().poll(cx) {
            Poll::Ready(()) => {
                self.expired = true;
                Poll::Ready(Some(Err(BodyError::TimedOut(self.limit))))
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_wait(max: usize) -> InFlight {
        InFlight::new(max, Duration::ZERO)
    }

    #[tokio::test]
    async fn in_flight_is_counted_per_webhook() {
        let limiter = no_wait(2);
        let a1 = limiter.acquire("a").await.unwrap();
        let _a2 = limiter.acquire("a").await.unwrap();
        assert!(matches!(
            limiter.acquire("a").await,
            Err(AppError::TooManyRequests {
                limit: 2,
                waited_ms: 0
            })
        ));
        // Another webhook has its own slots.
        assert!(limiter.acquire("b").await.is_ok());
        drop(a1);
        assert!(limiter.acquire("a").await.is_ok());
    }

    #[tokio::test]
    async fn zero_means_unlimited() {
        let limiter = no_wait(0);
        let mut held = Vec::new();
        for _ in 0..1000 {
            held.push(limiter.acquire("a").await);
        }
        assert!(held.iter().all(Result::is_ok));
    }

    #[tokio::test(start_paused = true)]
    async fn a_request_over_the_limit_waits_for_a_slot() {
        let limiter = Arc::new(InFlight::new(1, Duration::from_secs(5)));
        let first = limiter.acquire("a").await.unwrap();
        let waiting = tokio::spawn({
            let limiter = Arc::clone(&limiter);
            async move {
                let asked = tokio::time::Instant::now();
                let slot = limiter.acquire("a").await;
                (slot.is_ok(), asked.elapsed())
            }
        });
        tokio::time::sleep(Duration::from_secs(2)).await;
        drop(first);
        let (granted, waited) = waiting.await.unwrap();
        assert!(
            granted,
            "the slot freed within the wait goes to the waiting request"
        );
        assert_eq!(waited, Duration::from_secs(2));
    }

    #[tokio::test(start_paused = true)]
    async fn a_request_gets_429_when_no_slot_frees_within_the_wait() {
        let limiter = InFlight::new(1, Duration::from_millis(300));
        let _held = limiter.acquire("a").await.unwrap();
        let asked = tokio::time::Instant::now();
        let refused = limiter.acquire("a").await;
        assert_eq!(asked.elapsed(), Duration::from_millis(300));
        let Err(e) = refused else {
            panic!("a second slot was given out")
        };
        assert_eq!(
            e.to_string(),
            "this webhook is already handling 1 requests and none finished within 300 ms; retry later"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn waiting_requests_get_slots_in_arrival_order() {
        let limiter = Arc::new(InFlight::new(1, Duration::from_secs(5)));
        let first = limiter.acquire("a").await.unwrap();
        let order = Arc::new(std::sync::Mutex::new(Vec::new()));
        let mut waiting = Vec::new();
        for n in 0..3 {
            let (limiter, order) = (Arc::clone(&limiter), Arc::clone(&order));
            waiting.push(tokio::spawn(async move {
                let slot = limiter.acquire("a").await.unwrap();
                order.lock().unwrap().push(n);
                tokio::time::sleep(Duration::from_millis(10)).await;
                drop(slot);
            }));
            // Each asks after the previous one is queued.
            tokio::task::yield_now().await;
        }
        drop(first);
        for task in waiting {
            task.await.unwrap();
        }
        assert_eq!(*order.lock().unwrap(), vec![0, 1, 2]);
    }

    fn chunks(parts: &[&'static str]) -> impl Stream<Item = Result<Bytes, String>> + Unpin {
        futures_util::stream::iter(
            parts
                .iter()
                .map(|p| Ok(Bytes::from_static(p.as_bytes())))
                .collect::<Vec<_>>(),
        )
    }

    fn declared(length: usize) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::CONTENT_LENGTH, length.into());
        headers
    }

    #[tokio::test]
    async fn bodies_up_to_the_limit_are_read_whole() {
        let body = read_body(chunks(&["ab", "cd", "e"]), &HeaderMap::new(), 5)
            .await
            .unwrap();
        assert_eq!(body, "abcde");
        let empty = read_body(chunks(&[]), &HeaderMap::new(), 5).await.unwrap();
        assert!(empty.is_empty());
    }

    #[tokio::test]
    async fn bodies_over_the_limit_are_refused_while_reading() {
        for parts in [&["abcdef"][..], &["abc", "def"][..]] {
            let error = read_body(chunks(parts), &HeaderMap::new(), 5)
                .await
                .unwrap_err();
            assert!(
                matches!(error, AppError::PayloadTooLarge { limit: 5 }),
                "{error:?}"
            );
        }
    }

    #[tokio::test]
    async fn a_declared_length_over_the_limit_is_refused_before_reading() {
        // The stream would fail if it were read.
        let never = futures_util::stream::once(async { Err::<Bytes, _>("read".to_owned()) });
        let error = read_body(Box::pin(never), &declared(6), 5)
            .await
            .unwrap_err();
        assert!(
            matches!(error, AppError::PayloadTooLarge { .. }),
            "{error:?}"
        );
        let broken = futures_util::stream::once(async { Err::<Bytes, _>("reset".to_owned()) });
        let error = read_body(Box::pin(broken), &declared(5), 5)
            .await
            .unwrap_err();
        assert_eq!(
            error.to_string(),
            "the request body could not be read: reset"
        );
    }

    #[tokio::test]
    async fn a_stalled_body_times_out_once() {
        let stalled = futures_util::stream::pending::<Result<Bytes, String>>();
        let mut body = with_deadline(stalled, Duration::from_millis(20));
        let err = body.next().await.unwrap().unwrap_err();
        assert!(err.is_timeout());
        assert_eq!(err.to_string(), "the body did not arrive within 20 ms");
        assert!(body.next().await.is_none());
    }

    #[tokio::test]
    async fn a_prompt_body_passes_through() {
        let chunks = futures_util::stream::iter([Ok::<_, String>(Bytes::from_static(b"ab"))]);
        let mut body = with_deadline(chunks, Duration::from_secs(5));
        assert_eq!(body.next().await.unwrap().unwrap(), "ab");
        assert!(body.next().await.is_none());
    }
}
