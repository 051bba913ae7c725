//! The `request` context, shaped exactly as Camunda's webhook connector
//! builds it for FEEL:
//! `{request: {body, headers, params}, connectorData: {}, documents: []}`.
//!
//! * `headers`: names lower-cased, first value of a repeated header;
//! * `params`: from the raw query string only, first value of a repeated name;
//! * `body`: `{}` when empty; a form becomes a string map (first value of a
//!   repeated name); XML stays a string; anything else is parsed as JSON.
//!
//! Two intentional differences: a form content type with parameters
//! (`; charset=utf-8`) is still a form, and repeated form names are accepted
//! (Camunda answers 500 to both).

use std::sync::Arc;

use feel::{Context, Value};
use warp::http::HeaderMap;

use super::verification::Verified;
use crate::form::{self, Pair};
use crate::webhooks::ContextParts;

/// The body, decoded by content type.
#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    /// No body: `request.body` is `{}`.
    Empty,
    /// A form: every pair in order (all are signed; the first value of each
    /// name goes into `request.body`).
    Form(Vec<Pair>),
    /// XML, kept as text.
    Xml(String),
    /// Anything else, parsed as JSON into FEEL values (numbers keep every
    /// digit a FEEL number holds, up to 28; an `f64` would keep 15 to 17).
    Json(Value),
}

/// Why the request could not be turned into a context.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ContextError {
    /// The form body is malformed.
    #[error("malformed form body: {0}")]
    Form(form::FormError),
    /// The query string is malformed.
    #[error("malformed query string: {0}")]
    Query(form::FormError),
    /// The body is not valid JSON.
    #[error("the body is not valid JSON ({0}); send JSON or set a form or XML Content-Type")]
    Json(String),
    /// The XML body is not UTF-8.
    #[error("the XML body is not valid UTF-8")]
    XmlEncoding,
}

/// Decodes the body by content type.
pub fn parse_body(media_type: Option<&str>, body: &[u8]) -> Result<Body, ContextError> {
    if body.is_empty() {
        return Ok(Body::Empty);
    }
    if form::is_form(media_type) {
        return form::parse(body)
            .map(Body::Form)
            .map_err(ContextError::Form);
    }
    if media_type.is_some_and(|m| m.contains("application/xml") || m.contains("text/xml")) {
        return String::from_utf8(body.to_vec())
            .map(Body::Xml)
            .map_err(|_| ContextError::XmlEncoding);
    }
    let text =
        std::str::from_utf8(body).map_err(|e| ContextError::Json(format!("not UTF-8: {e}")))?;
    Value::from_json_text(text)
        .map(Body::Json)
        .map_err(|e| ContextError::Json(e.to_string()))
}

/// `request.headers`: lower-cased names, the first value of each.
pub fn headers_value(headers: &HeaderMap) -> Context {
    let mut out = Context::with_capacity(headers.keys_len());
    let mut previous = None;
    // HeaderName is already lower case. `iter` gives each name's values one
    // after the other, first value first: keep that one.
    for (name, value) in headers.iter() {
        if previous != Some(name) {
            out.insert(name.as_str(), text(value.as_bytes()));
            previous = Some(name);
        }
    }
    out
}

/// `request.params`: the raw query string decoded, first value of each name.
pub fn params_value(raw_query: &str) -> Result<Context, ContextError> {
    Ok(first_values(&query_pairs(raw_query)?))
}

/// The raw query string decoded, every pair in order.
fn query_pairs(raw_query: &str) -> Result<Vec<Pair>, ContextError> {
    form::parse(raw_query.as_bytes()).map_err(ContextError::Query)
}

/// A form as a context: the first value of each name, in order.
pub fn first_values(pairs: &[Pair]) -> Context {
    let mut out = Context::with_capacity(pairs.len());
    for (name, value) in pairs {
        if !out.contains_key(name) {
            // Shared, not copied: the form's texts become the context's.
            out.insert(Arc::clone(name), Value::String(Arc::clone(value)));
        }
    }
    out
}

/// `request.body` as a FEEL value.
pub fn body_value(body: &Body) -> Value {
    match body {
        Body::Empty => Value::Context(Context::new()),
        Body::Form(pairs) => Value::Context(first_values(pairs)),
        Body::Xml(text) => Value::string(text.as_str()),
        Body::Json(value) => value.clone(),
    }
}

/// The whole context: `{request: {body, headers, params}, connectorData: {},
/// documents: []}`.
pub fn context(body: Value, headers: Context, params: Context) -> Context {
    KEYS.with(|keys| {
        let request: Context = [
            (&keys.body, body),
            (&keys.headers, Value::Context(headers)),
            (&keys.params, Value::Context(params)),
        ]
        .into_iter()
        .map(|(key, value)| (Arc::clone(key), value))
        .collect();
        [
            (&keys.request, Value::Context(request)),
            (&keys.connector_data, Value::Context(Context::new())),
            (&keys.documents, Value::list([])),
        ]
        .into_iter()
        .map(|(key, value)| (Arc::clone(key), value))
        .collect()
    })
}

/// The fixed keys of the context, allocated once per thread and shared by
/// every request's context (per thread, so their reference counts stay in
/// that core's cache).
struct Keys {
    request: Arc<str>,
    body: Arc<str>,
    headers: Arc<str>,
    params: Arc<str>,
    connector_data: Arc<str>,
    documents: Arc<str>,
}

thread_local! {
    static KEYS: Keys = Keys {
        request: Arc::from("request"),
        body: Arc::from("body"),
        headers: Arc::from("headers"),
        params: Arc::from("params"),
        connector_data: Arc::from("connectorData"),
        documents: Arc::from("documents"),
    };
}

/// The context of a verified request, built straight into FEEL values (the
/// form was decoded once, for the signature). Parts not in `parts` are left
/// empty: no expression reads them. A malformed query string is refused
/// either way.
pub fn build(request: &Verified, parts: ContextParts) -> Result<Context, ContextError> {
    let body = match request.form() {
        Some(pairs) => Value::Context(first_values(pairs)),
        None => body_value(&parse_body(request.media_type(), request.body())?),
    };
    let params = match request.query() {
        Some(query) if !query.is_empty() => {
            let pairs = query_pairs(query)?;
            if parts.params {
                first_values(&pairs)
            } else {
                Context::new()
            }
        }
        _ => Context::new(),
    };
    let headers = if parts.headers {
        headers_value(request.headers())
    } else {
        Context::new()
    };
    Ok(context(body, headers, params))
}

/// `context` with one more entry (or `name` replaced), built at its final
/// size; the values are shared with `context`, not copied.
pub fn with_entry(context: &Context, name: &str, value: Value) -> Context {
    let mut out = Context::with_capacity(context.len() + 1);
    for (key, existing) in context.iter() {
        out.insert(Arc::clone(key), existing.clone());
    }
    out.insert(name, value);
    out
}

/// A path of context keys (`["request", "body", "From"]`) as text, when it
/// leads to a non-empty string.
pub fn text_at<'c>(context: &'c Context, path: &[&str]) -> Option<&'c str> {
    let (last, parents) = path.split_last()?;
    let mut current = context;
    for key in parents {
        current = current.get(key)?.as_context()?;
    }
    current.get(last)?.as_str().filter(|s| !s.is_empty())
}

/// Header bytes as text: UTF-8 as it is, invalid sequences as U+FFFD.
fn text(bytes: &[u8]) -> Value {
    match std::str::from_utf8(bytes) {
        Ok(s) => Value::string(s),
        Err(_) => Value::string(String::from_utf8_lossy(bytes).as_ref()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use warp::http::HeaderValue;

    fn json_of(context: Context) -> serde_json::Value {
        Value::Context(context).to_json()
    }

    #[test]
    fn headers_are_lower_case_first_value() {
        let mut h = HeaderMap::new();
        h.append("X-Twilio-Signature", HeaderValue::from_static("abc"));
        h.append("Accept", HeaderValue::from_static("a"));
        h.append("Accept", HeaderValue::from_static("b"));
        h.append("X-Bytes", HeaderValue::from_bytes(b"caf\xe9").unwrap());
        // Repeats that arrive interleaved with other headers.
        h.append("Accept", HeaderValue::from_static("c"));
        h.append("X-Twilio-Signature", HeaderValue::from_static("def"));
        let headers = headers_value(&h);
        assert_eq!(
            json_of(headers.clone()),
            json!({"x-twilio-signature": "abc", "accept": "a", "x-bytes": "caf\u{fffd}"})
        );
        assert_eq!(
            headers.keys().map(|k| k.as_ref()).collect::<Vec<&str>>(),
            ["x-twilio-signature", "accept", "x-bytes"]
        );
    }

    #[test]
    fn params_first_value_wins_and_blank_names_are_skipped() {
        assert_eq!(
            json_of(params_value("a=1&a=2&=x&b&c=%2B1+2").unwrap()),
            json!({"a": "1", "b": "", "c": "+1 2"})
        );
        assert!(params_value("a=%G1").is_err());
    }

    #[test]
    fn bodies_by_content_type() {
        let form = parse_body(Some("application/x-www-form-urlencoded"), b"A=1&A=2&B=x").unwrap();
        assert_eq!(body_value(&form).to_json(), json!({"A": "1", "B": "x"}));
        assert_eq!(
            parse_body(Some("text/xml"), b"<a/>").unwrap(),
            Body::Xml("<a/>".into())
        );
        assert_eq!(
            parse_body(None, b"[1,2]").unwrap(),
            Body::Json(Value::from_json(&json!([1, 2])))
        );
        assert_eq!(
            body_value(&Body::Json(Value::from_json(&json!([1, 2])))).to_json(),
            json!([1, 2])
        );
        assert_eq!(parse_body(Some("text/plain"), b"").unwrap(), Body::Empty);
        assert_eq!(body_value(&Body::Empty).to_json(), json!({}));
        assert!(matches!(
            parse_body(Some("application/json"), b"{nope"),
            Err(ContextError::Json(_))
        ));
    }

    #[test]
    fn json_numbers_keep_their_digits() {
        let body = parse_body(
            Some("application/json"),
            br#"{"amount": 1234567890123456789.123456789, "id": 9007199254740993}"#,
        )
        .unwrap();
        let Body::Json(value) = body else {
            panic!("not JSON")
        };
        // An f64 would make these 1234567890123456800 and 9007199254740992.
        assert_eq!(
            value.to_string(),
            "{amount: 1234567890123456789.123456789, id: 9007199254740993}"
        );
        let error = parse_body(None, b"{\"a\": [1,").unwrap_err();
        assert!(error.to_string().contains("not valid JSON"), "{error}");
        assert!(parse_body(None, b"\xff").is_err());
    }

    #[test]
    fn whole_context_shape() {
        let ctx = context(
            Value::Context(Context::new()),
            Context::new(),
            Context::new(),
        );
        assert_eq!(
            json_of(ctx),
            json!({"request": {"body": {}, "headers": {}, "params": {}}, "connectorData": {}, "documents": []})
        );
    }

    #[test]
    fn with_entry_adds_or_replaces_one_entry_and_leaves_the_original() {
        let base = first_values(&[("a".into(), "1".into()), ("b".into(), "2".into())]);
        let added = with_entry(&base, "c", Value::Null);
        assert_eq!(json_of(added), json!({"a": "1", "b": "2", "c": null}));
        let replaced = with_entry(&base, "a", Value::Null);
        assert_eq!(json_of(replaced), json!({"a": null, "b": "2"}));
        assert_eq!(json_of(base), json!({"a": "1", "b": "2"}));
    }

    #[test]
    fn text_at_follows_a_path_to_a_non_empty_string() {
        let body = first_values(&[("From".into(), "+1".into()), ("Empty".into(), "".into())]);
        let ctx = context(Value::Context(body), Context::new(), Context::new());
        assert_eq!(text_at(&ctx, &["request", "body", "From"]), Some("+1"));
        assert_eq!(text_at(&ctx, &["request", "body", "Empty"]), None);
        assert_eq!(text_at(&ctx, &["request", "body", "Missing"]), None);
        assert_eq!(text_at(&ctx, &["request", "body", "From", "deeper"]), None);
        assert_eq!(text_at(&ctx, &[]), None);
    }
}
