//! OAuth client credentials: the token request, caching, refresh, failures.

use std::time::Duration;

use webhook::testing::{FakeGateway, FakeRestGateway, FakeTokenEndpoint, Reply};
use webhook::zeebe::{OAuthCredentials, StatusCode, ZeebeSettings};

use crate::support::{build, create, grpc_config, oauth, publish, rest_config, TIMEOUT};

fn with_oauth(mut config: ZeebeSettings, oauth: OAuthCredentials) -> ZeebeSettings {
    config.auth = webhook::zeebe::Auth::OAuth(oauth);
    config
}

#[tokio::test]
async fn the_token_request_is_a_client_credentials_form_post() {
    let tokens = FakeTokenEndpoint::start(3600).await.unwrap();
    let gateway = FakeGateway::start().await.unwrap();
    let mut credentials = oauth(tokens.token_url());
    credentials.scope = Some("zeebe operate".to_owned());
    let dispatcher = build(&with_oauth(
        grpc_config(gateway.address(), TIMEOUT),
        credentials,
    ));

    dispatcher.dispatch(create("p", 1, None)).await.unwrap();

    let requests = tokens.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].method, "POST");
    assert_eq!(requests[0].path, "/oauth/token");
    assert_eq!(
        requests[0].header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    let form: Vec<(String, String)> = requests[0].form();
    let expected = [
        ("grant_type", "client_credentials"),
        ("client_id", "my-client"),
        ("client_secret", "s3cret&=?"),
        ("audience", "zeebe.camunda.io"),
        ("scope", "zeebe operate"),
    ];
    assert_eq!(
        form,
        expected
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect::<Vec<_>>()
    );
}

#[tokio::test]
async fn grpc_calls_share_one_cached_token() {
    let tokens = FakeTokenEndpoint::start(3600).await.unwrap();
    let gateway = FakeGateway::start().await.unwrap();
    let dispatcher = build(&with_oauth(
        grpc_config(gateway.address(), TIMEOUT),
        oauth(tokens.token_url()),
    ));

    for _ in 0..3 {
        dispatcher.dispatch(create("p", 1, None)).await.unwrap();
    }
    dispatcher
        .dispatch(publish("m", "k", "", None))
        .await
        .unwrap();

    assert_eq!(tokens.tokens_issued(), 1);
    let headers: Vec<_> = gateway
        .calls()
        .into_iter()
        .map(|c| c.authorization)
        .collect();
    assert_eq!(headers, vec![Some("Bearer token-1".to_owned()); 4]);
}

#[tokio::test]
async fn concurrent_calls_fetch_a_single_token() {
    let tokens = FakeTokenEndpoint::start(3600).await.unwrap();
    let gateway = FakeGateway::start().await.unwrap();
    let dispatcher = build(&with_oauth(
        grpc_config(gateway.address(), TIMEOUT),
        oauth(tokens.token_url()),
    ));
    tokens.push_reply(Reply::Delay(Duration::from_millis(100)));

    let mut calls = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let dispatcher = std::sync::Arc::clone(&dispatcher);
        calls.spawn(async move { dispatcher.dispatch(create("p", 1, None)).await });
    }
    while let Some(result) = calls.join_next().await {
        result.unwrap().unwrap();
    }

    assert_eq!(tokens.tokens_issued(), 1);
    assert_eq!(gateway.calls().len(), 8);
}

#[tokio::test]
async fn an_expiring_token_is_fetched_again() {
    let tokens = FakeTokenEndpoint::start(2).await.unwrap();
    let gateway = FakeRestGateway::start().await.unwrap();
    let dispatcher = build(&with_oauth(
        rest_config(gateway.base_url(), TIMEOUT),
        oauth(tokens.token_url()),
    ));

    dispatcher.dispatch(create("p", 1, None)).await.unwrap();
    dispatcher.dispatch(create("p", 1, None)).await.unwrap();
    assert_eq!(tokens.tokens_issued(), 1, "reused while fresh");
    tokio::time::sleep(Duration::from_millis(2000)).await;
    dispatcher.dispatch(create("p", 1, None)).await.unwrap();

    assert_eq!(tokens.tokens_issued(), 2);
    let headers: Vec<_> = gateway
        .requests()
        .iter()
        .map(|r| r.header("authorization").map(str::to_owned))
        .collect();
    assert_eq!(
        headers,
        vec![
            Some("Bearer token-1".to_owned()),
            Some("Bearer token-1".to_owned()),
            Some("Bearer token-2".to_owned()),
        ]
    );
}

#[tokio::test]
async fn a_rejected_token_is_not_reused() {
    let tokens = FakeTokenEndpoint::start(3600).await.unwrap();
    let gateway = FakeRestGateway::start().await.unwrap();
    let dispatcher = build(&with_oauth(
        rest_config(gateway.base_url(), TIMEOUT),
        oauth(tokens.token_url()),
    ));
    gateway.push_reply(Reply::fail(StatusCode::Unauthenticated, "token revoked"));

    let first = dispatcher.dispatch(create("p", 1, None)).await.unwrap_err();
    dispatcher.dispatch(create("p", 1, None)).await.unwrap();

    assert_eq!(first.status, StatusCode::Unauthenticated);
    assert_eq!(tokens.tokens_issued(), 2);
    assert_eq!(
        gateway.requests()[1].header("authorization"),
        Some("Bearer token-2")
    );
}

#[tokio::test]
async fn a_token_the_grpc_gateway_rejects_is_not_reused() {
    let tokens = FakeTokenEndpoint::start(3600).await.unwrap();
    let gateway = FakeGateway::start().await.unwrap();
    let dispatcher = build(&with_oauth(
        grpc_config(gateway.address(), TIMEOUT),
        oauth(tokens.token_url()),
    ));
    gateway.push_reply(Reply::fail(StatusCode::Unauthenticated, "token expired"));

    let first = dispatcher
        .dispatch(publish("m", "k", "", None))
        .await
        .unwrap_err();
    dispatcher
        .dispatch(publish("m", "k", "", None))
        .await
        .unwrap();

    assert_eq!(first.status, StatusCode::Unauthenticated);
    assert_eq!(first.message, "token expired");
    let headers: Vec<_> = gateway
        .calls()
        .into_iter()
        .map(|c| c.authorization)
        .collect();
    assert_eq!(
        headers,
        vec![
            Some("Bearer token-1".to_owned()),
            Some("Bearer token-2".to_owned())
        ]
    );
}

#[tokio::test]
async fn refused_credentials_are_unauthenticated_and_nothing_is_sent() {
    let tokens = FakeTokenEndpoint::start(3600).await.unwrap();
    let gateway = FakeGateway::start().await.unwrap();
    let dispatcher = build(&with_oauth(
        grpc_config(gateway.address(), TIMEOUT),
        oauth(tokens.token_url()),
    ));
    tokens.push_reply(Reply::fail(StatusCode::Unauthenticated, "bad secret"));

    let error = dispatcher.dispatch(create("p", 1, None)).await.unwrap_err();

    assert_eq!(error.status, StatusCode::Unauthenticated);
    assert_eq!(error.http_status(), 401);
    assert!(error.message.contains("OAuth token endpoint"), "{error}");
    assert!(error.message.contains("HTTP 401"), "{error}");
    assert!(error.message.contains("my-client"), "{error}");
    assert!(!error.message.contains("s3cret"), "secret leaked: {error}");
    assert!(gateway.calls().is_empty());
}

#[tokio::test]
async fn a_broken_token_endpoint_is_unavailable() {
    let tokens = FakeTokenEndpoint::start(3600).await.unwrap();
    let gateway = FakeRestGateway::start().await.unwrap();
    let dispatcher = build(&with_oauth(
        rest_config(gateway.base_url(), TIMEOUT),
        oauth(tokens.token_url()),
    ));
    tokens.push_reply(Reply::Raw {
        status: 500,
        content_type: "text/plain".to_owned(),
        body: "internal error".to_owned(),
    });

    let error = dispatcher.dispatch(create("p", 1, None)).await.unwrap_err();

    assert_eq!(error.status, StatusCode::Unavailable);
    assert!(error.message.contains("internal error"), "{error}");
    assert!(gateway.requests().is_empty());
}

#[tokio::test]
async fn a_token_answer_without_access_token_is_unauthenticated() {
    let tokens = FakeTokenEndpoint::start(3600).await.unwrap();
    let gateway = FakeGateway::start().await.unwrap();
    let dispatcher = build(&with_oauth(
        grpc_config(gateway.address(), TIMEOUT),
        oauth(tokens.token_url()),
    ));
    tokens.push_reply(Reply::Raw {
        status: 200,
        content_type: "application/json".to_owned(),
        body: r#"{"token_type":"Bearer"}"#.to_owned(),
    });

    let error = dispatcher.dispatch(create("p", 1, None)).await.unwrap_err();

    assert_eq!(error.status, StatusCode::Unauthenticated);
    assert!(error.message.contains("without an access_token"), "{error}");
}

#[tokio::test]
async fn an_unreachable_token_endpoint_is_unavailable() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let gateway = FakeGateway::start().await.unwrap();
    let dispatcher = build(&with_oauth(
        grpc_config(gateway.address(), TIMEOUT),
        oauth(format!("http://127.0.0.1:{port}/oauth/token")),
    ));

    let error = dispatcher.dispatch(create("p", 1, None)).await.unwrap_err();

    assert_eq!(error.status, StatusCode::Unavailable);
    assert!(error.message.contains("could not be reached"), "{error}");
}

#[tokio::test]
async fn a_hanging_token_endpoint_counts_against_the_deadline() {
    let tokens = FakeTokenEndpoint::start(3600).await.unwrap();
    let gateway = FakeGateway::start().await.unwrap();
    let dispatcher = build(&with_oauth(
        grpc_config(gateway.address(), Duration::from_millis(300)),
        oauth(tokens.token_url()),
    ));
    tokens.push_reply(Reply::Hang);

    let error = dispatcher.dispatch(create("p", 1, None)).await.unwrap_err();

    assert_eq!(error.status, StatusCode::DeadlineExceeded);
}
