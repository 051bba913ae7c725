//! Starting the app on 127.0.0.1:0 (through `webhook::Service`, as the
//! binary does) with a recording dispatcher, and a tiny HTTP/1.1 client
//! (loopback only).

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use webhook::outbox::Outbox;
use webhook::settings::{OutboxSettings, Settings, Sources};
use webhook::webhooks::secrets::MapSecrets;
use webhook::zeebe::{Command, DispatchError, DispatchFuture, Dispatcher, Outcome, StatusCode};
use webhook::{Running, Service};

pub const TOKEN: &str = "test-auth-token-0123456789abcdef";

/// A path under the shared test fixtures.
pub fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures")
        .join(name)
}

pub fn bpmn(name: &str) -> PathBuf {
    fixture(&format!("bpmn/{name}"))
}

/// Records every command; answers with the queued results, then `default`.
#[derive(Debug)]
pub struct FakeDispatcher {
    pub commands: Mutex<Vec<Command>>,
    pub answers: Mutex<VecDeque<Result<Outcome, DispatchError>>>,
    pub delay: Mutex<Duration>,
    /// Dispatches begun (before the delay).
    pub started: std::sync::atomic::AtomicUsize,
}

impl FakeDispatcher {
    pub fn new() -> Arc<FakeDispatcher> {
        Arc::new(FakeDispatcher {
            commands: Mutex::new(Vec::new()),
            answers: Mutex::new(VecDeque::new()),
            delay: Mutex::new(Duration::ZERO),
            started: std::sync::atomic::AtomicUsize::new(0),
        })
    }

    pub fn answer(&self, result: Result<Outcome, DispatchError>) {
        self.answers.lock().unwrap().push_back(result);
    }

    pub fn fail(&self, status: StatusCode) {
        self.answer(Err(DispatchError {
            status,
            message: format!("fake {status:?}"),
        }));
    }

    pub fn commands(&self) -> Vec<Command> {
        self.commands.lock().unwrap().clone()
    }
}

impl Dispatcher for FakeDispatcher {
    fn dispatch(&self, command: Command) -> DispatchFuture<'_> {
        Box::pin(async move {
            self.started
                .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let delay = *self.delay.lock().unwrap();
            if !delay.is_zero() {
                tokio::time::sleep(delay).await;
            }
            let created = matches!(command, Command::CreateProcessInstance { .. });
            self.commands.lock().unwrap().push(command);
            let queued = self.answers.lock().unwrap().pop_front();
            queued.unwrap_or(Ok(if created {
                Outcome::ProcessInstanceCreated {
                    process_instance_key: 2251799813685249,
                    tenant_id: None,
                }
            } else {
                Outcome::MessagePublished {
                    message_key: 2251799813685300,
                    tenant_id: None,
                }
            }))
        })
    }
}

pub fn secrets() -> Arc<MapSecrets> {
    Arc::new(MapSecrets(HashMap::from([(
        "TEST_TWILIO_TOKEN".to_owned(),
        TOKEN.to_owned(),
    )])))
}

pub struct App {
    pub addr: SocketAddr,
    pub dispatcher: Arc<FakeDispatcher>,
    pub running: Running,
}

impl App {
    /// Stops the server (in-flight requests finish) and waits for it.
    pub async fn stop(self) {
        self.running.stop().await;
    }

    /// The outbox, when the settings asked for one.
    pub fn outbox(&self) -> Outbox {
        self.running
            .state()
            .outbox()
            .cloned()
            .expect("the app has an outbox")
    }
}

/// The settings most tests run with: these sources, a free loopback port,
/// the public URL the signatures are made for, no reloading, and no outbox
/// (commands go inline to the dispatcher; the outbox tests turn it on).
pub fn settings(sources: &[PathBuf]) -> Settings {
    let (bpmn, toml): (Vec<PathBuf>, Vec<PathBuf>) = sources
        .iter()
        .cloned()
        .partition(|p| p.extension().is_none_or(|e| e != "toml"));
    let mut settings = Settings {
        sources: Sources {
            bpmn,
            toml: toml.into_iter().next(),
            reload_interval: None,
            ..Sources::default()
        },
        listen: "127.0.0.1:0".parse().unwrap(),
        ..Settings::default()
    };
    settings.requests.public_url = Some("https://hooks.example.com".into());
    settings.delivery.outbox_path = None;
    settings
}

/// The service over these settings, with the test secrets.
pub fn service(settings: Settings) -> Service {
    Service::new(settings).with_secrets(secrets())
}

/// Spawns the app over these sources.
pub async fn spawn(sources: &[PathBuf]) -> App {
    spawn_with(sources, |_| {}).await
}

/// Spawns the app over these sources with `tweak`ed settings and a
/// [`FakeDispatcher`].
pub async fn spawn_with(sources: &[PathBuf], tweak: impl FnOnce(&mut Settings)) -> App {
    let dispatcher = FakeDispatcher::new();
    let mut settings = settings(sources);
    tweak(&mut settings);
    let running = start(service(settings).with_dispatcher(dispatcher.clone())).await;
    App {
        addr: running.addr(),
        dispatcher,
        running,
    }
}

/// Starts a service; loading errors fail the test loudly, with the message.
pub async fn start(service: Service) -> Running {
    match service.start().await {
        Ok(running) => running,
        Err(e) => panic!("the service did not start:\n{e}"),
    }
}

/// Writes a TOML webhook file into `dir` and returns its path.
pub fn toml_file(dir: &tempfile::TempDir, text: &str) -> PathBuf {
    let path = dir.path().join("hooks.toml");
    std::fs::write(&path, text).unwrap();
    path
}

/// A service binary started by a test, killed when dropped (the test
/// failing or not).
pub struct Binary {
    pub child: std::process::Child,
}

impl Drop for Binary {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A free loopback address, for a service binary to listen on.
pub fn free_addr() -> SocketAddr {
    let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    probe.local_addr().unwrap()
}

/// Returns once something listens at `addr` (a service binary started);
/// fails the test after 10 s.
pub async fn wait_listening(addr: SocketAddr) {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while tokio::net::TcpStream::connect(addr).await.is_err() {
        assert!(
            std::time::Instant::now() < deadline,
            "the service did not start"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Outbox retries fast enough for tests.
pub fn fast_retries() -> OutboxSettings {
    OutboxSettings {
        retry_base: Duration::from_millis(50),
        retry_max: Duration::from_millis(400),
        degraded_after: Duration::from_millis(300),
        ..OutboxSettings::default()
    }
}

/// The app with an outbox in `dir` (quick retries), delivering through
/// `dispatcher`, which also takes the inline dispatches of sync mode.
pub async fn spawn_with_outbox(
    sources: &[std::path::PathBuf],
    dispatcher: Arc<dyn Dispatcher>,
    dir: &Path,
    tweak: impl FnOnce(&mut Settings),
) -> (App, Outbox) {
    let mut settings = settings(sources);
    settings.delivery.outbox_path = Some(dir.join("outbox.log"));
    settings.delivery.outbox = fast_retries();
    tweak(&mut settings);
    let running = start(service(settings).with_dispatcher(dispatcher)).await;
    let app = App {
        addr: running.addr(),
        dispatcher: FakeDispatcher::new(),
        running,
    };
    let outbox = app.outbox();
    (app, outbox)
}

/// An HTTP answer.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: HashMap<String, String>,
    pub body: String,
}

impl Answer {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(String::as_str)
    }
}

/// Sends one request (Connection: close) and reads the whole answer.
pub async fn send(
    addr: SocketAddr,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Answer {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut head = format!(
        "{method} {target} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(body).await.unwrap();
    let mut raw = Vec::new();
    let _ = stream.read_to_end(&mut raw).await;
    parse_answer(&raw)
}

fn parse_answer(raw: &[u8]) -> Answer {
    let text = String::from_utf8_lossy(raw);
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let mut lines = head.lines();
    let status = lines
        .next()
        .unwrap_or_default()
        .split(' ')
        .nth(1)
        .unwrap_or("0")
        .parse()
        .unwrap();
    let headers: HashMap<String, String> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let body = if headers
        .get("transfer-encoding")
        .is_some_and(|v| v == "chunked")
    {
        dechunk(body)
    } else {
        body.to_owned()
    };
    Answer {
        status,
        headers,
        body,
    }
}

fn dechunk(mut body: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = body.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 {
            break;
        }
        out.push_str(&rest[..n]);
        body = &rest[n + 2..];
    }
    out
}

/// Form-encodes pairs.
pub fn form_body(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", webhook::form::encode(k), webhook::form::encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// The signature Twilio would send for a form POST to `public_url`.
pub fn sign_form(public_url: &str, pairs: &[(&str, &str)]) -> String {
    let params: Vec<(String, String)> = pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    webhook::twilio::SignedRequest::form(TOKEN, public_url, params).signature
}

/// A realistic inbound SMS (made-up identifiers).
pub fn sms(body: &str) -> Vec<(&'static str, String)> {
    vec![
        ("ToCountry", "US".into()),
        ("SmsMessageSid", "SM00000000000000000000000000000001".into()),
        ("NumMedia", "0".into()),
        ("ToCity", "".into()),
        ("SmsStatus", "received".into()),
        ("Body", body.to_owned()),
        ("To", "+15005550006".into()),
        ("MessageSid", "SM00000000000000000000000000000001".into()),
        ("AccountSid", "AC00000000000000000000000000000000".into()),
        ("From", "+15005550001".into()),
        ("ApiVersion", "2010-04-01".into()),
    ]
}

pub fn pairs<'a>(v: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    v.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

pub const FORM: &str = "application/x-www-form-urlencoded";

/// POSTs a signed form to `/inbound/<id>` (public URL https://hooks.example.com).
pub async fn post_signed(app: &App, id: &str, fields: &[(&str, &str)]) -> Answer {
    let path = format!("/inbound/{id}");
    let signature = sign_form(&format!("https://hooks.example.com{path}"), fields);
    send(
        app.addr,
        "POST",
        &path,
        &[("Content-Type", FORM), ("X-Twilio-Signature", &signature)],
        form_body(fields).as_bytes(),
    )
    .await
}
