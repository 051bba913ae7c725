//! What the page and the API show, worked out from a captured request when
//! they ask (never on the request path): the summary of the list, the whole
//! story of one request, a dry run against the definition served now, and
//! an expression tried against a request's context.
//!
//! Every step is recomputed with the functions the pipeline itself runs
//! (the context builders, [`twilio::explain`], [`pipeline::decide`],
//! [`pipeline::dedup_keys`], [`delivery::correlation`],
//! [`reply::from_expression`]) over the bytes the capture kept and the
//! definition the request ran with, so it shows what happened; `now()` and
//! `today()` read the request's arrival time. Only Zeebe's answer and the
//! outbox entry are facts kept (or looked up), not recomputed.

use std::time::SystemTime;

use feel::{Context, Value};
use serde_json::{json, Map, Value as Json};
use warp::http::Method;

use super::capture::{shorten, HeaderValue, Record};
use super::expressions::{decision_json, engine_at, run, value_json, with_engine, MAX_VALUE_TEXT};
use super::rebuild::{context, header_map};
use super::Stage;
use crate::form;
use crate::http::reply;
use crate::inbound::delivery::{self, Delivered};
use crate::inbound::pipeline::{self, Decision};
use crate::inbound::public_url::public_url;
use crate::state::AppState;
use crate::twilio::{self, Algorithm, SignatureError};
use crate::webhooks::{Verification, WebhookDefinition};

fn time_text(time: SystemTime) -> String {
    chrono::DateTime::<chrono::Utc>::from(time).to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

fn lossy(bytes: &[u8]) -> std::borrow::Cow<'_, str> {
    String::from_utf8_lossy(bytes)
}

/// A filter of the list.
#[derive(Debug, Default, Clone)]
pub struct Filter {
    /// Only this webhook id.
    pub webhook: Option<String>,
    /// Only this outcome label, or `failed` for every non-2xx answer.
    pub outcome: Option<String>,
    /// Only requests whose id, path, query, client, outcome, reason or body
    /// contain this text (case-insensitive).
    pub text: Option<String>,
}

impl Filter {
    /// Whether `record` passes.
    pub fn matches(&self, record: &Record) -> bool {
        if self.webhook.as_deref().is_some_and(|w| w != record.id()) {
            return false;
        }
        match self.outcome.as_deref() {
            None => {}
            Some("failed") if !(200..300).contains(&record.status()) => {}
            Some(outcome) if outcome == record.outcome() => {}
            Some(_) => return false,
        }
        let Some(text) = self.text.as_deref().filter(|t| !t.is_empty()) else {
            return true;
        };
        let needle = text.to_lowercase();
        let has = |hay: &str| hay.to_lowercase().contains(&needle);
        has(record.id())
            || has(record.path())
            || record.query().is_some_and(has)
            || record.client().is_some_and(|c| has(&c.to_string()))
            || has(record.outcome())
            || record.failure().is_some_and(|f| has(&f.reason))
            || has(&lossy(record.body()))
            || has(&form_decoded(record.body()))
    }
}

/// A form body decoded into `name=value` lines (so a search for `+1555`
/// finds `%2B1555`); empty when it is not a form.
fn form_decoded(body: &[u8]) -> String {
    match form::parse(body) {
        Ok(pairs) => pairs.iter().map(|(n, v)| format!("{n}={v}\n")).collect(),
        Err(_) => String::new(),
    }
}

/// One line of the list: who, what, and where it stopped.
pub fn summary(record: &Record) -> Json {
    let failure = record.failure();
    json!({
        "seq": record.seq(),
        "time": time_text(record.time()),
        "webhook": record.id(),
        "known": record.webhook().is_some(),
        "method": record.method().as_str(),
        "path": record.path(),
        "query": record.query(),
        "client": record.client().map(|c| c.to_string()),
        "status": record.status(),
        "outcome": record.outcome(),
        "stage": record.stage(),
        "reason": failure.map(|f| f.reason.as_str()),
        "elapsedMs": (record.elapsed().as_secs_f64() * 1e6).round() / 1e3,
        "preview": preview(record),
    })
}

/// A short line from the body: `From: Body` for an SMS, else its start.
fn preview(record: &Record) -> String {
    let body = record.body();
    if let Some(media) = record.header("content-type") {
        if form::is_form(Some(&lossy(media).to_ascii_lowercase())) {
            if let Ok(pairs) = form::parse(body) {
                let get = |name: &str| {
                    pairs
                        .iter()
                        .find(|(n, _)| n.as_ref() == name)
                        .map(|(_, v)| v.to_string())
                };
                return match (get("From"), get("Body"), get("MessageStatus")) {
                    (Some(from), Some(text), _) => shorten(&format!("{from}: {text}"), 120),
                    (_, _, Some(status)) => shorten(&format!("status {status}"), 120),
                    _ => shorten(&form_decoded(body).replace('\n', " "), 120),
                };
            }
        }
    }
    shorten(lossy(body).trim(), 120)
}

fn algorithm_name(algorithm: Algorithm) -> &'static str {
    match algorithm {
        Algorithm::Sha1 => "HMAC-SHA1",
        Algorithm::Sha256 => "HMAC-SHA256",
        Algorithm::Sha512 => "HMAC-SHA512",
    }
}

/// The signature check of `record` by `webhook`'s rules: the URL and
/// parameter string signed on our side, the URL variants tried and which
/// one the request's signature matched, and the verdict. The MAC the
/// request should have carried is never computed for display.
pub fn signature(record: &Record, webhook: &WebhookDefinition, state: &AppState) -> Json {
    let Some(verification) = &webhook.verification else {
        return json!({"checked": false, "verdict": "not checked: the webhook asks for no signature"});
    };
    let header = verification.header();
    if !record.complete() {
        return json!({"checked": true, "header": header, "verdict": null,
            "note": "not shown: the request was too large to keep whole"});
    }
    let given = record
        .signature()
        .filter(|(name, _)| *name == header)
        .map(|(_, value)| value);
    let present = record.headers().any(|(name, _)| name == header);
    let headers = header_map(record);
    match verification {
        Verification::Twilio { .. } => {
            let settings = &state.settings().requests;
            let url = public_url(
                settings.public_url.as_deref(),
                settings.trust_forwarded_headers,
                &headers,
                record.path(),
                record.query(),
            );
            let url_from = if settings.public_url.is_some() {
                "--public-url"
            } else if settings.trust_forwarded_headers {
                "the Forwarded / X-Forwarded-* headers (trusted), else Host"
            } else {
                "the Host header (no --public-url)"
            };
            let media = form::media_type(&headers);
            let pairs = if form::is_form(media.as_deref()) && !record.body().is_empty() {
                form::parse(record.body()).ok()
            } else {
                None
            };
            let method = record.method();
            let payload = match &pairs {
                _ if method == Method::GET || method == Method::HEAD => twilio::Payload::None,
                Some(pairs) => twilio::Payload::Form(pairs),
                None if record.body().is_empty() => twilio::Payload::None,
                None => twilio::Payload::Raw(record.body()),
            };
            let signed_body = match payload {
                twilio::Payload::None => "nothing (GET, HEAD or an empty body)",
                twilio::Payload::Form(_) => "the form parameters, sorted by name then value",
                twilio::Payload::Raw(_) => {
                    "the body through bodySHA256 in the URL (or, without it, the body itself as Camunda signs JSON)"
                }
            };
            let settings_header = record
                .header("x-twilio-webhooks-signature-settings")
                .map(|v| lossy(v).into_owned());
            let key = verification.key();
            let explained = twilio::explain(
                key,
                &twilio::Request {
                    url: &url,
                    payload,
                    signature: given.unwrap_or(""),
                    settings: settings_header.as_deref(),
                },
            );
            let (passed, verdict) = match (&explained.verdict, present) {
                (_, false) => (false, format!("failed: no `{header}` header")),
                (Ok(matched), true) if matched == &url => (true, "passed: the URL as rebuilt".to_owned()),
                (Ok(matched), true) => (true, format!("passed: it matched the variant {matched}")),
                (Err(SignatureError::Mismatch), true) => (
                    false,
                    "failed: the signature matches none of the URLs tried; compare them with the URL configured in Twilio (is --public-url right?)".to_owned(),
                ),
                (Err(e), true) => (false, format!("failed: {e}")),
            };
            let parameters = explained
                .suffixes
                .as_ref()
                .ok()
                .and_then(|s| s.first())
                .cloned();
            let body_hash = matches!(payload, twilio::Payload::Raw(_))
                .then(|| twilio::body_sha256_hex(record.body()));
            json!({
                "checked": true,
                "scheme": "twilio",
                "header": header,
                "algorithm": algorithm_name(explained.algorithm),
                "url": url,
                "urlFrom": url_from,
                "signedBody": signed_body,
                "parameters": parameters,
                "bodySha256": body_hash,
                "candidates": explained.candidates.iter().map(|(url, matched)| json!({"url": url, "matched": matched})).collect::<Vec<_>>(),
                "tried": present,
                "passed": passed,
                "verdict": verdict,
            })
        }
        Verification::Body { .. } => {
            let key = verification.key();
            let passed = present
                && given.is_some_and(|sig| twilio::verify_body(key, record.body(), sig).is_ok());
            let verdict = match (present, passed) {
                (false, _) => format!("failed: no `{header}` header"),
                (true, true) => "passed".to_owned(),
                (true, false) => "failed: the HMAC of the body does not match".to_owned(),
            };
            json!({
                "checked": true,
                "scheme": "body",
                "header": header,
                "algorithm": algorithm_name(key.algorithm),
                "signedBody": format!("the raw body ({} bytes)", record.body().len()),
                "passed": passed,
                "verdict": verdict,
            })
        }
    }
}

/// The deduplication keys the request has (the separators shown as ` · `);
/// `None` without an outbox, which is the only place they are kept.
fn dedup_json(
    record: &Record,
    webhook: &WebhookDefinition,
    vars: &Context,
    state: &AppState,
) -> Json {
    if state.outbox().is_none() {
        return json!({"enabled": false, "note": "no deduplication without the outbox (--no-outbox)"});
    }
    let keys = pipeline::dedup_keys(&webhook.id, &header_map(record), vars, state.dedup_key());
    match keys {
        Ok(keys) => json!({
            "enabled": true,
            "keys": keys.iter().map(|k| k.replace('\u{0}', " · ")).collect::<Vec<_>>(),
        }),
        Err(e) => json!({"enabled": true, "error": e.to_string()}),
    }
}

/// The body of a reply, as text, with its content type.
async fn reply_json(status: u16, response: warp::reply::Response) -> Json {
    use http_body_util::BodyExt as _;
    let content_type = response
        .headers()
        .get(warp::http::header::CONTENT_TYPE)
        .map(|v| lossy(v.as_bytes()).into_owned());
    let body = match response.into_body().collect().await {
        Ok(collected) => shorten(&lossy(&collected.to_bytes()), MAX_VALUE_TEXT),
        Err(_) => String::new(),
    };
    json!({"status": status, "contentType": content_type, "body": body})
}

/// `text` in single quotes, for a POSIX shell.
fn quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

/// Headers a copied request leaves out: the connection's own, and the
/// masked ones.
const NOT_COPIED: [&str; 6] = [
    "host",
    "content-length",
    "connection",
    "transfer-encoding",
    "expect",
    "keep-alive",
];

/// A `curl` command sending the request again to this service, without its
/// signature.
fn curl(record: &Record, state: &AppState) -> String {
    let host = record
        .header("host")
        .map(|h| lossy(h).into_owned())
        .unwrap_or_else(|| state.settings().listen.to_string());
    let mut url = format!("http://{host}{}", record.path());
    if let Some(q) = record.query() {
        url.push('?');
        url.push_str(q);
    }
    let mut cmd = format!("curl -i -X {} {}", record.method(), quote(&url));
    for (name, value) in record.headers() {
        if let HeaderValue::Shown(bytes) = value {
            if !NOT_COPIED.contains(&name) {
                cmd.push_str(&format!(
                    " -H {}",
                    quote(&format!("{name}: {}", lossy(bytes)))
                ));
            }
        }
    }
    if !record.body().is_empty() {
        cmd.push_str(&format!(" --data-raw {}", quote(&lossy(record.body()))));
    }
    cmd
}

/// The `webhook sign` command that signs the request again, for whoever
/// holds the auth token (Twilio signatures over a form or nothing, or a
/// JSON body).
fn sign_command(record: &Record, signed_url: &str) -> Option<String> {
    let body = record.body();
    let media = record
        .header("content-type")
        .map(|m| lossy(m).to_ascii_lowercase());
    let mut cmd = String::from("webhook sign --token \"$TWILIO_AUTH_TOKEN\"");
    if form::is_form(media.as_deref()) || body.is_empty() {
        cmd.push_str(&format!(" --url {}", quote(signed_url)));
        for (name, value) in form::parse(body).ok()? {
            cmd.push_str(&format!(" --form {}", quote(&format!("{name}={value}"))));
        }
    } else {
        // `webhook sign --json` adds bodySHA256 itself.
        let url = match signed_url.split_once('?') {
            Some((base, query)) => {
                let kept: Vec<&str> = query
                    .split('&')
                    .filter(|p| !p.starts_with("bodySHA256="))
                    .collect();
                if kept.is_empty() {
                    base.to_owned()
                } else {
                    format!("{base}?{}", kept.join("&"))
                }
            }
            None => signed_url.to_owned(),
        };
        let text = std::str::from_utf8(body).ok()?;
        cmd.push_str(&format!(" --url {} --json {}", quote(&url), quote(text)));
    }
    cmd.push_str(" --curl");
    Some(cmd)
}

/// The request as received: method, target, headers (masked ones by their
/// length only), body.
fn request_json(record: &Record) -> Json {
    let headers: Vec<Json> = record
        .headers()
        .map(|(name, value)| match value {
            HeaderValue::Shown(bytes) => json!({"name": name, "value": lossy(bytes)}),
            HeaderValue::Masked(len) => json!({"name": name, "hidden": len}),
        })
        .collect();
    let media = record
        .header("content-type")
        .map(|m| lossy(m).to_ascii_lowercase());
    let form = form::is_form(media.as_deref())
        .then(|| form::parse(record.body()).ok())
        .flatten()
        .map(|pairs| {
            pairs
                .iter()
                .map(|(n, v)| json!([n.as_ref(), v.as_ref()]))
                .collect::<Vec<_>>()
        });
    json!({
        "method": record.method().as_str(),
        "path": record.path(),
        "query": record.query(),
        "client": record.client().map(|c| c.to_string()),
        "headers": headers,
        "body": lossy(record.body()),
        "bodyRead": record.body_read(),
        "bodyBytes": record.body_len(),
        "bodyKept": record.body().len(),
        "complete": record.complete(),
        "form": form,
    })
}

/// The outbox entry a queued request became, as it is now.
async fn outbox_entry(state: &AppState, id: u64) -> Json {
    let Some(outbox) = state.outbox() else {
        return json!({"id": id});
    };
    match outbox.get(id).await {
        Ok(Some((entry_state, entry))) => json!({
            "id": id,
            "state": entry_state,
            "attempts": entry.attempts,
            "lastError": entry.last_error,
            "acceptedMs": entry.accepted_ms,
            "finishedMs": entry.finished_ms,
            "zeebe": outbox.answer(id),
        }),
        Ok(None) => json!({"id": id, "state": "gone", "note": "no longer in the outbox (purged)"}),
        Err(e) => json!({"id": id, "error": e.to_string()}),
    }
}

/// Everything about one request: the summary, the request as received, the
/// signature check, the context, every expression, the deduplication keys,
/// the command and what became of it, the reply, and the commands that send
/// it again.
pub async fn detail(record: &Record, state: &AppState) -> Json {
    let mut out = match summary(record) {
        Json::Object(map) => map,
        _ => Map::new(),
    };
    out.insert("request".into(), request_json(record));
    out.insert("curl".into(), curl(record, state).into());
    if let Some(f) = record.failure() {
        out.insert(
            "failure".into(),
            json!({"stage": f.stage, "reason": f.reason, "body": f.body, "expression": f.expression}),
        );
    }
    let Some(webhook) = record.webhook() else {
        out.insert(
            "reply".into(),
            json!({"status": record.status(), "body": record.failure().map(|f| f.body.as_str())}),
        );
        return Json::Object(out);
    };
    out.insert(
        "definition".into(),
        json!({"origin": webhook.origin.to_string(), "description": webhook.describe()}),
    );
    if !record.body_read() {
        out.insert(
            "expressionsNote".into(),
            "the request stopped before its body was read".into(),
        );
        out.insert("reply".into(), failure_reply(record));
        return Json::Object(out);
    }
    let signature = signature(record, webhook, state);
    if let Some(url) = signature.get("url").and_then(Json::as_str) {
        out.insert("sign".into(), sign_command(record, url).into());
    }
    out.insert("signature".into(), signature);
    let vars = context(record);
    match &vars {
        Ok(vars) => out.insert("context".into(), value_json(&Value::Context(vars.clone()))),
        Err(e) => out.insert("context".into(), json!({"error": e})),
    };
    // The expressions ran only for a verified request that got a slot.
    let ran = record.verified() && record.stage() != Stage::Limit;
    let (Ok(vars), true) = (vars, ran) else {
        let why = if ran {
            "the request context could not be built"
        } else {
            "the request stopped before its expressions"
        };
        out.insert("expressionsNote".into(), why.into());
        out.insert("reply".into(), failure_reply(record));
        return Json::Object(out);
    };
    let webhook = with_engine(webhook, &engine_at(state, record.time()));
    let delivered = record.delivered().cloned();
    let run = run(&webhook, &vars, |command| {
        delivered
            .as_ref()
            .map(|d| delivery::correlation(&command.without_variables(), d))
    });
    out.insert("expressions".into(), run.steps.into());
    out.insert("decision".into(), decision_json(&run.decision));
    if let Ok(Decision::Dispatch(command)) = &run.decision {
        out.insert("dedup".into(), dedup_json(record, &webhook, &vars, state));
        let mut dispatch = Map::new();
        if let Some(d) = &delivered {
            dispatch.insert(
                "correlation".into(),
                delivery::correlation(&command.without_variables(), d),
            );
            dispatch.insert("duplicate".into(), matches!(d, Delivered::Duplicate).into());
            if let Delivered::Queued(id) = d {
                dispatch.insert("outbox".into(), outbox_entry(state, *id).await);
            }
        }
        if let Some(f) = record.failure().filter(|f| f.stage == Stage::Delivery) {
            dispatch.insert("error".into(), f.reason.clone().into());
        }
        out.insert("dispatch".into(), Json::Object(dispatch));
    }
    let reply = match (&run.decision, &delivered, record.failure()) {
        (_, _, Some(_)) => failure_reply(record),
        (Ok(Decision::Dispatch(command)), Some(d), None) => {
            let compat = state.settings().requests.camunda_compatible_responses;
            let response = match &webhook.response_expression {
                Some(expr) => reply::from_expression(
                    expr,
                    &vars,
                    &delivery::correlation(&command.without_variables(), d),
                    compat,
                ),
                None => reply::accepted(compat),
            };
            reply_json(record.status(), response).await
        }
        _ => {
            let compat = state.settings().requests.camunda_compatible_responses;
            reply_json(record.status(), reply::accepted(compat)).await
        }
    };
    out.insert("reply".into(), reply);
    Json::Object(out)
}

fn failure_reply(record: &Record) -> Json {
    json!({
        "status": record.status(),
        "contentType": record.failure().map(|_| "application/json"),
        "body": record.failure().map(|f| f.body.as_str()),
    })
}

/// Runs a captured request against the webhook served under its id now (a
/// reloaded BPMN, a fixed expression): the signature check with the kept
/// signature, every expression, the command it would send and the reply.
/// Nothing is dispatched and no deduplication key is claimed.
pub async fn dry_run(record: &Record, state: &AppState) -> Json {
    let Some(webhook) = state.webhook(record.id()) else {
        return json!({
            "seq": record.seq(),
            "served": false,
            "verdict": format!("no webhook with id `{}` is served now", record.id()),
        });
    };
    let changed = record
        .webhook()
        .is_none_or(|then| !std::sync::Arc::ptr_eq(then, &webhook));
    let mut out = Map::new();
    out.insert("seq".into(), record.seq().into());
    out.insert("served".into(), true.into());
    out.insert(
        "definition".into(),
        json!({"origin": webhook.origin.to_string(), "description": webhook.describe(), "changed": changed}),
    );
    out.insert(
        "methodAllowed".into(),
        webhook.method.allows(record.method().as_str()).into(),
    );
    if !record.body_read() {
        out.insert(
            "context".into(),
            json!({"error": "the request was refused before its body was read: there is nothing to run"}),
        );
        return Json::Object(out);
    }
    out.insert("signature".into(), signature(record, &webhook, state));
    let vars = match context(record) {
        Ok(vars) => vars,
        Err(e) => {
            out.insert("context".into(), json!({"error": e}));
            return Json::Object(out);
        }
    };
    let run = run(&webhook, &vars, |command| {
        let mut correlation =
            delivery::correlation(&command.without_variables(), &Delivered::Duplicate);
        correlation["type"] = "dryRun".into();
        Some(correlation)
    });
    out.insert("expressions".into(), run.steps.into());
    out.insert("decision".into(), decision_json(&run.decision));
    if let Ok(Decision::Dispatch(command)) = &run.decision {
        out.insert("dedup".into(), dedup_json(record, &webhook, &vars, state));
        let compat = state.settings().requests.camunda_compatible_responses;
        let response = match &webhook.response_expression {
            Some(expr) => {
                let mut correlation =
                    delivery::correlation(&command.without_variables(), &Delivered::Duplicate);
                correlation["type"] = "dryRun".into();
                reply::from_expression(expr, &vars, &correlation, compat)
            }
            None => reply::accepted(compat),
        };
        let status = response.status().as_u16();
        out.insert("reply".into(), reply_json(status, response).await);
    }
    Json::Object(out)
}
