//! Routing, methods, body limits, malformed input, health and metrics.

use serde_json::json;
use webhook::zeebe::Command;

use crate::support::*;

#[tokio::test]
async fn unknown_id_is_404() {
    let app = spawn(&[bpmn("start-event.bpmn")]).await;
    let answer = send(
        app.addr,
        "POST",
        "/inbound/nope",
        &[("Content-Type", FORM)],
        b"a=1",
    )
    .await;
    assert_eq!(answer.status, 404);
    assert_eq!(
        answer.json(),
        json!({"reason": "no webhook with id `nope`"})
    );
    let answer = send(app.addr, "GET", "/inbound/sms-start/extra", &[], b"").await;
    assert_eq!(answer.status, 404);
    assert!(app.dispatcher.commands().is_empty());
    app.stop().await;
}

#[tokio::test]
async fn wrong_method_is_405_before_the_signature() {
    let app = spawn(&[bpmn("start-event.bpmn"), bpmn("start-event-v1.bpmn")]).await;
    // sms-start is POST only; no signature needed to learn that.
    let answer = send(app.addr, "GET", "/inbound/sms-start", &[], b"").await;
    assert_eq!(answer.status, 405);
    assert_eq!(answer.json(), json!({"reason": "Method GET not supported"}));
    // sms-legacy is GET only.
    let answer = send(
        app.addr,
        "POST",
        "/inbound/sms-legacy",
        &[("Content-Type", FORM)],
        b"a=1",
    )
    .await;
    assert_eq!(answer.status, 405);
    // Methods Camunda does not map at all.
    let answer = send(app.addr, "PATCH", "/inbound/sms-legacy", &[], b"").await;
    assert_eq!(answer.status, 405);
    assert!(app.dispatcher.commands().is_empty());
    app.stop().await;
}

#[tokio::test]
async fn get_with_query_builds_params_and_empty_body() {
    let app = spawn(&[bpmn("start-event-v1.bpmn")]).await;
    let answer = send(
        app.addr,
        "GET",
        "/inbound/sms-legacy?From=%2B15005550001&Body=hi+there&Body=again",
        &[],
        b"",
    )
    .await;
    assert_eq!(answer.status, 200, "{answer:?}");
    let commands = app.dispatcher.commands();
    let Command::CreateProcessInstance {
        bpmn_process_id,
        variables,
        ..
    } = &commands[0]
    else {
        panic!()
    };
    assert_eq!(bpmn_process_id, "sms-legacy");
    let variables = variables.parse().unwrap();
    assert_eq!(
        variables["sms"]["request"]["params"],
        json!({"From": "+15005550001", "Body": "hi there"})
    );
    assert_eq!(variables["sms"]["request"]["body"], json!({}));
    app.stop().await;
}

#[tokio::test]
async fn oversized_body_is_413() {
    let app = spawn_with(&[bpmn("start-event.bpmn")], |c| {
        c.requests.body_limit = 1000
    })
    .await;
    let big = format!("Body={}", "x".repeat(2000));
    let answer = send(
        app.addr,
        "POST",
        "/inbound/sms-start",
        &[("Content-Type", FORM), ("X-Twilio-Signature", "x")],
        big.as_bytes(),
    )
    .await;
    assert_eq!(answer.status, 413);
    assert_eq!(
        answer.json(),
        json!({"reason": "the request body is larger than 1000 bytes"})
    );
    assert!(app.dispatcher.commands().is_empty());
    app.stop().await;
}

#[tokio::test]
async fn malformed_form_is_400() {
    let app = spawn(&[bpmn("start-event.bpmn")]).await;
    let answer = send(
        app.addr,
        "POST",
        "/inbound/sms-start",
        &[("Content-Type", FORM), ("X-Twilio-Signature", "x")],
        b"Body=ok&From=%ZZ",
    )
    .await;
    assert_eq!(answer.status, 400);
    let reason = answer.json()["reason"].as_str().unwrap().to_owned();
    assert!(reason.contains("malformed form body: pair #2"), "{reason}");
    assert!(app.dispatcher.commands().is_empty());
    app.stop().await;
}

/// `sms-reply`'s expressions read only `request.body`, so `request.params`
/// is not built; a malformed query string is still refused.
#[tokio::test]
async fn malformed_query_is_400_even_when_no_expression_reads_params() {
    let app = spawn(&[bpmn("intermediate-catch.bpmn")]).await;
    let sms = sms("yes");
    let fields = pairs(&sms);
    let answer_for = |path: &'static str| {
        let signature = sign_form(&format!("https://hooks.example.com{path}"), &fields);
        let body = form_body(&fields);
        async move {
            send(
                app.addr,
                "POST",
                path,
                &[("Content-Type", FORM), ("X-Twilio-Signature", &signature)],
                body.as_bytes(),
            )
            .await
        }
    };
    let answer = answer_for("/inbound/sms-reply?a=%G1").await;
    assert_eq!(answer.status, 400, "{answer:?}");
    let reason = answer.json()["reason"].as_str().unwrap().to_owned();
    assert!(
        reason.contains("malformed query string: pair #1"),
        "{reason}"
    );
    assert!(app.dispatcher.commands().is_empty());

    let answer = answer_for("/inbound/sms-reply?a=%41").await;
    assert_eq!(answer.status, 200, "{answer:?}");
    assert_eq!(app.dispatcher.commands().len(), 1);
    app.stop().await;
}

#[tokio::test]
async fn invalid_json_is_400_and_xml_stays_text() {
    let app = spawn(&[bpmn("start-event-v1.bpmn")]).await;
    // sms-legacy only takes GET; bodies on GET are still parsed.
    let answer = send(
        app.addr,
        "GET",
        "/inbound/sms-legacy",
        &[("Content-Type", "application/json")],
        b"{\"a\":",
    )
    .await;
    assert_eq!(answer.status, 400);
    assert!(answer.json()["reason"]
        .as_str()
        .unwrap()
        .starts_with("the body is not valid JSON"));
    assert!(app.dispatcher.commands().is_empty());
    let answer = send(
        app.addr,
        "GET",
        "/inbound/sms-legacy",
        &[("Content-Type", "text/xml")],
        b"<a>1</a>",
    )
    .await;
    assert_eq!(answer.status, 200);
    let commands = app.dispatcher.commands();
    let Command::CreateProcessInstance { variables, .. } = &commands[0] else {
        panic!()
    };
    assert_eq!(
        variables.parse().unwrap()["sms"]["request"]["body"],
        json!("<a>1</a>")
    );
    app.stop().await;
}

#[tokio::test]
async fn health_lists_ids_and_metrics_count_outcomes() {
    let app = spawn(&[bpmn("start-event.bpmn"), bpmn("start-event-v1.bpmn")]).await;
    let health = send(app.addr, "GET", "/health", &[], b"").await;
    assert_eq!(health.status, 200);
    assert_eq!(
        health.json(),
        json!({"status": "ok", "webhooks": ["sms-legacy", "sms-start"]})
    );

    send(app.addr, "GET", "/inbound/sms-legacy", &[], b"").await;
    send(app.addr, "GET", "/inbound/unknown-1", &[], b"").await;
    send(app.addr, "GET", "/inbound/unknown-2", &[], b"").await;
    send(
        app.addr,
        "POST",
        "/inbound/sms-start",
        &[("Content-Type", FORM)],
        b"a=1",
    )
    .await;
    let metrics = send(app.addr, "GET", "/metrics", &[], b"").await;
    assert_eq!(metrics.status, 200);
    assert!(metrics
        .header("content-type")
        .unwrap()
        .starts_with("text/plain"));
    let text = &metrics.body;
    assert!(
        text.contains("webhook_requests_total{webhook=\"sms-legacy\",outcome=\"accepted\"} 1"),
        "{text}"
    );
    assert!(
        text.contains("webhook_requests_total{webhook=\"\",outcome=\"not_found\"} 2"),
        "{text}"
    );
    assert!(
        text.contains("webhook_requests_total{webhook=\"sms-start\",outcome=\"unauthorized\"} 1"),
        "{text}"
    );
    assert!(
        text.contains("webhook_request_duration_seconds_count 4"),
        "{text}"
    );
    app.stop().await;
}

#[tokio::test]
async fn camunda_compatible_responses_are_empty() {
    let app = spawn_with(&[bpmn("start-event-v1.bpmn")], |c| {
        c.requests.camunda_compatible_responses = true
    })
    .await;
    let answer = send(app.addr, "GET", "/inbound/sms-legacy", &[], b"").await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.body, "");
    assert_eq!(answer.header("content-type"), None);
    app.stop().await;
}

#[tokio::test]
async fn handler_level_with_warp_test() {
    let dispatcher = FakeDispatcher::new();
    let settings = settings(&[bpmn("start-event-v1.bpmn")]);
    let (registry, _) = service(settings.clone()).load().unwrap();
    let state = webhook::state::AppState::fixed(registry, dispatcher.clone(), settings);
    let api = webhook::http::routes(state, None);
    let res = warp::test::request()
        .method("GET")
        .path("/inbound/sms-legacy?x=1")
        .reply(&api)
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.body(), "<Response/>");
    let res = warp::test::request()
        .method("DELETE")
        .path("/inbound/sms-legacy")
        .reply(&api)
        .await;
    assert_eq!(res.status(), 405);
    let res = warp::test::request()
        .method("GET")
        .path("/elsewhere")
        .reply(&api)
        .await;
    assert_eq!(res.status(), 404);
    assert_eq!(dispatcher.commands().len(), 1);
}

#[tokio::test]
async fn chunked_body_over_the_limit_is_413_while_streaming() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = spawn_with(&[bpmn("start-event-v1.bpmn")], |c| {
        c.requests.body_limit = 1000
    })
    .await;
    let mut stream = tokio::net::TcpStream::connect(app.addr).await.unwrap();
    let head = "GET /inbound/sms-legacy HTTP/1.1\r\nHost: x\r\nConnection: close\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\n";
    stream.write_all(head.as_bytes()).await.unwrap();
    let chunk = "x".repeat(600);
    for _ in 0..2 {
        let _ = stream
            .write_all(format!("{:x}\r\n{chunk}\r\n", chunk.len()).as_bytes())
            .await;
    }
    let _ = stream.write_all(b"0\r\n\r\n").await;
    let mut raw = Vec::new();
    let _ = stream.read_to_end(&mut raw).await;
    let text = String::from_utf8_lossy(&raw);
    assert!(text.starts_with("HTTP/1.1 413"), "{text}");
    assert!(app.dispatcher.commands().is_empty());
    app.stop().await;
}
