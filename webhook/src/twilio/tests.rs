use super::*;
use crate::form::Pair;
use std::path::PathBuf;

fn key(token: &str) -> Key<'_> {
    Key {
        secret: token.as_bytes(),
        algorithm: Algorithm::Sha1,
    }
}

fn params(pairs: &[(&str, &str)]) -> Vec<Pair> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).into(), (*v).into()))
        .collect()
}

fn shared(pairs: &[(String, String)]) -> Vec<Pair> {
    pairs
        .iter()
        .map(|(k, v)| (k.as_str().into(), v.as_str().into()))
        .collect()
}

const URL: &str = "https://mycompany.com/myapp.php?foo=1&bar=2";

fn call_params() -> Vec<Pair> {
    params(&[
        ("CallSid", "CA1234567890ABCDE"),
        ("Caller", "+14158675309"),
        ("Digits", "1234"),
        ("From", "+14158675309"),
        ("To", "+18005551212"),
    ])
}

fn form(url: &str, params: &[Pair], signature: &str) -> Result<String, SignatureError> {
    verify(
        key("12345"),
        &Request {
            url,
            payload: Payload::Form(params),
            signature,
            settings: None,
        },
    )
    .map(|url| url.into_owned())
}

// A few published vectors inline, so a plain clone still tests the algorithm.

#[test]
fn inline_basic_form_post() {
    assert_eq!(
        sign(key("12345"), URL, &call_params()),
        "RSOYDt4T1cUTdK1PDd93/VVr8B8="
    );
    assert!(form(URL, &call_params(), "RSOYDt4T1cUTdK1PDd93/VVr8B8=").is_ok());
}

#[test]
fn inline_default_port_variant() {
    let matched = form(URL, &call_params(), "kvajT1Ptam85bY51eRf/AJRuM3w=").unwrap();
    assert_eq!(matched, "https://mycompany.com:443/myapp.php?foo=1&bar=2");
}

#[test]
fn inline_port_removed_variant() {
    let url = "https://mycompany.com:1234/myapp.php?foo=1&bar=2";
    assert_eq!(
        form(url, &call_params(), "RSOYDt4T1cUTdK1PDd93/VVr8B8=").unwrap(),
        URL
    );
}

#[test]
fn inline_repeated_names_sorted_distinct() {
    let p = params(&[
        ("Sid", "CA123"),
        ("SidAccount", "AC123"),
        ("Digits", "5678"),
        ("Digits", "1234"),
        ("Digits", "1234"),
    ]);
    assert!(form(URL, &p, "IK+Dwps556ElfBT0I3Rgjkr1wJU=").is_ok());
    assert_eq!(
        string_to_sign("u", &p),
        "uDigits1234Digits5678SidCA123SidAccountAC123"
    );
}

#[test]
fn inline_json_body_sha256() {
    let body = br#"{"property": "value", "boolean": true}"#;
    let url = "https://mycompany.com/myapp.php?foo=1&bar=2&bodySHA256=0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620";
    let request = |body: &'static [u8]| Request {
        url,
        payload: Payload::Raw(body),
        signature: "a9nBmqA0ju/hNViExpshrM61xv4=",
        settings: None,
    };
    assert!(verify(key("12345"), &request(body)).is_ok());
    assert_eq!(
        verify(key("12345"), &request(br#"{"property": "other"}"#)),
        Err(SignatureError::BodyHashMismatch)
    );
}

#[test]
fn wrong_token_wrong_signature_and_tampering_fail() {
    assert_eq!(
        verify(
            key("54321"),
            &Request {
                url: URL,
                payload: Payload::Form(&call_params()),
                signature: "RSOYDt4T1cUTdK1PDd93/VVr8B8=",
                settings: None
            }
        ),
        Err(SignatureError::Mismatch)
    );
    assert!(form(URL, &call_params(), "RSOYDt4T1cUTdK1PDd93/VVr8B9=").is_err());
    assert!(form(URL, &call_params(), "").is_err());
    assert!(form(URL, &call_params(), "not base64 at all!").is_err());
    let mut tampered = call_params();
    tampered[2].1 = "9999".into();
    assert!(form(URL, &tampered, "RSOYDt4T1cUTdK1PDd93/VVr8B8=").is_err());
    assert!(form(
        "https://mycompany.com/myapp.php?foo=1&bar=3",
        &call_params(),
        "RSOYDt4T1cUTdK1PDd93/VVr8B8="
    )
    .is_err());
}

#[test]
fn shared_key_settings_switch_to_sha256() {
    let secret = "shared-key-material";
    let k = Key {
        secret: secret.as_bytes(),
        algorithm: Algorithm::Sha256,
    };
    let sig = sign(k, URL, &call_params());
    let request = |settings| Request {
        url: URL,
        payload: Payload::Form(&[]),
        signature: &sig,
        settings,
    };
    let p = call_params();
    let with = Request {
        payload: Payload::Form(&p),
        ..request(Some("key=KS123,algorithm=HMAC_SHA256"))
    };
    assert!(verify(key(secret), &with).is_ok());
    // Without the header the same key is taken as an Auth Token (SHA-1).
    let without = Request {
        payload: Payload::Form(&p),
        ..request(None)
    };
    assert!(verify(key(secret), &without).is_err());
    assert!(matches!(
        verify(key(secret), &request(Some("key=KS1,algorithm=ROT13"))),
        Err(SignatureError::UnsupportedSettings(_))
    ));
}

#[test]
fn url_variants_cover_ports_userinfo_ipv6_and_apostrophes() {
    assert_eq!(
        url_variants("https://u:p@h.com/x?a='b'"),
        [
            "https://u:p@h.com/x?a='b'",
            "https://u:p@h.com:443/x?a='b'",
            "https://u:p@h.com/x?a=%27b%27",
            "https://u:p@h.com:443/x?a=%27b%27"
        ]
    );
    assert_eq!(
        url_variants("http://[::1]:8080/x"),
        ["http://[::1]:8080/x", "http://[::1]/x"]
    );
    assert_eq!(url_variants("http://h"), ["http://h", "http://h:80"]);
}

#[test]
fn hex_signatures_are_accepted_like_camunda() {
    let mac = Algorithm::Sha1.mac(b"k", b"https://h/x");
    let hex_sig = hex(&mac);
    let ok = |sig: &str| {
        verify(
            Key {
                secret: b"k",
                algorithm: Algorithm::Sha1,
            },
            &Request {
                url: "https://h/x",
                payload: Payload::None,
                signature: sig,
                settings: None,
            },
        )
        .is_ok()
    };
    assert!(ok(&hex_sig));
    assert!(ok(&format!("sha1={hex_sig}")));
    assert!(!ok(&hex_sig[2..]));
}

// The full vector file from the spec, when it is beside the repository.

fn vectors_path() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("TWILIO_SIGNATURE_VECTORS") {
        return Some(PathBuf::from(path));
    }
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/spec/twilio-signature-vectors.json");
    path.exists().then_some(path)
}

fn vector_params(v: &serde_json::Value) -> Vec<Pair> {
    let mut out = Vec::new();
    let source = v.get("params").or_else(|| v.get("decoded_params"));
    if let Some(serde_json::Value::Object(map)) = source {
        for (name, value) in map {
            match value {
                serde_json::Value::Array(values) => {
                    for value in values {
                        out.push((name.as_str().into(), value.as_str().unwrap().into()));
                    }
                }
                value => out.push((name.as_str().into(), value.as_str().unwrap().into())),
            }
        }
    }
    out
}

fn check_vector(v: &serde_json::Value) {
    let name = v["name"].as_str().unwrap();
    let token = v["auth_token"].as_str().unwrap();
    let url = v["request_url"].as_str().unwrap();
    let expected = v["expected_signature"].as_str().unwrap();
    let content_type = v["content_type"].as_str().unwrap_or("");
    let raw_body = v.get("raw_body").and_then(|b| b.as_str());
    let form_params;
    let payload = if v["method"] == "GET" {
        Payload::None
    } else if content_type.starts_with("application/x-www-form-urlencoded") {
        form_params = match raw_body {
            Some(raw) => crate::form::parse(raw.as_bytes()).unwrap(),
            None => vector_params(v),
        };
        Payload::Form(&form_params)
    } else {
        Payload::Raw(raw_body.unwrap_or("").as_bytes())
    };
    let request = Request {
        url,
        payload,
        signature: expected,
        settings: None,
    };
    let matched = verify(key(token), &request);
    assert!(matched.is_ok(), "vector {name}: {matched:?}");
    if let Some(signed_url) = v.get("signed_url").and_then(|s| s.as_str()) {
        let matched = matched.unwrap();
        // Camunda's array vector appends the body to the URL; the matched URL
        // is then the request URL itself.
        assert!(
            signed_url.starts_with(matched.as_ref()),
            "vector {name}: matched {matched}, signed {signed_url}"
        );
    }
    // And the same request with a different signature must fail.
    let mut other = expected.to_owned();
    let flipped = if other.starts_with('A') { "B" } else { "A" };
    other.replace_range(0..1, flipped);
    let request = Request {
        signature: &other,
        ..request
    };
    assert!(
        verify(key(token), &request).is_err(),
        "vector {name} accepted a forged signature"
    );
}

#[test]
fn all_vectors_from_the_spec_file() {
    let Some(path) = vectors_path() else {
        eprintln!("SKIPPED: twilio-signature-vectors.json not found beside the repository (set TWILIO_SIGNATURE_VECTORS)");
        return;
    };
    let text = std::fs::read_to_string(&path).unwrap();
    let file: serde_json::Value = serde_json::from_str(&text).unwrap();
    let mut count = 0;
    for group in ["vectors", "derived_vectors"] {
        for v in file[group].as_array().unwrap() {
            check_vector(v);
            count += 1;
        }
    }
    assert_eq!(count, 22, "expected all 22 vectors");
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    fn pairs() -> impl Strategy<Value = Vec<(String, String)>> {
        proptest::collection::vec(("[A-Za-z][A-Za-z0-9]{0,6}", "\\PC{0,12}"), 0..8)
    }

    proptest! {
        #[test]
        fn sign_then_verify_in_any_order(params in pairs(), token in "[a-f0-9]{32}", rotate in 0usize..8) {
            let url = "https://hooks.example.com/inbound/x?a=1";
            let k = Key { secret: token.as_bytes(), algorithm: Algorithm::Sha1 };
            let sig = sign(k, url, &params);
            let mut shuffled = shared(&params);
            if !shuffled.is_empty() {
                let n = rotate % shuffled.len();
                shuffled.rotate_left(n);
            }
            let request = Request { url, payload: Payload::Form(&shuffled), signature: &sig, settings: None };
            prop_assert!(verify(k, &request).is_ok());
        }

        #[test]
        fn any_changed_value_is_refused(params in pairs(), extra in "[a-z]{1,4}") {
            prop_assume!(!params.is_empty());
            let url = "https://hooks.example.com/inbound/x";
            let k = Key { secret: b"token", algorithm: Algorithm::Sha1 };
            let sig = sign(k, url, &params);
            let mut changed = shared(&params);
            changed[0].1 = format!("{}{extra}", changed[0].1).into();
            // Unless the changed value duplicates another value of the same name.
            prop_assume!(!params.iter().any(|(n, v)| **n == *changed[0].0 && **v == *changed[0].1));
            let request = Request { url, payload: Payload::Form(&changed), signature: &sig, settings: None };
            prop_assert!(verify(k, &request).is_err());
        }
    }
}

mod robustness {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn arbitrary_urls_and_headers_never_panic(url in "\\PC{0,40}", sig in "\\PC{0,40}", settings in proptest::option::of("\\PC{0,30}"), body in proptest::collection::vec(any::<u8>(), 0..40)) {
            let k = Key { secret: b"t", algorithm: Algorithm::Sha1 };
            let _ = url_variants(&url);
            let _ = verify(k, &Request { url: &url, payload: Payload::Raw(&body), signature: &sig, settings: settings.as_deref() });
            let _ = verify_body(k, &body, &sig);
        }

        #[test]
        fn form_parse_never_panics_and_round_trips(raw in proptest::collection::vec(any::<u8>(), 0..60), pairs in proptest::collection::vec(("\\PC{1,8}", "\\PC{0,8}"), 0..5)) {
            let _ = crate::form::parse(&raw);
            let encoded: Vec<String> = pairs
                .iter()
                .map(|(k, v)| format!("{}={}", crate::form::encode(k), crate::form::encode(v)))
                .collect();
            let decoded = crate::form::parse(encoded.join("&").as_bytes()).unwrap();
            prop_assert_eq!(decoded, shared(&pairs));
        }
    }
}
