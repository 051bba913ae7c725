//! The Twilio signature end to end (start-event fixture: HMAC on, POST only,
//! `resultVariable = twilioRequest`, no FEEL).

use serde_json::json;
use webhook::zeebe::Command;

use crate::support::*;

fn start_variables(cmd: &Command) -> serde_json::Map<String, serde_json::Value> {
    match cmd {
        Command::CreateProcessInstance { variables, .. } => variables.parse().unwrap(),
        other => panic!("expected CreateProcessInstance, got {other:?}"),
    }
}

#[tokio::test]
async fn signed_form_post_starts_the_process_and_replies_twiml() {
    let app = spawn(&[bpmn("start-event.bpmn")]).await;
    let sms = sms("Hello+there & 100% = fine");
    let answer = post_signed(&app, "sms-start", &pairs(&sms)).await;
    assert_eq!(answer.status, 200, "{answer:?}");
    assert_eq!(answer.header("content-type"), Some("text/xml"));
    assert_eq!(answer.body, "<Response/>");

    let commands = app.dispatcher.commands();
    assert_eq!(commands.len(), 1);
    let Command::CreateProcessInstance {
        bpmn_process_id,
        version,
        tenant_id,
        variables,
    } = &commands[0]
    else {
        panic!("{commands:?}")
    };
    assert_eq!(bpmn_process_id, "sms-intake");
    assert_eq!(*version, -1);
    assert_eq!(*tenant_id, None);
    let variables = variables.parse().unwrap();
    let request = &variables["twilioRequest"]["request"];
    assert_eq!(request["body"]["Body"], "Hello+there & 100% = fine");
    assert_eq!(request["body"]["From"], "+15005550001");
    assert_eq!(request["body"]["ToCity"], "");
    assert_eq!(request["headers"]["content-type"], FORM);
    assert!(request["headers"]["x-twilio-signature"].is_string());
    assert_eq!(request["params"], json!({}));
    assert_eq!(variables["twilioRequest"]["connectorData"], json!({}));
    assert_eq!(variables["twilioRequest"]["documents"], json!([]));
    app.stop().await;
}

#[tokio::test]
async fn bad_signature_is_401_and_nothing_is_dispatched() {
    let app = spawn(&[bpmn("start-event.bpmn")]).await;
    let sms = sms("hi");
    let fields = pairs(&sms);
    let good = sign_form("https://hooks.example.com/inbound/sms-start", &fields);
    let cases = [
        // Signed for another URL.
        sign_form("https://hooks.example.com/inbound/other", &fields),
        // Tampered.
        format!("A{}", &good[1..]),
        // Garbage.
        "not-a-signature".to_owned(),
    ];
    for signature in cases {
        let answer = send(
            app.addr,
            "POST",
            "/inbound/sms-start",
            &[("Content-Type", FORM), ("X-Twilio-Signature", &signature)],
            form_body(&fields).as_bytes(),
        )
        .await;
        assert_eq!(answer.status, 401, "{signature}: {answer:?}");
        assert_eq!(
            answer.json(),
            json!({"reason": "Reason: INVALID_SIGNATURE. Details: HMAC signature check didn't pass"})
        );
    }
    // Changing one field after signing is caught as well.
    let mut tampered = sms.clone();
    tampered[5].1 = "changed".into();
    let answer = send(
        app.addr,
        "POST",
        "/inbound/sms-start",
        &[("Content-Type", FORM), ("X-Twilio-Signature", &good)],
        form_body(&pairs(&tampered)).as_bytes(),
    )
    .await;
    assert_eq!(answer.status, 401);
    assert!(app.dispatcher.commands().is_empty());
    app.stop().await;
}

#[tokio::test]
async fn missing_signature_is_401_with_a_reason() {
    let app = spawn(&[bpmn("start-event.bpmn")]).await;
    let answer = send(
        app.addr,
        "POST",
        "/inbound/sms-start",
        &[("Content-Type", FORM)],
        b"Body=hi",
    )
    .await;
    assert_eq!(answer.status, 401);
    assert_eq!(
        answer.json(),
        json!({"reason": "missing signature header `x-twilio-signature`"})
    );
    assert!(app.dispatcher.commands().is_empty());
    app.stop().await;
}

#[tokio::test]
async fn repeated_names_and_charset_suffix_are_accepted() {
    let app = spawn(&[bpmn("start-event.bpmn")]).await;
    let fields = [
        ("Body", "first"),
        ("MediaUrl0", "https://api.twilio.com/m/1"),
        ("Body", "second"),
        ("Body", "first"),
    ];
    let signature = sign_form("https://hooks.example.com/inbound/sms-start", &fields);
    let answer = send(
        app.addr,
        "POST",
        "/inbound/sms-start",
        &[
            (
                "Content-Type",
                "application/x-www-form-urlencoded; charset=UTF-8",
            ),
            ("X-Twilio-Signature", &signature),
        ],
        form_body(&fields).as_bytes(),
    )
    .await;
    assert_eq!(answer.status, 200, "{answer:?}");
    let commands = app.dispatcher.commands();
    let body = &start_variables(&commands[0])["twilioRequest"]["request"]["body"];
    assert_eq!(
        body,
        &json!({"Body": "first", "MediaUrl0": "https://api.twilio.com/m/1"})
    );
    app.stop().await;
}

#[tokio::test]
async fn query_string_is_signed_and_becomes_params() {
    let app = spawn(&[bpmn("start-event.bpmn")]).await;
    let fields = [("Body", "hi")];
    let target = "/inbound/sms-start?tenant=acme&tag=a&tag=b&note=It's";
    let signature = sign_form(&format!("https://hooks.example.com{target}"), &fields);
    let answer = send(
        app.addr,
        "POST",
        target,
        &[("Content-Type", FORM), ("X-Twilio-Signature", &signature)],
        form_body(&fields).as_bytes(),
    )
    .await;
    assert_eq!(answer.status, 200, "{answer:?}");
    let commands = app.dispatcher.commands();
    let params = &start_variables(&commands[0])["twilioRequest"]["request"]["params"];
    assert_eq!(
        params,
        &json!({"tenant": "acme", "tag": "a", "note": "It's"})
    );
    app.stop().await;
}

#[tokio::test]
async fn json_body_with_body_sha256() {
    let app = spawn(&[bpmn("start-event.bpmn")]).await;
    let body = br#"{"EventType":"onMessageAdded","Body":"hi","Index":3}"#;
    let hash = webhook::twilio::body_sha256_hex(body);
    let target = format!("/inbound/sms-start?bodySHA256={hash}");
    let signature = sign_form(&format!("https://hooks.example.com{target}"), &[]);
    let headers = [
        ("Content-Type", "application/json"),
        ("X-Twilio-Signature", signature.as_str()),
    ];
    let answer = send(app.addr, "POST", &target, &headers, body).await;
    assert_eq!(answer.status, 200, "{answer:?}");
    let commands = app.dispatcher.commands();
    let request = &start_variables(&commands[0])["twilioRequest"]["request"];
    assert_eq!(
        request["body"],
        json!({"EventType": "onMessageAdded", "Body": "hi", "Index": 3})
    );
    // Another body under the same URL and signature is refused.
    let answer = send(app.addr, "POST", &target, &headers, br#"{"Body":"evil"}"#).await;
    assert_eq!(answer.status, 401);
    assert_eq!(app.dispatcher.commands().len(), 1);
    app.stop().await;
}

#[tokio::test]
async fn forwarded_headers_rebuild_the_public_url_when_trusted() {
    let app = spawn_with(&[bpmn("start-event.bpmn")], |c| {
        c.requests.public_url = None;
        c.requests.trust_forwarded_headers = true;
    })
    .await;
    let fields = [("Body", "hi")];
    // Twilio signed the default-port form; the proxy reports it explicitly.
    let signature = sign_form("https://public.example.org/inbound/sms-start", &fields);
    let answer = send(
        app.addr,
        "POST",
        "/inbound/sms-start",
        &[
            ("Content-Type", FORM),
            ("X-Twilio-Signature", &signature),
            ("X-Forwarded-Proto", "https"),
            ("X-Forwarded-Host", "public.example.org:443"),
        ],
        form_body(&fields).as_bytes(),
    )
    .await;
    assert_eq!(answer.status, 200, "{answer:?}");
    app.stop().await;
}

#[tokio::test]
async fn without_public_url_the_host_header_is_used() {
    let app = spawn_with(&[bpmn("start-event.bpmn")], |c| {
        c.requests.public_url = None
    })
    .await;
    let fields = [("Body", "hi")];
    let signature = sign_form(&format!("http://{}/inbound/sms-start", app.addr), &fields);
    let answer = send(
        app.addr,
        "POST",
        "/inbound/sms-start",
        &[
            ("Content-Type", FORM),
            ("X-Twilio-Signature", &signature),
            ("X-Forwarded-Host", "ignored.example"),
        ],
        form_body(&fields).as_bytes(),
    )
    .await;
    assert_eq!(answer.status, 200, "{answer:?}");
    app.stop().await;
}

#[tokio::test]
async fn shared_key_signature_settings_header() {
    let app = spawn(&[bpmn("start-event.bpmn")]).await;
    let fields = [("Body", "hi")];
    let params = vec![("Body".to_owned(), "hi".to_owned())];
    let key = webhook::twilio::Key {
        secret: TOKEN.as_bytes(),
        algorithm: webhook::twilio::Algorithm::Sha256,
    };
    let signature =
        webhook::twilio::sign(key, "https://hooks.example.com/inbound/sms-start", &params);
    let answer = send(
        app.addr,
        "POST",
        "/inbound/sms-start",
        &[
            ("Content-Type", FORM),
            ("X-Twilio-Signature", &signature),
            (
                "X-Twilio-Webhooks-Signature-Settings",
                "key=KS0001,algorithm=HMAC_SHA256",
            ),
        ],
        form_body(&fields).as_bytes(),
    )
    .await;
    assert_eq!(answer.status, 200, "{answer:?}");
    app.stop().await;
}

#[tokio::test]
async fn signed_get_signs_the_query_string_as_sent() {
    let app = spawn(&[fixture("webhooks.toml")]).await;
    // Not in sorted order, with an encoded '+': signed exactly as sent.
    let target = "/inbound/toml-get?To=%2B15005550006&Body=hi+there&From=%2B15005550001";
    let signature = sign_form(&format!("https://hooks.example.com{target}"), &[]);
    let answer = send(
        app.addr,
        "GET",
        target,
        &[("X-Twilio-Signature", &signature)],
        b"",
    )
    .await;
    assert_eq!(answer.status, 200, "{answer:?}");
    let reordered = "/inbound/toml-get?Body=hi+there&To=%2B15005550006&From=%2B15005550001";
    let answer = send(
        app.addr,
        "GET",
        reordered,
        &[("X-Twilio-Signature", &signature)],
        b"",
    )
    .await;
    assert_eq!(answer.status, 401);
    assert_eq!(app.dispatcher.commands().len(), 1);
    app.stop().await;
}

#[tokio::test]
async fn body_scope_hmac_accepts_prefixed_hex() {
    use hmac::{Hmac, Mac};
    let app = spawn(&[fixture("webhooks.toml")]).await;
    let body = br#"{"action":"opened"}"#;
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(TOKEN.as_bytes()).unwrap();
    mac.update(body);
    let hex: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let header = format!("sha256={hex}");
    let headers = [
        ("Content-Type", "application/json"),
        ("X-Hub-Signature-256", header.as_str()),
    ];
    let answer = send(app.addr, "POST", "/inbound/toml-body-hmac", &headers, body).await;
    assert_eq!(answer.status, 200, "{answer:?}");
    let answer = send(
        app.addr,
        "POST",
        "/inbound/toml-body-hmac",
        &headers,
        br#"{"action":"closed"}"#,
    )
    .await;
    assert_eq!(answer.status, 401);
    let answer = send(
        app.addr,
        "POST",
        "/inbound/toml-body-hmac",
        &[("Content-Type", "application/json")],
        body,
    )
    .await;
    assert_eq!(answer.status, 401);
    assert_eq!(
        answer.json()["reason"],
        "missing signature header `x-hub-signature-256`"
    );
    assert_eq!(app.dispatcher.commands().len(), 1);
    app.stop().await;
}
