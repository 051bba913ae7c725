//! Success replies.
//!
//! Twilio wants `200` with `Content-Type: text/xml` and TwiML; an empty body
//! without a content type (Camunda's reply) makes Twilio log errors 12300 and
//! 11200. So the default is `<Response/>`; `--camunda-compatible-responses`
//! restores the empty 200; `inbound.responseExpression` can return anything.

use feel::Value;
use serde_json::Value as Json;
use warp::http::{header, HeaderName, HeaderValue, StatusCode};
use warp::reply::Response;

use crate::webhooks::Compiled;

/// Empty TwiML: "received, no reply".
pub const EMPTY_TWIML: &str = "<Response/>";

/// The default success reply.
pub fn accepted(camunda_compatible: bool) -> Response {
    if camunda_compatible {
        let mut r = Response::new(Default::default());
        *r.status_mut() = StatusCode::OK;
        return r;
    }
    let mut r = Response::new(EMPTY_TWIML.into());
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/xml"));
    r
}

/// Evaluates `inbound.responseExpression` over the request context plus
/// `correlation` ([`crate::inbound::delivery::correlation`]). The result may be a context `{body, statusCode, headers}`
/// or a bare string (sent as the body: TwiML when it starts with `<`).
///
/// The event was already accepted when this runs, so a failing expression is
/// logged and the default reply is sent: answering 5xx would make Twilio
/// retry and deliver the event twice.
pub fn from_expression(
    expr: &Compiled,
    context: &feel::Context,
    correlation: &Json,
    camunda_compatible: bool,
) -> Response {
    let vars = crate::inbound::request_context::with_entry(
        context,
        "correlation",
        Value::from_json(correlation),
    );
    let evaluation = match expr.expression.evaluate(&vars) {
        Ok(e) => e,
        Err(e) => {
            tracing::error!(property = expr.property, error = %e, "response expression failed; sending the default reply");
            return accepted(camunda_compatible);
        }
    };
    for w in &evaluation.warnings {
        tracing::warn!(property = expr.property, warning = %w, "FEEL warning");
    }
    match build(&evaluation.value.to_json()) {
        Ok(Some(r)) => r,
        Ok(None) => accepted(camunda_compatible),
        Err(why) => {
            tracing::error!(
                property = expr.property,
                why,
                "response expression result unusable; sending the default reply"
            );
            accepted(camunda_compatible)
        }
    }
}

fn build(value: &Json) -> Result<Option<Response>, String> {
    let (body, status, headers) = match value {
        Json::Null => return Ok(None),
        Json::String(s) => (Some(Json::String(s.clone())), None, None),
        Json::Object(map) => (
            map.get("body").cloned(),
            map.get("statusCode"),
            map.get("headers"),
        ),
        other => {
            return Err(format!(
                "expected a context {{body, statusCode, headers}} or a string, got {other}"
            ))
        }
    };
    let status = match status {
        None | Some(Json::Null) => StatusCode::OK,
        Some(Json::Number(n)) => n
            .as_u64()
            .and_then(|n| u16::try_from(n).ok())
            .and_then(|n| StatusCode::from_u16(n).ok())
            .ok_or_else(|| format!("statusCode {n} is not an HTTP status"))?,
        Some(other) => return Err(format!("statusCode must be a number, got {other}")),
    };
    let (text, default_type) = match body {
        None | Some(Json::Null) => (String::new(), None),
        Some(Json::String(s)) => {
            let kind = if s.trim_start().starts_with('<') {
                "text/xml"
            } else {
                "text/plain; charset=utf-8"
            };
            (s, Some(kind))
        }
        Some(other) => (other.to_string(), Some("application/json")),
    };
    let mut response = Response::new(text.into());
    *response.status_mut() = status;
    if let Some(t) = default_type {
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(t));
    }
    match headers {
        None | Some(Json::Null) => {}
        Some(Json::Object(map)) => {
            for (name, value) in map {
                let value = match value {
                    Json::String(s) => s.clone(),
                    other => other.to_string(),
                };
                let name = HeaderName::from_bytes(name.as_bytes())
                    .map_err(|_| format!("`{name}` is not a valid header name"))?;
                let value = HeaderValue::from_str(&value)
                    .map_err(|_| format!("the value of header `{name}` is not valid"))?;
                response.headers_mut().insert(name, value);
            }
        }
        Some(other) => return Err(format!("headers must be a context, got {other}")),
    }
    Ok(Some(response))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn default_is_twiml_and_compat_is_empty() {
        let r = accepted(false);
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()[header::CONTENT_TYPE], "text/xml");
        let r = accepted(true);
        assert!(r.headers().get(header::CONTENT_TYPE).is_none());
    }

    #[test]
    fn build_from_context_and_string() {
        let r = build(&json!({"body": "<Response><Message>hi</Message></Response>", "statusCode": 201, "headers": {"X-A": "1"}}))
            .unwrap()
            .unwrap();
        assert_eq!(r.status(), 201);
        assert_eq!(r.headers()[header::CONTENT_TYPE], "text/xml");
        assert_eq!(r.headers()["x-a"], "1");
        let r = build(&json!({"body": {"ok": true}})).unwrap().unwrap();
        assert_eq!(r.headers()[header::CONTENT_TYPE], "application/json");
        let r = build(&json!({"body": "x", "headers": {"content-type": "text/html"}}))
            .unwrap()
            .unwrap();
        assert_eq!(r.headers()[header::CONTENT_TYPE], "text/html");
        assert!(build(&json!(null)).unwrap().is_none());
        assert!(build(&json!({"statusCode": 99})).is_err());
        assert!(build(&json!([1])).is_err());
        assert!(build(&json!({"headers": {"bad name": "x"}})).is_err());
    }
}
