use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use feel::{Context, Value};
use serde_json::json;
use warp::http::{HeaderMap, HeaderValue};

use super::*;
use crate::webhooks::secrets::MapSecrets;
use crate::webhooks::{compile_all, toml};

/// The one webhook a TOML entry defines (without the `[[webhook]]` line).
fn webhook(entry: &str) -> Arc<WebhookDefinition> {
    let text = format!("[[webhook]]\nid = \"hook\"\n{entry}");
    let raws = toml::parse(Path::new("test.toml"), &text).unwrap();
    let mut defs = compile_all(raws, &feel::Engine::new(), &MapSecrets::default()).unwrap();
    assert_eq!(defs.len(), 1);
    defs.remove(0)
}

/// The `request` context of a form body with these fields.
fn request(fields: &[(&str, &str)]) -> Context {
    let pairs: Vec<crate::form::Pair> = fields
        .iter()
        .map(|(k, v)| (Arc::from(*k), Arc::from(*v)))
        .collect();
    rc::context(
        Value::Context(rc::first_values(&pairs)),
        Context::new(),
        Context::new(),
    )
}

fn sms() -> Context {
    request(&[
        ("SmsStatus", "received"),
        ("From", "+15005550001"),
        ("Body", "hello"),
        ("MessageSid", "SM1"),
    ])
}

fn reason(error: AppError) -> String {
    match error {
        AppError::InvalidInput { reason, .. } => reason,
        other => panic!("expected InvalidInput, got {other:?}"),
    }
}

#[test]
fn only_boolean_true_activates() {
    let hook = |condition: &str| {
        webhook(&format!(
            "start_process = \"p\"\nactivation_condition = '{condition}'"
        ))
    };
    assert!(activated(&hook("=request.body.SmsStatus = \"received\""), &sms()).unwrap());
    assert!(!activated(&hook("=request.body.SmsStatus = \"sent\""), &sms()).unwrap());
    // Null (a missing field) and non-booleans do not activate.
    assert!(!activated(&hook("=request.body.Missing = 1"), &sms()).unwrap());
    assert!(!activated(&hook("=\"true\""), &sms()).unwrap());
    assert!(activated(&webhook("start_process = \"p\""), &sms()).unwrap());
}

#[test]
fn an_unmet_condition_is_consumed_or_refused() {
    let refused = webhook("start_process = \"p\"\nactivation_condition = \"=false\"");
    assert!(matches!(
        decide(&refused, &sms()),
        Err(AppError::ActivationConditionNotMet)
    ));
    let consumed = webhook(
        "start_process = \"p\"\nactivation_condition = \"=false\"\nconsume_unmatched_events = true",
    );
    assert_eq!(decide(&consumed, &sms()).unwrap(), Decision::Consumed);
}

#[test]
fn variables_merge_the_result_variable_and_the_result_expression() {
    let hook = webhook(
        "start_process = \"p\"\nresult_variable = \"sms\"\nresult_expression = \"={text: request.body.Body, from: response.request.body.From}\"",
    );
    let vars = variables(&hook, &sms()).unwrap();
    assert_eq!(vars["text"], json!("hello"));
    assert_eq!(vars["from"], json!("+15005550001"));
    assert_eq!(vars["sms"]["request"]["body"]["MessageSid"], json!("SM1"));
    // A null result adds nothing; anything but a context is refused.
    let null = webhook("start_process = \"p\"\nresult_expression = \"=null\"");
    assert!(variables(&null, &sms()).unwrap().is_empty());
    let list = webhook("start_process = \"p\"\nresult_expression = \"=[1]\"");
    assert!(reason(variables(&list, &sms()).unwrap_err()).contains("must return a context"));
}

#[test]
fn variables_over_the_limit_are_refused() {
    let mut vars = Map::new();
    vars.insert("a".into(), Json::String("x".repeat(MAX_VARIABLES_BYTES)));
    let error = reason(written(&vars).unwrap_err());
    assert!(error.contains("the limit is 1572864"), "{error}");
    assert!(
        error.contains(&format!("{} bytes", MAX_VARIABLES_BYTES + 8)),
        "{error}"
    );
    // `{"a":"…"}` is the text plus eight bytes.
    let mut fits = Map::new();
    fits.insert(
        "a".into(),
        Json::String("x".repeat(MAX_VARIABLES_BYTES - 8)),
    );
    let written = written(&fits).unwrap();
    assert_eq!(written.len(), MAX_VARIABLES_BYTES);
    assert_eq!(written.parse().unwrap(), fits);
}

#[test]
fn a_start_event_creates_an_instance_with_version_and_tenant() {
    let hook = webhook("start_process = \"order\"\nversion = 3\ntenant_id = \"t1\"");
    let Decision::Dispatch(command) = decide(&hook, &sms()).unwrap() else {
        panic!("not dispatched")
    };
    assert_eq!(
        command,
        Command::CreateProcessInstance {
            bpmn_process_id: "order".into(),
            version: 3,
            tenant_id: Some("t1".into()),
            variables: Variables::empty(),
        }
    );
}

#[test]
fn a_message_gets_its_key_id_and_ttl() {
    let hook = webhook(
        "message = \"reply\"\ncorrelation_key = \"=request.body.From\"\nmessage_id = \"=request.body.Body\"\nmessage_ttl = \"PT5M\"",
    );
    let command = command(&hook, &sms(), Variables::empty()).unwrap();
    assert_eq!(
        command,
        Command::PublishMessage {
            name: "reply".into(),
            correlation_key: "+15005550001".into(),
            message_id: "hello".into(),
            time_to_live: Duration::from_secs(300),
            tenant_id: None,
            variables: Variables::empty(),
        }
    );
}

#[test]
fn keys_are_text_and_null_keys_are_refused_where_required() {
    let keyed = |key: &str| webhook(&format!("message = \"m\"\ncorrelation_key = '{key}'"));
    let key_of = |hook: &WebhookDefinition| match command(hook, &sms(), Variables::empty()).unwrap()
    {
        Command::PublishMessage {
            correlation_key, ..
        } => correlation_key,
        other => panic!("{other:?}"),
    };
    assert_eq!(key_of(&keyed("=42")), "42");
    assert_eq!(key_of(&keyed("={a: 1}")), r#"{"a":1}"#);
    assert!(
        reason(command(&keyed("=[1]"), &sms(), Variables::empty()).unwrap_err()).contains("list")
    );
    let missing = command(&keyed("=request.body.Nope"), &sms(), Variables::empty()).unwrap_err();
    assert!(reason(missing).contains("returned null"));
    // A message start event may go without a key.
    let start =
        webhook("message = \"m\"\nmessage_start = true\ncorrelation_key = \"=request.body.Nope\"");
    assert_eq!(key_of(&start), "");
}

#[test]
fn without_a_message_id_expression_the_message_id_is_empty_as_in_camunda() {
    let hook = webhook("message = \"m\"\ncorrelation_key = \"=request.body.From\"");
    match command(&hook, &sms(), Variables::empty()).unwrap() {
        Command::PublishMessage { message_id, .. } => assert_eq!(message_id, ""),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_runaway_expression_is_a_422_naming_the_property() {
    let engine = feel::Engine::builder().fuel(1000).build();
    let text = "[[webhook]]\nid = \"hook\"\nstart_process = \"p\"\nactivation_condition = \"=count(for i in 1..100000 return i) > 0\"";
    let raws = toml::parse(Path::new("test.toml"), text).unwrap();
    let hook = compile_all(raws, &engine, &MapSecrets::default())
        .unwrap()
        .remove(0);
    let error = activated(&hook, &sms()).unwrap_err();
    let AppError::InvalidInput { reason, expression } = error else {
        panic!("expected InvalidInput")
    };
    assert!(reason.contains("activationCondition"), "{reason}");
    assert!(expression.unwrap().contains("for i in"));
}

fn status_callback(status: &str) -> Context {
    request(&[
        ("MessageSid", "SM1"),
        ("MessageStatus", status),
        ("SmsStatus", status),
    ])
}

#[test]
fn the_idempotency_token_is_the_key_when_twilio_sends_one() {
    let mut headers = HeaderMap::new();
    headers.insert(
        "i-twilio-idempotency-token",
        HeaderValue::from_static("tok"),
    );
    // Not the MessageSid as well: a status callback repeats it.
    assert_eq!(
        dedup_keys("hook", &headers, &status_callback("sent"), None).unwrap(),
        ["hook\u{0}token\u{0}tok"]
    );
}

#[test]
fn without_a_token_the_message_sid_and_status_tell_callbacks_apart() {
    let headers = HeaderMap::new();
    let sent = dedup_keys("hook", &headers, &status_callback("sent"), None).unwrap();
    let delivered = dedup_keys("hook", &headers, &status_callback("delivered"), None).unwrap();
    assert_eq!(sent, ["hook\u{0}key\u{0}SM1\u{0}sent"]);
    assert_ne!(sent, delivered);
    // An inbound SMS has SmsStatus only.
    assert_eq!(
        dedup_keys("hook", &headers, &sms(), None).unwrap(),
        ["hook\u{0}key\u{0}SM1\u{0}received"]
    );
    // No MessageSid: nothing to deduplicate on.
    assert!(dedup_keys("hook", &headers, &request(&[]), None)
        .unwrap()
        .is_empty());
}

#[test]
fn a_dedup_key_expression_is_used_beside_the_token_and_namespaced() {
    let order = feel::Engine::new()
        .compile_expression("request.body.Body")
        .unwrap();
    assert_eq!(
        dedup_keys("other", &HeaderMap::new(), &sms(), Some(&order)).unwrap(),
        ["other\u{0}key\u{0}hello"]
    );
    let mut headers = HeaderMap::new();
    headers.insert(
        "i-twilio-idempotency-token",
        HeaderValue::from_static("tok"),
    );
    assert_eq!(
        dedup_keys("hook", &headers, &sms(), Some(&order)).unwrap(),
        ["hook\u{0}token\u{0}tok", "hook\u{0}key\u{0}hello"]
    );
}
