//! A fake Camunda 8 cluster REST API (v2), the parts discovery and REST
//! dispatch use, with state tests change at run time:
//!
//! - deploy BPMN (a new key and the next version per process id and tenant)
//!   and delete definitions (gone, or kept with `state: DELETED`, as a
//!   deletion that keeps the history is);
//! - message subscriptions per definition;
//! - `POST /v2/process-definitions/search` (`isLatestVersion`, `state`,
//!   `processDefinitionKey` with `$in`), cursor paging with a page size the
//!   test sets (small pages exercise the cursor);
//! - `POST /v2/process-definitions/statistics/message-subscriptions` and
//!   `POST /v2/message-subscriptions/search` (either can be switched off, as
//!   on clusters without them), `GET /v2/process-definitions/{key}` and
//!   `.../{key}/xml`;
//! - `POST /v2/process-instances` (refused with 404 unless the process id,
//!   version and tenant are deployed and active) and
//!   `POST /v2/messages/publication`, both recorded;
//! - auth: none, Basic, or a bearer token; 401 problem JSON otherwise.
//!
//! Where the real API leaves a detail open (whether `state` filters before or
//! after the latest-version aggregation), the fake aggregates first: a
//! deleted latest version hides the process from the latest search.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use serde_json::{json, Value};
use tokio::sync::Notify;

use super::http::{respond, Answer, Handler, HttpServer};
use super::RecordedHttp;
use crate::sync::lock;

/// One deployed definition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FakeDefinition {
    /// Its key.
    pub key: i64,
    /// The BPMN process id.
    pub process_id: String,
    /// Its version.
    pub version: i32,
    /// Its tenant.
    pub tenant_id: String,
    /// `ACTIVE` or `DELETED`.
    pub state: String,
    /// The deployed BPMN.
    pub xml: String,
    /// Active message subscriptions.
    pub subscriptions: u32,
}

/// What a request must carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FakeAuth {
    /// Nothing.
    None,
    /// `Basic` with this user and password.
    Basic(String, String),
    /// `Bearer` with a token starting with this prefix (the fake token
    /// endpoint hands out `token-1`, `token-2`, …).
    Bearer(String),
}

#[derive(Debug)]
struct State {
    definitions: BTreeMap<i64, FakeDefinition>,
    page_size: usize,
    auth: FakeAuth,
    statistics: bool,
    subscription_search: bool,
    state_filter: bool,
    down: bool,
    requests: Vec<RecordedHttp>,
}

/// The fake cluster; dropping it stops it.
#[derive(Debug)]
pub struct FakeCamunda {
    state: Arc<Mutex<State>>,
    next_key: Arc<AtomicI64>,
    server: HttpServer,
}

impl FakeCamunda {
    /// Starts an empty cluster on `127.0.0.1:0` without auth.
    pub async fn start() -> std::io::Result<FakeCamunda> {
        let state = Arc::new(Mutex::new(State {
            definitions: BTreeMap::new(),
            page_size: 100,
            auth: FakeAuth::None,
            statistics: true,
            subscription_search: true,
            state_filter: true,
            down: false,
            requests: Vec::new(),
        }));
        let next_key = Arc::new(AtomicI64::new(2_251_799_813_685_000));
        let handler: Handler = {
            let state = Arc::clone(&state);
            let next_key = Arc::clone(&next_key);
            Arc::new(move |request: RecordedHttp| {
                let answer = handle(&state, &next_key, request);
                Box::pin(async move { answer })
            })
        };
        let server = HttpServer::start(Arc::new(Notify::new()), handler, None).await?;
        Ok(FakeCamunda {
            state,
            next_key,
            server,
        })
    }

    /// The REST address (`http://127.0.0.1:<port>`).
    pub fn address(&self) -> String {
        self.server.base_url()
    }

    /// Deploys `xml` for process `process_id` in `tenant`: a new key and
    /// the next version; returns the definition.
    pub fn deploy(&self, process_id: &str, tenant: &str, xml: &str) -> FakeDefinition {
        let mut state = lock(&self.state);
        let version = state
            .definitions
            .values()
            .filter(|d| d.process_id == process_id && d.tenant_id == tenant)
            .map(|d| d.version)
            .max()
            .unwrap_or(0)
            + 1;
        let definition = FakeDefinition {
            key: self.next_key.fetch_add(1, Ordering::SeqCst),
            process_id: process_id.to_owned(),
            version,
            tenant_id: tenant.to_owned(),
            state: "ACTIVE".to_owned(),
            xml: xml.to_owned(),
            subscriptions: 0,
        };
        state.definitions.insert(definition.key, definition.clone());
        definition
    }

    /// Deletes a definition: kept with `state: DELETED` when `keep_history`,
    /// gone otherwise. Its subscriptions go either way.
    pub fn delete(&self, key: i64, keep_history: bool) {
        let mut state = lock(&self.state);
        if keep_history {
            if let Some(d) = state.definitions.get_mut(&key) {
                d.state = "DELETED".to_owned();
                d.subscriptions = 0;
            }
        } else {
            state.definitions.remove(&key);
        }
    }

    /// Sets the active message subscriptions of a definition.
    pub fn set_subscriptions(&self, key: i64, count: u32) {
        if let Some(d) = lock(&self.state).definitions.get_mut(&key) {
            d.subscriptions = count;
        }
    }

    /// The most items one page holds (the smaller of this and the request's
    /// `limit`).
    pub fn set_page_size(&self, size: usize) {
        lock(&self.state).page_size = size.max(1);
    }

    /// What every request must carry.
    pub fn require(&self, auth: FakeAuth) {
        lock(&self.state).auth = auth;
    }

    /// Answers 404 on the statistics endpoint (a cluster before 8.9).
    pub fn without_statistics(&self) {
        lock(&self.state).statistics = false;
    }

    /// Refuses the `state` filter with 400 (a cluster before the field).
    pub fn without_state_filter(&self) {
        lock(&self.state).state_filter = false;
    }

    /// While `down`, every request gets 503.
    pub fn set_down(&self, down: bool) {
        lock(&self.state).down = down;
    }

    /// Every request received, in order.
    pub fn requests(&self) -> Vec<RecordedHttp> {
        lock(&self.state).requests.clone()
    }

    /// The bodies of the accepted `POST /v2/process-instances`.
    pub fn created(&self) -> Vec<Value> {
        self.accepted_bodies("/v2/process-instances")
    }

    /// The bodies of the accepted `POST /v2/messages/publication`.
    pub fn published(&self) -> Vec<Value> {
        self.accepted_bodies("/v2/messages/publication")
    }

    fn accepted_bodies(&self, path: &str) -> Vec<Value> {
        lock(&self.state)
            .requests
            .iter()
            .filter(|r| r.path == path && r.header("x-fake-accepted").is_some())
            .map(RecordedHttp::json)
            .collect()
    }
}

fn problem(status: u16, title: &str, detail: &str) -> Answer {
    let body = json!({"type": "about:blank", "status": status, "title": title, "detail": detail});
    respond(status, "application/problem+json", body.to_string())
}

fn authorized(auth: &FakeAuth, request: &RecordedHttp) -> bool {
    let header = request.header("authorization");
    match auth {
        FakeAuth::None => true,
        FakeAuth::Basic(user, password) => {
            let expected =
                base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
            header == Some(format!("Basic {expected}").as_str())
        }
        FakeAuth::Bearer(prefix) => header.is_some_and(|h| {
            h.strip_prefix("Bearer ")
                .is_some_and(|t| t.starts_with(prefix.as_str()))
        }),
    }
}

fn handle(state: &Mutex<State>, next_key: &AtomicI64, mut request: RecordedHttp) -> Answer {
    let mut state = lock(state);
    let answer = if state.down {
        problem(503, "UNAVAILABLE", "the fake cluster is down")
    } else if !authorized(&state.auth, &request) {
        problem(401, "UNAUTHORIZED", "missing or wrong credentials")
    } else {
        route(&state, next_key, &request)
    };
    if (200..300).contains(&answer.status().as_u16()) {
        request
            .headers
            .push(("x-fake-accepted".to_owned(), "true".to_owned()));
    }
    state.requests.push(request);
    answer
}

fn route(state: &State, next_key: &AtomicI64, request: &RecordedHttp) -> Answer {
    let path = request.path.split('?').next().unwrap_or_default();
    let body = request.json();
    match (request.method.as_str(), path) {
        ("POST", "/v2/process-definitions/search") => search_definitions(state, &body),
        ("POST", "/v2/process-definitions/statistics/message-subscriptions")
            if state.statistics =>
        {
            let items: Vec<Value> = state
                .definitions
                .values()
                .filter(|d| d.subscriptions > 0)
                .map(|d| {
                    json!({
                        "processDefinitionId": d.process_id,
                        "tenantId": d.tenant_id,
                        "processDefinitionKey": d.key.to_string(),
                        "processInstancesWithActiveSubscriptions": d.subscriptions,
                        "activeSubscriptions": d.subscriptions,
                    })
                })
                .collect();
            page(state, &body, items)
        }
        ("POST", "/v2/message-subscriptions/search") if state.subscription_search => {
            let items: Vec<Value> = state
                .definitions
                .values()
                .flat_map(|d| {
                    (0..d.subscriptions).map(move |n| {
                        json!({
                            "messageSubscriptionKey": format!("{}{n}", d.key),
                            "processDefinitionId": d.process_id,
                            "processDefinitionKey": d.key.to_string(),
                            "tenantId": d.tenant_id,
                            "messageSubscriptionState": "CREATED",
                        })
                    })
                })
                .collect();
            page(state, &body, items)
        }
        ("POST", "/v2/process-instances") => create_instance(state, next_key, &body),
        ("POST", "/v2/messages/publication") => {
            let tenant = body["tenantId"].as_str().unwrap_or("<default>");
            let key = next_key.fetch_add(1, Ordering::SeqCst);
            let answer = json!({"messageKey": key.to_string(), "tenantId": tenant});
            respond(200, "application/json", answer.to_string())
        }
        ("GET", _) => match path
            .strip_prefix("/v2/process-definitions/")
            .map(|rest| rest.split_once('/').unwrap_or((rest, "")))
        {
            Some((key, tail)) => {
                let definition = key
                    .parse::<i64>()
                    .ok()
                    .and_then(|k| state.definitions.get(&k));
                match (definition, tail) {
                    (Some(d), "xml") => respond(200, "text/xml", d.xml.clone()),
                    (Some(d), "") => respond(200, "application/json", item(d).to_string()),
                    _ => problem(
                        404,
                        "NOT_FOUND",
                        &format!("no process definition with key {key}"),
                    ),
                }
            }
            None => problem(404, "NOT_FOUND", "no such resource"),
        },
        _ => problem(404, "NOT_FOUND", "no such endpoint"),
    }
}

fn item(d: &FakeDefinition) -> Value {
    json!({
        "processDefinitionKey": d.key.to_string(),
        "processDefinitionId": d.process_id,
        "name": d.process_id,
        "version": d.version,
        "versionTag": null,
        "tenantId": d.tenant_id,
        "resourceName": format!("{}.bpmn", d.process_id),
        "hasStartForm": false,
        "state": d.state,
    })
}

fn search_definitions(state: &State, body: &Value) -> Answer {
    let filter = &body["filter"];
    if !state.state_filter && filter.get("state").is_some() {
        return problem(400, "INVALID_ARGUMENT", "unknown filter property `state`");
    }
    let mut found: Vec<&FakeDefinition> = state.definitions.values().collect();
    if filter["isLatestVersion"] == json!(true) {
        let mut latest: BTreeMap<(&str, &str), &FakeDefinition> = BTreeMap::new();
        for d in found {
            let slot = latest
                .entry((d.process_id.as_str(), d.tenant_id.as_str()))
                .or_insert(d);
            if d.version > slot.version {
                *slot = d;
            }
        }
        found = latest.into_values().collect();
    }
    if let Some(wanted) = filter["state"].as_str() {
        found.retain(|d| d.state == wanted);
    }
    if let Some(keys) = filter["processDefinitionKey"]["$in"].as_array() {
        let keys: Vec<String> = keys
            .iter()
            .filter_map(|k| k.as_str().map(str::to_owned))
            .collect();
        found.retain(|d| keys.contains(&d.key.to_string()));
    }
    page(state, body, found.into_iter().map(item).collect())
}

fn create_instance(state: &State, next_key: &AtomicI64, body: &Value) -> Answer {
    let tenant = body["tenantId"].as_str().unwrap_or("<default>");
    let by_key = body["processDefinitionKey"]
        .as_str()
        .and_then(|k| k.parse::<i64>().ok());
    let id = body["processDefinitionId"].as_str();
    let definition = match (by_key, id) {
        (Some(key), None) => state.definitions.get(&key),
        (None, Some(id)) => {
            let version = body["processDefinitionVersion"].as_i64().unwrap_or(-1);
            let mut candidates = state
                .definitions
                .values()
                .filter(|d| d.process_id == id && d.tenant_id == tenant && d.state == "ACTIVE");
            if version == -1 {
                candidates.max_by_key(|d| d.version)
            } else {
                candidates.find(|d| i64::from(d.version) == version)
            }
        }
        _ => {
            return problem(
                400,
                "INVALID_ARGUMENT",
                "exactly one of processDefinitionKey or processDefinitionId is required",
            )
        }
    };
    match definition {
        Some(d) if d.state == "ACTIVE" && d.tenant_id == tenant => {
            let answer = json!({
                "processDefinitionKey": d.key.to_string(),
                "processDefinitionId": d.process_id,
                "processDefinitionVersion": d.version,
                "processInstanceKey": next_key.fetch_add(1, Ordering::SeqCst).to_string(),
                "tenantId": d.tenant_id,
            });
            respond(200, "application/json", answer.to_string())
        }
        _ => problem(404, "NOT_FOUND", "no such process definition is deployed"),
    }
}

/// One page of `items` after `page.after`, with the next cursor.
fn page(state: &State, body: &Value, items: Vec<Value>) -> Answer {
    let limit = body["page"]["limit"]
        .as_u64()
        .map_or(100, |l| usize::try_from(l).unwrap_or(100))
        .min(state.page_size);
    let start = match body["page"]["after"].as_str() {
        None => 0,
        Some(cursor) => match base64::engine::general_purpose::STANDARD
            .decode(cursor)
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .and_then(|t| {
                t.strip_prefix("after:")
                    .and_then(|n| n.parse::<usize>().ok())
            }) {
            Some(n) => n,
            None => {
                return problem(
                    400,
                    "INVALID_ARGUMENT",
                    "not a cursor this cluster gave out",
                )
            }
        },
    };
    let total = items.len();
    let page: Vec<Value> = items.into_iter().skip(start).take(limit).collect();
    let end = start + page.len();
    let end_cursor = (!page.is_empty())
        .then(|| base64::engine::general_purpose::STANDARD.encode(format!("after:{end}")));
    let answer = json!({
        "items": page,
        "page": {"totalItems": total, "hasMoreTotalItems": false, "startCursor": null, "endCursor": end_cursor},
    });
    respond(200, "application/json", answer.to_string())
}
