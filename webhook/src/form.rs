//! `application/x-www-form-urlencoded` and query-string decoding, and the
//! media type that says a body is a form.
//!
//! Each pair is split on `&` and its first `=` *before* percent-decoding, so
//! values holding an encoded `&` or `=` survive (Camunda decodes the whole body
//! first and corrupts them).

use std::fmt;
use std::sync::Arc;

use warp::http::{header, HeaderMap};

/// The most `name=value` pairs one form body or query string may hold.
/// Twilio sends a few dozen; more is an attack on the decoder and the
/// signature check, which both work per pair.
pub const MAX_PAIRS: usize = 1000;

/// The problem reported past [`MAX_PAIRS`].
const TOO_MANY_PAIRS: &str = "more than 1000 name=value pairs";

/// Why a form body or query string could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormError {
    /// The zero-based index of the offending `name=value` pair.
    pub pair: usize,
    /// What was wrong with it.
    pub problem: &'static str,
}

impl fmt::Display for FormError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "pair #{}: {}", self.pair + 1, self.problem)
    }
}

impl std::error::Error for FormError {}

/// One decoded `name=value` pair. The texts are shared: the `request`
/// context takes them as they are, without copying.
pub type Pair = (Arc<str>, Arc<str>);

/// Decodes `name=value&…` into pairs, in order, keeping repeated names.
/// Pairs with an empty name are skipped; a name without `=` gets `""`.
/// More than [`MAX_PAIRS`] pairs are refused.
pub fn parse(input: &[u8]) -> Result<Vec<Pair>, FormError> {
    let pieces = memchr::memchr_iter(b'&', input).count() + 1;
    let mut pairs = Vec::with_capacity(pieces.min(MAX_PAIRS));
    let mut scratch = Vec::new();
    let ends = memchr::memchr_iter(b'&', input).chain(std::iter::once(input.len()));
    let mut start = 0;
    for (index, end) in ends.enumerate() {
        let piece = &input[start..end];
        start = end + 1;
        if piece.is_empty() {
            continue;
        }
        let (name, value) = match memchr::memchr(b'=', piece) {
            Some(at) => (&piece[..at], &piece[at + 1..]),
            None => (piece, &b""[..]),
        };
        let problem = |problem| FormError {
            pair: index,
            problem,
        };
        let name = decode_with(name, &mut scratch).map_err(problem)?;
        if name.is_empty() {
            continue;
        }
        let value = decode_with(value, &mut scratch).map_err(problem)?;
        if pairs.len() == MAX_PAIRS {
            return Err(problem(TOO_MANY_PAIRS));
        }
        pairs.push((name, value));
    }
    Ok(pairs)
}

/// The media type of `content-type`, lower-cased, without parameters.
pub fn media_type(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::CONTENT_TYPE)?;
    let text = String::from_utf8_lossy(value.as_bytes());
    let media = text
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    (!media.is_empty()).then_some(media)
}

/// Whether the media type is a form. A content type with parameters
/// (`; charset=utf-8`, as real Twilio traffic sends) is still a form.
pub fn is_form(media_type: Option<&str>) -> bool {
    media_type == Some("application/x-www-form-urlencoded")
}

/// Percent-decodes one component (`+` is a space) into UTF-8 text.
pub fn decode(raw: &[u8]) -> Result<Arc<str>, &'static str> {
    decode_with(raw, &mut Vec::new())
}

/// [`decode`] with a reusable buffer for components that have escapes.
fn decode_with(raw: &[u8], scratch: &mut Vec<u8>) -> Result<Arc<str>, &'static str> {
    const NOT_UTF8: &str = "the decoded text is not valid UTF-8";
    let next_escape = |text: &[u8]| memchr::memchr2(b'+', b'%', text);
    let Some(first) = next_escape(raw) else {
        // Most components have no escape: one allocation, the shared text.
        return std::str::from_utf8(raw)
            .map(Arc::from)
            .map_err(|_| NOT_UTF8);
    };
    scratch.clear();
    scratch.reserve(raw.len());
    let mut rest = raw;
    let mut at = Some(first);
    // Copy the runs between escapes whole.
    while let Some(i) = at {
        scratch.extend_from_slice(&rest[..i]);
        if rest[i] == b'+' {
            scratch.push(b' ');
            rest = &rest[i + 1..];
        } else {
            let hi = rest.get(i + 1).and_then(|b| hex_digit(*b));
            let lo = rest.get(i + 2).and_then(|b| hex_digit(*b));
            match (hi, lo) {
                (Some(hi), Some(lo)) => scratch.push(hi << 4 | lo),
                _ => return Err("a '%' is not followed by two hex digits"),
            }
            rest = &rest[i + 3..];
        }
        at = next_escape(rest);
    }
    scratch.extend_from_slice(rest);
    std::str::from_utf8(scratch)
        .map(Arc::from)
        .map_err(|_| NOT_UTF8)
}

fn hex_digit(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Percent-encodes a form component the way browsers and Twilio do (space
/// becomes `+`; unreserved characters stay).
pub fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'*' => {
                out.push(char::from(b))
            }
            b' ' => out.push('+'),
            other => out.push_str(&format!("%{other:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(input: &str) -> Vec<(String, String)> {
        parse(input.as_bytes())
            .unwrap()
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn splits_before_decoding() {
        assert_eq!(
            pairs("Body=a%3Db%26c%3Dd&From=%2B1"),
            [
                ("Body".into(), "a=b&c=d".into()),
                ("From".into(), "+1".into())
            ]
        );
    }

    #[test]
    fn keeps_repeats_empty_values_and_skips_blank_names() {
        assert_eq!(
            pairs("a=1&&=x&a=2&b&c="),
            [
                ("a".into(), "1".into()),
                ("a".into(), "2".into()),
                ("b".into(), "".into()),
                ("c".into(), "".into())
            ]
        );
    }

    #[test]
    fn plus_and_utf8() {
        assert_eq!(pairs("m=Hello+W%C3%A9")[0].1, "Hello Wé");
    }

    #[test]
    fn bad_escapes_name_the_pair() {
        let err = parse(b"a=1&b=%zz").unwrap_err();
        assert_eq!(err.pair, 1);
        assert!(err.to_string().contains("pair #2"));
        assert!(parse(b"a=%C3").is_err());
        assert!(parse(b"a=%4").is_err());
    }

    #[test]
    fn too_many_pairs_are_refused() {
        let at_limit = vec!["a=1"; MAX_PAIRS].join("&");
        assert_eq!(parse(at_limit.as_bytes()).unwrap().len(), MAX_PAIRS);
        let over = format!("{at_limit}&b=2");
        let err = parse(over.as_bytes()).unwrap_err();
        assert_eq!(err.pair, MAX_PAIRS);
        assert!(err.to_string().contains("more than 1000"), "{err}");
        // Empty pieces and blank names do not count.
        let padded = format!("{at_limit}&&&=x");
        assert!(parse(padded.as_bytes()).is_ok());
    }

    #[test]
    fn charset_suffix_is_still_a_form() {
        let mut h = HeaderMap::new();
        h.insert(
            "content-type",
            warp::http::HeaderValue::from_static(
                "Application/X-WWW-Form-Urlencoded; charset=UTF-8",
            ),
        );
        assert!(is_form(media_type(&h).as_deref()));
        assert!(!is_form(Some("application/json")));
        assert_eq!(media_type(&HeaderMap::new()), None);
    }

    #[test]
    fn encode_round_trips() {
        let text = "It's a +1 & b=c é";
        assert_eq!(&*decode(encode(text).as_bytes()).unwrap(), text);
    }

    mod props {
        use super::super::*;
        use proptest::prelude::*;

        fn encode_pairs(pairs: &[(String, String)]) -> String {
            pairs
                .iter()
                .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
                .collect::<Vec<_>>()
                .join("&")
        }

        proptest! {
            #[test]
            fn decode_inverts_encode(text in "\\PC{0,24}") {
                prop_assert_eq!(&*decode(encode(&text).as_bytes()).unwrap(), text.as_str());
            }

            #[test]
            fn parse_inverts_encode(pairs in proptest::collection::vec((".{1,8}", ".{0,12}"), 0..10)) {
                let body = encode_pairs(&pairs);
                let parsed: Vec<(String, String)> = parse(body.as_bytes())
                    .unwrap()
                    .into_iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect();
                prop_assert_eq!(parsed, pairs);
            }

            #[test]
            fn parse_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
                if let Ok(pairs) = parse(&bytes) {
                    prop_assert!(pairs.iter().all(|(name, _)| !name.is_empty()));
                    prop_assert!(pairs.len() <= bytes.len());
                }
            }

            #[test]
            fn params_keep_the_first_value(pairs in proptest::collection::vec(("[a-c]", ".{0,6}"), 0..10)) {
                let query = encode_pairs(&pairs);
                let params = crate::inbound::request_context::params_value(&query).unwrap();
                for (name, value) in params.iter() {
                    let first = pairs.iter().find(|(k, _)| k.as_str() == name.as_ref()).map(|(_, v)| v.as_str());
                    prop_assert_eq!(first, value.as_str());
                }
                let distinct: std::collections::BTreeSet<_> = pairs.iter().map(|(k, _)| k).collect();
                prop_assert_eq!(params.len(), distinct.len());
            }
        }
    }
}
