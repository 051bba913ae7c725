//! The inspector's routes on the admin endpoint:
//!
//! | route | what |
//! |---|---|
//! | `GET /inspect` | the page (static HTML; `app.js` and `app.css` beside it) |
//! | `GET /inspect/api/requests?webhook=&outcome=&q=&after=&limit=` | the latest requests, newest first (`outcome=failed`: every non-2xx) |
//! | `GET /inspect/api/requests/<n>` | one request in full |
//! | `POST /inspect/api/requests/<n>/dry-run` | the request against the definition served now, nothing dispatched |
//! | `POST /inspect/api/requests/<n>/evaluate` `{"expression": "…"}` | an expression against the request's context |
//!
//! Every route answers only to the endpoint's own `Host` (a page on a
//! rebound domain sends its own). The API also needs the admin token when
//! there is one, as `Authorization: Bearer`: the page asks for it once and
//! keeps it in the tab's `sessionStorage`, never in a cookie (cookies are
//! sent to every port of a host, and with every cross-site request a page
//! makes), so another page can neither read the answers (no CORS) nor make
//! the browser send the token. The POST routes take only
//! `application/json`, which a cross-site page cannot send without a
//! preflight that is never granted. The page runs only its own script and
//! style (`Content-Security-Policy`), and builds every element from text,
//! never from HTML, so captured request text cannot run in it.

use std::convert::Infallible;

use bytes::Bytes;
use serde_json::{json, Value as Json};
use warp::filters::path::Tail;
use warp::http::{header, HeaderMap, HeaderValue, StatusCode};
use warp::reply::Response;
use warp::{Filter, Rejection};

use super::expressions;
use super::view::{self, Filter as ListFilter};
use crate::admin::Guard;
use crate::error::{json_reply, AppError};
use crate::state::AppState;

/// The page, its script and its style sheet, compiled in.
const PAGE: &str = include_str!("page/index.html");
const SCRIPT: &str = include_str!("page/app.js");
const STYLE: &str = include_str!("page/app.css");

/// The largest request body the API takes (an expression to try).
const MAX_API_BODY: usize = 16 * 1024;
/// The longest text filter.
const MAX_FILTER_TEXT: usize = 256;
/// The most requests one list answer holds.
pub const MAX_LIST: usize = 1000;
/// The list's length when the caller names none.
const DEFAULT_LIST: usize = 200;

const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// The inspector's routes (everything under `/inspect`), behind `guard`.
/// Paths elsewhere are rejected as not found, for the routes beside them.
pub fn routes(state: AppState, guard: Guard) -> warp::filters::BoxedFilter<(Response,)> {
    let with = {
        let state = state.clone();
        let guard = guard.clone();
        warp::any().map(move || (state.clone(), guard.clone()))
    };
    let get =
        warp::get()
            .and(warp::path::tail())
            .and(warp::header::headers_cloned())
            .and(warp::query::raw().or(warp::any().map(String::new)).unify())
            .and(with.clone())
            .and_then(
                |tail: Tail,
                 headers: HeaderMap,
                 query: String,
                 (state, guard): (AppState, Guard)| async move {
                    Ok::<_, Infallible>(get(tail.as_str(), &headers, &query, &state, &guard).await)
                },
            );
    let post = warp::post()
        .and(warp::path::tail())
        .and(warp::header::headers_cloned())
        .and(warp::body::stream())
        .and(with)
        .and_then(
            |tail: Tail, headers: HeaderMap, body, (state, guard): (AppState, Guard)| async move {
                // Read within the limit, with or without a Content-Length
                // (a dry run is often posted with no body at all).
                let body = match crate::http::limits::read_body(
                    chunks(body),
                    &headers,
                    MAX_API_BODY,
                )
                .await
                {
                    Ok(body) => body,
                    Err(error) => return Ok::<_, Infallible>(api_error(error)),
                };
                Ok(post(tail.as_str(), &headers, &body, &state, &guard).await)
            },
        );
    warp::path("inspect")
        .and(
            get.or(post)
                .unify()
                .recover(
                    |rejection: Rejection| async move { Ok::<_, Infallible>(rejected(&rejection)) },
                )
                .unify(),
        )
        .boxed()
}

/// A request body as a stream of `Bytes` chunks.
fn chunks<S, B>(
    stream: S,
) -> impl futures_util::Stream<Item = Result<Bytes, warp::Error>> + Unpin + Send
where
    S: futures_util::Stream<Item = Result<B, warp::Error>> + Send + 'static,
    B: warp::Buf,
{
    use futures_util::StreamExt as _;
    Box::pin(stream.map(|chunk| chunk.map(|mut buf| buf.copy_to_bytes(buf.remaining()))))
}

/// What the routes refused before a handler: the method, or no such path.
fn rejected(rejection: &Rejection) -> Response {
    let error = if rejection.find::<warp::reject::MethodNotAllowed>().is_some() {
        AppError::MethodNotAllowed(None)
    } else {
        AppError::NoRoute
    };
    api_error(error)
}

fn no_store(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn api_error(error: AppError) -> Response {
    no_store(error.into_response())
}

fn api(status: StatusCode, body: &Json) -> Response {
    no_store(json_reply(status, body))
}

fn asset(body: &'static str, content_type: &'static str) -> Response {
    let mut response = Response::new(body.into());
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

/// Checks `Host` alone (the page and its files hold no data) or `Host` and
/// the token (the API).
fn admitted(guard: &Guard, headers: &HeaderMap, with_token: bool) -> Result<(), AppError> {
    let host_only;
    let guard = if with_token {
        guard
    } else {
        host_only = Guard {
            addr: guard.addr,
            token: None,
        };
        &host_only
    };
    guard.check(headers).inspect_err(|error| {
        tracing::warn!(error = %error, "inspector request refused");
    })
}

/// Why the API cannot answer about a request.
enum Refused {
    /// A malformed request.
    Error(AppError),
    /// Nothing to show: the inspector is off, or the request is gone.
    Missing(String),
}

impl Refused {
    fn into_response(self) -> Response {
        match self {
            Refused::Error(error) => api_error(error),
            Refused::Missing(reason) => api(StatusCode::NOT_FOUND, &json!({ "reason": reason })),
        }
    }
}

const OFF: &str = "the request inspector is off (--inspect-capacity 0)";

/// The request `n` of an `api/requests/<n>[/…]` path.
fn record(state: &AppState, seq: &str) -> Result<std::sync::Arc<super::Record>, Refused> {
    let Some(inspector) = state.inspector() else {
        return Err(Refused::Missing(OFF.into()));
    };
    let seq: u64 = seq.parse().map_err(|_| {
        Refused::Error(AppError::BadRequest(format!(
            "`{}` is not a request number",
            super::capture::cut(seq, 40)
        )))
    })?;
    inspector.get(seq).ok_or_else(|| {
        Refused::Missing(format!(
            "request {seq} is not held: the inspector keeps the latest {} requests",
            inspector.capacity()
        ))
    })
}

async fn get(
    tail: &str,
    headers: &HeaderMap,
    query: &str,
    state: &AppState,
    guard: &Guard,
) -> Response {
    let is_api = tail.starts_with("api/") || tail == "api";
    if let Err(refused) = admitted(guard, headers, is_api) {
        return api_error(refused);
    }
    let parts: Vec<&str> = tail.trim_end_matches('/').split('/').collect();
    match parts.as_slice() {
        [""] => asset(PAGE, "text/html; charset=utf-8"),
        ["app.js"] => asset(SCRIPT, "text/javascript; charset=utf-8"),
        ["app.css"] => asset(STYLE, "text/css; charset=utf-8"),
        ["api", "requests"] => list(query, state),
        ["api", "requests", seq] => match record(state, seq) {
            Ok(record) => api(StatusCode::OK, &view::detail(&record, state).await),
            Err(refused) => refused.into_response(),
        },
        ["api", "requests", _, "dry-run" | "evaluate"] => {
            api_error(AppError::MethodNotAllowed(Some("GET".into())))
        }
        _ => api_error(AppError::NoRoute),
    }
}

/// The list, filtered by the query parameters.
fn list(query: &str, state: &AppState) -> Response {
    let Some(inspector) = state.inspector() else {
        return Refused::Missing(OFF.into()).into_response();
    };
    let pairs = match crate::form::parse(query.as_bytes()) {
        Ok(pairs) => pairs,
        Err(e) => return api_error(AppError::BadRequest(format!("malformed query string: {e}"))),
    };
    let mut filter = ListFilter::default();
    let mut after = 0;
    let mut limit = DEFAULT_LIST;
    for (name, value) in &pairs {
        let value = value.as_ref();
        let nonempty = || (!value.is_empty()).then(|| value.to_owned());
        match name.as_ref() {
            "webhook" => filter.webhook = nonempty(),
            "outcome" => filter.outcome = nonempty(),
            "q" if value.len() > MAX_FILTER_TEXT => {
                return api_error(AppError::BadRequest(format!(
                    "the text filter is {} bytes; the limit is {MAX_FILTER_TEXT}",
                    value.len()
                )))
            }
            "q" => filter.text = nonempty(),
            "after" | "limit" => {
                let Ok(n) = value.parse::<u64>() else {
                    return api_error(AppError::BadRequest(format!(
                        "`{name}` must be a whole number, not `{}`",
                        super::capture::cut(value, 40)
                    )));
                };
                if name.as_ref() == "after" {
                    after = n;
                } else {
                    limit = usize::try_from(n).unwrap_or(MAX_LIST).min(MAX_LIST);
                }
            }
            _ => {}
        }
    }
    // Up to the last request surely stored, so a page polling with
    // `after` = this `latest` misses none; the webhooks and outcomes of
    // every kept request, for the page's menus.
    let latest = inspector.settled(after);
    let mut webhooks: Vec<String> = state.registry().ids().map(str::to_owned).collect();
    let mut outcomes: Vec<&'static str> = Vec::new();
    let mut requests: Vec<Json> = Vec::new();
    inspector.visit_newest_first(latest, |record| {
        if !webhooks.iter().any(|w| w == record.id()) {
            webhooks.push(record.id().to_owned());
        }
        if !outcomes.contains(&record.outcome()) {
            outcomes.push(record.outcome());
        }
        if record.seq() > after && requests.len() < limit && filter.matches(record) {
            requests.push(view::summary(record));
        }
    });
    webhooks.sort();
    outcomes.sort_unstable();
    api(
        StatusCode::OK,
        &json!({
            "capacity": inspector.capacity(),
            "latest": latest,
            "webhooks": webhooks,
            "outcomes": outcomes,
            "requests": requests,
        }),
    )
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct TryBody {
    expression: String,
}

async fn post(
    tail: &str,
    headers: &HeaderMap,
    body: &[u8],
    state: &AppState,
    guard: &Guard,
) -> Response {
    if let Err(refused) = admitted(guard, headers, true) {
        return api_error(refused);
    }
    let media = crate::form::media_type(headers);
    if media.as_deref() != Some("application/json") {
        return api_error(AppError::UnsupportedMediaType(format!(
            "send Content-Type: application/json, not {}",
            media.as_deref().unwrap_or("no content type")
        )));
    }
    let parts: Vec<&str> = tail.trim_end_matches('/').split('/').collect();
    match parts.as_slice() {
        ["api", "requests", seq, "dry-run"] => match record(state, seq) {
            Ok(record) => api(StatusCode::OK, &view::dry_run(&record, state).await),
            Err(refused) => refused.into_response(),
        },
        ["api", "requests", seq, "evaluate"] => {
            let record = match record(state, seq) {
                Ok(record) => record,
                Err(refused) => return refused.into_response(),
            };
            let asked: TryBody = match serde_json::from_slice(body) {
                Ok(asked) => asked,
                Err(e) => {
                    return api_error(AppError::BadRequest(format!(
                        "expected {{\"expression\": \"…\"}}: {e}"
                    )))
                }
            };
            match expressions::try_expression(&record, state, &asked.expression) {
                Ok(answer) => api(StatusCode::OK, &answer),
                Err(expressions::TryError(reason)) => {
                    api(StatusCode::UNPROCESSABLE_ENTITY, &json!({"reason": reason}))
                }
            }
        }
        _ => api_error(AppError::NoRoute),
    }
}
