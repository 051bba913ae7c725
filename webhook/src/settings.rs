//! The service's settings: plain data, filled from the command line by the
//! binary (or by hand by tests and embedders), read by every other module.
//!
//! Every default is defined here once, as a constant the command line uses
//! for its `--help` and [`Settings::default`] uses for the library.
//!
//! Webhook *definitions* (what each `/inbound/<id>` does) are not settings:
//! they come from BPMN and TOML files, see [`crate::webhooks`].

use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::path::PathBuf;
use std::time::Duration;

/// The default listen address.
pub const DEFAULT_LISTEN: SocketAddr = SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::LOCALHOST, 8080));
/// The default request body limit (1 MiB).
pub const DEFAULT_BODY_LIMIT: usize = 1024 * 1024;
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
/// The default of [`Limits::in_flight_wait`], in milliseconds: well inside
/// the 15 s Twilio waits for an answer.
pub const DEFAULT_IN_FLIGHT_WAIT_MS: u64 = 5_000;
/// The default of [`Limits::max_connections`]: derived from the limit on
/// open files.
pub const DEFAULT_MAX_CONNECTIONS: usize = 0;
/// The default number of connection worker threads (`0`: one per CPU core).
pub const DEFAULT_WORKERS: usize = 0;
/// The default of [`Sources::reload_interval`], in milliseconds.
pub const DEFAULT_RELOAD_INTERVAL_MS: u64 = 2000;
/// The default of [`Sources::discovery_interval`], in milliseconds (Camunda's).
pub const DEFAULT_DISCOVERY_INTERVAL_MS: u64 = 5000;
/// The default of [`Delivery::dispatch_timeout`], in milliseconds.
pub const DEFAULT_DISPATCH_TIMEOUT_MS: u64 = 10_000;
/// The default outbox store file (an append-only log), relative to the
/// working directory.
pub const DEFAULT_OUTBOX_PATH: &str = "./webhook-outbox.log";
/// The default journal file (the embedded stand-in for Zeebe).
pub const DEFAULT_JOURNAL_PATH: &str = "./webhook-journal.jsonl";
/// The default of [`Settings::inspect_capacity`].
pub const DEFAULT_INSPECT_CAPACITY: usize = 200;
/// The most requests the inspector keeps: each may hold about 60 KiB at its
/// caps, so this bounds it near 600 MB (a few MB for ordinary SMS forms).
pub const MAX_INSPECT_CAPACITY: usize = 10_000;
/// The default of [`OutboxSettings::retry_base`], in milliseconds.
pub const DEFAULT_RETRY_BASE_MS: u64 = 200;
/// The default of [`OutboxSettings::retry_max`], in milliseconds.
pub const DEFAULT_RETRY_MAX_MS: u64 = 60_000;
/// The default of [`OutboxSettings::dedup_window`], in seconds (24 h).
pub const DEFAULT_DEDUP_WINDOW_SECS: u64 = 24 * 3600;
/// The default of [`OutboxSettings::degraded_after`], in seconds.
pub const DEFAULT_DEGRADED_AFTER_SECS: u64 = 30;
/// The default of [`OutboxSettings::concurrency`].
pub const DEFAULT_DELIVERY_CONCURRENCY: usize = 16;
/// The default prefix of the environment variables holding secrets.
pub const DEFAULT_SECRET_PREFIX: &str = "SECRET_";
/// Fuel for one FEEL evaluation: generous for real expressions, bounded for
/// hostile ones.
pub const DEFAULT_FEEL_FUEL: u64 = 100_000;
/// Nesting depth for FEEL parsing and evaluation.
pub const DEFAULT_FEEL_MAX_DEPTH: usize = 64;
/// Bytes of values one FEEL evaluation may build (8 MiB): eight times the
/// default body limit, for expressions that copy or transform the body, and
/// with every in-flight request of every webhook at its budget
/// ([`DEFAULT_MAX_IN_FLIGHT`] per webhook), half a gigabyte for a webhook,
/// where one request could take 880 MB before.
pub const DEFAULT_FEEL_MEMORY: u64 = 8 * 1024 * 1024;

/// Everything the service runs with.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// Where the webhook definitions come from.
    pub sources: Sources,
    /// The address of the public listener (`/inbound/<id>`, `/health`,
    /// `/metrics`); port 0 picks a free one.
    pub listen: SocketAddr,
    /// The loopback address of the admin endpoint (`POST /outbox`, the
    /// request inspector at `GET /inspect`), if any.
    pub admin_listen: Option<SocketAddr>,
    /// A bearer token the admin endpoint requires, if any.
    pub admin_token: Option<crate::secret::Secret>,
    /// How many of the latest `/inbound` requests the request inspector
    /// (`GET /inspect` on the admin endpoint) keeps in memory; `0` turns it
    /// off; at most [`MAX_INSPECT_CAPACITY`] are kept. [`crate::Service`]
    /// keeps none without an admin endpoint, since nothing could show them.
    pub inspect_capacity: usize,
    /// Threads serving connections, each with its own single-threaded
    /// runtime (see [`crate::http::workers`]); `0`: one per CPU core.
    pub workers: usize,
    /// How one request is read, verified and answered.
    pub requests: RequestSettings,
    /// Connection- and request-level limits.
    pub limits: Limits,
    /// Limits of every FEEL evaluation.
    pub feel: FeelLimits,
    /// How accepted events reach Zeebe.
    pub delivery: Delivery,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            sources: Sources::default(),
            listen: DEFAULT_LISTEN,
            admin_listen: None,
            admin_token: None,
            inspect_capacity: DEFAULT_INSPECT_CAPACITY,
            workers: DEFAULT_WORKERS,
            requests: RequestSettings::default(),
            limits: Limits::default(),
            feel: FeelLimits::default(),
            delivery: Delivery::default(),
        }
    }
}

/// Where webhook definitions come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sources {
    /// BPMN files or directories of them (directories are watched).
    pub bpmn: Vec<PathBuf>,
    /// A TOML file defining webhooks without BPMN.
    pub toml: Option<PathBuf>,
    /// How often directories are checked for changes; `None` disables reloads.
    pub reload_interval: Option<Duration>,
    /// The tenant of webhooks defined in files, unless a file says otherwise
    /// (deployed webhooks take their definition's tenant).
    pub tenant_id: Option<String>,
    /// Read webhooks from the process definitions deployed to the cluster
    /// too (its REST API address is in the Zeebe settings).
    pub from_cluster: bool,
    /// How often the cluster is polled (a fixed delay between polls).
    pub discovery_interval: Duration,
    /// `{{secrets.NAME}}` reads the environment variable `<prefix>NAME`.
    pub secret_prefix: String,
}

impl Default for Sources {
    fn default() -> Self {
        Sources {
            bpmn: Vec::new(),
            toml: None,
            reload_interval: Some(Duration::from_millis(DEFAULT_RELOAD_INTERVAL_MS)),
            tenant_id: None,
            from_cluster: false,
            discovery_interval: Duration::from_millis(DEFAULT_DISCOVERY_INTERVAL_MS),
            secret_prefix: DEFAULT_SECRET_PREFIX.to_owned(),
        }
    }
}

impl Sources {
    /// Every root: the BPMN files and directories, then the TOML file.
    pub fn roots(&self) -> Vec<PathBuf> {
        let mut roots = self.bpmn.clone();
        roots.extend(self.toml.clone());
        roots
    }
}

/// How one request is read, verified and answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestSettings {
    /// The public base URL Twilio calls (`https://hooks.example.com`), used to
    /// rebuild the signed URL; the request path and query are appended.
    pub public_url: Option<String>,
    /// Rebuild the public URL from `Forwarded` / `X-Forwarded-*` headers.
    pub trust_forwarded_headers: bool,
    /// Answer successes with Camunda's empty 200 instead of `<Response/>`.
    pub camunda_compatible_responses: bool,
    /// The largest accepted body, in bytes.
    pub body_limit: usize,
}

impl Default for RequestSettings {
    fn default() -> Self {
        RequestSettings {
            public_url: None,
            trust_forwarded_headers: false,
            camunda_compatible_responses: false,
            body_limit: DEFAULT_BODY_LIMIT,
        }
    }
}

/// Connection- and request-level limits (the defaults suit Twilio traffic).
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
    /// Requests one webhook processes at once (past their signature check);
    /// more wait for a slot (0: no limit).
    pub max_in_flight: usize,
    /// How long a request waits for a slot of its webhook before it gets a
    /// 429. Twilio does not retry a 429 by default (only failed
    /// connections), so a burst waits rather than loses its messages.
    pub in_flight_wait: Duration,
    /// Client connections open at once; at the cap the oldest connection
    /// not processing a request is closed for a new one (0: the limit on
    /// open files less a reserve, see [`crate::http::connections`]).
    pub max_connections: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_headers: DEFAULT_MAX_HEADERS,
            max_header_bytes: DEFAULT_MAX_HEADER_BYTES,
            header_read_timeout: Duration::from_millis(DEFAULT_HEADER_READ_TIMEOUT_MS),
            body_read_timeout: Duration::from_millis(DEFAULT_BODY_READ_TIMEOUT_MS),
            max_in_flight: DEFAULT_MAX_IN_FLIGHT,
            in_flight_wait: Duration::from_millis(DEFAULT_IN_FLIGHT_WAIT_MS),
            max_connections: DEFAULT_MAX_CONNECTIONS,
        }
    }
}

/// The limits every FEEL expression of the service is compiled and run with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FeelLimits {
    /// Evaluation steps per evaluation.
    pub fuel: u64,
    /// Nesting depth for parsing and evaluation.
    pub max_depth: usize,
    /// Bytes of values one evaluation may build (`feel::EngineBuilder::memory_budget`).
    pub memory: u64,
}

impl Default for FeelLimits {
    fn default() -> Self {
        FeelLimits {
            fuel: DEFAULT_FEEL_FUEL,
            max_depth: DEFAULT_FEEL_MAX_DEPTH,
            memory: DEFAULT_FEEL_MEMORY,
        }
    }
}

impl FeelLimits {
    /// The FEEL engine with these limits, in Camunda's dialect: the
    /// expressions come from Camunda models (`feel::Dialect` lists where it
    /// differs from the standard).
    pub fn engine(&self) -> feel::Engine {
        feel::Engine::builder()
            .fuel(self.fuel)
            .max_depth(self.max_depth)
            .memory_budget(Some(self.memory))
            .dialect(feel::Dialect::Camunda)
            .build()
    }
}

/// When an accepted event is sent to Zeebe (with an outbox).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DispatchMode {
    /// Commit the event to the outbox and answer; the worker delivers it.
    #[default]
    Outbox,
    /// Camunda's behaviour: send inline and answer with Zeebe's result, but
    /// queue the event in the outbox (and answer 2xx) when Zeebe is
    /// unreachable or pushing back, or when an earlier event for the same
    /// correlation key is still queued.
    Sync,
}

/// How accepted events reach Zeebe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// The durable outbox store; `None` runs without one: every event is
    /// sent inline, unqueued and without deduplication (Camunda's behaviour).
    pub outbox_path: Option<PathBuf>,
    /// Retries, deduplication window and health of the outbox.
    pub outbox: OutboxSettings,
    /// When accepted events are sent (with an outbox).
    pub mode: DispatchMode,
    /// A FEEL expression giving the deduplication key beside the
    /// `I-Twilio-Idempotency-Token` header (with an outbox); `None`:
    /// `request.body.MessageSid` when present.
    pub dedup_key: Option<String>,
    /// How long an inline dispatch may take before the caller gets 504 (or,
    /// with `--dispatch sync`, the event is queued).
    pub dispatch_timeout: Duration,
    /// The Zeebe gateway addresses given as flags (the environment is read
    /// too, see [`crate::zeebe::ZeebeSettings`]).
    pub zeebe: crate::zeebe::ZeebeAddresses,
    /// The journal file standing in for Zeebe when none is configured.
    pub journal: PathBuf,
}

impl Default for Delivery {
    fn default() -> Self {
        Delivery {
            outbox_path: Some(PathBuf::from(DEFAULT_OUTBOX_PATH)),
            outbox: OutboxSettings::default(),
            mode: DispatchMode::default(),
            dedup_key: None,
            dispatch_timeout: Duration::from_millis(DEFAULT_DISPATCH_TIMEOUT_MS),
            zeebe: crate::zeebe::ZeebeAddresses::default(),
            journal: PathBuf::from(DEFAULT_JOURNAL_PATH),
        }
    }
}

/// Tuning for delivery, deduplication and health of the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxSettings {
    /// The first retry delay; doubled per attempt.
    pub retry_base: Duration,
    /// The longest retry delay.
    pub retry_max: Duration,
    /// How long a deduplication key is remembered (Twilio retries within
    /// 15 s by default; the default is 24 h).
    pub dedup_window: Duration,
    /// `/health` says `degraded` once Zeebe has been unreachable this long.
    pub degraded_after: Duration,
    /// How many deliveries run at once (distinct order keys).
    pub concurrency: usize,
    /// Start with a new, empty store when the file is not a readable outbox
    /// (empty, foreign, damaged), renaming it aside; without it such a file
    /// stops the start with an error.
    pub new_store: bool,
}

impl Default for OutboxSettings {
    fn default() -> Self {
        OutboxSettings {
            retry_base: Duration::from_millis(DEFAULT_RETRY_BASE_MS),
            retry_max: Duration::from_millis(DEFAULT_RETRY_MAX_MS),
            dedup_window: Duration::from_secs(DEFAULT_DEDUP_WINDOW_SECS),
            degraded_after: Duration::from_secs(DEFAULT_DEGRADED_AFTER_SECS),
            concurrency: DEFAULT_DELIVERY_CONCURRENCY,
            new_store: false,
        }
    }
}
