//! Where an accepted command goes: committed to the outbox (and delivered by
//! its worker), sent inline with Zeebe's answer (`--dispatch sync`, queued
//! when Zeebe cannot take it now), or, without an outbox, sent inline only.

use std::time::Duration;

use serde_json::{json, Map, Value as Json};

use crate::error::AppError;
use crate::outbox::{is_retryable, Enqueued, Outbox, OutboxError};
use crate::settings::DispatchMode;
use crate::state::AppState;
use crate::webhooks::WebhookDefinition;
use crate::zeebe::{Command, DispatchError, Dispatcher, Outcome, StatusCode as Grpc};

/// What became of an accepted command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivered {
    /// Zeebe (or the journal standing in for it) took it and answered.
    Sent(Outcome),
    /// It waits in the outbox under this entry id; the worker delivers it.
    Queued(u64),
    /// A deduplication key was seen within the window: the same answer as
    /// the first time, nothing sent.
    Duplicate,
}

impl Delivered {
    /// The metrics label: `accepted` or `duplicate`.
    pub fn label(&self) -> &'static str {
        match self {
            Delivered::Duplicate => "duplicate",
            _ => "accepted",
        }
    }
}

/// `correlation`, as the response expression sees it: what is known about
/// the command's fate when the reply is written. Every form has `type` and
/// the command's own facts (`command`, `tenantId`, and `bpmnProcessId` with
/// `version`, or `messageName` with `correlationKey` and `messageId`);
/// Zeebe's keys come only with an inline dispatch.
///
/// | `type` | when | Zeebe's keys |
/// |---|---|---|
/// | `processInstanceCreated` | sent inline (sync mode, or no outbox) | `processInstanceKey` |
/// | `messagePublished` | sent inline | `messageKey` |
/// | `messageAlreadyPublished` | sent inline; Zeebe had that message id | – |
/// | `journaled` | sent inline to the embedded journal (no Zeebe) | – |
/// | `queued` | committed to the outbox; `outboxEntry` is its id | – |
/// | `duplicate` | a Twilio retry (or another duplicate) of an accepted event | – |
pub fn correlation(command: &Command, delivered: &Delivered) -> Json {
    let mut map = Map::new();
    let (kind, facts) = match delivered {
        Delivered::Sent(outcome) => match outcome {
            Outcome::ProcessInstanceCreated {
                process_instance_key,
                tenant_id,
            } => (
                "processInstanceCreated",
                json!({"processInstanceKey": process_instance_key, "tenantId": tenant_id}),
            ),
            Outcome::MessagePublished {
                message_key,
                tenant_id,
            } => (
                "messagePublished",
                json!({"messageKey": message_key, "tenantId": tenant_id}),
            ),
            Outcome::MessageAlreadyPublished => ("messageAlreadyPublished", json!({})),
            Outcome::Journaled => ("journaled", json!({})),
        },
        Delivered::Queued(entry) => ("queued", json!({"outboxEntry": entry})),
        Delivered::Duplicate => ("duplicate", json!({})),
    };
    map.insert("type".into(), kind.into());
    match command {
        Command::CreateProcessInstance {
            bpmn_process_id,
            version,
            tenant_id,
            ..
        } => {
            map.insert("command".into(), "createProcessInstance".into());
            map.insert("bpmnProcessId".into(), bpmn_process_id.clone().into());
            map.insert("version".into(), (*version).into());
            map.insert("tenantId".into(), tenant_id.clone().into());
        }
        Command::PublishMessage {
            name,
            correlation_key,
            message_id,
            tenant_id,
            ..
        } => {
            map.insert("command".into(), "publishMessage".into());
            map.insert("messageName".into(), name.clone().into());
            map.insert("correlationKey".into(), correlation_key.clone().into());
            map.insert("messageId".into(), message_id.clone().into());
            map.insert("tenantId".into(), tenant_id.clone().into());
        }
    }
    // Zeebe's answer (its tenant included) goes over the command's facts.
    if let Json::Object(facts) = facts {
        for (key, value) in facts {
            if !value.is_null() || !map.contains_key(&key) {
                map.insert(key, value);
            }
        }
    }
    Json::Object(map)
}

/// Delivers `command` for `webhook` as the settings (and the webhook's own
/// `webhook.dispatch`) say; `dedup_keys` are claimed first when there is an
/// outbox.
pub async fn deliver(
    state: &AppState,
    webhook: &WebhookDefinition,
    command: Command,
    dedup_keys: Vec<String>,
) -> Result<Delivered, AppError> {
    let timeout = state.settings().delivery.dispatch_timeout;
    let Some(outbox) = state.outbox() else {
        return dispatch_inline(state.dispatcher(), timeout, command)
            .await
            .map(Delivered::Sent);
    };
    let mode = webhook.dispatch.unwrap_or(state.settings().delivery.mode);
    match mode {
        DispatchMode::Outbox => queue(outbox, &webhook.id, command, dedup_keys).await,
        DispatchMode::Sync => {
            dispatch_sync(
                state.dispatcher(),
                timeout,
                outbox,
                &webhook.id,
                command,
                dedup_keys,
            )
            .await
        }
    }
}

/// Sends the command now and maps Zeebe's answer: `ALREADY_EXISTS` on a
/// message is success; no answer within `timeout` is `DEADLINE_EXCEEDED`.
async fn dispatch_inline(
    dispatcher: &dyn Dispatcher,
    timeout: Duration,
    command: Command,
) -> Result<Outcome, AppError> {
    let is_publish = matches!(command, Command::PublishMessage { .. });
    match tokio::time::timeout(timeout, dispatcher.dispatch(command)).await {
        Ok(Ok(outcome)) => Ok(outcome),
        Ok(Err(DispatchError {
            status: Grpc::AlreadyExists,
            ..
        })) if is_publish => Ok(Outcome::MessageAlreadyPublished),
        Ok(Err(e)) => Err(AppError::Dispatch(e)),
        Err(_) => Err(AppError::Dispatch(DispatchError {
            status: Grpc::DeadlineExceeded,
            message: format!("no answer within {timeout:?}"),
        })),
    }
}

fn outbox_error(e: OutboxError) -> AppError {
    match e.unavailable() {
        // A full disk: nothing was stored; Twilio retries a 503.
        Some(reason) => AppError::Unavailable(reason.to_owned()),
        None => AppError::Internal(format!("the event could not be stored: {e}")),
    }
}

/// Commits the event to the outbox (unless it is a duplicate).
async fn queue(
    outbox: &Outbox,
    webhook: &str,
    command: Command,
    keys: Vec<String>,
) -> Result<Delivered, AppError> {
    match outbox
        .accept(webhook, command, keys)
        .await
        .map_err(outbox_error)?
    {
        Enqueued::Stored(entry) => {
            tracing::info!(entry, "queued in the outbox");
            Ok(Delivered::Queued(entry))
        }
        Enqueued::Duplicate => {
            tracing::info!("duplicate delivery: answered, not dispatched");
            Ok(Delivered::Duplicate)
        }
    }
}

/// `--dispatch sync`: Zeebe's answer inline, the outbox when Zeebe is
/// unreachable, pushing back, or an earlier event for the key is queued.
async fn dispatch_sync(
    dispatcher: &dyn Dispatcher,
    timeout: Duration,
    outbox: &Outbox,
    webhook: &str,
    command: Command,
    keys: Vec<String>,
) -> Result<Delivered, AppError> {
    if outbox.must_wait(&command).await.map_err(outbox_error)? {
        return queue(outbox, webhook, command, keys).await;
    }
    if outbox.claim(keys.clone()).await.map_err(outbox_error)? == Enqueued::Duplicate {
        tracing::info!("duplicate delivery: answered, not dispatched");
        return Ok(Delivered::Duplicate);
    }
    match dispatch_inline(dispatcher, timeout, command.clone()).await {
        Ok(outcome) => {
            outbox.set_reachable(true);
            Ok(Delivered::Sent(outcome))
        }
        Err(AppError::Dispatch(e)) if is_retryable(e.status) => {
            outbox.set_reachable(false);
            tracing::warn!(error = %e, "Zeebe unavailable: queued in the outbox");
            // The keys are already claimed by this request.
            queue(outbox, webhook, command, Vec::new()).await
        }
        Err(error) => {
            // Nothing was delivered: a retry of this request may try again.
            if let Err(e) = outbox.release(keys).await {
                tracing::error!(error = %e, "cannot release the deduplication keys");
            }
            Err(error)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::zeebe::Variables;

    fn publish() -> Command {
        Command::PublishMessage {
            name: "reply".into(),
            correlation_key: "+1555".into(),
            message_id: "".into(),
            time_to_live: Duration::from_secs(60),
            tenant_id: Some("t1".into()),
            variables: Variables::empty(),
        }
    }

    #[test]
    fn correlation_says_what_is_known_in_each_mode() {
        let queued = correlation(&publish(), &Delivered::Queued(42));
        assert_eq!(
            queued,
            json!({"type": "queued", "outboxEntry": 42, "command": "publishMessage",
                   "messageName": "reply", "correlationKey": "+1555", "messageId": "", "tenantId": "t1"})
        );
        let sent = correlation(
            &publish(),
            &Delivered::Sent(Outcome::MessagePublished {
                message_key: 7,
                tenant_id: Some("t1".into()),
            }),
        );
        assert_eq!(sent["type"], "messagePublished");
        assert_eq!(sent["messageKey"], 7);
        assert_eq!(sent["tenantId"], "t1");
        let start = Command::CreateProcessInstance {
            bpmn_process_id: "order".into(),
            version: 3,
            tenant_id: None,
            variables: Variables::empty(),
        };
        let created = correlation(
            &start,
            &Delivered::Sent(Outcome::ProcessInstanceCreated {
                process_instance_key: 9,
                tenant_id: Some("<default>".into()),
            }),
        );
        assert_eq!(
            created,
            json!({"type": "processInstanceCreated", "command": "createProcessInstance",
                   "bpmnProcessId": "order", "version": 3, "processInstanceKey": 9, "tenantId": "<default>"})
        );
        assert_eq!(
            correlation(&start, &Delivered::Duplicate)["type"],
            "duplicate"
        );
        assert_eq!(Delivered::Duplicate.label(), "duplicate");
        assert_eq!(Delivered::Queued(1).label(), "accepted");
    }
}
