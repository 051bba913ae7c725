use std::collections::HashMap;
use std::path::Path;

use warp::http::HeaderValue as Http;

use super::*;
use crate::webhooks::secrets::MapSecrets;

/// One webhook from TOML text, compiled as the service compiles it.
pub(crate) fn webhook(toml: &str) -> Arc<WebhookDefinition> {
    let raws = crate::webhooks::toml::parse(Path::new("test.toml"), toml).unwrap();
    let secrets = MapSecrets(HashMap::from([("TOKEN".to_owned(), "t0ken".to_owned())]));
    let engine = crate::settings::FeelLimits::default().engine();
    crate::webhooks::compile_all(raws, &engine, &secrets)
        .unwrap()
        .remove(0)
}

fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (name, value) in pairs {
        map.append(*name, Http::from_str(value).unwrap());
    }
    map
}

use std::str::FromStr as _;

fn capture(id: &str, headers: &HeaderMap, body: &[u8]) -> Capture {
    let mut c = Capture::new(
        id,
        None,
        &Method::POST,
        &format!("/inbound/{id}"),
        Some("a=1"),
        headers,
        None,
    );
    c.body(body);
    c
}

fn inspector_with(capacity: usize, count: u64) -> Inspector {
    let inspector = Inspector::new(capacity).unwrap();
    for n in 1..=count {
        let c = capture(&format!("hook-{n}"), &HeaderMap::new(), b"x=1");
        inspector.record(c, StatusCode::OK, "accepted", Duration::ZERO);
    }
    inspector
}

fn seqs(records: &[Arc<Record>]) -> Vec<u64> {
    records.iter().map(|r| r.seq()).collect()
}

#[test]
fn capacity_zero_captures_nothing() {
    assert!(Inspector::new(0).is_none());
}

#[test]
fn the_ring_keeps_the_latest_newest_first_and_evicts_the_oldest() {
    let inspector = inspector_with(3, 2);
    assert_eq!(seqs(&inspector.newest_first(0)), [2, 1]);
    let inspector = inspector_with(3, 5);
    assert_eq!(inspector.latest(), 5);
    assert_eq!(seqs(&inspector.newest_first(0)), [5, 4, 3]);
    assert_eq!(inspector.get(5).unwrap().id(), "hook-5");
    assert_eq!(inspector.get(3).unwrap().id(), "hook-3");
    // Evicted, never recorded, and the number 0 are not there.
    for seq in [0, 1, 2, 6] {
        assert!(inspector.get(seq).is_none(), "{seq}");
    }
    // Only those after a number (what live updates ask for).
    assert_eq!(seqs(&inspector.newest_first(4)), [5]);
    assert!(inspector.newest_first(5).is_empty());
    assert_eq!(seqs(&inspector.newest_first(1)), [5, 4, 3]);
}

#[test]
fn a_list_stops_before_a_request_numbered_but_not_yet_stored() {
    let inspector = inspector_with(5, 2);
    let visited = |upto| {
        let mut seqs = Vec::new();
        inspector.visit_newest_first(upto, |r| seqs.push(r.seq()));
        seqs
    };
    assert_eq!(inspector.settled(0), 2);
    // Number 3 is taken (its request is being stored), 4 is stored.
    inspector.next.store(4, Ordering::SeqCst);
    let c = capture("four", &HeaderMap::new(), b"");
    inspector.record(c, StatusCode::OK, "accepted", Duration::ZERO);
    assert_eq!(inspector.latest(), 4);
    // A poll now gets 1 and 2, and asks after 2 next time, so it gets 3.
    assert_eq!(inspector.settled(0), 2);
    assert_eq!(inspector.settled(2), 2);
    assert_eq!(visited(inspector.settled(0)), [2, 1]);
    inspector.next.store(3, Ordering::SeqCst);
    let c = capture("three", &HeaderMap::new(), b"");
    inspector.record(c, StatusCode::OK, "accepted", Duration::ZERO);
    inspector.next.store(5, Ordering::SeqCst);
    assert_eq!(inspector.settled(2), 4);
    assert_eq!(visited(4), [4, 3, 2, 1]);
    // Pushed-out requests do not hold a list back.
    let inspector = inspector_with(2, 7);
    assert_eq!(inspector.settled(0), 7);
    // A page open across a restart asks after a number not given yet.
    assert_eq!(inspector.settled(100), 7);
}

#[test]
fn requests_finishing_at_once_on_many_threads_all_get_a_number() {
    let inspector = Arc::new(Inspector::new(100).unwrap());
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let inspector = Arc::clone(&inspector);
            std::thread::spawn(move || {
                for n in 0..500 {
                    let c = capture(&format!("t{t}-{n}"), &HeaderMap::new(), b"");
                    inspector.record(c, StatusCode::OK, "accepted", Duration::ZERO);
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(inspector.latest(), 2000);
    let kept = seqs(&inspector.newest_first(0));
    assert_eq!(kept, (1901..=2000).rev().collect::<Vec<u64>>());
}

#[test]
fn a_slower_request_does_not_overwrite_a_newer_one_in_its_slot() {
    let inspector = Inspector::new(2).unwrap();
    // Numbers 1 and 3 share a slot; 3 is stored first.
    inspector.next.store(3, Ordering::SeqCst);
    let c = capture("newer", &HeaderMap::new(), b"");
    inspector.record(c, StatusCode::OK, "accepted", Duration::ZERO);
    inspector.next.store(1, Ordering::SeqCst);
    let c = capture("older", &HeaderMap::new(), b"");
    inspector.record(c, StatusCode::OK, "accepted", Duration::ZERO);
    assert_eq!(inspector.get(3).unwrap().id(), "newer");
    assert!(inspector.get(1).is_none());
}

#[test]
fn signatures_and_credentials_are_masked_and_kept_out_of_the_buffer() {
    let signature = "RSOYDt4T1cUTdK1PDd93/VVr8B8=";
    let h = headers(&[
        ("host", "hooks.example.com"),
        ("x-twilio-signature", signature),
        ("authorization", "Basic dXNlcjpwYXNzd29yZA=="),
        ("cookie", "session=abc123"),
        ("i-twilio-idempotency-token", "tok-1"),
    ]);
    let inspector = Inspector::new(1).unwrap();
    inspector.record(
        capture("sms", &h, b"Body=hi"),
        StatusCode::OK,
        "accepted",
        Duration::ZERO,
    );
    let record = inspector.get(1).unwrap();
    let shown: Vec<(&str, HeaderValue<'_>)> = record.headers().collect();
    assert_eq!(
        shown,
        [
            ("host", HeaderValue::Shown(b"hooks.example.com")),
            ("x-twilio-signature", HeaderValue::Masked(signature.len())),
            ("authorization", HeaderValue::Masked(26)),
            ("cookie", HeaderValue::Masked(14)),
            ("i-twilio-idempotency-token", HeaderValue::Shown(b"tok-1")),
        ]
    );
    let contains = |needle: &str| {
        record
            .data
            .windows(needle.len())
            .any(|w| w == needle.as_bytes())
    };
    // Credentials are not kept at all; the signature only apart from the
    // headers, to be checked again.
    for secret in ["dXNlcjpwYXNzd29yZA==", "session=abc123"] {
        assert!(!contains(secret), "{secret} kept");
    }
    let lines = &record.data[record.headers.start as usize..record.headers.end as usize];
    assert!(!lines
        .windows(signature.len())
        .any(|w| w == signature.as_bytes()));
    assert!(!format!("{record:?}").contains(signature));
    assert!(!format!("{record:?}").contains("dXNlcjpw"));
    // Kept only to check it again.
    assert_eq!(record.signature(), Some(("x-twilio-signature", signature)));
    assert_eq!(record.header("x-twilio-signature"), None);
    assert_eq!(
        record.header("i-twilio-idempotency-token"),
        Some(&b"tok-1"[..])
    );
}

#[test]
fn a_webhooks_own_signature_header_is_masked_too() {
    let hook = webhook(
        r#"
[[webhook]]
id = "hub"
message = "m"
message_start = true
hmac_secret = "{{secrets.TOKEN}}"
hmac_scopes = ["body"]
hmac_algorithm = "sha_256"
hmac_header = "X-Hub-Signature-256"
"#,
    );
    let h = headers(&[("x-hub-signature-256", "sha256=00ff"), ("x-other", "1")]);
    let c = Capture::new(
        "hub",
        Some(&hook),
        &Method::POST,
        "/inbound/hub",
        None,
        &h,
        None,
    );
    let inspector = Inspector::new(1).unwrap();
    inspector.record(c, StatusCode::UNAUTHORIZED, "unauthorized", Duration::ZERO);
    let record = inspector.get(1).unwrap();
    assert_eq!(record.header("x-hub-signature-256"), None);
    assert_eq!(
        record.signature(),
        Some(("x-hub-signature-256", "sha256=00ff"))
    );
    assert_eq!(record.header("x-other"), Some(&b"1"[..]));
    assert!(Arc::ptr_eq(record.webhook().unwrap(), &hook));
}

#[test]
fn a_megabyte_body_is_kept_cut_and_200_of_them_stay_small() {
    let body = vec![b'a'; 1024 * 1024];
    let inspector = Inspector::new(200).unwrap();
    for _ in 0..200 {
        let h = headers(&[("content-length", "1048576")]);
        inspector.record(
            capture("big", &h, &body),
            StatusCode::OK,
            "accepted",
            Duration::ZERO,
        );
    }
    let record = inspector.get(200).unwrap();
    assert_eq!(record.body().len(), MAX_BODY);
    assert_eq!(record.body_len(), body.len());
    assert!(!record.complete());
    let per_entry = MAX_BODY + MAX_HEADER_BYTES + MAX_TARGET + 3 * MAX_TEXT + 4096;
    let total: usize = inspector
        .newest_first(0)
        .iter()
        .map(|r| r.retained_bytes())
        .sum();
    assert!(
        record.retained_bytes() < per_entry,
        "{} bytes kept for one request",
        record.retained_bytes()
    );
    assert!(
        total < 200 * per_entry,
        "{total} bytes kept for 200 requests"
    );
    assert!(total < 16 * 1024 * 1024, "{total}");
}

#[test]
fn floods_of_headers_and_long_targets_are_cut_at_their_caps() {
    let mut h = HeaderMap::new();
    for n in 0..2000 {
        h.append(
            warp::http::HeaderName::from_str(&format!("x-flood-{n}")).unwrap(),
            Http::from_str(&"v".repeat(100)).unwrap(),
        );
    }
    let long_path = format!("/inbound/{}", "p".repeat(20_000));
    let long_query = "q=".repeat(20_000);
    let c = Capture::new(
        &"i".repeat(10_000),
        None,
        &Method::GET,
        &long_path,
        Some(&long_query),
        &h,
        None,
    );
    let inspector = Inspector::new(1).unwrap();
    inspector.record(c, StatusCode::NOT_FOUND, "not_found", Duration::ZERO);
    let record = inspector.get(1).unwrap();
    let header_bytes: usize = record
        .headers()
        .map(|(n, v)| {
            n.len()
                + match v {
                    HeaderValue::Shown(b) => b.len(),
                    HeaderValue::Masked(_) => 0,
                }
        })
        .sum();
    assert!(header_bytes <= MAX_HEADER_BYTES, "{header_bytes}");
    assert!(record.headers().count() <= MAX_HEADER_FIELDS);
    assert!(record.path().len() + record.query().unwrap().len() <= MAX_TARGET);
    assert!(record.id().len() <= MAX_TEXT);
    assert!(!record.complete());
    assert!(record.retained_bytes() < MAX_HEADER_BYTES + MAX_TARGET + MAX_TEXT + 16 * 1024);
}

#[test]
fn cut_respects_character_boundaries() {
    assert_eq!(cut("héllo", 2), "h");
    assert_eq!(cut("héllo", 3), "hé");
    assert_eq!(cut("abc", 10), "abc");
}

#[test]
fn failures_name_their_stage_and_keep_the_detail() {
    let mut c = capture("sms", &HeaderMap::new(), b"");
    c.failed(&AppError::InvalidSignature);
    assert_eq!(c.0.failure.as_ref().unwrap().stage, Stage::Signature);
    let mut c = capture("sms", &HeaderMap::new(), b"");
    c.failed(&AppError::BadRequest("malformed form body: pair #1".into()));
    assert_eq!(c.0.failure.as_ref().unwrap().stage, Stage::Body);
    let mut c = capture("sms", &HeaderMap::new(), b"");
    c.verified();
    c.failed(&AppError::BadRequest("malformed query string".into()));
    assert_eq!(c.0.failure.as_ref().unwrap().stage, Stage::Context);
    c.failed(&AppError::Internal("disk full at /var/lib/x".into()));
    let failure = c.0.failure.as_ref().unwrap();
    assert_eq!(failure.stage, Stage::Delivery);
    // The operator sees the detail the caller's generic 5xx body leaves out.
    assert!(failure.reason.contains("/var/lib/x"), "{}", failure.reason);
    assert!(!failure.body.contains("/var/lib/x"), "{}", failure.body);
    let mut c = capture("sms", &HeaderMap::new(), b"");
    c.verified();
    c.failed(&AppError::InvalidInput {
        reason: "x".repeat(10 * MAX_TEXT),
        expression: Some("request.body.Nope".into()),
    });
    let failure = c.0.failure.as_ref().unwrap();
    assert_eq!(failure.stage, Stage::Expressions);
    assert!(failure.reason.len() <= MAX_TEXT);
    assert_eq!(failure.expression.as_deref(), Some("request.body.Nope"));
    assert_eq!(
        Stage::of_error(
            &AppError::TooManyRequests {
                limit: 1,
                waited_ms: 0
            },
            Stage::Context
        ),
        Stage::Limit
    );
    assert_eq!(
        Stage::of_error(&AppError::ActivationConditionNotMet, Stage::Context),
        Stage::Activation
    );
    assert_eq!(
        Stage::of_error(&AppError::UnknownWebhook("x".into()), Stage::Body),
        Stage::Webhook
    );
}
