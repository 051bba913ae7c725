//! The `request` context, shaped exactly as Camunda builds it (spec §2.3):
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

use serde_json::{Map, Value as Json};
use warp::http::HeaderMap;

use crate::form;
use crate::verification::Verified;

/// The body, decoded by content type.
#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    /// No body: `request.body` is `{}`.
    Empty,
    /// A form: every pair in order (all are signed; the first value of each
    /// name goes into `request.body`).
    Form(Vec<(String, String)>),
    /// XML, kept as text.
    Xml(String),
    /// Anything else, parsed as JSON.
    Json(Json),
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

/// The media type of `content-type`, lower-cased, without parameters.
pub fn media_type(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(warp::http::header::CONTENT_TYPE)?;
    let text = String::from_utf8_lossy(value.as_bytes());
    let media = text
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    (!media.is_empty()).then_some(media)
}

/// Whether the content type is a form.
pub fn is_form(media_type: Option<&str>) -> bool {
    media_type == Some("application/x-www-form-urlencoded")
}

/// Decodes a form body (used for signing before anything else is parsed).
pub fn parse_form(body: &[u8]) -> Result<Vec<(String, String)>, ContextError> {
    form::parse(body).map_err(ContextError::Form)
}

/// Decodes the body by content type.
pub fn parse_body(media_type: Option<&str>, body: &[u8]) -> Result<Body, ContextError> {
    if body.is_empty() {
        return Ok(Body::Empty);
    }
    if is_form(media_type) {
        return parse_form(body).map(Body::Form);
    }
    if media_type.is_some_and(|m| m.contains("application/xml") || m.contains("text/xml")) {
        return String::from_utf8(body.to_vec())
            .map(Body::Xml)
            .map_err(|_| ContextError::XmlEncoding);
    }
    serde_json::from_slice(body)
        .map(Body::Json)
        .map_err(|e| ContextError::Json(e.to_string()))
}

/// `request.headers`: lower-cased names, the first value of each.
pub fn headers_json(headers: &HeaderMap) -> Map<String, Json> {
    let mut out = Map::new();
    for name in headers.keys() {
        if let Some(value) = headers.get(name) {
            // HeaderName is already lower case.
            out.insert(
                name.as_str().to_owned(),
                Json::String(String::from_utf8_lossy(value.as_bytes()).into_owned()),
            );
        }
    }
    out
}

/// `request.params`: the raw query string decoded, first value of each name.
pub fn params_json(raw_query: &str) -> Result<Map<String, Json>, ContextError> {
    let pairs = form::parse(raw_query.as_bytes()).map_err(ContextError::Query)?;
    Ok(first_values(pairs))
}

fn first_values(pairs: Vec<(String, String)>) -> Map<String, Json> {
    let mut out = Map::new();
    for (name, value) in pairs {
        out.entry(name).or_insert(Json::String(value));
    }
    out
}

/// `request.body` as JSON.
pub fn body_json(body: Body) -> Json {
    match body {
        Body::Empty => Json::Object(Map::new()),
        Body::Form(pairs) => Json::Object(first_values(pairs)),
        Body::Xml(text) => Json::String(text),
        Body::Json(value) => value,
    }
}

/// The whole context object: `{request: {body, headers, params},
/// connectorData: {}, documents: []}`.
pub fn context_json(body: Json, headers: Map<String, Json>, params: Map<String, Json>) -> Json {
    let mut request = Map::new();
    request.insert("body".into(), body);
    request.insert("headers".into(), Json::Object(headers));
    request.insert("params".into(), Json::Object(params));
    let mut root = Map::new();
    root.insert("request".into(), Json::Object(request));
    root.insert("connectorData".into(), Json::Object(Map::new()));
    root.insert("documents".into(), Json::Array(Vec::new()));
    Json::Object(root)
}

/// The context object of a verified request.
pub fn build(request: &Verified) -> Result<Json, ContextError> {
    let body = match request.form() {
        Some(pairs) => Body::Form(pairs.to_vec()),
        None => parse_body(request.media_type(), request.body())?,
    };
    let params = params_json(request.query().unwrap_or_default())?;
    Ok(context_json(
        body_json(body),
        headers_json(request.headers()),
        params,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use warp::http::HeaderValue;

    #[test]
    fn headers_are_lower_case_first_value() {
        let mut h = HeaderMap::new();
        h.append("X-Twilio-Signature", HeaderValue::from_static("abc"));
        h.append("Accept", HeaderValue::from_static("a"));
        h.append("Accept", HeaderValue::from_static("b"));
        assert_eq!(
            Json::Object(headers_json(&h)),
            json!({"x-twilio-signature": "abc", "accept": "a"})
        );
    }

    #[test]
    fn params_first_value_wins_and_blank_names_are_skipped() {
        assert_eq!(
            Json::Object(params_json("a=1&a=2&=x&b&c=%2B1+2").unwrap()),
            json!({"a": "1", "b": "", "c": "+1 2"})
        );
        assert!(params_json("a=%G1").is_err());
    }

    #[test]
    fn bodies_by_content_type() {
        let form = parse_body(Some("application/x-www-form-urlencoded"), b"A=1&A=2&B=x").unwrap();
        assert_eq!(body_json(form), json!({"A": "1", "B": "x"}));
        assert_eq!(
            parse_body(Some("text/xml"), b"<a/>").unwrap(),
            Body::Xml("<a/>".into())
        );
        assert_eq!(
            parse_body(None, b"[1,2]").unwrap(),
            Body::Json(json!([1, 2]))
        );
        assert_eq!(parse_body(Some("text/plain"), b"").unwrap(), Body::Empty);
        assert!(matches!(
            parse_body(Some("application/json"), b"{nope"),
            Err(ContextError::Json(_))
        ));
    }

    #[test]
    fn charset_suffix_is_still_a_form() {
        let mut h = HeaderMap::new();
        h.insert(
            "content-type",
            HeaderValue::from_static("Application/X-WWW-Form-Urlencoded; charset=UTF-8"),
        );
        assert!(is_form(media_type(&h).as_deref()));
    }

    #[test]
    fn whole_context_shape() {
        let ctx = context_json(json!({}), Map::new(), Map::new());
        assert_eq!(
            ctx,
            json!({"request": {"body": {}, "headers": {}, "params": {}}, "connectorData": {}, "documents": []})
        );
    }
}
