//! Webhooks from what is deployed (`--from-cluster`), against the fake
//! Camunda REST API of `webhook::testing`: paging, versions, deletion,
//! tenants, invalid and secret-less webhooks, an unreachable cluster, auth,
//! clusters without the statistics endpoint or the state filter, and
//! dispatch to the exact deployed version.

use std::time::{Duration, Instant};

use serde_json::{json, Value};
use webhook::settings::Settings;
use webhook::testing::{FakeAuth, FakeCamunda, FakeTokenEndpoint};
use webhook::zeebe::{Auth, OAuthCredentials, Transport, ZeebeSettings};
use webhook::Running;

use crate::support::{self, send, settings, FORM};

/// A webhook start event (no signature check, so tests post plain forms).
fn start_event(element: &str, webhook: &str, extra: &[(&str, &str)]) -> String {
    element_xml("startEvent", element, webhook, None, extra)
}

/// A webhook message catch event waiting for message `message`, keyed by
/// the sender.
fn catch_event(element: &str, webhook: &str, message: &str) -> String {
    element_xml(
        "intermediateCatchEvent",
        element,
        webhook,
        Some(message),
        &[("correlationKeyExpression", "=request.body.From")],
    )
}

fn element_xml(
    tag: &str,
    element: &str,
    webhook: &str,
    message: Option<&str>,
    extra: &[(&str, &str)],
) -> String {
    // The first occurrence of a property wins: `extra` goes first.
    let mut properties = extra.to_vec();
    properties.extend_from_slice(&[
        ("inbound.type", "io.camunda:webhook:1"),
        ("inbound.context", webhook),
        ("inbound.shouldValidateHmac", "disabled"),
        ("resultExpression", "={text: request.body.Body}"),
    ]);
    let properties: String = properties
        .iter()
        .map(|(n, v)| {
            format!(
                r#"<zeebe:property name="{n}" value="{}" />"#,
                v.replace('&', "&amp;")
                    .replace('"', "&quot;")
                    .replace('<', "&lt;")
            )
        })
        .collect();
    let definition = message
        .map(|m| format!(r#"<bpmn:messageEventDefinition messageRef="{m}" />"#))
        .unwrap_or_default();
    format!(
        r#"<bpmn:{tag} id="{element}"><bpmn:extensionElements><zeebe:properties>{properties}</zeebe:properties></bpmn:extensionElements>{definition}</bpmn:{tag}>"#
    )
}

/// A BPMN document with one process holding `elements` (and a message
/// `reply` for catch events).
fn process(process_id: &str, elements: &[String]) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="Defs" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:message id="reply" name="sms-reply" />
  <bpmn:process id="{process_id}" isExecutable="true">{}</bpmn:process>
</bpmn:definitions>"#,
        elements.concat()
    )
}

/// Zeebe settings pointing both discovery and dispatch at the fake.
fn zeebe(cluster: &FakeCamunda, auth: Auth) -> ZeebeSettings {
    ZeebeSettings {
        transport: Some(Transport::Rest {
            base_url: cluster.address(),
        }),
        rest_api: Some(cluster.address()),
        auth,
        request_timeout: Duration::from_secs(2),
        ..ZeebeSettings::default()
    }
}

fn cluster_settings(tweak: impl FnOnce(&mut Settings)) -> Settings {
    let mut settings = settings(&[]);
    settings.sources.from_cluster = true;
    settings.sources.discovery_interval = Duration::from_millis(50);
    tweak(&mut settings);
    settings
}

async fn start(cluster: &FakeCamunda, auth: Auth, tweak: impl FnOnce(&mut Settings)) -> Running {
    support::start(support::service(cluster_settings(tweak)).with_zeebe(zeebe(cluster, auth))).await
}

async fn health(running: &Running) -> (u16, Value) {
    let answer = send(running.addr(), "GET", "/health", &[], b"").await;
    (answer.status, answer.json())
}

/// Waits until `/health` lists exactly these webhooks (and says ok).
async fn wait_for_webhooks(running: &Running, expected: &[&str]) -> Value {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (status, body) = health(running).await;
        if status == 200 && body["webhooks"] == json!(expected) {
            return body;
        }
        assert!(
            Instant::now() < deadline,
            "still {status} {body} instead of {expected:?}"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

async fn post(running: &Running, webhook: &str, fields: &[(&str, &str)]) -> support::Answer {
    send(
        running.addr(),
        "POST",
        &format!("/inbound/{webhook}"),
        &[("Content-Type", FORM)],
        support::form_body(fields).as_bytes(),
    )
    .await
}

#[tokio::test]
async fn a_deployed_start_event_creates_instances_on_its_exact_version() {
    let cluster = FakeCamunda::start().await.unwrap();
    let v1 = cluster.deploy(
        "order",
        "<default>",
        &process("order", &[start_event("Start", "order-sms", &[])]),
    );
    let running = start(&cluster, Auth::None, |_| {}).await;
    wait_for_webhooks(&running, &["order-sms"]).await;

    let answer = post(&running, "order-sms", &[("Body", "one")]).await;
    assert_eq!(answer.status, 200, "{answer:?}");
    let created = cluster.created();
    assert_eq!(created.len(), 1);
    assert_eq!(created[0]["processDefinitionId"], "order");
    assert_eq!(created[0]["processDefinitionVersion"], v1.version);
    assert_eq!(created[0]["tenantId"], "<default>");
    assert_eq!(created[0]["variables"], json!({"text": "one"}));

    // Version 2 is deployed: new instances start on it, not on "latest"
    // (the fake refuses -1 never; the body must name 2).
    let v2 = cluster.deploy(
        "order",
        "<default>",
        &process("order", &[start_event("Start", "order-sms", &[])]),
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        assert_eq!(
            post(&running, "order-sms", &[("Body", "two")]).await.status,
            200
        );
        let last = cluster.created().last().cloned().unwrap();
        if last["processDefinitionVersion"] == v2.version {
            break;
        }
        assert!(Instant::now() < deadline, "still on {last}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(cluster
        .created()
        .iter()
        .all(|c| c["processDefinitionVersion"] != -1));
    running.stop().await;
}

#[tokio::test]
async fn every_page_is_read_with_cursors() {
    let cluster = FakeCamunda::start().await.unwrap();
    cluster.set_page_size(2);
    let mut expected = Vec::new();
    for n in 0..7 {
        let id = format!("p{n}");
        let webhook = format!("hook-{n}");
        cluster.deploy(
            &id,
            "<default>",
            &process(&id, &[start_event("Start", &webhook, &[])]),
        );
        expected.push(webhook);
    }
    let running = start(&cluster, Auth::None, |_| {}).await;
    let expected: Vec<&str> = expected.iter().map(String::as_str).collect();
    let body = wait_for_webhooks(&running, &expected).await;
    assert_eq!(body["discovery"]["definitions"], 7);
    let searches: Vec<Value> = cluster
        .requests()
        .iter()
        .filter(|r| r.path == "/v2/process-definitions/search")
        .map(|r| r.json())
        .collect();
    // 7 items in pages of 2: four pages, the last three asking `after`.
    assert!(searches.len() >= 4, "{searches:?}");
    assert_eq!(
        searches[0]["filter"],
        json!({"isLatestVersion": true, "state": "ACTIVE"})
    );
    assert!(searches[0]["page"].get("after").is_none());
    assert!(searches[1]["page"]["after"].is_string(), "{searches:?}");
    running.stop().await;
}

#[tokio::test]
async fn older_versions_keep_their_catch_events_while_instances_wait_but_never_start_events() {
    let cluster = FakeCamunda::start().await.unwrap();
    let v1 = cluster.deploy(
        "support",
        "<default>",
        &process(
            "support",
            &[
                start_event("Start", "support-start", &[]),
                catch_event("Wait", "support-reply-v1", "reply"),
            ],
        ),
    );
    cluster.set_subscriptions(v1.key, 3);
    // Version 2 drops the catch event and renames its start webhook.
    cluster.deploy(
        "support",
        "<default>",
        &process("support", &[start_event("Start", "support-start-v2", &[])]),
    );
    let running = start(&cluster, Auth::None, |_| {}).await;
    // v1's start event is gone (only the latest starts instances), its
    // catch event stays while instances wait on it.
    wait_for_webhooks(&running, &["support-reply-v1", "support-start-v2"]).await;
    let answer = post(
        &running,
        "support-reply-v1",
        &[("From", "+1555"), ("Body", "hi")],
    )
    .await;
    assert_eq!(answer.status, 200, "{answer:?}");
    assert_eq!(cluster.published()[0]["correlationKey"], "+1555");
    assert_eq!(cluster.published()[0]["name"], "sms-reply");

    // The last waiting instance is done: the catch webhook goes.
    cluster.set_subscriptions(v1.key, 0);
    wait_for_webhooks(&running, &["support-start-v2"]).await;
    assert_eq!(
        post(&running, "support-reply-v1", &[("From", "+1")])
            .await
            .status,
        404
    );
    running.stop().await;
}

#[tokio::test]
async fn deleted_definitions_lose_their_webhooks_with_or_without_history() {
    let cluster = FakeCamunda::start().await.unwrap();
    let kept = cluster.deploy(
        "a",
        "<default>",
        &process("a", &[start_event("S", "hook-a", &[])]),
    );
    let gone = cluster.deploy(
        "b",
        "<default>",
        &process("b", &[start_event("S", "hook-b", &[])]),
    );
    cluster.deploy(
        "c",
        "<default>",
        &process("c", &[start_event("S", "hook-c", &[])]),
    );
    let running = start(&cluster, Auth::None, |_| {}).await;
    wait_for_webhooks(&running, &["hook-a", "hook-b", "hook-c"]).await;
    // Deleted keeping its history: still in search results, as DELETED.
    cluster.delete(kept.key, true);
    cluster.delete(gone.key, false);
    wait_for_webhooks(&running, &["hook-c"]).await;
    running.stop().await;
}

#[tokio::test]
async fn each_tenant_dispatches_in_its_own_tenant_and_a_shared_id_is_served_once() {
    let cluster = FakeCamunda::start().await.unwrap();
    cluster.deploy(
        "intake",
        "tenant-a",
        &process(
            "intake",
            &[
                start_event("S", "intake-a", &[]),
                start_event("S2", "shared", &[]),
            ],
        ),
    );
    cluster.deploy(
        "intake",
        "tenant-b",
        &process(
            "intake",
            &[
                start_event("S", "intake-b", &[]),
                start_event("S2", "shared", &[]),
            ],
        ),
    );
    let running = start(&cluster, Auth::None, |_| {}).await;
    let body = wait_for_webhooks(&running, &["intake-a", "intake-b", "shared"]).await;
    assert_eq!(
        post(&running, "intake-a", &[("Body", "x")]).await.status,
        200
    );
    assert_eq!(
        post(&running, "intake-b", &[("Body", "y")]).await.status,
        200
    );
    let tenants: Vec<Value> = cluster
        .created()
        .iter()
        .map(|c| c["tenantId"].clone())
        .collect();
    assert_eq!(tenants, [json!("tenant-a"), json!("tenant-b")]);
    // Two tenants claiming one id: the first is kept, the other is listed.
    let skipped = body["skipped"].as_array().unwrap();
    assert_eq!(skipped.len(), 1, "{body}");
    assert_eq!(skipped[0]["webhook"], "shared");
    let reason = skipped[0]["reason"].as_str().unwrap();
    assert!(
        reason.contains("webhook id `shared` is already used by"),
        "{reason}"
    );
    assert!(
        skipped[0]["origin"]
            .as_str()
            .unwrap()
            .contains("tenant `tenant-b`"),
        "{body}"
    );
    running.stop().await;
}

#[tokio::test]
async fn invalid_webhooks_and_missing_secrets_are_skipped_and_the_rest_serve() {
    let cluster = FakeCamunda::start().await.unwrap();
    cluster.deploy(
        "mixed",
        "<default>",
        &process(
            "mixed",
            &[
                start_event("Good", "good", &[]),
                start_event(
                    "BadFeel",
                    "bad-feel",
                    &[("activationCondition", "=request.body.(")],
                ),
                start_event(
                    "NoSecret",
                    "no-secret",
                    &[
                        ("inbound.shouldValidateHmac", "enabled"),
                        ("inbound.hmacSecret", "{{secrets.NOT_SET_ANYWHERE_7}}"),
                    ],
                ),
            ],
        ),
    );
    let running = start(&cluster, Auth::None, |_| {}).await;
    let body = wait_for_webhooks(&running, &["good"]).await;
    let skipped = body["skipped"].as_array().unwrap();
    assert_eq!(skipped.len(), 2, "{body}");
    let find = |webhook: &str| {
        skipped
            .iter()
            .find(|s| s["webhook"] == webhook)
            .unwrap_or_else(|| panic!("{webhook} not listed: {body}"))
    };
    let bad = find("bad-feel");
    let origin = bad["origin"].as_str().unwrap();
    assert!(origin.contains("process `mixed` version 1"), "{origin}");
    assert!(origin.contains("element `BadFeel`"), "{origin}");
    assert!(bad["reason"]
        .as_str()
        .unwrap()
        .contains("property `activationCondition`"));
    let secret = find("no-secret");
    assert!(
        secret["reason"]
            .as_str()
            .unwrap()
            .contains("NOT_SET_ANYWHERE_7"),
        "{secret}"
    );
    assert_eq!(post(&running, "good", &[("Body", "ok")]).await.status, 200);
    running.stop().await;
}

#[tokio::test]
async fn an_unreachable_cluster_is_a_503_health_until_it_answers_and_webhooks_survive_outages() {
    let cluster = FakeCamunda::start().await.unwrap();
    cluster.deploy(
        "p",
        "<default>",
        &process("p", &[start_event("S", "hook", &[])]),
    );
    cluster.set_down(true);
    let running = start(&cluster, Auth::None, |_| {}).await;
    // The service runs; health says why it is not ready.
    let deadline = Instant::now() + Duration::from_secs(5);
    let body = loop {
        let (status, body) = health(&running).await;
        if status == 503
            && body["reason"]
                .as_str()
                .is_some_and(|r| r.contains("HTTP 503"))
        {
            break body;
        }
        assert!(Instant::now() < deadline, "{status} {body}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    };
    assert_eq!(body["status"], "unavailable");
    assert_eq!(post(&running, "hook", &[]).await.status, 404);
    // It comes back: discovery recovers by itself.
    cluster.set_down(false);
    wait_for_webhooks(&running, &["hook"]).await;
    // Down again later: the webhooks found before keep serving.
    cluster.set_down(true);
    let deadline = Instant::now() + Duration::from_secs(5);
    while health(&running).await.0 != 503 {
        assert!(Instant::now() < deadline);
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert_eq!(health(&running).await.1["webhooks"], json!(["hook"]));
    let metrics = send(running.addr(), "GET", "/metrics", &[], b"").await.body;
    assert!(
        metrics.contains("webhook_discovery_failures_total"),
        "{metrics}"
    );
    assert!(metrics.contains("webhook_webhooks_active 1"), "{metrics}");
    running.stop().await;
}

#[tokio::test]
async fn basic_auth_reaches_discovery_and_dispatch() {
    let cluster = FakeCamunda::start().await.unwrap();
    cluster.require(FakeAuth::Basic("demo".into(), "s3cret".into()));
    cluster.deploy(
        "p",
        "<default>",
        &process("p", &[start_event("S", "hook", &[])]),
    );
    let auth = Auth::Basic {
        username: "demo".into(),
        password: webhook::secret::Secret::new("s3cret"),
    };
    let running = start(&cluster, auth, |_| {}).await;
    wait_for_webhooks(&running, &["hook"]).await;
    assert_eq!(post(&running, "hook", &[("Body", "x")]).await.status, 200);
    assert_eq!(cluster.created().len(), 1);
    running.stop().await;

    // Wrong credentials: health names the refusal.
    let wrong = Auth::Basic {
        username: "demo".into(),
        password: webhook::secret::Secret::new("nope"),
    };
    let running = start(&cluster, wrong, |_| {}).await;
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let (status, body) = health(&running).await;
        if status == 503
            && body["reason"]
                .as_str()
                .is_some_and(|r| r.contains("HTTP 401"))
        {
            break;
        }
        assert!(Instant::now() < deadline, "{status} {body}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    running.stop().await;
}

#[tokio::test]
async fn one_oauth_token_serves_discovery_and_dispatch() {
    let tokens = FakeTokenEndpoint::start(3600).await.unwrap();
    let cluster = FakeCamunda::start().await.unwrap();
    cluster.require(FakeAuth::Bearer("token-".into()));
    cluster.deploy(
        "p",
        "<default>",
        &process("p", &[start_event("S", "hook", &[])]),
    );
    let auth = Auth::OAuth(OAuthCredentials {
        token_url: tokens.token_url(),
        client_id: "connectors".into(),
        client_secret: webhook::secret::Secret::new("s"),
        audience: Some("orchestration-api".into()),
        scope: None,
    });
    let running = start(&cluster, auth, |_| {}).await;
    wait_for_webhooks(&running, &["hook"]).await;
    assert_eq!(post(&running, "hook", &[("Body", "x")]).await.status, 200);
    assert_eq!(cluster.created().len(), 1);
    assert_eq!(tokens.requests().len(), 1, "one token for every call");
    running.stop().await;
}

#[tokio::test]
async fn clusters_without_statistics_or_the_state_filter_still_work() {
    let cluster = FakeCamunda::start().await.unwrap();
    cluster.without_statistics();
    cluster.without_state_filter();
    let v1 = cluster.deploy(
        "p",
        "<default>",
        &process("p", &[catch_event("W", "wait-v1", "reply")]),
    );
    cluster.set_subscriptions(v1.key, 2);
    cluster.deploy(
        "p",
        "<default>",
        &process("p", &[start_event("S", "start-v2", &[])]),
    );
    let deleted = cluster.deploy(
        "q",
        "<default>",
        &process("q", &[start_event("S", "hook-q", &[])]),
    );
    cluster.delete(deleted.key, true);
    let running = start(&cluster, Auth::None, |_| {}).await;
    // The DELETED one is filtered here, and the subscription search stands
    // in for the statistics.
    wait_for_webhooks(&running, &["start-v2", "wait-v1"]).await;
    let paths: Vec<String> = cluster.requests().iter().map(|r| r.path.clone()).collect();
    assert!(
        paths
            .iter()
            .any(|p| p == "/v2/message-subscriptions/search"),
        "{paths:?}"
    );
    running.stop().await;
}

#[tokio::test]
async fn file_webhooks_come_first_and_deployments_appear_at_run_time() {
    let cluster = FakeCamunda::start().await.unwrap();
    let file = support::bpmn("start-event.bpmn");
    let running = support::start(
        support::service(cluster_settings(|s| {
            s.sources.bpmn = vec![file];
        }))
        .with_zeebe(zeebe(&cluster, Auth::None)),
    )
    .await;
    wait_for_webhooks(&running, &["sms-start"]).await;
    // Deployed later: the same id as the file's, and a new one.
    cluster.deploy(
        "late",
        "<default>",
        &process(
            "late",
            &[
                start_event("S", "sms-start", &[]),
                start_event("S2", "late-hook", &[]),
            ],
        ),
    );
    let body = wait_for_webhooks(&running, &["late-hook", "sms-start"]).await;
    let skipped = body["skipped"].as_array().unwrap();
    assert_eq!(skipped[0]["webhook"], "sms-start", "{body}");
    assert!(
        skipped[0]["reason"]
            .as_str()
            .unwrap()
            .contains("start-event.bpmn"),
        "{body}"
    );
    running.stop().await;
}

#[tokio::test]
async fn from_cluster_without_a_rest_address_is_refused_at_start() {
    // No REST address at all (the default settings have none).
    let zeebe = ZeebeSettings::default();
    let error = support::service(cluster_settings(|_| {}))
        .with_zeebe(zeebe)
        .start()
        .await
        .unwrap_err();
    assert!(
        error
            .to_string()
            .contains("--from-cluster needs the cluster's REST API address"),
        "{error}"
    );
}
