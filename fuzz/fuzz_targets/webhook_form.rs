//! Any bytes as a form body and as a query string: decoding never panics, a
//! decoded form re-encodes to the same pairs, and the `request` context built
//! from it is an object FEEL accepts with the first value of each name.

#![no_main]

use libfuzzer_sys::fuzz_target;
use webhook::form;
use webhook::request_context::{self as rc, Body};

fuzz_target!(|data: &[u8]| {
    let query = String::from_utf8_lossy(data);
    let params = rc::params_json(&query);
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
    let body = rc::body_json(body);
    let context = rc::context_json(body.clone(), Default::default(), params.unwrap_or_default());
    assert!(feel::Context::from_json(&context).is_some());
    if !pairs.is_empty() {
        let object = body.as_object().expect("a form body is an object");
        for (name, value) in object {
            let first = pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v);
            assert_eq!(value.as_str(), first.map(String::as_str), "{name}");
        }
        assert_eq!(rc::body_json(Body::Form(pairs)), body);
    }
});
