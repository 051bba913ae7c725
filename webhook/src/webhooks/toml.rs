//! Webhooks defined in a TOML file (`--config`) instead of BPMN.
//!
//! ```toml
//! [[webhook]]
//! id = "twilio-sms"                      # the path: /inbound/twilio-sms
//! method = "post"                        # any (default), get, post, put, delete
//! start_process = "order-process"        # CreateProcessInstance …
//! # message = "sms-reply"                # … or PublishMessage
//! # message_start = false                # true: the correlation key may be absent
//! # correlation_key = "=request.body.From"
//! # message_id = "=request.body.MessageSid"
//! # message_ttl = "PT1H"
//! hmac_secret = "{{secrets.TWILIO_AUTH_TOKEN}}"   # enables the Twilio signature check
//! activation_condition = '=request.body.SmsStatus = "received"'
//! result_variable = "sms"
//! result_expression = "={text: request.body.Body}"
//! # dispatch = "sync"                    # overrides --dispatch (outbox|sync)
//! ```
//!
//! Each entry becomes the same properties a BPMN element would carry, so both
//! sources are compiled and validated by one code path.

use std::path::Path;

use serde::Deserialize;

use super::{
    DefinitionError, DefinitionErrors, ElementKind, MessageRef, Origin, RawWebhook, Source,
};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    webhook: Vec<Entry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    id: String,
    method: Option<String>,
    start_process: Option<String>,
    version: Option<i32>,
    message: Option<String>,
    #[serde(default)]
    message_start: bool,
    correlation_key: Option<String>,
    message_id: Option<String>,
    message_ttl: Option<String>,
    tenant_id: Option<String>,
    hmac_secret: Option<String>,
    hmac_header: Option<String>,
    hmac_algorithm: Option<String>,
    hmac_scopes: Option<Vec<String>>,
    activation_condition: Option<String>,
    consume_unmatched_events: Option<bool>,
    result_variable: Option<String>,
    result_expression: Option<String>,
    response_expression: Option<String>,
    /// `outbox` or `sync`: overrides `--dispatch` for this webhook.
    dispatch: Option<String>,
}

/// Parses a webhook TOML file.
pub fn parse(path: &Path, text: &str) -> Result<Vec<RawWebhook>, DefinitionErrors> {
    let file: File = toml::from_str(text).map_err(|e| {
        DefinitionErrors(vec![DefinitionError::file(
            path,
            format!("invalid TOML: {e}"),
        )])
    })?;
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for (index, entry) in file.webhook.into_iter().enumerate() {
        let origin = Origin {
            source: Source::File(path.to_owned()),
            element_id: format!("webhook[{index}] {}", entry.id),
            line: None,
        };
        let (kind, process_id, message) = match (&entry.start_process, &entry.message) {
            (Some(process), None) => (ElementKind::StartEvent, process.clone(), None),
            (None, Some(name)) => (
                if entry.message_start {
                    ElementKind::MessageStartEvent
                } else {
                    ElementKind::IntermediateCatchEvent
                },
                String::new(),
                Some(MessageRef {
                    name: name.clone(),
                    subscription_key: None,
                }),
            ),
            _ => {
                errors.push(DefinitionError::element(
                    &origin,
                    "set exactly one of `start_process` (start a process) or `message` (publish a message)",
                ));
                continue;
            }
        };
        let mut properties = vec![
            ("inbound.type".to_owned(), super::WEBHOOK_TYPE.to_owned()),
            ("inbound.context".to_owned(), entry.id.clone()),
        ];
        let mut put = |name: &str, value: Option<String>| {
            if let Some(v) = value {
                properties.push((name.to_owned(), v));
            }
        };
        put("inbound.method", entry.method);
        if entry.hmac_secret.is_some() {
            put("inbound.shouldValidateHmac", Some("enabled".to_owned()));
            put(
                "inbound.hmacScopes",
                Some(match entry.hmac_scopes {
                    Some(scopes) => serde_json::to_string(&scopes).unwrap_or_default(),
                    None => r#"["url","body","parameters"]"#.to_owned(),
                }),
            );
        }
        put("inbound.hmacSecret", entry.hmac_secret);
        put("inbound.hmacHeader", entry.hmac_header);
        put("inbound.hmacAlgorithm", entry.hmac_algorithm);
        put("activationCondition", entry.activation_condition);
        put(
            "consumeUnmatchedEvents",
            entry.consume_unmatched_events.map(|b| b.to_string()),
        );
        put("correlationKeyExpression", entry.correlation_key);
        put("messageIdExpression", entry.message_id);
        put("messageTtl", entry.message_ttl);
        put("resultVariable", entry.result_variable);
        put("resultExpression", entry.result_expression);
        put("inbound.responseExpression", entry.response_expression);
        put("webhook.dispatch", entry.dispatch);
        out.push(RawWebhook {
            origin,
            kind,
            process_id,
            version: entry.version.unwrap_or(-1),
            tenant_id: entry.tenant_id,
            message,
            properties,
        });
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(DefinitionErrors(errors))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_become_properties() {
        let raws = parse(
            Path::new("w.toml"),
            r#"
[[webhook]]
id = "a"
start_process = "p"
version = 3
hmac_secret = "t"

[[webhook]]
id = "b"
message = "m"
correlation_key = "=request.body.From"
"#,
        )
        .unwrap();
        assert_eq!(raws[0].kind, ElementKind::StartEvent);
        assert_eq!(raws[0].version, 3);
        assert!(raws[0]
            .properties
            .contains(&("inbound.shouldValidateHmac".into(), "enabled".into())));
        assert_eq!(raws[1].kind, ElementKind::IntermediateCatchEvent);
        assert_eq!(raws[1].message.as_ref().unwrap().name, "m");
    }

    #[test]
    fn unknown_keys_and_ambiguous_targets_are_errors() {
        let err = parse(
            Path::new("w.toml"),
            "[[webhook]]\nid='a'\nstart_proces='p'\n",
        )
        .unwrap_err();
        assert!(
            err.to_string().contains("unknown field `start_proces`"),
            "{err}"
        );
        let err = parse(Path::new("w.toml"), "[[webhook]]\nid='a'\n").unwrap_err();
        assert!(err.to_string().contains("exactly one of"), "{err}");
    }
}
