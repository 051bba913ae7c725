//! The stored form of a [`Command`]: the same fields, readable back.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::zeebe::{millis, Command, Variables};

/// A [`Command`] as the outbox stores it (JSON, `timeToLiveMs` in ms).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "camelCase")]
pub enum StoredCommand {
    /// See [`Command::CreateProcessInstance`].
    #[serde(rename_all = "camelCase")]
    CreateProcessInstance {
        /// The BPMN process id.
        bpmn_process_id: String,
        /// The version; -1 = latest.
        version: i32,
        /// The tenant.
        tenant_id: Option<String>,
        /// The variables.
        variables: Variables,
    },
    /// See [`Command::PublishMessage`].
    #[serde(rename_all = "camelCase")]
    PublishMessage {
        /// The message name.
        name: String,
        /// The correlation key.
        correlation_key: String,
        /// The message id.
        message_id: String,
        /// The time to live, in milliseconds.
        time_to_live_ms: u64,
        /// The tenant.
        tenant_id: Option<String>,
        /// The variables.
        variables: Variables,
    },
}

impl From<Command> for StoredCommand {
    fn from(command: Command) -> Self {
        match command {
            Command::CreateProcessInstance {
                bpmn_process_id,
                version,
                tenant_id,
                variables,
            } => StoredCommand::CreateProcessInstance {
                bpmn_process_id,
                version,
                tenant_id,
                variables,
            },
            Command::PublishMessage {
                name,
                correlation_key,
                message_id,
                time_to_live,
                tenant_id,
                variables,
            } => StoredCommand::PublishMessage {
                name,
                correlation_key,
                message_id,
                time_to_live_ms: millis(time_to_live),
                tenant_id,
                variables,
            },
        }
    }
}

impl From<StoredCommand> for Command {
    fn from(stored: StoredCommand) -> Self {
        match stored {
            StoredCommand::CreateProcessInstance {
                bpmn_process_id,
                version,
                tenant_id,
                variables,
            } => Command::CreateProcessInstance {
                bpmn_process_id,
                version,
                tenant_id,
                variables,
            },
            StoredCommand::PublishMessage {
                name,
                correlation_key,
                message_id,
                time_to_live_ms,
                tenant_id,
                variables,
            } => Command::PublishMessage {
                name,
                correlation_key,
                message_id,
                time_to_live: Duration::from_millis(time_to_live_ms),
                tenant_id,
                variables,
            },
        }
    }
}

/// The key that orders delivery: events for the same message correlation key
/// (and tenant) go out in acceptance order. Process starts are unordered.
pub fn order_key(command: &Command) -> Option<String> {
    match command {
        Command::PublishMessage {
            correlation_key,
            tenant_id,
            ..
        } if !correlation_key.is_empty() => Some(format!(
            "{}\u{0}{correlation_key}",
            tenant_id.as_deref().unwrap_or_default()
        )),
        _ => None,
    }
}
