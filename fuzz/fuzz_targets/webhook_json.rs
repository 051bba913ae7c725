//! Any bytes as a JSON (or XML) body: decoding never panics, and whatever
//! decodes becomes a `request` context FEEL accepts, whose `request.body`
//! converts back to the same JSON when it holds no numbers FEEL rounds.

#![no_main]

use libfuzzer_sys::fuzz_target;
use webhook::request_context as rc;

fuzz_target!(|data: &[u8]| {
    if let Ok(body) = rc::parse_body(Some("text/xml"), data) {
        let body = rc::body_json(body);
        assert!(body.is_string() || body.as_object().is_some_and(|o| o.is_empty()));
    }
    let Ok(body) = rc::parse_body(Some("application/json"), data) else {
        return;
    };
    let body = rc::body_json(body);
    let context = rc::context_json(body.clone(), Default::default(), Default::default());
    let vars = feel::Context::from_json(&context).expect("the context is an object");
    let request = vars.get("request").expect("`request` is bound");
    let _ = request.to_json();
    if !has_number(&body) {
        assert_eq!(feel::Value::from_json(&body).to_json(), body);
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
