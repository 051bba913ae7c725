//! Arbitrary URL, form parameters, signature header and settings header: the
//! signature check never panics, and a signature made by `twilio::sign`
//! always verifies (and stops verifying once a parameter changes).

#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use webhook::form::Pair;
use webhook::twilio::{self, Algorithm, Key, Payload, Request};

#[derive(Debug, Arbitrary)]
struct Input {
    secret: Vec<u8>,
    algorithm: u8,
    url: String,
    params: Vec<(String, String)>,
    body: Vec<u8>,
    signature: String,
    settings: Option<String>,
}

fuzz_target!(|input: Input| {
    let params: Vec<Pair> = input
        .params
        .iter()
        .map(|(k, v)| (k.as_str().into(), v.as_str().into()))
        .collect();
    let algorithm = match input.algorithm % 3 {
        0 => Algorithm::Sha1,
        1 => Algorithm::Sha256,
        _ => Algorithm::Sha512,
    };
    let key = Key {
        secret: &input.secret,
        algorithm,
    };
    for payload in [
        Payload::None,
        Payload::Form(&params),
        Payload::Raw(&input.body),
    ] {
        let request = Request {
            url: &input.url,
            payload,
            signature: &input.signature,
            settings: input.settings.as_deref(),
        };
        let _ = twilio::verify(key, &request);
    }
    let _ = twilio::verify_body(key, &input.body, &input.signature);

    let signature = twilio::sign(key, &input.url, &input.params);
    let request = Request {
        url: &input.url,
        payload: Payload::Form(&params),
        signature: &signature,
        settings: None,
    };
    let matched = twilio::verify(key, &request);
    assert!(matched.is_ok(), "own signature refused: {matched:?}");

    // Changing the only value of a name must break the signature (with
    // repeated names, Twilio signs distinct values, so a change can vanish).
    let unique = input
        .params
        .first()
        .filter(|(name, _)| input.params.iter().filter(|(n, _)| n == name).count() == 1);
    if let Some((name, value)) = unique {
        let mut tampered = params.clone();
        tampered[0] = (name.as_str().into(), format!("{value}x").into());
        let request = Request {
            url: &input.url,
            payload: Payload::Form(&tampered),
            signature: &signature,
            settings: None,
        };
        assert!(
            twilio::verify(key, &request).is_err(),
            "a changed value still verifies"
        );
    }
});
