//! How to reach the cluster: environment variables and flags →
//! [`ZeebeSettings`] → the [`Dispatcher`] and, when a REST address is known,
//! the [`ClusterClient`] discovery reads deployed definitions with; both
//! share one [`Authorizer`] (one cached OAuth token).

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use super::auth::{Auth, Authorizer, OAuthCredentials};
use super::cluster::ClusterClient;
use super::grpc::GrpcDispatcher;
use super::journal::{JournalDispatcher, SyncPolicy};
use super::rest::RestDispatcher;
use super::Dispatcher;
use crate::http_client::{read_pem_certificates, HttpClient};
use crate::secret::Secret;

const DEFAULT_TOKEN_URL: &str = "https://login.cloud.camunda.io/oauth/token";
const DEFAULT_AUDIENCE: &str = "zeebe.camunda.io";
const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
const DEFAULT_BACKPRESSURE_RETRIES: u32 = 3;

/// The command-line flags that override the environment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ZeebeAddresses {
    /// `--zeebe-address`: the gRPC gateway.
    pub grpc: Option<String>,
    /// `--zeebe-rest-address`: the REST API base URL.
    pub rest: Option<String>,
}

/// How commands reach Zeebe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transport {
    /// gRPC to `address`: `http://host:port` (plaintext) or `https://host:port` (TLS).
    Grpc {
        /// The normalised address (always with scheme and port).
        address: String,
    },
    /// REST API v2 under `base_url` (`http(s)://…`, no trailing `/`, no `/v2`).
    Rest {
        /// The normalised base URL.
        base_url: String,
    },
}

/// Everything needed to build the [`Dispatcher`].
///
/// [`ZeebeSettings::from_env_and_flags`] reads it from the environment variables Camunda users
/// already have (the credentials files of the Camunda console, the SDKs) and
/// two command-line flags.
///
/// | setting | flag / variables, first non-empty wins | default |
/// |---|---|---|
/// | gRPC gateway | `--zeebe-address`, `ZEEBE_GRPC_ADDRESS`, `ZEEBE_ADDRESS`, `CAMUNDA_CLIENT_GRPCADDRESS` | – |
/// | REST API | `--zeebe-rest-address`, `ZEEBE_REST_ADDRESS`, `CAMUNDA_REST_ADDRESS`, `CAMUNDA_CLIENT_RESTADDRESS` | – |
/// | SaaS cluster | `CAMUNDA_CLIENT_CLOUD_CLUSTERID` with `CAMUNDA_CLIENT_CLOUD_REGION` (or `CAMUNDA_CLUSTER_ID` with `CAMUNDA_CLUSTER_REGION`) give both addresses when neither is set | – |
/// | transport | gRPC when a gRPC address is set, else REST; `CAMUNDA_PREFER_REST_OVER_GRPC=true` picks REST when both are set; addresses given as flags replace those from the environment | journal |
/// | plaintext vs TLS | the scheme: `http://` plaintext, `https://` TLS; a gRPC address without scheme (`host:port`, as in the console's files) uses TLS unless `ZEEBE_INSECURE_CONNECTION=true` | TLS |
/// | extra CA (PEM) | `ZEEBE_CA_CERTIFICATE_PATH`, `CAMUNDA_CA_CERTIFICATE_PATH` | compiled-in web roots only |
/// | auth method | `CAMUNDA_CLIENT_AUTH_METHOD` (`none`, `basic`, `oidc`), else `CAMUNDA_AUTH_STRATEGY` (`NONE`, `BASIC`, `OAUTH`) | OAuth when client credentials are set, else none |
/// | Basic user | `CAMUNDA_CLIENT_AUTH_USERNAME`, `CAMUNDA_BASIC_AUTH_USERNAME` and `CAMUNDA_CLIENT_AUTH_PASSWORD`, `CAMUNDA_BASIC_AUTH_PASSWORD` | – |
/// | OAuth client | `CAMUNDA_CLIENT_AUTH_CLIENTID` / `ZEEBE_CLIENT_ID` / `CAMUNDA_CLIENT_ID` and `CAMUNDA_CLIENT_AUTH_CLIENTSECRET` / `ZEEBE_CLIENT_SECRET` / `CAMUNDA_CLIENT_SECRET` (both or neither) | no auth |
/// | token URL | `CAMUNDA_CLIENT_AUTH_TOKENURL`, `ZEEBE_AUTHORIZATION_SERVER_URL`, `CAMUNDA_OAUTH_URL` | `https://login.cloud.camunda.io/oauth/token` |
/// | audience | `CAMUNDA_CLIENT_AUTH_AUDIENCE`, `ZEEBE_TOKEN_AUDIENCE`, `CAMUNDA_TOKEN_AUDIENCE` | `zeebe.camunda.io` |
/// | OAuth scope | `CAMUNDA_CLIENT_AUTH_SCOPE`, `ZEEBE_TOKEN_SCOPE`, `CAMUNDA_TOKEN_SCOPE` | none |
/// | deadline per call | `ZEEBE_REQUEST_TIMEOUT`: milliseconds, or a number with `ms`/`s`, or ISO `PT…S` | 10 s |
///
/// The `CAMUNDA_CLIENT_*` names are the environment form of Camunda's own
/// `camunda.client.*` properties; their dashed spellings
/// (`CAMUNDA_CLIENT_REST-ADDRESS`, `CAMUNDA_CLIENT_AUTH_CLIENT-ID`, …), which
/// some deployment files use, are read as well.
///
/// `CAMUNDA_CREDENTIALS_SCOPES` in the console's credentials file lists the
/// products a client may use (`Zeebe,Operate,…`); it is not an OAuth scope and
/// is not sent. A gRPC address without a port gets 443 (TLS) or 26500
/// (plaintext). A REST address may end in `/v2` or not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZeebeSettings {
    /// Where commands go; `None` = the embedded journal.
    pub transport: Option<Transport>,
    /// The REST API's base URL (no trailing `/`, no `/v2`) whenever one is
    /// configured, whatever the transport: cluster discovery reads it.
    pub rest_api: Option<String>,
    /// How calls authenticate.
    pub auth: Auth,
    /// A PEM file with extra CA certificates to trust.
    pub ca_certificate_path: Option<PathBuf>,
    /// Deadline of one dispatch (token fetch included).
    pub request_timeout: Duration,
    /// Deadline for opening a connection.
    pub connect_timeout: Duration,
    /// Durability of the journal.
    pub journal_sync: SyncPolicy,
    /// How often a command is sent again when Zeebe answers
    /// `RESOURCE_EXHAUSTED` (back-pressure: the command was rejected, so
    /// repeating it is safe), waiting 100 ms, 200 ms, … in between, and only
    /// while the deadline leaves room.
    pub backpressure_retries: u32,
}

impl Default for ZeebeSettings {
    fn default() -> Self {
        Self {
            transport: None,
            rest_api: None,
            auth: Auth::None,
            ca_certificate_path: None,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            journal_sync: SyncPolicy::default(),
            backpressure_retries: DEFAULT_BACKPRESSURE_RETRIES,
        }
    }
}

/// A configuration problem, naming the setting it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettingsError {
    setting: String,
    message: String,
}

impl SettingsError {
    fn new(setting: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            setting: setting.into(),
            message: message.into(),
        }
    }

    /// The flag or environment variable at fault (e.g. `ZEEBE_ADDRESS`).
    pub fn setting(&self) -> &str {
        &self.setting
    }

    /// What is wrong with it.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for SettingsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.setting, self.message)
    }
}

impl std::error::Error for SettingsError {}

/// Looks settings up in a map of environment variables.
struct Env<'a>(&'a HashMap<String, String>);

impl Env<'_> {
    /// The first of `names` with a non-blank value, and its name.
    fn first(&self, names: &[&'static str]) -> Option<(&'static str, String)> {
        names.iter().find_map(|name| {
            let value = self.0.get(*name)?.trim();
            (!value.is_empty()).then(|| (*name, value.to_owned()))
        })
    }

    fn flag(&self, name: &'static str) -> Result<Option<bool>, SettingsError> {
        let Some((_, value)) = self.first(&[name]) else {
            return Ok(None);
        };
        match value.to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" | "on" => Ok(Some(true)),
            "false" | "0" | "no" | "off" => Ok(Some(false)),
            _ => Err(SettingsError::new(
                name,
                format!("expected true or false, got {value:?}"),
            )),
        }
    }
}

impl ZeebeSettings {
    /// [`from_env_and_flags`](Self::from_env_and_flags) over this process's
    /// environment. Unlike `std::env::vars()` it does not panic on values
    /// that are not UTF-8: those are skipped, unless they belong to a
    /// `ZEEBE_*`/`CAMUNDA_*` variable, which is an error.
    pub fn from_process_env(flags: &ZeebeAddresses) -> Result<Self, SettingsError> {
        let mut env = HashMap::new();
        for (name, value) in std::env::vars_os() {
            let Ok(name) = name.into_string() else {
                continue;
            };
            match value.into_string() {
                Ok(value) => {
                    env.insert(name, value);
                }
                Err(_) if name.starts_with("ZEEBE_") || name.starts_with("CAMUNDA_") => {
                    return Err(SettingsError::new(name, "the value is not valid UTF-8"));
                }
                Err(_) => {}
            }
        }
        Self::from_env_and_flags(&env, flags)
    }

    /// Reads the configuration from `env` and the flags; see [`ZeebeSettings`]
    /// for names and precedence. A pure function, for tests; the service
    /// calls [`from_process_env`](Self::from_process_env).
    ///
    /// # Examples
    /// ```
    /// use std::collections::HashMap;
    /// use webhook::zeebe::{Transport, ZeebeSettings, ZeebeAddresses};
    ///
    /// let env = HashMap::from([(
    ///     "ZEEBE_ADDRESS".to_owned(),
    ///     "abc.bru-2.zeebe.camunda.io:443".to_owned(),
    /// )]);
    /// let config = ZeebeSettings::from_env_and_flags(&env, &ZeebeAddresses::default())?;
    /// assert_eq!(
    ///     config.transport,
    ///     Some(Transport::Grpc { address: "https://abc.bru-2.zeebe.camunda.io:443".into() })
    /// );
    ///
    /// let flags = ZeebeAddresses { grpc: Some("ftp://nope".into()), ..ZeebeAddresses::default() };
    /// let error = ZeebeSettings::from_env_and_flags(&env, &flags).unwrap_err();
    /// assert_eq!(error.setting(), "--zeebe-address");
    /// # Ok::<(), webhook::zeebe::SettingsError>(())
    /// ```
    pub fn from_env_and_flags(
        env: &HashMap<String, String>,
        flags: &ZeebeAddresses,
    ) -> Result<Self, SettingsError> {
        let env = Env(env);
        let insecure = env.flag("ZEEBE_INSECURE_CONNECTION")?;
        let prefer_rest = env.flag("CAMUNDA_PREFER_REST_OVER_GRPC")?.unwrap_or(false);

        let flag = |value: &Option<String>, name: &'static str| {
            value
                .as_deref()
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(|v| (name, v.to_owned()))
        };
        let grpc_flag = flag(&flags.grpc, "--zeebe-address");
        let rest_flag = flag(&flags.rest, "--zeebe-rest-address");
        let (grpc, rest) = if grpc_flag.is_some() || rest_flag.is_some() {
            (grpc_flag, rest_flag)
        } else {
            let grpc = env.first(&[
                "ZEEBE_GRPC_ADDRESS",
                "ZEEBE_ADDRESS",
                "CAMUNDA_CLIENT_GRPCADDRESS",
                "CAMUNDA_CLIENT_GRPC-ADDRESS",
            ]);
            let rest = env.first(&[
                "ZEEBE_REST_ADDRESS",
                "CAMUNDA_REST_ADDRESS",
                "CAMUNDA_CLIENT_RESTADDRESS",
                "CAMUNDA_CLIENT_REST-ADDRESS",
            ]);
            match (grpc, rest) {
                (None, None) => saas_addresses(&env),
                found => found,
            }
        };
        let rest_api = match &rest {
            Some((name, value)) => Some(rest_base_url(name, value)?),
            None => None,
        };
        let transport = match (grpc, rest_api.clone()) {
            (Some(_), Some(base_url)) if prefer_rest => Some(Transport::Rest { base_url }),
            (Some((name, value)), _) => Some(Transport::Grpc {
                address: grpc_address(name, &value, insecure)?,
            }),
            (None, Some(base_url)) => Some(Transport::Rest { base_url }),
            (None, None) => None,
        };

        let auth = auth(&env)?;
        let ca_certificate_path = env
            .first(&["ZEEBE_CA_CERTIFICATE_PATH", "CAMUNDA_CA_CERTIFICATE_PATH"])
            .map(|(_, path)| PathBuf::from(path));
        let request_timeout = match env.first(&["ZEEBE_REQUEST_TIMEOUT"]) {
            Some((name, value)) => {
                parse_timeout(&value).map_err(|m| SettingsError::new(name, m))?
            }
            None => DEFAULT_REQUEST_TIMEOUT,
        };
        Ok(Self {
            transport,
            rest_api,
            auth,
            ca_certificate_path,
            request_timeout,
            ..Self::default()
        })
    }

    /// Builds the dispatcher: gRPC or REST when configured, otherwise the
    /// [`JournalDispatcher`] appending to `journal_path`. Call it inside a
    /// Tokio runtime. Nothing is contacted yet: connections open on the first
    /// dispatch, so a Zeebe that is down fails requests, not startup.
    pub fn build_dispatcher(
        &self,
        journal_path: &Path,
    ) -> Result<Arc<dyn Dispatcher>, SettingsError> {
        self.connect(journal_path).map(|c| c.dispatcher)
    }

    /// The dispatcher (see [`ZeebeSettings::build_dispatcher`]) and, when a
    /// REST address is configured, the client discovery reads the cluster
    /// with; both authenticate through the same [`Authorizer`].
    pub fn connect(&self, journal_path: &Path) -> Result<Connection, SettingsError> {
        let extra_roots = match &self.ca_certificate_path {
            Some(path) => read_pem_certificates(path)
                .map_err(|m| SettingsError::new("ZEEBE_CA_CERTIFICATE_PATH", m))?,
            None => Vec::new(),
        };
        let rest_api = self.rest_api.as_deref().or(match &self.transport {
            Some(Transport::Rest { base_url }) => Some(base_url.as_str()),
            _ => None,
        });
        let needs_http = rest_api.is_some() || self.auth != Auth::None;
        let http = if needs_http {
            Some(
                HttpClient::new(&extra_roots, self.connect_timeout)
                    .map_err(|m| SettingsError::new("TLS", m))?,
            )
        } else {
            None
        };
        let auth = http
            .as_ref()
            .and_then(|http| Authorizer::new(&self.auth, http))
            .map(Arc::new);
        let cluster = match (rest_api, &http) {
            (Some(base_url), Some(http)) => Some(ClusterClient::new(
                http.clone(),
                auth.clone(),
                base_url,
                self.request_timeout,
            )),
            _ => None,
        };
        let dispatcher = self.dispatcher(journal_path, http, auth)?;
        Ok(Connection {
            dispatcher,
            cluster,
        })
    }

    fn dispatcher(
        &self,
        journal_path: &Path,
        http: Option<HttpClient>,
        auth: Option<Arc<Authorizer>>,
    ) -> Result<Arc<dyn Dispatcher>, SettingsError> {
        let Some(transport) = &self.transport else {
            let journal = JournalDispatcher::open(journal_path, self.journal_sync)
                .map_err(|err| SettingsError::new("--journal", err.to_string()))?;
            tracing::info!(
                journal = %journal_path.display(),
                "no Zeebe address configured: commands are journaled, not sent"
            );
            return Ok(Arc::new(journal));
        };
        let auth_method = self.auth.method();
        match transport {
            Transport::Grpc { address } => {
                let pem = match &self.ca_certificate_path {
                    Some(path) => Some(std::fs::read(path).map_err(|err| {
                        SettingsError::new(
                            "ZEEBE_CA_CERTIFICATE_PATH",
                            format!("cannot read {}: {err}", path.display()),
                        )
                    })?),
                    None => None,
                };
                let grpc = GrpcDispatcher::new(
                    address,
                    pem.as_deref(),
                    auth,
                    self.request_timeout,
                    self.connect_timeout,
                    self.backpressure_retries,
                )
                .map_err(|m| SettingsError::new("--zeebe-address / ZEEBE_ADDRESS", m))?;
                tracing::info!(%address, auth = auth_method, "dispatching to Zeebe over gRPC");
                Ok(Arc::new(grpc))
            }
            Transport::Rest { base_url } => {
                let Some(http) = http else {
                    return Err(SettingsError::new(
                        "--zeebe-rest-address / ZEEBE_REST_ADDRESS",
                        "the HTTP client was not set up",
                    ));
                };
                tracing::info!(%base_url, auth = auth_method, "dispatching to the Camunda REST API");
                Ok(Arc::new(RestDispatcher::new(
                    http,
                    auth,
                    base_url,
                    self.request_timeout,
                    self.backpressure_retries,
                )))
            }
        }
    }
}

/// What [`ZeebeSettings::connect`] builds.
#[derive(Debug)]
pub struct Connection {
    /// Where commands go.
    pub dispatcher: Arc<dyn Dispatcher>,
    /// The REST API, when an address for it is configured.
    pub cluster: Option<ClusterClient>,
}

/// A setting's value and the name it was read under.
type Named = Option<(&'static str, String)>;

/// Both addresses of a SaaS cluster (gRPC, REST) from its id and region
/// (Camunda's `camunda.client.cloud.*` settings), when both are set.
fn saas_addresses(env: &Env<'_>) -> (Named, Named) {
    let cluster = env.first(&[
        "CAMUNDA_CLIENT_CLOUD_CLUSTERID",
        "CAMUNDA_CLIENT_CLOUD_CLUSTER-ID",
        "CAMUNDA_CLUSTER_ID",
    ]);
    let region = env.first(&["CAMUNDA_CLIENT_CLOUD_REGION", "CAMUNDA_CLUSTER_REGION"]);
    match (cluster, region) {
        (Some((name, cluster)), Some((_, region))) => (
            Some((name, format!("{cluster}.{region}.zeebe.camunda.io:443"))),
            Some((name, format!("https://{region}.zeebe.camunda.io/{cluster}"))),
        ),
        _ => (None, None),
    }
}

/// The auth method from `CAMUNDA_CLIENT_AUTH_METHOD`, else
/// `CAMUNDA_AUTH_STRATEGY`, else OAuth when client credentials are set.
fn auth(env: &Env<'_>) -> Result<Auth, SettingsError> {
    let method = env
        .first(&["CAMUNDA_CLIENT_AUTH_METHOD"])
        .map(|(name, value)| {
            let method = match value.to_ascii_lowercase().as_str() {
                "none" => Some(Method::None),
                "basic" => Some(Method::Basic),
                "oidc" | "oauth" => Some(Method::OAuth),
                _ => None,
            };
            (name, value, method)
        });
    let strategy = env.first(&["CAMUNDA_AUTH_STRATEGY"]).map(|(name, value)| {
        let method = match value.to_ascii_uppercase().as_str() {
            "NONE" => Some(Method::None),
            "BASIC" => Some(Method::Basic),
            "OAUTH" => Some(Method::OAuth),
            _ => None,
        };
        (name, value, method)
    });
    let chosen = match method.or(strategy) {
        Some((name, value, None)) => {
            return Err(SettingsError::new(
                name,
                format!("{value:?} is not supported; use none, basic or oidc (CAMUNDA_CLIENT_AUTH_METHOD) or NONE, BASIC or OAUTH (CAMUNDA_AUTH_STRATEGY)"),
            ))
        }
        Some((name, _, Some(method))) => Some((name, method)),
        None => None,
    };
    match chosen {
        Some((_, Method::None)) => Ok(Auth::None),
        Some((name, Method::Basic)) => basic_credentials(env, name),
        Some((name, Method::OAuth)) => match oauth_credentials(env)? {
            Some(credentials) => Ok(Auth::OAuth(credentials)),
            None => Err(SettingsError::new(
                name,
                "OAuth needs a client id and secret (CAMUNDA_CLIENT_AUTH_CLIENTID and CAMUNDA_CLIENT_AUTH_CLIENTSECRET, or ZEEBE_CLIENT_ID and ZEEBE_CLIENT_SECRET)",
            )),
        },
        None => Ok(oauth_credentials(env)?.map_or(Auth::None, Auth::OAuth)),
    }
}

#[derive(Clone, Copy)]
enum Method {
    None,
    Basic,
    OAuth,
}

fn basic_credentials(env: &Env<'_>, chosen_by: &str) -> Result<Auth, SettingsError> {
    let username = env.first(&[
        "CAMUNDA_CLIENT_AUTH_USERNAME",
        "CAMUNDA_BASIC_AUTH_USERNAME",
    ]);
    let password = env.first(&[
        "CAMUNDA_CLIENT_AUTH_PASSWORD",
        "CAMUNDA_BASIC_AUTH_PASSWORD",
    ]);
    match (username, password) {
        (Some((_, username)), Some((_, password))) => Ok(Auth::Basic {
            username,
            password: Secret::new(password),
        }),
        (None, _) => Err(SettingsError::new(
            chosen_by,
            "basic authentication needs CAMUNDA_CLIENT_AUTH_USERNAME (or CAMUNDA_BASIC_AUTH_USERNAME)",
        )),
        (Some(_), None) => Err(SettingsError::new(
            chosen_by,
            "basic authentication needs CAMUNDA_CLIENT_AUTH_PASSWORD (or CAMUNDA_BASIC_AUTH_PASSWORD)",
        )),
    }
}

/// OAuth client credentials from the environment; `None` when neither a
/// client id nor a secret is set.
fn oauth_credentials(env: &Env<'_>) -> Result<Option<OAuthCredentials>, SettingsError> {
    let id = env.first(&[
        "CAMUNDA_CLIENT_AUTH_CLIENTID",
        "CAMUNDA_CLIENT_AUTH_CLIENT-ID",
        "ZEEBE_CLIENT_ID",
        "CAMUNDA_CLIENT_ID",
    ]);
    let secret = env.first(&[
        "CAMUNDA_CLIENT_AUTH_CLIENTSECRET",
        "CAMUNDA_CLIENT_AUTH_CLIENT-SECRET",
        "ZEEBE_CLIENT_SECRET",
        "CAMUNDA_CLIENT_SECRET",
    ]);
    let (client_id, client_secret) = match (id, secret) {
        (Some((_, id)), Some((_, secret))) => (id, secret),
        (None, None) => return Ok(None),
        (Some((name, _)), None) => {
            return Err(SettingsError::new(
                name,
                "a client id is set but no client secret (CAMUNDA_CLIENT_AUTH_CLIENTSECRET, ZEEBE_CLIENT_SECRET or CAMUNDA_CLIENT_SECRET)",
            ))
        }
        (None, Some((name, _))) => {
            return Err(SettingsError::new(
                name,
                "a client secret is set but no client id (CAMUNDA_CLIENT_AUTH_CLIENTID, ZEEBE_CLIENT_ID or CAMUNDA_CLIENT_ID)",
            ))
        }
    };
    let token_url = match env.first(&[
        "CAMUNDA_CLIENT_AUTH_TOKENURL",
        "CAMUNDA_CLIENT_AUTH_TOKEN-URL",
        "ZEEBE_AUTHORIZATION_SERVER_URL",
        "CAMUNDA_OAUTH_URL",
    ]) {
        Some((name, url)) => {
            if !(url.starts_with("https://") || url.starts_with("http://")) {
                return Err(SettingsError::new(
                    name,
                    format!("{url:?} must start with https:// or http://"),
                ));
            }
            url
        }
        None => DEFAULT_TOKEN_URL.to_owned(),
    };
    let audience = env
        .first(&[
            "CAMUNDA_CLIENT_AUTH_AUDIENCE",
            "ZEEBE_TOKEN_AUDIENCE",
            "CAMUNDA_TOKEN_AUDIENCE",
        ])
        .map_or_else(|| DEFAULT_AUDIENCE.to_owned(), |(_, v)| v);
    let scope = env
        .first(&[
            "CAMUNDA_CLIENT_AUTH_SCOPE",
            "ZEEBE_TOKEN_SCOPE",
            "CAMUNDA_TOKEN_SCOPE",
        ])
        .map(|(_, v)| v);
    Ok(Some(OAuthCredentials {
        token_url,
        client_id,
        client_secret: Secret::new(client_secret),
        audience: Some(audience),
        scope,
    }))
}

/// Normalises a gRPC address to `scheme://host:port`.
fn grpc_address(name: &str, value: &str, insecure: Option<bool>) -> Result<String, SettingsError> {
    let err = |m: String| SettingsError::new(name, m);
    let (tls, rest) = if let Some(rest) = value.strip_prefix("https://") {
        if insecure == Some(true) {
            return Err(err(format!(
                "{value:?} asks for TLS but ZEEBE_INSECURE_CONNECTION=true; drop one of them"
            )));
        }
        (true, rest)
    } else if let Some(rest) = value.strip_prefix("http://") {
        (false, rest)
    } else if value.contains("://") {
        return Err(err(format!(
            "{value:?}: the scheme must be http:// (plaintext) or https:// (TLS)"
        )));
    } else {
        (insecure != Some(true), value)
    };
    let authority = rest.strip_suffix('/').unwrap_or(rest);
    if authority.is_empty() {
        return Err(err(format!("{value:?} has no host")));
    }
    if authority.contains('/') || authority.contains('?') {
        return Err(err(format!(
            "{value:?}: a gRPC address is host:port, without a path"
        )));
    }
    let has_port = match authority.rsplit_once(':') {
        // `[::1]` alone has colons but no port.
        Some((host, port)) if !host.is_empty() && !port.contains(']') => {
            if port.is_empty() || port.parse::<u16>().is_err() {
                return Err(err(format!("{value:?}: {port:?} is not a port number")));
            }
            true
        }
        _ => false,
    };
    let scheme = if tls { "https" } else { "http" };
    let address = if has_port {
        format!("{scheme}://{authority}")
    } else {
        format!("{scheme}://{authority}:{}", if tls { 443 } else { 26500 })
    };
    address
        .parse::<hyper::Uri>()
        .map_err(|e| err(format!("{value:?} is not a valid address: {e}")))?;
    Ok(address)
}

/// Normalises a REST base URL: scheme required, no trailing `/` or `/v2`.
fn rest_base_url(name: &str, value: &str) -> Result<String, SettingsError> {
    let err = |m: String| SettingsError::new(name, m);
    if !(value.starts_with("http://") || value.starts_with("https://")) {
        return Err(err(format!(
            "{value:?} must start with http:// (plaintext) or https:// (TLS)"
        )));
    }
    let uri = value
        .parse::<hyper::Uri>()
        .map_err(|e| err(format!("{value:?} is not a valid URL: {e}")))?;
    if uri.host().is_none_or(str::is_empty) {
        return Err(err(format!("{value:?} has no host")));
    }
    if uri.query().is_some() {
        return Err(err(format!("{value:?}: a base URL takes no query string")));
    }
    let mut base = value.trim_end_matches('/');
    if let Some(stripped) = base.strip_suffix("/v2") {
        base = stripped.trim_end_matches('/');
    }
    Ok(base.to_owned())
}

/// `1500`, `1500ms`, `10s`, `PT10S`, `PT0.5S`.
fn parse_timeout(value: &str) -> Result<Duration, String> {
    let text = value.trim();
    let bad =
        || format!("{value:?} is not a duration (use milliseconds, `10s`, `500ms` or `PT10S`)");
    let (number, unit_ms) = if let Some(n) = text.strip_suffix("ms") {
        (n, 1.0)
    } else if let Some(n) = text
        .strip_prefix("PT")
        .or_else(|| text.strip_prefix("pt"))
        .and_then(|t| t.strip_suffix(['S', 's']))
    {
        (n, 1000.0)
    } else if let Some(n) = text.strip_suffix('s') {
        (n, 1000.0)
    } else {
        (text, 1.0)
    };
    let amount: f64 = number.trim().parse().map_err(|_| bad())?;
    if !amount.is_finite() || amount <= 0.0 {
        return Err(format!("{value:?}: the timeout must be positive"));
    }
    Duration::try_from_secs_f64(amount * unit_ms / 1000.0).map_err(|_| bad())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts() {
        assert_eq!(parse_timeout("1500"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_timeout("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_timeout("10s"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_timeout("PT0.5S"), Ok(Duration::from_millis(500)));
        assert!(parse_timeout("0").is_err());
        assert!(parse_timeout("soon").is_err());
        assert!(parse_timeout("-3s").is_err());
    }
}
