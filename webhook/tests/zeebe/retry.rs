//! Back-pressure (`RESOURCE_EXHAUSTED`) is retried within the deadline; other
//! failures are not.

use std::time::{Duration, Instant};

use webhook::testing::{FakeGateway, FakeRestGateway};
use webhook::zeebe::{Outcome, StatusCode, ZeebeSettings};

use crate::support::{build, create, grpc_config, publish, rest_config, TIMEOUT};

fn with_retries(mut config: ZeebeSettings, retries: u32) -> ZeebeSettings {
    config.backpressure_retries = retries;
    config
}

#[tokio::test]
async fn grpc_retries_back_pressure_until_it_passes() {
    let gateway = FakeGateway::start().await.unwrap();
    let dispatcher = build(&with_retries(grpc_config(gateway.address(), TIMEOUT), 3));
    gateway.fail_next(2, StatusCode::ResourceExhausted);

    let started = Instant::now();
    let outcome = dispatcher.dispatch(create("p", 1, None)).await;

    assert!(
        matches!(outcome, Ok(Outcome::ProcessInstanceCreated { .. })),
        "{outcome:?}"
    );
    assert_eq!(gateway.calls().len(), 3);
    // Waited 100 ms, then 200 ms.
    assert!(
        started.elapsed() >= Duration::from_millis(300),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn rest_gives_up_after_the_configured_retries() {
    let gateway = FakeRestGateway::start().await.unwrap();
    let dispatcher = build(&with_retries(rest_config(gateway.base_url(), TIMEOUT), 2));
    gateway.fail_next(5, StatusCode::ResourceExhausted);

    let error = dispatcher
        .dispatch(publish("m", "k", "", None))
        .await
        .unwrap_err();

    assert_eq!(error.status, StatusCode::ResourceExhausted);
    assert_eq!(error.http_status(), 429);
    assert_eq!(gateway.requests().len(), 3);
}

#[tokio::test]
async fn retries_stop_before_the_deadline_and_keep_the_real_status() {
    let gateway = FakeGateway::start().await.unwrap();
    // 250 ms leaves room for the 100 ms wait but not for the 200 ms one.
    let config = with_retries(
        grpc_config(gateway.address(), Duration::from_millis(250)),
        10,
    );
    let dispatcher = build(&config);
    gateway.fail_next(10, StatusCode::ResourceExhausted);

    let error = dispatcher.dispatch(create("p", 1, None)).await.unwrap_err();

    assert_eq!(error.status, StatusCode::ResourceExhausted, "{error}");
    assert_eq!(gateway.calls().len(), 2);
}

#[tokio::test]
async fn other_failures_are_not_retried() {
    let gateway = FakeGateway::start().await.unwrap();
    let dispatcher = build(&with_retries(grpc_config(gateway.address(), TIMEOUT), 3));
    gateway.fail_next(1, StatusCode::Unavailable);

    let error = dispatcher.dispatch(create("p", 1, None)).await.unwrap_err();

    assert_eq!(error.status, StatusCode::Unavailable);
    assert_eq!(gateway.calls().len(), 1);
}

#[test]
fn retries_are_on_by_default() {
    assert_eq!(ZeebeSettings::default().backpressure_retries, 3);
}
