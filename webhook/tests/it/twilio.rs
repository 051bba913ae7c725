//! Twilio's callbacks as Twilio sends them: one status callback per state
//! change of a message (same MessageSid, each with its own idempotency
//! token, repeated on retries), the message id a publish carries, and what
//! a response expression learns about a queued event.

use std::time::Duration;

use serde_json::json;
use webhook::zeebe::Command;

use crate::support::{self, bpmn, form_body, send, sign_form, FakeDispatcher, FORM};

/// A signed status callback to `/inbound/sms-start` with this status and
/// idempotency token (if any).
async fn status_callback(app: &support::App, status: &str, token: Option<&str>) -> u16 {
    let fields = [
        ("MessageSid", "SM00000000000000000000000000000042"),
        ("MessageStatus", status),
        ("SmsStatus", status),
        ("To", "+15005550006"),
    ];
    let target = "/inbound/sms-start";
    let signature = sign_form(&format!("https://hooks.example.com{target}"), &fields);
    let mut headers = vec![
        ("Content-Type", FORM),
        ("X-Twilio-Signature", signature.as_str()),
    ];
    if let Some(token) = token {
        headers.push(("I-Twilio-Idempotency-Token", token));
    }
    send(
        app.addr,
        "POST",
        target,
        &headers,
        form_body(&fields).as_bytes(),
    )
    .await
    .status
}

fn statuses(dispatcher: &FakeDispatcher) -> Vec<String> {
    dispatcher
        .commands()
        .iter()
        .map(|c| match c {
            Command::CreateProcessInstance { variables, .. } => variables.parse().unwrap()
                ["twilioRequest"]["request"]["body"]["MessageStatus"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
            other => panic!("{other:?}"),
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_status_callback_arrives_once_and_retries_are_dropped() {
    let dir = tempfile::tempdir().unwrap();
    let dispatcher = FakeDispatcher::new();
    let (app, outbox) = support::spawn_with_outbox(
        &[bpmn("start-event.bpmn")],
        dispatcher.clone(),
        dir.path(),
        |_| {},
    )
    .await;
    // Two state changes of one message, then Twilio retrying the first.
    assert_eq!(status_callback(&app, "sent", Some("idem-1")).await, 200);
    assert_eq!(
        status_callback(&app, "delivered", Some("idem-2")).await,
        200
    );
    assert_eq!(status_callback(&app, "sent", Some("idem-1")).await, 200);
    // Without tokens (a proxy that strips them): MessageSid plus status.
    assert_eq!(status_callback(&app, "read", None).await, 200);
    assert_eq!(status_callback(&app, "read", None).await, 200);
    drain(&outbox).await;
    assert_eq!(statuses(&dispatcher), ["sent", "delivered", "read"]);
    let metrics = send(app.addr, "GET", "/metrics", &[], b"").await.body;
    assert!(
        metrics.contains(r#"webhook_requests_total{webhook="sms-start",outcome="duplicate"} 2"#),
        "{metrics}"
    );
    app.stop().await;
}

async fn drain(outbox: &webhook::outbox::Outbox) {
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while outbox.stats().await.unwrap().pending > 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "the outbox did not drain"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn toml_webhook(dir: &std::path::Path, entry: &str) -> std::path::PathBuf {
    let path = dir.join("webhooks.toml");
    std::fs::write(&path, format!("[[webhook]]\n{entry}")).unwrap();
    path
}

#[tokio::test]
async fn a_message_without_a_message_id_expression_is_published_with_an_empty_id() {
    let dir = tempfile::tempdir().unwrap();
    let toml = toml_webhook(
        dir.path(),
        "id = \"reply\"\nmessage = \"sms-reply\"\ncorrelation_key = \"=request.body.From\"\n",
    );
    let app = support::spawn(&[toml]).await;
    let fields = [("From", "+1555"), ("MessageSid", "SM1")];
    let answer = send(
        app.addr,
        "POST",
        "/inbound/reply",
        &[("Content-Type", FORM)],
        form_body(&fields).as_bytes(),
    )
    .await;
    assert_eq!(answer.status, 200, "{answer:?}");
    match &app.dispatcher.commands()[0] {
        Command::PublishMessage { message_id, .. } => assert_eq!(message_id, ""),
        other => panic!("{other:?}"),
    }
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_response_expression_sees_what_is_known_of_a_queued_event() {
    let dir = tempfile::tempdir().unwrap();
    let toml = toml_webhook(
        dir.path(),
        "id = \"queued\"\nstart_process = \"order\"\ntenant_id = \"t1\"\nresponse_expression = \"={body: correlation}\"\n",
    );
    let (app, _outbox) =
        support::spawn_with_outbox(&[toml], FakeDispatcher::new(), dir.path(), |_| {}).await;
    let post = |token: &'static str| {
        let addr = app.addr;
        async move {
            send(
                addr,
                "POST",
                "/inbound/queued",
                &[
                    ("Content-Type", FORM),
                    ("I-Twilio-Idempotency-Token", token),
                ],
                b"Body=hi",
            )
            .await
        }
    };
    let first = post("t-1").await;
    assert_eq!(first.status, 200, "{first:?}");
    let body = first.json();
    assert_eq!(body["type"], "queued");
    assert!(body["outboxEntry"].is_u64(), "{body}");
    assert_eq!(
        (
            body["command"].clone(),
            body["bpmnProcessId"].clone(),
            body["version"].clone(),
            body["tenantId"].clone()
        ),
        (
            json!("createProcessInstance"),
            json!("order"),
            json!(-1),
            json!("t1")
        )
    );
    // The same request again: a duplicate, said so.
    let again = post("t-1").await.json();
    assert_eq!(again["type"], "duplicate", "{again}");
    app.stop().await;
}
