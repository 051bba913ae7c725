//! The `webhook` binary: arguments and environment → config → logs → serve.
//! Subcommands: `sign` (what Twilio would send), `check` (validate BPMN) and
//! `outbox` (inspect and repair the outbox).

/// mimalloc instead of the system allocator: a request allocates about a
/// hundred small blocks (form pairs, FEEL strings and maps, the reply), and
/// glibc's malloc and free were ~18 % of the service's CPU in the load run.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use clap::{Args, Parser, Subcommand, ValueEnum};

use webhook::config::secrets::EnvSecrets;
use webhook::dispatch::{build_dispatcher, DispatchConfig};
use webhook::outbox::admin::{self, Op};
use webhook::outbox::{worker, EntryState, Outbox, OutboxSettings, DEFAULT_OUTBOX_PATH};
use webhook::state::{DispatchMode, Settings, DEFAULT_BODY_LIMIT};
use webhook::twilio;

/// Twilio webhooks into Camunda 8 process events.
#[derive(Debug, Parser)]
#[command(version, args_conflicts_with_subcommands = true)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    serve: ServeArgs,
}

#[derive(Debug, Subcommand)]
enum Command {
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
struct OutboxArgs {
    /// The store, when the service is stopped.
    #[arg(long, env = "WEBHOOK_OUTBOX", default_value = DEFAULT_OUTBOX_PATH)]
    outbox: PathBuf,
    /// The running service's --admin-listen address (e.g. 127.0.0.1:8081).
    #[arg(long, value_name = "ADDR")]
    admin: Option<SocketAddr>,
    #[command(subcommand)]
    op: OutboxOp,
}

#[derive(Debug, Subcommand)]
enum OutboxOp {
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
    /// Delete delivered and/or dead entries (pending ones are never purged).
    Purge {
        /// Delivered entries.
        #[arg(long)]
        delivered: bool,
        /// Dead entries.
        #[arg(long)]
        dead: bool,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum StateArg {
    Pending,
    Delivered,
    Dead,
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
enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Args)]
struct ServeArgs {
    /// A BPMN file or a directory of them (watched for changes); repeatable.
    #[arg(long, value_name = "PATH")]
    bpmn: Vec<PathBuf>,
    /// A TOML file defining webhooks without BPMN.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// The address to listen on.
    #[arg(long, env = "WEBHOOK_LISTEN", default_value = "127.0.0.1:8080")]
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
    #[arg(long, default_value_t = DEFAULT_BODY_LIMIT)]
    body_limit: usize,
    #[command(flatten)]
    limits: webhook::limits::LimitArgs,
    /// Threads serving connections, each with its own single-threaded runtime (0: one per CPU core).
    #[arg(long, env = "WEBHOOK_WORKERS", default_value_t = 0)]
    workers: usize,
    /// The Zeebe gRPC gateway (also ZEEBE_ADDRESS / ZEEBE_GRPC_ADDRESS).
    #[arg(long)]
    zeebe_address: Option<String>,
    /// The Camunda REST API (also ZEEBE_REST_ADDRESS / CAMUNDA_REST_ADDRESS).
    #[arg(long)]
    zeebe_rest_address: Option<String>,
    /// The embedded journal used when no Zeebe is configured.
    #[arg(
        long,
        env = "WEBHOOK_JOURNAL",
        default_value = "./webhook-journal.jsonl"
    )]
    journal: PathBuf,
    /// The durable outbox (a redb file) holding accepted events until delivered.
    #[arg(long, env = "WEBHOOK_OUTBOX", default_value = DEFAULT_OUTBOX_PATH)]
    outbox: PathBuf,
    /// When accepted events are sent to Zeebe.
    #[arg(long, env = "WEBHOOK_DISPATCH", value_enum, default_value = "outbox")]
    dispatch: DispatchArg,
    /// Run without the durable outbox: every event is sent inline and the
    /// caller gets Zeebe's answer, as in Camunda. An event that Zeebe can't
    /// take is answered with an error and not kept (for measurements and
    /// setups that accept that).
    #[arg(long, env = "WEBHOOK_NO_OUTBOX", conflicts_with_all = ["dispatch", "admin_listen"])]
    no_outbox: bool,
    /// A FEEL expression giving the deduplication key (default: request.body.MessageSid).
    #[arg(long, value_name = "FEEL")]
    dedup_key: Option<String>,
    /// How long deduplication keys are remembered, in seconds.
    #[arg(long, default_value_t = 24 * 3600)]
    dedup_window_secs: u64,
    /// The first retry delay of a failed delivery, in milliseconds (doubled per attempt).
    #[arg(long, default_value_t = 200)]
    retry_base_ms: u64,
    /// The longest retry delay, in milliseconds.
    #[arg(long, default_value_t = 60_000)]
    retry_max_ms: u64,
    /// /health reports "degraded" once Zeebe has been unreachable this long, in seconds.
    #[arg(long, default_value_t = 30)]
    degraded_after_secs: u64,
    /// Serve the outbox admin endpoint (POST /outbox, for `webhook outbox --admin`) on this loopback address.
    #[arg(long, env = "WEBHOOK_ADMIN_LISTEN", value_name = "ADDR")]
    admin_listen: Option<SocketAddr>,
    /// How often watched files are checked, in milliseconds (0: never).
    #[arg(long, default_value_t = 2000)]
    reload_interval_ms: u64,
    /// How long Zeebe may take to answer, in milliseconds (504 after).
    #[arg(long, default_value_t = 10_000)]
    dispatch_timeout_ms: u64,
    /// Log format.
    #[arg(long, env = "WEBHOOK_LOG_FORMAT", value_enum, default_value = "text")]
    log_format: LogFormat,
}

#[derive(Debug, Args)]
struct SignArgs {
    /// The Auth Token.
    #[arg(long)]
    token: String,
    /// The full URL Twilio calls (with its query string).
    #[arg(long)]
    url: String,
    /// A form parameter `name=value` (repeatable).
    #[arg(long = "form", value_name = "NAME=VALUE", conflicts_with = "json")]
    form: Vec<String>,
    /// A JSON body (bodySHA256 is added to the URL).
    #[arg(long)]
    json: Option<String>,
    /// Print a complete `curl` command that sends the signed request instead.
    #[arg(long)]
    curl: bool,
}

#[derive(Debug, Args)]
struct CheckArgs {
    /// BPMN files or directories.
    #[arg(required_unless_present = "config")]
    paths: Vec<PathBuf>,
    /// A TOML webhook file to check as well.
    #[arg(long)]
    config: Option<PathBuf>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Some(Command::Sign(args)) => sign(args),
        Some(Command::Check(args)) => check(args),
        Some(Command::Serve(args)) => serve(*args),
        Some(Command::Outbox(args)) => outbox_command(args),
        None => serve(cli.serve),
    }
}

fn init_logs(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stdout());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(ansi);
    match format {
        LogFormat::Json => builder.json().with_current_span(true).init(),
        LogFormat::Text => builder.init(),
    }
}

fn serve(args: ServeArgs) -> ExitCode {
    init_logs(args.log_format);
    match serve_inner(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e:#}");
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn serve_inner(args: ServeArgs) -> anyhow::Result<()> {
    if args.bpmn.is_empty() && args.config.is_none() {
        tracing::warn!("no --bpmn or --config given: no webhooks will be served");
    }
    let dispatch = DispatchConfig {
        zeebe_address: args.zeebe_address,
        zeebe_rest_address: args.zeebe_rest_address,
        journal: args.journal,
    };
    let settings = Settings {
        public_url: args.public_url,
        trust_forwarded_headers: args.trust_forwarded_headers,
        camunda_compatible_responses: args.camunda_compatible_responses,
        body_limit: args.body_limit,
        dispatch_timeout: Duration::from_millis(args.dispatch_timeout_ms),
        limits: args.limits.into_limits(),
        workers: args.workers,
        outbox: None,
        dispatch_mode: match args.dispatch {
            DispatchArg::Outbox => DispatchMode::Outbox,
            DispatchArg::Sync => DispatchMode::Sync,
        },
        dedup_expression: match &args.dedup_key {
            Some(source) => Some(Arc::new(
                webhook::engine()
                    .compile_expression(source)
                    .map_err(|e| anyhow::anyhow!("--dedup-key: {e}"))?,
            )),
            None => None,
        },
    };
    let outbox_settings = OutboxSettings {
        retry_base: Duration::from_millis(args.retry_base_ms),
        retry_max: Duration::from_millis(args.retry_max_ms),
        dedup_window: Duration::from_secs(args.dedup_window_secs),
        degraded_after: Duration::from_secs(args.degraded_after_secs),
        ..OutboxSettings::default()
    };
    let reload_interval =
        (args.reload_interval_ms > 0).then(|| Duration::from_millis(args.reload_interval_ms));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async {
        // Transports may spawn tasks, so they are built inside the runtime.
        let dispatcher = build_dispatcher(&dispatch)?;
        let mut settings = settings;
        let outbox = if args.no_outbox {
            tracing::warn!("running without the outbox: events Zeebe can't take are answered with an error and not kept");
            None
        } else {
            let outbox = Outbox::open(&args.outbox, outbox_settings)?;
            tracing::info!(outbox = %args.outbox.display(), "outbox open");
            settings.outbox = Some(outbox.clone());
            Some(outbox)
        };
        let worker = outbox
            .clone()
            .map(|outbox| worker::spawn(outbox, Arc::clone(&dispatcher)));
        let admin = match (args.admin_listen, outbox) {
            (Some(addr), Some(outbox)) => {
                if !addr.ip().is_loopback() {
                    anyhow::bail!("--admin-listen {addr}: the admin endpoint has no authentication; use a loopback address");
                }
                let listener = tokio::net::TcpListener::bind(addr)
                    .await
                    .with_context(|| format!("cannot listen on {addr}"))?;
                Some(tokio::spawn(admin::serve(outbox, listener, std::future::pending())))
            }
            _ => None,
        };
        let config = webhook::Config {
            bpmn: args.bpmn,
            webhook_file: args.config,
            settings,
            reload_interval,
            dispatcher,
            secrets: Arc::new(EnvSecrets::default()),
        };
        let listener = tokio::net::TcpListener::bind(args.listen)
            .await
            .with_context(|| format!("cannot listen on {}", args.listen))?;
        let served = webhook::run(config, listener)
            .await
            .map_err(anyhow::Error::from);
        // Whatever is pending stays in the store for the next start.
        if let Some(worker) = worker {
            worker.abort();
        }
        if let Some(admin) = admin {
            admin.abort();
        }
        served
    })
}

fn outbox_command(args: OutboxArgs) -> ExitCode {
    let op = match args.op {
        OutboxOp::List { state, limit } => Op::List {
            state: match state {
                StateArg::Pending => EntryState::Pending,
                StateArg::Delivered => EntryState::Delivered,
                StateArg::Dead => EntryState::Dead,
            },
            limit,
        },
        OutboxOp::Show { id } => Op::Show { id },
        OutboxOp::Retry { ids, all_dead } => Op::Retry {
            ids: (!all_dead).then_some(ids),
        },
        OutboxOp::Purge { delivered, dead } => {
            if !delivered && !dead {
                eprintln!("error: purge needs --delivered and/or --dead");
                return ExitCode::from(2);
            }
            Op::Purge { delivered, dead }
        }
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match args.admin {
            Some(addr) => admin_request(addr, &op).await,
            None => {
                let outbox = Outbox::open(&args.outbox, OutboxSettings::default())?;
                Ok(admin::apply(&outbox, op).await?)
            }
        }
    });
    match result {
        Ok(answer) => {
            use std::io::Write as _;
            let text = serde_json::to_string_pretty(&answer).unwrap_or_else(|_| answer.to_string());
            // A closed pipe (`| head`) is not an error worth a panic.
            let _ = writeln!(std::io::stdout(), "{text}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// `POST /outbox` to a running service's admin endpoint (loopback HTTP/1.1).
async fn admin_request(addr: SocketAddr, op: &Op) -> anyhow::Result<serde_json::Value> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let body = serde_json::to_string(op)?;
    let mut stream = tokio::net::TcpStream::connect(addr)
        .await
        .with_context(|| format!("cannot reach the admin endpoint at {addr}"))?;
    let request = format!(
        "POST /outbox HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await?;
    let text = String::from_utf8_lossy(&raw);
    let (head, body) = text
        .split_once("\r\n\r\n")
        .context("the admin endpoint sent no HTTP answer")?;
    let status = head.split(' ').nth(1).unwrap_or_default();
    let answer: serde_json::Value = serde_json::from_str(body)
        .with_context(|| format!("the admin endpoint answered {status} with: {body}"))?;
    if status != "200" {
        anyhow::bail!("the admin endpoint answered {status}: {answer}");
    }
    Ok(answer)
}

fn sign(args: SignArgs) -> ExitCode {
    let key = twilio::Key {
        secret: args.token.as_bytes(),
        algorithm: twilio::Algorithm::Sha1,
    };
    let mut params = Vec::new();
    for pair in &args.form {
        match pair.split_once('=') {
            Some((name, value)) => params.push((name.to_owned(), value.to_owned())),
            None => {
                eprintln!("error: --form expects NAME=VALUE, got `{pair}`");
                return ExitCode::from(2);
            }
        }
    }
    let url = match &args.json {
        Some(body) => {
            let separator = if args.url.contains('?') { '&' } else { '?' };
            format!(
                "{}{separator}bodySHA256={}",
                args.url,
                twilio::body_sha256_hex(body.as_bytes())
            )
        }
        None => args.url.clone(),
    };
    let signature = twilio::sign(key, &url, &params);
    if args.curl {
        println!(
            "{}",
            curl_command(&url, &signature, &params, args.json.as_deref())
        );
        return ExitCode::SUCCESS;
    }
    if args.json.is_some() {
        println!("URL: {url}");
    }
    println!("X-Twilio-Signature: {signature}");
    if !params.is_empty() {
        let body: Vec<String> = params
            .iter()
            .map(|(k, v)| format!("{}={}", webhook::form::encode(k), webhook::form::encode(v)))
            .collect();
        println!("Body: {}", body.join("&"));
    }
    ExitCode::SUCCESS
}

/// A `curl` command line (POSIX shell quoting) that sends the signed request.
fn curl_command(
    url: &str,
    signature: &str,
    params: &[(String, String)],
    json: Option<&str>,
) -> String {
    let quote = |s: &str| format!("'{}'", s.replace('\'', r"'\''"));
    let mut cmd = format!(
        "curl -sS -X POST {} -H {}",
        quote(url),
        quote(&format!("X-Twilio-Signature: {signature}"))
    );
    if let Some(body) = json {
        cmd.push_str(&format!(
            " -H 'Content-Type: application/json' --data-raw {}",
            quote(body)
        ));
    } else {
        let body: Vec<String> = params
            .iter()
            .map(|(k, v)| format!("{}={}", webhook::form::encode(k), webhook::form::encode(v)))
            .collect();
        cmd.push_str(&format!(
            " -H 'Content-Type: application/x-www-form-urlencoded' --data-raw {}",
            quote(&body.join("&"))
        ));
    }
    cmd
}

fn check(args: CheckArgs) -> ExitCode {
    let config = webhook::Config {
        bpmn: args.paths,
        webhook_file: args.config,
        settings: Settings::default(),
        reload_interval: None,
        dispatcher: Arc::new(NoDispatch),
        secrets: Arc::new(EnvSecrets::default()),
    };
    match webhook::load(&config) {
        Ok((registry, _)) => {
            if registry.is_empty() {
                println!("no webhooks found");
            }
            for def in registry.definitions() {
                println!("{}", def.describe());
            }
            ExitCode::SUCCESS
        }
        Err(errors) => {
            eprintln!("{errors}");
            ExitCode::FAILURE
        }
    }
}

/// `check` never dispatches.
#[derive(Debug)]
struct NoDispatch;

impl webhook::zeebe::Dispatcher for NoDispatch {
    fn dispatch(&self, _command: webhook::zeebe::Command) -> webhook::zeebe::DispatchFuture<'_> {
        Box::pin(async {
            Err(webhook::zeebe::DispatchError {
                status: webhook::zeebe::StatusCode::Unimplemented,
                message: "check does not dispatch".into(),
            })
        })
    }
}
