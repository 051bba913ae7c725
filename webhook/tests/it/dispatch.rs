//! What reaches the dispatcher, and how its answers become HTTP statuses
//! (TOML webhooks: no FEEL needed).

use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use webhook::zeebe::{Command, Outcome, StatusCode};

use crate::support::*;

fn toml() -> std::path::PathBuf {
    fixture("webhooks.toml")
}

async fn post_json(app: &App, body: &str) -> Answer {
    send(
        app.addr,
        "POST",
        "/inbound/toml-json",
        &[("Content-Type", "application/json")],
        body.as_bytes(),
    )
    .await
}

#[tokio::test]
async fn toml_message_start_publishes_with_ttl_and_empty_key() {
    let app = spawn(&[toml()]).await;
    let answer = post_json(&app, r#"{"event":"ping","n":[1,2]}"#).await;
    assert_eq!(answer.status, 200, "{answer:?}");
    let commands = app.dispatcher.commands();
    assert_eq!(commands.len(), 1);
    let Command::PublishMessage {
        name,
        correlation_key,
        message_id,
        time_to_live,
        tenant_id,
        variables,
    } = &commands[0]
    else {
        panic!("{commands:?}")
    };
    assert_eq!(name, "json-event");
    assert_eq!(correlation_key, "");
    assert_eq!(message_id, "");
    assert_eq!(*time_to_live, Duration::from_secs(30));
    assert_eq!(*tenant_id, None);
    assert_eq!(
        variables.parse().unwrap()["event"]["request"]["body"],
        json!({"event": "ping", "n": [1, 2]})
    );
    app.stop().await;
}

#[tokio::test]
async fn toml_start_uses_version_tenant_and_signature() {
    let app = spawn(&[toml()]).await;
    let answer = post_signed(&app, "toml-start", &[("Body", "hi")]).await;
    assert_eq!(answer.status, 200, "{answer:?}");
    let commands = app.dispatcher.commands();
    let Command::CreateProcessInstance {
        bpmn_process_id,
        version,
        tenant_id,
        ..
    } = &commands[0]
    else {
        panic!()
    };
    assert_eq!(
        (bpmn_process_id.as_str(), *version, tenant_id.as_deref()),
        ("toml-process", 7, Some("tenant-a"))
    );
    app.stop().await;
}

#[tokio::test]
async fn every_zeebe_status_maps_to_camundas_http_status() {
    let table = [
        (StatusCode::Cancelled, 499),
        (StatusCode::Unknown, 500),
        (StatusCode::InvalidArgument, 400),
        (StatusCode::DeadlineExceeded, 504),
        (StatusCode::NotFound, 404),
        (StatusCode::PermissionDenied, 403),
        (StatusCode::ResourceExhausted, 429),
        (StatusCode::FailedPrecondition, 412),
        (StatusCode::Aborted, 409),
        (StatusCode::OutOfRange, 416),
        (StatusCode::Unimplemented, 501),
        (StatusCode::Internal, 500),
        (StatusCode::Unavailable, 503),
        (StatusCode::DataLoss, 500),
        (StatusCode::Unauthenticated, 401),
    ];
    let app = spawn(&[toml()]).await;
    for (code, http) in table {
        app.dispatcher.fail(code);
        let answer = post_signed(&app, "toml-start", &[("Body", "hi")]).await;
        assert_eq!(answer.status, http, "{code:?}: {answer:?}");
        let body = answer.json();
        assert_eq!(
            body["status"],
            serde_json::to_value(code).unwrap(),
            "{code:?}"
        );
        assert!(
            !answer.body.contains("fake"),
            "Zeebe's message must not reach the caller: {}",
            answer.body
        );
    }
    // ALREADY_EXISTS on CreateProcessInstance is an error (409) …
    app.dispatcher.fail(StatusCode::AlreadyExists);
    assert_eq!(
        post_signed(&app, "toml-start", &[("Body", "hi")])
            .await
            .status,
        409
    );
    // … but on PublishMessage it means "duplicate message id": success.
    app.dispatcher.fail(StatusCode::AlreadyExists);
    let answer = post_json(&app, "{}").await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.body, "<Response/>");
    app.stop().await;
}

#[tokio::test]
async fn zeebe_down_and_back_pressure_ask_to_retry() {
    let app = spawn(&[toml()]).await;
    app.dispatcher.fail(StatusCode::Unavailable);
    let answer = post_json(&app, "{}").await;
    assert_eq!(answer.status, 503);
    assert_eq!(answer.header("retry-after"), Some("1"));
    assert_eq!(
        answer.json(),
        json!({"reason": "Zeebe did not accept the command", "status": "UNAVAILABLE"})
    );
    app.dispatcher.fail(StatusCode::ResourceExhausted);
    let answer = post_json(&app, "{}").await;
    assert_eq!(answer.status, 429);
    assert_eq!(answer.header("retry-after"), Some("1"));
    let metrics = send(app.addr, "GET", "/metrics", &[], b"").await.body;
    assert!(
        metrics.contains("webhook_dispatch_errors_total{status=\"RESOURCE_EXHAUSTED\"} 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("webhook_dispatch_errors_total{status=\"UNAVAILABLE\"} 1"),
        "{metrics}"
    );
    app.stop().await;
}

#[tokio::test]
async fn slow_zeebe_is_504() {
    let app = spawn_with(&[toml()], |c| {
        c.delivery.dispatch_timeout = Duration::from_millis(50)
    })
    .await;
    *app.dispatcher.delay.lock().unwrap() = Duration::from_millis(500);
    let answer = post_json(&app, "{}").await;
    assert_eq!(answer.status, 504);
    app.stop().await;
}

#[tokio::test]
async fn variables_over_one_and_a_half_megabytes_are_422() {
    let app = spawn_with(&[toml()], |c| c.requests.body_limit = 4 * 1024 * 1024).await;
    let big = format!("{{\"blob\":\"{}\"}}", "x".repeat(1_600_000));
    let answer = post_json(&app, &big).await;
    assert_eq!(answer.status, 422);
    assert!(answer.json()["reason"]
        .as_str()
        .unwrap()
        .contains("the limit is 1572864"));
    assert!(app.dispatcher.commands().is_empty());
    // Just under the limit passes.
    let ok = format!("{{\"blob\":\"{}\"}}", "x".repeat(1_500_000));
    assert_eq!(post_json(&app, &ok).await.status, 200);
    app.stop().await;
}

#[tokio::test]
async fn shutdown_finishes_in_flight_requests() {
    let app = spawn(&[toml()]).await;
    *app.dispatcher.delay.lock().unwrap() = Duration::from_millis(300);
    let addr = app.addr;
    let request = tokio::spawn(async move {
        send(
            addr,
            "POST",
            "/inbound/toml-json",
            &[("Content-Type", "application/json")],
            b"{}",
        )
        .await
    });
    // Wait until the request is inside the dispatcher, then stop.
    while app
        .dispatcher
        .started
        .load(std::sync::atomic::Ordering::SeqCst)
        == 0
    {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let dispatcher = Arc::clone(&app.dispatcher);
    app.stop().await;
    let answer = request.await.unwrap();
    assert_eq!(answer.status, 200);
    assert_eq!(dispatcher.commands().len(), 1);
    // And the listener is closed.
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());
}

#[tokio::test]
async fn embedded_journal_records_commands() {
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("journal.jsonl");
    // No dispatcher given and no Zeebe configured: the embedded journal.
    let mut settings = settings(&[toml()]);
    settings.delivery.journal = journal.clone();
    let running = start(service(settings)).await;
    let app = App {
        addr: running.addr(),
        dispatcher: FakeDispatcher::new(),
        running,
    };
    assert_eq!(post_json(&app, r#"{"a":1}"#).await.status, 200);
    assert_eq!(post_json(&app, r#"{"a":2}"#).await.status, 200);
    app.stop().await;
    let text = std::fs::read_to_string(&journal).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    let command = &lines[1]["command"];
    assert_eq!(command["command"], "publishMessage");
    assert_eq!(command["name"], "json-event");
    assert_eq!(
        command["variables"]["event"]["request"]["body"],
        json!({"a": 2})
    );
    let _ = Outcome::Journaled;
}
