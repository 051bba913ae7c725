//! Reading what is deployed to the cluster: the Camunda 8 REST API v2 calls
//! cluster discovery makes (`crate::webhooks::discovery` decides what to do
//! with the answers).
//!
//! - `POST /v2/process-definitions/search` with `isLatestVersion` and
//!   `state: ACTIVE` (the latest versions), or with a `processDefinitionKey`
//!   `$in` filter (older versions that still have waiting instances);
//! - `POST /v2/process-definitions/statistics/message-subscriptions` (which
//!   definitions have active message subscriptions; 8.9+), falling back to
//!   `POST /v2/message-subscriptions/search` on clusters without it;
//! - `GET /v2/process-definitions/{key}/xml` (the deployed BPMN).
//!
//! Every search is walked page by page with cursors (`page.after` = the
//! previous page's `endCursor`) until a page is empty or has no cursor.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use serde::Deserialize;
use serde_json::{json, Value};

use super::auth::Authorizer;
use crate::http_client::{excerpt, HttpClient, HttpResponse};

/// Items asked for per page.
pub const PAGE_SIZE: usize = 200;
/// A search that pages on beyond this is refused (a cluster handing out the
/// same cursor forever must not keep a poll running).
const MAX_PAGES: usize = 10_000;
/// Keys per `$in` filter.
const KEYS_PER_QUERY: usize = 100;

/// Why a call to the REST API failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClusterError {
    /// No answer (connection refused, timeout, TLS, token endpoint down).
    #[error("{0}")]
    Unreachable(String),
    /// The cluster refused the credentials (401 or 403).
    #[error("{0}")]
    Unauthorized(String),
    /// Any other status the call cannot go on with.
    #[error("{0}")]
    Failed(String),
    /// An answer that does not follow the API.
    #[error("{0}")]
    Invalid(String),
}

/// One process definition as the search returns it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProcessDefinition {
    /// Its key (unique in the cluster).
    #[serde(deserialize_with = "key")]
    pub process_definition_key: i64,
    /// The BPMN process id.
    pub process_definition_id: String,
    /// Its version (per process id and tenant).
    pub version: i32,
    /// Its tenant (`<default>` without multi-tenancy).
    #[serde(default)]
    pub tenant_id: Option<String>,
    /// `ACTIVE`, `DRAINING` or `DELETED` (clusters before the field: absent).
    #[serde(default)]
    pub state: Option<String>,
}

impl ProcessDefinition {
    /// Whether it may serve webhooks: `state` is `ACTIVE` (or not reported,
    /// on clusters that predate the field).
    pub fn is_active(&self) -> bool {
        self.state.as_deref().is_none_or(|s| s == "ACTIVE")
    }
}

/// A definition with active message subscriptions.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Subscribed {
    /// Its key.
    #[serde(deserialize_with = "key")]
    pub process_definition_key: i64,
    /// The BPMN process id.
    pub process_definition_id: String,
    /// Its tenant.
    #[serde(default)]
    pub tenant_id: Option<String>,
}

/// Keys are strings (`"2251799813686749"`) in the API; numbers are taken too.
fn key<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<i64, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Key {
        Text(String),
        Number(i64),
    }
    match Key::deserialize(deserializer)? {
        Key::Number(n) => Ok(n),
        Key::Text(text) => text
            .parse()
            .map_err(|_| serde::de::Error::custom(format!("`{text}` is not a key"))),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Page<T> {
    #[serde(default = "Vec::new")]
    items: Vec<T>,
    #[serde(default)]
    page: Option<PageInfo>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PageInfo {
    #[serde(default)]
    end_cursor: Option<String>,
}

/// The REST API of one cluster, for discovery.
#[derive(Debug, Clone)]
pub struct ClusterClient {
    http: HttpClient,
    auth: Option<Arc<Authorizer>>,
    /// Without a trailing `/` and without `/v2`.
    base_url: String,
    timeout: Duration,
    /// The cluster refused the `state` filter (it predates the field): ask
    /// without it and filter here.
    no_state_filter: Arc<AtomicBool>,
    /// The cluster has no statistics endpoint: use the subscription search.
    no_statistics: Arc<AtomicBool>,
}

impl ClusterClient {
    pub(crate) fn new(
        http: HttpClient,
        auth: Option<Arc<Authorizer>>,
        base_url: &str,
        timeout: Duration,
    ) -> ClusterClient {
        ClusterClient {
            http,
            auth,
            base_url: base_url.to_owned(),
            timeout,
            no_state_filter: Arc::new(AtomicBool::new(false)),
            no_statistics: Arc::new(AtomicBool::new(false)),
        }
    }

    /// The REST API's base URL.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The latest version of every process (of every tenant the client may
    /// read) whose state is `ACTIVE`.
    pub async fn latest_definitions(&self) -> Result<Vec<ProcessDefinition>, ClusterError> {
        let path = "/v2/process-definitions/search";
        let found: Vec<ProcessDefinition> = if self.no_state_filter.load(Ordering::Relaxed) {
            self.search(path, json!({"isLatestVersion": true})).await?
        } else {
            match self
                .search(path, json!({"isLatestVersion": true, "state": "ACTIVE"}))
                .await
            {
                Err(ClusterError::Failed(why)) if why.contains("HTTP 400") => {
                    tracing::warn!(reason = %why, "the cluster refused the state filter (it predates it); filtering deleted definitions here");
                    self.no_state_filter.store(true, Ordering::Relaxed);
                    self.search(path, json!({"isLatestVersion": true})).await?
                }
                other => other?,
            }
        };
        Ok(found
            .into_iter()
            .filter(ProcessDefinition::is_active)
            .collect())
    }

    /// The definitions with these keys (any state; the caller decides).
    pub async fn definitions(&self, keys: &[i64]) -> Result<Vec<ProcessDefinition>, ClusterError> {
        let mut out = Vec::new();
        for chunk in keys.chunks(KEYS_PER_QUERY) {
            let keys: Vec<String> = chunk.iter().map(i64::to_string).collect();
            let filter = json!({"processDefinitionKey": {"$in": keys}});
            out.extend(
                self.search::<ProcessDefinition>("/v2/process-definitions/search", filter)
                    .await?,
            );
        }
        Ok(out)
    }

    /// The definitions with at least one active (`CREATED`) message
    /// subscription: from the statistics endpoint, or, on clusters without
    /// it, from the subscription search.
    pub async fn subscribed_definitions(&self) -> Result<Vec<Subscribed>, ClusterError> {
        if !self.no_statistics.load(Ordering::Relaxed) {
            let filter = json!({"messageSubscriptionState": {"$eq": "CREATED"}});
            match self
                .search(
                    "/v2/process-definitions/statistics/message-subscriptions",
                    filter,
                )
                .await
            {
                Err(ClusterError::Failed(why)) if is_missing_endpoint(&why) => {
                    tracing::info!(reason = %why, "no message subscription statistics on this cluster; searching the subscriptions instead");
                    self.no_statistics.store(true, Ordering::Relaxed);
                }
                other => return other,
            }
        }
        let filter = json!({"messageSubscriptionState": "CREATED"});
        let subscriptions: Vec<Subscribed> = self
            .search("/v2/message-subscriptions/search", filter)
            .await?;
        let mut out: Vec<Subscribed> = Vec::new();
        for subscription in subscriptions {
            if !out
                .iter()
                .any(|s| s.process_definition_key == subscription.process_definition_key)
            {
                out.push(subscription);
            }
        }
        Ok(out)
    }

    /// The deployed BPMN of a definition; `None` when the cluster has none
    /// for it (204) or does not know the key (404).
    pub async fn definition_xml(&self, key: i64) -> Result<Option<String>, ClusterError> {
        let path = format!("/v2/process-definitions/{key}/xml");
        let response = self.call("GET", &path, None).await?;
        match response.status {
            200 => String::from_utf8(response.body.to_vec())
                .map(Some)
                .map_err(|_| {
                    ClusterError::Invalid(format!("the XML of definition {key} is not UTF-8"))
                }),
            204 | 404 => Ok(None),
            _ => Err(self.refused(&path, &response)),
        }
    }

    /// Every item of a search, page after page.
    async fn search<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        filter: Value,
    ) -> Result<Vec<T>, ClusterError> {
        let mut items = Vec::new();
        let mut after: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let mut page = json!({"limit": PAGE_SIZE});
            if let Some(cursor) = &after {
                page["after"] = Value::String(cursor.clone());
            }
            let body = json!({"filter": filter, "page": page});
            let response = self.call("POST", path, Some(&body)).await?;
            if !(200..300).contains(&response.status) {
                return Err(self.refused(path, &response));
            }
            let parsed: Page<T> = serde_json::from_slice(&response.body).map_err(|e| {
                ClusterError::Invalid(format!(
                    "{}{path} answered something other than a search result ({e}): {}",
                    self.base_url,
                    excerpt(&response.body, 200)
                ))
            })?;
            let empty = parsed.items.is_empty();
            items.extend(parsed.items);
            let cursor = parsed
                .page
                .and_then(|p| p.end_cursor)
                .filter(|c| !c.trim().is_empty());
            match cursor {
                Some(cursor) if !empty => {
                    if after.as_deref() == Some(cursor.as_str()) {
                        return Err(ClusterError::Invalid(format!(
                            "{}{path} answered the same page cursor twice",
                            self.base_url
                        )));
                    }
                    after = Some(cursor);
                }
                _ => return Ok(items),
            }
        }
        Err(ClusterError::Invalid(format!(
            "{}{path} had more than {MAX_PAGES} pages",
            self.base_url
        )))
    }

    /// One call with the deadline and the `authorization` header.
    async fn call(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
    ) -> Result<HttpResponse, ClusterError> {
        let url = format!("{}{path}", self.base_url);
        let attempt = async {
            let mut request = hyper::Request::builder()
                .method(method)
                .uri(&url)
                .header(hyper::header::ACCEPT, "application/json, text/xml");
            if let Some(auth) = &self.auth {
                let header = auth
                    .authorization()
                    .await
                    .map_err(|e| ClusterError::Unauthorized(e.message))?;
                request = request.header(hyper::header::AUTHORIZATION, header);
            }
            let bytes = match body {
                Some(body) => {
                    request = request.header(hyper::header::CONTENT_TYPE, "application/json");
                    Bytes::from(body.to_string())
                }
                None => Bytes::new(),
            };
            let request = request.body(Full::new(bytes)).map_err(|e| {
                ClusterError::Invalid(format!("cannot build a request to {url}: {e}"))
            })?;
            self.http
                .send(request, "the Camunda REST API")
                .await
                .map_err(|e| ClusterError::Unreachable(e.0))
        };
        let response = match tokio::time::timeout(self.timeout, attempt).await {
            Ok(result) => result?,
            Err(_) => {
                return Err(ClusterError::Unreachable(format!(
                    "the Camunda REST API at {url} did not answer within {} ms",
                    self.timeout.as_millis()
                )))
            }
        };
        if matches!(response.status, 401 | 403) {
            if let Some(auth) = &self.auth {
                // A rejected token is fetched again on the next call.
                auth.invalidate().await;
            }
            return Err(ClusterError::Unauthorized(format!(
                "{url} answered HTTP {}: {}",
                response.status,
                excerpt(&response.body, 200)
            )));
        }
        Ok(response)
    }

    fn refused(&self, path: &str, response: &HttpResponse) -> ClusterError {
        let message = format!(
            "{}{path} answered HTTP {}: {}",
            self.base_url,
            response.status,
            excerpt(&response.body, 300)
        );
        if response.status >= 500 {
            ClusterError::Unreachable(message)
        } else {
            ClusterError::Failed(message)
        }
    }
}

/// Whether a refusal says the endpoint does not exist on this cluster.
fn is_missing_endpoint(why: &str) -> bool {
    ["HTTP 404", "HTTP 405", "HTTP 501"]
        .iter()
        .any(|status| why.contains(status))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_strings_or_numbers_and_state_defaults_to_active() {
        let text = r#"{"processDefinitionKey": "2251799813686749", "processDefinitionId": "p", "version": 3}"#;
        let definition: ProcessDefinition = serde_json::from_str(text).unwrap();
        assert_eq!(definition.process_definition_key, 2251799813686749);
        assert!(definition.is_active());
        let text = r#"{"processDefinitionKey": 7, "processDefinitionId": "p", "version": 1, "tenantId": "t", "state": "DELETED"}"#;
        let definition: ProcessDefinition = serde_json::from_str(text).unwrap();
        assert_eq!(definition.process_definition_key, 7);
        assert!(!definition.is_active());
        let bad = r#"{"processDefinitionKey": "x7", "processDefinitionId": "p", "version": 1}"#;
        assert!(serde_json::from_str::<ProcessDefinition>(bad).is_err());
    }

    #[test]
    fn missing_endpoints_are_told_from_other_refusals() {
        assert!(is_missing_endpoint(
            "http://c/v2/x answered HTTP 404: not found"
        ));
        assert!(!is_missing_endpoint(
            "http://c/v2/x answered HTTP 400: bad filter"
        ));
    }
}
