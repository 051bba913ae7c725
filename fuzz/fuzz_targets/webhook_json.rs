//! Any bytes as a JSON (or XML) body: decoding never panics, and whatever
//! decodes becomes a `request` context whose `request.body` converts back to
//! the JSON serde_json reads from the same bytes when it holds no numbers
//! (an f64 would round some).

#![no_main]

use libfuzzer_sys::fuzz_target;
use webhook::inbound::request_context as rc;

fuzz_target!(|data: &[u8]| {
    if let Ok(body) = rc::parse_body(Some("text/xml"), data) {
        let body = rc::body_value(&body);
        assert!(body.as_str().is_some() || body.as_context().is_some_and(|c| c.is_empty()));
    }
    let Ok(parsed @ rc::Body::Json(_)) = rc::parse_body(Some("application/json"), data) else {
        return;
    };
    let body = rc::body_value(&parsed);
    let context = rc::context(body.clone(), Default::default(), Default::default());
    let request = context.get("request").expect("`request` is bound");
    let _ = request.to_json();
    if let Ok(json) = serde_json::from_slice::<serde_json::Value>(data) {
        if !has_number(&json) {
            assert_eq!(body.to_json(), json);
        }
    }
});

fn has_number(v: &serde_json::Value) -> bool {
    match v {
        serde_json::Value::Number(_) => true,
        serde_json::Value::Array(items) => items.iter().any(has_number),
        serde_json::Value::Object(entries) => entries.values().any(has_number),
        _ => false,
    }
}
