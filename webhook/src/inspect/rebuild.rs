//! What the pipeline saw, rebuilt from a captured request: its headers and
//! its `request` context, as the views and the expression runs both need
//! them.

use feel::Context;
use warp::http::{HeaderMap, HeaderName, HeaderValue as HttpValue};

use super::capture::{HeaderValue, Record, MAX_BODY};
use crate::form;
use crate::inbound::request_context as rc;

/// What a masked header holds in the context the views build.
pub const HIDDEN: &str = "<hidden by the inspector>";

/// The headers as kept, masked ones as [`HIDDEN`].
pub(super) fn header_map(record: &Record) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (name, value) in record.headers() {
        let Ok(name) = HeaderName::from_bytes(name.as_bytes()) else {
            continue;
        };
        let value = match value {
            HeaderValue::Shown(bytes) => match HttpValue::from_bytes(bytes) {
                Ok(v) => v,
                Err(_) => continue,
            },
            HeaderValue::Masked(_) => HttpValue::from_static(HIDDEN),
        };
        map.append(name, value);
    }
    map
}

/// The `request` context, built as the pipeline builds it (every part,
/// masked headers as [`HIDDEN`]).
///
/// This skips the signature check on purpose: the inspector shows what an
/// unverified request would have looked like too. Nothing built here is
/// ever dispatched.
pub fn context(record: &Record) -> Result<Context, String> {
    if !record.body_read() {
        return Err(format!(
            "the request stopped at its {} before its body was read",
            record.stage().as_str()
        ));
    }
    if !record.complete() {
        return Err(format!(
            "the request was too large to keep whole ({} bytes of body; the inspector keeps {} per request), so its context cannot be rebuilt",
            record.body_len(),
            MAX_BODY
        ));
    }
    let headers = header_map(record);
    let media = form::media_type(&headers);
    let body = rc::parse_body(media.as_deref(), record.body()).map_err(|e| e.to_string())?;
    let params = match record.query() {
        Some(q) if !q.is_empty() => rc::params_value(q).map_err(|e| e.to_string())?,
        _ => Context::new(),
    };
    Ok(rc::context(
        rc::body_value(&body),
        rc::headers_value(&headers),
        params,
    ))
}
