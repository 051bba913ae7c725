//! The gRPC transport against the fake gateway.

use std::time::{Duration, Instant};

use webhook::testing::{FakeGateway, GrpcCall, Reply};
use webhook::zeebe::proto::{CreateProcessInstanceRequest, PublishMessageRequest};
use webhook::zeebe::{http_status, Outcome, StatusCode};

use crate::support::{build, create, grpc_config, publish, TIMEOUT};

#[tokio::test]
async fn create_process_instance_sends_exactly_the_command() {
    let gateway = FakeGateway::start().await.unwrap();
    let dispatcher = build(&grpc_config(gateway.address(), TIMEOUT));

    let outcome = dispatcher
        .dispatch(create("twilio-sms", 3, Some("tenant-a")))
        .await
        .unwrap();

    let calls = gateway.calls();
    assert_eq!(calls.len(), 1);
    assert_eq!(
        calls[0].call,
        GrpcCall::CreateProcessInstance(CreateProcessInstanceRequest {
            process_definition_key: 0,
            bpmn_process_id: "twilio-sms".to_owned(),
            version: 3,
            variables: r#"{"sms":{"From":"+15550001","Body":"hi"},"n":1}"#.to_owned(),
            tenant_id: "tenant-a".to_owned(),
        })
    );
    assert_eq!(calls[0].authorization, None);
    assert_eq!(
        outcome,
        Outcome::ProcessInstanceCreated {
            process_instance_key: 2_251_799_813_685_249,
            tenant_id: Some("tenant-a".to_owned()),
        }
    );
}

#[tokio::test]
async fn no_tenant_is_the_empty_string_on_the_wire() {
    let gateway = FakeGateway::start().await.unwrap();
    let dispatcher = build(&grpc_config(gateway.address(), TIMEOUT));

    let outcome = dispatcher.dispatch(create("p", -1, None)).await.unwrap();

    let GrpcCall::CreateProcessInstance(request) = &gateway.calls()[0].call else {
        panic!("expected CreateProcessInstance, got {:?}", gateway.calls());
    };
    assert_eq!(request.tenant_id, "");
    assert_eq!(request.version, -1);
    assert!(matches!(
        outcome,
        Outcome::ProcessInstanceCreated {
            tenant_id: None,
            ..
        }
    ));
}

#[tokio::test]
async fn publish_message_sends_exactly_the_command() {
    let gateway = FakeGateway::start().await.unwrap();
    let dispatcher = build(&grpc_config(gateway.address(), TIMEOUT));

    let outcome = dispatcher
        .dispatch(publish("sms-received", "+15550001", "SM123", Some("t")))
        .await
        .unwrap();

    assert_eq!(
        gateway.calls()[0].call,
        GrpcCall::PublishMessage(PublishMessageRequest {
            name: "sms-received".to_owned(),
            correlation_key: "+15550001".to_owned(),
            time_to_live: 3_600_000,
            message_id: "SM123".to_owned(),
            variables: r#"{"body":"yes"}"#.to_owned(),
            tenant_id: "t".to_owned(),
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
async fn every_call_carries_the_deadline() {
    let gateway = FakeGateway::start().await.unwrap();
    let dispatcher = build(&grpc_config(gateway.address(), Duration::from_millis(2500)));

    dispatcher.dispatch(create("p", 1, None)).await.unwrap();

    // grpc-timeout is "<digits><unit>"; tonic sends microseconds or less.
    let header = gateway.calls()[0]
        .grpc_timeout
        .clone()
        .expect("grpc-timeout sent");
    let (digits, unit) = header.split_at(header.len() - 1);
    let value: u64 = digits.parse().unwrap();
    let millis = match unit {
        "m" => value,
        "u" => value / 1_000,
        "n" => value / 1_000_000,
        "S" => value * 1_000,
        other => panic!("unexpected grpc-timeout unit {other} in {header}"),
    };
    // What is left of the 2.5 s when the request goes out.
    assert!((2000..=2500).contains(&millis), "grpc-timeout was {header}");
}

#[tokio::test]
async fn already_exists_on_publish_is_success() {
    let gateway = FakeGateway::start().await.unwrap();
    let dispatcher = build(&grpc_config(gateway.address(), TIMEOUT));
    gateway.push_reply(Reply::fail(
        StatusCode::AlreadyExists,
        "message with id SM1 exists",
    ));

    let outcome = dispatcher.dispatch(publish("m", "k", "SM1", None)).await;

    assert_eq!(outcome, Ok(Outcome::MessageAlreadyPublished));
}

#[tokio::test]
async fn already_exists_on_create_is_a_failure() {
    let gateway = FakeGateway::start().await.unwrap();
    let dispatcher = build(&grpc_config(gateway.address(), TIMEOUT));
    gateway.push_reply(Reply::fail(StatusCode::AlreadyExists, "dup"));

    let error = dispatcher.dispatch(create("p", 1, None)).await.unwrap_err();

    assert_eq!(error.status, StatusCode::AlreadyExists);
    assert_eq!(error.http_status(), 409);
}

#[tokio::test]
async fn every_status_comes_back_with_its_message() {
    let gateway = FakeGateway::start().await.unwrap();
    let dispatcher = build(&grpc_config(gateway.address(), TIMEOUT));
    for status in StatusCode::ALL {
        gateway.push_reply(Reply::fail(status, format!("gateway says {status}")));
        let error = dispatcher
            .dispatch(create("p", 1, None))
            .await
            .expect_err("scripted failure");
        assert_eq!(error.status, status);
        assert_eq!(error.message, format!("gateway says {status}"));
    }
    assert_eq!(gateway.calls().len(), StatusCode::ALL.len());
}

#[tokio::test]
async fn publish_failures_other_than_already_exists_are_errors() {
    let gateway = FakeGateway::start().await.unwrap();
    let dispatcher = build(&grpc_config(gateway.address(), TIMEOUT));
    gateway.push_reply(Reply::fail(StatusCode::ResourceExhausted, "back-pressure"));

    let error = dispatcher
        .dispatch(publish("m", "k", "", None))
        .await
        .unwrap_err();

    assert_eq!(error.status, StatusCode::ResourceExhausted);
    assert_eq!(http_status(error.status), 429);
}

#[tokio::test]
async fn a_gateway_that_never_answers_hits_the_deadline() {
    let gateway = FakeGateway::start().await.unwrap();
    let timeout = Duration::from_millis(300);
    let dispatcher = build(&grpc_config(gateway.address(), timeout));
    gateway.push_reply(Reply::Hang);

    let started = Instant::now();
    let error = dispatcher.dispatch(create("p", 1, None)).await.unwrap_err();
    let elapsed = started.elapsed();

    assert_eq!(error.status, StatusCode::DeadlineExceeded, "{error}");
    assert!(error.message.contains("300 ms"), "{error}");
    assert!(elapsed >= timeout, "gave up early: {elapsed:?}");
    assert!(
        elapsed < Duration::from_secs(3),
        "deadline not enforced: {elapsed:?}"
    );
}

#[tokio::test]
async fn a_slow_answer_within_the_deadline_succeeds() {
    let gateway = FakeGateway::start().await.unwrap();
    let dispatcher = build(&grpc_config(gateway.address(), TIMEOUT));
    gateway.push_reply(Reply::Delay(Duration::from_millis(100)));

    let outcome = dispatcher.dispatch(create("p", 1, None)).await;

    assert!(
        matches!(outcome, Ok(Outcome::ProcessInstanceCreated { .. })),
        "{outcome:?}"
    );
}

#[tokio::test]
async fn a_closed_port_is_unavailable() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let dispatcher = build(&grpc_config(format!("http://127.0.0.1:{port}"), TIMEOUT));

    let error = dispatcher.dispatch(create("p", 1, None)).await.unwrap_err();

    assert_eq!(error.status, StatusCode::Unavailable, "{error}");
    assert_eq!(error.http_status(), 503);
    assert!(
        error.message.contains(&format!("127.0.0.1:{port}")),
        "{error}"
    );
    assert!(error.message.contains("connect"), "{error}");
}

#[tokio::test]
async fn the_first_failures_do_not_poison_later_calls() {
    let gateway = FakeGateway::start().await.unwrap();
    let dispatcher = build(&grpc_config(gateway.address(), TIMEOUT));
    gateway.fail_next(2, StatusCode::Unavailable);

    let first = dispatcher.dispatch(create("p", 1, None)).await;
    let second = dispatcher.dispatch(create("p", 1, None)).await;
    let third = dispatcher.dispatch(create("p", 1, None)).await;

    assert_eq!(first.unwrap_err().status, StatusCode::Unavailable);
    assert_eq!(second.unwrap_err().status, StatusCode::Unavailable);
    assert!(third.is_ok(), "{third:?}");
}
