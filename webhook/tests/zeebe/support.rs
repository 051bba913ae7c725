//! Shared builders for commands and dispatchers.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};
use webhook::secret::Secret;
use webhook::zeebe::{Command, Dispatcher, OAuthCredentials, Transport, Variables, ZeebeSettings};

pub fn variables(value: Value) -> Variables {
    match value {
        Value::Object(map) => Variables::new(&map).unwrap(),
        other => panic!("variables must be an object, got {other}"),
    }
}

pub fn create(process: &str, version: i32, tenant: Option<&str>) -> Command {
    Command::CreateProcessInstance {
        bpmn_process_id: process.to_owned(),
        version,
        tenant_id: tenant.map(str::to_owned),
        variables: variables(json!({"sms": {"From": "+15550001", "Body": "hi"}, "n": 1})),
    }
}

pub fn publish(name: &str, key: &str, id: &str, tenant: Option<&str>) -> Command {
    Command::PublishMessage {
        name: name.to_owned(),
        correlation_key: key.to_owned(),
        message_id: id.to_owned(),
        time_to_live: Duration::from_secs(3600),
        tenant_id: tenant.map(str::to_owned),
        variables: variables(json!({"body": "yes"})),
    }
}

/// A gRPC configuration without back-pressure retries, so every scripted
/// reply is seen exactly once (the retry tests turn them on).
pub fn grpc_config(address: String, timeout: Duration) -> ZeebeSettings {
    ZeebeSettings {
        transport: Some(Transport::Grpc { address }),
        request_timeout: timeout,
        backpressure_retries: 0,
        ..ZeebeSettings::default()
    }
}

/// Like [`grpc_config`], for REST.
pub fn rest_config(base_url: String, timeout: Duration) -> ZeebeSettings {
    ZeebeSettings {
        transport: Some(Transport::Rest { base_url }),
        request_timeout: timeout,
        backpressure_retries: 0,
        ..ZeebeSettings::default()
    }
}

pub fn oauth(token_url: String) -> OAuthCredentials {
    OAuthCredentials {
        token_url,
        client_id: "my-client".to_owned(),
        client_secret: Secret::new("s3cret&=?"),
        audience: Some("zeebe.camunda.io".to_owned()),
        scope: None,
    }
}

pub fn build(config: &ZeebeSettings) -> Arc<dyn Dispatcher> {
    config
        .build_dispatcher(Path::new("/nonexistent-dir/unused-journal.jsonl"))
        .expect("dispatcher builds")
}

pub fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

pub const TIMEOUT: Duration = Duration::from_secs(5);
