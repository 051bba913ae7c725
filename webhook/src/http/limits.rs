//! Limits that keep hostile or broken clients from exhausting the service.
//!
//! | limit | where | answer |
//! |---|---|---|
//! | header count, header bytes | hyper, while reading the head | 431, connection closed |
//! | header read time (slowloris) | hyper, from the first byte of a head | connection closed |
//! | body read time | [`with_deadline`] around the body stream | 400 naming the timeout, connection closed |
//! | body size | `handlers` | 413 |
//! | form / query pairs ([`MAX_PAIRS`]) | [`crate::form::parse`] | 400 |
//! | requests in flight per webhook | [`InFlight`] in `routes` | 429 + `Retry-After` |
//! | FEEL fuel and depth | [`crate::engine`], for every configured expression | 422 |

use std::collections::HashMap;
use std::fmt;
use std::future::Future as _;
use std::pin::Pin;
use std::sync::{Arc, RwLock};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use futures_util::Stream;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use warp::http::{header, HeaderValue, StatusCode};
use warp::reply::Response;

/// The most `name=value` pairs one form body or query string may hold.
/// Twilio sends a few dozen; more is an attack on the decoder and the
/// signature check, which both work per pair.
pub const MAX_PAIRS: usize = 1000;

/// Connection- and request-level limits (all configurable from the command
/// line; the defaults suit Twilio traffic).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// The most header fields one request may carry (431 above).
    pub max_headers: usize,
    /// The most bytes the request line and headers may take together (431 above).
    pub max_header_bytes: usize,
    /// How long a client may take to send the request line and headers.
    pub header_read_timeout: Duration,
    /// How long a client may take to send the body, counted from the end of
    /// the headers.
    pub body_read_timeout: Duration,
    /// Requests one webhook handles at once; more get 429 (0: no limit).
    pub max_in_flight: usize,
}

/// The default of [`Limits::max_headers`].
pub const DEFAULT_MAX_HEADERS: usize = 64;
/// The default of [`Limits::max_header_bytes`] (16 KiB).
pub const DEFAULT_MAX_HEADER_BYTES: usize = 16 * 1024;
/// The default of [`Limits::header_read_timeout`], in milliseconds.
pub const DEFAULT_HEADER_READ_TIMEOUT_MS: u64 = 10_000;
/// The default of [`Limits::body_read_timeout`], in milliseconds (Twilio
/// gives up after 15 s).
pub const DEFAULT_BODY_READ_TIMEOUT_MS: u64 = 10_000;
/// The default of [`Limits::max_in_flight`].
pub const DEFAULT_MAX_IN_FLIGHT: usize = 64;

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_headers: DEFAULT_MAX_HEADERS,
            max_header_bytes: DEFAULT_MAX_HEADER_BYTES,
            header_read_timeout: Duration::from_millis(DEFAULT_HEADER_READ_TIMEOUT_MS),
            body_read_timeout: Duration::from_millis(DEFAULT_BODY_READ_TIMEOUT_MS),
            max_in_flight: DEFAULT_MAX_IN_FLIGHT,
        }
    }
}

/// The command-line flags (and environment variables) for [`Limits`].
#[derive(Debug, Clone, clap::Args)]
pub struct LimitArgs {
    /// The most header fields one request may carry (431 above).
    #[arg(long, env = "WEBHOOK_MAX_HEADERS", default_value_t = DEFAULT_MAX_HEADERS)]
    pub max_headers: usize,
    /// The most bytes the request line and headers may take together (431 above).
    #[arg(long, env = "WEBHOOK_MAX_HEADER_BYTES", default_value_t = DEFAULT_MAX_HEADER_BYTES)]
    pub max_header_bytes: usize,
    /// How long a client may take to send the headers, in milliseconds (then the connection is closed).
    #[arg(long, env = "WEBHOOK_HEADER_READ_TIMEOUT_MS", default_value_t = DEFAULT_HEADER_READ_TIMEOUT_MS)]
    pub header_read_timeout_ms: u64,
    /// How long a client may take to send the body after the headers, in milliseconds (400 after).
    #[arg(long, env = "WEBHOOK_BODY_READ_TIMEOUT_MS", default_value_t = DEFAULT_BODY_READ_TIMEOUT_MS)]
    pub body_read_timeout_ms: u64,
    /// Requests one webhook handles at once; more get 429 with Retry-After (0: no limit).
    #[arg(long, env = "WEBHOOK_MAX_IN_FLIGHT", default_value_t = DEFAULT_MAX_IN_FLIGHT)]
    pub max_in_flight: usize,
}

impl LimitArgs {
    /// The limits these flags describe.
    pub fn into_limits(self) -> Limits {
        Limits {
            max_headers: self.max_headers,
            max_header_bytes: self.max_header_bytes,
            header_read_timeout: Duration::from_millis(self.header_read_timeout_ms),
            body_read_timeout: Duration::from_millis(self.body_read_timeout_ms),
            max_in_flight: self.max_in_flight,
        }
    }
}

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
    by_webhook: RwLock<HashMap<String, Arc<Semaphore>>>,
}

impl InFlight {
    /// At most `max` requests per webhook at once (0: no limit).
    pub fn new(max: usize) -> InFlight {
        InFlight {
            max,
            by_webhook: RwLock::new(HashMap::new()),
        }
    }

    /// A slot for one request to webhook `id`, held until the permit is
    /// dropped; `Err(Busy)` when all slots are taken. Only call this for
    /// configured ids, so random paths cannot grow the map.
    pub fn try_acquire(&self, id: &str) -> Result<Option<OwnedSemaphorePermit>, Busy> {
        if self.max == 0 {
            return Ok(None);
        }
        // Every request after a webhook's first finds its semaphore under
        // the shared lock, without allocating.
        let known = match self.by_webhook.read() {
            Ok(map) => map.get(id).cloned(),
            Err(poisoned) => poisoned.into_inner().get(id).cloned(),
        };
        let semaphore = match known {
            Some(semaphore) => semaphore,
            None => {
                let mut map = match self.by_webhook.write() {
                    Ok(guard) => guard,
                    Err(poisoned) => poisoned.into_inner(),
                };
                Arc::clone(
                    map.entry(id.to_owned())
                        .or_insert_with(|| Arc::new(Semaphore::new(self.max))),
                )
            }
        };
        semaphore
            .try_acquire_owned()
            .map(Some)
            .map_err(|_| Busy { limit: self.max })
    }
}

/// All slots of a webhook are taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Busy {
    /// The limit that was reached.
    pub limit: usize,
}

impl Busy {
    /// 429 with `Retry-After: 1` and a JSON reason.
    pub fn into_response(self) -> Response {
        let reason = format!(
            "this webhook is already handling {} requests; retry later",
            self.limit
        );
        json_error(StatusCode::TOO_MANY_REQUESTS, &reason)
    }
}

fn json_error(status: StatusCode, reason: &str) -> Response {
    let body = serde_json::json!({ "reason": reason }).to_string();
    let mut response = Response::new(body.into());
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    if status == StatusCode::TOO_MANY_REQUESTS {
        headers.insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    }
    response
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
    use futures_util::StreamExt;

    #[test]
    fn in_flight_is_counted_per_webhook() {
        let limiter = InFlight::new(2);
        let a1 = limiter.try_acquire("a").unwrap();
        let _a2 = limiter.try_acquire("a").unwrap();
        assert_eq!(limiter.try_acquire("a").unwrap_err(), Busy { limit: 2 });
        // Another webhook has its own slots.
        assert!(limiter.try_acquire("b").is_ok());
        drop(a1);
        assert!(limiter.try_acquire("a").is_ok());
    }

    #[test]
    fn zero_means_unlimited() {
        let limiter = InFlight::new(0);
        let held: Vec<_> = (0..1000).map(|_| limiter.try_acquire("a")).collect();
        assert!(held.iter().all(Result::is_ok));
    }

    #[test]
    fn busy_is_429_with_retry_after() {
        let r = Busy { limit: 3 }.into_response();
        assert_eq!(r.status(), 429);
        assert_eq!(r.headers()[header::RETRY_AFTER], "1");
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
