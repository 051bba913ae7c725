//! The whole webhook pipeline in process: a signed Twilio SMS form through
//! the warp routes (signature check, request context, activation condition,
//! result expression, dispatch to the embedded journal) to the `<Response/>`
//! reply. No sockets: `warp::test` drives the filter directly.
//!
//! - `signed_sms_to_reply`: without the outbox (`--no-outbox`), the command
//!   goes inline to the journal;
//! - `signed_sms_to_reply_inspected`: the same with the request inspector
//!   keeping the latest 200 requests (`--admin-listen`), to show what the
//!   capture costs;
//! - `signed_sms_to_reply_outbox`: the default path, the event committed to
//!   the outbox (group commit, fdatasync) before the reply, and the delivery
//!   worker (on the same thread) writing it to the journal and recording it
//!   as delivered. The store is put in `OUTBOX_BENCH_DIR` (default: the
//!   temporary directory); on tmpfs (`/dev/shm`) a sync costs next to
//!   nothing, so the figure is the CPU work of the path, not the disk's
//!   latency, which a lone sequential caller would otherwise wait for in
//!   full each time.
//!
//! Run: `cargo bench -p feel-benches --bench pipeline`.

/// The allocator of the `webhook` binary, so the figures match the service.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use webhook::outbox::{worker, Outbox};
use webhook::settings::{Settings, Sources};
use webhook::state::{AppState, Parts};
use webhook::twilio::SignedRequest;
use webhook::webhooks::catalog::Catalog;
use webhook::webhooks::secrets::MapSecrets;
use webhook::zeebe::{JournalDispatcher, SyncPolicy};
use webhook::Service;

const TOKEN: &str = "bench-auth-token";
const PUBLIC_URL: &str = "https://hooks.example.com";
const PATH: &str = "/inbound/sms-received";

fn sms_form() -> Vec<(String, String)> {
    [
        ("ToCountry", "US"),
        ("SmsStatus", "received"),
        ("NumMedia", "0"),
        ("SmsMessageSid", "SM1f0e8ae6ade43cb3c0ce4525424e404f"),
        ("MessageSid", "SM1f0e8ae6ade43cb3c0ce4525424e404f"),
        ("From", "+14155550123"),
        ("To", "+15005550006"),
        ("Body", "Hello from Twilio, please confirm my order #4711"),
        ("AccountSid", "AC00000000000000000000000000000000"),
        ("ApiVersion", "2010-04-01"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect()
}

fn pipeline(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let journal_dir = std::env::temp_dir().join(format!("feel-bench-{}", std::process::id()));
    std::fs::create_dir_all(&journal_dir).expect("a temp dir");
    let dispatcher = Arc::new(
        JournalDispatcher::open(journal_dir.join("journal.jsonl"), SyncPolicy::OsBuffered)
            .expect("a journal file"),
    );
    let secrets = MapSecrets(HashMap::from([(
        "TWILIO_AUTH_TOKEN".to_owned(),
        TOKEN.to_owned(),
    )]));
    let mut settings = Settings {
        sources: Sources {
            bpmn: vec![
                PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../examples/twilio-sms-start.bpmn")
            ],
            toml: None,
            reload_interval: None,
            ..Sources::default()
        },
        ..Settings::default()
    };
    settings.requests.public_url = Some(PUBLIC_URL.to_owned());
    // The in-memory path: commands go inline to the journal.
    settings.delivery.outbox_path = None;
    // No request inspector, as the service runs without --admin-listen.
    settings.inspect_capacity = 0;
    let service = Service::new(settings.clone()).with_secrets(Arc::new(secrets));
    let (registry, _loader) = service.load().expect("the example BPMN loads");
    let state = AppState::fixed(registry, dispatcher.clone(), settings.clone());
    let routes = webhook::http::routes(state, None);
    // The same with the request inspector keeping the latest 200 requests.
    let (registry, _loader) = service.load().expect("the example BPMN loads");
    let inspected = Settings {
        inspect_capacity: webhook::settings::DEFAULT_INSPECT_CAPACITY,
        ..settings.clone()
    };
    let inspected_state = AppState::fixed(registry, dispatcher.clone(), inspected);
    let inspected_routes = webhook::http::routes(inspected_state.clone(), None);

    // The default path: the outbox, and its worker delivering to the journal.
    let store_dir = std::env::var_os("OUTBOX_BENCH_DIR")
        .map_or_else(std::env::temp_dir, PathBuf::from)
        .join(format!("feel-bench-outbox-{}", std::process::id()));
    std::fs::create_dir_all(&store_dir).expect("a store dir");
    let outbox = runtime.block_on(async {
        Outbox::open(store_dir.join("outbox.log"), Default::default()).expect("an outbox")
    });
    let (registry, _loader) = service.load().expect("the example BPMN loads");
    let outbox_state = AppState::new(Parts {
        settings,
        catalog: Arc::new(Catalog::new(&registry)),
        dispatcher: dispatcher.clone(),
        outbox: Some(outbox.clone()),
        dedup_key: None,
        discovery: None,
    });
    let outbox_routes = webhook::http::routes(outbox_state, None);
    let delivering = worker::spawn(outbox.clone(), dispatcher);

    let signed = SignedRequest::form(TOKEN, &format!("{PUBLIC_URL}{PATH}"), sms_form());
    let signature = signed.signature.clone();
    let body = signed.form_body().expect("a form body");
    // Each request carries its own idempotency token (Twilio's header, not
    // covered by the signature), so each is a new event to store and
    // deliver, never a duplicate answered from the deduplication keys.
    let sent = std::sync::atomic::AtomicU64::new(0);
    let send = || {
        let n = sent.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        warp::test::request()
            .method("POST")
            .path(PATH)
            .header("host", "hooks.example.com")
            .header("content-type", "application/x-www-form-urlencoded")
            .header("x-twilio-signature", &signature)
            .header("i-twilio-idempotency-token", format!("bench-{n}"))
            .body(body.clone())
    };
    // Outside the timing: the pipeline must accept this request.
    let reply = runtime.block_on(send().reply(&routes));
    assert_eq!(reply.status(), 200, "{:?}", reply.body());
    assert_eq!(reply.body().as_ref(), b"<Response/>");

    let reply = runtime.block_on(send().reply(&outbox_routes));
    assert_eq!(reply.status(), 200, "{:?}", reply.body());
    let reply = runtime.block_on(send().reply(&inspected_routes));
    assert_eq!(reply.status(), 200, "{:?}", reply.body());
    let inspector = inspected_state.inspector().expect("an inspector");
    assert_eq!(inspector.latest(), 1, "the request was captured");

    let mut group = c.benchmark_group("pipeline");
    group.bench_function("signed_sms_to_reply", |b| {
        b.iter(|| runtime.block_on(send().reply(&routes)))
    });
    group.bench_function("signed_sms_to_reply_inspected", |b| {
        b.iter(|| runtime.block_on(send().reply(&inspected_routes)))
    });
    group.bench_function("signed_sms_to_reply_outbox", |b| {
        b.iter(|| runtime.block_on(send().reply(&outbox_routes)))
    });
    group.finish();
    // Everything accepted was delivered (the worker kept up).
    runtime.block_on(async {
        for _ in 0..100 {
            if outbox.stats().await.expect("stats").pending == 0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    });
    runtime.block_on(delivering.stop());
    drop(outbox);
    let _ = std::fs::remove_dir_all(&journal_dir);
    let _ = std::fs::remove_dir_all(&store_dir);
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    targets = pipeline
}
criterion_main!(benches);
