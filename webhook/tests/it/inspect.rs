//! The request inspector: its JSON API through `warp::test` (over a running
//! service's state), its guard, and the page itself in headless Chromium.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use serde_json::Value as Json;
use webhook::admin::server::listener_routes;
use webhook::admin::Guard;
use webhook::secret::Secret;
use webhook::zeebe::Command;

use crate::support::{self, post_signed, send, sign_form, App, FORM};

/// An SMS webhook with a signature, an activation condition, a key, an id
/// and a result expression.
const WEBHOOKS: &str = r#"
[[webhook]]
id = "sms"
message = "sms-reply"
correlation_key = "=request.body.From"
message_id = "=request.body.MessageSid + request.body.SmsStatus"
activation_condition = "=request.body.SmsStatus = \"received\""
result_expression = "={text: request.body.Body, media: number(request.body.NumMedia)}"
hmac_secret = "{{secrets.TEST_TWILIO_TOKEN}}"
"#;

struct Inspected {
    app: App,
    admin: SocketAddr,
    _dir: tempfile::TempDir,
}

/// The service with `webhooks` (TOML text), an admin endpoint and the
/// settings `tweak` makes.
async fn start(webhooks: &str, tweak: impl FnOnce(&mut webhook::Settings)) -> Inspected {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("webhooks.toml");
    std::fs::write(&file, webhooks).unwrap();
    let app = support::spawn_with(&[file], |s| {
        s.admin_listen = Some("127.0.0.1:0".parse().unwrap());
        tweak(s);
    })
    .await;
    let admin = app.running.admin_addr().expect("an admin endpoint");
    Inspected {
        app,
        admin,
        _dir: dir,
    }
}

fn sms(status: &str, body: &str) -> Vec<(&'static str, String)> {
    let mut fields = support::sms(body);
    for field in &mut fields {
        if field.0 == "SmsStatus" {
            field.1 = status.to_owned();
        }
    }
    fields
}

/// A valid request, one with a bad signature, and one whose activation
/// condition is false, in that order (numbers 1, 2, 3).
async fn three_requests(app: &App) -> String {
    let valid = sms("received", "hello inspector");
    assert_eq!(
        post_signed(app, "sms", &support::pairs(&valid))
            .await
            .status,
        200
    );
    let forged = sms("received", "forged text");
    let pairs = support::pairs(&forged);
    let right = sign_form("https://hooks.example.com/inbound/sms", &pairs);
    let answer = send(
        app.addr,
        "POST",
        "/inbound/sms",
        &[
            ("Content-Type", FORM),
            ("X-Twilio-Signature", "AAAAAAAAAAAAAAAAAAAAAAAAAAA="),
        ],
        support::form_body(&pairs).as_bytes(),
    )
    .await;
    assert_eq!(answer.status, 401);
    let sent = sms("sent", "a status callback");
    assert_eq!(
        post_signed(app, "sms", &support::pairs(&sent)).await.status,
        422
    );
    // The signature the forged request should have carried.
    right
}

impl Inspected {
    fn routes(&self, token: Option<&str>) -> warp::filters::BoxedFilter<(warp::reply::Response,)> {
        listener_routes(
            self.app.running.state().clone(),
            Guard {
                addr: self.admin,
                token: token.map(Secret::new),
            },
        )
    }

    async fn call(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> (u16, String) {
        let host = self.admin.to_string();
        let mut request = warp::test::request()
            .method(method)
            .path(path)
            .header("host", host.as_str())
            .body(body);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let reply = request.reply(&self.routes(None)).await;
        let text = String::from_utf8_lossy(reply.body()).into_owned();
        (reply.status().as_u16(), text)
    }

    async fn get(&self, path: &str) -> Json {
        let (status, text) = self.call("GET", path, &[], "").await;
        assert_eq!(status, 200, "{path}: {text}");
        serde_json::from_str(&text).unwrap()
    }

    async fn post(&self, path: &str, body: &str) -> (u16, Json) {
        let json = [("content-type", "application/json")];
        let (status, text) = self.call("POST", path, &json, body).await;
        (status, serde_json::from_str(&text).unwrap_or(Json::Null))
    }
}

fn seqs(list: &Json) -> Vec<u64> {
    list["requests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["seq"].as_u64().unwrap())
        .collect()
}

#[tokio::test]
async fn the_list_says_where_each_request_stopped_and_filters() {
    let inspected = start(WEBHOOKS, |_| {}).await;
    three_requests(&inspected.app).await;
    let unknown = send(inspected.app.addr, "POST", "/inbound/nope", &[], b"").await;
    assert_eq!(unknown.status, 404);

    let list = inspected.get("/inspect/api/requests").await;
    assert_eq!(list["capacity"], 200);
    assert_eq!(list["latest"], 4);
    assert_eq!(seqs(&list), [4, 3, 2, 1]);
    let shown: Vec<(u64, &str, &str, &str)> = list["requests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["status"].as_u64().unwrap(),
                r["outcome"].as_str().unwrap(),
                r["stage"].as_str().unwrap(),
                r["webhook"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        shown,
        [
            (404, "not_found", "webhook", "nope"),
            (422, "not_activated", "activation", "sms"),
            (401, "unauthorized", "signature", "sms"),
            (200, "accepted", "done", "sms"),
        ]
    );
    let first = &list["requests"][3];
    assert_eq!(first["preview"], "+15005550001: hello inspector");
    assert!(first["client"].as_str().unwrap().starts_with("127.0.0.1:"));
    assert_eq!(list["requests"][0]["known"], false);

    let only = |query: &str| {
        let path = format!("/inspect/api/requests?{query}");
        let inspected = &inspected;
        async move { seqs(&inspected.get(&path).await) }
    };
    assert_eq!(only("outcome=unauthorized").await, [2]);
    assert_eq!(only("outcome=failed").await, [4, 3, 2]);
    assert_eq!(only("webhook=sms").await, [3, 2, 1]);
    // Text: the body as sent (%2B) and as decoded (+) both match.
    assert_eq!(only("q=hello+INSPECTOR").await, [1]);
    assert_eq!(only("q=%2B15005550001").await, [3, 2, 1]);
    assert_eq!(only("q=no-such-text").await, Vec::<u64>::new());
    // Live updates ask for what came after the latest they have.
    assert_eq!(only("after=2").await, [4, 3]);
    assert_eq!(only("limit=1").await, [4]);

    for bad in ["after=x", "limit=-1", "a=%ZZ"] {
        let (status, text) = inspected
            .call("GET", &format!("/inspect/api/requests?{bad}"), &[], "")
            .await;
        assert_eq!(status, 400, "{bad}: {text}");
    }
    let long = format!("/inspect/api/requests?q={}", "x".repeat(300));
    assert_eq!(inspected.call("GET", &long, &[], "").await.0, 400);
    inspected.app.stop().await;
}

#[tokio::test]
async fn one_request_in_full_shows_the_signature_check_without_the_mac() {
    let inspected = start(WEBHOOKS, |_| {}).await;
    let expected_mac = three_requests(&inspected.app).await;

    let forged = inspected.get("/inspect/api/requests/2").await;
    let text = forged.to_string();
    assert!(!text.contains(&expected_mac), "the expected MAC is shown");
    assert!(
        !text.contains("AAAAAAAAAAAAAAAAAAAAAAAAAAA="),
        "the sent signature is shown"
    );
    let signature = &forged["signature"];
    assert_eq!(signature["passed"], false);
    assert_eq!(signature["url"], "https://hooks.example.com/inbound/sms");
    assert_eq!(signature["urlFrom"], "--public-url");
    assert_eq!(signature["algorithm"], "HMAC-SHA1");
    assert!(signature["parameters"]
        .as_str()
        .unwrap()
        .starts_with("AccountSidAC0000"));
    let candidates: Vec<&str> = signature["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            assert_eq!(c["matched"], false);
            c["url"].as_str().unwrap()
        })
        .collect();
    assert_eq!(
        candidates,
        [
            "https://hooks.example.com/inbound/sms",
            "https://hooks.example.com:443/inbound/sms"
        ]
    );
    let masked = forged["request"]["headers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["name"] == "x-twilio-signature")
        .unwrap();
    assert_eq!(masked["hidden"], 28);
    assert!(masked.get("value").is_none());
    assert_eq!(forged["failure"]["stage"], "signature");
    assert_eq!(
        forged["expressionsNote"],
        "the request stopped before its expressions"
    );
    // Copy as curl: no signature, and `webhook sign` for whoever has the token.
    let curl = forged["curl"].as_str().unwrap();
    assert!(
        curl.starts_with("curl -i -X POST 'http://127.0.0.1:"),
        "{curl}"
    );
    assert!(
        !curl.to_ascii_lowercase().contains("x-twilio-signature"),
        "{curl}"
    );
    assert!(curl.contains("--data-raw 'ToCountry=US&"), "{curl}");
    let sign = forged["sign"].as_str().unwrap();
    assert!(
        sign.contains("--url 'https://hooks.example.com/inbound/sms'"),
        "{sign}"
    );
    assert!(sign.contains("--form 'From=+15005550001'"), "{sign}");

    let valid = inspected.get("/inspect/api/requests/1").await;
    assert_eq!(valid["signature"]["passed"], true);
    assert_eq!(valid["signature"]["verdict"], "passed: the URL as rebuilt");
    assert_eq!(valid["signature"]["candidates"][0]["matched"], true);
    let steps = valid["expressions"].as_array().unwrap();
    let value = |label: &str| {
        let step = steps.iter().find(|s| s["label"] == label).unwrap();
        (
            step["state"].as_str().unwrap().to_owned(),
            step["value"]["feel"].as_str().map(str::to_owned),
        )
    };
    assert_eq!(
        value("activation condition"),
        ("ok".into(), Some("true".into()))
    );
    assert_eq!(
        value("result expression"),
        (
            "ok".into(),
            Some("{text: \"hello inspector\", media: 0}".into())
        )
    );
    assert_eq!(
        value("correlation key"),
        ("ok".into(), Some("\"+15005550001\"".into()))
    );
    assert_eq!(
        value("message id"),
        (
            "ok".into(),
            Some("\"SM00000000000000000000000000000001received\"".into())
        )
    );
    assert_eq!(valid["decision"]["result"], "dispatch");
    assert_eq!(valid["decision"]["command"]["command"], "publishMessage");
    assert_eq!(
        valid["decision"]["command"]["correlationKey"],
        "+15005550001"
    );
    assert_eq!(valid["dispatch"]["correlation"]["type"], "messagePublished");
    assert_eq!(valid["reply"]["status"], 200);
    assert_eq!(valid["reply"]["body"], "<Response/>");
    assert_eq!(valid["dedup"]["enabled"], false);
    assert!(valid["context"]["feel"]
        .as_str()
        .unwrap()
        .contains("\"x-twilio-signature\": \"<hidden by the inspector>\""));

    let inactive = inspected.get("/inspect/api/requests/3").await;
    let steps = inactive["expressions"].as_array().unwrap();
    assert_eq!(steps[0]["label"], "activation condition");
    assert_eq!(steps[0]["state"], "failed");
    assert_eq!(steps[0]["value"]["feel"], "false");
    let later: Vec<&str> = steps[1..]
        .iter()
        .filter(|s| s["state"] != "absent")
        .map(|s| s["state"].as_str().unwrap())
        .collect();
    assert_eq!(later, ["skipped", "skipped", "skipped"]);
    assert_eq!(inactive["reply"]["status"], 422);
    inspected.app.stop().await;
}

#[tokio::test]
async fn expressions_tried_against_a_request_give_values_warnings_and_carets() {
    let inspected = start(WEBHOOKS, |_| {}).await;
    three_requests(&inspected.app).await;
    let path = "/inspect/api/requests/1/evaluate";
    let (status, answer) = inspected
        .post(path, r#"{"expression": "upper case(request.body.Body)"}"#)
        .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["value"]["feel"], "\"HELLO INSPECTOR\"");
    assert_eq!(answer["value"]["kind"], "string");

    let (_, answer) = inspected
        .post(path, r#"{"expression": "request.body.From + 1"}"#)
        .await;
    assert_eq!(answer["value"]["feel"], "null");
    let warning = &answer["warnings"][0];
    assert_eq!(warning["kind"], "InvalidType");
    assert_eq!(
        warning["excerpt"],
        "request.body.From + 1\n^^^^^^^^^^^^^^^^^^^^^"
    );

    let (_, answer) = inspected
        .post(path, r#"{"expression": "request.body.(From"}"#)
        .await;
    let error = &answer["parseError"];
    assert_eq!(error["line"], 1);
    assert_eq!(error["column"], 14);
    assert_eq!(error["excerpt"], "request.body.(From\n             ^");

    // `now()` is the request's arrival, as in its steps, not the moment asked.
    let arrival = inspected.get("/inspect/api/requests/1").await["time"]
        .as_str()
        .unwrap()
        .to_owned();
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let (_, answer) = inspected
        .post(path, r#"{"expression": "string(now())"}"#)
        .await;
    let now = answer["value"]["feel"].as_str().unwrap();
    assert!(now.contains(&arrival[..19]), "{now} against {arrival}");

    // The signature header is masked for expressions too.
    let (_, answer) = inspected
        .post(
            path,
            r#"{"expression": "get value(request.headers, \"x-twilio-signature\")"}"#,
        )
        .await;
    assert_eq!(answer["value"]["feel"], "\"<hidden by the inspector>\"");

    // Bounded: fuel stops a runaway expression, and long or empty input is refused.
    let (status, answer) = inspected
        .post(
            path,
            r#"{"expression": "count(for i in 1..1000000 return i)"}"#,
        )
        .await;
    assert_eq!(status, 200);
    assert!(
        answer["error"].as_str().unwrap().contains("fuel"),
        "{answer}"
    );
    let long = format!(r#"{{"expression": "{}"}}"#, "1+".repeat(5000) + "1");
    let (status, answer) = inspected.post(path, &long).await;
    assert_eq!(status, 422, "{answer}");
    assert_eq!(inspected.post(path, r#"{"expression": " "}"#).await.0, 422);
    assert_eq!(inspected.post(path, r#"{"nope": 1}"#).await.0, 400);
    assert_eq!(inspected.post(path, "not json").await.0, 400);
    let huge = format!(r#"{{"expression": "{}"}}"#, "x".repeat(20_000));
    assert_eq!(inspected.post(path, &huge).await.0, 413);
    let (status, answer) = inspected
        .post(
            "/inspect/api/requests/99/evaluate",
            r#"{"expression": "1"}"#,
        )
        .await;
    assert_eq!(status, 404);
    assert!(
        answer["reason"].as_str().unwrap().contains("not held"),
        "{answer}"
    );
    inspected.app.stop().await;
}

#[tokio::test]
async fn a_dry_run_uses_the_definition_served_now_and_sends_nothing() {
    let inspected = start(WEBHOOKS, |_| {}).await;
    three_requests(&inspected.app).await;
    let sent = inspected.app.dispatcher.commands().len();
    assert_eq!(sent, 1);

    // Same definition: the inactive request stays inactive.
    let (status, run) = inspected.post("/inspect/api/requests/3/dry-run", "").await;
    assert_eq!(status, 200, "{run}");
    assert_eq!(run["definition"]["changed"], false);
    assert_eq!(run["decision"]["result"], "refused");
    assert_eq!(run["decision"]["status"], 422);

    // The model changes (a hot reload): status callbacks activate too.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("new.toml");
    std::fs::write(
        &file,
        WEBHOOKS.replace(
            r#"activation_condition = "=request.body.SmsStatus = \"received\"""#,
            r#"activation_condition = "=request.body.SmsStatus in (\"received\", \"sent\")""#,
        ),
    )
    .unwrap();
    let engine = webhook::settings::FeelLimits::default().engine();
    let definitions =
        webhook::webhooks::load_file(&file, &engine, &*support::secrets(), None).unwrap();
    let registry = webhook::webhooks::Registry::build(definitions).unwrap();
    inspected.app.running.state().catalog().set_files(&registry);

    let (status, run) = inspected
        .post("/inspect/api/requests/3/dry-run", "{}")
        .await;
    assert_eq!(status, 200, "{run}");
    assert_eq!(run["definition"]["changed"], true);
    assert_eq!(run["methodAllowed"], true);
    assert_eq!(run["signature"]["passed"], true);
    assert_eq!(run["expressions"][0]["value"]["feel"], "true");
    assert_eq!(run["decision"]["result"], "dispatch");
    assert_eq!(
        run["decision"]["command"]["messageId"],
        "SM00000000000000000000000000000001sent"
    );
    assert_eq!(run["reply"]["body"], "<Response/>");
    // The forged request still fails its signature with the new definition.
    let (_, run) = inspected.post("/inspect/api/requests/2/dry-run", "").await;
    assert_eq!(run["signature"]["passed"], false);
    // Nothing was dispatched by either.
    assert_eq!(inspected.app.dispatcher.commands().len(), sent);
    let Command::PublishMessage { message_id, .. } = &inspected.app.dispatcher.commands()[0] else {
        panic!("not a message")
    };
    assert!(message_id.ends_with("received"));
    inspected.app.stop().await;
}

#[tokio::test]
async fn the_inspector_answers_only_its_host_and_its_token() {
    let inspected = start(WEBHOOKS, |_| {}).await;
    three_requests(&inspected.app).await;
    let routes = inspected.routes(Some("s3cret"));
    let admin = inspected.admin.to_string();
    let call = |method: &'static str, path: &'static str, headers: Vec<(&'static str, String)>| {
        let routes = routes.clone();
        async move {
            let mut request = warp::test::request().method(method).path(path);
            for (name, value) in headers {
                request = request.header(name, value);
            }
            let reply = request.reply(&routes).await;
            (
                reply.status().as_u16(),
                reply.headers().clone(),
                String::from_utf8_lossy(reply.body()).into_owned(),
            )
        }
    };
    let host = || ("host", admin.clone());
    let bearer = || ("authorization", "Bearer s3cret".to_owned());
    // A rebound domain is refused everywhere, the page included.
    for path in ["/inspect", "/inspect/app.js", "/inspect/api/requests"] {
        let (status, _, body) = call(
            "GET",
            path,
            vec![("host", "evil.example:80".into()), bearer()],
        )
        .await;
        assert_eq!(status, 403, "{path}: {body}");
    }
    // The page and its files hold no data: no token needed.
    let (status, headers, page) = call("GET", "/inspect", vec![host()]).await;
    assert_eq!(status, 200);
    assert!(page.contains("<script src=\"/inspect/app.js\"></script>"));
    let csp = headers["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"),
        "{csp}"
    );
    assert_eq!(headers["x-frame-options"], "DENY");
    let (status, headers, _) = call("GET", "/inspect/app.js", vec![host()]).await;
    assert_eq!(status, 200);
    assert!(headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/javascript"));
    // The data needs the token.
    let (status, _, body) = call("GET", "/inspect/api/requests", vec![host()]).await;
    assert_eq!(status, 401, "{body}");
    assert!(!body.contains("15005550001"), "{body}");
    let wrong = ("authorization", "Bearer nope".to_owned());
    assert_eq!(
        call("GET", "/inspect/api/requests/1", vec![host(), wrong])
            .await
            .0,
        401
    );
    let (status, headers, body) =
        call("GET", "/inspect/api/requests/1", vec![host(), bearer()]).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(headers["cache-control"], "no-store");
    assert!(headers.get("access-control-allow-origin").is_none());
    // A cross-site form cannot post: only JSON is taken.
    let (status, _, _) = call(
        "POST",
        "/inspect/api/requests/1/dry-run",
        vec![host(), bearer(), ("content-type", "text/plain".into())],
    )
    .await;
    assert_eq!(status, 415);
    let (status, _, _) = call(
        "POST",
        "/inspect/api/requests/1/dry-run",
        vec![host(), ("content-type", "application/json".into())],
    )
    .await;
    assert_eq!(status, 401);
    // Other methods and paths.
    assert_eq!(
        call("DELETE", "/inspect/api/requests/1", vec![host(), bearer()])
            .await
            .0,
        405
    );
    assert_eq!(
        call("GET", "/inspect/nothing", vec![host(), bearer()])
            .await
            .0,
        404
    );
    assert_eq!(
        call("GET", "/inspect/api/requests/x", vec![host(), bearer()])
            .await
            .0,
        400
    );
    inspected.app.stop().await;
}

#[tokio::test]
async fn without_an_outbox_the_admin_endpoint_still_inspects() {
    // The test settings run without an outbox (--no-outbox).
    let inspected = start(WEBHOOKS, |_| {}).await;
    assert!(inspected.app.running.state().outbox().is_none());
    three_requests(&inspected.app).await;
    let (status, text) = inspected
        .call(
            "POST",
            "/outbox",
            &[("content-type", "application/json")],
            r#"{"op":"list","state":"pending","limit":1}"#,
        )
        .await;
    assert_eq!(status, 404, "{text}");
    assert!(text.contains("without an outbox"), "{text}");
    // Over the socket too, as `webhook outbox --admin` and a browser reach it.
    let answer = send(inspected.admin, "GET", "/inspect/api/requests", &[], b"").await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.json()["latest"], 3);
    let page = send(inspected.admin, "GET", "/inspect", &[], b"").await;
    assert_eq!(page.status, 200);
    inspected.app.stop().await;
}

#[tokio::test]
async fn with_an_outbox_the_entry_and_the_deduplication_keys_are_shown() {
    let store = tempfile::tempdir().unwrap();
    let path = store.path().join("outbox.log");
    let inspected = start(WEBHOOKS, |s| {
        s.delivery.outbox_path = Some(path);
        s.delivery.outbox = support::fast_retries();
    })
    .await;
    let valid = sms("received", "queued one");
    assert_eq!(
        post_signed(&inspected.app, "sms", &support::pairs(&valid))
            .await
            .status,
        200
    );
    // The same request again: a duplicate.
    assert_eq!(
        post_signed(&inspected.app, "sms", &support::pairs(&valid))
            .await
            .status,
        200
    );
    let mut delivered = Json::Null;
    for _ in 0..100 {
        delivered = inspected.get("/inspect/api/requests/1").await;
        if delivered["dispatch"]["outbox"]["state"] == "delivered" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        delivered["dispatch"]["correlation"]["type"], "queued",
        "{delivered}"
    );
    assert_eq!(
        delivered["dispatch"]["outbox"]["state"], "delivered",
        "{delivered}"
    );
    assert_eq!(delivered["dispatch"]["outbox"]["attempts"], 1);
    // What Zeebe answered (here the embedded dispatcher), kept in memory.
    assert_eq!(
        delivered["dispatch"]["outbox"]["zeebe"]["result"], "messagePublished",
        "{delivered}"
    );
    assert_eq!(delivered["dedup"]["enabled"], true);
    let keys = delivered["dedup"]["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 1, "{keys:?}");
    assert!(
        keys[0].as_str().unwrap().starts_with("sms · key · SM000"),
        "{keys:?}"
    );
    let duplicate = inspected.get("/inspect/api/requests/2").await;
    assert_eq!(duplicate["outcome"], "duplicate");
    assert_eq!(duplicate["dispatch"]["duplicate"], true);
    inspected.app.stop().await;
}

#[tokio::test]
async fn a_request_refused_before_its_body_shows_no_signature_or_context() {
    let inspected = start(WEBHOOKS, |s| s.requests.body_limit = 64).await;
    let big = "Body=".to_owned() + &"x".repeat(500);
    let answer = send(
        inspected.app.addr,
        "POST",
        "/inbound/sms",
        &[("Content-Type", FORM), ("X-Twilio-Signature", "AAAA")],
        big.as_bytes(),
    )
    .await;
    assert_eq!(answer.status, 413);
    let detail = inspected.get("/inspect/api/requests/1").await;
    assert_eq!(detail["stage"], "body");
    assert_eq!(detail["outcome"], "too_large");
    assert_eq!(
        detail["expressionsNote"],
        "the request stopped before its body was read"
    );
    assert!(detail.get("signature").is_none(), "{detail}");
    assert!(detail.get("context").is_none(), "{detail}");
    assert_eq!(detail["reply"]["status"], 413);
    let (status, run) = inspected.post("/inspect/api/requests/1/dry-run", "").await;
    assert_eq!(status, 200);
    assert!(run.get("signature").is_none(), "{run}");
    assert!(run["context"]["error"]
        .as_str()
        .unwrap()
        .contains("before its body"));
    let (status, answer) = inspected
        .post("/inspect/api/requests/1/evaluate", r#"{"expression": "1"}"#)
        .await;
    assert_eq!(status, 422);
    assert!(
        answer["reason"]
            .as_str()
            .unwrap()
            .contains("before its body was read"),
        "{answer}"
    );
    inspected.app.stop().await;
}

#[tokio::test]
async fn zeebes_refusal_is_shown_with_the_command_it_refused() {
    let inspected = start(WEBHOOKS, |_| {}).await;
    inspected
        .app
        .dispatcher
        .fail(webhook::zeebe::StatusCode::NotFound);
    let valid = sms("received", "nobody listens");
    let answer = post_signed(&inspected.app, "sms", &support::pairs(&valid)).await;
    assert_eq!(answer.status, 404);
    let detail = inspected.get("/inspect/api/requests/1").await;
    assert_eq!(detail["outcome"], "dispatch_error");
    assert_eq!(detail["stage"], "delivery");
    assert_eq!(detail["decision"]["command"]["name"], "sms-reply");
    let error = detail["dispatch"]["error"].as_str().unwrap();
    // Zeebe's own message, which the caller's generic body leaves out.
    assert!(error.contains("fake NotFound"), "{error}");
    assert!(!detail["reply"]["body"].as_str().unwrap().contains("fake"));
    inspected.app.stop().await;
}

#[tokio::test]
async fn capacity_zero_or_no_admin_endpoint_captures_nothing() {
    let off = start(WEBHOOKS, |s| s.inspect_capacity = 0).await;
    assert!(off.app.running.state().inspector().is_none());
    three_requests(&off.app).await;
    let (status, text) = off.call("GET", "/inspect/api/requests", &[], "").await;
    assert_eq!(status, 404);
    assert!(text.contains("--inspect-capacity 0"), "{text}");
    off.app.stop().await;
    let app = support::spawn(&[support::bpmn("start-event.bpmn")]).await;
    assert!(app.running.state().inspector().is_none());
    app.stop().await;
}

// ---- the page, in a real browser --------------------------------------------

/// Chromium, when installed (Debian's `chromium`; `.ci/run` installs it).
fn chromium() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("CHROMIUM") {
        return Some(PathBuf::from(path));
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|dir| ["chromium", "chromium-browser"].map(|name| dir.join(name)))
        .find(|candidate| candidate.is_file())
}

/// Runs headless Chromium on `url` with `what` (`--dump-dom` or
/// `--screenshot=<file>`), in a profile of its own; stdout.
fn browse(chromium: &std::path::Path, url: &str, what: &str) -> String {
    let profile = tempfile::tempdir().unwrap();
    let output = std::process::Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            "--hide-scrollbars",
            "--window-size=1440,1100",
            "--virtual-time-budget=8000",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(what)
        .arg(url)
        .output()
        .expect("chromium runs");
    assert!(
        output.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Where the screenshots go: `target/inspector/`.
fn artifacts() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"));
    let dir = target.join("inspector");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Says loudly (past the test harness's capture) that a test is skipped.
fn skipped(why: &str) {
    use std::io::Write as _;
    let _ = writeln!(std::io::stderr(), "\nSKIPPED: {why}\n");
}

/// The text of the element with `id` in a dumped DOM (tags stripped).
fn text_of(dom: &str, id: &str) -> String {
    let Some(start) = dom.find(&format!("id=\"{id}\"")) else {
        return String::new();
    };
    let rest = &dom[start..];
    let end = rest.find("</section>").unwrap_or(rest.len());
    strip_tags(&rest[..end])
}

fn strip_tags(html: &str) -> String {
    let mut out = String::new();
    let mut inside = false;
    for c in html.chars() {
        match c {
            '<' => inside = true,
            '>' => {
                inside = false;
                out.push(' ');
            }
            _ if !inside => out.push(c),
            _ => {}
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_in_headless_chromium_shows_where_each_request_stopped() {
    let Some(chromium) = chromium() else {
        // CI installs it (.ci/run): there, a missing browser is a failure.
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "CI=true but no chromium: .ci/run should have installed it"
        );
        skipped(
            "the inspector page test needs Chromium (apt-get install chromium, or set CHROMIUM)",
        );
        return;
    };
    let inspected = start(WEBHOOKS, |_| {}).await;
    let expected_mac = three_requests(&inspected.app).await;
    let base = format!("http://{}/inspect", inspected.admin);

    // The newest request (the inactive one) is opened by default.
    let dom = {
        let (chromium, url) = (chromium.clone(), base.clone());
        tokio::task::spawn_blocking(move || browse(&chromium, &url, "--dump-dom"))
            .await
            .unwrap()
    };
    let list = text_of(&dom, "list");
    for shown in [
        "stopped at activation: the activation condition was not met",
        "stopped at signature: Reason: INVALID_SIGNATURE",
        "+15005550001: hello inspector",
        "+15005550001: forged text",
    ] {
        assert!(list.contains(shown), "the list lacks `{shown}`: {list}");
    }
    assert_eq!(dom.matches("class=\"row failed").count(), 2, "{list}");
    assert_eq!(dom.matches("class=\"row ok").count(), 1, "{list}");
    let detail = text_of(&dom, "detail");
    assert!(detail.contains("POST /inbound/sms"), "{detail}");
    assert!(detail.contains("✗ activation"), "{detail}");
    assert!(
        detail.contains("Stopped at activation: the activation condition was not met"),
        "{detail}"
    );
    assert!(
        detail.contains("request.body.SmsStatus = \"received\""),
        "{detail}"
    );
    assert!(
        dom.contains("class=\"stage bad\" data-stage=\"activation\""),
        "{detail}"
    );
    assert!(
        dom.contains("class=\"stage skip\" data-stage=\"expressions\""),
        "{detail}"
    );

    // The forged request, opened by its link: the URLs tried, no MAC.
    let dom = {
        let (chromium, url) = (chromium.clone(), format!("{base}#req=2"));
        tokio::task::spawn_blocking(move || browse(&chromium, &url, "--dump-dom"))
            .await
            .unwrap()
    };
    let detail = text_of(&dom, "detail");
    assert!(detail.contains("✗ signature"), "{detail}");
    assert!(
        detail.contains("Signature failed: the signature matches none of the URLs tried"),
        "{detail}"
    );
    assert!(
        detail.contains("✗ https://hooks.example.com/inbound/sms"),
        "{detail}"
    );
    assert!(
        detail.contains("✗ https://hooks.example.com:443/inbound/sms"),
        "{detail}"
    );
    assert!(
        !dom.contains(&expected_mac),
        "the page shows the expected MAC"
    );
    assert!(
        !dom.contains("AAAAAAAAAAAAAAAAAAAAAAAAAAA="),
        "the page shows the signature sent"
    );
    assert!(detail.contains("hidden (28 bytes)"), "{detail}");

    // The screenshots a person would see, kept under target/inspector/:
    // the forged request, and the one whose activation condition is false.
    for (name, seq) in [("inspector.png", 2), ("inspector-activation.png", 3)] {
        let shot = artifacts().join(name);
        let _ = std::fs::remove_file(&shot);
        let (chromium, url, what) = (
            chromium.clone(),
            format!("{base}#req={seq}"),
            format!("--screenshot={}", shot.display()),
        );
        tokio::task::spawn_blocking(move || browse(&chromium, &url, &what))
            .await
            .unwrap();
        let png = std::fs::read(&shot).expect("a screenshot");
        assert!(png.starts_with(b"\x89PNG"), "not a PNG");
        assert!(png.len() > 20_000, "a blank page? {} bytes", png.len());
        let _ = std::io::Write::write_all(
            &mut std::io::stderr(),
            format!("inspector screenshot: {}\n", shot.display()).as_bytes(),
        );
    }

    // Markup in a captured body is shown as text, never run or rendered.
    let hostile = r#"<img src=x onerror="document.title='pwned'"><script>document.title='pwned'</script><b>bold</b>"#;
    let fields = sms("received", hostile);
    assert_eq!(
        post_signed(&inspected.app, "sms", &support::pairs(&fields))
            .await
            .status,
        200
    );
    let dom = {
        let (chromium, url) = (chromium.clone(), format!("{base}#req=4"));
        tokio::task::spawn_blocking(move || browse(&chromium, &url, "--dump-dom"))
            .await
            .unwrap()
    };
    assert!(dom.contains("<title>webhook inspector</title>"), "{dom}");
    assert!(!dom.contains("pwned</title>"), "a captured body ran");
    assert!(
        !dom.contains("<img src") && !dom.contains("<b>bold</b>"),
        "captured markup became elements"
    );
    assert!(
        dom.contains("&lt;img src=x onerror=\"document.title='pwned'\"&gt;"),
        "the body is not shown as text"
    );
    assert!(dom.contains("&lt;b&gt;bold&lt;/b&gt;"));
    inspected.app.stop().await;

    // With a token, the page asks for it and shows no data.
    let locked = start(WEBHOOKS, |s| s.admin_token = Some(Secret::new("s3cret"))).await;
    three_requests(&locked.app).await;
    let dom = {
        let url = format!("http://{}/inspect", locked.admin);
        tokio::task::spawn_blocking(move || browse(&chromium, &url, "--dump-dom"))
            .await
            .unwrap()
    };
    assert!(dom.contains("Admin token needed"), "{dom}");
    let token_box = dom.find("id=\"token-box\"").unwrap();
    assert!(
        !dom[token_box..token_box + 60].contains("hidden"),
        "the token box is hidden"
    );
    assert!(
        !dom.contains("+15005550001"),
        "data shown without the token"
    );
    locked.app.stop().await;
}
