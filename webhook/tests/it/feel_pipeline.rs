//! The FEEL-dependent pipeline: activation conditions, correlation keys,
//! message ids, result and response expressions, for every template variant.
//! These need the real FEEL parser.

use std::time::Duration;

use serde_json::{json, Value};
use webhook::zeebe::Command;

use crate::support::*;

fn publish(
    cmd: &Command,
) -> (
    &str,
    &str,
    &str,
    Duration,
    serde_json::Map<String, serde_json::Value>,
) {
    match cmd {
        Command::PublishMessage {
            name,
            correlation_key,
            message_id,
            time_to_live,
            variables,
            ..
        } => (
            name,
            correlation_key,
            message_id,
            *time_to_live,
            variables.parse().unwrap(),
        ),
        other => panic!("expected PublishMessage, got {other:?}"),
    }
}

async fn post_form(app: &App, target: &str, fields: &[(&str, &str)]) -> Answer {
    send(
        app.addr,
        "POST",
        target,
        &[("Content-Type", FORM)],
        form_body(fields).as_bytes(),
    )
    .await
}

#[tokio::test]
async fn feel_message_start_with_condition_and_message_id() {
    let app = spawn(&[bpmn("message-start.bpmn")]).await;
    let sms = sms("hello");
    let answer = post_signed(&app, "sms-msgstart", &pairs(&sms)).await;
    assert_eq!(answer.status, 200, "{answer:?}");
    let commands = app.dispatcher.commands();
    let (name, key, id, ttl, vars) = publish(&commands[0]);
    assert_eq!(name, "8d1e7c2a-3f4b-4a6d-9e0f-112233445566");
    assert_eq!(key, "", "message start without correlation key expression");
    assert_eq!(id, "SM00000000000000000000000000000001");
    assert_eq!(ttl, Duration::from_secs(3600));
    assert_eq!(vars["twilioRequest"]["request"]["body"]["Body"], "hello");

    // Condition not met: 422 and nothing dispatched.
    let mut delivered = sms.clone();
    delivered[4].1 = "delivered".into();
    let answer = post_signed(&app, "sms-msgstart", &pairs(&delivered)).await;
    assert_eq!(answer.status, 422);
    assert_eq!(answer.json()["consumeUnmatched"], false);
    assert_eq!(app.dispatcher.commands().len(), 1);
    app.stop().await;
}

#[tokio::test]
async fn feel_intermediate_in_subprocess_correlates_by_sender() {
    let app = spawn(&[bpmn("intermediate-catch.bpmn")]).await;
    let mut sms = sms("yes please");
    sms[2].1 = "2".into();
    let answer = post_signed(&app, "sms-reply", &pairs(&sms)).await;
    assert_eq!(answer.status, 200, "{answer:?}");
    let commands = app.dispatcher.commands();
    let (name, key, id, _, vars) = publish(&commands[0]);
    assert_eq!(
        (name, key, id),
        (
            "reply-message",
            "+15005550001",
            "SM00000000000000000000000000000001"
        )
    );
    assert_eq!(
        Value::Object(vars),
        json!({"replyText": "yes please", "media": 2})
    );
    app.stop().await;
}

#[tokio::test]
async fn feel_missing_correlation_key_is_422() {
    let app = spawn(&[bpmn("boundary.bpmn")]).await;
    let answer = post_form(&app, "/inbound/sms-cancel", &[("Body", "stop")]).await;
    assert_eq!(answer.status, 422, "{answer:?}");
    assert_eq!(answer.json()["expression"], "request.body.From");
    assert!(app.dispatcher.commands().is_empty());
    app.stop().await;
}

#[tokio::test]
async fn feel_boundary_event_only_on_stop() {
    let app = spawn(&[bpmn("boundary.bpmn")]).await;
    let answer = post_form(
        &app,
        "/inbound/sms-cancel",
        &[("Body", " stop "), ("From", "+15005550001")],
    )
    .await;
    assert_eq!(answer.status, 200, "{answer:?}");
    let answer = post_form(
        &app,
        "/inbound/sms-cancel",
        &[("Body", "go on"), ("From", "+15005550001")],
    )
    .await;
    assert_eq!(answer.status, 422);
    let commands = app.dispatcher.commands();
    assert_eq!(commands.len(), 1);
    let (name, key, id, ttl, vars) = publish(&commands[0]);
    assert_eq!(
        (name, key, id, ttl),
        (
            "cancel-message",
            "+15005550001",
            "",
            Duration::from_secs(600)
        )
    );
    assert!(vars.contains_key("cancelSms"));
    app.stop().await;
}

#[tokio::test]
async fn feel_receive_task_consumes_unmatched_and_replies_with_twiml() {
    let app = spawn(&[bpmn("receive-task.bpmn")]).await;
    let answer = post_form(&app, "/inbound/sms-answer?survey=s-42", &[("Body", "blue")]).await;
    assert_eq!(answer.status, 200, "{answer:?}");
    assert_eq!(answer.header("content-type"), Some("text/xml"));
    assert_eq!(
        answer.body,
        "<Response><Message>Thanks, blue!</Message></Response>"
    );
    let commands = app.dispatcher.commands();
    let (name, key, _, _, vars) = publish(&commands[0]);
    assert_eq!((name, key), ("survey-answer", "s-42"));
    assert_eq!(Value::Object(vars), json!({"answer": "blue"}));

    // No Body: the condition is false, and unmatched events are consumed (200).
    let answer = post_form(&app, "/inbound/sms-answer?survey=s-42", &[("From", "+1")]).await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.body, "<Response/>");
    assert_eq!(app.dispatcher.commands().len(), 1);
    app.stop().await;
}

#[tokio::test]
async fn feel_result_expression_must_be_a_context() {
    let dir = tempfile::tempdir().unwrap();
    let toml = toml_file(
        &dir,
        "[[webhook]]\nid = \"list\"\nstart_process = \"p\"\nresult_expression = \"=[1, 2]\"\n\n\
         [[webhook]]\nid = \"null\"\nstart_process = \"p\"\nresult_expression = \"=request.body.missing\"\n\n\
         [[webhook]]\nid = \"merge\"\nstart_process = \"p\"\nresult_variable = \"all\"\n\
         result_expression = \"={all: \\\"overridden\\\", from: response.request.body.From}\"\n",
    );
    let app = spawn(&[toml]).await;
    let answer = post_form(&app, "/inbound/list", &[("From", "+1")]).await;
    assert_eq!(answer.status, 422);
    assert!(answer.json()["reason"]
        .as_str()
        .unwrap()
        .contains("must return a context"));
    assert!(app.dispatcher.commands().is_empty());

    assert_eq!(
        post_form(&app, "/inbound/null", &[("From", "+1")])
            .await
            .status,
        200
    );
    assert_eq!(
        post_form(&app, "/inbound/merge", &[("From", "+1")])
            .await
            .status,
        200
    );
    let commands = app.dispatcher.commands();
    let Command::CreateProcessInstance { variables, .. } = &commands[0] else {
        panic!()
    };
    assert!(
        variables.is_empty(),
        "null result adds nothing: {variables:?}"
    );
    let Command::CreateProcessInstance { variables, .. } = &commands[1] else {
        panic!()
    };
    let variables = variables.parse().unwrap();
    assert_eq!(variables["all"], "overridden");
    assert_eq!(variables["from"], "+1");
    app.stop().await;
}

#[tokio::test]
async fn feel_non_boolean_conditions_do_not_activate() {
    let dir = tempfile::tempdir().unwrap();
    let toml = toml_file(
        &dir,
        "[[webhook]]\nid = \"s\"\nstart_process = \"p\"\nactivation_condition = \"=\\\"true\\\"\"\n\n\
         [[webhook]]\nid = \"n\"\nstart_process = \"p\"\nactivation_condition = \"=request.body.nothing\"\n\n\
         [[webhook]]\nid = \"t\"\nstart_process = \"p\"\nactivation_condition = \"=true\"\n",
    );
    let app = spawn(&[toml]).await;
    assert_eq!(post_form(&app, "/inbound/s", &[]).await.status, 422);
    assert_eq!(post_form(&app, "/inbound/n", &[]).await.status, 422);
    assert_eq!(post_form(&app, "/inbound/t", &[]).await.status, 200);
    assert_eq!(app.dispatcher.commands().len(), 1);
    app.stop().await;
}

#[tokio::test]
async fn feel_runaway_expression_is_stopped_by_fuel_and_answers_422() {
    let dir = tempfile::tempdir().unwrap();
    let toml = toml_file(
        &dir,
        "[[webhook]]\nid = \"burn\"\nstart_process = \"p\"\n\
         activation_condition = \"=count(for i in 1..10000000 return i) > 0\"\n",
    );
    let app = spawn(&[toml]).await;
    let answer = post_form(&app, "/inbound/burn", &[("a", "b")]).await;
    assert_eq!(answer.status, 422, "{answer:?}");
    assert_eq!(
        answer.json()["expression"],
        "count(for i in 1..10000000 return i) > 0"
    );
    assert!(app.dispatcher.commands().is_empty());
    app.stop().await;
}

#[tokio::test]
async fn feel_response_expression_sees_correlation_and_sets_status_and_headers() {
    let dir = tempfile::tempdir().unwrap();
    let toml = toml_file(
        &dir,
        r#"
[[webhook]]
id = "reply"
start_process = "p"
activation_condition = '=get value(request.headers, "x-tenant") = "acme"'
response_expression = '={statusCode: 201, headers: {"X-Instance": string(correlation.processInstanceKey)}, body: {key: correlation.processInstanceKey, from: request.params.from}}'
"#,
    );
    let app = spawn(&[toml]).await;
    let answer = send(
        app.addr,
        "POST",
        "/inbound/reply?from=me",
        &[("X-Tenant", "acme")],
        b"",
    )
    .await;
    assert_eq!(answer.status, 201, "{answer:?}");
    assert_eq!(answer.header("x-instance"), Some("2251799813685249"));
    assert_eq!(answer.header("content-type"), Some("application/json"));
    assert_eq!(
        answer.json(),
        json!({"key": 2251799813685249u64, "from": "me"})
    );
    // Header names are matched lower-cased: another tenant does not activate.
    let answer = send(
        app.addr,
        "POST",
        "/inbound/reply",
        &[("X-Tenant", "other")],
        b"",
    )
    .await;
    assert_eq!(answer.status, 422);
    assert_eq!(app.dispatcher.commands().len(), 1);
    app.stop().await;
}

#[tokio::test]
async fn feel_memory_bomb_is_422_at_the_budget() {
    // Before the budget, this expression with a 1 MB body took the service
    // to 880 MB for one request.
    let dir = tempfile::tempdir().unwrap();
    let toml = toml_file(
        &dir,
        "[[webhook]]\nid = \"bomb\"\nstart_process = \"p\"\n\
         result_expression = \"={n: string length(string join(for i in 1..300 return request.body.Body))}\"\n\n\
         [[webhook]]\nid = \"fine\"\nstart_process = \"p\"\n\
         result_expression = \"={n: string length(string join(for i in 1..3 return request.body.Body))}\"\n",
    );
    let app = spawn(&[toml]).await;
    let body = "x".repeat(1_000_000);
    let answer = post_form(&app, "/inbound/bomb", &[("Body", &body)]).await;
    assert_eq!(answer.status, 422, "{answer:?}");
    let reason = answer.json()["reason"].as_str().unwrap().to_string();
    assert!(reason.contains("memory budget"), "{reason}");
    assert!(app.dispatcher.commands().is_empty());
    // Three copies fit the default budget of 8 MiB.
    let answer = post_form(&app, "/inbound/fine", &[("Body", &body)]).await;
    assert_eq!(answer.status, 200, "{answer:?}");
    app.stop().await;
}
