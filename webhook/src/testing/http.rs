//! The fake REST gateway and the fake OAuth token endpoint (hyper 1, HTTP/1.1).

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use serde_json::json;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio::sync::{oneshot, Notify};
use tokio_rustls::TlsAcceptor;

use super::{Reply, Script, HANG_LIMIT};
use crate::zeebe::StatusCode;

/// One HTTP request a fake received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedHttp {
    /// The method, e.g. `POST`.
    pub method: String,
    /// The path (and query, if any).
    pub path: String,
    /// The headers, names lower-cased, in arrival order.
    pub headers: Vec<(String, String)>,
    /// The raw body.
    pub body: Bytes,
}

impl RecordedHttp {
    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The body parsed as JSON (`Null` when it is not JSON).
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or(serde_json::Value::Null)
    }

    /// The body parsed as a form, in order.
    pub fn form(&self) -> Vec<(String, String)> {
        form_urlencoded::parse(&self.body)
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect()
    }
}

pub(super) type Answer = hyper::Response<Full<Bytes>>;
pub(super) type Handler =
    Arc<dyn Fn(RecordedHttp) -> Pin<Box<dyn Future<Output = Answer> + Send>> + Send + Sync>;

/// A running HTTP fake: the listener task and its stop signal.
#[derive(Debug)]
pub(super) struct HttpServer {
    addr: SocketAddr,
    tls: bool,
    closed: Arc<Notify>,
    shutdown: Option<oneshot::Sender<()>>,
}

impl HttpServer {
    pub(super) async fn start(
        closed: Arc<Notify>,
        handler: Handler,
        tls: Option<TlsAcceptor>,
    ) -> std::io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let is_tls = tls.is_some();
        let (shutdown, mut signal) = oneshot::channel::<()>();
        tokio::spawn(async move {
            loop {
                let stream = tokio::select! {
                    _ = &mut signal => break,
                    accepted = listener.accept() => match accepted {
                        Ok((stream, _)) => stream,
                        Err(_) => continue,
                    },
                };
                let handler = Arc::clone(&handler);
                let tls = tls.clone();
                tokio::spawn(async move {
                    match tls {
                        Some(acceptor) => {
                            if let Ok(stream) = acceptor.accept(stream).await {
                                serve_connection(stream, handler).await;
                            }
                        }
                        None => serve_connection(stream, handler).await,
                    }
                });
            }
        });
        Ok(Self {
            addr,
            tls: is_tls,
            closed,
            shutdown: Some(shutdown),
        })
    }

    /// `http://127.0.0.1:<port>`, or `https://localhost:<port>` with TLS.
    pub(super) fn base_url(&self) -> String {
        if self.tls {
            format!("https://localhost:{}", self.addr.port())
        } else {
            format!("http://{}", self.addr)
        }
    }
}

async fn serve_connection<IO>(io: IO, handler: Handler)
where
    IO: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let service = service_fn(move |request: hyper::Request<Incoming>| {
        let handler = Arc::clone(&handler);
        async move {
            let recorded = record(request).await;
            Ok::<_, Infallible>(handler(recorded).await)
        }
    });
    let _ = hyper::server::conn::http1::Builder::new()
        .serve_connection(TokioIo::new(io), service)
        .await;
}

/// A TLS acceptor for this certificate chain and private key (PEM).
fn acceptor(cert_pem: &[u8], key_pem: &[u8]) -> std::io::Result<TlsAcceptor> {
    let certs = CertificateDer::pem_slice_iter(cert_pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(std::io::Error::other)?;
    let key = PrivateKeyDer::from_pem_slice(key_pem).map_err(std::io::Error::other)?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(std::io::Error::other)?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(std::io::Error::other)?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(config)))
}

impl Drop for HttpServer {
    fn drop(&mut self) {
        self.closed.notify_waiters();
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }
}

async fn record(request: hyper::Request<Incoming>) -> RecordedHttp {
    let (parts, body) = request.into_parts();
    let body = body
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    RecordedHttp {
        method: parts.method.to_string(),
        path: parts
            .uri
            .path_and_query()
            .map_or_else(|| parts.uri.path().to_owned(), |pq| pq.as_str().to_owned()),
        headers: parts
            .headers
            .iter()
            .map(|(n, v)| {
                (
                    n.as_str().to_owned(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect(),
        body,
    }
}

pub(super) fn respond(status: u16, content_type: &str, body: impl Into<Bytes>) -> Answer {
    let mut response = hyper::Response::new(Full::new(body.into()));
    *response.status_mut() =
        hyper::StatusCode::from_u16(status).unwrap_or(hyper::StatusCode::INTERNAL_SERVER_ERROR);
    if let Ok(value) = hyper::header::HeaderValue::from_str(content_type) {
        response
            .headers_mut()
            .insert(hyper::header::CONTENT_TYPE, value);
    }
    response
}

/// Waits per [`Reply::Delay`]/[`Reply::Hang`]; `false` = the fake stopped.
async fn wait(reply: &Reply, closed: &Notify) -> bool {
    let delay = match reply {
        Reply::Delay(delay) => *delay,
        Reply::Hang => HANG_LIMIT,
        _ => return true,
    };
    tokio::select! {
        () = closed.notified() => false,
        () = tokio::time::sleep(delay) => !matches!(reply, Reply::Hang),
    }
}

/// The HTTP status Camunda's REST API uses for a status (its
/// `RestErrorMapper` in camunda/camunda); statuses it never sends get the
/// closest fit.
fn rest_http_status(status: StatusCode) -> u16 {
    match status {
        StatusCode::AlreadyExists | StatusCode::FailedPrecondition => 409,
        StatusCode::ResourceExhausted | StatusCode::Unavailable => 503,
        StatusCode::NotFound => 404,
        StatusCode::InvalidArgument | StatusCode::OutOfRange => 400,
        StatusCode::Unauthenticated => 401,
        StatusCode::PermissionDenied => 403,
        StatusCode::DeadlineExceeded => 504,
        StatusCode::Aborted => 502,
        StatusCode::Cancelled => 499,
        StatusCode::Unimplemented => 501,
        StatusCode::Unknown | StatusCode::Internal | StatusCode::DataLoss => 500,
    }
}

/// A fake Camunda REST API (v2) on `127.0.0.1:<free port>`.
///
/// Errors are answered as Camunda does: the HTTP status of its error mapper
/// and a problem+json body whose `title` is the status name.
#[derive(Debug)]
pub struct FakeRestGateway {
    server: HttpServer,
    script: Arc<Script<RecordedHttp>>,
}

impl FakeRestGateway {
    /// Starts the fake (plaintext).
    pub async fn start() -> std::io::Result<Self> {
        Self::start_with(None).await
    }

    /// Starts the fake over TLS with this certificate chain and key (PEM).
    pub async fn start_tls(cert_pem: &[u8], key_pem: &[u8]) -> std::io::Result<Self> {
        Self::start_with(Some(acceptor(cert_pem, key_pem)?)).await
    }

    async fn start_with(tls: Option<TlsAcceptor>) -> std::io::Result<Self> {
        let script = Arc::new(Script::new());
        let closed = Arc::new(Notify::new());
        let next_key = Arc::new(AtomicI64::new(2_251_799_813_685_249));
        let handler: Handler = {
            let script = Arc::clone(&script);
            let closed = Arc::clone(&closed);
            Arc::new(move |request: RecordedHttp| {
                let script = Arc::clone(&script);
                let closed = Arc::clone(&closed);
                let next_key = Arc::clone(&next_key);
                Box::pin(async move {
                    let path = request.path.clone();
                    let tenant = request.json().get("tenantId").cloned();
                    let reply = script.next(request);
                    if !wait(&reply, &closed).await {
                        return respond(503, "text/plain", "the fake stopped");
                    }
                    match reply {
                        Reply::Fail(status, message) => {
                            let http = rest_http_status(status);
                            let body = json!({
                                "type": "about:blank",
                                "title": status.as_str(),
                                "status": http,
                                "detail": message,
                                "instance": path,
                            });
                            respond(http, "application/problem+json", body.to_string())
                        }
                        Reply::Raw {
                            status,
                            content_type,
                            body,
                        } => respond(status, &content_type, body),
                        Reply::Ok | Reply::Delay(_) | Reply::Hang => {
                            let key = next_key.fetch_add(1, Ordering::Relaxed).to_string();
                            let tenant = tenant.unwrap_or_else(|| json!("<default>"));
                            let body = match path.as_str() {
                                "/v2/process-instances" => json!({
                                    "processDefinitionKey": "2251799813685000",
                                    "processInstanceKey": key,
                                    "tenantId": tenant,
                                }),
                                "/v2/messages/publication" => json!({
                                    "messageKey": key,
                                    "tenantId": tenant,
                                }),
                                _ => {
                                    let body = json!({"title": "NOT_FOUND", "status": 404});
                                    return respond(
                                        404,
                                        "application/problem+json",
                                        body.to_string(),
                                    );
                                }
                            };
                            respond(200, "application/json", body.to_string())
                        }
                    }
                })
            })
        };
        Ok(Self {
            server: HttpServer::start(closed, handler, tls).await?,
            script,
        })
    }

    /// The base URL to configure: `http://127.0.0.1:<port>`, or
    /// `https://localhost:<port>` for a TLS fake.
    pub fn base_url(&self) -> String {
        self.server.base_url()
    }

    /// Queues the answer for the next unanswered request.
    pub fn push_reply(&self, reply: Reply) {
        self.script.push(reply);
    }

    /// Makes the next `n` unanswered calls fail with `status`.
    pub fn fail_next(&self, n: usize, status: StatusCode) {
        for _ in 0..n {
            self.script
                .push(Reply::fail(status, format!("scripted {status}")));
        }
    }

    /// Every request so far, in arrival order.
    pub fn requests(&self) -> Vec<RecordedHttp> {
        self.script.calls()
    }
}

/// A fake OAuth token endpoint (`POST /oauth/token`) on `127.0.0.1:<free port>`.
///
/// Each successful request returns a new token, `token-<n>`, valid for the
/// configured number of seconds. `Reply::Fail` answers `401` with an OAuth
/// error body; `Reply::Raw` answers anything.
#[derive(Debug)]
pub struct FakeTokenEndpoint {
    server: HttpServer,
    script: Arc<Script<RecordedHttp>>,
    issued: Arc<AtomicU64>,
}

impl FakeTokenEndpoint {
    /// Starts the fake (plaintext); its tokens expire after `expires_in`
    /// seconds.
    pub async fn start(expires_in: u64) -> std::io::Result<Self> {
        Self::start_with(expires_in, None).await
    }

    /// Starts the fake over TLS with this certificate chain and key (PEM).
    pub async fn start_tls(
        expires_in: u64,
        cert_pem: &[u8],
        key_pem: &[u8],
    ) -> std::io::Result<Self> {
        Self::start_with(expires_in, Some(acceptor(cert_pem, key_pem)?)).await
    }

    async fn start_with(expires_in: u64, tls: Option<TlsAcceptor>) -> std::io::Result<Self> {
        let script = Arc::new(Script::new());
        let closed = Arc::new(Notify::new());
        let issued = Arc::new(AtomicU64::new(0));
        let handler: Handler = {
            let script = Arc::clone(&script);
            let closed = Arc::clone(&closed);
            let issued = Arc::clone(&issued);
            Arc::new(move |request: RecordedHttp| {
                let script = Arc::clone(&script);
                let closed = Arc::clone(&closed);
                let issued = Arc::clone(&issued);
                Box::pin(async move {
                    let reply = script.next(request);
                    if !wait(&reply, &closed).await {
                        return respond(503, "text/plain", "the fake stopped");
                    }
                    match reply {
                        Reply::Fail(_, message) => {
                            let body =
                                json!({"error": "invalid_client", "error_description": message});
                            respond(401, "application/json", body.to_string())
                        }
                        Reply::Raw {
                            status,
                            content_type,
                            body,
                        } => respond(status, &content_type, body),
                        Reply::Ok | Reply::Delay(_) | Reply::Hang => {
                            let n = issued.fetch_add(1, Ordering::SeqCst) + 1;
                            let body = json!({
                                "access_token": format!("token-{n}"),
                                "token_type": "Bearer",
                                "expires_in": expires_in,
                            });
                            respond(200, "application/json", body.to_string())
                        }
                    }
                })
            })
        };
        Ok(Self {
            server: HttpServer::start(closed, handler, tls).await?,
            script,
            issued,
        })
    }

    /// The token URL to configure: `http://127.0.0.1:<port>/oauth/token`
    /// (`https://localhost:<port>/oauth/token` for a TLS fake).
    pub fn token_url(&self) -> String {
        format!("{}/oauth/token", self.server.base_url())
    }

    /// Queues the answer for the next unanswered request.
    pub fn push_reply(&self, reply: Reply) {
        self.script.push(reply);
    }

    /// Makes the next `n` unanswered calls fail with `status`.
    pub fn fail_next(&self, n: usize, status: StatusCode) {
        for _ in 0..n {
            self.script
                .push(Reply::fail(status, format!("scripted {status}")));
        }
    }

    /// Every token request so far.
    pub fn requests(&self) -> Vec<RecordedHttp> {
        self.script.calls()
    }

    /// How many tokens were handed out.
    pub fn tokens_issued(&self) -> u64 {
        self.issued.load(Ordering::SeqCst)
    }
}
