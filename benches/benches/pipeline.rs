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
use std::sync::Arc;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use webhook::settings::{Settings, Sources};
use webhook::state::AppState;
use webhook::twilio::SignedRequest;
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
    let service = Service::new(settings.clone()).with_secrets(Arc::new(secrets));
    let (registry, _loader) = service.load().expect("the example BPMN loads");
    let state = AppState::fixed(registry, dispatcher, settings);
    let routes = webhook::http::routes(state, None);

    let signed = SignedRequest::form(TOKEN, &format!("{PUBLIC_URL}{PATH}"), sms_form());
    let signature = signed.signature.clone();
    let body = signed.form_body().expect("a form body");
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
