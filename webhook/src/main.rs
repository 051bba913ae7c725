//! The `webhook` binary: the command line → [`Settings`] → [`Service`].
//! Subcommands: `sign` (what Twilio would send), `check` (validate BPMN) and
//! `outbox` (inspect and repair the outbox).

/// mimalloc instead of the system allocator: a request allocates about a
/// hundred small blocks (form pairs, FEEL strings and maps, the reply), and
/// glibc's malloc and free were ~18 % of the service's CPU in the load run.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod cli;

use std::process::ExitCode;

use clap::Parser;

use cli::{CheckArgs, Cli, Command, LogFormat, OutboxArgs, OutboxOp, ServeArgs, SignArgs};
use webhook::admin::{self, Op};
use webhook::outbox::{OpenMode, Outbox};
use webhook::settings::{OutboxSettings, Settings, Sources};
use webhook::twilio::SignedRequest;
use webhook::Service;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Some(Command::Sign(args)) => sign(args),
        Some(Command::Check(args)) => check(args),
        Some(Command::Serve(args)) => serve(*args),
        Some(Command::Outbox(args)) => outbox(args),
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

/// A runtime for a subcommand, or the error that stops it.
fn runtime(multi_thread: bool) -> Result<tokio::runtime::Runtime, String> {
    let mut builder = match multi_thread {
        true => tokio::runtime::Builder::new_multi_thread(),
        false => tokio::runtime::Builder::new_current_thread(),
    };
    builder
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))
}

fn fail(message: impl std::fmt::Display) -> ExitCode {
    eprintln!("error: {message}");
    ExitCode::FAILURE
}

fn serve(args: ServeArgs) -> ExitCode {
    init_logs(args.log_format);
    no_transparent_huge_pages();
    // Idle clients must not be able to run the service out of descriptors:
    // use all the system allows (the connection cap stays below it).
    webhook::http::connections::raise_fd_limit();
    let service = Service::new(args.into_settings());
    let served = runtime(true).and_then(|runtime| {
        runtime
            .block_on(service.run(webhook::shutdown_signal()))
            .map_err(|e| e.to_string())
    });
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e}");
            fail(e)
        }
    }
}

/// Turns transparent huge pages off for this process. mimalloc asks for them
/// on its arenas, and gives freed pages back to the system after 10 ms; the
/// next allocation there then faulted in a whole 2 MiB page and cleared it.
/// The outbox writer, whose per-commit buffers come and go every few
/// milliseconds, spent a fifth of its time clearing pages that way (perf,
/// load run with the outbox); without huge pages, 0.2 % of the service's
/// samples are page clearing instead of 3-5 %. The service's heap is small,
/// so huge pages had nothing to give back.
fn no_transparent_huge_pages() {
    if let Err(e) = rustix::thread::disable_transparent_huge_pages(true) {
        tracing::debug!(error = %e, "cannot turn transparent huge pages off");
    }
}

fn outbox(args: OutboxArgs) -> ExitCode {
    let op = match args.op {
        OutboxOp::List { state, limit } => Op::List {
            state: state.into(),
            limit,
        },
        OutboxOp::Show { id } => Op::Show { id },
        OutboxOp::Retry { ids, all_dead } => Op::Retry {
            ids: (!all_dead).then_some(ids),
        },
        OutboxOp::Purge { delivered, dead } => Op::Purge { delivered, dead },
        OutboxOp::Salvage { to } => {
            if args.admin.is_some() {
                return fail(
                    "salvage works on the store file with the service stopped, not through --admin",
                );
            }
            return salvage(&args.outbox, &to);
        }
    };
    let answer = runtime(false).and_then(|runtime| {
        runtime.block_on(async {
            match args.admin {
                Some(addr) => admin::client::request(addr, args.admin_token.as_deref(), &op).await,
                None => {
                    let outbox = Outbox::open_with(
                        &args.outbox,
                        OutboxSettings::default(),
                        OpenMode::Existing,
                    )
                    .map_err(|e| e.to_string())?;
                    admin::apply(&outbox, op).await.map_err(|e| e.to_string())
                }
            }
        })
    });
    match answer {
        Ok(answer) => print_json(&answer),
        Err(e) => fail(e),
    }
}

fn print_json(answer: &serde_json::Value) -> ExitCode {
    use std::io::Write as _;
    let text = serde_json::to_string_pretty(answer).unwrap_or_else(|_| answer.to_string());
    // A closed pipe (`| head`) is not an error worth a panic.
    let _ = writeln!(std::io::stdout(), "{text}");
    ExitCode::SUCCESS
}

fn salvage(from: &std::path::Path, to: &std::path::Path) -> ExitCode {
    match Outbox::salvage(from, to) {
        Ok(salvaged) => {
            eprintln!(
                "salvaged {} into {}: {} pending and {} dead entries kept, {} delivered ones left out, {} unreadable run(s) skipped; start the service with --outbox {}",
                from.display(),
                to.display(),
                salvaged.pending,
                salvaged.dead,
                salvaged.delivered,
                salvaged.skipped.len(),
                to.display()
            );
            print_json(&serde_json::json!(salvaged))
        }
        Err(e) => fail(e),
    }
}

fn sign(args: SignArgs) -> ExitCode {
    let signed = match &args.json {
        Some(body) => SignedRequest::json(&args.token, &args.url, body),
        None => SignedRequest::form(&args.token, &args.url, args.form),
    };
    if args.curl {
        println!("{}", signed.curl());
        return ExitCode::SUCCESS;
    }
    if args.json.is_some() {
        println!("URL: {}", signed.url);
    }
    println!("X-Twilio-Signature: {}", signed.signature);
    if let Some(body) = signed.form_body().filter(|b| !b.is_empty()) {
        println!("Body: {body}");
    }
    ExitCode::SUCCESS
}

fn check(args: CheckArgs) -> ExitCode {
    let settings = Settings {
        sources: Sources {
            bpmn: args.paths,
            toml: args.config,
            reload_interval: None,
            ..Sources::default()
        },
        ..Settings::default()
    };
    match Service::new(settings).load() {
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
