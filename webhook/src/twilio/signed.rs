//! A request signed the way Twilio signs it, for `webhook sign`: the header,
//! the body, and a `curl` command that sends it.

use super::{body_sha256_hex, sign, Algorithm, Key};
use crate::form;

/// A signed request to one URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedRequest {
    /// The URL (with `bodySHA256` added for a JSON body).
    pub url: String,
    /// The `X-Twilio-Signature` value.
    pub signature: String,
    /// The body.
    pub body: Body,
}

/// The body of a [`SignedRequest`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Body {
    /// Form parameters, in order (empty: no body).
    Form(Vec<(String, String)>),
    /// A JSON text.
    Json(String),
}

impl SignedRequest {
    /// Signs form `params` POSTed to `url` with the Auth Token `token`.
    pub fn form(token: &str, url: &str, params: Vec<(String, String)>) -> SignedRequest {
        let signature = sign(key(token), url, &params);
        SignedRequest {
            url: url.to_owned(),
            signature,
            body: Body::Form(params),
        }
    }

    /// Signs a JSON `body` POSTed to `url`: Twilio adds the body's SHA-256 to
    /// the URL's query (`bodySHA256`) and signs the URL alone.
    pub fn json(token: &str, url: &str, body: &str) -> SignedRequest {
        let separator = if url.contains('?') { '&' } else { '?' };
        let url = format!(
            "{url}{separator}bodySHA256={}",
            body_sha256_hex(body.as_bytes())
        );
        let signature = sign::<&str, &str>(key(token), &url, &[]);
        SignedRequest {
            url,
            signature,
            body: Body::Json(body.to_owned()),
        }
    }

    /// The form body, `name=value&…` percent-encoded (`None` for JSON).
    pub fn form_body(&self) -> Option<String> {
        match &self.body {
            Body::Form(params) => Some(
                params
                    .iter()
                    .map(|(k, v)| format!("{}={}", form::encode(k), form::encode(v)))
                    .collect::<Vec<_>>()
                    .join("&"),
            ),
            Body::Json(_) => None,
        }
    }

    /// A `curl` command line (POSIX shell quoting) that sends this request.
    pub fn curl(&self) -> String {
        let mut cmd = format!(
            "curl -sS -X POST {} -H {}",
            quote(&self.url),
            quote(&format!("X-Twilio-Signature: {}", self.signature))
        );
        let (content_type, body) = match &self.body {
            Body::Json(json) => ("application/json", json.clone()),
            Body::Form(_) => (
                "application/x-www-form-urlencoded",
                self.form_body().unwrap_or_default(),
            ),
        };
        cmd.push_str(&format!(
            " -H 'Content-Type: {content_type}' --data-raw {}",
            quote(&body)
        ));
        cmd
    }
}

fn key(token: &str) -> Key<'_> {
    Key {
        secret: token.as_bytes(),
        algorithm: Algorithm::Sha1,
    }
}

/// `text` in single quotes, safe for a POSIX shell.
fn quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signed_form_verifies_and_its_curl_quotes_the_body() {
        let params = vec![("Body".to_owned(), "it's 5 & 6".to_owned())];
        let signed = SignedRequest::form("token", "https://h.example/inbound/x", params.clone());
        assert_eq!(
            signed.signature,
            sign(key("token"), "https://h.example/inbound/x", &params)
        );
        assert_eq!(signed.form_body().unwrap(), "Body=it%27s+5+%26+6");
        assert_eq!(
            signed.curl(),
            format!(
                "curl -sS -X POST 'https://h.example/inbound/x' -H 'X-Twilio-Signature: {}' -H 'Content-Type: application/x-www-form-urlencoded' --data-raw 'Body=it%27s+5+%26+6'",
                signed.signature
            )
        );
    }

    #[test]
    fn a_signed_json_body_puts_its_hash_in_the_url() {
        let signed = SignedRequest::json("token", "https://h.example/x?a=1", r#"{"it's":1}"#);
        assert_eq!(
            signed.url,
            format!(
                "https://h.example/x?a=1&bodySHA256={}",
                body_sha256_hex(br#"{"it's":1}"#)
            )
        );
        assert!(signed.form_body().is_none());
        assert!(
            signed.curl().ends_with(r#"--data-raw '{"it'\''s":1}'"#),
            "{}",
            signed.curl()
        );
    }
}
