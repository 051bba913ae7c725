//! The one HTTP/1.1 client (hyper 1 + rustls with the `ring` provider) that
//! every outbound call shares: the REST transport, the OAuth token cache and
//! the admin commands.
//!
//! Trust roots: the Mozilla roots compiled in by `webpki-roots` (no system
//! store, nothing fetched at build or run time), plus an optional PEM bundle
//! (`ZEEBE_CA_CERTIFICATE_PATH`) for self-managed clusters with a private CA.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper_rustls::{HttpsConnector, HttpsConnectorBuilder};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;
use rustls::RootCertStore;

/// A request that got no whole answer: the peer could not be reached, or
/// its answer could not be read. The message names the peer and the URL.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct HttpError(pub String);

/// Bodies larger than this are cut off (Zeebe's answers are tiny).
const MAX_RESPONSE_BYTES: usize = 1024 * 1024;

/// A cheap-to-clone HTTP client.
#[derive(Clone)]
pub(crate) struct HttpClient {
    inner: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
}

impl std::fmt::Debug for HttpClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HttpClient")
    }
}

/// A response, read whole.
#[derive(Debug)]
pub(crate) struct HttpResponse {
    pub status: u16,
    pub body: Bytes,
}

impl HttpClient {
    /// A client trusting the compiled-in web roots and `extra_roots`.
    pub fn new(
        extra_roots: &[CertificateDer<'static>],
        connect_timeout: Duration,
    ) -> Result<Self, String> {
        let mut roots = RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        };
        roots.add_parsable_certificates(extra_roots.iter().cloned());
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let tls = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|err| format!("TLS setup failed: {err}"))?
            .with_root_certificates(roots)
            .with_no_client_auth();
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_connect_timeout(Some(connect_timeout));
        http.set_nodelay(true);
        let connector = HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http()
            .enable_http1()
            .wrap_connector(http);
        let inner = Client::builder(TokioExecutor::new()).build(connector);
        Ok(Self { inner })
    }

    /// Sends `request` and reads the whole response; `what` names the peer
    /// in messages.
    pub async fn send(
        &self,
        request: hyper::Request<Full<Bytes>>,
        what: &str,
    ) -> Result<HttpResponse, HttpError> {
        let uri = request.uri().clone();
        let response = self.inner.request(request).await.map_err(|err| {
            HttpError(format!(
                "{what} at {uri} could not be reached: {}",
                error_chain(&err)
            ))
        })?;
        let status = response.status().as_u16();
        let body = Limited::new(response.into_body(), MAX_RESPONSE_BYTES)
            .collect()
            .await
            .map_err(|err| {
                HttpError(format!(
                    "reading the answer of {what} at {uri} failed: {err}"
                ))
            })?
            .to_bytes();
        Ok(HttpResponse { status, body })
    }
}

/// Reads every certificate of a PEM bundle; an error names the file.
pub(crate) fn read_pem_certificates(
    path: &std::path::Path,
) -> Result<Vec<CertificateDer<'static>>, String> {
    let bytes = std::fs::read(path)
        .map_err(|err| format!("cannot read CA certificate file {}: {err}", path.display()))?;
    let certs = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|err| {
            format!(
                "CA certificate file {} is not valid PEM: {err}",
                path.display()
            )
        })?;
    if certs.is_empty() {
        return Err(format!(
            "CA certificate file {} holds no PEM CERTIFICATE block",
            path.display()
        ));
    }
    Ok(certs)
}

/// An error and its sources on one line ("a: b: c").
pub(crate) fn error_chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

/// At most `max` characters of a body, for error messages.
pub(crate) fn excerpt(body: &[u8], max: usize) -> String {
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    match text.char_indices().nth(max) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}
