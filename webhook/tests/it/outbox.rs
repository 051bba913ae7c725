//! Fault tests for the durable outbox: Zeebe down, Zeebe pushing back,
//! duplicate deliveries, and the service killed with SIGKILL mid-burst.
//! Each prints its counts (sent, acknowledged, delivered, duplicates).

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use webhook::outbox::Outbox;
use webhook::settings::{DispatchMode, OutboxSettings};
use webhook::testing::{FakeGateway, GrpcCall};
use webhook::zeebe::{
    Command, DispatchError, DispatchFuture, Dispatcher, StatusCode, Transport, ZeebeSettings,
};

use crate::support::{
    self, bpmn, form_body, send, sign_form, App, Binary, FakeDispatcher, FORM, TOKEN,
};

const BURST: usize = 40;

/// The fields of SMS number `n` (its own MessageSid).
pub(crate) fn sms_fields(n: usize) -> Vec<(&'static str, String)> {
    vec![
        ("SmsStatus", "received".into()),
        ("Body", format!("message {n}")),
        ("From", "+15005550001".into()),
        ("MessageSid", format!("SM{n:032}")),
    ]
}

/// A signed request to `/inbound/<id>`: (target, headers, body).
pub(crate) fn signed(id: &str, fields: &[(&'static str, String)]) -> (String, String, String) {
    let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let target = format!("/inbound/{id}");
    let signature = sign_form(&format!("https://hooks.example.com{target}"), &pairs);
    (target, signature, form_body(&pairs))
}

fn grpc_dispatcher(gateway: &FakeGateway, dir: &Path) -> Arc<dyn Dispatcher> {
    let config = ZeebeSettings {
        transport: Some(Transport::Grpc {
            address: gateway.address(),
        }),
        ..ZeebeSettings::default()
    };
    config.build_dispatcher(&dir.join("unused.jsonl")).unwrap()
}

/// Counts successful deliveries per MessageSid; refuses every call with
/// UNAVAILABLE (as a refused connection is reported) until `down_until`.
#[derive(Debug)]
struct Counting {
    inner: Arc<dyn Dispatcher>,
    down_until: Instant,
    delivered: Mutex<HashMap<String, usize>>,
    refused: AtomicUsize,
}

impl Counting {
    /// Counts what reaches `inner`, refusing every call until `down_for` has
    /// passed.
    fn new(inner: Arc<dyn Dispatcher>, down_for: Duration) -> Arc<Counting> {
        Arc::new(Counting {
            inner,
            down_until: Instant::now() + down_for,
            delivered: Mutex::new(HashMap::new()),
            refused: AtomicUsize::new(0),
        })
    }
}

pub(crate) fn message_sid(command: &Command) -> String {
    let variables = match command {
        Command::CreateProcessInstance { variables, .. }
        | Command::PublishMessage { variables, .. } => variables.parse().unwrap(),
    };
    variables["twilioRequest"]["request"]["body"]["MessageSid"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

impl Dispatcher for Counting {
    fn dispatch(&self, command: Command) -> DispatchFuture<'_> {
        Box::pin(async move {
            if Instant::now() < self.down_until {
                self.refused.fetch_add(1, Ordering::SeqCst);
                return Err(DispatchError::new(
                    StatusCode::Unavailable,
                    "connection refused",
                ));
            }
            let sid = message_sid(&command);
            let outcome = self.inner.dispatch(command).await?;
            *self.delivered.lock().unwrap().entry(sid).or_default() += 1;
            Ok(outcome)
        })
    }
}

async fn start(dispatcher: Arc<dyn Dispatcher>, dir: &Path) -> (App, Outbox) {
    start_with_mode(dispatcher, dir, DispatchMode::Outbox).await
}

/// The app with an outbox in `dir`, delivering through `dispatcher` (which
/// also takes the inline dispatches of `--dispatch sync`).
async fn start_with_mode(
    dispatcher: Arc<dyn Dispatcher>,
    dir: &Path,
    mode: DispatchMode,
) -> (App, Outbox) {
    support::spawn_with_outbox(&[bpmn("start-event.bpmn")], dispatcher, dir, |settings| {
        settings.delivery.mode = mode;
    })
    .await
}

/// Sends the burst concurrently; returns the MessageSids answered 2xx.
async fn burst(app: &App, ids: std::ops::Range<usize>) -> HashSet<String> {
    let sends = ids.map(|n| {
        let addr = app.addr;
        async move {
            let fields = sms_fields(n);
            let (target, signature, body) = signed("sms-start", &fields);
            let answer = send(
                addr,
                "POST",
                &target,
                &[("Content-Type", FORM), ("X-Twilio-Signature", &signature)],
                body.as_bytes(),
            )
            .await;
            (answer.status == 200).then(|| fields[3].1.clone())
        }
    });
    futures_util::future::join_all(sends)
        .await
        .into_iter()
        .flatten()
        .collect()
}

pub(crate) async fn drained(outbox: &Outbox, within: Duration) {
    let deadline = Instant::now() + within;
    while outbox.stats().await.unwrap().pending > 0 {
        assert!(Instant::now() < deadline, "the outbox did not drain");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn check_exactly_once(
    test: &str,
    sent: usize,
    acked: &HashSet<String>,
    counts: &HashMap<String, usize>,
) {
    let delivered: usize = counts.values().sum();
    let duplicates = delivered - counts.len();
    println!(
        "{test}: sent {sent}, acknowledged {}, delivered {delivered}, duplicates {duplicates}",
        acked.len()
    );
    for sid in acked {
        assert_eq!(
            counts.get(sid),
            Some(&1),
            "{sid} delivered {:?} times",
            counts.get(sid)
        );
    }
    assert_eq!(duplicates, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn zeebe_down_at_first_then_every_acknowledged_event_arrives_once() {
    let dir = tempfile::tempdir().unwrap();
    let gateway = FakeGateway::start().await.unwrap();
    let counting = Counting::new(
        grpc_dispatcher(&gateway, dir.path()),
        Duration::from_secs(2),
    );
    let (app, outbox) = start(counting.clone(), dir.path()).await;

    let acked = burst(&app, 0..BURST).await;
    assert_eq!(
        acked.len(),
        BURST,
        "Zeebe being down must not fail requests"
    );
    drained(&outbox, Duration::from_secs(15)).await;

    assert!(
        counting.refused.load(Ordering::SeqCst) > 0,
        "Zeebe was never down"
    );
    let counts = counting.delivered.lock().unwrap().clone();
    check_exactly_once("zeebe down", BURST, &acked, &counts);
    assert_eq!(gateway.calls().len(), BURST);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn intermittent_resource_exhausted_delays_but_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let gateway = FakeGateway::start().await.unwrap();
    // Two of every three answers are back-pressure, for the first 90 calls.
    for _ in 0..30 {
        gateway.fail_next(2, StatusCode::ResourceExhausted);
        gateway.push_reply(webhook::testing::Reply::Ok);
    }
    let counting = Counting::new(grpc_dispatcher(&gateway, dir.path()), Duration::ZERO);
    let (app, outbox) = start(counting.clone(), dir.path()).await;

    let acked = burst(&app, 0..BURST).await;
    assert_eq!(acked.len(), BURST);
    drained(&outbox, Duration::from_secs(15)).await;

    let counts = counting.delivered.lock().unwrap().clone();
    check_exactly_once("resource exhausted", BURST, &acked, &counts);
    assert!(gateway.calls().len() > BURST, "no call was pushed back");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duplicate_twilio_deliveries_start_one_process() {
    let dir = tempfile::tempdir().unwrap();
    let gateway = FakeGateway::start().await.unwrap();
    let counting = Counting::new(grpc_dispatcher(&gateway, dir.path()), Duration::ZERO);
    let (app, outbox) = start(counting.clone(), dir.path()).await;

    // The same request five times at once, then a Twilio retry carrying the
    // idempotency token of a first attempt with another MessageSid.
    let fields = sms_fields(7);
    let (target, signature, body) = signed("sms-start", &fields);
    let headers = [
        ("Content-Type", FORM),
        ("X-Twilio-Signature", signature.as_str()),
        ("I-Twilio-Idempotency-Token", "token-7"),
    ];
    let answers = futures_util::future::join_all(
        (0..5).map(|_| send(app.addr, "POST", &target, &headers, body.as_bytes())),
    )
    .await;
    assert!(answers.iter().all(|a| a.status == 200), "{answers:?}");
    let other = sms_fields(8);
    let (target, signature, body) = signed("sms-start", &other);
    let retry = send(
        app.addr,
        "POST",
        &target,
        &[
            ("Content-Type", FORM),
            ("X-Twilio-Signature", signature.as_str()),
            ("I-Twilio-Idempotency-Token", "token-7"),
        ],
        body.as_bytes(),
    )
    .await;
    assert_eq!(retry.status, 200);
    drained(&outbox, Duration::from_secs(10)).await;

    let counts = counting.delivered.lock().unwrap().clone();
    let acked: HashSet<String> = [fields[3].1.clone()].into();
    check_exactly_once("duplicates", 6, &acked, &counts);
    assert_eq!(
        gateway.calls().len(),
        1,
        "one process start for six deliveries"
    );
    app.stop().await;
}

/// A deduplication key read from a header, on a webhook whose own
/// expressions read only the body: the header must still reach the key.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dedup_key_from_a_header_works_on_a_body_only_webhook() {
    let dir = tempfile::tempdir().unwrap();
    let dispatcher = FakeDispatcher::new();
    let (app, outbox) = support::spawn_with_outbox(
        &[bpmn("intermediate-catch.bpmn")],
        dispatcher.clone(),
        dir.path(),
        |settings| {
            settings.delivery.dedup_key = Some(r#"get value(request.headers, "x-order")"#.into());
        },
    )
    .await;
    // Two SMS with different MessageSids, one order number.
    for n in [1, 2] {
        let (target, signature, body) = signed("sms-reply", &sms_fields(n));
        let headers = [
            ("Content-Type", FORM),
            ("X-Twilio-Signature", signature.as_str()),
            ("X-Order", "order-4711"),
        ];
        let answer = send(app.addr, "POST", &target, &headers, body.as_bytes()).await;
        assert_eq!(answer.status, 200, "{answer:?}");
    }
    drained(&outbox, Duration::from_secs(5)).await;
    assert_eq!(
        dispatcher.commands().len(),
        1,
        "the second SMS has the first one's X-Order: a duplicate, not stored"
    );
    app.stop().await;
}

/// Like `support::send`, but a refused or cut connection is status 0.
pub(crate) async fn try_send(
    addr: SocketAddr,
    target: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> u16 {
    let attempt = async {
        let mut stream = tokio::net::TcpStream::connect(addr).await?;
        let mut head = format!(
            "POST {target} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
            body.len()
        );
        for (k, v) in headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        head.push_str("\r\n");
        stream.write_all(head.as_bytes()).await?;
        stream.write_all(body).await?;
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).await?;
        Ok::<_, std::io::Error>(raw)
    };
    match tokio::time::timeout(Duration::from_secs(5), attempt).await {
        Ok(Ok(raw)) => String::from_utf8_lossy(&raw)
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0),
        _ => 0,
    }
}

pub(crate) async fn start_binary(addr: SocketAddr, store: &Path, zeebe: &str) -> Binary {
    start_binary_logging(addr, store, zeebe, std::process::Stdio::null()).await
}

/// The service binary on `store`, its log (warnings and errors: the
/// service logs to stdout) to `log`.
pub(crate) async fn start_binary_logging(
    addr: SocketAddr,
    store: &Path,
    zeebe: &str,
    log: std::process::Stdio,
) -> Binary {
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_webhook"))
        .arg("--bpmn")
        .arg(bpmn("message-start.bpmn"))
        .args(["--listen", &addr.to_string()])
        .args(["--public-url", "https://hooks.example.com"])
        .args(["--zeebe-address", zeebe])
        .arg("--outbox")
        .arg(store)
        .args(["--retry-base-ms", "50", "--retry-max-ms", "400"])
        .args(["--reload-interval-ms", "0"])
        .env("SECRET_TEST_TWILIO_TOKEN", TOKEN)
        .env("RUST_LOG", "warn")
        .current_dir(store.parent().unwrap())
        .stdout(log)
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let service = Binary { child };
    support::wait_listening(addr).await;
    service
}

pub(crate) async fn send_sms(addr: SocketAddr, n: usize) -> Option<String> {
    let fields = sms_fields(n);
    let (target, signature, body) = signed("sms-msgstart", &fields);
    let status = try_send(
        addr,
        &target,
        &[("Content-Type", FORM), ("X-Twilio-Signature", &signature)],
        body.as_bytes(),
    )
    .await;
    (status == 200).then(|| fields[3].1.clone())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_mid_burst_then_restart_delivers_every_acknowledged_event() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("outbox.log");
    let gateway = FakeGateway::start().await.unwrap();
    // The first deliveries never get an answer: they hold the worker's 16
    // delivery slots, so every event acknowledged after them is still pending
    // when the kill comes, however fast or slow this machine is.
    for _ in 0..16 {
        gateway.push_reply(webhook::testing::Reply::Hang);
    }
    let addr = support::free_addr();
    let mut service = start_binary(addr, &store, &gateway.address()).await;

    let acked_so_far = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let first = {
        let acked_so_far = std::sync::Arc::clone(&acked_so_far);
        tokio::spawn(async move {
            let sends = (0..BURST).map(|n| {
                let acked_so_far = std::sync::Arc::clone(&acked_so_far);
                async move {
                    let acked = send_sms(addr, n).await;
                    if acked.is_some() {
                        acked_so_far.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    }
                    acked
                }
            });
            futures_util::future::join_all(sends).await
        })
    };
    // Kill mid-burst: once most of it is acknowledged (bounded wait).
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    while acked_so_far.load(std::sync::atomic::Ordering::SeqCst) < BURST * 3 / 5
        && std::time::Instant::now() < deadline
    {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    service.child.kill().unwrap(); // SIGKILL on Unix
    service.child.wait().unwrap();
    let mut acked: HashSet<String> = first.await.unwrap().into_iter().flatten().collect();
    let before_restart = acked.len();
    let reached: HashSet<String> = gateway
        .calls()
        .into_iter()
        .filter_map(|call| match call.call {
            GrpcCall::PublishMessage(request) => Some(request.message_id),
            _ => None,
        })
        .collect();
    let left_pending = acked.difference(&reached).count();
    assert!(
        left_pending > 0,
        "the kill came too late to leave work pending"
    );

    let _service = start_binary(addr, &store, &gateway.address()).await;
    let second = (BURST..BURST + 10).map(|n| send_sms(addr, n));
    acked.extend(
        futures_util::future::join_all(second)
            .await
            .into_iter()
            .flatten(),
    );

    // Wait until every acknowledged event reached the gateway.
    let deadline = Instant::now() + Duration::from_secs(15);
    let counts = loop {
        let mut counts: HashMap<String, usize> = HashMap::new();
        let mut ids: HashMap<String, String> = HashMap::new();
        for call in gateway.calls() {
            if let GrpcCall::PublishMessage(request) = call.call {
                let variables: serde_json::Value =
                    serde_json::from_str(&request.variables).unwrap();
                let sid = variables["twilioRequest"]["request"]["body"]["MessageSid"]
                    .as_str()
                    .unwrap()
                    .to_owned();
                ids.insert(sid.clone(), request.message_id.clone());
                assert_eq!(
                    request.message_id, sid,
                    "the message id lets Zeebe deduplicate"
                );
                *counts.entry(sid).or_default() += 1;
            }
        }
        if acked.iter().all(|sid| counts.contains_key(sid)) {
            break counts;
        }
        assert!(Instant::now() < deadline, "acknowledged events were lost");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let delivered: usize = counts.values().sum();
    let duplicates = delivered - counts.len();
    println!(
        "sigkill: sent {}, acknowledged {} ({before_restart} before the kill, {left_pending} of them \
         not yet sent at the kill), delivered {delivered} ({} distinct), duplicates {duplicates} \
         (same message id: Zeebe drops them)",
        BURST + 10,
        acked.len(),
        counts.len()
    );
    assert!(acked.iter().all(|sid| counts.contains_key(sid)));
}

async fn post_sms(app: &App, n: usize) -> crate::support::Answer {
    let (target, signature, body) = signed("sms-start", &sms_fields(n));
    send(
        app.addr,
        "POST",
        &target,
        &[("Content-Type", FORM), ("X-Twilio-Signature", &signature)],
        body.as_bytes(),
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_permanent_failure_is_a_dead_letter_until_retried() {
    use webhook::admin::{apply, Op};
    use webhook::outbox::EntryState;
    let dir = tempfile::tempdir().unwrap();
    let gateway = FakeGateway::start().await.unwrap();
    gateway.fail_next(1, StatusCode::NotFound);
    let dispatcher = grpc_dispatcher(&gateway, dir.path());
    let (app, outbox) = start_with_mode(dispatcher, dir.path(), Default::default()).await;

    assert_eq!(post_sms(&app, 1).await.status, 200);
    drained(&outbox, Duration::from_secs(5)).await;
    let dead = outbox.list(EntryState::Dead, 10).await.unwrap();
    assert_eq!(dead.len(), 1, "{dead:?}");
    assert!(
        dead[0]
            .last_error
            .as_deref()
            .unwrap()
            .starts_with("NOT_FOUND"),
        "{dead:?}"
    );

    // After deploying the process, the operator retries it.
    let moved = apply(&outbox, Op::Retry { ids: None }).await.unwrap();
    assert_eq!(moved["moved"], 1);
    drained(&outbox, Duration::from_secs(5)).await;
    assert_eq!(
        outbox.list(EntryState::Delivered, 10).await.unwrap().len(),
        1
    );
    assert_eq!(gateway.calls().len(), 2);
    let metrics = outbox.render_metrics().await;
    assert!(
        metrics.contains("webhook_outbox_dead_letters_total 1"),
        "{metrics}"
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_mode_answers_zeebe_errors_but_queues_when_zeebe_is_unreachable() {
    let dir = tempfile::tempdir().unwrap();
    let gateway = FakeGateway::start().await.unwrap();
    let dispatcher = grpc_dispatcher(&gateway, dir.path());
    let (app, outbox) = start_with_mode(dispatcher, dir.path(), DispatchMode::Sync).await;

    // Not deployed: Camunda's 404, nothing kept, and a retry may try again.
    gateway.fail_next(1, StatusCode::NotFound);
    assert_eq!(post_sms(&app, 1).await.status, 404);
    assert_eq!(outbox.stats().await.unwrap().pending, 0);
    assert_eq!(post_sms(&app, 1).await.status, 200);
    assert_eq!(gateway.calls().len(), 2);

    // Unreachable: accepted into the outbox and delivered later.
    let counting = Counting::new(
        grpc_dispatcher(&gateway, dir.path()),
        Duration::from_millis(500),
    );
    app.stop().await;
    let dir2 = tempfile::tempdir().unwrap();
    let (app, outbox) = start_with_mode(counting.clone(), dir2.path(), DispatchMode::Sync).await;
    assert_eq!(post_sms(&app, 2).await.status, 200);
    assert!(counting.refused.load(Ordering::SeqCst) >= 1);
    drained(&outbox, Duration::from_secs(5)).await;
    let counts = counting.delivered.lock().unwrap().clone();
    assert_eq!(counts.get(&sms_fields(2)[3].1), Some(&1), "{counts:?}");
    app.stop().await;
}

#[tokio::test]
async fn the_admin_endpoint_runs_operator_commands() {
    use webhook::admin::server::routes;
    use webhook::admin::Op;
    use webhook::outbox::EntryState;
    let dir = tempfile::tempdir().unwrap();
    let outbox = Outbox::open(dir.path().join("outbox.log"), support::fast_retries()).unwrap();
    let command = Command::CreateProcessInstance {
        bpmn_process_id: "p".into(),
        version: -1,
        tenant_id: None,
        variables: Default::default(),
    };
    outbox.accept("w", command, Vec::new()).await.unwrap();
    let guard = webhook::admin::Guard {
        addr: "127.0.0.1:9".parse().unwrap(),
        token: None,
    };
    let api = routes(outbox.clone(), guard);

    let list = warp::test::request()
        .method("POST")
        .path("/outbox")
        .header("host", "127.0.0.1:9")
        .json(&Op::List {
            state: EntryState::Pending,
            limit: 10,
        })
        .reply(&api)
        .await;
    assert_eq!(list.status(), 200);
    let body: serde_json::Value = serde_json::from_slice(list.body()).unwrap();
    assert_eq!(body["entries"][0]["id"], 1, "{body}");
    assert_eq!(body["entries"][0]["command"]["bpmnProcessId"], "p");

    let missing = warp::test::request()
        .method("POST")
        .path("/outbox")
        .header("host", "127.0.0.1:9")
        .json(&Op::Show { id: 42 })
        .reply(&api)
        .await;
    assert_eq!(missing.status(), 400);
    assert!(String::from_utf8_lossy(missing.body()).contains("no outbox entry 42"));

    let bad = warp::test::request()
        .method("POST")
        .path("/outbox")
        .header("host", "127.0.0.1:9")
        .header("content-type", "application/json")
        .body(r#"{"op":"dropEverything"}"#)
        .reply(&api)
        .await;
    assert_eq!(bad.status(), 400);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_webhook_can_ask_for_sync_dispatch_in_its_definition() {
    let dir = tempfile::tempdir().unwrap();
    let toml = dir.path().join("webhooks.toml");
    std::fs::write(
        &toml,
        "[[webhook]]\nid = \"sync-start\"\nmethod = \"post\"\nstart_process = \"p\"\ndispatch = \"sync\"\n",
    )
    .unwrap();
    let gateway = FakeGateway::start().await.unwrap();
    gateway.fail_next(1, StatusCode::NotFound);
    let dispatcher = grpc_dispatcher(&gateway, dir.path());
    let (app, outbox) = support::spawn_with_outbox(&[toml], dispatcher, dir.path(), |_| {}).await;
    // The global mode is `outbox`, but this webhook answers with Zeebe's 404.
    let answer = send(
        app.addr,
        "POST",
        "/inbound/sync-start",
        &[("Content-Type", FORM)],
        b"a=1",
    )
    .await;
    assert_eq!(answer.status, 404, "{answer:?}");
    assert_eq!(outbox.stats().await.unwrap().pending, 0);
    app.stop().await;
}

/// The value of one metric line in the Prometheus text.
pub(crate) fn metric(text: &str, name: &str) -> u64 {
    text.lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or_else(|| panic!("no {name} in {text}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_accepts_share_commits_and_keep_ids_dedup_and_order_keys_right() {
    use webhook::outbox::{Enqueued, EntryState};
    const TASKS: usize = 200;
    const KEYS: usize = 50;
    let dir = tempfile::tempdir().unwrap();
    let outbox = Outbox::open(dir.path().join("outbox.log"), support::fast_retries()).unwrap();
    let tasks: Vec<_> = (0..TASKS)
        .map(|n| {
            let outbox = outbox.clone();
            tokio::spawn(async move {
                let key = format!("w\u{0}SM{}", n % KEYS);
                let command = Command::PublishMessage {
                    name: "m".into(),
                    correlation_key: format!("order-{}", n % 5),
                    message_id: String::new(),
                    time_to_live: Duration::from_secs(60),
                    tenant_id: None,
                    variables: Default::default(),
                };
                let answer = outbox.accept("w", command, vec![key.clone()]).await;
                (key, answer.unwrap())
            })
        })
        .collect();
    let mut stored_ids = Vec::new();
    let mut stored_keys = Vec::new();
    for task in tasks {
        match task.await.unwrap() {
            (key, Enqueued::Stored(id)) => {
                stored_ids.push(id);
                stored_keys.push(key);
            }
            (_, Enqueued::Duplicate) => {}
        }
    }
    // Exactly one event stored per key, each under its own id.
    assert_eq!(stored_keys.len(), KEYS);
    assert_eq!(stored_keys.iter().collect::<HashSet<_>>().len(), KEYS);
    let distinct: HashSet<u64> = stored_ids.iter().copied().collect();
    assert_eq!(distinct.len(), KEYS);
    // The store holds exactly those, numbered 1..=KEYS without a gap.
    let pending = outbox.list(EntryState::Pending, 1000).await.unwrap();
    let in_store: HashSet<u64> = pending.iter().map(|e| e.id).collect();
    assert_eq!(in_store, distinct);
    assert_eq!(in_store, (1..=KEYS as u64).collect());
    // Every order key has pending entries, so a sync dispatch would wait.
    for n in 0..5 {
        let probe = Command::PublishMessage {
            name: "m".into(),
            correlation_key: format!("order-{n}"),
            message_id: String::new(),
            time_to_live: Duration::from_secs(60),
            tenant_id: None,
            variables: Default::default(),
        };
        assert!(outbox.must_wait(&probe).await.unwrap(), "order-{n}");
    }
    let metrics = outbox.render_metrics().await;
    let commits = metric(&metrics, "webhook_outbox_commits_total");
    let requests = metric(&metrics, "webhook_outbox_committed_requests_total");
    println!("{TASKS} concurrent accepts: {commits} commits");
    assert_eq!(requests, TASKS as u64);
    assert!((1..=TASKS as u64).contains(&commits), "{commits}");
}

#[tokio::test]
async fn a_dropped_outbox_can_be_reopened_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("outbox.log");
    let command = Command::CreateProcessInstance {
        bpmn_process_id: "p".into(),
        version: -1,
        tenant_id: None,
        variables: Default::default(),
    };
    let outbox = Outbox::open(&path, support::fast_retries()).unwrap();
    outbox.accept("w", command, vec!["k".into()]).await.unwrap();
    drop(outbox);
    // The writer thread has let go of the file: no "open in another process".
    let again = Outbox::open(&path, support::fast_retries()).unwrap();
    assert_eq!(again.stats().await.unwrap().pending, 1);
    assert_eq!(
        again.claim(vec!["k".into()]).await.unwrap(),
        webhook::outbox::Enqueued::Duplicate
    );
}

/// Holds each call open a little and records the most calls open at once.
#[derive(Debug, Default)]
struct Overlap {
    open: AtomicUsize,
    most: AtomicUsize,
    done: AtomicUsize,
}

impl Dispatcher for Overlap {
    fn dispatch(&self, _command: Command) -> DispatchFuture<'_> {
        Box::pin(async move {
            let now = self.open.fetch_add(1, Ordering::SeqCst) + 1;
            self.most.fetch_max(now, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(5)).await;
            self.open.fetch_sub(1, Ordering::SeqCst);
            self.done.fetch_add(1, Ordering::SeqCst);
            Ok(webhook::zeebe::Outcome::Journaled)
        })
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_worker_keeps_to_its_concurrency_while_outcomes_are_committed() {
    let dir = tempfile::tempdir().unwrap();
    let settings = OutboxSettings {
        concurrency: 3,
        ..support::fast_retries()
    };
    let outbox = Outbox::open(dir.path().join("outbox.log"), settings).unwrap();
    for n in 0..30 {
        let command = Command::CreateProcessInstance {
            bpmn_process_id: format!("p{n}"),
            version: -1,
            tenant_id: None,
            variables: Default::default(),
        };
        outbox.accept("w", command, Vec::new()).await.unwrap();
    }
    let overlap = Arc::new(Overlap::default());
    let worker = webhook::outbox::worker::spawn(outbox.clone(), overlap.clone());
    drained(&outbox, Duration::from_secs(10)).await;
    worker.stop().await;
    let most = overlap.most.load(Ordering::SeqCst);
    println!("30 deliveries, at most {most} at once (limit 3)");
    assert!((1..=3).contains(&most), "{most} calls at once");
    assert_eq!(overlap.done.load(Ordering::SeqCst), 30);
    let delivered = outbox
        .list(webhook::outbox::EntryState::Delivered, 100)
        .await
        .unwrap();
    assert_eq!(delivered.len(), 30);
}

/// An embedder that stops the service may open its outbox again at once
/// (to inspect it, or to start another service on it): `stop` returns only
/// once nothing of the service holds the store. Repeated, because what it
/// guards against is a race with the delivery thread.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_stop_the_outbox_can_be_opened_again_at_once() {
    use webhook::outbox::EntryState;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("outbox.log");
    let dispatcher = FakeDispatcher::new();
    for round in 0..20 {
        let (app, outbox) = start(dispatcher.clone(), dir.path()).await;
        drop(outbox);
        assert_eq!(post_sms(&app, round).await.status, 200, "round {round}");
        app.stop().await;
        let reopened = Outbox::open(&path, support::fast_retries())
            .unwrap_or_else(|e| panic!("round {round}: the outbox is still held after stop: {e}"));
        let kept = reopened.list(EntryState::Pending, 100).await.unwrap().len()
            + reopened
                .list(EntryState::Delivered, 100)
                .await
                .unwrap()
                .len();
        assert!(
            kept >= 1,
            "round {round}: the accepted event is in the outbox"
        );
    }
}
