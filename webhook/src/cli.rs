//! The command line of the `webhook` binary (a module of `main.rs`, not of
//! the library): flags, their environment variables and their defaults (the
//! constants of [`webhook::settings`]), and how they become [`Settings`].

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

use webhook::outbox::EntryState;
use webhook::settings::{self as s, DispatchMode, OutboxSettings, Settings};

/// Twilio webhooks into Camunda 8 process events.
#[derive(Debug, Parser)]
#[command(name = "webhook", version, args_conflicts_with_subcommands = true)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Option<Command>,
    #[command(flatten)]
    pub(crate) serve: ServeArgs,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Serve the webhooks (the default).
    Serve(Box<ServeArgs>),
    /// Print the X-Twilio-Signature Twilio would send for a request.
    Sign(SignArgs),
    /// List the webhooks BPMN files define; exit non-zero on any error.
    Check(CheckArgs),
    /// Inspect and repair the outbox (directly, or through a running service's admin endpoint).
    Outbox(OutboxArgs),
}

#[derive(Debug, Args)]
pub(crate) struct OutboxArgs {
    /// The store, when the service is stopped.
    #[arg(long, env = "WEBHOOK_OUTBOX", default_value = s::DEFAULT_OUTBOX_PATH)]
    pub(crate) outbox: PathBuf,
    /// The running service's --admin-listen address (e.g. 127.0.0.1:8081).
    #[arg(long, value_name = "ADDR")]
    pub(crate) admin: Option<SocketAddr>,
    /// The running service's --admin-token.
    #[arg(
        long,
        env = "WEBHOOK_ADMIN_TOKEN",
        value_name = "TOKEN",
        hide_env_values = true
    )]
    pub(crate) admin_token: Option<String>,
    #[command(subcommand)]
    pub(crate) op: OutboxOp,
}

#[derive(Debug, Subcommand)]
pub(crate) enum OutboxOp {
    /// List entries, oldest first.
    List {
        /// Which entries.
        #[arg(long, value_enum, default_value = "pending")]
        state: StateArg,
        /// At most this many.
        #[arg(long, default_value_t = 100)]
        limit: usize,
    },
    /// Print one entry as JSON.
    Show {
        /// Its id.
        id: u64,
    },
    /// Move dead entries back to pending.
    Retry {
        /// The ids.
        #[arg(required_unless_present = "all_dead", conflicts_with = "all_dead")]
        ids: Vec<u64>,
        /// Every dead entry.
        #[arg(long)]
        all_dead: bool,
    },
    /// Copy every readable event of a damaged store (the --outbox file,
    /// service stopped) into a new store at TO, skipping what cannot be read;
    /// then start the service with --outbox TO.
    Salvage {
        /// The new store (must not exist).
        to: PathBuf,
    },
    /// Delete delivered and/or dead entries (pending ones are never purged).
    #[command(group = clap::ArgGroup::new("which").required(true).multiple(true))]
    Purge {
        /// Delivered entries.
        #[arg(long, group = "which")]
        delivered: bool,
        /// Dead entries.
        #[arg(long, group = "which")]
        dead: bool,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum StateArg {
    Pending,
    Delivered,
    Dead,
}

impl From<StateArg> for EntryState {
    fn from(state: StateArg) -> EntryState {
        match state {
            StateArg::Pending => EntryState::Pending,
            StateArg::Delivered => EntryState::Delivered,
            StateArg::Dead => EntryState::Dead,
        }
    }
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum DispatchArg {
    /// Answer once the event is committed to the outbox; a worker delivers it.
    Outbox,
    /// Send inline and answer with Zeebe's result (Camunda's behaviour);
    /// queue in the outbox when Zeebe is unreachable or pushing back.
    Sync,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Args)]
pub(crate) struct ServeArgs {
    /// A BPMN file or a directory of them (watched for changes); repeatable.
    #[arg(long, value_name = "PATH")]
    bpmn: Vec<PathBuf>,
    /// A TOML file defining webhooks without BPMN.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Also serve the webhooks of the process definitions deployed to the cluster (polled through its REST API).
    #[arg(long, env = "WEBHOOK_FROM_CLUSTER")]
    from_cluster: bool,
    /// How often the cluster is polled for deployed webhooks, in milliseconds.
    #[arg(long, env = "WEBHOOK_DISCOVERY_INTERVAL_MS", default_value_t = s::DEFAULT_DISCOVERY_INTERVAL_MS, value_parser = clap::value_parser!(u64).range(1..))]
    discovery_interval_ms: u64,
    /// The tenant of webhooks defined in files (deployed ones take their definition's tenant).
    #[arg(long, env = "WEBHOOK_TENANT_ID")]
    tenant_id: Option<String>,
    /// `{{secrets.NAME}}` reads the environment variable <PREFIX>NAME.
    #[arg(long, env = "WEBHOOK_SECRET_PREFIX", default_value = s::DEFAULT_SECRET_PREFIX)]
    secret_prefix: String,
    /// The address to listen on.
    #[arg(long, env = "WEBHOOK_LISTEN", default_value_t = s::DEFAULT_LISTEN)]
    listen: SocketAddr,
    /// The public base URL Twilio calls (e.g. https://hooks.example.com); signatures are checked against it.
    #[arg(long, env = "WEBHOOK_PUBLIC_URL")]
    public_url: Option<String>,
    /// Rebuild the public URL from Forwarded / X-Forwarded-* headers (only behind a proxy you trust).
    #[arg(long, env = "WEBHOOK_TRUST_FORWARDED_HEADERS")]
    trust_forwarded_headers: bool,
    /// Answer successes with Camunda's empty 200 instead of TwiML <Response/>.
    #[arg(long)]
    camunda_compatible_responses: bool,
    /// The largest request body accepted, in bytes (413 above).
    #[arg(long, default_value_t = s::DEFAULT_BODY_LIMIT)]
    body_limit: usize,
    /// The most header fields one request may carry (431 above).
    #[arg(long, env = "WEBHOOK_MAX_HEADERS", default_value_t = s::DEFAULT_MAX_HEADERS)]
    max_headers: usize,
    /// The most bytes the request line and headers may take together (431 above).
    #[arg(long, env = "WEBHOOK_MAX_HEADER_BYTES", default_value_t = s::DEFAULT_MAX_HEADER_BYTES)]
    max_header_bytes: usize,
    /// How long a client may take to send the headers, in milliseconds (then the connection is closed).
    #[arg(long, env = "WEBHOOK_HEADER_READ_TIMEOUT_MS", default_value_t = s::DEFAULT_HEADER_READ_TIMEOUT_MS)]
    header_read_timeout_ms: u64,
    /// How long a client may take to send the body after the headers, in milliseconds (400 after).
    #[arg(long, env = "WEBHOOK_BODY_READ_TIMEOUT_MS", default_value_t = s::DEFAULT_BODY_READ_TIMEOUT_MS)]
    body_read_timeout_ms: u64,
    /// Requests one webhook processes at once (past the signature check); more wait for a slot (0: no limit).
    #[arg(long, env = "WEBHOOK_MAX_IN_FLIGHT", default_value_t = s::DEFAULT_MAX_IN_FLIGHT)]
    max_in_flight: usize,
    /// How long a request over --max-in-flight waits for a slot, in milliseconds (then 429 with Retry-After).
    #[arg(long, env = "WEBHOOK_IN_FLIGHT_WAIT_MS", default_value_t = s::DEFAULT_IN_FLIGHT_WAIT_MS)]
    in_flight_wait_ms: u64,
    /// Client connections open at once; at the cap the oldest one not processing a request makes room (0: the open-files limit less a reserve).
    #[arg(long, env = "WEBHOOK_MAX_CONNECTIONS", default_value_t = s::DEFAULT_MAX_CONNECTIONS)]
    max_connections: usize,
    /// Bytes of values one FEEL evaluation may build; past it the evaluation stops (a 422 for that request).
    #[arg(long, env = "WEBHOOK_FEEL_MEMORY", default_value_t = s::DEFAULT_FEEL_MEMORY)]
    feel_memory: u64,
    /// Steps one FEEL evaluation may take; past them it stops (a 422 for that request).
    #[arg(long, env = "WEBHOOK_FEEL_FUEL", default_value_t = s::DEFAULT_FEEL_FUEL,
          value_parser = clap::value_parser!(u64).range(1..))]
    feel_fuel: u64,
    /// Threads serving connections, each with its own single-threaded runtime (0: one per CPU core).
    #[arg(long, env = "WEBHOOK_WORKERS", default_value_t = s::DEFAULT_WORKERS)]
    workers: usize,
    /// The Zeebe gRPC gateway (also ZEEBE_GRPC_ADDRESS / ZEEBE_ADDRESS / CAMUNDA_CLIENT_GRPCADDRESS).
    #[arg(long)]
    zeebe_address: Option<String>,
    /// The Camunda REST API (also ZEEBE_REST_ADDRESS / CAMUNDA_CLIENT_RESTADDRESS); --from-cluster reads it.
    #[arg(long)]
    zeebe_rest_address: Option<String>,
    /// The embedded journal used when no Zeebe is configured.
    #[arg(long, env = "WEBHOOK_JOURNAL", default_value = s::DEFAULT_JOURNAL_PATH)]
    journal: PathBuf,
    /// The durable outbox (an append-only log file) holding accepted events until delivered.
    #[arg(long, env = "WEBHOOK_OUTBOX", default_value = s::DEFAULT_OUTBOX_PATH)]
    outbox: PathBuf,
    /// If the --outbox file is not a readable outbox (empty, another kind of
    /// file, damaged), rename it aside and start with a new, empty store
    /// instead of refusing to start. A readable store is opened as usual.
    #[arg(long, env = "WEBHOOK_NEW_STORE")]
    new_store: bool,
    /// When accepted events are sent to Zeebe.
    #[arg(long, env = "WEBHOOK_DISPATCH", value_enum, default_value = "outbox")]
    dispatch: DispatchArg,
    /// Run without the durable outbox: every event is sent inline and the
    /// caller gets Zeebe's answer, as in Camunda. An event that Zeebe can't
    /// take is answered with an error and not kept (for measurements and
    /// setups that accept that).
    #[arg(long, env = "WEBHOOK_NO_OUTBOX", conflicts_with_all = ["dispatch"])]
    no_outbox: bool,
    /// A FEEL expression giving the deduplication key (default: request.body.MessageSid).
    #[arg(long, value_name = "FEEL")]
    dedup_key: Option<String>,
    /// How long deduplication keys are remembered, in seconds.
    #[arg(long, default_value_t = s::DEFAULT_DEDUP_WINDOW_SECS)]
    dedup_window_secs: u64,
    /// The first retry delay of a failed delivery, in milliseconds (doubled per attempt).
    #[arg(long, default_value_t = s::DEFAULT_RETRY_BASE_MS)]
    retry_base_ms: u64,
    /// The longest retry delay, in milliseconds.
    #[arg(long, default_value_t = s::DEFAULT_RETRY_MAX_MS)]
    retry_max_ms: u64,
    /// /health reports "degraded" once Zeebe has been unreachable this long, in seconds.
    #[arg(long, default_value_t = s::DEFAULT_DEGRADED_AFTER_SECS)]
    degraded_after_secs: u64,
    /// Serve the admin endpoint (POST /outbox for `webhook outbox --admin`, and the request inspector at GET /inspect) on this loopback address.
    #[arg(long, env = "WEBHOOK_ADMIN_LISTEN", value_name = "ADDR")]
    admin_listen: Option<SocketAddr>,
    /// A bearer token the admin endpoint requires (`webhook outbox --admin` sends it from WEBHOOK_ADMIN_TOKEN).
    #[arg(
        long,
        env = "WEBHOOK_ADMIN_TOKEN",
        value_name = "TOKEN",
        hide_env_values = true
    )]
    admin_token: Option<String>,
    /// How many of the latest requests the inspector (GET /inspect on --admin-listen) keeps in memory (0: none; at most 10000).
    #[arg(
        long,
        env = "WEBHOOK_INSPECT_CAPACITY",
        default_value_t = s::DEFAULT_INSPECT_CAPACITY,
        value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(0..=s::MAX_INSPECT_CAPACITY as u64)
    )]
    inspect_capacity: usize,
    /// How often watched files are checked, in milliseconds (0: never).
    #[arg(long, default_value_t = s::DEFAULT_RELOAD_INTERVAL_MS)]
    reload_interval_ms: u64,
    /// How long Zeebe may take to answer, in milliseconds (504 after).
    #[arg(long, default_value_t = s::DEFAULT_DISPATCH_TIMEOUT_MS)]
    dispatch_timeout_ms: u64,
    /// Log format.
    #[arg(long, env = "WEBHOOK_LOG_FORMAT", value_enum, default_value = "text")]
    pub(crate) log_format: LogFormat,
}

impl ServeArgs {
    pub(crate) fn into_settings(self) -> Settings {
        let defaults = Settings::default();
        Settings {
            sources: s::Sources {
                bpmn: self.bpmn,
                toml: self.config,
                reload_interval: (self.reload_interval_ms > 0)
                    .then(|| Duration::from_millis(self.reload_interval_ms)),
                tenant_id: self.tenant_id,
                from_cluster: self.from_cluster,
                discovery_interval: Duration::from_millis(self.discovery_interval_ms),
                secret_prefix: self.secret_prefix,
            },
            listen: self.listen,
            admin_listen: self.admin_listen,
            admin_token: self.admin_token.map(webhook::secret::Secret::new),
            inspect_capacity: self.inspect_capacity,
            workers: self.workers,
            requests: s::RequestSettings {
                public_url: self.public_url,
                trust_forwarded_headers: self.trust_forwarded_headers,
                camunda_compatible_responses: self.camunda_compatible_responses,
                body_limit: self.body_limit,
            },
            limits: s::Limits {
                max_headers: self.max_headers,
                max_header_bytes: self.max_header_bytes,
                header_read_timeout: Duration::from_millis(self.header_read_timeout_ms),
                body_read_timeout: Duration::from_millis(self.body_read_timeout_ms),
                max_in_flight: self.max_in_flight,
                in_flight_wait: Duration::from_millis(self.in_flight_wait_ms),
                max_connections: self.max_connections,
            },
            feel: s::FeelLimits {
                memory: self.feel_memory,
                fuel: self.feel_fuel,
                ..defaults.feel
            },
            delivery: s::Delivery {
                outbox_path: (!self.no_outbox).then_some(self.outbox),
                outbox: OutboxSettings {
                    retry_base: Duration::from_millis(self.retry_base_ms),
                    retry_max: Duration::from_millis(self.retry_max_ms),
                    dedup_window: Duration::from_secs(self.dedup_window_secs),
                    degraded_after: Duration::from_secs(self.degraded_after_secs),
                    new_store: self.new_store,
                    ..defaults.delivery.outbox
                },
                mode: match self.dispatch {
                    DispatchArg::Outbox => DispatchMode::Outbox,
                    DispatchArg::Sync => DispatchMode::Sync,
                },
                dedup_key: self.dedup_key,
                dispatch_timeout: Duration::from_millis(self.dispatch_timeout_ms),
                zeebe: webhook::zeebe::ZeebeAddresses {
                    grpc: self.zeebe_address,
                    rest: self.zeebe_rest_address,
                },
                journal: self.journal,
            },
        }
    }
}

#[derive(Debug, Args)]
pub(crate) struct SignArgs {
    /// The Auth Token.
    #[arg(long)]
    pub(crate) token: String,
    /// The full URL Twilio calls (with its query string).
    #[arg(long)]
    pub(crate) url: String,
    /// A form parameter `name=value` (repeatable).
    #[arg(long = "form", value_name = "NAME=VALUE", conflicts_with = "json", value_parser = name_value)]
    pub(crate) form: Vec<(String, String)>,
    /// A JSON body (bodySHA256 is added to the URL).
    #[arg(long)]
    pub(crate) json: Option<String>,
    /// Print a complete `curl` command that sends the signed request instead.
    #[arg(long)]
    pub(crate) curl: bool,
}

fn name_value(pair: &str) -> Result<(String, String), String> {
    match pair.split_once('=') {
        Some((name, value)) => Ok((name.to_owned(), value.to_owned())),
        None => Err(format!("expected NAME=VALUE, got `{pair}`")),
    }
}

#[derive(Debug, Args)]
pub(crate) struct CheckArgs {
    /// BPMN files or directories.
    #[arg(required_unless_present = "config")]
    pub(crate) paths: Vec<PathBuf>,
    /// A TOML webhook file to check as well.
    #[arg(long)]
    pub(crate) config: Option<PathBuf>,
}
