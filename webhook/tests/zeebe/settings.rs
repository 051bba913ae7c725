//! `ZeebeSettings::from_env_and_flags`: names, precedence, normalisation, errors.

use std::time::Duration;

use webhook::zeebe::{
    http_status, Auth, OAuthCredentials, StatusCode, Transport, ZeebeAddresses, ZeebeSettings,
};

use crate::support::env;

fn transport(pairs: &[(&str, &str)], flags: &ZeebeAddresses) -> Option<Transport> {
    ZeebeSettings::from_env_and_flags(&env(pairs), flags)
        .unwrap_or_else(|e| panic!("{pairs:?}: {e}"))
        .transport
}

fn grpc(address: &str) -> Option<Transport> {
    Some(Transport::Grpc {
        address: address.to_owned(),
    })
}

fn rest(base_url: &str) -> Option<Transport> {
    Some(Transport::Rest {
        base_url: base_url.to_owned(),
    })
}

/// Environment variables as (name, value) pairs.
type Vars = &'static [(&'static str, &'static str)];

/// The OAuth credentials the settings hold; fails the test otherwise.
fn oauth_of(settings: &ZeebeSettings) -> OAuthCredentials {
    match &settings.auth {
        Auth::OAuth(credentials) => credentials.clone(),
        other => panic!("expected OAuth, got {other:?}"),
    }
}

fn no_flags() -> ZeebeAddresses {
    ZeebeAddresses::default()
}

#[test]
fn transports_from_the_environment() {
    let cases: &[(Vars, Option<Transport>)] = &[
        (&[], None),
        (&[("ZEEBE_ADDRESS", "  ")], None),
        // The console's credentials file: host:port, TLS.
        (
            &[("ZEEBE_ADDRESS", "abc.bru-2.zeebe.camunda.io:443")],
            grpc("https://abc.bru-2.zeebe.camunda.io:443"),
        ),
        (
            &[
                ("ZEEBE_ADDRESS", "localhost:26500"),
                ("ZEEBE_INSECURE_CONNECTION", "true"),
            ],
            grpc("http://localhost:26500"),
        ),
        (
            &[("ZEEBE_ADDRESS", "http://zeebe:26500")],
            grpc("http://zeebe:26500"),
        ),
        (
            &[("ZEEBE_ADDRESS", "http://zeebe")],
            grpc("http://zeebe:26500"),
        ),
        (
            &[("ZEEBE_ADDRESS", "https://zeebe.example/")],
            grpc("https://zeebe.example:443"),
        ),
        (
            &[
                ("ZEEBE_ADDRESS", "zeebe"),
                ("ZEEBE_INSECURE_CONNECTION", "1"),
            ],
            grpc("http://zeebe:26500"),
        ),
        (
            &[
                ("ZEEBE_ADDRESS", "[::1]:26501"),
                ("ZEEBE_INSECURE_CONNECTION", "yes"),
            ],
            grpc("http://[::1]:26501"),
        ),
        (
            &[
                ("ZEEBE_ADDRESS", "old:1"),
                ("ZEEBE_GRPC_ADDRESS", "http://new:2"),
            ],
            grpc("http://new:2"),
        ),
        (
            &[("ZEEBE_REST_ADDRESS", "https://bru-2.zeebe.camunda.io/abc/")],
            rest("https://bru-2.zeebe.camunda.io/abc"),
        ),
        (
            &[("CAMUNDA_REST_ADDRESS", "http://localhost:8080/v2")],
            rest("http://localhost:8080"),
        ),
        (
            &[
                ("CAMUNDA_REST_ADDRESS", "http://a:1"),
                ("ZEEBE_REST_ADDRESS", "http://b:2"),
            ],
            rest("http://b:2"),
        ),
        // Both set: gRPC, as Camunda's clients default to.
        (
            &[
                ("ZEEBE_ADDRESS", "http://g:26500"),
                ("ZEEBE_REST_ADDRESS", "http://r:8080"),
            ],
            grpc("http://g:26500"),
        ),
        (
            &[
                ("ZEEBE_ADDRESS", "http://g:26500"),
                ("ZEEBE_REST_ADDRESS", "http://r:8080"),
                ("CAMUNDA_PREFER_REST_OVER_GRPC", "true"),
            ],
            rest("http://r:8080"),
        ),
    ];
    for (pairs, expected) in cases {
        assert_eq!(&transport(pairs, &no_flags()), expected, "{pairs:?}");
    }
}

#[test]
fn flags_replace_the_environment_addresses() {
    let env_both: &[(&str, &str)] = &[
        ("ZEEBE_ADDRESS", "http://env-grpc:1"),
        ("ZEEBE_REST_ADDRESS", "http://env-rest:2"),
    ];
    let grpc_flag = ZeebeAddresses {
        grpc: Some("http://flag:3".to_owned()),
        rest: None,
    };
    let rest_flag = ZeebeAddresses {
        grpc: None,
        rest: Some("http://flag:4/".to_owned()),
    };
    assert_eq!(transport(env_both, &grpc_flag), grpc("http://flag:3"));
    assert_eq!(transport(env_both, &rest_flag), rest("http://flag:4"));
    assert_eq!(transport(&[], &grpc_flag), grpc("http://flag:3"));
    // An empty flag counts as absent.
    let empty = ZeebeAddresses {
        grpc: Some(String::new()),
        rest: None,
    };
    assert_eq!(transport(env_both, &empty), grpc("http://env-grpc:1"));
}

#[test]
fn bad_settings_are_named_in_the_error() {
    let cases: &[(Vars, &str, &str)] = &[
        (
            &[("ZEEBE_ADDRESS", "ftp://zeebe:1")],
            "ZEEBE_ADDRESS",
            "scheme",
        ),
        (
            &[("ZEEBE_ADDRESS", "zeebe:port")],
            "ZEEBE_ADDRESS",
            "not a port",
        ),
        (
            &[("ZEEBE_ADDRESS", "zeebe:99999")],
            "ZEEBE_ADDRESS",
            "not a port",
        ),
        (
            &[("ZEEBE_GRPC_ADDRESS", "http://zeebe:1/path")],
            "ZEEBE_GRPC_ADDRESS",
            "without a path",
        ),
        (&[("ZEEBE_ADDRESS", "http://")], "ZEEBE_ADDRESS", "no host"),
        (
            &[
                ("ZEEBE_ADDRESS", "https://z:1"),
                ("ZEEBE_INSECURE_CONNECTION", "true"),
            ],
            "ZEEBE_ADDRESS",
            "ZEEBE_INSECURE_CONNECTION",
        ),
        (
            &[("ZEEBE_INSECURE_CONNECTION", "maybe")],
            "ZEEBE_INSECURE_CONNECTION",
            "true or false",
        ),
        (
            &[("ZEEBE_REST_ADDRESS", "localhost:8080")],
            "ZEEBE_REST_ADDRESS",
            "http://",
        ),
        (
            &[("ZEEBE_REST_ADDRESS", "http://x:1?a=b")],
            "ZEEBE_REST_ADDRESS",
            "query",
        ),
        (
            &[("ZEEBE_CLIENT_ID", "id")],
            "ZEEBE_CLIENT_ID",
            "no client secret",
        ),
        (
            &[("CAMUNDA_CLIENT_SECRET", "s")],
            "CAMUNDA_CLIENT_SECRET",
            "no client id",
        ),
        (
            &[("CAMUNDA_AUTH_STRATEGY", "KERBEROS")],
            "CAMUNDA_AUTH_STRATEGY",
            "not supported",
        ),
        (
            &[("CAMUNDA_CLIENT_AUTH_METHOD", "saml")],
            "CAMUNDA_CLIENT_AUTH_METHOD",
            "not supported",
        ),
        (
            &[("CAMUNDA_AUTH_STRATEGY", "BASIC")],
            "CAMUNDA_AUTH_STRATEGY",
            "needs CAMUNDA_CLIENT_AUTH_USERNAME",
        ),
        (
            &[
                ("CAMUNDA_CLIENT_AUTH_METHOD", "basic"),
                ("CAMUNDA_CLIENT_AUTH_USERNAME", "demo"),
            ],
            "CAMUNDA_CLIENT_AUTH_METHOD",
            "needs CAMUNDA_CLIENT_AUTH_PASSWORD",
        ),
        (
            &[("CAMUNDA_AUTH_STRATEGY", "OAUTH")],
            "CAMUNDA_AUTH_STRATEGY",
            "needs a client id and secret",
        ),
        (
            &[
                ("ZEEBE_CLIENT_ID", "i"),
                ("ZEEBE_CLIENT_SECRET", "s"),
                ("CAMUNDA_OAUTH_URL", "login.example/token"),
            ],
            "CAMUNDA_OAUTH_URL",
            "https://",
        ),
        (
            &[("ZEEBE_REQUEST_TIMEOUT", "soon")],
            "ZEEBE_REQUEST_TIMEOUT",
            "not a duration",
        ),
        (
            &[("ZEEBE_REQUEST_TIMEOUT", "0")],
            "ZEEBE_REQUEST_TIMEOUT",
            "positive",
        ),
    ];
    for (pairs, setting, fragment) in cases {
        let error = ZeebeSettings::from_env_and_flags(&env(pairs), &no_flags())
            .expect_err(&format!("{pairs:?} should be rejected"));
        assert_eq!(error.setting(), *setting, "{pairs:?}: {error}");
        assert!(error.message().contains(fragment), "{pairs:?}: {error}");
        assert!(error.to_string().starts_with(setting), "{error}");
    }
}

#[test]
fn oauth_from_the_console_credentials_file() {
    let config = ZeebeSettings::from_env_and_flags(
        &env(&[
            ("ZEEBE_ADDRESS", "abc.bru-2.zeebe.camunda.io:443"),
            ("ZEEBE_CLIENT_ID", "client"),
            ("ZEEBE_CLIENT_SECRET", "secret"),
            (
                "ZEEBE_AUTHORIZATION_SERVER_URL",
                "https://login.cloud.camunda.io/oauth/token",
            ),
            ("ZEEBE_TOKEN_AUDIENCE", "zeebe.camunda.io"),
            ("CAMUNDA_CREDENTIALS_SCOPES", "Zeebe,Tasklist,Operate"),
        ]),
        &no_flags(),
    )
    .unwrap();
    let oauth = oauth_of(&config);
    assert_eq!(oauth.client_id, "client");
    assert_eq!(oauth.client_secret.expose(), "secret");
    assert_eq!(
        oauth.token_url,
        "https://login.cloud.camunda.io/oauth/token"
    );
    assert_eq!(oauth.audience.as_deref(), Some("zeebe.camunda.io"));
    // The product list is not an OAuth scope.
    assert_eq!(oauth.scope, None);
    assert!(
        !format!("{oauth:?}").contains("secret\""),
        "secret in Debug output"
    );
}

#[test]
fn oauth_names_precedence_and_defaults() {
    let config = ZeebeSettings::from_env_and_flags(
        &env(&[
            ("CAMUNDA_CLIENT_ID", "camunda-id"),
            ("CAMUNDA_CLIENT_SECRET", "camunda-secret"),
            ("ZEEBE_CLIENT_ID", "zeebe-id"),
            ("ZEEBE_CLIENT_SECRET", "zeebe-secret"),
            (
                "CAMUNDA_OAUTH_URL",
                "http://keycloak:18080/realms/camunda-platform/protocol/openid-connect/token",
            ),
            ("CAMUNDA_TOKEN_SCOPE", "zeebe-api"),
        ]),
        &no_flags(),
    )
    .unwrap();
    let oauth = oauth_of(&config);
    assert_eq!(oauth.client_id, "zeebe-id");
    assert_eq!(oauth.client_secret.expose(), "zeebe-secret");
    assert_eq!(
        oauth.token_url,
        "http://keycloak:18080/realms/camunda-platform/protocol/openid-connect/token"
    );
    assert_eq!(oauth.audience.as_deref(), Some("zeebe.camunda.io"));
    assert_eq!(oauth.scope.as_deref(), Some("zeebe-api"));

    let defaults = oauth_of(
        &ZeebeSettings::from_env_and_flags(
            &env(&[("CAMUNDA_CLIENT_ID", "i"), ("CAMUNDA_CLIENT_SECRET", "s")]),
            &no_flags(),
        )
        .unwrap(),
    );
    assert_eq!(
        defaults.token_url,
        "https://login.cloud.camunda.io/oauth/token"
    );

    let none = ZeebeSettings::from_env_and_flags(
        &env(&[
            ("CAMUNDA_CLIENT_ID", "i"),
            ("CAMUNDA_CLIENT_SECRET", "s"),
            ("CAMUNDA_AUTH_STRATEGY", "none"),
        ]),
        &no_flags(),
    )
    .unwrap();
    assert_eq!(none.auth, Auth::None);
}

#[test]
fn timeouts_and_ca_path() {
    let config = ZeebeSettings::from_env_and_flags(
        &env(&[
            ("ZEEBE_REQUEST_TIMEOUT", "2500"),
            ("CAMUNDA_CA_CERTIFICATE_PATH", "/etc/ca.pem"),
        ]),
        &no_flags(),
    )
    .unwrap();
    assert_eq!(config.request_timeout, Duration::from_millis(2500));
    assert_eq!(
        config.ca_certificate_path.as_deref(),
        Some(std::path::Path::new("/etc/ca.pem"))
    );
    let default = ZeebeSettings::from_env_and_flags(&env(&[]), &no_flags()).unwrap();
    assert_eq!(default, ZeebeSettings::default());
    assert_eq!(default.request_timeout, Duration::from_secs(10));
}

#[tokio::test]
async fn a_missing_ca_file_fails_at_startup() {
    let config = ZeebeSettings::from_env_and_flags(
        &env(&[
            ("ZEEBE_ADDRESS", "https://z:443"),
            ("ZEEBE_CA_CERTIFICATE_PATH", "/nonexistent/ca.pem"),
        ]),
        &no_flags(),
    )
    .unwrap();
    let error = config
        .build_dispatcher(std::path::Path::new("unused.jsonl"))
        .unwrap_err();
    assert_eq!(error.setting(), "ZEEBE_CA_CERTIFICATE_PATH");
    assert!(error.message().contains("/nonexistent/ca.pem"), "{error}");
}

#[test]
fn zeebe_status_to_http_follows_the_connectors_runtime() {
    // Spec §2.8.
    let table = [
        (StatusCode::Cancelled, 499),
        (StatusCode::Unknown, 500),
        (StatusCode::InvalidArgument, 400),
        (StatusCode::DeadlineExceeded, 504),
        (StatusCode::NotFound, 404),
        (StatusCode::AlreadyExists, 409),
        (StatusCode::PermissionDenied, 403),
        (StatusCode::ResourceExhausted, 429),
        (StatusCode::FailedPrecondition, 412),
        (StatusCode::Aborted, 409),
        (StatusCode::OutOfRange, 416),
        (StatusCode::Unimplemented, 501),
        (StatusCode::Internal, 500),
        (StatusCode::Unavailable, 503),
        (StatusCode::DataLoss, 500),
        (StatusCode::Unauthenticated, 401),
    ];
    assert_eq!(table.len(), StatusCode::ALL.len());
    for (status, http) in table {
        assert_eq!(http_status(status), http, "{status}");
        assert_eq!(StatusCode::from_name(status.as_str()), Some(status));
    }
    assert_eq!(StatusCode::from_name("OK"), None);
}

#[test]
fn the_process_environment_can_be_read() {
    // Whatever this process has, reading it must not panic; with the flag
    // set, the flag decides the transport.
    let flags = ZeebeAddresses {
        grpc: Some("http://flag:26500".to_owned()),
        rest: None,
    };
    match ZeebeSettings::from_process_env(&flags) {
        Ok(config) => assert_eq!(config.transport, grpc("http://flag:26500")),
        // Only a broken ZEEBE_*/CAMUNDA_* variable in the test environment
        // may make it fail, and then the error names it.
        Err(error) => assert!(
            error.setting().starts_with("ZEEBE_") || error.setting().starts_with("CAMUNDA_"),
            "{error}"
        ),
    }
}

#[test]
fn camundas_client_names_give_addresses_and_auth() {
    let settings = ZeebeSettings::from_env_and_flags(
        &env(&[
            ("CAMUNDA_CLIENT_RESTADDRESS", "http://camunda:8080"),
            ("CAMUNDA_CLIENT_GRPCADDRESS", "http://camunda:26500"),
            ("CAMUNDA_CLIENT_AUTH_METHOD", "oidc"),
            ("CAMUNDA_CLIENT_AUTH_CLIENTID", "connectors"),
            ("CAMUNDA_CLIENT_AUTH_CLIENTSECRET", "s3cret"),
            (
                "CAMUNDA_CLIENT_AUTH_TOKENURL",
                "http://keycloak/realms/camunda-platform/protocol/openid-connect/token",
            ),
            ("CAMUNDA_CLIENT_AUTH_AUDIENCE", "orchestration-api"),
        ]),
        &no_flags(),
    )
    .unwrap();
    // gRPC dispatches; the REST address is still there for discovery.
    assert_eq!(
        settings.transport,
        Some(Transport::Grpc {
            address: "http://camunda:26500".into()
        })
    );
    assert_eq!(settings.rest_api.as_deref(), Some("http://camunda:8080"));
    let oauth = oauth_of(&settings);
    assert_eq!(oauth.client_id, "connectors");
    assert_eq!(oauth.client_secret.expose(), "s3cret");
    assert_eq!(oauth.audience.as_deref(), Some("orchestration-api"));
    assert!(oauth.token_url.starts_with("http://keycloak/"));
}

#[test]
fn basic_auth_from_either_family_of_names() {
    for pairs in [
        [
            ("CAMUNDA_CLIENT_AUTH_METHOD", "basic"),
            ("CAMUNDA_CLIENT_AUTH_USERNAME", "demo"),
            ("CAMUNDA_CLIENT_AUTH_PASSWORD", "pw"),
        ],
        [
            ("CAMUNDA_AUTH_STRATEGY", "BASIC"),
            ("CAMUNDA_BASIC_AUTH_USERNAME", "demo"),
            ("CAMUNDA_BASIC_AUTH_PASSWORD", "pw"),
        ],
    ] {
        let settings = ZeebeSettings::from_env_and_flags(&env(&pairs), &no_flags()).unwrap();
        match &settings.auth {
            Auth::Basic { username, password } => {
                assert_eq!(username, "demo");
                assert_eq!(password.expose(), "pw");
            }
            other => panic!("{pairs:?}: {other:?}"),
        }
        assert!(!format!("{settings:?}").contains("\"pw\""));
    }
    // The method named first wins over OAuth credentials lying around.
    let settings = ZeebeSettings::from_env_and_flags(
        &env(&[
            ("CAMUNDA_CLIENT_AUTH_METHOD", "none"),
            ("ZEEBE_CLIENT_ID", "i"),
            ("ZEEBE_CLIENT_SECRET", "s"),
        ]),
        &no_flags(),
    )
    .unwrap();
    assert_eq!(settings.auth, Auth::None);
}

#[test]
fn a_saas_cluster_id_and_region_give_both_addresses() {
    let settings = ZeebeSettings::from_env_and_flags(
        &env(&[
            ("CAMUNDA_CLIENT_CLOUD_CLUSTERID", "abc-123"),
            ("CAMUNDA_CLIENT_CLOUD_REGION", "bru-2"),
        ]),
        &no_flags(),
    )
    .unwrap();
    assert_eq!(
        settings.transport,
        Some(Transport::Grpc {
            address: "https://abc-123.bru-2.zeebe.camunda.io:443".into()
        })
    );
    assert_eq!(
        settings.rest_api.as_deref(),
        Some("https://bru-2.zeebe.camunda.io/abc-123")
    );
    // An address given outright wins.
    let settings = ZeebeSettings::from_env_and_flags(
        &env(&[
            ("CAMUNDA_CLIENT_CLOUD_CLUSTERID", "abc-123"),
            ("CAMUNDA_CLIENT_CLOUD_REGION", "bru-2"),
            ("ZEEBE_REST_ADDRESS", "http://local:8080"),
        ]),
        &no_flags(),
    )
    .unwrap();
    assert_eq!(settings.rest_api.as_deref(), Some("http://local:8080"));
}
