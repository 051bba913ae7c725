//! How the service authenticates to the cluster: none, HTTP Basic, or OAuth
//! 2.0 client credentials (RFC 6749, section 4.4) as Camunda's clients use
//! them. One [`Authorizer`] serves every call, discovery and dispatch alike:
//! with OAuth, one cached access token, fetched again shortly before it
//! expires.

use std::fmt;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::Full;
use serde::Deserialize;
use tokio::sync::Mutex;

use super::{DispatchError, StatusCode};
use crate::http_client::{excerpt, HttpClient};
use crate::secret::Secret;

/// How to authenticate to the cluster.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Auth {
    /// No `authorization` header (a self-managed cluster without auth).
    #[default]
    None,
    /// HTTP Basic, as a self-managed cluster with basic authentication takes.
    Basic {
        /// The user.
        username: String,
        /// The password.
        password: Secret,
    },
    /// An OAuth access token (client credentials grant), as SaaS and
    /// self-managed clusters with an identity provider take.
    OAuth(OAuthCredentials),
}

impl Auth {
    /// A short name for logs (`none`, `basic`, `oauth`); never a credential.
    pub fn method(&self) -> &'static str {
        match self {
            Auth::None => "none",
            Auth::Basic { .. } => "basic",
            Auth::OAuth(_) => "oauth",
        }
    }
}

/// Where and how to get an access token (client credentials grant).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthCredentials {
    /// The token endpoint, e.g. `https://login.cloud.camunda.io/oauth/token`.
    pub token_url: String,
    /// The client id.
    pub client_id: String,
    /// The client secret.
    pub client_secret: Secret,
    /// The audience, e.g. `zeebe.camunda.io`; not sent when `None`.
    pub audience: Option<String>,
    /// Space-separated scopes; not sent when `None`.
    pub scope: Option<String>,
}

/// A token is fetched again when less than this part of its lifetime is left
/// (but at most [`MAX_REFRESH_MARGIN`] before it expires).
const REFRESH_MARGIN_DIVISOR: u32 = 10;
const MAX_REFRESH_MARGIN: Duration = Duration::from_secs(60);
/// Lifetime assumed when the token endpoint does not say (`expires_in`).
const DEFAULT_LIFETIME: Duration = Duration::from_secs(60);

struct CachedToken {
    header: String,
    refresh_at: Instant,
}

/// The bearer token stays out of `Debug` (the dispatcher, and with it this
/// cache, is part of the service's `Debug` output).
impl fmt::Debug for CachedToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CachedToken")
            .field("header", &"<redacted>")
            .field("refresh_at", &self.refresh_at)
            .finish()
    }
}

/// The `authorization` header of every call to the cluster.
#[derive(Debug)]
pub(crate) enum Authorizer {
    /// `Basic <base64>`, fixed.
    Basic(BasicHeader),
    /// A bearer token, cached.
    OAuth(Box<TokenCache>),
}

/// A fixed `Basic` header, kept out of `Debug`.
pub(crate) struct BasicHeader(String);

impl fmt::Debug for BasicHeader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("BasicHeader(<redacted>)")
    }
}

impl Authorizer {
    /// The authorizer for `auth`; `None` for [`Auth::None`].
    pub fn new(auth: &Auth, client: &HttpClient) -> Option<Authorizer> {
        match auth {
            Auth::None => None,
            Auth::Basic { username, password } => {
                use base64::Engine as _;
                let pair = format!("{username}:{}", password.expose());
                let encoded = base64::engine::general_purpose::STANDARD.encode(pair);
                Some(Authorizer::Basic(BasicHeader(format!("Basic {encoded}"))))
            }
            Auth::OAuth(credentials) => Some(Authorizer::OAuth(Box::new(TokenCache::new(
                credentials.clone(),
                client.clone(),
            )))),
        }
    }

    /// The `authorization` header value.
    pub async fn authorization(&self) -> Result<String, DispatchError> {
        match self {
            Authorizer::Basic(header) => Ok(header.0.clone()),
            Authorizer::OAuth(cache) => cache.authorization().await,
        }
    }

    /// Forgets a cached token after the cluster rejected it.
    pub async fn invalidate(&self) {
        if let Authorizer::OAuth(cache) = self {
            cache.invalidate().await;
        }
    }
}

/// Fetches and caches the bearer token. Concurrent callers wait for a single
/// fetch (the lock is held across it), so an expiring token causes one token
/// request, not one per webhook call.
#[derive(Debug)]
pub(crate) struct TokenCache {
    config: OAuthCredentials,
    client: HttpClient,
    cached: Mutex<Option<CachedToken>>,
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: Option<String>,
    expires_in: Option<serde_json::Value>,
    token_type: Option<String>,
}

impl TokenCache {
    pub fn new(config: OAuthCredentials, client: HttpClient) -> Self {
        Self {
            config,
            client,
            cached: Mutex::new(None),
        }
    }

    /// The `authorization` header value, from the cache or freshly fetched.
    pub async fn authorization(&self) -> Result<String, DispatchError> {
        let mut cached = self.cached.lock().await;
        if let Some(token) = cached.as_ref() {
            if Instant::now() < token.refresh_at {
                return Ok(token.header.clone());
            }
        }
        let token = self.fetch().await?;
        let header = token.header.clone();
        *cached = Some(token);
        Ok(header)
    }

    /// Forgets the cached token (after the gateway rejected it).
    pub async fn invalidate(&self) {
        *self.cached.lock().await = None;
    }

    /// The token request body (client credentials grant).
    fn form(&self) -> String {
        let mut form = form_urlencoded::Serializer::new(String::new());
        form.append_pair("grant_type", "client_credentials")
            .append_pair("client_id", &self.config.client_id)
            .append_pair("client_secret", self.config.client_secret.expose());
        if let Some(audience) = &self.config.audience {
            form.append_pair("audience", audience);
        }
        if let Some(scope) = &self.config.scope {
            form.append_pair("scope", scope);
        }
        form.finish()
    }

    async fn fetch(&self) -> Result<CachedToken, DispatchError> {
        let url = &self.config.token_url;
        let request = hyper::Request::post(url.as_str())
            .header(
                hyper::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .header(hyper::header::ACCEPT, "application/json")
            .body(Full::new(Bytes::from(self.form())))
            .map_err(|err| {
                DispatchError::new(
                    StatusCode::Unauthenticated,
                    format!("the OAuth token URL {url:?} is not a valid URL: {err}"),
                )
            })?;
        let started = Instant::now();
        let response = self
            .client
            .send(request, "the OAuth token endpoint")
            .await?;
        if !(200..300).contains(&response.status) {
            // 4xx: the credentials (or audience/scope) are wrong; retrying
            // will not help. 5xx: the authorization server is in trouble.
            let status = if (400..500).contains(&response.status) {
                StatusCode::Unauthenticated
            } else {
                StatusCode::Unavailable
            };
            return Err(DispatchError::new(
                status,
                format!(
                    "the OAuth token endpoint {url} refused client {:?} with HTTP {}: {}",
                    self.config.client_id,
                    response.status,
                    excerpt(&response.body, 300)
                ),
            ));
        }
        let parsed: TokenResponse = serde_json::from_slice(&response.body).map_err(|err| {
            DispatchError::new(
                StatusCode::Unauthenticated,
                format!("the OAuth token endpoint {url} answered with something other than a token (JSON error: {err})"),
            )
        })?;
        let Some(access_token) = parsed.access_token.filter(|t| !t.is_empty()) else {
            return Err(DispatchError::new(
                StatusCode::Unauthenticated,
                format!("the OAuth token endpoint {url} answered without an access_token"),
            ));
        };
        if let Some(kind) = parsed.token_type.as_deref() {
            if !kind.eq_ignore_ascii_case("bearer") {
                tracing::warn!(
                    token_type = kind,
                    "OAuth token is not a bearer token; sending it as one"
                );
            }
        }
        let lifetime = lifetime(parsed.expires_in.as_ref());
        let margin = (lifetime / REFRESH_MARGIN_DIVISOR).min(MAX_REFRESH_MARGIN);
        tracing::debug!(?lifetime, "fetched an OAuth access token");
        Ok(CachedToken {
            header: format!("Bearer {access_token}"),
            refresh_at: started + lifetime - margin,
        })
    }
}

/// `expires_in` in seconds; some servers send it as a string.
fn lifetime(expires_in: Option<&serde_json::Value>) -> Duration {
    let seconds = match expires_in {
        Some(serde_json::Value::Number(n)) => n.as_f64(),
        Some(serde_json::Value::String(s)) => s.trim().parse::<f64>().ok(),
        _ => None,
    };
    match seconds {
        Some(s) if s.is_finite() && s > 0.0 => {
            Duration::try_from_secs_f64(s.min(365.0 * 24.0 * 3600.0)).unwrap_or(DEFAULT_LIFETIME)
        }
        _ => DEFAULT_LIFETIME,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_cached_token_is_not_in_debug_output() {
        let token = super::CachedToken {
            header: "Bearer eyJ-very-secret".into(),
            refresh_at: std::time::Instant::now(),
        };
        let text = format!("{token:?}");
        assert!(!text.contains("eyJ-very-secret"), "{text}");
        assert!(text.contains("redacted"), "{text}");
    }

    use super::*;

    #[test]
    fn lifetime_accepts_numbers_and_numeric_strings() {
        assert_eq!(
            lifetime(Some(&serde_json::json!(300))),
            Duration::from_secs(300)
        );
        assert_eq!(
            lifetime(Some(&serde_json::json!("120"))),
            Duration::from_secs(120)
        );
        assert_eq!(lifetime(Some(&serde_json::json!(0))), DEFAULT_LIFETIME);
        assert_eq!(lifetime(Some(&serde_json::json!("soon"))), DEFAULT_LIFETIME);
        assert_eq!(lifetime(None), DEFAULT_LIFETIME);
    }
}
