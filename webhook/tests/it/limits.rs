//! Hostile input: oversized heads, slow clients, floods, pathological FEEL
//! inputs, unsigned junk, and secrets in `Debug` output.

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::support::{self, fixture, send, spawn, spawn_with, toml_file, Answer, App, TOKEN};

fn webhooks() -> Vec<std::path::PathBuf> {
    vec![fixture("webhooks.toml")]
}

#[tokio::test]
async fn too_many_headers_get_431() {
    let app = spawn(&webhooks()).await;
    let names: Vec<String> = (0..100).map(|i| format!("x-filler-{i}")).collect();
    let headers: Vec<(&str, &str)> = names.iter().map(|n| (n.as_str(), "1")).collect();
    let answer = send(app.addr, "GET", "/health", &headers, b"").await;
    assert_eq!(answer.status, 431);
    // Within the limit is fine.
    let answer = send(app.addr, "GET", "/health", &headers[..40], b"").await;
    assert_eq!(answer.status, 200);
    app.stop().await;
}

#[tokio::test]
async fn oversized_headers_get_431() {
    let app = spawn(&webhooks()).await;
    let big = "a".repeat(20 * 1024);
    let answer = send(app.addr, "GET", "/health", &[("x-big", &big)], b"").await;
    assert_eq!(answer.status, 431);
    app.stop().await;
}

#[tokio::test]
async fn a_slowloris_client_is_disconnected() {
    let app = spawn_with(&webhooks(), |c| {
        c.limits.header_read_timeout = Duration::from_millis(800);
    })
    .await;
    let stream = TcpStream::connect(app.addr).await.unwrap();
    let (mut reader, mut writer) = stream.into_split();
    let started = Instant::now();
    // One byte every 300 ms, never finishing the head.
    let trickle = tokio::spawn(async move {
        for b in b"GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: "
            .iter()
            .cycle()
        {
            if writer.write_all(&[*b]).await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
    });
    let mut buf = Vec::new();
    let closed = tokio::time::timeout(Duration::from_secs(5), reader.read_to_end(&mut buf)).await;
    trickle.abort();
    assert!(
        closed.is_ok(),
        "the server kept a trickling connection open for 5 s"
    );
    let elapsed = started.elapsed();
    assert!(
        elapsed >= Duration::from_millis(700),
        "closed too early: {elapsed:?}"
    );
    // Whatever hyper says before closing, it is never a 200.
    assert!(!String::from_utf8_lossy(&buf).contains(" 200 "));
    app.stop().await;
}

#[tokio::test]
async fn a_body_that_never_arrives_times_out() {
    let app = spawn_with(&webhooks(), |c| {
        c.limits.body_read_timeout = Duration::from_millis(300);
    })
    .await;
    let mut stream = TcpStream::connect(app.addr).await.unwrap();
    let head = "POST /inbound/toml-json HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"a\":";
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut buf = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut buf)).await;
    assert!(read.is_ok(), "no answer within 5 s");
    let text = String::from_utf8_lossy(&buf);
    assert!(text.starts_with("HTTP/1.1 400"), "{text}");
    assert!(text.contains("did not arrive within 300 ms"), "{text}");
    assert!(app.dispatcher.commands().is_empty());
    app.stop().await;
}

/// Starts a request to `toml-json` held in the dispatcher for `hold`, and
/// returns once it holds its webhook's slot.
async fn hold_the_slot(app: &App, hold: Duration) -> tokio::task::JoinHandle<Answer> {
    *app.dispatcher.delay.lock().unwrap() = hold;
    let json = [("content-type", "application/json")];
    let addr = app.addr;
    let first =
        tokio::spawn(async move { send(addr, "POST", "/inbound/toml-json", &json, b"{}").await });
    // Wait until the first request holds the slot (it is in the dispatcher).
    let deadline = Instant::now() + Duration::from_secs(5);
    while app
        .dispatcher
        .started
        .load(std::sync::atomic::Ordering::SeqCst)
        == 0
    {
        assert!(Instant::now() < deadline, "the first request never started");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    first
}

#[tokio::test]
async fn requests_over_the_in_flight_limit_get_429_after_the_wait() {
    let app = spawn_with(&webhooks(), |c| {
        c.limits.max_in_flight = 1;
        c.limits.in_flight_wait = Duration::from_millis(100);
    })
    .await;
    let first = hold_the_slot(&app, Duration::from_millis(600)).await;
    let json = [("content-type", "application/json")];
    let asked = Instant::now();
    let second = send(app.addr, "POST", "/inbound/toml-json", &json, b"{}").await;
    assert!(asked.elapsed() >= Duration::from_millis(100), "it waited");
    assert_eq!(second.status, 429, "{}", second.body);
    assert_eq!(second.header("retry-after"), Some("1"));
    let reason = second.json()["reason"].as_str().unwrap().to_owned();
    assert!(reason.contains("1 requests"), "{reason}");
    assert!(reason.contains("within 100 ms"), "{reason}");
    // Another webhook is not affected.
    let other = send(app.addr, "GET", "/health", &[], b"").await;
    assert_eq!(other.status, 200);
    assert_eq!(first.await.unwrap().status, 200);
    // The slot is free again.
    *app.dispatcher.delay.lock().unwrap() = Duration::ZERO;
    let third = send(app.addr, "POST", "/inbound/toml-json", &json, b"{}").await;
    assert_eq!(third.status, 200, "{}", third.body);
    app.stop().await;
}

/// A burst over the limit waits for slots instead of being refused: Twilio
/// does not retry a 429 by default, so a refused message would be lost.
#[tokio::test]
async fn a_request_over_the_in_flight_limit_waits_for_the_slot() {
    let app = spawn_with(&webhooks(), |c| c.limits.max_in_flight = 1).await;
    let first = hold_the_slot(&app, Duration::from_millis(300)).await;
    let json = [("content-type", "application/json")];
    let second = send(app.addr, "POST", "/inbound/toml-json", &json, b"{}").await;
    assert_eq!(second.status, 200, "{}", second.body);
    assert_eq!(first.await.unwrap().status, 200);
    assert_eq!(app.dispatcher.commands().len(), 2);
    app.stop().await;
}

#[tokio::test]
async fn too_many_form_pairs_get_400() {
    let app = spawn(&webhooks()).await;
    let body = vec!["a=1"; 1001].join("&");
    let answer = send(
        app.addr,
        "POST",
        "/inbound/toml-json",
        &[("content-type", "application/x-www-form-urlencoded")],
        body.as_bytes(),
    )
    .await;
    assert_eq!(answer.status, 400);
    assert!(answer.body.contains("more than 1000"), "{}", answer.body);
    let query = format!("/inbound/toml-json?{body}");
    let answer = send(app.addr, "POST", &query, &[], b"").await;
    assert_eq!(answer.status, 400);
    assert!(answer.body.contains("query string"), "{}", answer.body);
    app.stop().await;
}

#[tokio::test]
async fn unsigned_junk_is_refused_before_it_is_parsed() {
    let app = spawn(&webhooks()).await;
    let json = [("content-type", "application/json")];
    // Malformed JSON to a signed webhook: 401, not the parser's 400.
    let answer = send(app.addr, "POST", "/inbound/toml-start", &json, b"{\"nope").await;
    assert_eq!(answer.status, 401, "{}", answer.body);
    // Nearly 1 MiB of deeply nested junk: still 401.
    let junk = "[".repeat(1000 * 1000);
    let answer = send(
        app.addr,
        "POST",
        "/inbound/toml-start",
        &json,
        junk.as_bytes(),
    )
    .await;
    assert_eq!(answer.status, 401, "{}", answer.body);
    // A wrong signature on junk: 401 as well.
    let signed = [
        ("content-type", "application/json"),
        ("x-twilio-signature", "AAAA"),
    ];
    let answer = send(app.addr, "POST", "/inbound/toml-start", &signed, b"{\"nope").await;
    assert_eq!(answer.status, 401, "{}", answer.body);
    assert!(app.dispatcher.commands().is_empty());
    app.stop().await;
}

#[tokio::test]
async fn deeply_nested_json_is_a_clean_400() {
    let app = spawn(&webhooks()).await;
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let json = [("content-type", "application/json")];
    let answer = send(
        app.addr,
        "POST",
        "/inbound/toml-json",
        &json,
        deep.as_bytes(),
    )
    .await;
    assert_eq!(answer.status, 400, "{}", answer.body);
    assert!(
        answer.body.contains("nested deeper than"),
        "{}",
        answer.body
    );
    app.stop().await;
}

#[tokio::test]
async fn a_huge_list_runs_out_of_fuel_with_422() {
    let dir = tempfile::tempdir().unwrap();
    let path = toml_file(
        &dir,
        r#"
[[webhook]]
id = "iterate"
start_process = "p"
activation_condition = "=some x in request.body satisfies x = 1"
result_expression = "={hits: count(request.body[item = 1])}"
"#,
    );
    let app = spawn(&[path]).await;
    let json = [("content-type", "application/json")];
    // 200,000 items: more than the fuel (100,000 steps) allows to visit.
    let zeros = format!("[{}0]", "0,".repeat(200_000));
    let answer = send(
        app.addr,
        "POST",
        "/inbound/iterate",
        &json,
        zeros.as_bytes(),
    )
    .await;
    assert_eq!(answer.status, 422, "{}", answer.body);
    assert!(answer.body.contains("fuel"), "{}", answer.body);
    assert!(
        answer.body.contains("activationCondition"),
        "{}",
        answer.body
    );
    // The activation passes early, then the filter in the result expression
    // has to walk the whole list: also stopped by fuel.
    let one_first = format!("[1,{}0]", "0,".repeat(200_000));
    let answer = send(
        app.addr,
        "POST",
        "/inbound/iterate",
        &json,
        one_first.as_bytes(),
    )
    .await;
    assert_eq!(answer.status, 422, "{}", answer.body);
    assert!(answer.body.contains("fuel"), "{}", answer.body);
    assert!(app.dispatcher.commands().is_empty());
    // A small list under the same expressions still works.
    let answer = send(app.addr, "POST", "/inbound/iterate", &json, b"[1,2,1]").await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(app.dispatcher.commands().len(), 1);
    app.stop().await;
}

#[test]
fn secrets_stay_out_of_debug_output() {
    let dispatcher = support::FakeDispatcher::new();
    let service = support::service(support::settings(&webhooks()));
    let (registry, loader) = service.load().unwrap();
    assert!(registry.definitions().any(|d| d.verification.is_some()));
    let registry_debug = format!("{registry:?}");
    assert!(!registry_debug.contains(TOKEN), "{registry_debug}");
    assert!(registry_debug.contains("redacted"), "{registry_debug}");
    assert!(!format!("{loader:?}").contains(TOKEN));
    assert!(!format!("{service:?}").contains(TOKEN));
    let state =
        webhook::state::AppState::fixed(registry, dispatcher, support::settings(&webhooks()));
    assert!(!format!("{state:?}").contains(TOKEN));

    let oauth = webhook::zeebe::OAuthCredentials {
        token_url: "https://login.example.com/oauth/token".into(),
        client_id: "client".into(),
        client_secret: webhook::secret::Secret::new("oauth-client-secret-42"),
        audience: None,
        scope: None,
    };
    let zeebe = webhook::zeebe::ZeebeSettings {
        auth: webhook::zeebe::Auth::OAuth(oauth),
        ..Default::default()
    };
    let text = format!("{zeebe:?} {zeebe:#?}");
    assert!(!text.contains("oauth-client-secret-42"), "{text}");
    assert!(text.contains("client"), "{text}");
}
