//! The typestate between reading a request and trusting it: a [`Received`]
//! request becomes a [`Verified`] one only through [`Received::verify`], and
//! only a [`Verified`] request can be turned into the FEEL context
//! ([`super::request_context::build`]).

use bytes::Bytes;
use warp::http::{HeaderMap, Method};

use super::public_url::public_url;
use crate::error::AppError;
use crate::form::{self, Pair};
use crate::settings::RequestSettings;
use crate::twilio;
use crate::webhooks::Verification;

/// A request as read from the wire (body within the limit), not yet trusted.
#[derive(Debug)]
pub struct Received {
    method: Method,
    path: String,
    query: Option<String>,
    headers: HeaderMap,
    body: Bytes,
    media_type: Option<String>,
    /// Every form pair, decoded once: the signature needs them all.
    form: Option<Vec<Pair>>,
}

/// A request whose signature checked out (or whose webhook checks none).
#[derive(Debug)]
pub struct Verified(Received);

impl Received {
    /// Wraps a request; a form body is decoded here (400 when malformed).
    pub fn new(
        method: Method,
        path: String,
        query: Option<String>,
        headers: HeaderMap,
        body: Bytes,
    ) -> Result<Received, AppError> {
        let media_type = form::media_type(&headers);
        let form = if form::is_form(media_type.as_deref()) && !body.is_empty() {
            let pairs = form::parse(&body)
                .map_err(|e| AppError::BadRequest(format!("malformed form body: {e}")))?;
            Some(pairs)
        } else {
            None
        };
        Ok(Received {
            method,
            path,
            query,
            headers,
            body,
            media_type,
            form,
        })
    }

    /// Checks the signature the webhook asks for.
    pub fn verify(
        self,
        verification: Option<&Verification>,
        settings: &RequestSettings,
    ) -> Result<Verified, AppError> {
        let Some(verification) = verification else {
            return Ok(Verified(self));
        };
        let name = verification.header();
        let signature = self
            .headers
            .get(name)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            .ok_or_else(|| AppError::MissingSignature(name.to_owned()))?;
        match verification {
            Verification::Twilio {
                secret, algorithm, ..
            } => {
                let url = public_url(
                    settings.public_url.as_deref(),
                    settings.trust_forwarded_headers,
                    &self.headers,
                    &self.path,
                    self.query.as_deref(),
                );
                let payload = match &self.form {
                    _ if self.method == Method::GET || self.method == Method::HEAD => {
                        twilio::Payload::None
                    }
                    Some(pairs) => twilio::Payload::Form(pairs),
                    None if self.body.is_empty() => twilio::Payload::None,
                    None => twilio::Payload::Raw(&self.body),
                };
                let settings_header = self
                    .headers
                    .get("x-twilio-webhooks-signature-settings")
                    .and_then(|v| v.to_str().ok());
                let key = twilio::Key {
                    secret: secret.expose().as_bytes(),
                    algorithm: *algorithm,
                };
                let request = twilio::Request {
                    url: &url,
                    payload,
                    signature: &signature,
                    settings: settings_header,
                };
                match twilio::verify(key, &request) {
                    Ok(matched) => tracing::debug!(url = %matched, "signature verified"),
                    Err(e) => {
                        tracing::warn!(%url, reason = %e, "signature check failed; the URL is the one that was signed (is --public-url right?)");
                        return Err(AppError::InvalidSignature);
                    }
                }
            }
            Verification::Body {
                secret, algorithm, ..
            } => {
                let key = twilio::Key {
                    secret: secret.expose().as_bytes(),
                    algorithm: *algorithm,
                };
                if let Err(e) = twilio::verify_body(key, &self.body, &signature) {
                    tracing::warn!(reason = %e, "body signature check failed");
                    return Err(AppError::InvalidSignature);
                }
            }
        }
        Ok(Verified(self))
    }
}

impl Verified {
    /// The headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.0.headers
    }

    /// The raw query string, if any.
    pub fn query(&self) -> Option<&str> {
        self.0.query.as_deref()
    }

    /// The raw body.
    pub fn body(&self) -> &[u8] {
        &self.0.body
    }

    /// The media type of the body, lower case, without parameters.
    pub fn media_type(&self) -> Option<&str> {
        self.0.media_type.as_deref()
    }

    /// The decoded form pairs, for form bodies.
    pub fn form(&self) -> Option<&[Pair]> {
        self.0.form.as_deref()
    }
}
