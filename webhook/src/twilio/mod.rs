//! Twilio's request signature (`X-Twilio-Signature`), the whole algorithm of
//! Twilio's helper libraries, as pure functions with no HTTP types.
//!
//! The signed string is the public URL exactly as Twilio requested it (query
//! string included), followed for form POSTs by every parameter: names sorted
//! by byte order, and for each name its distinct values sorted, each written as
//! `name` + `value`. GET requests append nothing (the parameters are in the
//! URL). JSON requests carry `bodySHA256=<hex sha-256 of the body>` in the URL,
//! which is signed, and the body must match that hash. The MAC is HMAC-SHA1
//! keyed with the Auth Token (or HMAC-SHA256 with a shared key when
//! `X-Twilio-Webhooks-Signature-Settings` says so), Base64-encoded.
//!
//! Because Twilio's signing of ports is inconsistent, the URL is also tried
//! without its port and with the scheme's default port; a `'` in the query is
//! also tried as `%27`. Every comparison is constant-time.

use std::borrow::Cow;
use std::fmt;

use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::Digest;

use crate::form::Pair;

mod signed;
pub use signed::SignedRequest;

/// The hash behind the HMAC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    /// HMAC-SHA1: Twilio's Auth Token signatures (`sha_1` in Camunda).
    Sha1,
    /// HMAC-SHA256 (`sha_256`; Twilio shared-key signatures).
    Sha256,
    /// HMAC-SHA512 (`sha_512`).
    Sha512,
}

impl Algorithm {
    /// Parses Camunda's `inbound.hmacAlgorithm` values (`sha_1`, `sha_256`,
    /// `sha_512`), case-insensitively, also without the underscore.
    pub fn from_camunda(name: &str) -> Option<Algorithm> {
        match name.trim().to_ascii_lowercase().replace('-', "_").as_str() {
            "sha_1" | "sha1" | "hmacsha1" => Some(Algorithm::Sha1),
            "sha_256" | "sha256" | "hmacsha256" | "hmac_sha256" => Some(Algorithm::Sha256),
            "sha_512" | "sha512" | "hmacsha512" | "hmac_sha512" => Some(Algorithm::Sha512),
            _ => None,
        }
    }

    fn mac(self, key: &[u8], message: &[u8]) -> Vec<u8> {
        self.mac_parts(key, &[message])
    }

    /// The MAC of the concatenation of `parts`, without building it.
    fn mac_parts(self, key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
        fn run<M: Mac + hmac::digest::KeyInit>(key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
            // HMAC accepts keys of any length, so `new_from_slice` cannot fail.
            match <M as hmac::digest::KeyInit>::new_from_slice(key) {
                Ok(mut mac) => {
                    for part in parts {
                        mac.update(part);
                    }
                    mac.finalize().into_bytes().to_vec()
                }
                Err(_) => Vec::new(),
            }
        }
        match self {
            Algorithm::Sha1 => run::<Hmac<sha1::Sha1>>(key, parts),
            Algorithm::Sha256 => run::<Hmac<sha2::Sha256>>(key, parts),
            Algorithm::Sha512 => run::<Hmac<sha2::Sha512>>(key, parts),
        }
    }
}

/// What the request carried besides its URL.
#[derive(Debug, Clone, Copy)]
pub enum Payload<'a> {
    /// Nothing is appended to the URL (GET, HEAD, empty bodies).
    None,
    /// Decoded form parameters, in request order, repeats kept.
    Form(&'a [Pair]),
    /// Any other body (JSON above all): checked against `bodySHA256`.
    Raw(&'a [u8]),
}

/// One request to verify.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// The public URL Twilio requested, with its query string byte-exact.
    pub url: &'a str,
    /// The body, as far as signing is concerned.
    pub payload: Payload<'a>,
    /// The `X-Twilio-Signature` header value.
    pub signature: &'a str,
    /// The `X-Twilio-Webhooks-Signature-Settings` header value, if present.
    pub settings: Option<&'a str>,
}

/// The key and the default algorithm.
#[derive(Clone, Copy)]
pub struct Key<'a> {
    /// The Auth Token (or shared key), as bytes.
    pub secret: &'a [u8],
    /// The algorithm used when no settings header overrides it.
    pub algorithm: Algorithm,
}

impl fmt::Debug for Key<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Key")
            .field("secret", &"<redacted>")
            .field("algorithm", &self.algorithm)
            .finish()
    }
}

/// Why a signature was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignatureError {
    /// No URL variant produced the given signature.
    Mismatch,
    /// The body's SHA-256 differs from the `bodySHA256` query parameter.
    BodyHashMismatch,
    /// The settings header names an algorithm we don't know.
    UnsupportedSettings(String),
}

impl fmt::Display for SignatureError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SignatureError::Mismatch => f.write_str("the signature does not match the request"),
            SignatureError::BodyHashMismatch => {
                f.write_str("the body does not match the bodySHA256 query parameter")
            }
            SignatureError::UnsupportedSettings(s) => {
                write!(f, "unsupported X-Twilio-Webhooks-Signature-Settings: {s}")
            }
        }
    }
}

impl std::error::Error for SignatureError {}

/// Verifies one request; `Ok` carries the URL variant that matched.
pub fn verify<'a>(key: Key<'_>, request: &Request<'a>) -> Result<Cow<'a, str>, SignatureError> {
    let algorithm = match request.settings {
        Some(settings) => settings_algorithm(settings)?,
        None => key.algorithm,
    };
    let tags = candidate_tags(request.signature);
    if tags.is_empty() {
        return Err(SignatureError::Mismatch);
    }
    let suffixes = signed_suffixes(request.url, request.payload)?;
    let signs = |url: &str| {
        suffixes.iter().any(|suffix| {
            let expected = algorithm.mac_parts(key.secret, &[url.as_bytes(), suffix.as_bytes()]);
            // Check every candidate encoding without short-circuiting.
            tags.iter()
                .fold(false, |acc, tag| acc | constant_time_eq(&expected, tag))
        })
    };
    // The URL as received matches almost always: build the variants only
    // when it does not.
    if signs(request.url) {
        return Ok(Cow::Borrowed(request.url));
    }
    url_variants(request.url)
        .into_iter()
        .skip(1)
        .find(|url| signs(url))
        .map(Cow::Owned)
        .ok_or(SignatureError::Mismatch)
}

/// Verifies a plain HMAC over the raw body (Camunda's `["body"]` scope),
/// given as Base64 or hex (optionally `algo=hex`).
pub fn verify_body(key: Key<'_>, body: &[u8], signature: &str) -> Result<(), SignatureError> {
    let expected = key.algorithm.mac(key.secret, body);
    let matched = candidate_tags(signature)
        .iter()
        .fold(false, |acc, tag| acc | constant_time_eq(&expected, tag));
    if matched {
        Ok(())
    } else {
        Err(SignatureError::Mismatch)
    }
}

/// Computes the Base64 signature Twilio sends for `url` and form `params`
/// (pass no params for GET and JSON requests).
pub fn sign<K: AsRef<str>, V: AsRef<str>>(key: Key<'_>, url: &str, params: &[(K, V)]) -> String {
    let message = string_to_sign(url, params);
    base64::engine::general_purpose::STANDARD
        .encode(key.algorithm.mac(key.secret, message.as_bytes()))
}

/// The string Twilio signs: `url`, then every parameter name in byte order,
/// each followed by its distinct values in byte order, as `name` + `value`.
pub fn string_to_sign<K: AsRef<str>, V: AsRef<str>>(url: &str, params: &[(K, V)]) -> String {
    let mut out = String::from(url);
    out.push_str(&sorted_params(params));
    out
}

fn sorted_params<K: AsRef<str>, V: AsRef<str>>(params: &[(K, V)]) -> String {
    // Sorting the pairs sorts by name, then by value within a name.
    let mut pairs: Vec<(&str, &str)> = params
        .iter()
        .map(|(name, value)| (name.as_ref(), value.as_ref()))
        .collect();
    pairs.sort_unstable();
    pairs.dedup();
    let len = pairs.iter().map(|(n, v)| n.len() + v.len()).sum();
    let mut out = String::with_capacity(len);
    for (name, value) in pairs {
        out.push_str(name);
        out.push_str(value);
    }
    out
}

/// Lowercase hex SHA-256 of `body`, as Twilio puts in `bodySHA256`.
pub fn body_sha256_hex(body: &[u8]) -> String {
    hex(&sha2::Sha256::digest(body))
}

/// What may follow the URL in the signed string, in order of preference.
fn signed_suffixes(url: &str, payload: Payload<'_>) -> Result<Vec<String>, SignatureError> {
    match payload {
        Payload::None => Ok(vec![String::new()]),
        Payload::Form(params) => Ok(vec![sorted_params(params)]),
        Payload::Raw(body) => match query_param(url, "bodySHA256") {
            Some(claimed) => {
                let actual = body_sha256_hex(body);
                if constant_time_eq(actual.as_bytes(), claimed.to_ascii_lowercase().as_bytes()) {
                    Ok(vec![String::new()])
                } else {
                    Err(SignatureError::BodyHashMismatch)
                }
            }
            None if body.iter().all(u8::is_ascii_whitespace) => Ok(vec![String::new()]),
            // No bodySHA256: accept only what Camunda's connector signs (the
            // body always takes part, so it cannot be swapped).
            None => Ok(camunda_json_suffixes(body)),
        },
    }
}

/// Camunda's connector signs a JSON object of strings like form parameters,
/// and any other JSON value as its compact serialisation.
fn camunda_json_suffixes(body: &[u8]) -> Vec<String> {
    match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(serde_json::Value::Object(map)) => {
            let params: Option<Vec<(String, String)>> = map
                .iter()
                .map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_owned())))
                .collect();
            match params {
                Some(params) => vec![sorted_params(&params)],
                None => serde_json::to_string(&map)
                    .map(|s| vec![s])
                    .unwrap_or_default(),
            }
        }
        Ok(other) => serde_json::to_string(&other)
            .map(|s| vec![s])
            .unwrap_or_default(),
        Err(_) => Vec::new(),
    }
}

fn settings_algorithm(settings: &str) -> Result<Algorithm, SignatureError> {
    for part in settings.split(',') {
        if let Some((name, value)) = part.split_once('=') {
            if name.trim().eq_ignore_ascii_case("algorithm") {
                return match value.trim().to_ascii_uppercase().as_str() {
                    "HMAC_SHA256" | "HMAC-SHA256" => Ok(Algorithm::Sha256),
                    "HMAC_SHA1" | "HMAC-SHA1" => Ok(Algorithm::Sha1),
                    _ => Err(SignatureError::UnsupportedSettings(value.trim().to_owned())),
                };
            }
        }
    }
    Err(SignatureError::UnsupportedSettings(settings.to_owned()))
}

/// The decodings of the header value worth comparing: Base64 (Twilio), and
/// lowercase hex, optionally after an `algo=` prefix (Camunda accepts both).
fn candidate_tags(signature: &str) -> Vec<Vec<u8>> {
    let signature = signature.trim();
    let mut tags = Vec::new();
    if let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(signature) {
        tags.push(bytes);
    }
    if let Some(bytes) = unhex(signature) {
        tags.push(bytes);
    }
    if let Some((_, rest)) = signature.split_once('=') {
        if let Some(bytes) = unhex(rest) {
            tags.push(bytes);
        }
    }
    tags
}

/// The URL as given (always first), without its port, with the default port, and each of
/// those with `'` in the query written as `%27`; duplicates removed.
pub fn url_variants(url: &str) -> Vec<String> {
    let mut variants = vec![url.to_owned()];
    if let Some(parts) = split_authority(url) {
        let (before_host, host, port, rest) = parts;
        match port {
            Some(_) => variants.push(format!("{before_host}{host}{rest}")),
            None => {
                let default = if before_host.starts_with("https:") {
                    Some("443")
                } else if before_host.starts_with("http:") {
                    Some("80")
                } else {
                    None
                };
                if let Some(default) = default {
                    variants.push(format!("{before_host}{host}:{default}{rest}"));
                }
            }
        }
    }
    let with_apostrophes: Vec<String> = variants
        .iter()
        .filter_map(|u| {
            let at = u.find('?')?;
            u[at..]
                .contains('\'')
                .then(|| format!("{}{}", &u[..at], u[at..].replace('\'', "%27")))
        })
        .collect();
    variants.extend(with_apostrophes);
    let mut seen = Vec::with_capacity(variants.len());
    for v in variants {
        if !seen.contains(&v) {
            seen.push(v);
        }
    }
    seen
}

/// Splits `scheme://[userinfo@]host[:port]rest` into
/// (`scheme://[userinfo@]`, `host`, `port`, `rest`).
fn split_authority(url: &str) -> Option<(&str, &str, Option<&str>, &str)> {
    let start = url.find("://")? + 3;
    let end = url[start..]
        .find(['/', '?', '#'])
        .map_or(url.len(), |i| start + i);
    let authority = &url[start..end];
    let host_start = authority.rfind('@').map_or(0, |i| i + 1);
    let host_port = &authority[host_start..];
    // An IPv6 literal keeps its colons inside brackets.
    let port_at = match host_port.rfind(']') {
        Some(bracket) => host_port[bracket..].find(':').map(|i| bracket + i),
        None => host_port.rfind(':'),
    };
    let (host, port) = match port_at {
        Some(i) => (&host_port[..i], Some(&host_port[i + 1..])),
        None => (host_port, None),
    };
    Some((&url[..start + host_start], host, port, &url[end..]))
}

/// The raw (still encoded) value of the first query parameter `name`.
fn query_param<'u>(url: &'u str, name: &str) -> Option<&'u str> {
    let query = url.split_once('?')?.1;
    let query = query.split('#').next().unwrap_or(query);
    query.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        (k == name).then_some(v)
    })
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if text.is_empty() || !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests;
