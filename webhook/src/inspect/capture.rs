//! What the inspector keeps of one request, and the ring of the latest ones.
//!
//! The request path copies what it must into one buffer per request (the
//! path, the query, the header names and values, the body, each cut at its
//! cap) and shares what the pipeline already holds (the webhook definition,
//! by `Arc`). Nothing is formatted here: the views in [`super::view`]
//! rebuild the context, the signature check and the expressions from these
//! bytes when a page asks.
//!
//! Values are copied, not shared, on purpose: hyper's header values and
//! small bodies point into the connection's read buffer, so keeping them
//! would keep that whole buffer, and the cap per entry would mean nothing.

use std::net::SocketAddr;
use std::ops::Range;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use warp::http::{HeaderMap, Method, StatusCode};

use super::Stage;
use crate::error::AppError;
use crate::http::handlers::Inbound;
use crate::inbound::delivery::Delivered;
use crate::sync::lock;
use crate::webhooks::WebhookDefinition;

/// The most body bytes kept per request; a longer body is kept cut, and the
/// views then say what they cannot show.
pub const MAX_BODY: usize = 32 * 1024;
/// The most header bytes (names and values) kept per request.
pub const MAX_HEADER_BYTES: usize = 16 * 1024;
/// The most header fields kept per request.
pub const MAX_HEADER_FIELDS: usize = 256;
/// The most bytes of the path and query string kept per request.
pub const MAX_TARGET: usize = 8 * 1024;
/// The most bytes kept of the webhook id, of an error's reason and of its
/// reply body.
pub const MAX_TEXT: usize = 4 * 1024;

/// The longest signature kept to be checked again (Twilio's are 28 or 44
/// bytes).
const MAX_SIGNATURE: usize = 1024;

/// Headers whose values are never kept in the open: the signature (a replay
/// credential for the request), and credentials a proxy or Twilio's basic
/// authentication may add. A webhook's own signature header is masked too.
pub const MASKED: [&str; 4] = [
    "x-twilio-signature",
    "authorization",
    "proxy-authorization",
    "cookie",
];

/// The latest requests, newest last; a fixed number of slots, each behind its
/// own lock, so requests finishing at once on different threads do not wait
/// for each other (a slot is shared only by requests `capacity` apart). A
/// record moves into its slot without another allocation; readers copy it
/// out.
#[derive(Debug)]
pub struct Inspector {
    slots: Box<[Mutex<Option<Record>>]>,
    /// The number the next request gets (the first is 1).
    next: AtomicU64,
}

impl Inspector {
    /// Keeps the latest `capacity` requests; `None` for 0 (nothing is
    /// captured at all).
    pub fn new(capacity: usize) -> Option<Inspector> {
        (capacity > 0).then(|| Inspector {
            slots: (0..capacity).map(|_| Mutex::new(None)).collect(),
            next: AtomicU64::new(1),
        })
    }

    /// How many requests are kept.
    pub fn capacity(&self) -> usize {
        self.slots.len()
    }

    /// The number of the latest request recorded (0: none yet).
    pub fn latest(&self) -> u64 {
        self.next.load(Ordering::Acquire).saturating_sub(1)
    }

    /// Starts the capture of `request`: copies its path, query and headers
    /// (the body follows with [`Capture::body`]).
    pub fn start<S>(&self, request: &Inbound<S>) -> Capture {
        Capture::new(
            &request.id,
            request.webhook.as_ref(),
            &request.method,
            &request.path,
            request.query.as_deref(),
            &request.headers,
            crate::http::connections::peer(),
        )
    }

    /// Keeps the finished request, pushing out the oldest one when full.
    pub fn record(
        &self,
        capture: Capture,
        status: StatusCode,
        outcome: &'static str,
        elapsed: Duration,
    ) {
        let seq = self.next.fetch_add(1, Ordering::AcqRel);
        let mut record = capture.0;
        record.seq = seq;
        record.status = status.as_u16();
        record.outcome = outcome;
        record.elapsed = elapsed;
        if record.data.capacity() > record.data.len() + 1024 {
            record.data.shrink_to_fit();
        }
        let evicted = {
            let mut slot = lock(&self.slots[self.slot(seq)]);
            // A slower request numbered `capacity` earlier must not
            // overwrite a newer one.
            if slot.as_ref().is_some_and(|kept| kept.seq > seq) {
                None
            } else {
                slot.replace(record)
            }
        };
        // Freed outside the lock.
        drop(evicted);
    }

    fn slot(&self, seq: u64) -> usize {
        (seq % self.slots.len() as u64) as usize
    }

    /// A copy of the request numbered `seq`, while it is kept.
    pub fn get(&self, seq: u64) -> Option<Arc<Record>> {
        if seq == 0 {
            return None;
        }
        lock(&self.slots[self.slot(seq)])
            .as_ref()
            .filter(|r| r.seq == seq)
            .map(|r| Arc::new(r.clone()))
    }

    /// The highest number `n` at or above `after` such that every request
    /// numbered up to `n` is in its slot (or already pushed out): a request
    /// gets its number a moment before it is stored, so a list that stops
    /// at `n`, and a poll that then asks for what came after `n`, miss none.
    /// Below `after` when `after` is past the latest request (a page still
    /// open across a restart of the service, which numbers from 1 again).
    pub fn settled(&self, after: u64) -> u64 {
        let latest = self.latest();
        let first = latest
            .saturating_sub(self.slots.len() as u64)
            .max(after)
            .saturating_add(1);
        for seq in first..=latest {
            let stored = lock(&self.slots[self.slot(seq)])
                .as_ref()
                .is_some_and(|kept| kept.seq >= seq);
            if !stored {
                return seq - 1;
            }
        }
        latest
    }

    /// Calls `f` with every kept request numbered up to `upto`, newest
    /// first, each under its slot's lock (nothing is copied; a request being
    /// stored in the same slot meanwhile waits).
    pub fn visit_newest_first(&self, upto: u64, mut f: impl FnMut(&Record)) {
        let oldest = upto.saturating_sub(self.slots.len() as u64) + 1;
        for seq in (oldest..=upto).rev() {
            if let Some(record) = lock(&self.slots[self.slot(seq)])
                .as_ref()
                .filter(|r| r.seq == seq)
            {
                f(record);
            }
        }
    }

    /// The kept requests numbered above `after`, newest first.
    pub fn newest_first(&self, after: u64) -> Vec<Arc<Record>> {
        let latest = self.latest();
        let oldest = latest
            .saturating_sub(self.slots.len() as u64)
            .max(after)
            .saturating_add(1);
        (oldest..=latest)
            .rev()
            .filter_map(|seq| self.get(seq))
            .collect()
    }
}

/// A byte range in a record's buffer.
type Span = Range<u32>;

/// How a request ended when it failed.
#[derive(Debug, Clone)]
pub struct Failure {
    /// The stage that refused it.
    pub stage: Stage,
    /// The error, with the detail a 5xx body leaves out (cut at
    /// [`MAX_TEXT`]).
    pub reason: String,
    /// The JSON body the caller got (cut at [`MAX_TEXT`]).
    pub body: String,
    /// The expression the error names, if any.
    pub expression: Option<String>,
}

/// One captured request.
#[derive(Clone)]
pub struct Record {
    seq: u64,
    time: SystemTime,
    webhook: Option<Arc<WebhookDefinition>>,
    method: Method,
    client: Option<SocketAddr>,
    /// The id, path, query, headers, signature and body, one after the
    /// other. The headers are lines: `name:value\n`, or `name\x01length\n`
    /// for a masked one (neither a name nor a value can hold `\x01` or
    /// `\n`, nor a name `:`).
    data: Vec<u8>,
    id: Span,
    path: Span,
    query: Option<Span>,
    headers: Span,
    body: Span,
    /// The body's length as received.
    body_len: usize,
    /// Whether the id, target or headers were cut at their caps.
    head_cut: bool,
    /// Which header the signature came from (`x-twilio-signature` or the
    /// webhook's own) and its value in the buffer (never shown: it is only
    /// checked again, to tell which URL variant it matches).
    signature: Option<(SignatureHeader, Span)>,
    /// The furthest stage the request was seen to reach.
    reached: Stage,
    delivered: Option<Delivered>,
    failure: Option<Failure>,
    status: u16,
    outcome: &'static str,
    elapsed: Duration,
}

/// Which header the kept signature came from.
#[derive(Debug, Clone, Copy)]
enum SignatureHeader {
    /// `x-twilio-signature`.
    Twilio,
    /// The webhook's own signature header.
    Own,
}

/// Marks a masked header's line in the buffer.
const MASK: u8 = 0x01;

/// A request being captured; [`Inspector::record`] keeps it.
#[derive(Debug)]
pub struct Capture(Record);

impl std::fmt::Debug for Record {
    /// Never the buffer: it holds the signature.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Record")
            .field("seq", &self.seq)
            .field("id", &self.id())
            .field("method", &self.method)
            .field("path", &self.path())
            .field("status", &self.status)
            .field("outcome", &self.outcome)
            .finish_non_exhaustive()
    }
}

/// Appends `n` in decimal.
fn push_digits(data: &mut Vec<u8>, mut n: usize) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    data.extend_from_slice(&digits[at..]);
}

/// `text` cut to at most `max` bytes, on a character boundary.
pub(crate) fn cut(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// `text` cut to `max` bytes, with `…` when cut.
pub(crate) fn shorten(text: &str, max: usize) -> String {
    let kept = cut(text, max);
    if kept.len() < text.len() {
        format!("{kept}…")
    } else {
        kept.to_owned()
    }
}

/// Appends `bytes` to `data`, returning where they are.
fn push(data: &mut Vec<u8>, bytes: &[u8]) -> Span {
    let start = data.len() as u32;
    data.extend_from_slice(bytes);
    start..data.len() as u32
}

impl Capture {
    fn new(
        id: &str,
        webhook: Option<&Arc<WebhookDefinition>>,
        method: &Method,
        path: &str,
        query: Option<&str>,
        headers: &HeaderMap,
        client: Option<SocketAddr>,
    ) -> Capture {
        let signature_header = webhook.and_then(|w| w.verification.as_ref().map(|v| v.header()));
        let id_kept = cut(id, MAX_TEXT);
        let path_kept = cut(path, MAX_TARGET);
        let query_kept = query.map(|q| cut(q, MAX_TARGET - path_kept.len()));
        let mut head_cut = id_kept.len() < id.len()
            || path_kept.len() < path.len()
            || query_kept.map(str::len) != query.map(str::len);
        let header_bytes: usize = headers
            .iter()
            .map(|(n, v)| n.as_str().len() + v.len())
            .sum();
        let declared_body = headers
            .get(warp::http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<usize>().ok())
            .unwrap_or(0);
        let mut data = Vec::with_capacity(
            id_kept.len()
                + path_kept.len()
                + query_kept.map_or(0, str::len)
                + header_bytes.min(MAX_HEADER_BYTES)
                + 4 * headers.len().min(MAX_HEADER_FIELDS)
                + declared_body.min(MAX_BODY),
        );
        let id = push(&mut data, id_kept.as_bytes());
        let path = push(&mut data, path_kept.as_bytes());
        let query = query_kept.map(|q| push(&mut data, q.as_bytes()));
        let headers_start = data.len() as u32;
        let mut signature = None;
        let mut kept = 0;
        for (count, (name, value)) in headers.iter().enumerate() {
            let name = name.as_str();
            let own = signature_header == Some(name);
            let shown = !(own || MASKED.contains(&name));
            let size = name.len() + if shown { value.len() } else { 0 };
            if count == MAX_HEADER_FIELDS || kept + size > MAX_HEADER_BYTES {
                head_cut = true;
                break;
            }
            kept += size;
            data.extend_from_slice(name.as_bytes());
            if shown {
                data.push(b':');
                data.extend_from_slice(value.as_bytes());
            } else {
                data.push(MASK);
                push_digits(&mut data, value.len());
                if signature.is_none()
                    && (own || name == "x-twilio-signature")
                    && value.len() <= MAX_SIGNATURE
                {
                    let which = if own {
                        SignatureHeader::Own
                    } else {
                        SignatureHeader::Twilio
                    };
                    signature = Some((which, value.as_bytes()));
                }
            }
            data.push(b'\n');
        }
        let headers_span = headers_start..data.len() as u32;
        let signature = signature.map(|(which, value)| (which, push(&mut data, value)));
        let end = data.len() as u32;
        Capture(Record {
            seq: 0,
            time: SystemTime::now(),
            webhook: webhook.cloned(),
            method: method.clone(),
            client,
            data,
            id,
            path,
            query,
            headers: headers_span,
            body: end..end,
            body_len: 0,
            head_cut,
            signature,
            reached: Stage::Body,
            delivered: None,
            failure: None,
            status: 0,
            outcome: "",
            elapsed: Duration::ZERO,
        })
    }

    /// The body was read (within the body limit): its first [`MAX_BODY`]
    /// bytes are kept.
    pub fn body(&mut self, body: &[u8]) {
        let record = &mut self.0;
        record.body = push(&mut record.data, &body[..body.len().min(MAX_BODY)]);
        record.body_len = body.len();
        record.reached = Stage::Signature;
    }

    /// The signature checked out (or none was asked for).
    pub fn verified(&mut self) {
        self.0.reached = Stage::Context;
    }

    /// The command was delivered (or queued, or found to be a duplicate).
    pub fn delivered(&mut self, delivered: &Delivered) {
        self.0.delivered = Some(delivered.clone());
        self.0.reached = Stage::Reply;
    }

    /// The request failed with `error`.
    pub fn failed(&mut self, error: &AppError) {
        let stage = Stage::of_error(error, self.0.reached);
        let expression = match error {
            AppError::InvalidInput {
                expression: Some(e),
                ..
            } => Some(cut(e, MAX_TEXT).to_owned()),
            _ => None,
        };
        self.0.failure = Some(Failure {
            stage,
            reason: cut(&error.to_string(), MAX_TEXT).to_owned(),
            body: cut(&error.body().to_string(), MAX_TEXT).to_owned(),
            expression,
        });
    }
}

/// A kept header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeaderValue<'r> {
    /// Its bytes.
    Shown(&'r [u8]),
    /// Masked: only its length is kept.
    Masked(usize),
}

impl Record {
    /// Its number: 1 for the first request the inspector saw.
    pub fn seq(&self) -> u64 {
        self.seq
    }

    /// When it arrived.
    pub fn time(&self) -> SystemTime {
        self.time
    }

    /// The webhook it was for, as it was then (`None`: no such id).
    pub fn webhook(&self) -> Option<&Arc<WebhookDefinition>> {
        self.webhook.as_ref()
    }

    /// The method.
    pub fn method(&self) -> &Method {
        &self.method
    }

    /// The client's address, when the request came over a connection.
    pub fn client(&self) -> Option<SocketAddr> {
        self.client
    }

    fn text(&self, span: &Span) -> &str {
        let bytes = &self.data[span.start as usize..span.end as usize];
        // Kept from `&str`s cut on character boundaries.
        std::str::from_utf8(bytes).unwrap_or_default()
    }

    /// The webhook id from the path.
    pub fn id(&self) -> &str {
        self.text(&self.id)
    }

    /// The path.
    pub fn path(&self) -> &str {
        self.text(&self.path)
    }

    /// The raw query string, if any.
    pub fn query(&self) -> Option<&str> {
        self.query.as_ref().map(|q| self.text(q))
    }

    /// The headers in the order received.
    pub fn headers(&self) -> impl Iterator<Item = (&str, HeaderValue<'_>)> {
        let lines = &self.data[self.headers.start as usize..self.headers.end as usize];
        lines
            .split(|b| *b == b'\n')
            .filter(|line| !line.is_empty())
            .map(|line| {
                // The name is a token: ASCII, without `:` or the mask byte.
                let at = line
                    .iter()
                    .position(|b| *b == b':' || *b == MASK)
                    .unwrap_or(line.len());
                let name = std::str::from_utf8(&line[..at]).unwrap_or_default();
                let value = match line.get(at) {
                    Some(&MASK) => HeaderValue::Masked(
                        std::str::from_utf8(&line[at + 1..])
                            .ok()
                            .and_then(|n| n.parse().ok())
                            .unwrap_or(0),
                    ),
                    _ => HeaderValue::Shown(line.get(at + 1..).unwrap_or_default()),
                };
                (name, value)
            })
    }

    /// The first value of header `name` (lower case), if shown.
    pub fn header(&self, name: &str) -> Option<&[u8]> {
        self.headers().find_map(|(n, v)| match v {
            HeaderValue::Shown(bytes) if n == name => Some(bytes),
            _ => None,
        })
    }

    /// The body as kept (cut at [`MAX_BODY`]).
    pub fn body(&self) -> &[u8] {
        &self.data[self.body.start as usize..self.body.end as usize]
    }

    /// The body's length as received.
    pub fn body_len(&self) -> usize {
        self.body_len
    }

    /// Whether everything the pipeline read was kept whole, so the views can
    /// rebuild the context, the signature check and the expressions.
    pub fn complete(&self) -> bool {
        !self.head_cut && self.body.len() == self.body_len
    }

    /// The signature header's name and value, for checking again only.
    pub(crate) fn signature(&self) -> Option<(&str, &str)> {
        let (which, span) = self.signature.as_ref()?;
        let value = std::str::from_utf8(&self.data[span.start as usize..span.end as usize])
            .unwrap_or_default();
        let name = match which {
            SignatureHeader::Twilio => "x-twilio-signature",
            SignatureHeader::Own => self
                .webhook
                .as_ref()
                .and_then(|w| w.verification.as_ref())
                .map_or("", |v| v.header()),
        };
        Some((name, value))
    }

    /// The furthest stage the request reached (the failing one when it
    /// failed).
    pub fn stage(&self) -> Stage {
        match &self.failure {
            Some(f) => f.stage,
            None if self.outcome == "not_activated_consumed" => Stage::Activation,
            None => Stage::Done,
        }
    }

    /// How it failed, if it did.
    pub fn failure(&self) -> Option<&Failure> {
        self.failure.as_ref()
    }

    /// What became of the command, once delivered.
    pub fn delivered(&self) -> Option<&Delivered> {
        self.delivered.as_ref()
    }

    /// Whether the body was read (a request refused for its id, method or
    /// size never was).
    pub fn body_read(&self) -> bool {
        self.reached >= Stage::Signature
    }

    /// Whether the request got past its signature check.
    pub fn verified(&self) -> bool {
        self.reached >= Stage::Context
    }

    /// The status answered.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The outcome label the metrics counted it under.
    pub fn outcome(&self) -> &'static str {
        self.outcome
    }

    /// How long it took to answer.
    pub fn elapsed(&self) -> Duration {
        self.elapsed
    }

    /// The heap bytes this record holds itself (the webhook definition is
    /// shared with the registry and not counted).
    pub fn retained_bytes(&self) -> usize {
        let failure = self.failure.as_ref().map_or(0, |f| {
            f.reason.capacity()
                + f.body.capacity()
                + f.expression.as_ref().map_or(0, String::capacity)
        });
        std::mem::size_of::<Record>() + self.data.capacity() + failure
    }
}

#[cfg(test)]
#[path = "capture_tests.rs"]
mod tests;
