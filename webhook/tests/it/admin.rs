//! The admin endpoint against a web page in a browser on the same host
//! (cross-site form posts, DNS rebinding) and without its token.

use webhook::admin::server::routes;
use webhook::admin::Guard;
use webhook::admin::Op;
use webhook::outbox::{EntryState, Outbox};
use webhook::secret::Secret;

const HOST: &str = "127.0.0.1:8081";

fn api(
    outbox: &Outbox,
    token: Option<&str>,
) -> warp::filters::BoxedFilter<(warp::reply::Response,)> {
    routes(
        outbox.clone(),
        Guard {
            addr: HOST.parse().unwrap(),
            token: token.map(Secret::new),
        },
    )
}

fn list() -> String {
    serde_json::to_string(&Op::List {
        state: EntryState::Pending,
        limit: 10,
    })
    .unwrap()
}

async fn post(
    api: &warp::filters::BoxedFilter<(warp::reply::Response,)>,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, serde_json::Value) {
    let mut request = warp::test::request()
        .method("POST")
        .path("/outbox")
        .body(body);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let reply = request.reply(api).await;
    let json = serde_json::from_slice(reply.body()).unwrap_or(serde_json::Value::Null);
    (reply.status().as_u16(), json)
}

fn outbox(dir: &tempfile::TempDir) -> Outbox {
    Outbox::open(dir.path().join("outbox.log"), Default::default()).unwrap()
}

#[tokio::test]
async fn only_the_endpoints_own_host_names_are_answered() {
    let dir = tempfile::tempdir().unwrap();
    let api = api(&outbox(&dir), None);
    let json = ("content-type", "application/json");
    for host in [HOST, "localhost:8081"] {
        let (status, body) = post(&api, &[("host", host), json], &list()).await;
        assert_eq!(status, 200, "{host}: {body}");
    }
    // A page on evil.example rebound to 127.0.0.1 sends its own Host.
    for host in ["evil.example:8081", "127.0.0.1", "localhost:9999", ""] {
        let (status, body) = post(&api, &[("host", host), json], &list()).await;
        assert_eq!(status, 403, "{host}: {body}");
        assert!(
            body["reason"].as_str().unwrap().contains("answers to Host"),
            "{body}"
        );
    }
}

#[tokio::test]
async fn a_cross_site_form_post_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let api = api(&outbox(&dir), None);
    // What an HTML form can send without a CORS preflight.
    for content_type in [
        "application/x-www-form-urlencoded",
        "text/plain",
        "multipart/form-data; boundary=x",
    ] {
        let (status, body) = post(
            &api,
            &[("host", HOST), ("content-type", content_type)],
            &list(),
        )
        .await;
        assert_eq!(status, 415, "{content_type}: {body}");
    }
    let (status, _) = post(&api, &[("host", HOST)], &list()).await;
    assert_eq!(status, 415);
}

#[tokio::test]
async fn with_a_token_only_its_bearer_is_answered() {
    let dir = tempfile::tempdir().unwrap();
    let api = api(&outbox(&dir), Some("s3cret-admin"));
    let base = [("host", HOST), ("content-type", "application/json")];
    let (status, body) = post(&api, &base, &list()).await;
    assert_eq!(status, 401, "{body}");
    for wrong in [
        "Bearer nope",
        "Bearer s3cret-admi",
        "Basic s3cret-admin",
        "s3cret-admin",
    ] {
        let headers = [base[0], base[1], ("authorization", wrong)];
        assert_eq!(post(&api, &headers, &list()).await.0, 401, "{wrong}");
    }
    let headers = [base[0], base[1], ("authorization", "Bearer s3cret-admin")];
    assert_eq!(post(&api, &headers, &list()).await.0, 200);
}

#[tokio::test]
async fn the_cli_client_passes_the_checks_over_a_socket() {
    let dir = tempfile::tempdir().unwrap();
    let outbox = outbox(&dir);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let state = webhook::state::AppState::new(webhook::state::Parts {
        settings: webhook::Settings::default(),
        catalog: std::sync::Arc::new(webhook::webhooks::catalog::Catalog::new(&Default::default())),
        dispatcher: crate::support::FakeDispatcher::new(),
        outbox: Some(outbox),
        dedup_key: None,
        discovery: None,
    });
    let server = tokio::spawn(webhook::admin::server::serve(
        state,
        Some(Secret::new("t0ken")),
        listener,
        async move {
            let _ = stopped.await;
        },
    ));
    let op = Op::List {
        state: EntryState::Pending,
        limit: 5,
    };
    let answer = webhook::admin::client::request(addr, Some("t0ken"), &op)
        .await
        .unwrap();
    assert_eq!(answer["entries"], serde_json::json!([]));
    let refused = webhook::admin::client::request(addr, None, &op)
        .await
        .unwrap_err();
    assert!(refused.contains("401"), "{refused}");
    let _ = stop.send(());
    server.await.unwrap().unwrap();
}
