//! The REST v2 transport against the fake REST gateway.

use std::time::{Duration, Instant};

use serde_json::json;
use webhook::testing::{FakeRestGateway, Reply};
use webhook::zeebe::{Outcome, StatusCode};

use crate::support::{build, create, publish, rest_config, TIMEOUT};

#[tokio::test]
async fn create_process_instance_posts_the_v2_body() {
    let gateway = FakeRestGateway::start().await.unwrap();
    let dispatcher = build(&rest_config(gateway.base_url(), TIMEOUT));

    let outcome = dispatcher
        .dispatch(create("twilio-sms", 4, Some("tenant-a")))
        .await
        .unwrap();

    let requests = gateway.requests();
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(request.method, "POST");
    assert_eq!(request.path, "/v2/process-instances");
    assert_eq!(request.header("content-type"), Some("application/json"));
    assert_eq!(request.header("authorization"), None);
    assert_eq!(
        request.json(),
        json!({
            "processDefinitionId": "twilio-sms",
            "processDefinitionVersion": 4,
            "variables": {"sms": {"From": "+15550001", "Body": "hi"}, "n": 1},
            "tenantId": "tenant-a",
        })
    );
    assert_eq!(
        outcome,
        Outcome::ProcessInstanceCreated {
            process_instance_key: 2_251_799_813_685_249,
            tenant_id: Some("tenant-a".to_owned()),
        }
    );
}

#[tokio::test]
async fn no_tenant_means_no_tenant_field() {
    let gateway = FakeRestGateway::start().await.unwrap();
    let dispatcher = build(&rest_config(gateway.base_url(), TIMEOUT));

    dispatcher.dispatch(create("p", -1, None)).await.unwrap();

    let body = gateway.requests()[0].json();
    assert_eq!(body.get("tenantId"), None, "{body}");
    assert_eq!(body["processDefinitionVersion"], json!(-1));
}

#[tokio::test]
async fn publish_message_posts_the_v2_body() {
    let gateway = FakeRestGateway::start().await.unwrap();
    let dispatcher = build(&rest_config(gateway.base_url(), TIMEOUT));

    let outcome = dispatcher
        .dispatch(publish("sms-received", "+15550001", "SM123", Some("t")))
        .await
        .unwrap();

    let request = &gateway.requests()[0];
    assert_eq!(request.path, "/v2/messages/publication");
    assert_eq!(
        request.json(),
        json!({
            "name": "sms-received",
            "correlationKey": "+15550001",
            "timeToLive": 3_600_000,
            "messageId": "SM123",
            "variables": {"body": "yes"},
            "tenantId": "t",
        })
    );
    assert_eq!(
        outcome,
        Outcome::MessagePublished {
            message_key: 2_251_799_813_685_249,
            tenant_id: Some("t".to_owned()),
        }
    );
}

#[tokio::test]
async fn an_empty_message_id_is_left_out() {
    let gateway = FakeRestGateway::start().await.unwrap();
    let dispatcher = build(&rest_config(gateway.base_url(), TIMEOUT));

    dispatcher
        .dispatch(publish("m", "", "", None))
        .await
        .unwrap();

    let body = gateway.requests()[0].json();
    assert_eq!(body.get("messageId"), None, "{body}");
    assert_eq!(body["correlationKey"], json!(""));
}

#[tokio::test]
async fn every_status_survives_the_problem_json_round_trip() {
    let gateway = FakeRestGateway::start().await.unwrap();
    let dispatcher = build(&rest_config(gateway.base_url(), TIMEOUT));
    for status in StatusCode::ALL {
        gateway.push_reply(Reply::fail(status, format!("detail for {status}")));
        let error = dispatcher
            .dispatch(create("p", 1, None))
            .await
            .expect_err("scripted failure");
        assert_eq!(error.status, status, "{error}");
        assert_eq!(error.message, format!("detail for {status}"));
    }
}

#[tokio::test]
async fn back_pressure_is_told_apart_from_unavailable_by_title() {
    let gateway = FakeRestGateway::start().await.unwrap();
    let dispatcher = build(&rest_config(gateway.base_url(), TIMEOUT));
    // Both are HTTP 503 in Camunda's REST API.
    gateway.push_reply(Reply::fail(StatusCode::ResourceExhausted, "busy"));
    gateway.push_reply(Reply::fail(StatusCode::Unavailable, "down"));

    let first = dispatcher.dispatch(create("p", 1, None)).await.unwrap_err();
    let second = dispatcher.dispatch(create("p", 1, None)).await.unwrap_err();

    assert_eq!(
        (first.status, first.http_status()),
        (StatusCode::ResourceExhausted, 429)
    );
    assert_eq!(
        (second.status, second.http_status()),
        (StatusCode::Unavailable, 503)
    );
}

#[tokio::test]
async fn already_exists_on_publish_is_success() {
    let gateway = FakeRestGateway::start().await.unwrap();
    let dispatcher = build(&rest_config(gateway.base_url(), TIMEOUT));
    gateway.push_reply(Reply::fail(StatusCode::AlreadyExists, "duplicate id"));

    let outcome = dispatcher.dispatch(publish("m", "k", "SM1", None)).await;

    assert_eq!(outcome, Ok(Outcome::MessageAlreadyPublished));
}

#[tokio::test]
async fn a_conflict_that_is_not_already_exists_stays_an_error() {
    let gateway = FakeRestGateway::start().await.unwrap();
    let dispatcher = build(&rest_config(gateway.base_url(), TIMEOUT));
    gateway.push_reply(Reply::Raw {
        status: 409,
        content_type: "application/problem+json".to_owned(),
        body: r#"{"title":"INVALID_STATE","status":409,"detail":"nope"}"#.to_owned(),
    });

    let error = dispatcher
        .dispatch(publish("m", "k", "SM1", None))
        .await
        .unwrap_err();

    assert_eq!(error.status, StatusCode::FailedPrecondition);
    assert_eq!(error.message, "nope");
}

#[tokio::test]
async fn a_proxy_error_page_is_unavailable() {
    let gateway = FakeRestGateway::start().await.unwrap();
    let dispatcher = build(&rest_config(gateway.base_url(), TIMEOUT));
    gateway.push_reply(Reply::Raw {
        status: 502,
        content_type: "text/html".to_owned(),
        body: "<html>Bad Gateway</html>".to_owned(),
    });

    let error = dispatcher.dispatch(create("p", 1, None)).await.unwrap_err();

    assert_eq!(error.status, StatusCode::Unavailable);
    assert!(error.message.contains("HTTP 502"), "{error}");
    assert!(error.message.contains("Bad Gateway"), "{error}");
}

#[tokio::test]
async fn a_success_without_a_key_is_reported() {
    let gateway = FakeRestGateway::start().await.unwrap();
    let dispatcher = build(&rest_config(gateway.base_url(), TIMEOUT));
    gateway.push_reply(Reply::Raw {
        status: 200,
        content_type: "application/json".to_owned(),
        body: r#"{"unexpected":true}"#.to_owned(),
    });

    let error = dispatcher.dispatch(create("p", 1, None)).await.unwrap_err();

    assert_eq!(error.status, StatusCode::Internal);
    assert!(error.message.contains("unexpected body"), "{error}");
}

#[tokio::test]
async fn numeric_keys_from_older_versions_are_accepted() {
    let gateway = FakeRestGateway::start().await.unwrap();
    let dispatcher = build(&rest_config(gateway.base_url(), TIMEOUT));
    gateway.push_reply(Reply::Raw {
        status: 200,
        content_type: "application/json".to_owned(),
        body: r#"{"messageKey":42,"tenantId":"<default>"}"#.to_owned(),
    });

    let outcome = dispatcher.dispatch(publish("m", "k", "", None)).await;

    assert_eq!(
        outcome,
        Ok(Outcome::MessagePublished {
            message_key: 42,
            tenant_id: Some("<default>".to_owned()),
        })
    );
}

#[tokio::test]
async fn a_gateway_that_never_answers_hits_the_deadline() {
    let gateway = FakeRestGateway::start().await.unwrap();
    let timeout = Duration::from_millis(300);
    let dispatcher = build(&rest_config(gateway.base_url(), timeout));
    gateway.push_reply(Reply::Hang);

    let started = Instant::now();
    let error = dispatcher
        .dispatch(publish("m", "k", "", None))
        .await
        .unwrap_err();
    let elapsed = started.elapsed();

    assert_eq!(error.status, StatusCode::DeadlineExceeded, "{error}");
    assert!(elapsed >= timeout, "gave up early: {elapsed:?}");
    assert!(
        elapsed < Duration::from_secs(3),
        "deadline not enforced: {elapsed:?}"
    );
}

#[tokio::test]
async fn a_closed_port_is_unavailable() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let dispatcher = build(&rest_config(format!("http://127.0.0.1:{port}"), TIMEOUT));

    let error = dispatcher.dispatch(create("p", 1, None)).await.unwrap_err();

    assert_eq!(error.status, StatusCode::Unavailable, "{error}");
    assert!(error.message.contains("could not be reached"), "{error}");
}
