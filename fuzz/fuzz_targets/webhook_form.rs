//! Any bytes as a form body and as a query string: decoding never panics, a
//! decoded form re-encodes to the same pairs, and the `request` context built
//! from it holds the first value of each name.

#![no_main]

use libfuzzer_sys::fuzz_target;
use webhook::form;
use webhook::inbound::request_context::{self as rc, Body};

fuzz_target!(|data: &[u8]| {
    let query = String::from_utf8_lossy(data);
    let params = rc::params_value(&query);
    let Ok(pairs) = form::parse(data) else {
        return;
    };
    assert!(pairs.len() <= form::MAX_PAIRS);
    assert!(pairs.iter().all(|(name, _)| !name.is_empty()));

    let encoded: Vec<String> = pairs
        .iter()
        .map(|(k, v)| format!("{}={}", form::encode(k), form::encode(v)))
        .collect();
    let again = form::parse(encoded.join("&").as_bytes()).expect("re-encoded form must parse");
    assert_eq!(again, pairs, "parse(encode(x)) != x");

    let body = rc::parse_body(Some("application/x-www-form-urlencoded"), data)
        .expect("a form that parses is a form body");
    let body = rc::body_value(&body);
    let context = rc::context(body.clone(), Default::default(), params.unwrap_or_default());
    let request = context.get("request").and_then(feel::Value::as_context);
    assert_eq!(request.and_then(|r| r.get("body")), Some(&body));
    if !pairs.is_empty() {
        let object = body.as_context().expect("a form body is a context");
        for (name, value) in object.iter() {
            let first = pairs.iter().find(|(k, _)| k == name).map(|(_, v)| &**v);
            assert_eq!(value.as_str(), first, "{name}");
        }
        let distinct: std::collections::BTreeSet<&str> = pairs.iter().map(|(k, _)| &**k).collect();
        assert_eq!(object.len(), distinct.len());
        assert_eq!(rc::body_value(&Body::Form(pairs)), body);
    }
});
