//! TLS: real handshakes with the fakes (gRPC, REST, OAuth), using a
//! certificate made in the test (rcgen) and trusted through the CA file
//! setting (`ZEEBE_CA_CERTIFICATE_PATH`).

use std::path::PathBuf;

use webhook::testing::{FakeGateway, FakeRestGateway, FakeTokenEndpoint};
use webhook::zeebe::{Outcome, StatusCode, Transport, ZeebeSettings};

use crate::support::{build, create, grpc_config, oauth, publish, rest_config, TIMEOUT};

struct TestCert {
    cert_pem: String,
    key_pem: String,
    ca_path: PathBuf,
}

fn localhost_cert(name: &str) -> TestCert {
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let cert_pem = certified.cert.pem();
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("zeebe-tls-tests");
    std::fs::create_dir_all(&dir).unwrap();
    let ca_path = dir.join(format!("{name}-{}.pem", std::process::id()));
    std::fs::write(&ca_path, &cert_pem).unwrap();
    TestCert {
        cert_pem,
        key_pem: certified.signing_key.serialize_pem(),
        ca_path,
    }
}

#[tokio::test]
async fn grpc_over_tls_with_a_private_ca() {
    let cert = localhost_cert("trusted");
    let gateway = FakeGateway::start_tls(cert.cert_pem.as_bytes(), cert.key_pem.as_bytes())
        .await
        .unwrap();
    assert!(gateway.address().starts_with("https://localhost:"));
    let mut config = grpc_config(gateway.address(), TIMEOUT);
    config.ca_certificate_path = Some(cert.ca_path.clone());

    let outcome = build(&config).dispatch(create("p", 1, None)).await;

    assert!(
        matches!(outcome, Ok(Outcome::ProcessInstanceCreated { .. })),
        "{outcome:?}"
    );
    assert_eq!(gateway.calls().len(), 1);
}

#[tokio::test]
async fn an_untrusted_certificate_is_refused() {
    let cert = localhost_cert("untrusted");
    let gateway = FakeGateway::start_tls(cert.cert_pem.as_bytes(), cert.key_pem.as_bytes())
        .await
        .unwrap();
    // Only the compiled-in web roots: the self-signed certificate is unknown.
    let config = grpc_config(gateway.address(), TIMEOUT);

    let error = build(&config)
        .dispatch(create("p", 1, None))
        .await
        .unwrap_err();

    assert_eq!(error.status, StatusCode::Unavailable, "{error}");
    assert!(gateway.calls().is_empty());
}

#[tokio::test]
async fn plaintext_client_cannot_talk_to_a_tls_gateway() {
    let cert = localhost_cert("plain");
    let gateway = FakeGateway::start_tls(cert.cert_pem.as_bytes(), cert.key_pem.as_bytes())
        .await
        .unwrap();
    let config = grpc_config(format!("http://{}", gateway.socket_addr()), TIMEOUT);

    let error = build(&config)
        .dispatch(create("p", 1, None))
        .await
        .unwrap_err();

    assert_ne!(error.status, StatusCode::DeadlineExceeded, "{error}");
    assert!(gateway.calls().is_empty());
}

#[tokio::test]
async fn rest_and_oauth_over_tls_with_a_private_ca() {
    let cert = localhost_cert("rest-oauth");
    let (cert_pem, key_pem) = (cert.cert_pem.as_bytes(), cert.key_pem.as_bytes());
    let gateway = FakeRestGateway::start_tls(cert_pem, key_pem).await.unwrap();
    let tokens = FakeTokenEndpoint::start_tls(3600, cert_pem, key_pem)
        .await
        .unwrap();
    assert!(gateway.base_url().starts_with("https://"));
    assert!(tokens.token_url().starts_with("https://"));
    let mut config = rest_config(gateway.base_url(), TIMEOUT);
    config.ca_certificate_path = Some(cert.ca_path.clone());
    config.auth = webhook::zeebe::Auth::OAuth(oauth(tokens.token_url()));

    let outcome = build(&config).dispatch(publish("m", "k", "", None)).await;

    assert!(
        matches!(outcome, Ok(Outcome::MessagePublished { .. })),
        "{outcome:?}"
    );
    assert_eq!(tokens.tokens_issued(), 1);
    assert_eq!(
        gateway.requests()[0].header("authorization"),
        Some("Bearer token-1")
    );
}

#[tokio::test]
async fn rest_refuses_an_untrusted_certificate() {
    let cert = localhost_cert("rest-untrusted");
    let gateway = FakeRestGateway::start_tls(cert.cert_pem.as_bytes(), cert.key_pem.as_bytes())
        .await
        .unwrap();
    let config = rest_config(gateway.base_url(), TIMEOUT);

    let error = build(&config)
        .dispatch(create("p", 1, None))
        .await
        .unwrap_err();

    assert_eq!(error.status, StatusCode::Unavailable, "{error}");
    assert!(
        error.message.to_lowercase().contains("certificate"),
        "{error}"
    );
    assert!(gateway.requests().is_empty());
}

#[tokio::test]
async fn a_ca_file_without_certificates_is_rejected() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("zeebe-tls-tests");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("empty-{}.pem", std::process::id()));
    std::fs::write(&path, "not a certificate\n").unwrap();
    let config = ZeebeSettings {
        transport: Some(Transport::Rest {
            base_url: "https://localhost:1".to_owned(),
        }),
        ca_certificate_path: Some(path),
        ..ZeebeSettings::default()
    };

    let error = config
        .build_dispatcher(std::path::Path::new("unused.jsonl"))
        .unwrap_err();

    assert_eq!(error.setting(), "ZEEBE_CA_CERTIFICATE_PATH");
    assert!(error.message().contains("no PEM CERTIFICATE"), "{error}");
}
