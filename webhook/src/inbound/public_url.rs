//! Rebuilding the URL Twilio signed. Behind proxies and TLS terminators the
//! server sees another scheme, host or port, so the public URL comes from
//! `--public-url`, or from `Forwarded` / `X-Forwarded-*` when those are
//! trusted, and only as a last resort from `Host`.

use std::borrow::Cow;

use warp::http::HeaderMap;

fn header<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
}

/// The first `Forwarded` element's `name=` value (quotes removed).
fn forwarded(headers: &HeaderMap, name: &str) -> Option<String> {
    let value = header(headers, "forwarded")?;
    let first = value.split(',').next()?;
    first.split(';').find_map(|pair| {
        let (k, v) = pair.trim().split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case(name)
            .then(|| v.trim().trim_matches('"').to_owned())
    })
}

/// The first value of a comma-separated `X-Forwarded-*` header.
fn x_forwarded(headers: &HeaderMap, name: &str) -> Option<String> {
    header(headers, name)
        .and_then(|v| v.split(',').next())
        .map(|v| v.trim().to_owned())
}

/// The full public URL of this request: base + path + `?query` (byte-exact).
pub fn public_url(
    configured: Option<&str>,
    trust_forwarded: bool,
    headers: &HeaderMap,
    path: &str,
    raw_query: Option<&str>,
) -> String {
    let base: Cow<'_, str> = match configured {
        Some(base) => Cow::Borrowed(base.trim_end_matches('/')),
        None => Cow::Owned({
            let host_header = header(headers, "host").unwrap_or("localhost").to_owned();
            if trust_forwarded {
                let proto = forwarded(headers, "proto")
                    .or_else(|| x_forwarded(headers, "x-forwarded-proto"))
                    .unwrap_or_else(|| "http".to_owned())
                    .to_ascii_lowercase();
                let mut host = forwarded(headers, "host")
                    .or_else(|| x_forwarded(headers, "x-forwarded-host"))
                    .unwrap_or(host_header);
                if let Some(port) = x_forwarded(headers, "x-forwarded-port") {
                    let has_port = host
                        .rsplit_once(':')
                        .is_some_and(|(_, p)| p.bytes().all(|b| b.is_ascii_digit()))
                        && !host.ends_with(']');
                    let default =
                        (proto == "https" && port == "443") || (proto == "http" && port == "80");
                    if !has_port && !default {
                        host = format!("{host}:{port}");
                    }
                }
                format!("{proto}://{host}")
            } else {
                format!("http://{host_header}")
            }
        }),
    };
    let query_len = raw_query.map_or(0, |q| q.len() + 1);
    let mut url = String::with_capacity(base.len() + path.len() + query_len);
    url.push_str(&base);
    url.push_str(path);
    if let Some(q) = raw_query {
        url.push('?');
        url.push_str(q);
    }
    url
}

#[cfg(test)]
mod tests {
    use super::*;
    use warp::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn configured_base_wins() {
        let h = headers(&[("host", "internal:8080"), ("x-forwarded-host", "evil")]);
        assert_eq!(
            public_url(
                Some("https://hooks.example.com/"),
                true,
                &h,
                "/inbound/a",
                Some("x=1&y='")
            ),
            "https://hooks.example.com/inbound/a?x=1&y='"
        );
    }

    #[test]
    fn forwarded_headers_only_when_trusted() {
        let h = headers(&[
            ("host", "internal:8080"),
            ("x-forwarded-proto", "https"),
            ("x-forwarded-host", "hooks.example.com"),
            ("x-forwarded-port", "8443"),
        ]);
        assert_eq!(
            public_url(None, true, &h, "/inbound/a", None),
            "https://hooks.example.com:8443/inbound/a"
        );
        assert_eq!(
            public_url(None, false, &h, "/inbound/a", None),
            "http://internal:8080/inbound/a"
        );
        let h = headers(&[
            ("host", "i"),
            (
                "forwarded",
                "for=1.2.3.4;proto=https;host=\"pub.example\", proto=http",
            ),
        ]);
        assert_eq!(
            public_url(None, true, &h, "/p", Some("")),
            "https://pub.example/p?"
        );
        let h = headers(&[
            ("host", "i"),
            ("x-forwarded-proto", "https"),
            ("x-forwarded-port", "443"),
        ]);
        assert_eq!(public_url(None, true, &h, "/p", None), "https://i/p");
    }
}
