//! The whole webhook pipeline in process: a signed Twilio SMS form through
//! the warp routes (signature check, request context, activation condition,
//! result expression, dispatch to the embedded journal) to the `<Response/>`
//! reply. No sockets: `warp::test` drives the filter directly.
//!
//! Run: `cargo bench -p feel-benches --bench pipeline`.

/// The allocator of the `webhook` binary, so the figures match the service.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use webhook::config::secrets::MapSecrets;
use webhook::state::{AppState, Settings};
use webhook::twilio::{self, Algorithm, Key};
use webhook::zeebe::{JournalDispatcher, SyncPolicy};
use webhook::Config;

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
    let settings = Settings {
        public_url: Some(PUBLIC_URL.to_owned()),
        dispatch_timeout: Duration::from_secs(10),
        ..Settings::default()
    };
    let config = Config {
        bpmn: vec![
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../examples/twilio-sms-start.bpmn")
        ],
        webhook_file: None,
        settings: settings.clone(),
        reload_interval: None,
        dispatcher: dispatcher.clone(),
        secrets: Arc::new(secrets),
    };
    let (registry, _loader) = webhook::load(&config).expect("the example BPMN loads");
    let state = AppState::new(
        Arc::new(RwLock::new(Arc::new(registry))),
        dispatcher,
        settings,
    );
    let routes = webhook::routes::routes(state);

    let form = sms_form();
    let signature = twilio::sign(
        Key {
            secret: TOKEN.as_bytes(),
            algorithm: Algorithm::Sha1,
        },
        &format!("{PUBLIC_URL}{PATH}"),
        &form,
    );
    let body: String = form
        .iter()
        .map(|(k, v)| format!("{}={}", webhook::form::encode(k), webhook::form::encode(v)))
        .collect::<Vec<_>>()
        .join("&");
    let send = || {
        warp::test::request()
            .method("POST")
            .path(PATH)
            .header("host", "hooks.example.com")
            .header("content-type", "application/x-www-form-urlencoded")
            .header("x-twilio-signature", &signature)
            .body(body.clone())
    };
    // Outside the timing: the pipeline must accept this request.
    let reply = runtime.block_on(send().reply(&routes));
    assert_eq!(reply.status(), 200, "{:?}", reply.body());
    assert_eq!(reply.body().as_ref(), b"<Response/>");

    let mut group = c.benchmark_group("pipeline");
    group.bench_function("signed_sms_to_reply", |b| {
        b.iter(|| runtime.block_on(send().reply(&routes)))
    });
    group.finish();
    let _ = std::fs::remove_dir_all(&journal_dir);
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    targets = pipeline
}
criterion_main!(benches);
